"""The same physical place listed by several platforms, grouped under one place key.

A pharmacy on Doctolib and on Maiia is one card for a visitor, with a booking link per
platform. Pure: locations in, ``{location id: place key}`` out. Conservative on purpose:
two different pharmacies in one street must never merge (a visitor would be sent to the
wrong door), while missing a merge only shows one more card.

Two locations of different platforms are the same place when their postcodes agree and
either their names agree and they sit at the same address or within ``near_m`` metres, or
they share a phone number and sit at the same address or within ``near_m``. A group never
holds two locations of one platform: a platform lists a place once.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aggregator.models import Location
from aggregator.normalize import normalize_phone, slugify

# Words every place name carries; they say what a place is, not which one it is.
GENERIC_WORDS = frozenset({
    "pharmacie", "pharmacy", "centre", "center", "de", "du", "des", "la", "le", "les", "l",
    "d", "et", "a", "au", "aux", "sur", "en", "cabinet", "medical", "medicale", "medicaux",
    "sante", "vaccination", "hopital", "hospital", "clinique", "chu", "ch", "grande", "grand",
    "maison", "sas", "sarl", "selarl"
})
STREET_WORDS = {
    "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard", "r": "rue",
    "pl": "place", "all": "allee", "rte": "route", "ch": "chemin", "imp": "impasse",
    "st": "saint", "ste": "sainte", "fbg": "faubourg", "qu": "quai",
}
_NUMBER = re.compile(r"^(\d+)\s*(bis|ter|b|t)?\b")
_SUFFIX = {"b": "bis", "bis": "bis", "t": "ter", "ter": "ter"}
_FORWARD = ((0, 1), (1, -1), (1, 0), (1, 1))


@dataclass(frozen=True)
class DedupeRules:
    near_m: float = 120.0  # same building, give or take geocoding error
    name_overlap: float = 0.6  # Jaccard overlap of distinctive name words (one of two: no)


def name_tokens(name: str) -> frozenset[str]:
    """Distinctive words of a place name: "Pharmacie de la Gare" -> {"gare"}."""
    return frozenset(w for w in slugify(name, 200).split("-") if w and w not in GENERIC_WORDS)


def normalize_address(address: str) -> str:
    """"12 bis, Av. Jean-Jaurès" -> "12bis avenue jean jaures"; "" when unknown."""
    words = [STREET_WORDS.get(w, w) for w in slugify(address, 200).split("-") if w]
    text = " ".join(words)
    if text == "general":  # slugify's placeholder for an empty string
        return ""
    match = _NUMBER.match(text)
    if match and match.group(2):
        text = match.group(1) + _SUFFIX[match.group(2)] + text[match.end():]
    return text


def distance_m(a: Location, b: Location) -> float | None:
    """Great-circle distance, None when either side has no coordinates."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(min(1.0, h)))


@dataclass(frozen=True)
class _Features:
    """What matching compares, normalized once per location."""

    location: Location
    names: frozenset[str]
    address: str
    phone: str

    @classmethod
    def of(cls, location: Location) -> _Features:
        return cls(location, name_tokens(location.name), normalize_address(location.address),
                   normalize_phone(location.phone))


def _score(fa: _Features, fb: _Features, rules: DedupeRules) -> int:
    a, b = fa.location, fb.location
    if a.platform == b.platform:
        return 0
    if a.postcode and b.postcode and a.postcode != b.postcode:
        return 0
    same_address = bool(fa.address) and fa.address == fb.address
    distance = distance_m(a, b)
    if distance is not None and distance > 10 * rules.near_m:
        return 0  # coordinates that far apart overrule a matching name or address
    near = distance is not None and distance <= rules.near_m
    if not (same_address or near):
        return 0
    # "Pharmacie" alone says nothing either way: names agree only on distinctive words
    names = bool(fa.names and fb.names) and (
        len(fa.names & fb.names) / len(fa.names | fb.names) >= rules.name_overlap)
    same_phone = bool(fa.phone) and fa.phone == fb.phone
    if not (names or same_phone):
        return 0
    return 1 + names + same_phone + same_address + near


