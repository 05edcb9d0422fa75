"""SMART Scheduling Links emulator: a ``$bulk-publish`` manifest and NDJSON files.

Places are published in files of ``PER_FILE`` (so a manifest lists several files per
resource type); one Schedule per world motive; slots released by now up to ``HORIZON_DAYS``
ahead, booked ones as ``busy``. Phone-only places are published without a Schedule.
``transactionTime`` is the clock's now. Drift renames the manifest's ``url`` to ``href``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from aggregator.clock import Clock
from scrapers.sandbox.faults import FaultState
from scrapers.sandbox.world import PARIS, Place, World

PLATFORM = "smart_scheduling_links"
PER_FILE = 4
HORIZON_DAYS = 8  # published ahead: more than the default 7-day horizon
EXT = "http://fhir-registry.smarthealthit.org/StructureDefinition/"


def _ndjson(resources: list[dict[str, object]]) -> web.Response:
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in resources)
    return web.Response(text=body, content_type="application/fhir+ndjson")


def _location(place: Place) -> dict[str, object]:
    return {
        "resourceType": "Location",
        "id": place.upstream_id,
        "name": place.name,
        "telecom": [
            {"system": "phone", "value": place.phone},
            *([] if place.phone_only else
              [{"system": "url", "value": f"https://rdv.example.org/{place.slug}"}]),
        ],
        "address": {"line": [place.address], "city": place.city, "postalCode": place.postcode,
                    "district": place.area, "country": "FR"},
        "position": {"latitude": place.lat, "longitude": place.lon},
    }


def _schedules(place: Place) -> list[dict[str, object]]:
    return [
        {
            "resourceType": "Schedule",
            "id": f"{place.upstream_id}-{i}",
            "actor": [{"reference": f"Location/{place.upstream_id}"}],
            "serviceType": [{
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/service-type",
                            "code": "57", "display": "Immunization"}],
                "text": motive,
            }],
        }
        for i, motive in enumerate(() if place.phone_only else place.motives)
    ]


def _slots(world: World, place: Place, now: datetime) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for slot in world.released_slots(place, now, now, now + timedelta(days=HORIZON_DAYS)):
        index = place.motives.index(slot.motive)
        ident = f"{place.upstream_id}-{index}-{int(slot.start.timestamp())}"
        extensions: list[dict[str, object]] = [
            {"url": EXT + "booking-deep-link", "valueUrl": f"https://rdv.example.org/s/{ident}"},
        ]
        if place.capacity > 1:
            extensions.append({"url": EXT + "slot-capacity", "valueInteger": place.capacity})
        out.append({
            "resourceType": "Slot",
            "id": ident,
            "schedule": {"reference": f"Schedule/{place.upstream_id}-{index}"},
            "status": "free" if slot.free_at(now) else "busy",
            "start": slot.start.astimezone(PARIS).isoformat(),
            "end": slot.end.astimezone(PARIS).isoformat(),
            "extension": extensions,
        })
        if place.phone_only is False and index == 0 and slot.free_at(now):
            extensions.append({"url": EXT + "booking-phone", "valueString": place.phone})
    return out


def sandbox_options(world: World, base_url: str) -> dict[str, Any]:
    """Under a real clock ``transactionTime`` moves every second: re-read the manifest at
    most every 15 s so the demo does not re-download every file on every poll."""
    return {"manifest_max_age": 15}


def make_app(world: World, clock: Clock, faults: FaultState) -> web.Application:
    app = web.Application(middlewares=[faults.middleware(PLATFORM)])
    places = world.places.get(PLATFORM, [])
    chunks = [places[i : i + PER_FILE] for i in range(0, len(places), PER_FILE)]

    def chunk(request: web.Request) -> list[Place]:
        index = int(request.match_info["index"])
        if not 0 <= index < len(chunks):
            raise web.HTTPNotFound()
        return chunks[index]

    async def manifest(request: web.Request) -> web.Response:
        base = str(request.url).rsplit("/", 1)[0]
        key = "href" if faults.plan(PLATFORM).drift else "url"
        output = [
            {"type": kind, key: f"{base}/{name}-{i}.ndjson"}
            for kind, name in (("Location", "locations"), ("Schedule", "schedules"),
                               ("Slot", "slots"))
            for i in range(len(chunks))
        ]
        now = clock.now().astimezone(UTC).replace(microsecond=0)
        return web.json_response({
            "transactionTime": now.isoformat().replace("+00:00", "Z"),
            "request": str(request.url),
            "output": output,
            "error": [],
        })

    async def locations(request: web.Request) -> web.Response:
        return _ndjson([_location(p) for p in chunk(request)])

    async def schedules(request: web.Request) -> web.Response:
        return _ndjson([s for p in chunk(request) for s in _schedules(p)])

    async def slots(request: web.Request) -> web.Response:
        now = clock.now()
        return _ndjson([s for p in chunk(request) for s in _slots(world, p, now)])

    app.router.add_get("/$bulk-publish", manifest)
    app.router.add_get("/locations-{index:\\d+}.ndjson", locations)
    app.router.add_get("/schedules-{index:\\d+}.ndjson", schedules)
    app.router.add_get("/slots-{index:\\d+}.ndjson", slots)
    return app
