"""The autocomplete index, split by prefix so the home page loads only what is typed.

``data/search.json`` carries the areas (name, places open, bounding box for *near me*)
and the list of shard keys; ``data/search/<key>.json`` the places whose folded city name
or postcode starts with that key. Typing "ma" downloads the "ma" shard (a few hundred
bytes compressed) instead of every city of the country: the home page with what it
loads stays far under 30 KB whatever the number of places.

``fold`` must agree with ``fold`` in ``site/static/app.js`` (NFD, drop combining marks,
lower case, trimmed), or a visitor's prefix would look in the wrong shard.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from aggregator.site_data import SearchArea, SearchDocument, SearchShard, dumps
from aggregator.views import AreaView

MAX_ROWS = 300  # rows per shard: about 3 KB gzip
SHOWN = 8  # suggestions the browser displays (app.js)
MAX_KEY = 12  # a prefix this long is one shard whatever its size
Row = tuple[str, str, str, float | None, float | None]


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f").lower().strip()


def area_rows(area: AreaView) -> list[Row]:
    """One row per (city, postcode) of the area, at the mean of its places' coordinates
    rounded to 0.01 degree (~1 km: enough to rank distances, little to download)."""
    coords: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for view in area.locations:
        loc = view.location
        if not loc.city and not loc.postcode:
            continue
        found = coords.setdefault((loc.city, loc.postcode), [])
        if loc.lat is not None and loc.lon is not None:
            found.append((loc.lat, loc.lon))
    rows: list[Row] = []
    for (city, postcode), points in sorted(coords.items()):
        lat = round(sum(p[0] for p in points) / len(points), 2) if points else None
        lon = round(sum(p[1] for p in points) / len(points), 2) if points else None
        rows.append((city, postcode, area.code, lat, lon))
    return rows


def area_box(area: AreaView) -> tuple[float, float, float, float] | None:
    lats = [v.location.lat for v in area.locations if v.location.lat is not None]
    lons = [v.location.lon for v in area.locations if v.location.lon is not None]
    if not lats or not lons:
        return None
    return (round(min(lats), 2), round(min(lons), 2), round(max(lats), 2), round(max(lons), 2))


Entry = tuple[str, Row]  # (folded city or postcode, row)


def area_entries(rows: Iterable[Row]) -> list[Entry]:
    """Each row under its folded city and under its postcode: a prefix of either finds it."""
    entries: list[Entry] = []
    for row in rows:
        for term in {fold(row[0]), fold(row[1])} - {""}:
            entries.append((term, row))
    return entries


def key_of(term: str, length: int) -> str:
    """A term's first ``length`` characters, anything outside ``[a-z0-9]`` as ``_`` (a
    safe file name; app.js computes the same from what is typed)."""
    return "".join(c if ("a" <= c <= "z" or "0" <= c <= "9") else "_" for c in term[:length])


def shards(entries: Iterable[Entry]) -> dict[str, list[Row]]:
    """Key -> rows. A prefix with at most ``MAX_ROWS`` places is one shard; a bigger one
    ("sa", for Saint-...) is split one character further, and keeps as its own shard only
    the ``SHOWN`` first rows, all a query of exactly that prefix displays. The browser
    loads the longest key that prefixes the query."""
    found: dict[str, list[Row]] = {}
    _split(list(set(entries)), 1, found)  # every shard's rows are sorted by _rows
    return dict(sorted(found.items()))


def _split(entries: list[Entry], length: int, found: dict[str, list[Row]]) -> None:
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(key_of(entry[0], length), []).append(entry)
    for key, group in groups.items():
        if len({row for _, row in group}) <= MAX_ROWS or length >= MAX_KEY:
            found[key] = _rows(group)
            continue
        found[key] = _head(group, length)
        _split([e for e in group if len(e[0]) > length], length + 1, found)


def _head(group: list[Entry], length: int) -> list[Row]:
    """What a query of exactly ``length`` characters shows: the first ``SHOWN`` rows of
    each prefix spelt under this key ("saint-" and "saint " both file under "saint_")."""
    spellings: dict[str, list[Entry]] = {}
    for entry in group:
        spellings.setdefault(entry[0][:length], []).append(entry)
    head = {row for spelt in spellings.values() for row in _rows(spelt)[:SHOWN]}
    return _rows([(fold(row[0]), row) for row in head])


def _rows(entries: list[Entry]) -> list[Row]:
    """Unique rows in the order the browser lists them (by folded city, as it matches)."""
    unique = {row: fold(row[0]) for _, row in entries}
    return sorted(unique, key=lambda row: (unique[row], *row[:3]))


def search_document(
    areas: Sequence[AreaView],
    boxes: Mapping[str, tuple[float, float, float, float] | None],
    keys: Iterable[str],
) -> bytes:
    document = SearchDocument(
        areas=[SearchArea(code=a.code, name=a.name, with_slots=a.with_slots,
                          box=boxes.get(a.code)) for a in areas],
        keys=sorted(keys),
    )
    return dumps(document.model_dump(mode="json"))


def shard_document(key: str, rows: Sequence[Row]) -> bytes:
    return dumps(SearchShard(key=key, places=list(rows)).model_dump(mode="json"))
