import random
from datetime import UTC, datetime

import pytest

from aggregator.adaptive.estimator import ChangeStats
from aggregator.adaptive.policy import AdaptivePolicy
from aggregator.adaptive.settings import AdaptiveSettings
from aggregator.adaptive.signal import LocationSignal, LocationStats, ProviderPlan
from aggregator.clock import ManualClock
from aggregator.policy import PollObservation
from cache.store import WriteOutcome

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SETTINGS = AdaptiveSettings(jitter=0.0, plan_ttl=600.0, fallback_interval=300.0)


def plan(mu: float = 50.0) -> ProviderPlan:
    return ProviderPlan("doctolib", mu, 30.0, 1800.0, 1 / 3600, START.timestamp())


def signal(polls: float, changes: float, views: float | None = None) -> LocationSignal:
    stats = LocationStats(ChangeStats(polls, changes, polls * 120.0, START.timestamp()))
    return LocationSignal(stats, views)


def observe(
    sig: LocationSignal | None,
    p: ProviderPlan | None,
    outcome: WriteOutcome = WriteOutcome.UNCHANGED,
) -> PollObservation:
    return PollObservation("doctolib:1", "doctolib", outcome, None, START, sig, p)


def policy(clock: ManualClock, settings: AdaptiveSettings = SETTINGS) -> AdaptivePolicy:
    return AdaptivePolicy(clock, settings, random.Random(1))


def test_changing_and_viewed_locations_are_polled_sooner() -> None:
    pol = policy(ManualClock(START))
    idle = pol.next_interval(observe(signal(20, 0), plan()))
    busy = pol.next_interval(observe(signal(20, 10), plan()))
    viewed = pol.next_interval(observe(signal(20, 10, views=400.0), plan()))
    assert viewed < busy < idle
    assert viewed >= 30.0 and idle <= 1800.0


def test_policy_reads_the_injected_clock_to_drop_a_stale_plan() -> None:
    clock = ManualClock(START)
    pol = policy(clock)
    fresh = pol.next_interval(observe(signal(20, 10), plan()))
    assert fresh != 300.0
    clock.advance(599.0)
    assert pol.next_interval(observe(signal(20, 10), plan())) == pytest.approx(fresh)
    clock.advance(2.0)
    assert pol.next_interval(observe(signal(20, 10), plan())) == 300.0


def test_without_a_plan_the_fallback_interval_applies() -> None:
    pol = policy(ManualClock(START))
    assert pol.next_interval(observe(None, None)) == 300.0
    assert pol.next_interval(observe(signal(5, 1), None)) == 300.0


def test_failures_back_off_within_the_clamps() -> None:
    pol = policy(ManualClock(START))
    ok = pol.next_interval(observe(signal(20, 10), plan()))
    failed = pol.next_interval(observe(signal(20, 10), plan(), WriteOutcome.FAILED))
    assert failed == pytest.approx(min(1800.0, 2 * ok))
    idle_failed = pol.next_interval(observe(signal(20, 0), plan(), WriteOutcome.FAILED))
    assert idle_failed == 1800.0


def test_jitter_stays_within_its_share_and_the_clamps() -> None:
    pol = policy(ManualClock(START), AdaptiveSettings(jitter=0.2))
    target = pol.target_interval(observe(signal(20, 3), plan()))
    seen = [pol.next_interval(observe(signal(20, 3), plan())) for _ in range(200)]
    assert all(0.8 * target - 1e-9 <= s <= 1.2 * target + 1e-9 for s in seen)
    assert all(30.0 <= s <= 1800.0 for s in seen)
    assert len(set(seen)) > 100
