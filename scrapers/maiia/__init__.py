"""Maiia: discovery by the paged centre listing; a poll reads the centre's consultation
reasons, then each reason's availabilities page by page."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Any

from aggregator.models import Location, PollResult, Slot
from scrapers.base import Adapter
from scrapers.errors import ParseError
from scrapers.maiia.paging import Cursor
from scrapers.maiia.parse import (
    PLATFORM,
    Page,
    Reason,
    availability_result,
    parse_availabilities,
    parse_centres,
    parse_page,
    parse_reasons,
)

API = "api/pat-public"
LIMIT = 50  # asked for; Maiia may answer smaller pages
MAX_PAGES = 500


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MaiiaAdapter(Adapter):
    platform = PLATFORM
    display_name = "Maiia"

    async def _paged(self, path: str, params: dict[str, str], what: str) -> tuple[list[Any], int]:
        """Every item of a paged list, and the requests it took."""
        items: list[Any] = []
        for page in range(MAX_PAGES):
            payload = await self.client.get_json(path, {**params, "limit": LIMIT, "page": page})
            result = parse_page(payload, what)
            items.extend(result.items)
            if not result.items or len(items) >= result.total:
                return items, page + 1
        raise ParseError(f"maiia {what}: still paging after {MAX_PAGES} pages")

    async def discover(self) -> list[Location]:
        items, _ = await self._paged(f"{API}/hcd", {"AllVaccinationPlaces": "true"}, "hcd")
        found: dict[str, Location] = {}
        for location in parse_centres(Page(tuple(items), len(items)), self.client.base_url):
            found.setdefault(location.id, location)
        return list(found.values())

    async def poll(self, location: Location, now: datetime) -> PollResult:
        items, requests = await self._paged(
            f"{API}/consultation-reason-hcd",
            {"rootCenterId": location.upstream_id},
            "consultation-reason-hcd",
        )
        reasons = parse_reasons(Page(tuple(items), len(items)))
        horizon = self.horizon(now)
        keyed: list[tuple[Hashable, Slot]] = []
        for reason in reasons:
            found, spent = await self._availabilities(reason, location, now, horizon)
            keyed.extend(found)
            requests += spent
        return availability_result(
            keyed,
            now,
            horizon,
            requests=requests,
            reasons_listed=len(items),
            reasons_on_site=len(reasons),
            phone=location.phone,
        )

    async def _availabilities(
        self, reason: Reason, location: Location, now: datetime, horizon: datetime
    ) -> tuple[list[tuple[Hashable, Slot]], int]:
        """Pages of one reason's availabilities from ``now`` to the horizon, by cursor
        (see scrapers/maiia/paging.py for why not by offset)."""
        out: list[tuple[Hashable, Slot]] = []
        cursor: Cursor | None = Cursor(now)
        requests = 0
        while cursor is not None:
            if requests == MAX_PAGES:
                raise ParseError(f"maiia availabilities: still paging after {MAX_PAGES} pages")
            payload = await self.client.get_json(
                f"{API}/availabilities",
                {
                    "centerId": location.upstream_id,
                    "consultationReasonName": reason.name,
                    "from": _stamp(cursor.start),
                    "to": _stamp(horizon),
                    "limit": LIMIT,
                    "page": cursor.page,
                },
            )
            requests += 1
            result = parse_page(payload, "availabilities")
            found = parse_availabilities(result, reason.name, location.booking_url)
            out.extend(found)
            cursor = cursor.after([slot.start for _, slot in found], result.total)
        return out, requests
