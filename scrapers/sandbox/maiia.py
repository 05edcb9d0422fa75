"""Maiia emulator: paged centre listing, consultation reasons and availabilities.

Centre ids are ``Place.upstream_id``. A world slot of capacity *c* is *c* availability
items (one per practitioner) at the same instant, so pages often end in the middle of an
instant. Every list answers ``{items, total}`` with at most ``PAGE_SIZE`` items a page.
Phone-only places list no consultation reason.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from aiohttp import web

from aggregator.clock import Clock
from aggregator.normalize import slugify
from scrapers.sandbox.faults import FaultState
from scrapers.sandbox.world import Place, World

PLATFORM = "maiia"
PAGE_SIZE = 10
MAX_RANGE = timedelta(days=60)
INJECTIONS = {"Première injection": "FIRST", "Deuxième injection": "SECOND", "Rappel": "THIRD"}
TELECONSULTATION = "Téléconsultation post-vaccinale"


def object_id(*parts: object) -> str:
    """A stable 24-hex id, shaped like Maiia's (MongoDB) ids."""
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=12).hexdigest()


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _centre(place: Place) -> dict[str, object]:
    return {
        "id": place.upstream_id,
        "name": place.name,
        "url": f"/centre-de-vaccination/{place.postcode}-{slugify(place.city)}/"
        f"{slugify(place.name)}",
        "speciality": {"code": "VAC01", "shortName": "centre-de-vaccination"},
        "childCenters": [],
        "publicInformation": {
            "address": {
                "fullAddress": place.address,
                "zipCode": place.postcode,
                "city": place.city,
                "location": {"type": "Point", "coordinates": [place.lon, place.lat]},
            },
            "officeInformation": {"phoneNumber": "0" + place.phone.removeprefix("+33")},
        },
    }


def _reasons(place: Place) -> list[dict[str, object]]:
    if place.phone_only:
        return []
    reasons: list[dict[str, object]] = [
        {
            "id": object_id(place.upstream_id, motive),
            "name": motive,
            "position": i,
            "consultationType": "PHYSICAL",
            "patientLimitation": "PUBLIC",
            "allowAvailabilitiesXHoursBefore": 1008,
            "injectionType": INJECTIONS.get(motive, "FIRST"),
        }
        for i, motive in enumerate(place.motives)
    ]
    if int(place.upstream_id) % 4 == 1:
        reasons.insert(
            0,
            {
                "id": object_id(place.upstream_id, TELECONSULTATION),
                "name": TELECONSULTATION,
                "position": 9,
                "consultationType": "TELECONSULTATION",
            },
        )
    return reasons


def _page(request: web.Request, items: list[object], key: str) -> web.Response:
    limit = max(1, min(int(request.query.get("limit", str(PAGE_SIZE))), PAGE_SIZE))
    page = max(0, int(request.query.get("page", "0")))
    chunk = items[page * limit : (page + 1) * limit]
    return web.json_response({key: chunk, "total": len(items)})


def make_app(world: World, clock: Clock, faults: FaultState) -> web.Application:
    app = web.Application(middlewares=[faults.middleware(PLATFORM)])
    places = world.places.get(PLATFORM, [])
    by_id = {p.upstream_id: p for p in places}

    def items_key() -> str:
        return "data" if faults.plan(PLATFORM).drift else "items"

    listing: list[object] = []
    for index, place in enumerate(places):
        if index % 5 == 2:  # practitioners are listed among the centres
            listing.append(
                {
                    "type": "PRACTITIONER",
                    "practitioner": {"id": object_id("dr", index), "name": f"Dr {place.city}"},
                }
            )
        listing.append(
            {
                "type": "CENTER",
                "center": _centre(place),
                "consultationReasons": [{"name": m} for m in place.motives],
            }
        )

    async def hcd(request: web.Request) -> web.Response:
        return _page(request, listing, items_key())

    async def consultation_reasons(request: web.Request) -> web.Response:
        place = by_id.get(request.query.get("rootCenterId", ""))
        if place is None:
            return web.json_response({"error": "not found"}, status=404)
        return _page(request, list(_reasons(place)), items_key())

    async def availabilities(request: web.Request) -> web.Response:
        try:
            place = by_id.get(request.query["centerId"])
            reason = request.query["consultationReasonName"]
            start = datetime.fromisoformat(request.query["from"])
            end = datetime.fromisoformat(request.query["to"])
        except (KeyError, ValueError):
            return web.json_response({"error": "bad parameters"}, status=400)
        if place is None:
            return web.json_response({"error": "not found"}, status=404)
        if start.tzinfo is None or end.tzinfo is None or not start <= end <= start + MAX_RANGE:
            return web.json_response({"error": "bad range"}, status=400)
        if reason not in place.motives:
            return _page(request, [], items_key())
        now = clock.now()
        start_key = "startDate" if faults.plan(PLATFORM).drift else "startDateTime"
        items: list[object] = []
        for slot in world.free_slots(place, now, max(start, now), end, reason):
            for seat in range(slot.capacity):
                items.append(
                    {
                        "id": object_id(place.upstream_id, slot.start.isoformat(), reason, seat),
                        "practitionerId": object_id("practitioner", place.upstream_id, seat),
                        "centerId": place.upstream_id,
                        "consultationReasonId": object_id(place.upstream_id, reason),
                        start_key: _stamp(slot.start),
                        "endDateTime": _stamp(slot.start + timedelta(minutes=place.slot_minutes)),
                        "creationDate": _stamp(slot.released_at),
                    }
                )
        return _page(request, items, items_key())

    app.router.add_get("/api/pat-public/hcd", hcd)
    app.router.add_get("/api/pat-public/consultation-reason-hcd", consultation_reasons)
    app.router.add_get("/api/pat-public/availabilities", availabilities)
    return app
