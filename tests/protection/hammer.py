"""One process of a fleet hammering one provider's gate (run by test_budget_properties).

    python -m tests.protection.hammer REDIS_URL PREFIX RATE BURST SECONDS TASKS SEED

Uses the server's clock (``RedisGate(clock=None)``), like production. Admitted leases are
never released and last 600 s, so the semaphore ZSET keeps each admission's server time.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time

from cache.connection import connect
from cache.keys import Keys
from cache.protection.redis_gate import RedisGate, Tuning
from scrapers.base import ProviderSettings

LEASE = 600.0


async def hammer(url: str, prefix: str, rate: float, burst: int, seconds: float, tasks: int,
                 seed: int) -> None:
    redis = connect(url)
    settings = ProviderSettings(platform="p", base_url="http://127.0.0.1:9", rate=rate,
                                burst=burst, concurrency=1000)
    gate = RedisGate(redis, {"p": settings}, Keys(prefix), tuning=Tuning(lease=LEASE))
    rng = random.Random(seed)
    end = time.monotonic() + seconds

    async def client(n: int) -> None:
        i = 0
        while time.monotonic() < end:
            if rng.random() < 0.2:  # idle, then come back in a burst
                await asyncio.sleep(rng.uniform(0, 0.3))
            wait, _ = await gate.try_acquire("p", f"{seed}-{n}-{i}")
            i += 1
            if wait > 0:
                await asyncio.sleep(min(wait, rng.uniform(0, 0.02)))

    await asyncio.gather(*(client(n) for n in range(tasks)))
    await redis.aclose()


if __name__ == "__main__":
    url, prefix, rate, burst, seconds, tasks, seed = sys.argv[1:8]
    asyncio.run(hammer(url, prefix, float(rate), int(burst), float(seconds), int(tasks),
                       int(seed)))
