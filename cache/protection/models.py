"""The protection rules as pure models with explicit ``now`` (seconds).

The Lua scripts in ``cache.protection.scripts`` implement exactly these rules; the tests
run both on the same inputs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

MAX_PAUSE = 900.0
EPSILON = 1e-6  # Redis stores times to the microsecond


@dataclass
class GcraLimiter:
    """Generic cell rate algorithm: ``rate`` requests per second with bursts of ``burst``.

    Over any window of T seconds it admits at most ``burst + rate * T`` requests, and it
    keeps a single number (the theoretical arrival time), which is why it fits in Redis.
    """

    rate: float
    burst: int
    tat: float = 0.0

    def try_acquire(self, now: float) -> float:
        """0.0 when a request may go now (it is then counted), else seconds to wait."""
        interval = 1.0 / self.rate
        tat = max(self.tat, now)
        allowed_at = tat - (self.burst - 1) * interval
        if allowed_at - now > EPSILON:  # float sums must not eat the last burst token
            return allowed_at - now
        self.tat = tat + interval
        return 0.0


@dataclass
class AimdLimit:
    """Concurrency limit: +``increase``/limit per success, x``decrease`` on congestion,
    cut at most once per ``cooldown`` so one burst of 429s is one signal, not fifty."""

    limit: float
    minimum: float = 1.0
    maximum: float = 64.0
    increase: float = 1.0
    decrease: float = 0.5
    cooldown: float = 5.0
    last_cut: float = -1e18

    def on_success(self) -> None:
        self.limit = min(self.maximum, self.limit + self.increase / max(self.limit, 1.0))

    def on_congestion(self, now: float) -> bool:
        """Returns True when this signal cut the limit."""
        if now - self.last_cut < self.cooldown:
            return False
        self.limit = max(self.minimum, self.limit * self.decrease)
        self.last_cut = now
        return True

    @property
    def slots(self) -> int:
        return max(1, int(self.limit))


@dataclass
class CircuitBreaker:
    """closed -> open after ``failure_threshold`` consecutive failures -> after
    ``reset_timeout`` one probe (half-open) -> closed on its success, open again on failure."""

    failure_threshold: int = 5
    reset_timeout: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.probing else "open"

    def allow(self, now: float) -> bool:
        if self.opened_at is None:
            return True
        if self.probing or now - self.opened_at < self.reset_timeout:
            return False
        self.probing = True
        return True

    def record_success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def record_failure(self, now: float) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.failure_threshold:
            self.opened_at, self.probing = now, False


def pause_for(retry_after: float | None, *, cap: float = MAX_PAUSE, jitter: float = 0.1,
              rng: random.Random | None = None) -> float:
    """Seconds to pause a provider after a Retry-After: capped, with up to ``jitter`` extra
    so a fleet does not come back in lockstep. Never shorter than asked."""
    if retry_after is None or retry_after <= 0:
        return 0.0
    base = min(retry_after, cap)
    return base * (1.0 + (rng or random).uniform(0.0, jitter))
