"""Shared fixtures: a real Redis (127.0.0.1:6379 when reachable, else an embedded
redis-server), a unique key prefix per test, and the sandbox platforms over loopback.

Tests never flush a Redis they did not start: they delete only their own prefix.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
import redis as sync_redis
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from cache.cleanup import delete_prefix
from cache.connection import EmbeddedRedis, connect
from cache.keys import Keys
from scrapers.sandbox.server import SandboxServer
from scrapers.sandbox.world import World


def _local_redis_url() -> str | None:
    url = os.environ.get("SLOTRADAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if url == "embedded":
        return None
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3):
            pass
        sync_redis.Redis.from_url(url, socket_timeout=1).ping()
    except (OSError, sync_redis.RedisError):
        return None
    return url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = _local_redis_url()
    if url is not None:
        yield url
        return
    embedded = EmbeddedRedis.start()
    try:
        yield embedded.url
    finally:
        embedded.stop()


@pytest.fixture
def keys() -> Keys:
    return Keys(prefix=f"test:{uuid.uuid4().hex[:12]}:")


@pytest.fixture
async def redis(redis_url: str, keys: Keys) -> AsyncIterator[aredis.Redis]:
    client = connect(redis_url)
    try:
        yield client
    finally:
        await delete_prefix(client, keys.prefix)
        await client.aclose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 8, 30, tzinfo=UTC))


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[SandboxServer]:
    world = World(seed=7, locations_per_platform=12, platforms=("doctolib",))
    server = SandboxServer(world, clock=clock)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
