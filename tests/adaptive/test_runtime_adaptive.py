"""The adaptive policy end to end: runtime wiring, coordinator, recorder, planner, Redis."""

from pathlib import Path

import pytest
import redis.asyncio as aredis

from aggregator.adaptive.policy import AdaptivePolicy
from aggregator.adaptive.service import AdaptiveRecorder
from aggregator.adaptive.settings import AdaptiveSettings
from aggregator.adaptive.signal import ProviderPlan
from aggregator.clock import ManualClock
from aggregator.config import RedisSettings, SandboxSettings, Settings, SiteSettings
from aggregator.models import Location
from aggregator.policy import PollObservation
from aggregator.runtime import Runtime
from cache.keys import Keys
from cache.stats import StatsStore
from cache.store import WriteOutcome


def settings(redis_url: str, keys: Keys, tmp_path: Path) -> Settings:
    return Settings(
        redis=RedisSettings(url=redis_url, prefix=keys.prefix),
        site=SiteSettings(output_dir=tmp_path / "site"),
        sandbox=SandboxSettings(locations_per_platform=6, rate=500.0, platforms=["doctolib"]),
    )


async def test_polls_feed_shared_stats_and_the_plan_sets_due_times(
    redis: aredis.Redis, redis_url: str, keys: Keys, clock: ManualClock, tmp_path: Path
) -> None:
    async with Runtime(settings(redis_url, keys, tmp_path), clock=clock) as rt:
        assert isinstance(rt.coordinator.policy, AdaptivePolicy)
        assert rt.planner is not None
        await rt.coordinator.discover()
        assert await rt.planner.tick()
        for _ in range(3):
            report = await rt.coordinator.run_due("doctolib", 50)
            assert report.polled == 6
            clock.advance(600.0)
            await rt.planner.tick()
        stats = await StatsStore(redis, keys).load(await rt.store.location_ids())
        # three polls 600 s apart: a baseline, then two observations, the first decayed
        expected = 0.5 ** (600.0 / rt.settings.adaptive.half_life) + 1.0
        assert all(s.change.polls == pytest.approx(expected) for s in stats.values())
        assert all(s.cost >= 1.0 for s in stats.values())
        plan = await StatsStore(redis, keys).load_plan("doctolib")
        assert plan is not None and plan.locations == 6
        assert plan.computed_at == clock.now().timestamp()
        now = clock.now().timestamp()
        scores = await redis.zrange(keys.due("doctolib"), 0, -1, withscores=True)
        polled_at = now - 600.0
        assert all(polled_at + 18.0 <= due <= polled_at + 660.0 for _, due in scores)
        await rt.planner.release()


async def test_only_one_planner_in_the_fleet(
    redis: aredis.Redis, redis_url: str, keys: Keys, clock: ManualClock, tmp_path: Path
) -> None:
    cfg = settings(redis_url, keys, tmp_path)
    async with Runtime(cfg, clock=clock) as first, Runtime(cfg, clock=clock) as second:
        assert first.planner is not None and second.planner is not None
        await first.coordinator.discover()
        assert await first.planner.tick()
        assert await second.planner.tick() == []
        await first.planner.release()
        assert await second.planner.tick()
        await second.planner.release()


async def test_recorder_hands_the_policy_stats_views_and_plan(
    redis: aredis.Redis, keys: Keys, clock: ManualClock
) -> None:
    store = StatsStore(redis, keys)
    plan = ProviderPlan("doctolib", 3.0, 30.0, 1800.0, 0.001, clock.now().timestamp())
    await store.save_plan(plan, {})
    await store.set_views({"area:75": 900.0, "doctolib:2": 5.0})
    recorder = AdaptiveRecorder(store, AdaptiveSettings())
    loc = Location(id="doctolib:1", platform="doctolib", upstream_id="1", name="A", area="75")
    seen = []
    for outcome in (WriteOutcome.CHANGED, WriteOutcome.CHANGED, WriteOutcome.FAILED):
        obs = PollObservation(loc.id, "doctolib", outcome, None, clock.now())
        seen.append(await recorder.enrich(obs, loc, requests=3))
        clock.advance(60.0)
    first, second, failed = seen
    assert first.plan == plan and first.signal is not None
    assert first.signal.views == 900.0
    assert first.signal.stats.cost == 3.0
    assert second.signal is not None and second.signal.stats.change.changes == 1.0
    assert failed.signal is not None and failed.signal.stats == second.signal.stats
