"""Upstream misbehaviour, injected over the sandbox's HTTP fault API, against the real
polite client, the fleet gate in real Redis and the coordinator.

Each test primes the store with one good poll, then turns a fault on and checks what the
handling promises: a per-location error naming the cause, the last good slots kept, and
upstream spared (no retry storm). Each comment names the handling the test guards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.models import Availability, Status
from cache.keys import Keys
from scrapers.sandbox.server import SandboxServer
from tests.faults.helpers import PLATFORM, Pipeline, make_pipeline

LOCATIONS = 12  # the sandbox fixture's world


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def pipe(redis: aredis.Redis, keys: Keys, sandbox: SandboxServer,
               session: aiohttp.ClientSession, clock: ManualClock,
               tmp_path: Path) -> Pipeline:
    return make_pipeline(redis, keys, sandbox, session, clock, tmp_path / "site",
                         timeout=0.5, retries=1)


async def prime(pipe: Pipeline, clock: ManualClock) -> dict[str, Availability]:
    await pipe.coordinator.discover()
    report = await pipe.coordinator.run_due(PLATFORM, limit=100)
    assert report.polled == LOCATIONS and report.failed == 0
    clock.advance(120)  # every location is due again
    ids = await pipe.store.location_ids()
    return await pipe.store.get_availabilities(ids)


async def poll_all(pipe: Pipeline) -> None:
    # bounded: a missing timeout must fail the test, not hang it
    await asyncio.wait_for(pipe.coordinator.run_due(PLATFORM, limit=100), timeout=30)


async def assert_errors_keep_slots(pipe: Pipeline, before: dict[str, Availability],
                                   needle: str) -> None:
    """Polled locations fail naming the cause; once the breaker opens the rest are not
    asked at all (left as they were). Either way the last good slots stay, with their age."""
    after = await pipe.store.get_availabilities(list(before))
    failed = [av for av in after.values() if av.status is Status.ERROR]
    assert failed
    for av in failed:
        assert needle in av.message or "paused" in av.message, av.message
    assert any(needle in av.message for av in failed)
    for lid, av in after.items():
        assert av.slots == before[lid].slots
        assert av.last_ok_at == before[lid].checked_at


async def test_timeout_becomes_location_error_and_cuts_concurrency(
        pipe: Pipeline, clock: ManualClock) -> None:
    # Guards: the per-attempt total timeout (a hanging upstream costs 0.5 s, not forever),
    # the timeout -> per-location error mapping, and the AIMD cut on congestion.
    before = await prime(pipe, clock)
    await pipe.faults(timeout=1.0)
    await poll_all(pipe)
    await assert_errors_keep_slots(pipe, before, "no answer within 0.5s")
    state = await pipe.gate.state(PLATFORM)
    assert state.aimd_limit < 4


async def test_server_errors_are_retried_then_open_the_breaker(
        pipe: Pipeline, clock: ManualClock) -> None:
    # Guards: bounded retries of 5xx (retries=1: two attempts per request, never more) and
    # the circuit breaker: after a 5xx storm the provider is paused and nothing is claimed.
    before = await prime(pipe, clock)
    await pipe.faults(server_error=1.0)
    sent = pipe.upstream_requests()
    await poll_all(pipe)
    spent = pipe.upstream_requests() - sent
    assert spent <= 2 * LOCATIONS
    after = await pipe.store.get_availabilities(list(before))
    failed = [av for av in after.values() if av.status is Status.ERROR]
    assert failed and all("HTTP 500" in av.message or "paused" in av.message for av in failed)
    assert all(av.slots == before[av.location_id].slots for av in after.values())
    assert len(failed) < LOCATIONS  # the breaker spared the rest
    assert (await pipe.gate.state(PLATFORM)).breaker == "open"
    assert await pipe.gate.available_in(PLATFORM) > 0
    # while the breaker is open, even a full cycle sends nothing upstream
    sent = pipe.upstream_requests()
    clock.advance(10)
    reports = await asyncio.wait_for(pipe.coordinator.refresh_all(), timeout=30)
    assert pipe.upstream_requests() == sent
    assert reports[PLATFORM].errors == {"paused": LOCATIONS}


async def test_429_storm_pauses_the_whole_provider(pipe: Pipeline, clock: ManualClock) -> None:
    # Guards: Retry-After is honoured fleet-wide. Without the pause every location would
    # be asked (and each 429 retried); with it, only the requests already admitted go out.
    before = await prime(pipe, clock)
    await pipe.faults(rate_limit=1.0, retry_after="300")
    sent = pipe.upstream_requests()
    await poll_all(pipe)
    assert pipe.upstream_requests() - sent <= 4  # at most the concurrency already in flight
    assert await pipe.gate.available_in(PLATFORM) > 250
    after = await pipe.store.get_availabilities(list(before))
    assert all(av.slots == before[av.location_id].slots for av in after.values())
    # locations that never got a request are left untouched, not marked failed
    assert sum(av.status is not Status.ERROR for av in after.values()) >= LOCATIONS - 4
    clock.advance(60)
    assert await pipe.coordinator.dispatch(PLATFORM, 100) == 0
    # after Retry-After, polling resumes and succeeds
    await pipe.faults()
    clock.advance(300)
    report = await pipe.coordinator.run_due(PLATFORM, limit=100)
    assert report.polled == LOCATIONS and report.failed == 0


async def test_connection_reset_becomes_location_error(pipe: Pipeline,
                                                       clock: ManualClock) -> None:
    # Guards: aiohttp's ServerDisconnected/ClientOSError -> FetchError(CONNECTION) ->
    # per-location error; without it the exception escapes as an "adapter bug".
    before = await prime(pipe, clock)
    await pipe.faults(reset=1.0)
    await poll_all(pipe)
    await assert_errors_keep_slots(pipe, before, "connection failed")


async def test_malformed_json_affects_only_the_locations_that_got_it(
        pipe: Pipeline, clock: ManualClock) -> None:
    # Guards: invalid JSON -> per-location error naming the position; the others still
    # update, and a bad body is not retried (the retry would cost budget for nothing).
    before = await prime(pipe, clock)
    await pipe.faults(malformed=0.05, seed=3)
    await poll_all(pipe)
    after = await pipe.store.get_availabilities(list(before))
    bad = [av for av in after.values() if av.status is Status.ERROR]
    good = [av for av in after.values() if av.status is not Status.ERROR]
    assert bad and good
    assert all("invalid JSON" in av.message for av in bad)
    assert all(av.slots == before[av.location_id].slots for av in bad)
    assert all(av.checked_at > before[av.location_id].checked_at for av in good)


async def test_oversized_body_is_refused(pipe: Pipeline, clock: ManualClock) -> None:
    # Guards: the body size cap (200 kB here) against a 5 MB answer: a per-location
    # error naming the limit instead of buffering whatever upstream sends.
    before = await prime(pipe, clock)
    await pipe.faults(oversized=1.0, oversized_bytes=5_000_000)
    await poll_all(pipe)
    await assert_errors_keep_slots(pipe, before, "exceeds the 200000-byte limit")


async def test_format_drift_is_a_parse_error_naming_the_field(
        pipe: Pipeline, clock: ManualClock) -> None:
    # Guards: the parser's shape checks: the drifted booking (visit_motives renamed) names
    # the missing field and
    # the location keeps its last good slots; the site still publishes.
    before = await prime(pipe, clock)
    with_slots = {lid for lid, av in before.items() if av.slots}
    assert with_slots
    await pipe.faults(drift=True)
    await poll_all(pipe)
    after = await pipe.store.get_availabilities(list(before))
    for lid in with_slots:
        assert after[lid].status is Status.ERROR
        assert "missing field 'visit_motives'" in after[lid].message
        assert after[lid].slots == before[lid].slots
    report = await pipe.publisher.publish()
    assert report.locations == LOCATIONS
