"""The sandbox runtime hosts mapharma, SMART and iCalendar: the iCal provider gets its feed
URLs through the emulator's ``sandbox_options`` hook, and every location polls cleanly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import RedisSettings, SandboxSettings, Settings, SiteSettings
from aggregator.models import Status
from aggregator.runtime import Runtime
from cache.keys import Keys

PLATFORMS = ["mapharma", "smart_scheduling_links", "ical"]


async def test_sandbox_runtime_polls_the_standard_platforms(
    redis: aredis.Redis, redis_url: str, keys: Keys, clock: ManualClock, tmp_path: Path
) -> None:
    cfg = Settings(
        redis=RedisSettings(url=redis_url, prefix=keys.prefix),
        site=SiteSettings(output_dir=tmp_path / "site"),
        sandbox=SandboxSettings(platforms=PLATFORMS, locations_per_platform=6, rate=500.0),
    )
    async with Runtime(cfg, clock=clock) as rt:
        ical = next(p for p in rt.providers if p.platform == "ical")
        assert len(ical.options["calendars"]) == 6
        assert await rt.coordinator.discover() == {p: 6 for p in PLATFORMS}
        reports = await rt.coordinator.refresh_all()
        assert {p: (r.polled, r.failed) for p, r in reports.items()} == {
            p: (6, 0) for p in PLATFORMS}
        ids = await rt.store.location_ids()
        locations = await rt.store.get_locations(ids)
        stored = await rt.store.get_availabilities(ids)
        assert rt.sandbox is not None
        world, now = rt.sandbox.world, clock.now()
        for lid, location in locations.items():
            place = world.place(location.platform, location.upstream_id)
            assert place is not None
            truth = world.free_slots(place, now, now, now + timedelta(days=7))
            assert sorted(s.start for s in stored[lid].slots) == [t.start for t in truth]
            assert stored[lid].status is not Status.ERROR
