"""Claims and leases on the shared schedule."""

from __future__ import annotations

import redis.asyncio as aredis

from cache.due_queue import DueQueue
from cache.keys import Keys


async def test_claim_only_due_and_lease_hides_them(redis: aredis.Redis, keys: Keys) -> None:
    queue = DueQueue(redis, keys)
    await queue.schedule("p", {"a": 10.0, "b": 20.0, "c": 500.0})
    first = await queue.claim("p", now=100.0, limit=10, lease_seconds=60, token="w1")
    assert sorted(first) == ["a", "b"]
    assert await queue.claim("p", now=101.0, limit=10, lease_seconds=60, token="w2") == []


async def test_crashed_worker_claims_return_after_lease(redis: aredis.Redis, keys: Keys) -> None:
    queue = DueQueue(redis, keys)
    await queue.schedule("p", {"a": 10.0})
    assert await queue.claim("p", 100.0, 10, 60, "dead") == ["a"]
    assert await queue.claim("p", 159.0, 10, 60, "w2") == []
    assert await queue.claim("p", 161.0, 10, 60, "w2") == ["a"]
    # the dead worker waking up late must not overwrite the new holder's schedule
    assert await queue.complete("p", "a", "dead", next_due=1.0) is False
    assert await queue.complete("p", "a", "w2", next_due=400.0) is True
    assert await redis.zscore(keys.due("p"), "a") == 400.0


async def test_claim_respects_limit(redis: aredis.Redis, keys: Keys) -> None:
    queue = DueQueue(redis, keys)
    await queue.schedule("p", {f"id{i}": float(i) for i in range(10)})
    got = await queue.claim("p", 100.0, 3, 60, "w")
    assert got == ["id0", "id1", "id2"]
    assert await queue.due_count("p", 100.0) == 7
