"""Same place across platforms: merged; neighbours in one street: never merged."""

from __future__ import annotations

import random
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.dedupe import (
    candidate_pairs,
    distance_m,
    group_places,
    groups,
    match_score,
    normalize_address,
)
from aggregator.models import Location
from aggregator.normalize import area_from_postcode

DISTINCT = ("Thabor", "Lices", "Gare", "Marché", "Saint-Hélier", "Colombier", "Bréquigny",
            "Jaurès", "Mairie", "Croix", "Alma", "Cleunay")
STREETS = (("avenue", "Av."), ("boulevard", "Bd"), ("rue", "R."), ("place", "Pl."))
PLATFORMS = ("doctolib", "maiia", "keldoc", "mapharma")


def loc(platform: str, uid: str, name: str, address: str, postcode: str = "35000",
        lat: float | None = 48.1100, lon: float | None = -1.6800, phone: str = "") -> Location:
    return Location(id=f"{platform}:{uid}", platform=platform, upstream_id=uid, name=name,
                    address=address, postcode=postcode, area=area_from_postcode(postcode),
                    lat=lat, lon=lon, phone=phone)


def strip_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / 111_320, lon + east_m / 74_000  # ~48° N


@st.composite
def one_place_two_listings(draw: st.DrawFn) -> tuple[Location, Location]:
    """The same pharmacy as two platforms write it: other case, accents, abbreviations,
    generic words, phone format and a few metres of geocoding error."""
    word = draw(st.sampled_from(DISTINCT))
    number = draw(st.integers(1, 180))
    street, short = draw(st.sampled_from(STREETS))
    street_name = draw(st.sampled_from(("Jean Jaurès", "Victor Hugo", "de la République")))
    lat, lon = 48.11 + draw(st.floats(-0.01, 0.01)), -1.68 + draw(st.floats(-0.01, 0.01))
    phone = f"02 99 {draw(st.integers(10, 99))} {draw(st.integers(10, 99))} 17"
    p1, p2 = draw(st.sampled_from([(a, b) for a in PLATFORMS for b in PLATFORMS if a != b]))
    a = loc(p1, "1", f"Pharmacie du {word}", f"{number} {street} {street_name}", lat=lat,
            lon=lon, phone=phone)
    blat, blon = offset(lat, lon, draw(st.floats(-40, 40)), draw(st.floats(-40, 40)))
    b_name = draw(st.sampled_from([f"PHARMACIE DU {word.upper()}", strip_accents(word),
                                   f"Pharmacie {word} - SELARL"]))
    b_address = f"{number}, {short} {strip_accents(street_name)}"
    b_phone = draw(st.sampled_from(["", phone.replace(" ", ""), "+33" + phone[1:]]))
    with_coords = draw(st.booleans())
    b = loc(p2, "2", b_name, b_address, lat=blat if with_coords else None,
            lon=blon if with_coords else None, phone=b_phone)
    return a, b


@given(one_place_two_listings())
@settings(max_examples=200, deadline=None)
def test_same_place_on_two_platforms_merges(pair: tuple[Location, Location]) -> None:
    a, b = pair
    place_of = group_places([a, b])
    assert place_of[a.id] == place_of[b.id], (a, b)


@st.composite
def two_pharmacies_one_street(draw: st.DrawFn) -> list[Location]:
    """Neighbours: same street and postcode, a few doors and metres apart, other names."""
    w1, w2 = draw(st.lists(st.sampled_from(DISTINCT), min_size=2, max_size=2, unique=True))
    n1, n2 = draw(st.lists(st.integers(1, 180), min_size=2, max_size=2, unique=True))
    street = draw(st.sampled_from(("rue de la République", "avenue Jean Jaurès")))
    lat, lon = 48.11, -1.68
    blat, blon = offset(lat, lon, draw(st.floats(-60, 60)), draw(st.floats(-60, 60)))
    p1, p2 = draw(st.sampled_from(PLATFORMS)), draw(st.sampled_from(PLATFORMS))
    return [loc(p1, "1", f"Pharmacie du {w1}", f"{n1} {street}", lat=lat, lon=lon,
                phone="0299000001"),
            loc(p2, "2", f"Pharmacie du {w2}", f"{n2} {street}", lat=blat, lon=blon,
                phone="0299000002")]


