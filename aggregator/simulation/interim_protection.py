"""STAND-INS for the pure protection models of ``cache.protection`` (helper h3's branch),
with the interface the simulator needs; replaced by the real ones once that branch merges.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GcraLimiter:
    """Generic cell rate: ``rate`` per second with a burst of ``burst``."""

    rate: float
    burst: int
    tat: float = 0.0  # theoretical arrival time

    def try_acquire(self, now: float) -> float:
        """0.0 if a request may go now (and it is counted), else seconds to wait."""
        interval = 1.0 / self.rate
        tat = max(self.tat, now)
        allowed_at = tat - (self.burst - 1) * interval
        if now < allowed_at:
            return allowed_at - now
        self.tat = tat + interval
        return 0.0


@dataclass
class AimdLimit:
    limit: float
    minimum: float = 1.0
    maximum: float = 64.0
    increase: float = 1.0
    decrease: float = 0.5
    cooldown: float = 5.0
    _last_cut: float = -1e18

    def on_success(self) -> None:
        self.limit = min(self.maximum, self.limit + self.increase / max(self.limit, 1.0))

    def on_congestion(self, now: float) -> None:
        if now - self._last_cut >= self.cooldown:  # one cut per burst of bad answers
            self.limit = max(self.minimum, self.limit * self.decrease)
            self._last_cut = now


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    reset_timeout: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False

    def allow(self, now: float) -> bool:
        if self.opened_at is None:
            return True
        if self.probing or now - self.opened_at < self.reset_timeout:
            return False
        self.probing = True  # half-open: one probe
        return True

    def record_success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def record_failure(self, now: float) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.failure_threshold:
            self.opened_at, self.probing = now, False
