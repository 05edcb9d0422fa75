"""Maiia's pure parsers on this project's recorded answers and on broken shapes."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aggregator.models import Status
from scrapers.errors import ParseError
from scrapers.maiia import parse
from tests.adapters.recorded import MAIIA_NOW, MAIIA_PAGES, MAIIA_PHONE, load, maiia_poll
from tests.adapters.recorded import MAIIA_URL as URL

BASE = "https://www.maiia.example"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_listing_keeps_centres_only() -> None:
    pages = [parse.parse_page(load("maiia", f"hcd-page-{n}.json"), "hcd") for n in (0, 1)]
    assert [p.total for p in pages] == [4, 4]
    angers, ajaccio, basse_terre = (loc for p in pages for loc in parse.parse_centres(p, BASE))
    assert angers.id == "maiia:64b2f0c1a9e3d4f5a6b7c8d9"
    assert (angers.area, ajaccio.area, basse_terre.area) == ("49", "2A", "971")
    assert (angers.lat, angers.lon) == (47.4784, -0.5519)  # GeoJSON is [lon, lat]
    assert (ajaccio.lat, ajaccio.lon, ajaccio.phone) == (None, None, "")
    assert ajaccio.name == "Pharmacie du Port"
    assert angers.phone == MAIIA_PHONE
    assert angers.booking_url == (
        BASE + "/centre-de-vaccination/49100-angers/centre-de-vaccination-des-capucins"
        "?centerid=64b2f0c1a9e3d4f5a6b7c8d9"
    )


def test_reasons_on_site_only() -> None:
    page = parse.parse_page(load("maiia", "consultation-reasons.json"), "consultation-reason-hcd")
    assert [r.name for r in parse.parse_reasons(page)] == [
        "Rappel grippe saisonnière",
        "Vaccin COVID-19 (+65 ans)",
    ]


def test_three_pages_across_the_autumn_change() -> None:
    result = maiia_poll(MAIIA_NOW, "consultation-reasons.json", *MAIIA_PAGES)
    assert result.status is Status.OK
    # 25 items on three overlapping pages, 23 distinct, 21 instants (two with two seats)
    assert len(result.slots) == 21
    assert sum(s.capacity for s in result.slots) == 23
    assert Counter(s.capacity for s in result.slots) == {1: 19, 2: 2}
    assert result.slots[0].start == utc(2026, 10, 23, 7, 0)
    assert result.slots[0].end == utc(2026, 10, 23, 7, 10)
    # 09:00 Paris is 07:00Z in summer time and 08:00Z from 25 October on
    nine = [s.start for s in result.slots if s.start.minute == 0]
    assert nine == [utc(2026, 10, d, h) for d, h in ((23, 7), (24, 7), (25, 8), (26, 8), (27, 8))]
    assert {s.appointment_type for s in result.slots} == {"rappel-grippe-saisonniere"}
    assert all(s.booking_url == URL for s in result.slots)


def test_the_same_page_twice_changes_nothing() -> None:
    once = maiia_poll(MAIIA_NOW, "consultation-reasons.json", *MAIIA_PAGES)
    twice = maiia_poll(MAIIA_NOW, "consultation-reasons.json", *MAIIA_PAGES, *MAIIA_PAGES)
    assert twice.slots == once.slots


def test_window_is_now_to_horizon() -> None:
    result = maiia_poll(
        utc(2026, 10, 26, 8, 0) - timedelta(days=7), "consultation-reasons.json", *MAIIA_PAGES
    )
    assert result.slots[-1].start == utc(2026, 10, 25, 10, 20)
    assert maiia_poll(utc(2026, 10, 28), "consultation-reasons.json", *MAIIA_PAGES).slots == ()


def test_no_reason_listed_means_phone_only() -> None:
    result = maiia_poll(MAIIA_NOW, "consultation-reasons-none.json")
    assert result.status is Status.PHONE_ONLY and result.slots == ()
    assert result.phone == MAIIA_PHONE
    nothing = maiia_poll(MAIIA_NOW, "consultation-reasons.json")
    assert nothing.status is Status.NO_SLOTS and nothing.phone == ""


def _item(**changes: Any) -> dict[str, Any]:
    item = load("maiia", MAIIA_PAGES[0])["items"][0]
    item.update(changes)
    return {"items": [item], "total": 1}


def _without(key: str) -> dict[str, Any]:
    page = _item()
    del page["items"][0][key]
    return page


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "maiia availabilities: expected dict, got list"),
        ({"data": [], "total": 0}, "maiia availabilities: missing field 'items'"),
        ({"items": []}, "maiia availabilities: missing field 'total'"),
        ({"items": [], "total": "3"}, "field 'total' should be int, got str"),
        ({"items": [], "total": -2}, "maiia availabilities: absurd field 'total' -2"),
        ({"items": ["2026-10-23T07:00:00Z"], "total": 1}, "items[]: expected dict, got str"),
        (_without("startDateTime"), "items[]: missing field 'startDateTime'"),
        (_without("id"), "maiia availabilities.items[]: missing field 'id'"),
        (_item(id=17), "field 'id' should be str, got int"),
        (_item(startDateTime="26/10/2026 09:00"), "startDateTime: unreadable datetime"),
        (_item(startDateTime="3026-10-23T07:00:00.000Z"), "startDateTime: absurd datetime"),
        (_item(endDateTime="2026-10-23T06:00:00.000Z"), "bad value for 'end'"),
    ],
)
def test_bad_availabilities_are_parse_errors(payload: Any, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse.parse_availabilities(parse.parse_page(payload, "availabilities"), "Rappel", URL)


def _centre(**changes: Any) -> parse.Page:
    item = load("maiia", "hcd-page-0.json")["items"][0]
    item["center"].update(changes)
    return parse.Page((item,), 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: parse.parse_centres(parse.Page(({"center": {}},), 1), BASE),
            "missing field 'type'",
        ),
        (lambda: parse.parse_centres(_centre(id=4120), BASE), "field 'id' should be str, got int"),
        (lambda: parse.parse_centres(_centre(url=None), BASE), "'url' should be str, got NoneType"),
        (lambda: parse.parse_centres(_centre(name="  "), BASE), "bad value for 'name'"),
        (
            lambda: parse.parse_centres(
                _centre(publicInformation={"address": {"location": {"coordinates": [2.3]}}}), BASE
            ),
            "field 'coordinates' should be [lon, lat]",
        ),
        (
            lambda: parse.parse_centres(_centre(publicInformation="12 rue Pasteur"), BASE),
            "field 'publicInformation' should be dict, got str",
        ),
        (
            lambda: parse.parse_reasons(parse.Page(({"id": "a", "name": 3},), 1)),
            "maiia consultation-reason-hcd.items[]: field 'name' should be str, got int",
        ),
    ],
)
def test_bad_centres_and_reasons_are_parse_errors(call: Any, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        call()
