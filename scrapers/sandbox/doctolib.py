"""Doctolib emulator: search listing, booking/<slug>.json and availabilities.json.

Drift (``faults.plan("doctolib").drift``) renames ``visit_motives`` to ``visitMotives`` in
booking pages and ``doctors`` to ``results`` in the listing, as a breaking API change would:
the parser must reject it (ParseError), never read it as "no motive, no slot".
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from aiohttp import web

from aggregator.clock import Clock
from scrapers.sandbox.faults import FaultState
from scrapers.sandbox.world import PARIS, Place, World

PLATFORM = "doctolib"
PER_PAGE = 5  # small pages, so a ten-place world already pages


def _motive_id(place: Place, motive: str) -> int:
    return 1000 + place.motives.index(motive)


def _practice_id(place: Place) -> int:
    return int(place.upstream_id) * 10 + 1


def _agenda_id(place: Place) -> int:
    return int(place.upstream_id) * 100 + 1


def make_app(world: World, clock: Clock, faults: FaultState) -> web.Application:
    app = web.Application(middlewares=[faults.middleware(PLATFORM)])
    places = world.places.get(PLATFORM, [])
    # lookups by the keys requests carry: a linear scan per request cost more than the
    # answer itself once a world has thousands of places
    by_slug = {p.slug: p for p in places}
    by_practice = {_practice_id(p): p for p in places}
    # A booking page depends only on the place and the drift switch: rendered once each.
    booking_bytes: dict[tuple[str, bool], bytes] = {}

    async def search(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        chunk = places[(page - 1) * PER_PAGE : page * PER_PAGE]
        doctors = [
            {
                "id": int(p.upstream_id),
                "link": f"/centre-de-sante/{p.city.lower()}/{p.slug}",
                "name_with_title": p.name,
                "address": p.address,
                "zipcode": p.postcode,
                "city": p.city,
                "position": {"lat": p.lat, "lng": p.lon},
                "phone_number": p.phone,
            }
            for p in chunk
        ]
        listing = "results" if faults.plan(PLATFORM).drift else "doctors"
        return web.json_response({"data": {listing: doctors, "total": len(places)}})

    async def booking(request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        place = by_slug.get(slug)
        if place is None:
            return web.json_response({"error": "not found"}, status=404)
        drift = faults.plan(PLATFORM).drift
        body = booking_bytes.get((slug, drift))
        if body is None:
            body = booking_bytes[slug, drift] = json.dumps(booking_page(place, drift)).encode()
        return web.Response(body=body, content_type="application/json")

    def booking_page(place: Place, drift: bool) -> dict[str, object]:
        motives = [
            {"id": _motive_id(place, m), "name": m, "ref_visit_motive_id": 6970 + i}
            for i, m in enumerate(place.motives)
        ]
        practice = _practice_id(place)
        agendas = [
            {
                "id": _agenda_id(place),
                "practice_id": practice,
                "booking_disabled": place.phone_only,
                "visit_motive_ids_by_practice_id": {
                    str(practice): [_motive_id(place, m) for m in place.motives]
                },
            }
        ]
        return {
            "data": {
                "profile": {"id": place.upstream_id, "name_with_title": place.name},
                "visit_motive_categories": [],
                ("visitMotives" if drift else "visit_motives"): motives,
                "agendas": agendas,
                "places": [
                    {
                        "id": f"practice-{practice}",
                        "practice_ids": [practice],
                        "address": place.address,
                        "full_address": f"{place.address}, {place.postcode} {place.city}",
                        "zipcode": place.postcode,
                        "city": place.city,
                        "phone_number": place.phone,
                    }
                ],
            }
        }

    async def availabilities(request: web.Request) -> web.Response:
        try:
            start_day = date.fromisoformat(request.query["start_date"])
            motive_id = int(request.query["visit_motive_ids"])
            practice_id = int(request.query["practice_ids"])
            agenda_ids = {int(a) for a in request.query["agenda_ids"].split("-")}
            limit = min(int(request.query.get("limit", "7")), 15)
        except (KeyError, ValueError):
            return web.json_response({"error": "bad parameters"}, status=400)
        place = by_practice.get(practice_id)
        if place is None:
            return web.json_response({"error": "not found"}, status=404)
        if _agenda_id(place) not in agenda_ids:  # as upstream: the wrong agendas see nothing
            return web.json_response({"availabilities": [], "total": 0})
        motive = next((m for m in place.motives if _motive_id(place, m) == motive_id), None)
        if motive is None:
            return web.json_response({"availabilities": [], "total": 0})
        now = clock.now()
        start = datetime.combine(start_day, datetime.min.time(), PARIS)
        end = start + timedelta(days=limit)
        free = world.free_slots(place, now, max(start, now), end, motive)
        days = []
        for offset in range(limit):
            day = start_day + timedelta(days=offset)
            day_slots = [s for s in free if s.start.astimezone(PARIS).date() == day]
            rendered: list[object] = [
                s.start.astimezone(PARIS).isoformat(timespec="milliseconds") for s in day_slots
            ]
            if day_slots:
                rendered.extend(faults.plan(PLATFORM).absurd_slots)
            days.append({"date": day.isoformat(), "slots": rendered})
        body: dict[str, object] = {"availabilities": days, "total": len(free)}
        if not free:
            later = world.free_slots(place, now, end, end + timedelta(days=28), motive)
            if later:
                body["next_slot"] = (
                    later[0].start.astimezone(PARIS).isoformat(timespec="milliseconds")
                )
        return web.json_response(body)

    app.router.add_get("/search.json", search)
    app.router.add_get("/booking/{slug}.json", booking)
    app.router.add_get("/availabilities.json", availabilities)
    return app
