"""iCalendar against the shared adapter contract (tests/contract/kit.py): locations come
from options, so the sandbox's calendars are handed over as the provider's options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.models import Location, PollResult, Status
from scrapers.base import ProviderSettings
from scrapers.ical.parse import FeedRules, locations_from_options, parse_feed
from scrapers.sandbox.ical import sandbox_options
from scrapers.sandbox.world import World
from scrapers.window import window_result
from tests.contract.kit import AdapterContract, RecordedCase

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ical"
RULES = FeedRules(slot_minutes=20, appointment_type="Consultation")


def poll_recorded(name: str, now: datetime) -> PollResult:
    text = (FIXTURES / name).read_bytes().decode("utf-8")
    horizon = now + timedelta(days=7)
    return window_result(parse_feed(text, RULES, (now, horizon)), now, horizon, 1)


class TestIcalContract(AdapterContract):
    platform = "ical"
    discovers = False

    def provider_settings(self, base_url: str) -> ProviderSettings:
        # feed URLs and per-calendar rules travel on the locations (see locations())
        return ProviderSettings(platform=self.platform, base_url=base_url)

    def locations(self, world: World, base_url: str) -> list[Location]:
        return locations_from_options(sandbox_options(world, base_url))

    def recorded_cases(self) -> list[RecordedCase]:
        spring = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
        autumn = datetime(2026, 10, 23, 7, 0, tzinfo=UTC)
        return [
            RecordedCase("custom VTIMEZONE, folded lines, VFREEBUSY periods",
                         lambda: poll_recorded("feed_vtimezone.ics", spring), Status.OK, 8,
                         datetime(2026, 3, 28, 8, 0, tzinfo=UTC)),
            RecordedCase("IANA TZID across the autumn change",
                         lambda: poll_recorded("feed_iana_autumn.ics", autumn), Status.OK, 2,
                         datetime(2026, 10, 24, 16, 0, tzinfo=UTC)),
            RecordedCase("weekly and daily RRULEs with EXDATE, RDATE and overrides",
                         lambda: poll_recorded("feed_recurring.ics",
                                               datetime(2026, 3, 22, 12, 0, tzinfo=UTC)),
                         Status.OK, 4, datetime(2026, 3, 23, 8, 0, tzinfo=UTC)),
            RecordedCase("busy-only feed", lambda: poll_recorded("feed_busy_only.ics", spring),
                         Status.NO_SLOTS, 0, None),
        ]
