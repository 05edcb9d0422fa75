"""The fleet-wide gate in a real Redis: same rules as the pure models, plus real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
import redis.asyncio as aredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.clock import ManualClock
from cache.batch import call_script
from cache.cleanup import delete_prefix
from cache.keys import Keys
from cache.protection import GcraLimiter
from cache.protection.redis_gate import RedisGate, Tuning
from scrapers.base import ProviderSettings
from scrapers.client import ClientPolicy, PoliteClient
from scrapers.errors import FetchError, FetchErrorKind
from scrapers.gate import Outcome
from scrapers.retry_after import parse_retry_after
from scrapers.sandbox.server import SandboxServer

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def provider(rate: float = 10, burst: int = 5, concurrency: int = 1000) -> ProviderSettings:
    return ProviderSettings(platform="p", base_url="http://127.0.0.1:9", rate=rate, burst=burst,
                            concurrency=concurrency, timeout=1)


def gate_for(redis: aredis.Redis, keys: Keys, clock: ManualClock | None,
             **kw: float) -> RedisGate:
    return RedisGate(redis, {"p": provider(**kw)}, keys, clock=clock,  # type: ignore[arg-type]
                     tuning=Tuning(lease=0.5, breaker_threshold=3, breaker_reset=30,
                                   aimd_cooldown=5, pause_jitter=0.0))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.floats(min_value=1, max_value=50), burst=st.integers(min_value=1, max_value=10),
       gaps=st.lists(st.integers(min_value=0, max_value=500).map(lambda ms: ms / 1000),
                     min_size=5, max_size=60))
async def test_redis_budget_matches_pure_model(redis: aredis.Redis, rate: float, burst: int,
                                               gaps: list[float]) -> None:
    # uuid4, not random: hypothesis seeds `random`, so concurrent runs would share a prefix
    keys = Keys(prefix=f"test:{uuid.uuid4().hex[:12]}:")
    clock = ManualClock(T0)
    gate = gate_for(redis, keys, clock, rate=rate, burst=burst)
    model = GcraLimiter(rate, burst)
    try:
        admitted = []
        for i, gap in enumerate(gaps):
            clock.advance(gap)
            now = clock.now().timestamp()
            wait, reason = await gate.try_acquire("p", f"t{i}")
            assert (wait == 0) == (model.try_acquire(now) == 0), (i, wait, reason)
            if wait == 0:
                admitted.append(now)
        for i, start in enumerate(admitted):
            for j in range(i, len(admitted)):
                assert j - i + 1 <= burst + rate * (admitted[j] - start) + 1e-6
    finally:
        await delete_prefix(redis, keys.prefix)


async def test_semaphore_caps_concurrency_and_crashed_lease_returns(
        redis: aredis.Redis, keys: Keys, clock: ManualClock) -> None:
    gate = gate_for(redis, keys, clock, rate=1000, burst=1000, concurrency=2)
    assert (await gate.try_acquire("p", "a"))[0] == 0
    assert (await gate.try_acquire("p", "b"))[0] == 0
    assert (await gate.try_acquire("p", "c"))[1] == "concurrency"
    clock.advance(0.6)  # lease 0.5 s: holders a and b crashed without releasing
    assert (await gate.try_acquire("p", "c"))[0] == 0


async def test_a_success_rides_on_the_next_admission(
        redis: aredis.Redis, keys: Keys, clock: ManualClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One round trip per request: the next admission carries the earlier success, which
    frees its lease first; with no admission to carry it, a flush reports it."""
    gate = gate_for(redis, keys, clock, rate=1000, burst=1000, concurrency=1)
    sem = keys.provider("p", "sem")
    async with gate.slot("p"):
        await gate.report("p", Outcome.OK)
    assert await redis.zcard(sem) == 1  # held until something carries the report
    sent: list[object] = []

    async def counted(script: object, keys: object, args: object) -> object:
        sent.append(script)
        return await call_script(script, keys, args)  # type: ignore[arg-type]

    monkeypatch.setattr("cache.protection.redis_gate.call_script", counted)
    async with gate.slot("p"):  # concurrency 1: admitted only if the success went first
        assert await redis.zcard(sem) == 1
        await gate.report("p", Outcome.OK)
    assert sent == [gate._report_then_acquire]  # no round trip of its own for a success
    await asyncio.sleep(0.05)  # the flush after FLUSH_AFTER
    assert await redis.zcard(sem) == 0
    assert (await gate.state("p")).in_flight == 0


