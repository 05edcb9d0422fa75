"""When to poll a location next. Pure code with an injected clock.

``RefreshPolicy`` is the interface the coordinator uses; ``FixedIntervalPolicy`` is the
baseline (what ViteMaDose did: every location every N minutes, plus jitter). The adaptive
policy lives in ``aggregator.adaptive``; its ``PollRecorder`` fills ``signal`` and ``plan``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aggregator.adaptive.signal import LocationSignal, ProviderPlan
from aggregator.models import Availability, Location
from cache.store import WriteOutcome


@dataclass(frozen=True)
class PollObservation:
    """What the coordinator learned from one poll, as the policy sees it."""

    location_id: str
    platform: str
    outcome: WriteOutcome
    availability: Availability | None
    now: datetime
    signal: LocationSignal | None = None  # filled by a PollRecorder (adaptive policy)
    plan: ProviderPlan | None = None


class PollRecorder(Protocol):
    """Records a poll's outcome into shared stats and returns the observation enriched
    with what the policy needs (the I/O half of an adaptive policy)."""

    async def enrich(
        self, observation: PollObservation, location: Location, requests: int
    ) -> PollObservation: ...


class RefreshPolicy(Protocol):
    def next_interval(self, observation: PollObservation) -> float:
        """Seconds until this location should be polled again."""
        ...


@dataclass
class FixedIntervalPolicy:
    interval: float = 300.0
    jitter: float = 0.1
    error_backoff: float = 2.0
    rng: random.Random | None = None

    def next_interval(self, observation: PollObservation) -> float:
        rng = self.rng or random
        base = self.interval
        if observation.outcome is WriteOutcome.FAILED:
            base *= self.error_backoff
        return base * (1.0 + rng.uniform(-self.jitter, self.jitter))
