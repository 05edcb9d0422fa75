"""How a simulated provider answers: latency, timeouts, and 429 storms, by phase."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum


class Reply(StrEnum):
    OK = "ok"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Phase:
    """From ``start`` to ``end`` (virtual s) the provider is slow, or refuses with 429."""

    start: float
    end: float
    latency: float  # median seconds
    retry_after: float = 0.0  # > 0: every request gets 429 with this Retry-After


@dataclass(frozen=True)
class Answer:
    reply: Reply
    duration: float  # s until the caller knows
    retry_after: float = 0.0


@dataclass(frozen=True)
class UpstreamModel:
    latency: float = 0.25  # median s when healthy
    spread: float = 0.4  # sigma of the log-normal latency
    timeout: float = 10.0
    phases: tuple[Phase, ...] = ()

    def phase_at(self, t: float) -> Phase | None:
        for phase in self.phases:
            if phase.start <= t < phase.end:
                return phase
        return None

    def answer(self, t: float, rng: random.Random) -> Answer:
        phase = self.phase_at(t)
        if phase is not None and phase.retry_after > 0:
            return Answer(Reply.RATE_LIMITED, self.latency, phase.retry_after)
        median = phase.latency if phase is not None else self.latency
        took = median * math.exp(rng.gauss(0.0, self.spread))
        if took >= self.timeout:
            return Answer(Reply.TIMEOUT, self.timeout)
        return Answer(Reply.OK, took)
