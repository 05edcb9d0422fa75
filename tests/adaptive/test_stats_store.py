import asyncio

import pytest
import redis.asyncio as aredis

from aggregator.adaptive.signal import LocationStats, ProviderPlan, record_poll
from cache.due_queue import DueQueue
from cache.keys import Keys
from cache.stats import StatsStore

HALF_LIFE = 1e12


async def record(
    store: StatsStore,
    location_id: str,
    changed: bool | None,
    requests: int,
    near: float,
    now: float,
) -> LocationStats:
    return await store.update(
        location_id, lambda s: record_poll(s, changed, requests, near, now, HALF_LIFE)
    )


async def test_polls_accumulate_in_redis(redis: aredis.Redis, keys: Keys) -> None:
    store = StatsStore(redis, keys)
    await record(store, "doctolib:1", False, 2, 0.0, 1000.0)
    await record(store, "doctolib:1", True, 2, 3.5, 1060.0)
    stats = await record(store, "doctolib:1", False, 4, 1.0, 1180.0)
    assert stats.change.polls == pytest.approx(2)
    assert stats.change.changes == pytest.approx(1)
    assert stats.change.span == pytest.approx(180.0)
    assert stats.near == 1.0
    loaded = (await store.load(["doctolib:1", "doctolib:2"]))
    assert loaded["doctolib:1"] == stats
    assert loaded["doctolib:2"].change.polls == 0


async def test_failed_polls_leave_stats_untouched(redis: aredis.Redis, keys: Keys) -> None:
    store = StatsStore(redis, keys)
    first = await record(store, "doctolib:1", False, 1, 0.0, 1000.0)
    assert await record(store, "doctolib:1", None, 0, 9.0, 1060.0) == first


async def test_concurrent_records_lose_no_update(redis: aredis.Redis, keys: Keys) -> None:
    store = StatsStore(redis, keys)
    await record(store, "doctolib:1", False, 1, 0.0, 0.0)
    results = await asyncio.gather(
        *(record(store, "doctolib:1", True, 1, 0.0, 10.0 * i) for i in range(1, 21))
    )
    # Reports may land out of order (a late one adds no evidence), but every accepted one
    # must be in the final state: WATCH retries instead of overwriting.
    accepted = sum(1 for i, r in enumerate(results, start=1) if r.change.last_at == 10.0 * i)
    stats = (await store.load(["doctolib:1"]))["doctolib:1"]
    assert stats.change.polls == pytest.approx(accepted)
    assert stats.change.last_at == 200.0


async def test_plan_and_views_round_trip(redis: aredis.Redis, keys: Keys) -> None:
    store = StatsStore(redis, keys)
    plan = ProviderPlan("doctolib", 12.5, 30.0, 1800.0, 0.001, 1000.0, 4.25, 4.25, 7, True)
    await store.save_plan(plan, {"doctolib:1": 45.0})
    assert await store.load_plan("doctolib") == plan
    assert await store.load_plan("maiia") is None
    assert await redis.hget(keys.targets("doctolib"), "doctolib:1") == "45.0"
    await store.set_views({"area:75": 120.0})
    await redis.hset(keys.views, "area:13", "not a number")
    assert await store.views() == {"area:75": 120.0}


async def test_pull_forward_only_moves_earlier_and_skips_leased(
    redis: aredis.Redis, keys: Keys
) -> None:
    queue = DueQueue(redis, keys)
    store = StatsStore(redis, keys)
    await queue.schedule("doctolib", {"a": 500.0, "b": 500.0, "c": 100.0})
    assert await queue.claim("doctolib", 100.0, 1, 60.0, "tok") == ["c"]
    moved = await store.pull_forward("doctolib", {"a": 200.0, "b": 900.0, "c": 120.0})
    assert moved == 1
    scores = dict(await redis.zrange(keys.due("doctolib"), 0, -1, withscores=True))
    assert scores == {"a": 200.0, "b": 500.0, "c": 160.0}
