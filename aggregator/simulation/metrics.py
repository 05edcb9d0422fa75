"""What visitors saw, measured exactly against the simulated ground truth.

For each slot: it *appears* at the first successful poll after its release that still
finds it free; it is *missed* (free but not shown) from its release until then; it is a
*phantom* (shown but booked) from its booking until the next successful poll (a slot that
reaches its start unbooked is just hidden, not a phantom). Missed and
phantom time are weighted by the exact views of the location's area page meanwhile.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from aggregator.simulation.runner import ProviderSpec, RunResult
from aggregator.simulation.upstream import Reply
from aggregator.simulation.world import World


@dataclass(frozen=True)
class StormReport:
    provider: str
    first_429: float  # virtual s when the first 429 reached us
    storm_end: float
    retry_after: float
    requests: int  # started from the first 429 to the end of the storm
    pace_allows: int  # one probe per Retry-After

    @property
    def at_pace(self) -> bool:
        return self.requests <= self.pace_allows


@dataclass(frozen=True)
class RateReport:
    provider: str
    requests: int
    budget: float  # requests/s
    burst: int
    peak_10s: float  # highest requests/s over any 10 s window
    within_budget: bool  # every 1, 10 and 60 s window within rate * window + burst


@dataclass(frozen=True)
class FreshnessReport:
    phantom_views: float
    missed_views: float
    discovery_p50: float
    discovery_p95: float
    discovery_p95_viewed: float  # p95 over slots weighted by their page's views at release
    never_shown: float  # share of slots released during the run never shown
    slots_released: int
    rates: tuple[RateReport, ...]
    storms: tuple[StormReport, ...]
    failed_polls: int

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.rates)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not sorted_values:
        return math.nan
    rank = max(0, math.ceil(q * len(sorted_values)) - 1)
    return sorted_values[rank]


def weighted_percentile(pairs: Sequence[tuple[float, float]], q: float) -> float:
    """Percentile of values weighted by the second element; pairs sorted by value."""
    total = sum(w for _, w in pairs)
    if total <= 0:
        return math.nan
    seen = 0.0
    for value, weight in pairs:
        seen += weight
        if seen >= q * total:
            return value
    return pairs[-1][0]


def max_in_window(times: Sequence[float], window: float) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


Log = Sequence[tuple[float, Reply, float]]


def rate_report(spec: ProviderSpec, log: Log) -> RateReport:
    times = [t for t, _, _ in log]
    within = all(
        max_in_window(times, w) <= spec.rate * w + spec.burst + 1e-9 for w in (1.0, 10.0, 60.0)
    )
    return RateReport(
        spec.name, len(times), spec.rate, spec.burst, max_in_window(times, 10.0) / 10.0, within
    )


def storm_reports(spec: ProviderSpec, log: Log) -> list[StormReport]:
    """Requests sent after the first 429 of a storm reached us, against one per Retry-After."""
    out = []
    for phase in spec.upstream.phases:
        if phase.retry_after <= 0:
            continue
        known = [
            t + took
            for t, reply, took in log
            if phase.start <= t < phase.end and reply is Reply.RATE_LIMITED
        ]
        if not known:
            continue
        first = min(known)
        sent = sum(1 for t, _, _ in log if first <= t < phase.end)
        pace = math.ceil((phase.end - first) / phase.retry_after)
        out.append(StormReport(spec.name, first, phase.end, phase.retry_after, sent, pace))
    return out


def measure(
    world: World, providers: Sequence[ProviderSpec], result: RunResult
) -> FreshnessReport:
    end = world.config.duration
    names = {p.name for p in providers}
    phantom = missed = 0.0
    discovery: list[tuple[float, float]] = []  # (seconds, views/s of its page then)
    released = never = 0
    for loc in world.locations:
        if loc.provider not in names:
            continue
        polls = result.polls[loc.index]
        views = world.cumulative_views
        area = loc.area
        for r, b, start in zip(loc.released, loc.booked, loc.start, strict=True):
            if r >= end or b <= 0:
                continue
            i = bisect.bisect_left(polls, r)
            shown_at = polls[i] if i < len(polls) and polls[i] < b else None
            if r >= 0:
                released += 1
                if shown_at is None:
                    never += 1
                else:
                    discovery.append((shown_at - r, world.view_rate(area, r)))
            hidden_until = min(b if shown_at is None else shown_at, end)
            missed += views(area, hidden_until) - views(area, max(r, 0.0))
            if shown_at is not None and b < min(end, start):  # a slot past its start is hidden
                j = bisect.bisect_left(polls, b, lo=i)
                gone_at = polls[j] if j < len(polls) else end
                phantom += views(area, min(gone_at, end)) - views(area, b)
    discovery.sort()
    seconds = [d for d, _ in discovery]
    return FreshnessReport(
        phantom_views=phantom,
        missed_views=missed,
        discovery_p50=percentile(seconds, 0.5),
        discovery_p95=percentile(seconds, 0.95),
        discovery_p95_viewed=weighted_percentile(discovery, 0.95),
        never_shown=never / released if released else 0.0,
        slots_released=released,
        rates=tuple(rate_report(p, result.requests[p.name]) for p in providers),
        storms=tuple(s for p in providers for s in storm_reports(p, result.requests[p.name])),
        failed_polls=sum(result.failed_polls.values()),
    )
