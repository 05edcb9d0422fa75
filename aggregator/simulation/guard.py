"""Per-provider protection in the simulator, composed from the production pure models
of ``cache.protection.models`` (the rules ``RedisGate`` runs in Lua).

The same rules as the production gate: a GCRA rate budget, an AIMD concurrency limit cut
on congestion (429, timeouts), a circuit breaker, and a pause from Retry-After (capped and
jittered by the production ``pause_for``) after which a single probe goes out first.
"""

from __future__ import annotations

import math
import random

from aggregator.simulation.upstream import Reply
from cache.protection.models import AimdLimit, CircuitBreaker, GcraLimiter, pause_for


class ProviderGuard:
    def __init__(self, rate: float, burst: int, concurrency: int,
                 rng: random.Random | None = None, pause_jitter: float = 0.1) -> None:
        self.rng = rng or random.Random(0)
        self.pause_jitter = pause_jitter
        self.limiter = GcraLimiter(rate, burst)
        self.aimd = AimdLimit(float(concurrency), maximum=float(concurrency))
        self.breaker = CircuitBreaker()
        self.in_flight = 0
        self.paused_until = 0.0
        self.probe_only = False  # after a Retry-After pause: one request until one succeeds
        self.paused_at = -1.0

    def paused(self, now: float) -> bool:
        if now < self.paused_until:
            return True
        opened = self.breaker.opened_at
        return opened is not None and now - opened < self.breaker.reset_timeout

    def next_start(self, now: float) -> float | None:
        """``now`` if a request may start now (and it is counted), a later time to try again,
        or None: wait for a request in flight to finish."""
        if now < self.paused_until:
            return self.paused_until
        opened = self.breaker.opened_at
        if opened is not None and now - opened < self.breaker.reset_timeout:
            return opened + self.breaker.reset_timeout
        if self.in_flight >= (1 if self.probe_only else max(1, math.floor(self.aimd.limit))):
            return None
        wait = self.limiter.try_acquire(now)
        if wait > 0:
            return now + wait
        if not self.breaker.allow(now):
            return None
        self.in_flight += 1
        return now

    def finish(self, now: float, started: float, reply: Reply, retry_after: float = 0.0) -> None:
        """``started``: when the request went out; a success of one sent before the last
        pause says nothing about the provider now, so it does not end probing."""
        self.in_flight -= 1
        if reply is Reply.OK:
            self.aimd.on_success()
            if started >= self.paused_at:
                self.breaker.record_success()
                self.probe_only = False
            return
        self.aimd.on_congestion(now)
        self.breaker.record_failure(now)
        if reply is Reply.RATE_LIMITED and retry_after > 0:
            pause = pause_for(retry_after, jitter=self.pause_jitter, rng=self.rng)
            self.paused_until = max(self.paused_until, now + pause)
            self.paused_at = now
            self.probe_only = True
