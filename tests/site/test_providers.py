"""The providers page reads the real fleet-wide protection state (RedisGate)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.pages import SiteRenderer
from aggregator.provider_status import Health, provider_health
from aggregator.site_inputs import SiteInputs
from cache.keys import Keys
from cache.protection.redis_gate import ProviderState, RedisGate, Tuning
from scrapers.base import ProviderSettings
from scrapers.gate import Outcome
from tests.site.factory import T0, dataset


def state(**kw: object) -> ProviderState:
    values: dict[str, object] = {"platform": "p", "aimd_limit": 8.0, "in_flight": 0,
                                 "paused_for": 0.0, "breaker": "closed", "failures": 0}
    values.update(kw)
    return ProviderState(**values)  # type: ignore[arg-type]


def test_health_verdicts() -> None:
    assert provider_health(state(), 8, 0, 10) is Health.OK
    assert provider_health(state(aimd_limit=3.0), 8, 0, 10) is Health.SLOWED
    assert provider_health(state(paused_for=12.0), 8, 0, 10) is Health.PAUSED
    assert provider_health(state(breaker="open", paused_for=20.0), 8, 0, 10) is Health.PAUSED
    assert provider_health(state(breaker="open", paused_for=20.0), 8, 5, 10) is Health.FAILING
    assert provider_health(None, None, 6, 10) is Health.FAILING
    assert provider_health(None, None, 0, 0) is Health.UNKNOWN
    # half-open (probing after a pause) is no verdict by itself; the AIMD cut is
    assert provider_health(state(breaker="half_open"), 8, 0, 10) is Health.OK
    assert provider_health(state(breaker="half_open", aimd_limit=2.0), 8, 0, 10) is Health.SLOWED


async def test_a_retry_after_pause_shows_as_paused(
    redis: aredis.Redis, keys: Keys, clock: ManualClock, tmp_path: Path
) -> None:
    provider = ProviderSettings(platform="testplat", base_url="http://127.0.0.1:9", rate=5,
                                concurrency=4)
    gate = RedisGate(redis, {"testplat": provider}, keys, clock=clock,
                     tuning=Tuning(pause_jitter=0.0))
    async with gate.slot("testplat"):
        await gate.report("testplat", Outcome.RATE_LIMITED, retry_after=120)
    context = await SiteInputs(redis, keys, clock, gate, [provider]).load()
    assert context.providers["testplat"].paused_for > 100
    locations, availabilities = dataset(5)
    files = SiteRenderer(SiteSettings()).render(locations, availabilities, T0, context=context)
    page = files["en/providers.html"].decode()
    assert 'class="health health-paused">paused<' in page
    assert "en pause" in files["providers.html"].decode()
    status = json.loads(files["status.json"])["providers"]["testplat"]
    assert status == {"health": "paused", "last_success": T0.isoformat()}

    clock.advance(121)
    context = await SiteInputs(redis, keys, clock, gate, [provider]).load()
    files = SiteRenderer(SiteSettings()).render(locations, availabilities,
                                                T0 + timedelta(seconds=121), context=context)
    # the pause is over, but AIMD cut the concurrency after the 429: slowed until it recovers
    assert context.providers["testplat"].aimd_limit < provider.concurrency
    assert 'class="health health-slowed">slowed<' in files["en/providers.html"].decode()
