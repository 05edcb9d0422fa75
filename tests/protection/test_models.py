"""The protection rules, as pure models."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cache.protection import AimdLimit, CircuitBreaker, GcraLimiter, pause_for

rates = st.floats(min_value=0.5, max_value=200)
bursts = st.integers(min_value=1, max_value=50)
gaps = st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=300)


@settings(max_examples=150, deadline=None)
@given(rate=rates, burst=bursts, gaps=gaps)
def test_gcra_never_admits_more_than_burst_plus_rate_times_window(
    rate: float, burst: int, gaps: list[float]
) -> None:
    limiter = GcraLimiter(rate, burst)
    now, admitted = 1000.0, []
    for gap in gaps:
        now += gap
        if limiter.try_acquire(now) == 0:
            admitted.append(now)
    for i, start in enumerate(admitted):
        for j in range(i, len(admitted)):
            window = admitted[j] - start
            assert j - i + 1 <= burst + rate * window + 1e-6


@settings(max_examples=100, deadline=None)
@given(rate=rates, burst=bursts)
def test_gcra_wait_is_exact(rate: float, burst: int) -> None:
    limiter = GcraLimiter(rate, burst)
    now = 50.0
    for _ in range(burst):
        assert limiter.try_acquire(now) == 0
    wait = limiter.try_acquire(now)
    assert wait > 0
    assert limiter.try_acquire(now + wait * 0.99) > 0
    assert limiter.try_acquire(now + wait + 1e-6) == 0


def test_aimd_cuts_once_per_burst_and_grows_slowly() -> None:
    aimd = AimdLimit(limit=16, maximum=16, cooldown=5)
    cuts = [aimd.on_congestion(100 + i * 0.1) for i in range(30)]  # 30 429s in 3 s
    assert cuts.count(True) == 1 and aimd.limit == 8
    assert aimd.on_congestion(106) is True and aimd.limit == 4
    for _ in range(4):
        aimd.on_success()
    assert 4 < aimd.limit < 6  # additive: about +1 per limit's worth of successes
    floor = AimdLimit(limit=1, cooldown=0)
    floor.on_congestion(1)
    assert floor.limit == 1 and floor.slots == 1


def test_breaker_opens_probes_once_and_closes() -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=30)
    for t in range(3):
        assert breaker.allow(t)
        breaker.record_failure(t)
    assert breaker.state == "open" and not breaker.allow(10)
    assert breaker.allow(40) and breaker.state == "half_open"
    assert not breaker.allow(40.1)  # one probe at a time
    breaker.record_failure(41)
    assert breaker.state == "open" and not breaker.allow(60)
    assert breaker.allow(72)
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow(72.1)


def test_pause_is_capped_jittered_never_shorter() -> None:
    rng = random.Random(1)
    pauses = [pause_for(10, rng=rng) for _ in range(100)]
    assert all(10 <= p <= 11 for p in pauses) and len(set(pauses)) > 50
    assert pause_for(10_000, cap=900, jitter=0) == 900
    assert pause_for(None) == 0 and pause_for(0) == 0
