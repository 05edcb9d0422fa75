"""Mapharma's pure parsers on this project's own fixtures (tests/fixtures/mapharma/)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from scrapers.errors import ParseError
from scrapers.mapharma.parse import (
    Campaign,
    campaigns_of,
    parse_calendar,
    parse_open_data,
    upstream_id_from_url,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mapharma"
FLU = Campaign(4411, 1, "Vaccination grippe saisonnière", "https://mapharma.net/35400-3?c=4411&l=1")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_open_data_lists_every_pharmacy_with_its_campaign_options() -> None:
    found = {loc.upstream_id: loc for loc in parse_open_data(load("open_data.json"))}
    assert sorted(found) == ["20090", "35400-3", "97200-1"]
    malo = found["35400-3"]
    assert malo.id == "mapharma:35400-3" and malo.area == "35" and malo.phone == "+33299001122"
    assert [(c.id, c.option) for c in campaigns_of(malo)] == [(4411, 1), (4411, 2)]
    assert malo.appointment_types == (
        "vaccination-grippe-saisonniere", "vaccination-grippe-65-ans-et-plus"
    )
    assert found["20090"].area == "2A" and campaigns_of(found["20090"]) == []
    assert found["97200-1"].area == "972" and found["97200-1"].lon == pytest.approx(-61.0731)


def test_campaign_dates_bound_the_calendars_worth_asking() -> None:
    malo = next(p for p in parse_open_data(load("open_data.json")) if p.upstream_id == "35400-3")
    flu = campaigns_of(malo)[0]
    assert (flu.first_day, flu.last_day) == (date(2026, 3, 1), date(2026, 4, 30))
    assert flu.open_between(date(2026, 4, 28), date(2026, 5, 4))
    assert not flu.open_between(date(2026, 5, 1), date(2026, 5, 7))
    assert not flu.open_between(date(2026, 2, 20), date(2026, 2, 28))
    assert Campaign(1, 1, "x", "").open_between(date(2000, 1, 1), date(2000, 1, 2))


def test_calendar_localizes_paris_time_across_the_spring_change() -> None:
    slots = sorted(parse_calendar(load("calendar_spring_dst.json"), FLU), key=lambda s: s.start)
    assert [(s.start.astimezone(UTC), s.capacity) for s in slots] == [
        (datetime(2026, 3, 28, 8, 0, tzinfo=UTC), 1),  # 09:00 CET
        (datetime(2026, 3, 28, 16, 40, tzinfo=UTC), 3),
        (datetime(2026, 3, 29, 7, 0, tzinfo=UTC), 2),  # 09:00 CEST, the day of the change
        (datetime(2026, 3, 30, 6, 45, tzinfo=UTC), 1),
    ]
    assert {s.appointment_type for s in slots} == {"vaccination-grippe-saisonniere"}
    assert {s.booking_url for s in slots} == {FLU.url}


def test_calendar_autumn_ambiguous_hour_is_the_first_occurrence() -> None:
    starts = sorted(s.start.astimezone(UTC) for s in
                    parse_calendar(load("calendar_autumn_dst.json"), FLU))
    assert starts == [
        datetime(2026, 10, 24, 16, 15, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 still CEST
        datetime(2026, 10, 25, 7, 0, tzinfo=UTC),  # 08:00 CET
    ]


def test_empty_calendar_is_php_empty_list() -> None:
    assert parse_calendar(load("calendar_empty.json"), FLU) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"2026-03-28": [{"id": 1, "time": "09:00"}]}, "places_dispo"),
        ({"2026-03-28": [{"id": 1, "places_dispo": 1}]}, "time"),
        ({"2026-03-28": [{"id": 1, "time": "9h", "places_dispo": 1}]}, "time"),
        ({"2026-03-28": [{"id": 1, "time": "09:00", "places_dispo": "1"}]}, "places_dispo"),
        ({"2026-03-28": [{"id": 1, "time": "09:00", "places_dispo": True}]}, "places_dispo"),
        ({"2026-03-28": [{"id": 1, "time": "09:00", "places_dispo": -2}]}, "places_dispo"),
        ({"28/03/2026": []}, "28/03/2026"),
        ({"9999-03-28": []}, "absurd date"),
        ({"2026-03-28": {"time": "09:00"}}, "list of slots"),
        ({"2026-03-29": [{"id": 1, "time": "02:30", "places_dispo": 1}]}, "does not exist"),
        ({"calendrier": [{"date": "2026-03-28", "creneaux": []}]}, "calendrier"),
        ("oops", "date map"),
        ({"2026-03-28": ["09:00"]}, "expected an object"),
    ],
)
def test_bad_calendars_raise_parse_error_naming_the_field(payload: Any, field: str) -> None:
    with pytest.raises(ParseError, match="mapharma") as err:
        parse_calendar(payload, FLU)
    assert field in str(err.value)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"artifact_date": "x"}, "data"),
        ({"data": [{"nom": "P", "campagnes": []}]}, "url"),
        ({"data": [{"nom": "P", "url": "https://mapharma.net/1", "campagnes": {}}]}, "campagnes"),
        ({"data": [{"nom": "P", "url": "https://mapharma.net/1",
                    "campagnes": [{"id_campagne": "7", "id_type": 1}]}]}, "id_campagne"),
        ({"data": [{"url": "https://mapharma.net/1", "campagnes": []}]}, "nom"),
        ({"data": [{"nom": "P", "url": "https://mapharma.net/1", "campagnes": [
            {"id_campagne": 7, "id_type": 1, "fin": "31/12/2026"}]}]}, "campagnes[].fin"),
        ({"data": [{"nom": "x" * 400, "url": "https://mapharma.net/1", "campagnes": []}]},
         "data[1]"),
        ([], "expected an object"),
    ],
)
def test_bad_listings_raise_parse_error(payload: Any, field: str) -> None:
    with pytest.raises(ParseError, match="mapharma") as err:
        parse_open_data(payload)
    assert field in str(err.value)


def test_pharmacy_id_is_its_page_name() -> None:
    assert upstream_id_from_url("https://mapharma.net/02100-2?c=93&l=1") == "02100-2"
    with pytest.raises(ParseError):
        upstream_id_from_url("https://mapharma.net/")
