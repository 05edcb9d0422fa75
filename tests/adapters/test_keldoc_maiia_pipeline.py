"""Keldoc and Maiia through the coordinator into a real Redis: what the site will read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import redis.asyncio as aredis

from aggregator.models import Status
from aggregator.policy import FixedIntervalPolicy
from aggregator.refresh import Coordinator
from cache.due_queue import DueQueue
from cache.keys import Keys
from cache.store import Store
from scrapers.sandbox.world import World
from tests.adapters.sandbox_kit import make_adapter, running

PLATFORMS = ("keldoc", "maiia")
NOW = datetime(2026, 3, 26, 9, 40, tzinfo=UTC)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_stored_truth_then_errors_keep_last_good_slots(
    redis: aredis.Redis, keys: Keys, session: aiohttp.ClientSession
) -> None:
    world = World(seed=14, locations_per_platform=12, platforms=PLATFORMS)
    async with running(world, NOW) as (server, clock):
        adapters = {p: make_adapter(p, server, session, clock) for p in PLATFORMS}
        store = Store(redis, keys)
        coordinator = Coordinator(
            store, DueQueue(redis, keys), adapters, FixedIntervalPolicy(interval=300), clock
        )
        assert await coordinator.discover() == {"keldoc": 12, "maiia": 12}
        reports = await coordinator.refresh_all()
        assert all(r.failed == 0 and r.polled == 12 for r in reports.values())
        ids = await store.location_ids()
        locations = await store.get_locations(ids)
        good = await store.get_availabilities(ids)
        statuses = set()
        for lid, location in locations.items():
            place = world.place(location.platform, location.upstream_id)
            assert place is not None
            truth = world.free_slots(place, NOW, NOW, NOW + timedelta(days=7))
            assert sorted(s.start for s in good[lid].slots) == [t.start for t in truth]
            expected = (
                Status.PHONE_ONLY if place.phone_only else (Status.OK if truth else Status.NO_SLOTS)
            )
            assert good[lid].status is expected
            statuses.add(expected)
        assert statuses == {Status.OK, Status.NO_SLOTS, Status.PHONE_ONLY}

        server.faults.plan("keldoc").drift = True
        server.faults.plan("maiia").server_error = 1.0
        clock.advance(120)
        reports = await coordinator.refresh_all()
        assert reports["keldoc"].failed == reports["maiia"].failed == 12
        after = await store.get_availabilities(ids)
        for lid, av in after.items():
            assert av.status is Status.ERROR
            assert av.slots == good[lid].slots
            assert av.last_ok_at == good[lid].checked_at
            assert (
                ("keldoc" in av.message)
                if lid.startswith("keldoc:")
                else ("HTTP 500" in av.message)
            )
