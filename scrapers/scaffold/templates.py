"""The files ``slotradar adapter new NAME`` writes, as ``string.Template`` texts.

Placeholders: ``$name`` (platform id), ``$cls`` (CamelCase), ``$display`` (human name).
The emulator speaks a deliberately simple JSON format (documented in its docstring) so
the skeleton runs end to end at once; replace it with the platform's real format.
"""

from __future__ import annotations

ADAPTER = '''"""$display adapter.

<How the platform is read, in a line or two.> Fetch only: parsing lives in parse.py.
"""

from __future__ import annotations

from datetime import datetime

from aggregator.models import Location, PollResult
from scrapers.base import Adapter

from .parse import (
    PLATFORM,
    SlotsPage,
    parse_locations,
    parse_slots,
    poll_result,
)

MAX_PAGES = 200  # a runaway "next_page" must not poll forever


class ${cls}Adapter(Adapter):
    platform = PLATFORM
    display_name = "$display"

    async def discover(self) -> list[Location]:
        found: dict[str, Location] = {}
        page: int | None = 1
        for _ in range(MAX_PAGES):
            if page is None:
                break
            payload = await self.client.get_json("locations.json", {"page": page})
            listing = parse_locations(payload, self.client.base_url)
            found.update((loc.id, loc) for loc in listing.locations)
            page = listing.next_page
        return list(found.values())

    async def poll(self, location: Location, now: datetime) -> PollResult:
        horizon = self.horizon(now)
        pages: list[SlotsPage] = []
        page: int | None = 1
        while page is not None and len(pages) < MAX_PAGES:
            payload = await self.client.get_json(
                f"locations/{location.upstream_id}/slots.json",
                {"from": now.isoformat(), "to": horizon.isoformat(), "page": page},
            )
            parsed = parse_slots(payload, location.booking_url)
            pages.append(parsed)
            page = parsed.next_page
        return poll_result(pages, now, horizon, requests=len(pages))
'''

PARSE = '''"""$display payloads -> normalized models.

Pure functions, no I/O.

Raise ``ParseError`` (see ``fail``: "<platform> <where>: <what>") for any shape, type or
value you do not expect: a KeyError or ValidationError escaping from here is a bug the
contract kit reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aggregator.models import Location, PollResult, Slot, Status
from scrapers.errors import ParseError

PLATFORM = "$name"


@dataclass(frozen=True)
class LocationsPage:
    locations: tuple[Location, ...]
    next_page: int | None


@dataclass(frozen=True)
class SlotsPage:
    slots: tuple[Slot, ...]
    phone_only: bool
    phone: str
    next_page: int | None


def parse_locations(payload: Any, base_url: str) -> LocationsPage:
    """One page of the listing. Ids: ``Location.make_id(PLATFORM, <upstream id>)``."""
    raise NotImplementedError(f"TODO({PLATFORM}): parse the listing into Locations")


def parse_slots(payload: Any, booking_url: str) -> SlotsPage:
    """One page of free slots: aware starts (no offset means Europe/Paris), one Slot each,
    ``appointment_type=aggregator.normalize.slugify(<motive name>)``."""
    raise NotImplementedError(f"TODO({PLATFORM}): parse free slots, phone-only notice")


def poll_result(
    pages: Iterable[SlotsPage], now: datetime, horizon: datetime, requests: int
) -> PollResult:
    """Merge pages: slots in [now, horizon), unique and sorted; phone-only wins."""
    listed = list(pages)
    if any(page.phone_only for page in listed):
        phone = next((page.phone for page in listed if page.phone), "")
        return PollResult(status=Status.PHONE_ONLY, phone=phone, valid_at=now,
                          requests=requests)
    found = {slot for page in listed for slot in page.slots if now <= slot.start < horizon}
    slots = tuple(sorted(found, key=Slot.sort_key))
    return PollResult(status=Status.OK if slots else Status.NO_SLOTS, slots=slots,
                      valid_at=now, requests=requests)


def fail(where: str, what: str) -> ParseError:
    return ParseError(f"{PLATFORM} {where}: {what}")
'''

