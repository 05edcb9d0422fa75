"""Mapharma: discovery from the open-data listing, then one calendar per campaign option.

Requests: discovery is one GET of the listing; a poll is one GET per campaign per
``CALENDAR_DAYS`` window up to the horizon (7 days: 2 per campaign), skipping windows
outside the campaign's ``debut``..``fin``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aggregator.models import Location, PollResult, Slot
from scrapers.base import Adapter
from scrapers.localtime import PARIS
from scrapers.mapharma.parse import PLATFORM, campaigns_of, parse_calendar, parse_open_data
from scrapers.window import offline_result, window_result

CALENDAR_DAYS = 7  # days one calendar answer covers from its <date>
DEFAULT_LISTING = "opendata"


class MapharmaAdapter(Adapter):
    platform = PLATFORM
    display_name = "Mapharma"

    async def discover(self) -> list[Location]:
        listing = str(self.settings.options.get("listing_url", DEFAULT_LISTING))
        return parse_open_data(await self.client.get_json(listing))

    async def poll(self, location: Location, now: datetime) -> PollResult:
        campaigns = campaigns_of(location)
        if not campaigns:
            return offline_result(location.phone, "no online campaign", now)
        horizon = self.horizon(now)
        slots: list[Slot] = []
        requests = 0
        last = horizon.astimezone(PARIS).date()
        for campaign in campaigns:
            day = now.astimezone(PARIS).date()
            while day <= last:
                window_end = day + timedelta(days=CALENDAR_DAYS - 1)
                if campaign.open_between(day, window_end):  # no request outside debut..fin
                    payload = await self.client.get_json(
                        f"calendar/{campaign.id}/{day.isoformat()}/{campaign.option}"
                    )
                    requests += 1
                    slots.extend(parse_calendar(payload, campaign))
                day += timedelta(days=CALENDAR_DAYS)
        return window_result(slots, now, horizon, requests)
