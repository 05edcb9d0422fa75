"""Helpers to run an adapter against its emulator over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import aiohttp

from aggregator.clock import ManualClock
from scrapers.base import Adapter, ProviderSettings
from scrapers.client import ClientPolicy, PoliteClient
from scrapers.registry import load_adapter
from scrapers.sandbox.server import SandboxServer
from scrapers.sandbox.world import World


@asynccontextmanager
async def running(world: World, now: datetime) -> AsyncIterator[tuple[SandboxServer, ManualClock]]:
    clock = ManualClock(now)
    server = SandboxServer(world, clock=clock)
    await server.start()
    try:
        yield server, clock
    finally:
        await server.stop()


def make_adapter(
    platform: str,
    server: SandboxServer,
    session: aiohttp.ClientSession,
    clock: ManualClock,
    *,
    horizon_days: int = 7,
    client_class: type[PoliteClient] = PoliteClient,
) -> Adapter:
    """The registered adapter (as the runtime finds it), without retries so that a
    request counted by the emulator is a request the adapter says it spent."""
    settings = ProviderSettings(
        platform=platform,
        base_url=server.base_url(platform),
        retries=0,
        timeout=5.0,
        horizon_days=horizon_days,
    )
    client = client_class(
        session,
        platform,
        settings.base_url,
        clock=clock,
        policy=ClientPolicy(timeout=5.0, retries=0, max_body_bytes=2_000_000),
    )
    return load_adapter(platform)(client, settings)
