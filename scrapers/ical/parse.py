"""iCalendar availability feeds -> free slots, and the configured calendars -> locations.

Free time in a feed is either a VEVENT marked free (SUMMARY starting with a marker such as
``FREE``, or ``TRANSP:TRANSPARENT``) or a VFREEBUSY ``FREEBUSY;FBTYPE=FREE`` period, cut
into slots of the calendar's length. Everything else (busy events, FBTYPE=BUSY,
cancelled events, all-day events) is not a slot. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aggregator.models import Location, Slot
from aggregator.normalize import area_from_postcode, normalize_phone, slugify
from scrapers.errors import ParseError
from scrapers.ical.ics import (
    Component,
    Prop,
    Zones,
    fail,
    parse_duration,
    parse_ics,
    parse_naive,
    split_text_list,
    unescape,
)
from scrapers.ical.recur import occurrences
from scrapers.localtime import PARIS, localize

PLATFORM = "ical"
MAX_SLOTS = 50_000


class CalendarConfig(BaseModel):
    """One location: a feed URL and what the feed does not say about the place."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[^\s]+$", max_length=200)
    name: str = Field(min_length=1, max_length=300)
    url: str = ""
    postcode: str = ""
    city: str = ""
    address: str = ""
    area: str = ""
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    booking_url: str = ""
    phone: str = ""
    phone_only: bool = False
    slot_minutes: int | None = Field(default=None, ge=1, le=1440)
    appointment_type: str = ""


class FeedOptions(BaseModel):
    """``ProviderSettings.options`` of the ical provider."""

    model_config = ConfigDict(extra="forbid")

    calendars: list[CalendarConfig] = Field(default_factory=list)
    free_marker: str = "FREE"
    transparent_is_free: bool = True
    slot_minutes: int = Field(default=15, ge=1, le=1440)
    appointment_type: str = "general"


@dataclass(frozen=True)
class FeedRules:
    """How to read one feed: what marks free time, how long a slot is, defaults."""

    free_marker: str = "FREE"
    transparent_is_free: bool = True
    slot_minutes: int = 15
    appointment_type: str = "general"
    booking_url: str = ""


def read_options(options: dict[str, Any]) -> FeedOptions:
    try:
        return FeedOptions.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ParseError(f"ical options.{where}: {first['msg']}") from exc


def locations_from_options(options: dict[str, Any]) -> list[Location]:
    """The configured calendars as locations; the feed's URL and rules ride in ``extra``."""
    feed = read_options(options)
    out: dict[str, Location] = {}
    for cal in feed.calendars:
        if not cal.url and not cal.phone_only:
            raise ParseError(f"ical options.calendars[{cal.id}]: needs url (or phone_only)")
        out[cal.id] = Location(
            id=Location.make_id(PLATFORM, cal.id),
            platform=PLATFORM,
            upstream_id=cal.id,
            name=cal.name,
            address=cal.address,
            postcode=cal.postcode,
            city=cal.city,
            area=cal.area or area_from_postcode(cal.postcode),
            lat=cal.lat,
            lon=cal.lon,
            booking_url=cal.booking_url,
            phone=normalize_phone(cal.phone),
            extra={
                "url": cal.url,
                "phone_only": "1" if cal.phone_only else "",
                "slot_minutes": str(cal.slot_minutes or feed.slot_minutes),
                "appointment_type": cal.appointment_type or feed.appointment_type,
            },
        )
    return list(out.values())


def rules_for(location: Location, options: dict[str, Any]) -> FeedRules:
    feed = read_options({**options, "calendars": []})
    try:
        minutes = int(location.extra.get("slot_minutes") or feed.slot_minutes)
    except ValueError as exc:
        raise ParseError(f"ical location {location.id}: bad extra 'slot_minutes'") from exc
    return FeedRules(
        free_marker=feed.free_marker,
        transparent_is_free=feed.transparent_is_free,
        slot_minutes=max(1, minutes),
        appointment_type=location.extra.get("appointment_type") or feed.appointment_type,
        booking_url=location.booking_url,
    )


def _text(event: Component, name: str) -> str:
    prop = event.get(name)
    return unescape(prop.value).strip() if prop else ""


def _is_free(event: Component, rules: FeedRules) -> bool:
    if _text(event, "STATUS").upper() == "CANCELLED":
        return False
    marker = rules.free_marker.strip().upper()
    if marker and _text(event, "SUMMARY").upper().startswith(marker):
        return True
    return rules.transparent_is_free and _text(event, "TRANSP").upper() == "TRANSPARENT"


def _kind(event: Component, rules: FeedRules) -> str:
    for prop in event.all("CATEGORIES"):
        names = split_text_list(prop.value)
        if names:
            return slugify(names[0])
    summary = _text(event, "SUMMARY")
    marker = rules.free_marker.strip()
    if marker and summary.upper().startswith(marker.upper()):
        rest = summary[len(marker) :].strip(" :-–—")
        if rest:
            return slugify(rest)
    return slugify(rules.appointment_type)


