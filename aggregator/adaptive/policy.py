"""``AdaptivePolicy``: the per-poll half of the plan, pure, with an injected clock.

The planner sets a provider's water level every few tens of seconds; between plans each
poll reschedules its location at that level with its *fresh* stats, so a location that
just started changing speeds up at once instead of waiting for the next plan.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from aggregator.adaptive.planning import location_demand
from aggregator.adaptive.settings import AdaptiveSettings
from aggregator.adaptive.waterfill import Bounds, poll_rate
from aggregator.clock import Clock
from aggregator.policy import PollObservation
from cache.store import WriteOutcome


@dataclass
class AdaptivePolicy:
    clock: Clock
    settings: AdaptiveSettings = field(default_factory=AdaptiveSettings)
    rng: random.Random = field(default_factory=random.Random)
    default_bounds: Bounds = field(default_factory=lambda: Bounds(30.0, 1800.0))

    def target_interval(self, observation: PollObservation) -> float:
        """Seconds before jitter and error backoff; the fallback without a fresh plan."""
        plan, signal = observation.plan, observation.signal
        now = self.clock.now().timestamp()
        if plan is None or signal is None or now - plan.computed_at > self.settings.plan_ttl:
            bounds = plan.bounds if plan is not None else self.default_bounds
            return bounds.clamp_interval(self.settings.fallback_interval)
        demand = location_demand(signal, self.settings, plan.prior_rate)
        rate = plan.bounds.clamp_rate(poll_rate(demand.weight, demand.change_rate, plan.mu))
        return 1.0 / rate

    def next_interval(self, observation: PollObservation) -> float:
        bounds = observation.plan.bounds if observation.plan is not None else self.default_bounds
        interval = self.target_interval(observation)
        if observation.outcome is WriteOutcome.FAILED:
            interval *= self.settings.error_backoff
        jitter = self.settings.jitter
        interval *= 1.0 + self.rng.uniform(-jitter, jitter)
        return bounds.clamp_interval(interval)
