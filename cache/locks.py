"""Fleet-wide singleton locks (publish, discovery), held while renewed."""

from __future__ import annotations

import secrets

import redis.asyncio as aredis

from cache import scripts
from cache.keys import Keys


class SingletonLock:
    def __init__(self, redis: aredis.Redis, name: str, ttl_ms: int, keys: Keys | None = None):
        self.key = (keys or Keys()).lock(name)
        self.ttl_ms = ttl_ms
        self.token = secrets.token_hex(8)
        self._acquire = redis.register_script(scripts.ACQUIRE_OR_RENEW_LOCK)
        self._release = redis.register_script(scripts.RELEASE_LOCK)

    async def acquire_or_renew(self) -> bool:
        return bool(await self._acquire(keys=[self.key], args=[self.token, self.ttl_ms]))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.token])