def _slot(start: datetime, end: datetime | None, kind: str, url: str, where: str) -> Slot:
    if end is not None and end < start:
        raise fail(f"{where}: ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return Slot(start=start, end=end, appointment_type=kind, booking_url=url)


def _event_slots(
    event: Component, zones: Zones, rules: FeedRules,
    window: tuple[datetime, datetime] | None, overridden: set[tuple[str, datetime]],
) -> list[Slot]:
    """The slots of one free VEVENT: itself, or each occurrence of its recurrence that no
    RECURRENCE-ID instance of the same UID replaces."""
    where = "VEVENT"
    dtstart = event.get("DTSTART")
    if dtstart is None:
        raise fail(f"{where}: missing DTSTART")
    start = zones.instant(dtstart, f"{where}.DTSTART")
    if start is None:
        return []  # an all-day "free" marker is not a bookable slot
    length: timedelta | None = None
    dtend, duration = event.get("DTEND"), event.get("DURATION")
    if dtend is not None:
        end = zones.instant(dtend, f"{where}.DTEND")
        length = None if end is None else end - start
    elif duration is not None:
        length = parse_duration(duration.value, f"{where}.DURATION")
    if length is not None and length < timedelta(0):
        raise fail(f"{where}: ends before it starts ({start.isoformat()})")
    uid = _text(event, "UID")
    starts = [start]
    if event.get("RECURRENCE-ID") is None and (event.get("RRULE") or event.get("RDATE")):
        since, last = window if window is not None else (None, start + timedelta(days=366))
        starts = [t for t in occurrences(event, start, zones, last, since)
                  if (uid, t) not in overridden]
    kind, url = _kind(event, rules), _text(event, "URL") or rules.booking_url
    return [_slot(t, None if length is None else t + length, kind, url, where) for t in starts]


def _overrides(events: list[Component], zones: Zones) -> set[tuple[str, datetime]]:
    """(UID, original start) of every occurrence a RECURRENCE-ID instance replaces."""
    found: set[tuple[str, datetime]] = set()
    for event in events:
        prop = event.get("RECURRENCE-ID")
        if prop is not None:
            instant = zones.instant(prop, "VEVENT.RECURRENCE-ID")
            if instant is not None:
                found.add((_text(event, "UID"), instant))
    return found


def _period_bound(raw: str, where: str) -> datetime:
    naive, utc = parse_naive(raw, where)
    return naive.replace(tzinfo=UTC) if utc else localize(naive, PARIS, f"ical {where}")


def _free_periods(prop: Prop) -> list[tuple[datetime, datetime]]:
    where = "VFREEBUSY.FREEBUSY"
    out: list[tuple[datetime, datetime]] = []
    for period in prop.value.split(","):
        first, sep, second = period.strip().partition("/")
        if not sep:
            raise fail(f"{where}: period {period[:40]!r} is not start/end or start/duration")
        start = _period_bound(first, where)
        if second.lstrip("+-").startswith("P"):
            end = start + parse_duration(second, where)
        else:
            end = _period_bound(second, where)
        if end < start:
            raise fail(f"{where}: period {period[:40]!r} ends before it starts")
        out.append((start, end))
    return out


def _split(
    start: datetime, end: datetime, rules: FeedRules, window: tuple[datetime, datetime] | None
) -> list[Slot]:
    length = timedelta(minutes=rules.slot_minutes)
    kind = slugify(rules.appointment_type)
    if window is not None and start < window[0]:
        # keep the slot grid anchored on the period start while skipping what is past
        start += length * ((window[0] - start) // length)
    stop = end if window is None else min(end, window[1] + length)
    out: list[Slot] = []
    while start + length <= stop:
        out.append(Slot(start=start, end=start + length, appointment_type=kind,
                        booking_url=rules.booking_url))
        start += length
        if len(out) > MAX_SLOTS:
            raise fail("VFREEBUSY: free period splits into an absurd number of slots")
    return out


def _coverage(busy: Component) -> None:
    """DTSTART/DTEND of a VFREEBUSY bound the information it carries: they must read."""
    bounds = [_period_bound(p.value, f"VFREEBUSY.{p.name}")
              for p in (busy.get("DTSTART"), busy.get("DTEND")) if p is not None]
    if len(bounds) == 2 and bounds[1] < bounds[0]:
        raise fail("VFREEBUSY: DTEND before DTSTART")


def parse_feed(
    text: str, rules: FeedRules, window: tuple[datetime, datetime] | None = None
) -> list[Slot]:
    """Every free slot in a feed (optionally only around ``window``), unsorted."""
    calendar = parse_ics(text)
    zones = Zones(calendar)
    events = calendar.walk("VEVENT")
    overridden = _overrides(events, zones)
    slots: list[Slot] = []
    for event in events:
        if _is_free(event, rules):
            slots.extend(_event_slots(event, zones, rules, window, overridden))
    for busy in calendar.walk("VFREEBUSY"):
        _coverage(busy)
        for prop in busy.all("FREEBUSY"):
            if prop.params.get("FBTYPE", "BUSY").upper() != "FREE":
                continue
            for start, end in _free_periods(prop):
                slots.extend(_split(start, end, rules, window))
    return slots
