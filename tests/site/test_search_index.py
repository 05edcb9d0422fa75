"""The prefix-split search index: whatever is typed, the shard the browser loads gives the
same suggestions as the whole index would, and no shard grows with the country."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from datetime import timedelta

import pytest

from aggregator import pages
from aggregator.config import SiteSettings
from aggregator.pages import SiteRenderer
from aggregator.search_index import (
    MAX_KEY,
    MAX_ROWS,
    SHOWN,
    Entry,
    Row,
    area_entries,
    fold,
    key_of,
    shards,
)
from tests.site.factory import T0, availability, dataset, location, slots_for


def browser_suggestions(found: dict[str, list[Row]], query: str) -> list[tuple[str, str]]:
    """What app.js shows for ``query``: the shard of the longest key that starts it, its
    places whose folded city or postcode start with the query, deduplicated, first 8."""
    q = fold(query)
    for n in range(len(q), 0, -1):
        if key_of(q, n) in found:
            return first_matches(found[key_of(q, n)], q)
    return []


def first_matches(rows: list[Row], q: str) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    for city, postcode, *_ in rows:
        if (fold(city).startswith(q) or postcode.startswith(q)) and (city, postcode) not in shown:
            shown.append((city, postcode))
            if len(shown) == SHOWN:
                break
    return shown


def country(n: int, seed: int = 3) -> list[Row]:
    """Many communes, a fifth of them Saint-something (the prefix that must split)."""
    rng = random.Random(seed)
    heads = ["Saint-", "Saint-", "Saint ", "Sainte-", "La ", "Mont", "Vil", "Éc", "L'H", "Y", "Eu"]
    tails = ["mar", "ville", "é", "lès-", "y", "court", "Étienne", "on"]
    rows = set()
    for _ in range(n):
        head = rng.choice(heads)
        name = head + "".join(rng.choice(tails) for _ in range(rng.randint(0, 3)))
        area = f"{rng.randint(1, 95):02d}"
        rows.add((name, f"{area}{rng.randint(0, 999):03d}", area, 45.0, 3.0))
    return sorted(rows)


def test_fold_and_keys_match_what_the_browser_computes() -> None:
    assert fold("  Évry-Courcouronnes ") == "evry-courcouronnes"
    assert fold("L'Haÿ-les-Roses") == "l'hay-les-roses"
    assert key_of(fold("L'Haÿ-les-Roses"), 3) == "l_h"
    assert key_of(fold("Saint-Étienne"), 6) == "saint_"


def test_every_prefix_suggests_what_the_full_index_would() -> None:
    rows = country(2500)
    found = shards(area_entries(rows))
    assert any(len(key) > 6 for key in found)  # deep splits are exercised
    listed = sorted(rows, key=lambda r: (fold(r[0]), r))
    terms = sorted({fold(r[0]) for r in rows} | {r[1] for r in rows})
    queries = {t[:n] for t in terms for n in range(1, min(len(t), MAX_KEY + 2) + 1)}
    queries |= {"saint-z", "zz", "9", "l'h", "éc", "Saint-Étienne"}
    folded = [(fold(r[0]), r[1], (r[0], r[1])) for r in listed]
    for query in sorted(queries):
        q = fold(query)
        expected = list(dict.fromkeys(
            shown for city, postcode, shown in folded
            if city.startswith(q) or postcode.startswith(q)))[:SHOWN]
        assert browser_suggestions(found, query) == expected, query


def test_shards_stay_small_however_many_places() -> None:
    rows = country(20_000)
    found = shards(area_entries(rows))
    saints = sum(1 for r in rows if fold(r[0]).startswith("saint-"))
    assert saints > 3 * MAX_ROWS  # the prefix that must split does
    assert len(found["saint_"]) == 2 * SHOWN  # what "saint-" and "saint " show, no more
    for key, listed in found.items():
        assert len(listed) <= MAX_ROWS + SHOWN or len(key) == MAX_KEY, key


def test_a_slot_change_leaves_the_index_alone_and_a_move_touches_two_shards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cuts: list[int] = []

    def counted(entries: Iterable[Entry]) -> dict[str, list[Row]]:
        cuts.append(1)
        return shards(entries)

    monkeypatch.setattr(pages, "shards", counted)
    locations, availabilities = dataset(10)
    renderer = SiteRenderer(SiteSettings())
    before = renderer.render(locations, availabilities, T0)
    assert len(cuts) == 1
    index = json.loads(before["data/search.json"])
    assert index["keys"] == ["1", "6", "7", "a", "l", "m", "p", "v"]  # small: no split
    marseille = json.loads(before[f"data/search/{browser_key(index['keys'], 'marseille')}.json"])
    assert [row[:3] for row in marseille["places"]] == [["Marseille", "13001", "13"]]

    lid = next(iter(locations))
    later = T0 + timedelta(minutes=1)
    availabilities[lid] = availability(locations[lid], slots_for(3, later), later)
    after = renderer.render(locations, availabilities, later)
    search = {k: v for k, v in before.items() if k.startswith("data/search")}
    assert {k: after[k] for k in search} == search
    assert len(cuts) == 1  # slots moved, no place did: the shards were not even recut

    moved = location(0, city="Évry-Courcouronnes", postcode="91000", area="91")
    locations[moved.id] = moved
    third = renderer.render(locations, availabilities, later + timedelta(minutes=1))
    changed = {k for k in third if k.startswith("data/search/")
               and before.get(k) != third[k]}
    # Évry arrives under "e" and "9"; Lyon 69003 keeps a place but its mean point moves
    assert changed == {f"data/search/{k}.json" for k in ("e", "9", "l", "6")}
    assert third["data/search.json"] != before["data/search.json"]  # keys and boxes moved
    assert "91" in {a["code"] for a in json.loads(third["data/search.json"])["areas"]}


def browser_key(keys: list[str], query: str) -> str:
    return next(key_of(query, n) for n in range(len(query), 0, -1) if key_of(query, n) in keys)
