import math

import pytest

from aggregator.adaptive.estimator import ChangeStats, change_rate, decay_factor, observe

NO_DECAY = 1e12


def run(pattern: list[bool], every: float, half_life: float = NO_DECAY) -> ChangeStats:
    stats = observe(ChangeStats(), False, 0.0, half_life)
    for i, changed in enumerate(pattern, start=1):
        stats = observe(stats, changed, i * every, half_life)
    return stats


def test_first_poll_only_sets_the_baseline() -> None:
    stats = observe(ChangeStats(), True, 100.0, 60.0)
    assert stats == ChangeStats(0.0, 0.0, 0.0, 100.0)
    assert change_rate(stats, prior=0.123) == 0.123


def test_known_counts_give_the_cho_garcia_molina_estimate() -> None:
    stats = run([True, False, False, True, False, False, True, False, False, False], every=60.0)
    assert stats.polls == pytest.approx(10)
    assert stats.changes == pytest.approx(3)
    assert stats.mean_interval == pytest.approx(60.0)
    assert change_rate(stats, 0.0) == pytest.approx(-math.log(7.5 / 10.5) / 60.0)


def test_every_poll_changed_stays_finite() -> None:
    stats = run([True] * 10, every=30.0)
    assert change_rate(stats, 0.0) == pytest.approx(math.log(21.0) / 30.0)


def test_never_changed_means_zero_rate() -> None:
    assert change_rate(run([False] * 20, every=60.0), 0.5) == 0.0


def test_decay_notices_a_rush_sooner_than_long_memory() -> None:
    quiet, rush = [False] * 100, [True] * 5
    short = run(quiet + rush, every=60.0, half_life=600.0)
    long = run(quiet + rush, every=60.0, half_life=NO_DECAY)
    assert change_rate(short, 0.0) > 4 * change_rate(long, 0.0)


def test_late_or_duplicate_reports_add_no_evidence() -> None:
    stats = run([True, False], every=60.0)
    assert observe(stats, True, stats.last_at or 0.0, 600.0) == stats
    assert observe(stats, True, (stats.last_at or 0.0) - 5, 600.0) == stats


def test_decay_factor_halves_each_half_life() -> None:
    assert decay_factor(600.0, 600.0) == pytest.approx(0.5)
    assert decay_factor(-5.0, 600.0) == 1.0
    with pytest.raises(ValueError):
        decay_factor(1.0, 0.0)
