"""Doctolib: discovery by the search listing, then booking -> availabilities per motive."""

from __future__ import annotations

from datetime import date, datetime

from aggregator.models import Location, PollResult
from scrapers.base import Adapter
from scrapers.doctolib.parse import (
    PAGE_DAYS,
    PLATFORM,
    AvailabilityPage,
    AvailabilityQuery,
    first_start,
    next_start,
    parse_availabilities,
    parse_booking,
    parse_search,
    poll_result,
)

MAX_LISTING_PAGES = 500


class DoctolibAdapter(Adapter):
    platform = PLATFORM
    display_name = "Doctolib"

    async def discover(self) -> list[Location]:
        found: dict[str, Location] = {}
        for page in range(1, MAX_LISTING_PAGES + 1):
            payload = await self.client.get_json("search.json", {"page": page})
            batch = parse_search(payload, self.client.base_url)
            if not batch:
                break
            found.update((loc.id, loc) for loc in batch)
        return list(found.values())

    async def poll(self, location: Location, now: datetime) -> PollResult:
        slug = location.extra.get("slug", location.upstream_id)
        booking = parse_booking(await self.client.get_json(f"booking/{slug}.json"))
        requests = 1
        pages: list[AvailabilityPage] = []
        if not booking.phone_only:
            for query in booking.queries:
                found, spent = await self._query_pages(query, location, now)
                pages.extend(found)
                requests += spent
        return poll_result(booking, pages, now, self.horizon(now), requests)

    async def _query_pages(
        self, query: AvailabilityQuery, location: Location, now: datetime
    ) -> tuple[list[AvailabilityPage], int]:
        horizon = self.horizon(now)
        start: date | None = first_start(now)
        jumped = False
        pages: list[AvailabilityPage] = []
        while start is not None:
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
            page = parse_availabilities(payload, query.motive_name, location.booking_url)
            pages.append(page)
            start, jumped = next_start(page, start, horizon, jumped)
        return pages, len(pages)
