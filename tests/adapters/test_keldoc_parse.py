"""Keldoc's pure parsers on this project's recorded answers and on broken shapes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aggregator.models import Status
from scrapers.errors import ParseError
from scrapers.keldoc import parse
from tests.adapters.recorded import (
    KELDOC_DST_NOW,
    KELDOC_LOCAL_NOW,
    KELDOC_URL,
    WEEK,
    keldoc_motive,
    keldoc_poll,
    load,
)

BASE = "https://booking.keldoc.example"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_listing_pages_sections_and_fields() -> None:
    first = parse.parse_listing(load("keldoc", "listing-page-1.json"), BASE)
    last = parse.parse_listing(load("keldoc", "listing-page-2.json"), BASE)
    assert first.has_next and not last.has_next
    # a centre listed in two sections comes twice; the adapter keeps it once
    assert [loc.id for loc in first.locations] == ["keldoc:4120", "keldoc:4187", "keldoc:4120"]
    lyon, marseille, _ = first.locations
    (bastia,) = last.locations
    assert (lyon.area, marseille.area, bastia.area) == ("69", "13", "2B")
    assert lyon.address == "8 place de la Croix-Rousse"
    assert (lyon.lat, lyon.lon) == (45.7772, 4.8277)
    assert lyon.extra == {"specialty_ids": "144,9310"}
    assert lyon.booking_url == BASE + "/centre-de-vaccination/lyon-69004/croix-rousse"
    assert marseille.phone == "+33491901234" and lyon.phone == ""


def test_cabinets_and_motives_merge_over_cabinets() -> None:
    assert parse.parse_clinic(load("keldoc", "clinic-4120.json")) == [144, 9310]
    assert parse.parse_cabinets(load("keldoc", "cabinets-4120.json")) == [30411, 30412]
    # the teleconsultation and the motive without agenda are not on-site slots
    (only,) = parse.parse_motive_categories(load("keldoc", "motive-categories-30411.json"))
    assert only == parse.MotiveQuery(91001, "Rappel vaccin grippe (65 ans et +)", (61001, 61002))
    merged = keldoc_motive()
    assert merged.agenda_ids == (61001, 61002, 61007)


def test_dst_week_counts_instants_and_capacity() -> None:
    result = keldoc_poll(KELDOC_DST_NOW, "timetable-dst-week.json")
    assert result.status is Status.OK
    assert [s.start for s in result.slots] == [
        utc(2026, 3, 27, 8, 0),  # 09:00+01:00, on two agendas: one slot of capacity 2
        utc(2026, 3, 27, 16, 40),
        utc(2026, 3, 29, 8, 20),  # 10:20+02:00, the day summer time starts
        utc(2026, 3, 30, 12, 5),  # listed twice on the same agenda: once
    ]
    assert [s.capacity for s in result.slots] == [2, 1, 1, 1]
    assert {s.appointment_type for s in result.slots} == {"rappel-vaccin-grippe-65-ans-et"}
    assert all(s.booking_url == KELDOC_URL for s in result.slots)
    assert result.slots[0].end == utc(2026, 3, 27, 8, 10)


def test_only_slots_from_now_to_the_horizon() -> None:
    later = keldoc_poll(utc(2026, 3, 29, 9, 0), "timetable-dst-week.json")
    assert [s.start for s in later.slots] == [utc(2026, 3, 30, 12, 5)]
    # the horizon is exclusive: a week before a slot's start does not see it
    first = utc(2026, 3, 27, 8, 0)
    just_in = keldoc_poll(first - WEEK + timedelta(minutes=1), "timetable-dst-week.json")
    assert [s.start for s in just_in.slots] == [first]
    assert keldoc_poll(first - WEEK, "timetable-dst-week.json").slots == ()


def test_local_times_without_offset_are_paris_time() -> None:
    result = keldoc_poll(KELDOC_LOCAL_NOW, "timetable-local-times.json")
    assert [s.start for s in result.slots] == [
        utc(2026, 10, 24, 14, 30),  # 16:30 summer time
        utc(2026, 10, 25, 0, 30),  # 02:30 happens twice that night: the first one
        utc(2026, 10, 25, 8, 0),  # 09:00 winter time
    ]
    assert all(s.start.utcoffset() is not None for s in result.slots)


def test_next_availability_pointer() -> None:
    answer = parse.parse_timetable(load("keldoc", "timetable-next-availability.json"), "x", "")
    assert answer.slots == () and not answer.phone_only
    assert answer.next_date == utc(2026, 4, 2, 9, 45)
    result = keldoc_poll(KELDOC_DST_NOW, "timetable-next-availability.json")
    assert result.status is Status.NO_SLOTS and result.slots == ()


def test_phone_only_is_never_zero_slots() -> None:
    result = keldoc_poll(KELDOC_DST_NOW, "timetable-phone-only.json")
    assert result.status is Status.PHONE_ONLY
    assert result.phone == "+33491901234" and "phone" in result.message
    # another motive bookable online wins: the place has slots
    mixed = keldoc_poll(KELDOC_DST_NOW, "timetable-phone-only.json", "timetable-dst-week.json")
    assert mixed.status is Status.OK and len(mixed.slots) == 4 and mixed.phone == ""


def test_empty_answer_is_no_slots() -> None:
    assert parse.parse_timetable({}, "x", "") == parse.Timetable()
    assert parse.parse_timetable({"availabilities": []}, "x", "") == parse.Timetable()
    assert keldoc_poll(KELDOC_DST_NOW, "timetable-empty.json").status is Status.NO_SLOTS


def _slot(**fields: Any) -> dict[str, Any]:
    return {"availabilities": {"2026-03-27": [fields]}}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "keldoc timetable: expected dict, got list"),
        ({"slots_by_day": {}}, "keldoc timetable: missing field 'availabilities'"),
        ({"availabilities": "none"}, "keldoc timetable.availabilities: expected dict, got str"),
        ({"availabilities": {"27/03": []}}, "keldoc timetable.availabilities key: unreadable date"),
        ({"availabilities": {"2026-03-27": {}}}, "keldoc timetable.availabilities[2026-03-27]"),
        (_slot(start="2026-03-27T09:00:00"), "missing field 'start_time'"),
        (_slot(start_time=1774598400), "field 'start_time' should be str, got int"),
        (_slot(start_time="demain 9h"), "start_time: unreadable datetime 'demain 9h'"),
        (_slot(start_time="1970-01-01T00:00:00Z"), "start_time: absurd datetime"),
        (_slot(start_time="2026-03-27T09:00:00", agenda_id="a"), "'agenda_id' should be int"),
        (
            _slot(start_time="2026-03-27T09:00:00", end_time="2026-03-27T08:00:00"),
            "keldoc timetable.availabilities[][]: bad value for 'end'",
        ),
        ({"date": 20260402}, "keldoc timetable.date: datetime should be a string"),
        ({"phone_number": 33491901234}, "keldoc timetable.phone_number: expected str"),
    ],
)
def test_bad_timetables_are_parse_errors(payload: Any, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse.parse_timetable(payload, "Rappel", KELDOC_URL)


def _centre(**changes: Any) -> dict[str, Any]:
    centre = load("keldoc", "listing-page-2.json")["results"]["section_1"]["data"][0]
    centre.update(changes)
    return {"options": {}, "results": {"section_1": {"data": [centre]}}}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: parse.parse_listing({"options": {}, "sections": {}}, BASE),
            "missing field 'results'",
        ),
        (
            lambda: parse.parse_listing(_centre(id="5311"), BASE),
            "field 'id' should be int, got str",
        ),
        (lambda: parse.parse_listing(_centre(coordinates="nord"), BASE), "'coordinates' 'nord'"),
        (lambda: parse.parse_listing(_centre(coordinates="95.1,2"), BASE), "bad value for 'lat'"),
        (lambda: parse.parse_listing(_centre(title=""), BASE), "bad value for 'name'"),
        (lambda: parse.parse_listing(_centre(specialty_ids=["144"]), BASE), "specialty_ids[]"),
        (lambda: parse.parse_cabinets({"id": 1}), "keldoc cabinets: expected list, got dict"),
        (
            lambda: parse.parse_clinic({"specialities": []}),
            "keldoc clinic: missing field 'specialties'",
        ),
        (lambda: parse.parse_clinic({"specialties": [{"id": "144"}]}), "clinic.specialties[]"),
        (lambda: parse.parse_cabinets([{"name": "x"}]), "keldoc cabinets[]: missing field 'id'"),
        (
            lambda: parse.parse_motive_categories({"motives": []}),
            "keldoc motive_categories: expected list, got dict",
        ),
        (
            lambda: parse.parse_motive_categories([{"motive_list": []}]),
            "keldoc motive_categories[]: missing field 'motives'",
        ),
        (
            lambda: parse.parse_motive_categories(
                [{"motives": [{"id": 1, "name": "x", "agendas": [{"id": True}]}]}]
            ),
            "keldoc motive_categories[].motives[].agendas[]: field 'id' should be int, got bool",
        ),
        (
            lambda: parse.parse_motive_categories(
                [{"motives": [{"id": 1, "name": "x", "teleconsultation": "no", "agendas": []}]}]
            ),
            "field 'teleconsultation' should be bool, got str",
        ),
    ],
)
def test_bad_listing_cabinets_and_motives_are_parse_errors(call: Any, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        call()
