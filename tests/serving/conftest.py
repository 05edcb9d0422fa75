"""Fixtures for the serving tests: a store seeded with synthetic locations in real Redis,
a publisher over a tmp output dir, and the built-in server on a free loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.models import Location
from aggregator.publish import Publisher
from aggregator.render import Assets
from aggregator.server import start_server
from cache.keys import Keys
from cache.store import Store
from tests.serving.synthetic import seed, synthetic_locations

STYLE = Assets.load().url("style.css")  # published under its content hash

LOCATIONS = 40


@pytest.fixture
async def store(redis: aredis.Redis, keys: Keys) -> Store:
    return Store(redis, keys)


@pytest.fixture
async def locations(store: Store, clock: ManualClock) -> list[Location]:
    found = synthetic_locations(LOCATIONS)
    await seed(store, found, clock.now())
    return found


@pytest.fixture
def site(tmp_path: Path) -> SiteSettings:
    return SiteSettings(output_dir=tmp_path / "site", keep_releases=3)


@pytest.fixture
def publisher(store: Store, site: SiteSettings, clock: ManualClock) -> Publisher:
    return Publisher(store, site, clock)


@pytest.fixture
async def port(site: SiteSettings) -> AsyncIterator[int]:
    """The built-in server over ``site.output_dir`` on a free loopback port."""
    site.output_dir.mkdir(parents=True, exist_ok=True)
    runner, bound = await start_server(site.output_dir, "127.0.0.1", 0)
    try:
        yield bound
    finally:
        await runner.cleanup()


@pytest.fixture
async def http(port: int) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        yield client


async def fetch(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None,
    method: str = "GET",
) -> tuple[httpx.Response, bytes]:
    """One request; the body as sent on the wire (httpx would otherwise decode it)."""
    async with client.stream(method, path, headers=headers or {}) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


async def raw_request(port: int, request: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (no client-side normalization); status code and raw reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(1 << 20), timeout=5)
    finally:
        writer.close()
        await writer.wait_closed()
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
    return status, reply
