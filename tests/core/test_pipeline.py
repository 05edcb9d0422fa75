"""End to end over loopback: sandbox Doctolib -> coordinator -> Redis -> publish -> serve."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import httpx
import pytest
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.models import Status
from aggregator.policy import FixedIntervalPolicy
from aggregator.publish import Publisher, current_release
from aggregator.refresh import Coordinator
from aggregator.server import start_server
from cache.due_queue import DueQueue
from cache.keys import Keys
from cache.store import Store
from scrapers.base import ProviderSettings
from scrapers.client import ClientPolicy, PoliteClient
from scrapers.doctolib import DoctolibAdapter
from scrapers.sandbox.server import SandboxServer
from tests.serving.tree import served_files


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def make_coordinator(redis: aredis.Redis, keys: Keys, sandbox: SandboxServer,
                     session: aiohttp.ClientSession, clock: ManualClock) -> Coordinator:
    settings = ProviderSettings(platform="doctolib", base_url=sandbox.base_url("doctolib"),
                                retries=0, timeout=2.0)
    client = PoliteClient(session, "doctolib", settings.base_url, clock=clock,
                          policy=ClientPolicy(timeout=2.0, retries=0, max_body_bytes=200_000))
    return Coordinator(Store(redis, keys), DueQueue(redis, keys),
                       {"doctolib": DoctolibAdapter(client, settings)},
                       FixedIntervalPolicy(interval=300), clock)


async def test_poll_matches_world_truth(redis: aredis.Redis, keys: Keys, sandbox: SandboxServer,
                                        session: aiohttp.ClientSession,
                                        clock: ManualClock) -> None:
    coordinator = make_coordinator(redis, keys, sandbox, session, clock)
    assert await coordinator.discover() == {"doctolib": 12}
    report = await coordinator.run_due("doctolib", limit=100)
    assert report.polled == 12 and report.failed == 0
    store = coordinator.store
    ids = await store.location_ids()
    locations = await store.get_locations(ids)
    avs = await store.get_availabilities(ids)
    now = clock.now()
    checked_some_slots = False
    for lid, location in locations.items():
        place = sandbox.world.place("doctolib", location.upstream_id)
        assert place is not None
        truth = sandbox.world.free_slots(place, now, now, now + timedelta(days=7))
        got = avs[lid]
        assert sorted(s.start for s in got.slots) == sorted(t.start for t in truth), lid
        if place.phone_only:
            assert got.status is Status.PHONE_ONLY
        checked_some_slots |= bool(truth)
    assert checked_some_slots
    # everything got rescheduled ~5 minutes later, nothing left due now
    assert await coordinator.queue.due_count("doctolib", now.timestamp()) == 0


async def test_broken_payload_keeps_last_good_data(redis: aredis.Redis, keys: Keys,
                                                   sandbox: SandboxServer,
                                                   session: aiohttp.ClientSession,
                                                   clock: ManualClock) -> None:
    coordinator = make_coordinator(redis, keys, sandbox, session, clock)
    await coordinator.discover()
    await coordinator.refresh_all()
    before = await coordinator.store.get_availabilities(await coordinator.store.location_ids())
    sandbox.faults.plan("doctolib").malformed = 1.0
    clock.advance(60)
    reports = await coordinator.refresh_all()
    assert reports["doctolib"].failed == 12
    after = await coordinator.store.get_availabilities(list(before))
    for lid, av in after.items():
        assert av.status is Status.ERROR
        assert "invalid JSON" in av.message
        assert av.slots == before[lid].slots
        assert av.last_ok_at == before[lid].checked_at


async def test_publish_and_serve(redis: aredis.Redis, keys: Keys, sandbox: SandboxServer,
                                 session: aiohttp.ClientSession, clock: ManualClock,
                                 tmp_path: Path) -> None:
    coordinator = make_coordinator(redis, keys, sandbox, session, clock)
    await coordinator.discover()
    await coordinator.refresh_all()
    site = SiteSettings(output_dir=tmp_path / "site")
    publisher = Publisher(coordinator.store, site, clock)
    report = await publisher.publish()
    assert report.locations == 12
    runner, port = await start_server(site.output_dir, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            home = await http.get("/")
            assert home.status_code == 200
            areas = await coordinator.store.areas()
            assert all(f'href="area/{code}.html"' in home.text for code in areas)
            some_area = await http.get(f"/en/area/{areas[0]}.html")  # French at /, English at /en/
            assert some_area.status_code == 200
            assert "Next slot" in some_area.text or "No free slot" in some_area.text
            assert (await http.get("/../../etc/passwd")).status_code == 404
    finally:
        await runner.cleanup()


async def test_failed_publish_keeps_previous_release(redis: aredis.Redis, keys: Keys,
                                                     sandbox: SandboxServer,
                                                     session: aiohttp.ClientSession,
                                                     clock: ManualClock, tmp_path: Path) -> None:
    coordinator = make_coordinator(redis, keys, sandbox, session, clock)
    await coordinator.discover()
    await coordinator.refresh_all()
    site = SiteSettings(output_dir=tmp_path / "site")
    await Publisher(coordinator.store, site, clock).publish()
    first = current_release(site.output_dir)
    assert first is not None
    snapshot = {r: p.read_bytes() for r, p in served_files(first, variants=True).items()}
    clock.advance(600)
    await coordinator.refresh_all()
    dirty_before = await redis.scard(keys.dirty)

    def disk_full(_: Path) -> None:
        raise OSError(28, "No space left on device")

    from aggregator.publish import PublishError

    with pytest.raises(PublishError, match="previous release kept"):
        await Publisher(coordinator.store, site, clock, before_swap=disk_full).publish()
    assert current_release(site.output_dir) == first
    assert {r: p.read_bytes() for r, p in served_files(first, variants=True).items()} == snapshot
    assert await redis.scard(keys.dirty) == dirty_before  # retried next time
    assert len(list((site.output_dir / "releases").iterdir())) == 1


KILL_SCRIPT = textwrap.dedent("""
    import asyncio, os, signal, sys
    from pathlib import Path
    from aggregator.clock import SystemClock
    from aggregator.config import SiteSettings
    from aggregator.publish import Publisher
    from cache.connection import connect
    from cache.keys import Keys
    from cache.store import Store

    def die(release: Path) -> None:
        Path(sys.argv[3]).write_text(str(release))
        os.kill(os.getpid(), signal.SIGKILL)

    async def main() -> None:
        store = Store(connect(sys.argv[1]), Keys(sys.argv[2]))
        site = SiteSettings(output_dir=Path(sys.argv[4]))
        await Publisher(store, site, SystemClock(), before_swap=die).publish()

    asyncio.run(main())
""")


async def test_sigkill_mid_publish_leaves_previous_site(redis: aredis.Redis, redis_url: str,
                                                        keys: Keys, sandbox: SandboxServer,
                                                        session: aiohttp.ClientSession,
                                                        clock: ManualClock,
                                                        tmp_path: Path) -> None:
    coordinator = make_coordinator(redis, keys, sandbox, session, clock)
    await coordinator.discover()
    await coordinator.refresh_all()
    site = SiteSettings(output_dir=tmp_path / "site")
    await Publisher(coordinator.store, site, clock).publish()
    first = current_release(site.output_dir)
    assert first is not None
    index_before = (first / "index.html").read_bytes()
    marker = tmp_path / "half-written"
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, redis_url, keys.prefix, str(marker),
         str(site.output_dir)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert proc.returncode == -9, proc.stderr.decode()
    half = Path(marker.read_text())
    assert half.is_dir() and half != first  # the killed publish had written its files
    assert current_release(site.output_dir) == first
    assert (first / "index.html").read_bytes() == index_before
    # the next publish sweeps the orphan and serves a complete release
    await Publisher(coordinator.store, site, clock).publish()
    assert not half.exists()
    assert current_release(site.output_dir) != first
