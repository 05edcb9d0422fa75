"""Change-rate estimation per location (Cho & Garcia-Molina), decayed over time.

A poll only tells us *whether* something changed since the previous poll, not how often.
The estimator lambda = -ln((n - X + 0.5) / (n + 0.5)) / I corrects for the changes a poll
cannot see (several changes between two polls look like one), and the 0.5 terms keep it
finite when every poll saw a change. Counters decay with a half-life in seconds so that a
rush (an idle place suddenly releasing slots) shows in the estimate within minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeStats:
    """Decayed counters: ``polls`` observations, ``changes`` of them saw a change,
    ``span`` the sum of the intervals they covered (s), ``last_at`` the last one (unix s)."""

    polls: float = 0.0
    changes: float = 0.0
    span: float = 0.0
    last_at: float | None = None

    @property
    def mean_interval(self) -> float:
        return self.span / self.polls if self.polls > 0 else 0.0


def decay_factor(elapsed: float, half_life: float) -> float:
    """Weight left on old evidence after ``elapsed`` seconds."""
    if half_life <= 0:
        raise ValueError("half_life must be positive")
    return float(0.5 ** (max(0.0, elapsed) / half_life))


def observe(stats: ChangeStats, changed: bool, now: float, half_life: float) -> ChangeStats:
    """Fold one successful poll into the counters.

    The first poll of a location only sets the baseline: with nothing to compare against,
    it cannot say whether anything changed.
    """
    if stats.last_at is None:
        return ChangeStats(stats.polls, stats.changes, stats.span, now)
    interval = now - stats.last_at
    if interval <= 0:  # a late or duplicate report: no new evidence
        return stats
    keep = decay_factor(interval, half_life)
    return ChangeStats(
        polls=stats.polls * keep + 1.0,
        changes=stats.changes * keep + (1.0 if changed else 0.0),
        span=stats.span * keep + interval,
        last_at=now,
    )


def change_rate(stats: ChangeStats, prior: float) -> float:
    """Changes per second; ``prior`` when there is no evidence yet."""
    n = stats.polls
    if n <= 1e-9 or stats.span <= 0:
        return prior
    x = min(max(stats.changes, 0.0), n)
    return -math.log((n - x + 0.5) / (n + 0.5)) / stats.mean_interval
