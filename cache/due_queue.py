"""The shared schedule: one Redis ZSET per provider, claimed under leases.

Any number of workers on any number of machines claim due locations with a Lua script
that pushes each claimed score to its lease expiry; completing with the right token sets
the real next due time. A crashed worker's claims become due again when the lease ends.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import redis.asyncio as aredis

from cache import scripts
from cache.batch import call_script
from cache.keys import Keys


class DueQueue:
    def __init__(self, redis: aredis.Redis, keys: Keys | None = None) -> None:
        self.redis = redis
        self.keys = keys or Keys()
        self._claim = redis.register_script(scripts.CLAIM_DUE)
        self._complete = redis.register_script(scripts.COMPLETE_DUE)

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(8)

    async def claim(
        self, platform: str, now: float, limit: int, lease_seconds: float, token: str
    ) -> list[str]:
        if limit <= 0:
            return []
        ids: list[str] = await call_script(
            self._claim, keys=[self.keys.due(platform), self.keys.leases(platform)],
            args=[f"{now:.3f}", limit, f"{lease_seconds:.3f}", token],
        )
        return ids

    async def complete(self, platform: str, location_id: str, token: str, next_due: float) -> bool:
        done = await call_script(
            self._complete, keys=[self.keys.due(platform), self.keys.leases(platform)],
            args=[location_id, token, f"{next_due:.3f}"],
        )
        return bool(done)

    async def schedule(self, platform: str, due: dict[str, float]) -> None:
        if due:
            await self.redis.zadd(self.keys.due(platform), due)

    async def next_due(self, platform: str) -> float | None:
        first = await self.redis.zrange(self.keys.due(platform), 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def due_count(self, platform: str, now: float) -> int:
        return int(await self.redis.zcount(self.keys.due(platform), "-inf", now))

    async def size(self, platform: str) -> int:
        return int(await self.redis.zcard(self.keys.due(platform)))

    async def remove(self, platform: str, ids: Sequence[str]) -> None:
        if ids:
            await self.redis.zrem(self.keys.due(platform), *ids)