EMULATOR = '''"""$display emulator.

Skeleton format: replace it with the platform's real one.

``GET /$name/locations.json?page=N`` ->
    ``{"locations": [{"id", "name", "address", "postcode", "city", "lat", "lon", "phone"}],
      "next_page": N+1 | null}``
``GET /$name/locations/<id>/slots.json?from=ISO&to=ISO&page=N`` ->
    ``{"phone_only": bool, "phone": str,
      "slots": [{"start": ISO with offset, "end": ISO, "motive": str, "capacity": int}],
      "next_page": N+1 | null}``
Drift (``faults.plan(PLATFORM).drift``) renames ``slots`` to ``availabilities``: a
breaking change the parser must reject with ParseError.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from aggregator.clock import Clock
from scrapers.sandbox.faults import FaultState
from scrapers.sandbox.world import World

PLATFORM = "$name"
LOCATIONS_PER_PAGE = 4  # small pages, so tests page for real
SLOTS_PER_PAGE = 25


def _page(request: web.Request) -> int:
    try:
        return max(1, int(request.query.get("page", "1")))
    except ValueError:
        raise web.HTTPBadRequest(text="page must be an integer") from None


def make_app(world: World, clock: Clock, faults: FaultState) -> web.Application:
    app = web.Application(middlewares=[faults.middleware(PLATFORM)])
    places = world.places.get(PLATFORM, [])

    async def locations(request: web.Request) -> web.Response:
        page = _page(request)
        chunk = places[(page - 1) * LOCATIONS_PER_PAGE : page * LOCATIONS_PER_PAGE]
        more = page * LOCATIONS_PER_PAGE < len(places)
        return web.json_response({
            "locations": [
                {"id": p.upstream_id, "name": p.name, "address": p.address,
                 "postcode": p.postcode, "city": p.city, "lat": p.lat, "lon": p.lon,
                 "phone": p.phone}
                for p in chunk
            ],
            "next_page": page + 1 if more else None,
        })

    async def slots(request: web.Request) -> web.Response:
        place = world.place(PLATFORM, request.match_info["id"])
        if place is None:
            raise web.HTTPNotFound(text="no such location")
        try:
            start = datetime.fromisoformat(request.query["from"])
            end = datetime.fromisoformat(request.query["to"])
        except (KeyError, ValueError):
            raise web.HTTPBadRequest(text="from and to must be ISO datetimes") from None
        page = _page(request)
        free = world.free_slots(place, clock.now(), start, end)
        chunk = free[(page - 1) * SLOTS_PER_PAGE : page * SLOTS_PER_PAGE]
        key = "availabilities" if faults.plan(PLATFORM).drift else "slots"
        return web.json_response({
            "phone_only": place.phone_only,
            "phone": place.phone,
            key: [
                {"start": s.start.isoformat(), "end": s.end.isoformat(), "motive": s.motive,
                 "capacity": s.capacity}
                for s in chunk
            ],
            "next_page": page + 1 if page * SLOTS_PER_PAGE < len(free) else None,
        })

    app.router.add_get("/locations.json", locations)
    app.router.add_get("/locations/{id}/slots.json", slots)
    return app
'''

CONTRACT_TEST = '''"""$display through the contract kit.

See tests/contract/kit.py for what the kit checks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.models import PollResult, Status
from scrapers.$name.parse import parse_slots, poll_result
from tests.contract.kit import AdapterContract, RecordedCase, load_fixture

PLATFORM = "$name"
BOOKING_URL = "https://booking.example/book"
NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


def replay(*names: str) -> PollResult:
    """The pure side of a poll on recorded pages, as the adapter would merge them."""
    pages = [parse_slots(load_fixture(PLATFORM, name), BOOKING_URL) for name in names]
    return poll_result(pages, NOW, NOW + timedelta(days=7), requests=len(pages))


class Test${cls}Contract(AdapterContract):
    platform = PLATFORM
    discovers = True
    compares_motives = True

    def recorded_cases(self) -> list[RecordedCase]:
        return [
            RecordedCase("two pages: past and beyond-horizon slots dropped",
                         lambda: replay("slots-page1.json", "slots-page2.json"),
                         Status.OK, 3, datetime(2026, 5, 4, 7, 0, tzinfo=UTC)),
            RecordedCase("phone only", lambda: replay("slots-phone-only.json"),
                         Status.PHONE_ONLY, 0, None),
        ]
'''

FIXTURES: dict[str, str] = {
    "locations.json": """{
  "locations": [
    {"id": "A17", "name": "Pharmacie des Lices", "address": "4 place des Lices",
     "postcode": "35000", "city": "Rennes", "lat": 48.1126, "lon": -1.6831,
     "phone": "+33299001122"}
  ],
  "next_page": null
}
""",
    "slots-page1.json": """{
  "phone_only": false,
  "phone": "+33299001122",
  "slots": [
    {"start": "2026-05-04T07:30:00+02:00", "end": "2026-05-04T07:45:00+02:00",
     "motive": "Rappel", "capacity": 1},
    {"start": "2026-05-04T09:00:00+02:00", "end": "2026-05-04T09:15:00+02:00",
     "motive": "Rappel", "capacity": 2}
  ],
  "next_page": 2
}
""",
    "slots-page2.json": """{
  "phone_only": false,
  "phone": "+33299001122",
  "slots": [
    {"start": "2026-05-05T10:15:00+02:00", "end": "2026-05-05T10:30:00+02:00",
     "motive": "Première injection", "capacity": 1},
    {"start": "2026-05-06T14:00:00+02:00", "end": "2026-05-06T14:15:00+02:00",
     "motive": "Rappel", "capacity": 1},
    {"start": "2026-05-12T09:00:00+02:00", "end": "2026-05-12T09:15:00+02:00",
     "motive": "Rappel", "capacity": 1}
  ],
  "next_page": null
}
""",
    "slots-phone-only.json": """{
  "phone_only": true,
  "phone": "+33299003344",
  "slots": [],
  "next_page": null
}
""",
}
