"""Delete everything under one key prefix: how tests, benchmarks and tenants clean up
after themselves without ever flushing a Redis they share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import redis as sync_redis
import redis.asyncio as aredis

BATCH = 1000


async def prefix_batches(redis: aredis.Redis, prefix: str) -> AsyncIterator[list[str]]:
    """The keys under ``prefix``, in batches of at most ``BATCH`` (SCAN, never KEYS)."""
    batch: list[str] = []
    async for key in redis.scan_iter(match=f"{prefix}*", count=BATCH):
        batch.append(key)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def delete_prefix(redis: aredis.Redis, prefix: str) -> None:
    async for batch in prefix_batches(redis, prefix):
        await redis.delete(*batch)


def delete_prefix_sync(client: sync_redis.Redis, prefix: str) -> None:
    """The same for synchronous clients (subprocess-driven tests)."""
    batch: list[bytes | str] = []
    for key in client.scan_iter(match=f"{prefix}*", count=BATCH):
        batch.append(key)
        if len(batch) >= BATCH:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)
