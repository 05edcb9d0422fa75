"""When to poll a location next. Pure code with an injected clock.

``RefreshPolicy`` is the interface the coordinator uses; ``FixedIntervalPolicy`` is the
baseline (what ViteMaDose did: every location every N minutes, plus jitter).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aggregator.models import Availability
from cache.store import WriteOutcome


@dataclass(frozen=True)
class PollObservation:
    """What the coordinator learned from one poll, as the policy sees it."""

    location_id: str
    platform: str
    outcome: WriteOutcome
    availability: Availability | None
    now: datetime


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
