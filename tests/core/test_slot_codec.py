"""The compact slot text round-trips every field, reads the older format, and is small."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aggregator.models import Slot
from cache.slot_codec import decode_slots, encode_slots

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 3, 28, 9, 0, tzinfo=PARIS)  # the day before the DST change


def slots() -> tuple[Slot, ...]:
    return (
        Slot(start=T0, appointment_type="vaccin", booking_url="https://a.example/1"),
        Slot(start=T0 + timedelta(days=1, minutes=15), end=T0 + timedelta(days=1, minutes=45),
             appointment_type="vaccin", capacity=7, booking_url="https://a.example/1"),
        Slot(start=datetime(2026, 3, 30, 8, 0, 0, 500_000, tzinfo=UTC),
             appointment_type="dépistage", booking_url=""),
    )


def test_every_field_round_trips() -> None:
    decoded = decode_slots(encode_slots(slots()))
    assert decoded == slots()
    assert [s.start.utcoffset() for s in decoded] == [s.start.utcoffset() for s in slots()]
    assert [s.start.isoformat() for s in decoded] == [s.start.isoformat() for s in slots()]


def test_no_slots_is_empty_text() -> None:
    assert encode_slots(()) == ""
    assert decode_slots("") == () and decode_slots(None) == ()


def test_reads_lists_written_before_the_compact_format() -> None:
    old = json.dumps([s.model_dump(mode="json") for s in slots()])
    assert decode_slots(old) == slots()


def test_repeated_urls_and_types_are_stored_once() -> None:
    url = "https://partners.example.org/centre-de-vaccination-lyon-100123"
    many = tuple(Slot(start=T0 + timedelta(minutes=15 * k), appointment_type="vaccin",
                      booking_url=url) for k in range(40))
    text = encode_slots(many)
    assert text.count(url) == 1
    assert len(text) < 40 * 30  # verbose JSON was ~200 bytes a slot
    assert decode_slots(text) == many
