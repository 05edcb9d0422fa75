"""Mapharma emulator: the open-data listing and ``calendar/<campaign>/<date>/<option>``.

Each world motive of a pharmacy is one campaign (id = upstream id * 10 + motive index,
option 1); a calendar answers ``CALENDAR_DAYS`` days from its date, booked slots included
with ``places_dispo: 0``, dates in no particular order, ``[]`` when empty. Drift reshapes
the calendar into a list of days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web

from aggregator.clock import Clock
from scrapers.sandbox.faults import FaultState
from scrapers.sandbox.world import PARIS, Place, SlotTruth, World

PLATFORM = "mapharma"
CALENDAR_DAYS = 7
SITE = "https://mapharma.net"


def campaign_id(place: Place, motive: str) -> int:
    return int(place.upstream_id) * 10 + place.motives.index(motive)


def _pharmacy(place: Place, world: World, now: datetime) -> dict[str, object]:
    campaigns: list[dict[str, object]] = []
    for motive in () if place.phone_only else place.motives:
        ident = campaign_id(place, motive)
        upcoming = world.free_slots(place, now, now, now + timedelta(days=14), motive)
        campaigns.append({
            "id_campagne": ident,
            "id_type": 1,
            "nom": motive,
            "debut": "2020-01-01",
            "fin": "2030-12-31",
            "prochain_libre": upcoming[0].start.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            if upcoming else None,
            "total_libres": len(upcoming),
            "url": f"{SITE}/{place.upstream_id}?c={ident}&l=1",
        })
    return {
        "nom": place.name,
        "adresse": place.address,
        "code_postal": place.postcode,
        "ville": place.city.upper(),
        "latitude": place.lat,
        "longitude": place.lon,
        "telephone": place.phone.replace("+33", "0"),
        "horaires": "lundi: 08:00 – 20:00\ndimanche: Fermé",
        "url": f"{SITE}/{place.upstream_id}",
        "campagnes": campaigns,
    }


def _entry(slot: SlotTruth, now: datetime) -> dict[str, object]:
    local = slot.start.astimezone(PARIS)
    places = slot.capacity if slot.free_at(now) else 0
    return {
        "id": int(slot.start.timestamp()) // 60,
        "time": local.strftime("%H:%M"),
        "textDay": local.strftime("%A %d %B"),
        "places_dispo": places,
    }


def make_app(world: World, clock: Clock, faults: FaultState) -> web.Application:
    app = web.Application(middlewares=[faults.middleware(PLATFORM)])
    places = world.places.get(PLATFORM, [])
    by_campaign = {campaign_id(p, m): (p, m) for p in places for m in p.motives}

    async def open_data(request: web.Request) -> web.Response:
        now = clock.now()
        return web.json_response({
            "artifact_date": now.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S"),
            "data": [_pharmacy(p, world, now) for p in places],
        })

    async def calendar(request: web.Request) -> web.Response:
        try:
            found = by_campaign.get(int(request.match_info["campaign"]))
            first = date.fromisoformat(request.match_info["day"])
            option = int(request.match_info["option"])
        except ValueError:
            return web.json_response({"error": "bad parameters"}, status=400)
        if found is None or option != 1:
            return web.json_response({"error": "campagne inconnue"}, status=404)
        place, motive = found
        now = clock.now()
        start = datetime.combine(first, datetime.min.time(), PARIS)
        shown = world.released_slots(
            place, now, max(start, now), start + timedelta(days=CALENDAR_DAYS), motive
        )
        days: dict[str, list[dict[str, object]]] = {}
        for slot in shown:
            key = slot.start.astimezone(PARIS).date().isoformat()
            days.setdefault(key, []).append(_entry(slot, now))
        if faults.plan(PLATFORM).drift:  # a v2 API: a list of days instead of the date map
            return web.json_response(
                {"calendrier": [{"date": k, "creneaux": v} for k, v in sorted(days.items())]}
            )
        if not days:
            return web.json_response([])
        return web.json_response(dict(reversed(days.items())))

    app.router.add_get("/opendata", open_data)
    app.router.add_get("/calendar/{campaign}/{day}/{option}", calendar)
    return app
