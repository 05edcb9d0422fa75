"""What the adaptive policy knows about one location and one provider when it reschedules."""

from __future__ import annotations

from dataclasses import dataclass, field

from aggregator.adaptive.estimator import ChangeStats, observe
from aggregator.adaptive.waterfill import Bounds

COST_SMOOTHING = 0.2  # weight of the newest poll in the requests-per-poll average


@dataclass(frozen=True)
class LocationStats:
    """Shared per-location state (a Redis hash in production, a dict in the simulator)."""

    change: ChangeStats = field(default_factory=ChangeStats)
    cost: float = 1.0  # smoothed upstream requests per successful poll
    near: float = 0.0  # near-term slot score at the last successful poll


def record_poll(
    stats: LocationStats,
    changed: bool | None,
    requests: int,
    near: float,
    now: float,
    half_life: float,
) -> LocationStats:
    """Fold one poll in. ``changed`` None: the poll failed or was superseded, so it says
    nothing about change and its request count says nothing about a normal poll's cost."""
    if changed is None:
        return stats
    cost = stats.cost
    if requests > 0 and stats.change.last_at is None:
        cost = float(requests)  # the first poll is the best guess there is
    elif requests > 0:
        cost = (1 - COST_SMOOTHING) * cost + COST_SMOOTHING * requests
    return LocationStats(observe(stats.change, changed, now, half_life), cost, near)


@dataclass(frozen=True)
class LocationSignal:
    stats: LocationStats
    views: float | None = None  # views/hour of the page showing it, when known


@dataclass(frozen=True)
class ProviderPlan:
    """The planner's latest water level for one provider, shared by every worker."""

    platform: str
    mu: float
    min_interval: float
    max_interval: float
    prior_rate: float  # change rate assumed for a location without evidence
    computed_at: float  # unix s
    budget: float = 0.0  # requests/s the plan may spend
    spend: float = 0.0  # requests/s the plan spends
    locations: int = 0
    feasible: bool = True

    @property
    def bounds(self) -> Bounds:
        return Bounds(self.min_interval, self.max_interval)