async def test_aimd_cuts_once_per_burst_in_redis(redis: aredis.Redis, keys: Keys,
                                                 clock: ManualClock) -> None:
    gate = gate_for(redis, keys, clock, rate=1000, burst=1000, concurrency=16)
    for i in range(20):
        async with gate.slot("p"):
            await gate.report("p", Outcome.SERVER_ERROR if i < 2 else Outcome.OK)
        if i == 1:
            assert (await gate.state("p")).aimd_limit == 8  # two 5xx, one cut
    assert 8 < (await gate.state("p")).aimd_limit < 11


async def test_breaker_opens_probes_once_then_closes(redis: aredis.Redis, keys: Keys,
                                                     clock: ManualClock) -> None:
    gate = gate_for(redis, keys, clock)
    for _ in range(3):
        async with gate.slot("p"):
            await gate.report("p", Outcome.TIMEOUT)
    assert (await gate.try_acquire("p", "x"))[1] == "open"
    assert await gate.available_in("p") == pytest.approx(30, abs=0.01)
    with pytest.raises(FetchError) as err:  # longer than max_wait: fail fast, reschedule
        await gate.acquire("p")
    assert err.value.kind is FetchErrorKind.PAUSED
    clock.advance(30)
    assert await gate.try_acquire("p", "probe") == (0.0, "probe")
    assert (await gate.try_acquire("p", "other"))[1] == "probing"
    clock.advance(2.5)  # the prober crashed: its lease (timeout + 1 s) lapses, another probes
    async with gate.slot("p"):
        pass  # a neutral end: nothing learned
    assert (await gate.state("p")).breaker in {"open", "half_open"}


async def test_retry_after_pauses_the_provider_for_everyone(
        redis: aredis.Redis, keys: Keys, clock: ManualClock) -> None:
    gate = gate_for(redis, keys, clock)
    other = gate_for(redis, keys, clock)  # another process on another machine
    async with gate.slot("p"):
        await gate.report("p", Outcome.RATE_LIMITED, retry_after=12)
    wait, reason = await other.try_acquire("p", "z")
    assert reason == "paused" and 11.9 < wait <= 12
    clock.advance(12.1)
    assert await other.try_acquire("p", "probe") == (0.0, "probe")
    assert (await gate.try_acquire("p", "y"))[1] == "probing"


def test_retry_after_http_date() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True),
                             now) == 90
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("100000", now) == 900  # capped
    assert parse_retry_after("soon", now) is None


async def test_retries_spend_the_same_budget(redis: aredis.Redis, keys: Keys,
                                             clock: ManualClock,
                                             sandbox: SandboxServer) -> None:
    settings = ProviderSettings(platform="doctolib", base_url=sandbox.base_url("doctolib"),
                                rate=0.1, burst=3, concurrency=4)
    gate = RedisGate(redis, {"doctolib": settings}, keys, clock=clock)
    sandbox.faults.plan("doctolib").server_error = 1.0
    async with aiohttp.ClientSession() as session:
        client = PoliteClient(session, "doctolib", settings.base_url, gate=gate, clock=clock,
                              policy=ClientPolicy(retries=2, backoff_base=0.001))
        with pytest.raises(FetchError) as err:
            await client.get_json("search.json")
    assert err.value.kind is FetchErrorKind.SERVER_ERROR
    assert sandbox.faults.requests["doctolib"] == 3  # one try + two retries ...
    wait, reason = await gate.try_acquire("doctolib", "next")
    assert reason == "rate" and wait > 9  # ... and all three came out of the burst of 3


@pytest.mark.slow
async def test_429_storm_drops_to_retry_after_pace_at_once(redis: aredis.Redis, keys: Keys,
                                                           sandbox: SandboxServer) -> None:
    """Real time, real HTTP: 8 eager pollers against a platform answering only 429."""
    settings = ProviderSettings(platform="doctolib", base_url=sandbox.base_url("doctolib"),
                                rate=200, burst=20, concurrency=8)
    gate = RedisGate(redis, {"doctolib": settings}, keys,
                     tuning=Tuning(max_wait=30, pause_jitter=0.0))
    plan = sandbox.faults.plan("doctolib")
    plan.rate_limit, plan.retry_after = 1.0, "1"

    async with aiohttp.ClientSession() as session:
        client = PoliteClient(session, "doctolib", settings.base_url, gate=gate,
                              policy=ClientPolicy(retries=0))

        async def poller() -> None:
            while True:
                with contextlib.suppress(FetchError):
                    await client.get_json("search.json")

        with contextlib.suppress(TimeoutError):  # pollers queued at the gate stop here too
            async with asyncio.timeout(3.5):
                await asyncio.gather(*(poller() for _ in range(8)))
    sent = sandbox.faults.requests["doctolib"]
    # at most the first concurrent wave, then one probe per Retry-After second
    assert sent <= 8 + 4, sent
    assert sent >= 3  # the probes did go out: paused, not dead
