"""Slots as stored in Redis: one compact JSON array per location, not a dict per slot.

A busy place holds 40+ slots; as ``model_dump`` JSON each costs ~250 bytes (field names,
an ISO date, the same booking URL and type repeated), which put 100,000 busy places over
a GiB. Here a slot is six integers into tables written once per list::

    [1, [types...], [booking urls...], [utc offsets, minutes...],
        start_epoch, duration_s (-1: no end), type_i, capacity, url_i, offset_i, ...]

so the text is ~25 bytes a slot and decoding needs no validation (we wrote it). Lists
written before this format (a JSON list of slot objects) still decode. Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from aggregator.models import Slot

VERSION = 1
_FIELDS = 6
_ZONES: dict[int, timezone] = {}


def _zone(minutes: int) -> timezone:
    zone = _ZONES.get(minutes)
    if zone is None:
        zone = _ZONES[minutes] = UTC if minutes == 0 else timezone(timedelta(minutes=minutes))
    return zone


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else round(value, 6)


def encode_slots(slots: Sequence[Slot]) -> str:
    """The compact text of ``slots``, in the order given (deterministic: equal lists give
    equal text, so the text can feed a content digest)."""
    if not slots:
        return ""
    tables: tuple[dict[str, int], dict[str, int], dict[int, int]] = ({}, {}, {})
    types, urls, zones = tables
    flat: list[int | float] = []
    for slot in slots:
        offset = slot.start.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        flat += (
            _number(slot.start.timestamp()),
            -1 if slot.end is None else _number((slot.end - slot.start).total_seconds()),
            types.setdefault(slot.appointment_type, len(types)),
            slot.capacity,
            urls.setdefault(slot.booking_url, len(urls)),
            zones.setdefault(minutes, len(zones)),
        )
    return json.dumps([VERSION, list(types), list(urls), list(zones), *flat],
                      separators=(",", ":"), ensure_ascii=False)


def decode_slots(raw: str | bytes | None) -> tuple[Slot, ...]:
    """Slots from ``encode_slots`` text, or from the older list of slot objects."""
    if not raw:
        return ()
    data = json.loads(raw)
    if not data:
        return ()
    if isinstance(data[0], dict):  # the format before VERSION 1
        return tuple(Slot.model_validate(item) for item in data)
    _, types, urls, zones, *flat = data
    tz = [_zone(m) for m in zones]
    out = []
    for i in range(0, len(flat), _FIELDS):
        start_ts, duration, kind, capacity, url, zone = flat[i : i + _FIELDS]
        start = datetime.fromtimestamp(start_ts, tz[zone])
        out.append(Slot.model_construct(
            start=start,
            end=None if duration < 0 else start + timedelta(seconds=duration),
            appointment_type=types[kind],
            capacity=capacity,
            booking_url=urls[url],
        ))
    return tuple(out)