def match_score(a: Location, b: Location, rules: DedupeRules | None = None) -> int:
    """0: not the same place; higher: more evidence (used to merge best pairs first)."""
    return _score(_Features.of(a), _Features.of(b), rules or DedupeRules())


def group_places(
    locations: Iterable[Location], rules: DedupeRules | None = None
) -> dict[str, str]:
    """Location id -> place key (the smallest location id of its group)."""
    rules = rules or DedupeRules()
    listed = sorted({loc.id: loc for loc in locations}.values(), key=lambda loc: loc.id)
    features = {loc.id: _Features.of(loc) for loc in listed}
    pairs: list[tuple[int, str, str]] = []
    for a_id, b_id in sorted(_candidates(features, rules)):
        score = _score(features[a_id], features[b_id], rules)
        if score:
            pairs.append((score, a_id, b_id))
    return _merge(listed, sorted(pairs, key=lambda p: (-p[0], p[1], p[2])))


def candidate_pairs(
    locations: Iterable[Location], rules: DedupeRules | None = None
) -> set[tuple[str, str]]:
    """The (id, id) pairs ``group_places`` compares (for tests and benchmarks)."""
    return _candidates({loc.id: _Features.of(loc) for loc in locations}, rules or DedupeRules())


def _candidates(features: Mapping[str, _Features], rules: DedupeRules) -> set[tuple[str, str]]:
    """Pairs that could match: a match needs the same address or ``near_m``, so only
    locations sharing a normalized address or neighbouring grid cells are compared (a dense
    postcode with thousands of listings is not compared all against all)."""
    by_address: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_cell: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    lat_step = rules.near_m / 111_320.0
    # one longitude step everywhere: >= near_m wide up to 70° N, which covers France
    lon_step = lat_step / math.cos(math.radians(70))
    for feature in features.values():
        loc = feature.location
        zone = loc.postcode or f"area:{loc.area}"
        if feature.address:
            by_address[(zone, feature.address)].append(loc.id)
        if loc.lat is not None and loc.lon is not None:
            cell = (zone, math.floor(loc.lat / lat_step), math.floor(loc.lon / lon_step))
            by_cell[cell].append(loc.id)
    pairs: set[tuple[str, str]] = set()

    def add(left: list[str], right: list[str]) -> None:
        pairs.update((min(x, y), max(x, y)) for x in left for y in right if x != y)

    for ids in by_address.values():
        add(ids, ids)
    for (zone, row, col), ids in by_cell.items():
        add(ids, ids)
        for dr, dc in _FORWARD:  # each neighbouring pair of cells once
            add(ids, by_cell.get((zone, row + dr, col + dc), []))
    return pairs


def _merge(listed: list[Location], pairs: list[tuple[int, str, str]]) -> dict[str, str]:
    """Union-find, best evidence first, never two locations of one platform in a group."""
    parent = {loc.id: loc.id for loc in listed}
    platforms = {loc.id: {loc.platform} for loc in listed}

    def root(lid: str) -> str:
        while parent[lid] != lid:
            parent[lid] = parent[parent[lid]]
            lid = parent[lid]
        return lid

    for _, a, b in pairs:
        ra, rb = root(a), root(b)
        if ra == rb or platforms[ra] & platforms[rb]:
            continue
        keep, gone = min(ra, rb), max(ra, rb)
        parent[gone] = keep
        platforms[keep] |= platforms.pop(gone)
    return {loc.id: root(loc.id) for loc in listed}


def groups(place_of: Mapping[str, str]) -> dict[str, list[str]]:
    """Place key -> its location ids (sorted), from a ``group_places`` mapping."""
    out: dict[str, list[str]] = defaultdict(list)
    for lid, key in sorted(place_of.items()):
        out[key].append(lid)
    return dict(out)