@given(two_pharmacies_one_street())
@settings(max_examples=200, deadline=None)
def test_two_pharmacies_in_one_street_stay_apart(pair: list[Location]) -> None:
    place_of = group_places(pair)
    assert place_of[pair[0].id] != place_of[pair[1].id]


@given(st.lists(st.tuples(st.sampled_from(PLATFORMS), st.sampled_from(DISTINCT[:3]),
                          st.integers(1, 3)), max_size=14), st.randoms(use_true_random=False))
@settings(max_examples=150, deadline=None)
def test_groups_are_order_free_and_one_listing_per_platform(
    specs: list[tuple[str, str, int]], rng: random.Random
) -> None:
    locations = [loc(p, str(i), f"Pharmacie {w}", f"{n} rue Pasteur")
                 for i, (p, w, n) in enumerate(specs)]
    place_of = group_places(locations)
    shuffled = locations[:]
    rng.shuffle(shuffled)
    assert group_places(shuffled) == place_of
    by_id = {x.id: x for x in locations}
    for key, members in groups(place_of).items():
        assert key == min(members)
        platforms = [by_id[m].platform for m in members]
        assert len(platforms) == len(set(platforms)), members


def test_a_chain_never_puts_two_listings_of_one_platform_together() -> None:
    a = loc("doctolib", "1", "Pharmacie du Thabor", "2 rue de Paris")
    b = loc("maiia", "9", "Pharmacie du Thabor", "2 rue de Paris")
    c = loc("doctolib", "2", "Thabor", "2 rue de Paris")
    place_of = group_places([a, b, c])
    assert place_of[a.id] == place_of[b.id] == "doctolib:1"
    assert place_of[c.id] == c.id


def test_other_postcode_or_far_coordinates_overrule_a_name() -> None:
    a = loc("doctolib", "1", "Pharmacie du Thabor", "2 rue de Paris")
    other_town = loc("maiia", "1", "Pharmacie du Thabor", "2 rue de Paris", postcode="35400")
    lat, lon = offset(48.11, -1.68, 5_000, 0)
    far = loc("keldoc", "1", "Pharmacie du Thabor", "2 rue de Paris", lat=lat, lon=lon)
    place_of = group_places([a, other_town, far])
    assert len(set(place_of.values())) == 3


def test_generic_names_need_more_than_the_word_pharmacie() -> None:
    a = loc("doctolib", "1", "Pharmacie", "2 rue de Paris", phone="0299000001")
    b = loc("maiia", "1", "Pharmacie", "2 rue de Paris")
    same_phone = loc("keldoc", "1", "Grande Pharmacie", "2 rue de Paris", phone="+33299000001")
    place_of = group_places([a, b, same_phone])
    assert place_of[a.id] == place_of[same_phone.id] != place_of[b.id]


def test_address_and_distance_helpers() -> None:
    assert normalize_address("12 bis, Av. Jean-Jaurès") == normalize_address(
        "12b avenue Jean Jaures") == "12bis avenue jean jaures"
    assert normalize_address("") == ""
    a = loc("doctolib", "1", "x", "", lat=48.11, lon=-1.68)
    lat, lon = offset(48.11, -1.68, 300, 400)
    d = distance_m(a, loc("maiia", "1", "x", "", lat=lat, lon=lon))
    assert d is not None and 490 < d < 510
    assert distance_m(a, loc("maiia", "2", "x", "", lat=None, lon=None)) is None


@given(st.lists(st.tuples(st.sampled_from(PLATFORMS), st.sampled_from(DISTINCT[:3]),
                          st.sampled_from(("2 rue Pasteur", "4 rue Pasteur", "")),
                          st.floats(-250, 250), st.floats(-250, 250), st.booleans()),
                max_size=16))
@settings(max_examples=150, deadline=None)
def test_blocking_never_skips_a_matching_pair(
    specs: list[tuple[str, str, str, float, float, bool]]
) -> None:
    locations = []
    for i, (platform, word, address, north, east, located) in enumerate(specs):
        lat, lon = offset(48.11, -1.68, north, east)
        locations.append(loc(platform, str(i), f"Pharmacie {word}", address,
                             lat=lat if located else None, lon=lon if located else None))
    compared = candidate_pairs(locations)
    for i, a in enumerate(locations):
        for b in locations[i + 1 :]:
            if match_score(a, b):
                assert (min(a.id, b.id), max(a.id, b.id)) in compared, (a, b)
