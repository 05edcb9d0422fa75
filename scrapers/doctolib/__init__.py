"""Doctolib: discovery by the search listing, then booking -> availabilities per motive."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aggregator.models import Location, PollResult, Slot, Status
from scrapers.base import Adapter
from scrapers.doctolib.parse import (
    PLATFORM,
    AvailabilityQuery,
    parse_availabilities,
    parse_booking,
    parse_search,
)

PAGE_DAYS = 7
MAX_LISTING_PAGES = 500


class DoctolibAdapter(Adapter):
    platform = PLATFORM
    display_name = "Doctolib"

    async def discover(self) -> list[Location]:
        found: list[Location] = []
        for page in range(1, MAX_LISTING_PAGES + 1):
            payload = await self.client.get_json("search.json", {"page": page})
            batch = parse_search(payload, self.client.base_url)
            found.extend(batch)
            if not batch:
                break
        return found

    async def poll(self, location: Location, now: datetime) -> PollResult:
        slug = location.extra.get("slug", location.upstream_id)
        booking = await self.client.get_json(f"booking/{slug}.json")
        queries = parse_booking(booking)
        if not queries:
            return PollResult(
                status=Status.NO_SLOTS,
                valid_at=now,
                message="no bookable motive online",
                requests=1,
            )
        slots: list[Slot] = []
        requests = 1
        for query in queries:
            found, spent = await self._query_slots(query, location, now)
            slots.extend(found)
            requests += spent
        unique = tuple(sorted(set(slots), key=Slot.sort_key))
        return PollResult(
            status=Status.OK if unique else Status.NO_SLOTS,
            slots=unique,
            valid_at=now,
            requests=requests,
        )

    async def _query_slots(
        self, query: AvailabilityQuery, location: Location, now: datetime
    ) -> tuple[list[Slot], int]:
        horizon = self.horizon(now)
        start: date = now.date()
        slots: list[Slot] = []
        requests = 0
        jumped = False
        while start <= horizon.date():
            payload = await self.client.get_json(
                "availabilities.json",
                {
                    "start_date": start.isoformat(),
                    "visit_motive_ids": query.motive_id,
                    "agenda_ids": "-".join(query.agenda_ids),
                    "practice_ids": query.practice_id,
                    "limit": PAGE_DAYS,
                },
            )
            requests += 1
            page = parse_availabilities(payload, query.motive_name, location.booking_url)
            slots.extend(s for s in page.slots if now <= s.start <= horizon)
            if not page.slots and page.next_slot is not None and not jumped:
                # Upstream says where the next slot is: jump once instead of paging blind.
                jumped = True
                if page.next_slot > horizon:
                    break
                start = max(page.next_slot.date(), start + timedelta(days=1))
                continue
            start += timedelta(days=PAGE_DAYS)
        return slots, requests
