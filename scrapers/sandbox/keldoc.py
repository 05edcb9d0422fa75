"""Keldoc emulator: search listing, cabinets, motive categories and timetables.

Each world place is a clinic (id = ``Place.upstream_id``) with one specialty, one or two
cabinets holding one or two agendas each; every motive is offered in every cabinet with
that cabinet's agendas, and each world slot belongs to exactly one agenda, so a timetable
asked for some agendas shows only theirs. Timetables answer in Keldoc's three forms.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web

from aggregator.clock import Clock
from scrapers.sandbox.faults import FaultState
from scrapers.sandbox.world import PARIS, Place, SlotTruth, World

PLATFORM = "keldoc"
PER_PAGE = 10
SPECIALTY = 144
MAX_WINDOW_DAYS = 7
LOOKAHEAD_DAYS = 28  # how far the "next availability" pointer looks
TELECONSULTATION = "Téléconsultation de suivi"


def cabinet_ids(place: Place) -> list[int]:
    base = int(place.upstream_id) * 100
    return [base] if int(place.upstream_id) % 3 else [base, base + 1]


def agenda_ids(place: Place, cabinet: int) -> list[int]:
    first = 50 + (cabinet % 100) * 2 + int(place.upstream_id) * 100
    return [first, first + 1] if int(place.upstream_id) % 2 else [first]


def all_agendas(place: Place) -> list[int]:
    return [a for c in cabinet_ids(place) for a in agenda_ids(place, c)]


def motive_id(place: Place, motive: str) -> int:
    return int(place.upstream_id) * 10 + place.motives.index(motive)


def agenda_of(place: Place, slot: SlotTruth) -> int:
    agendas = all_agendas(place)
    minute = int(slot.start.timestamp()) // 60
    return agendas[(minute + place.motives.index(slot.motive)) % len(agendas)]


def _national(phone: str) -> str:
    """+33144556677 -> 01 44 55 66 77, as Keldoc shows it."""
    digits = "0" + phone.removeprefix("+33")
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _stamp(when: datetime) -> str:
    return when.astimezone(PARIS).isoformat(timespec="milliseconds")


def make_app(world: World, clock: Clock, faults: FaultState) -> web.Application:
    app = web.Application(middlewares=[faults.middleware(PLATFORM)])
    places = world.places.get(PLATFORM, [])
    by_clinic = {int(p.upstream_id): p for p in places}
    by_motive = {motive_id(p, m): (p, m) for p in places for m in p.motives}

    def drifted() -> bool:
        return faults.plan(PLATFORM).drift

    async def listing(request: web.Request) -> web.Response:
        page = max(1, int(request.query.get("page", "1")))
        chunk = places[(page - 1) * PER_PAGE : page * PER_PAGE]
        centres = [
            {
                "id": int(p.upstream_id),
                "title": p.name,
                "url": f"/{p.slug.split('-')[0]}/{p.city.lower()}/{p.slug}",
                "type": "center",
                "coordinates": f"{p.lat},{p.lon}",
                "specialty_ids": [SPECIALTY],
                "cabinet": {"zipcode": p.postcode, "location": f" {p.address} ", "city": p.city},
                "phone_number": p.phone,
            }
            for p in chunk
        ]
        half = (len(centres) + 1) // 2
        sections = {
            "section_1": {"title": "Centres", "data": centres[:half]},
            "section_2": {"title": "Autour de vous", "data": centres[half:]},
        }
        has_next = page * PER_PAGE < len(places)
        options = {"next_page": page + 1 if has_next else None, "total": len(places)}
        key = "sections" if drifted() else "results"
        return web.json_response({"options": options, key: sections})

    def clinic_of(request: web.Request) -> Place | None:
        if int(request.match_info["specialty"]) != SPECIALTY:
            return None
        return by_clinic.get(int(request.match_info["clinic"]))

    async def clinic_info(request: web.Request) -> web.Response:
        place = by_clinic.get(int(request.match_info["clinic"]))
        if place is None:
            return web.json_response({"error": "not found"}, status=404)
        skills = [{"name": "Centre de vaccination"}]
        key = "specialities" if drifted() else "specialties"
        return web.json_response(
            {
                "id": int(place.upstream_id),
                key: [{"id": SPECIALTY, "name": "Maladies infectieuses", "skills": skills}],
            }
        )

    async def cabinets(request: web.Request) -> web.Response:
        place = clinic_of(request)
        if place is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(
            [
                {"id": c, "name": f"{place.name} - site {i + 1}", "zipcode": place.postcode}
                for i, c in enumerate(cabinet_ids(place))
            ]
        )

    async def motive_categories(request: web.Request) -> web.Response:
        place = clinic_of(request)
        cabinet = int(request.match_info["cabinet"])
        if place is None or cabinet not in cabinet_ids(place):
            return web.json_response({"error": "not found"}, status=404)
        agendas = [
            {"id": a, "name": f"Equipe {a % 100}", "hidden": True}
            for a in agenda_ids(place, cabinet)
        ]
        motives: list[dict[str, object]] = [
            {
                "id": motive_id(place, m),
                # Keldoc names often carry doubled spaces
                "name": m.replace(" ", "  ", 1),
                "position": i,
                "teleconsultation": False,
                "booking_delay_until": 1440,
                "agendas": agendas,
            }
            for i, m in enumerate(place.motives)
        ]
        if int(place.upstream_id) % 4 == 0:
            motives.append(
                {
                    "id": 9_000_000 + int(place.upstream_id),
                    "name": TELECONSULTATION,
                    "position": 99,
                    "teleconsultation": True,
                    "agendas": agendas,
                }
            )
        key = "motive_list" if drifted() else "motives"
        return web.json_response(
            [
                {
                    "motive_category_id": int(place.upstream_id) + 7,
                    "name": "Vaccination",
                    "position": 0,
                    "resource_type": "Clinic",
                    key: motives,
                }
            ]
        )

    async def timetables(request: web.Request) -> web.Response:
        try:
            found = by_motive.get(int(request.match_info["motive"]))
            first = date.fromisoformat(request.query["from"])
            last = date.fromisoformat(request.query["to"])
            wanted = {int(a) for a in request.query.getall("agenda_ids[]")}
        except (KeyError, ValueError):
            return web.json_response({"error": "bad parameters"}, status=400)
        if found is None:
            return web.json_response({"error": "not found"}, status=404)
        if not 0 <= (last - first).days < MAX_WINDOW_DAYS:
            return web.json_response({"error": "range too long"}, status=400)
        place, motive = found
        if place.phone_only:
            return web.json_response(
                {
                    "text": "La prise de RDV pour cette consultation est uniquement "
                    "disponible au :",
                    "num": _national(place.phone),
                    "phone_number": place.phone,
                }
            )
        now = clock.now()
        start = datetime.combine(first, datetime.min.time(), PARIS)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), PARIS)

        def mine(slots: list[SlotTruth]) -> list[SlotTruth]:
            return [s for s in slots if agenda_of(place, s) in wanted]

        free = mine(world.free_slots(place, now, max(start, now), end, motive))
        if not free:
            later = mine(world.free_slots(place, now, end, end + timedelta(LOOKAHEAD_DAYS), motive))
            if not later:
                return web.json_response({})
            when = later[0].start.astimezone(PARIS)
            return web.json_response(
                {
                    "text": f"Prochain RDV disponible le {when:%d/%m/%Y à %Hh%M}",
                    "date": _stamp(when),
                }
            )
        days: dict[str, list[dict[str, object]]] = {}
        for slot in free:
            days.setdefault(slot.start.astimezone(PARIS).date().isoformat(), []).append(
                {
                    "agenda_id": agenda_of(place, slot),
                    ("start" if drifted() else "start_time"): _stamp(slot.start),
                    "end_time": _stamp(slot.start + timedelta(minutes=place.slot_minutes)),
                }
            )
        return web.json_response({"availabilities": days})

    api = "/api/patients/v2"
    clinic = api + "/clinics/{clinic}/specialties/{specialty}/cabinets"
    app.router.add_get(api + "/searches/geo_location", listing)
    app.router.add_get(api + "/clinics/{clinic}", clinic_info)
    app.router.add_get(clinic, cabinets)
    app.router.add_get(clinic + "/{cabinet}/motive_categories", motive_categories)
    app.router.add_get(api + "/timetables/{motive}", timetables)
    return app
