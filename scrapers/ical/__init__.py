"""iCalendar (RFC 5545): one feed per configured location, no listing to discover.

Locations come from ``options.calendars``; a poll is one GET of that location's feed.
Any booking system that exports availability as iCalendar works with configuration only.
"""

from __future__ import annotations

from datetime import datetime

from aggregator.models import Location, PollResult
from scrapers.base import Adapter
from scrapers.ical.parse import PLATFORM, locations_from_options, parse_feed, rules_for
from scrapers.window import offline_result, window_result


class IcalAdapter(Adapter):
    platform = PLATFORM
    display_name = "iCalendar"

    async def discover(self) -> list[Location]:
        """No upstream listing: the configured calendars are the locations."""
        return locations_from_options(self.settings.options)

    async def poll(self, location: Location, now: datetime) -> PollResult:
        url = location.extra.get("url", "")
        if location.extra.get("phone_only") or not url:
            return offline_result(location.phone, "appointments by phone only", now)
        horizon = self.horizon(now)
        text = await self.client.get_text(url)
        found = parse_feed(text, rules_for(location, self.settings.options), (now, horizon))
        return window_result(found, now, horizon, requests=1)
