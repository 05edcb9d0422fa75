"""iCalendar emulator: one feed per world place, ``/<upstream id>.ics``.

A place's first motive is published as VFREEBUSY ``FBTYPE=FREE`` periods (contiguous free
slots merged, in UTC) with the booked ones as ``FBTYPE=BUSY``; its other motives as VEVENTs
in ``TZID=Romance Standard Time`` (a Windows name only the feed's VTIMEZONE explains):
free ones ``SUMMARY:FREE`` or ``TRANSP:TRANSPARENT`` with CATEGORIES, booked ones opaque.
Lines are folded at 75 octets. Drift writes DATE-TIMEs in ISO 8601 extended form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from aggregator.clock import Clock
from scrapers.sandbox.faults import FaultState
from scrapers.sandbox.world import PARIS, Place, SlotTruth, World

PLATFORM = "ical"
HORIZON_DAYS = 14
TZID = "Romance Standard Time"
VTIMEZONE = (
    "BEGIN:VTIMEZONE", f"TZID:{TZID}",
    "BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
    "BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT",
    "END:VTIMEZONE",
)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 folding: at most 75 octets a line, continuation lines start with a space."""
    if len(line) <= 75 and line.isascii():
        return line
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _utc(when: datetime, drift: bool) -> str:
    value = when.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ" if drift else "%Y%m%dT%H%M%SZ")


def _local(when: datetime, drift: bool) -> str:
    return when.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M:%S" if drift else "%Y%m%dT%H%M%S")


def _periods(slots: list[SlotTruth], minutes: int) -> list[tuple[datetime, datetime]]:
    length = timedelta(minutes=minutes)
    periods: list[tuple[datetime, datetime]] = []
    for slot in slots:
        if periods and periods[-1][1] == slot.start:
            periods[-1] = (periods[-1][0], slot.start + length)
        else:
            periods.append((slot.start, slot.start + length))
    return periods


def _freebusy(place: Place, shown: list[SlotTruth], now: datetime, drift: bool) -> list[str]:
    motive = place.motives[0]
    mine = [s for s in shown if s.motive == motive]
    lines = ["BEGIN:VFREEBUSY", f"UID:fb-{place.upstream_id}@sandbox.slotradar",
             f"DTSTAMP:{_utc(now, drift)}", f"DTSTART:{_utc(now, drift)}",
             f"DTEND:{_utc(now + timedelta(days=HORIZON_DAYS), drift)}"]
    for fbtype, group in (("FREE", [s for s in mine if s.free_at(now)]),
                          ("BUSY", [s for s in mine if not s.free_at(now)])):
        periods = _periods(group, place.slot_minutes)
        for i in range(0, len(periods), 4):  # several periods per line, several lines
            values = ",".join(
                f"{_utc(a, drift)}/{_utc(b, drift)}" if j % 2 else
                f"{_utc(a, drift)}/PT{int((b - a).total_seconds() // 60)}M"
                for j, (a, b) in enumerate(periods[i : i + 4])
            )
            lines.append(f"FREEBUSY;FBTYPE={fbtype}:{values}")
    lines.append("END:VFREEBUSY")
    return lines


def _event(place: Place, slot: SlotTruth, now: datetime, drift: bool) -> list[str]:
    start = f"DTSTART;TZID={TZID}:{_local(slot.start, drift)}"
    end = f"DTEND;TZID={TZID}:{_local(slot.end, drift)}"
    index = place.motives.index(slot.motive)
    uid = f"UID:{place.upstream_id}-{int(slot.start.timestamp())}-{index}@sandbox.slotradar"
    body = ["BEGIN:VEVENT", uid, f"DTSTAMP:{_utc(now, drift)}", start, end]
    if not slot.free_at(now):
        body += ["SUMMARY:Réservé", "TRANSP:OPAQUE"]
    elif int(slot.start.timestamp()) // 60 % 2:
        body += [f"SUMMARY:FREE: {_escape(slot.motive)}", "TRANSP:OPAQUE"]
    else:
        body += ["SUMMARY:Créneau disponible\\, réservez en ligne", "TRANSP:TRANSPARENT",
                 f"CATEGORIES:{_escape(slot.motive)},Vaccination"]
    body += [f"URL:https://agenda.example.org/{place.slug}", "END:VEVENT"]
    return body


def render(place: Place, world: World, now: datetime, drift: bool) -> str:
    shown = world.released_slots(place, now, now, now + timedelta(days=HORIZON_DAYS))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//slotradar//sandbox agenda//FR",
             f"X-WR-CALNAME:{_escape(place.name)}", *VTIMEZONE]
    if not place.phone_only:
        lines += _freebusy(place, shown, now, drift)
        for slot in shown:
            if slot.motive != place.motives[0]:
                lines += _event(place, slot, now, drift)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def sandbox_options(world: World, base_url: str) -> dict[str, Any]:
    """The ical provider's ``options`` for this world: one calendar per place."""
    return {
        "calendars": [
            {
                "id": p.upstream_id, "name": p.name, "url": f"{base_url}/{p.upstream_id}.ics",
                "postcode": p.postcode, "city": p.city, "address": p.address,
                "lat": p.lat, "lon": p.lon, "phone": p.phone, "phone_only": p.phone_only,
                "booking_url": f"https://agenda.example.org/{p.slug}",
                "slot_minutes": p.slot_minutes, "appointment_type": p.motives[0],
            }
            for p in world.places.get(PLATFORM, [])
        ]
    }


def make_app(world: World, clock: Clock, faults: FaultState) -> web.Application:
    app = web.Application(middlewares=[faults.middleware(PLATFORM)])

    async def feed(request: web.Request) -> web.Response:
        place = world.place(PLATFORM, request.match_info["ident"])
        if place is None:
            raise web.HTTPNotFound()
        text = render(place, world, clock.now(), faults.plan(PLATFORM).drift)
        return web.Response(text=text, content_type="text/calendar", charset="utf-8")

    app.router.add_get("/{ident}.ics", feed)
    return app
