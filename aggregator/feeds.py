"""Atom feeds (feeds/<area>.atom) announcing newly released slots.

The entries come from the store's change-events stream; parsing an entry is pure and the
XML is built with ElementTree, which escapes every text and attribute. A feed's
``updated`` is its newest entry's time, never the render time, so an unchanged feed keeps
its bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from aggregator.models import Location, Slot
from cache.slot_codec import decode_slots

ATOM_NS = "http://www.w3.org/2005/Atom"
ENTRIES_PER_FEED = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReleaseEvent:
    """Slots a poll found that the previous poll did not have."""

    event_id: str
    location_id: str
    area: str
    at: datetime
    released: tuple[Slot, ...]
    released_count: int


def parse_event(event_id: str, fields: Mapping[str, str]) -> ReleaseEvent | None:
    """A stream entry as the store writes it; None for entries that released nothing."""
    try:
        count = int(fields.get("released_count", "0"))
        at = datetime.fromtimestamp(float(fields["at"]), UTC)
        slots = decode_slots(fields.get("released"))
        return (
            ReleaseEvent(event_id, fields["location_id"], fields.get("area", ""), at, slots,
                         count)
            if count > 0
            else None
        )
    except (KeyError, ValueError):
        return None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def area_feed(
    area_code: str,
    title: str,
    events: Iterable[ReleaseEvent],
    locations: Mapping[str, Location],
    page_of: Callable[[str], str],
    entry_title: Callable[[int, str], str],
    fmt_time: Callable[[datetime], str],
) -> bytes:
    """The feed of one area, newest first. Links are relative to the site root
    (``page_of`` gives a location's path); the feed lives under feeds/."""
    chosen = sorted(
        (e for e in events if e.area == area_code), key=lambda e: (e.at, e.event_id),
        reverse=True,
    )[:ENTRIES_PER_FEED]
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", f"urn:slotradar:feed:{area_code}")
    _sub(feed, "title", title)
    _sub(feed, "updated", _iso(chosen[0].at if chosen else _EPOCH))
    _sub(feed, "link", rel="alternate", href=f"../area/{area_code}.html")
    _sub(feed, "link", rel="self", href=f"{area_code}.atom")
    author = _sub(feed, "author")
    _sub(author, "name", "slotradar")
    for event in chosen:
        location = locations.get(event.location_id)
        name = location.name if location else event.location_id
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"urn:slotradar:event:{event.event_id}")
        _sub(entry, "title", entry_title(event.released_count, name))
        _sub(entry, "updated", _iso(event.at))
        _sub(entry, "link", rel="alternate", href="../" + page_of(event.location_id))
        lines = [fmt_time(s.start) + f" ({s.appointment_type})" for s in event.released[:10]]
        _sub(entry, "summary", "; ".join(lines), type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
