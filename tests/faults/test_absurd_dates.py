"""Absurd dates and offsets from upstream: dropped when they are merely out of range,
a clear per-location error when they cannot be placed in time, never a crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.models import Status
from cache.keys import Keys
from scrapers.sandbox.server import SandboxServer
from tests.faults.helpers import PLATFORM, Pipeline, make_pipeline

OUT_OF_RANGE = [
    "9999-12-31T23:59:00-05:00",  # overflows UTC conversion
    "9999-12-31T23:59:59.999+01:00",
    "1969-07-20T20:17:00+00:00",  # before the epoch
    "0001-01-01T00:10:00+01:00",  # before year 1 in UTC
]


@pytest.fixture
async def pipe(redis: aredis.Redis, keys: Keys, sandbox: SandboxServer,
               clock: ManualClock, tmp_path: Path) -> AsyncIterator[Pipeline]:
    async with aiohttp.ClientSession() as session:
        yield make_pipeline(redis, keys, sandbox, session, clock, tmp_path / "site")


async def test_out_of_range_slots_are_dropped(pipe: Pipeline, sandbox: SandboxServer,
                                              clock: ManualClock) -> None:
    # Guards: the adapter's horizon filter and the store's "past slots are trimmed".
    # Without the first, the year-9999 slots are stored and rendering one (converting it
    # to Paris time overflows) crashes the publish; without the second, 1969 shows up.
    await pipe.faults(absurd_slots=OUT_OF_RANGE)
    await pipe.coordinator.discover()
    report = await asyncio.wait_for(pipe.coordinator.run_due(PLATFORM, 100), timeout=30)
    assert report.failed == 0, report
    now = clock.now()
    locations = await pipe.store.get_locations(await pipe.store.location_ids())
    stored = await pipe.store.get_availabilities(list(locations))
    for lid, location in locations.items():
        place = sandbox.world.place(PLATFORM, location.upstream_id)
        assert place is not None
        truth = sandbox.world.free_slots(place, now, now, now + timedelta(days=7))
        assert sorted(s.start for s in stored[lid].slots) == sorted(t.start for t in truth)
    published = await pipe.publisher.publish()
    assert published.locations == len(locations)


@pytest.mark.parametrize(("raw", "message"), [
    ("2026-03-03", "has no time of day"),  # a bare date: no slot can start then
    # (a naive time is Paris local time by the adapter contract, so it is not here)
    ("2026-03-03T10:00:00+25:00", "unreadable datetime"),  # offset beyond ±24 h
    ("2026-02-30T10:00:00+01:00", "unreadable datetime"),  # no such day
    ("+12026-03-03T10:00:00+01:00", "unreadable datetime"),  # year beyond 9999
])
async def test_unplaceable_times_are_location_errors(pipe: Pipeline, raw: str,
                                                     message: str) -> None:
    # Guards: parse_datetime refusing bare dates and invalid times with a message naming the
    # value (a naive time compared with an aware one raises TypeError: an "adapter bug").
    await pipe.coordinator.discover()
    await pipe.faults(absurd_slots=[raw])
    report = await asyncio.wait_for(pipe.coordinator.run_due(PLATFORM, 100), timeout=30)
    assert report.failed > 0 and "bug" not in report.errors, report
    stored = await pipe.store.get_availabilities(await pipe.store.location_ids())
    failed = [av for av in stored.values() if av.status is Status.ERROR]
    assert failed and all(message in av.message and raw in av.message for av in failed)
