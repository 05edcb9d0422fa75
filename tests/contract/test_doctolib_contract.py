"""Doctolib through the contract kit, plus what only Doctolib has (jumps, categories)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from aggregator.models import PollResult, Status
from scrapers.doctolib.parse import (
    AvailabilityPage,
    first_start,
    next_start,
    parse_availabilities,
    parse_booking,
    parse_search,
    poll_result,
)
from scrapers.errors import ParseError
from tests.contract.kit import CLOCKS, AdapterContract, RecordedCase, load_fixture

URL = "https://doctolib.example/centre/x"


def fixture(name: str) -> Any:
    return load_fixture("doctolib", name)


def replay(booking_file: str, pages: dict[str, list[str]], now: datetime) -> PollResult:
    """What the adapter does with recorded answers: the recorded pages of each motive, in
    order, each asked only if ``next_start`` says a live poll would ask for it."""
    booking = parse_booking(fixture(booking_file))
    horizon = now + timedelta(days=7)
    parsed: list[AvailabilityPage] = []
    for query in booking.queries:
        start: date | None = first_start(now)
        jumped = False
        for name in pages[query.motive_id]:
            assert start is not None, f"{name}: the adapter would not have asked"
            page = parse_availabilities(fixture(name), query.motive_name, URL)
            parsed.append(page)
            start, jumped = next_start(page, start, horizon, jumped)
    return poll_result(booking, parsed, now, horizon, 1 + len(parsed))


class TestDoctolibContract(AdapterContract):
    platform = "doctolib"
    discovers = True
    compares_motives = True

    def recorded_cases(self) -> list[RecordedCase]:
        return [
            RecordedCase(
                "basic: past slot dropped, string and object forms deduplicated",
                lambda: replay("basic-booking.json", {"17": ["basic-availabilities.json"]},
                               datetime(2026, 11, 9, 7, 0, tzinfo=UTC)),
                Status.OK, 3, datetime(2026, 11, 9, 8, 15, tzinfo=UTC),
            ),
            RecordedCase(
                "category: several motives, agendas merged, naive Paris times across DST",
                lambda: replay("category-booking.json", {
                    "51": ["category-availabilities-51.json"],
                    "52": ["category-availabilities-52.json"],
                    "53": ["category-availabilities-53.json"],
                }, datetime(2026, 3, 28, 9, 0, tzinfo=UTC)),
                Status.OK, 4, datetime(2026, 3, 28, 10, 0, tzinfo=UTC),
            ),
            RecordedCase(
                "next_slot: empty week, one jump, slot past the horizon dropped",
                lambda: replay("next-slot-booking.json", {"88": [
                    "next-slot-availabilities.json", "next-slot-availabilities-jump.json"]},
                    datetime(2026, 6, 1, 6, 0, tzinfo=UTC)),
                Status.OK, 2, datetime(2026, 6, 4, 8, 40, tzinfo=UTC),
            ),
            RecordedCase(
                "booking with doctors: every agenda disabled is phone only",
                lambda: replay("booking-with-doctors.json", {},
                               datetime(2026, 2, 2, 8, 0, tzinfo=UTC)),
                Status.PHONE_ONLY, 0, None,
            ),
        ]


def test_category_queries_merge_agendas_and_skip_disabled_ones() -> None:
    queries = parse_booking(fixture("category-booking.json")).queries
    assert [(q.motive_id, q.agenda_ids) for q in queries] == [
        ("51", ("61",)), ("52", ("61", "62")), ("53", ("62",))]
    assert {q.practice_id for q in queries} == {"7702"}


def test_phone_only_booking_gives_the_first_place_phone() -> None:
    booking = parse_booking(fixture("booking-with-doctors.json"))
    assert booking.phone_only and booking.phone == "+33472001122"


def test_naive_local_times_are_paris_summer_or_winter() -> None:
    pages = [parse_availabilities(fixture(f"category-availabilities-{m}.json"), "x", URL)
             for m in ("51", "52")]
    starts = sorted({s.start for p in pages for s in p.slots})
    assert starts[0] == datetime(2026, 3, 28, 10, 0, tzinfo=UTC)  # CET, UTC+1
    assert starts[1] == datetime(2026, 3, 29, 7, 30, tzinfo=UTC)  # CEST, UTC+2


def test_jump_past_the_horizon_ends_the_search() -> None:
    page = parse_availabilities({"availabilities": [], "next_slot": "2026-07-01T09:00:00+02:00"},
                                "x", URL)
    horizon = datetime(2026, 6, 8, 6, 0, tzinfo=UTC)
    assert next_start(page, date(2026, 6, 1), horizon, False) == (None, True)


def test_search_listing_maps_postcodes_to_areas() -> None:
    found = parse_search(fixture("search.json"), "https://doctolib.example")
    assert [(loc.id, loc.area) for loc in found] == [
        ("doctolib:300211", "35"), ("doctolib:300212", "2A")]
    assert found[0].phone == "+33299001234"
    assert found[1].booking_url.endswith("/centre-de-sante/ajaccio/centre-de-sante-du-cours")


@pytest.mark.parametrize("payload, field", [
    ({"data": {"visitMotives": [], "agendas": []}}, "'visit_motives'"),
    ({"data": {"visit_motives": [{"id": "2"}], "agendas": []}}, "'id'"),
    ({"data": {"visit_motives": [], "agendas": [{"id": True}]}}, "'id'"),
    ({"data": {"visit_motives": [], "agendas": [
        {"id": 1, "visit_motive_ids_by_practice_id": {"9": 3}}]}}, "practice '9'"),
    ([], "should be an object"),
])
def test_broken_booking_names_the_field(payload: Any, field: str) -> None:
    with pytest.raises(ParseError, match=f"doctolib booking.*{field}"):
        parse_booking(payload)


@pytest.mark.parametrize("slot", ["2026-04-10", "tomorrow", 1712736000, {"begin": "x"}, None])
def test_unusable_slot_values_are_parse_errors(slot: Any) -> None:
    with pytest.raises(ParseError, match="doctolib availabilities"):
        parse_availabilities({"availabilities": [{"slots": [slot]}]}, "x", URL)


async def test_drift_is_a_parse_error_naming_the_field() -> None:
    contract = TestDoctolibContract()
    async with contract.harness(CLOCKS["winter"]) as h:
        locations = await h.adapter.discover()
        await h.faults(drift=True)
        for location in locations:
            with pytest.raises(ParseError, match="'visit_motives'"):
                await h.adapter.poll(location, h.clock.now())
        with pytest.raises(ParseError, match="'doctors'"):
            await h.adapter.discover()
