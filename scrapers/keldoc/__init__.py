"""Keldoc: discovery by the search listing; a poll reads the clinic's cabinets, their
motive categories, then each motive's timetable in windows of a few days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aggregator.models import Location, PollResult
from scrapers.base import Adapter
from scrapers.keldoc.parse import (
    PLATFORM,
    MotiveQuery,
    Timetable,
    merge_motives,
    parse_cabinets,
    parse_clinic,
    parse_listing,
    parse_motive_categories,
    parse_timetable,
    timetable_result,
)
from scrapers.shape import PARIS

API = "api/patients/v2"
DAYS_PER_WINDOW = 4  # Keldoc answers a few days per timetable request
MAX_LISTING_PAGES = 500


class KeldocAdapter(Adapter):
    platform = PLATFORM
    display_name = "Keldoc"

    async def discover(self) -> list[Location]:
        found: dict[str, Location] = {}
        for page in range(1, MAX_LISTING_PAGES + 1):
            payload = await self.client.get_json(f"{API}/searches/geo_location", {"page": page})
            listing = parse_listing(payload, self.client.base_url)
            for location in listing.locations:
                found.setdefault(location.id, location)  # a centre may sit in two sections
            if not listing.has_next or not listing.locations:
                break
        return list(found.values())

    async def poll(self, location: Location, now: datetime) -> PollResult:
        clinic = location.upstream_id
        requests = 0
        per_cabinet: list[list[MotiveQuery]] = []
        specialties = [s for s in location.extra.get("specialty_ids", "").split(",") if s]
        if not specialties:  # a location not from our listing: ask the clinic
            specialties = [
                str(s) for s in parse_clinic(await self.client.get_json(f"{API}/clinics/{clinic}"))
            ]
            requests += 1
        for specialty in specialties:
            base = f"{API}/clinics/{clinic}/specialties/{specialty}/cabinets"
            cabinets = parse_cabinets(await self.client.get_json(base))
            requests += 1
            for cabinet in cabinets:
                payload = await self.client.get_json(f"{base}/{cabinet}/motive_categories")
                requests += 1
                per_cabinet.append(parse_motive_categories(payload))
        motives = merge_motives(per_cabinet)
        horizon = self.horizon(now)
        answers: list[Timetable] = []
        for motive in motives:
            found, spent = await self._timetables(motive, location, now, horizon)
            answers.extend(found)
            requests += spent
        return timetable_result(
            answers, now, horizon, requests=requests, phone=location.phone, motives=len(motives)
        )

    async def _timetables(
        self, motive: MotiveQuery, location: Location, now: datetime, horizon: datetime
    ) -> tuple[list[Timetable], int]:
        """Windows from today to the horizon (Paris dates); an empty window that points at
        the next free slot is followed once, like a person clicking "next availability"."""
        day: date = now.astimezone(PARIS).date()
        last: date = (horizon - timedelta(microseconds=1)).astimezone(PARIS).date()
        answers: list[Timetable] = []
        requests = 0
        jumped = False
        while day <= last:
            until = min(day + timedelta(days=DAYS_PER_WINDOW - 1), last)
            payload = await self.client.get_json(
                f"{API}/timetables/{motive.motive_id}",
                {
                    "from": day.isoformat(),
                    "to": until.isoformat(),
                    "agenda_ids[]": [str(agenda) for agenda in motive.agenda_ids],
                },
            )
            requests += 1
            answer = parse_timetable(payload, motive.name, location.booking_url)
            answers.append(answer)
            if answer.phone_only:
                break
            day = until + timedelta(days=1)
            if not answer.slots and answer.next_date is not None and not jumped:
                jumped = True
                if answer.next_date >= horizon:
                    break
                day = max(day, answer.next_date.astimezone(PARIS).date())
        return answers, requests
