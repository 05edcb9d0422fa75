"""Split a provider's request budget between its locations by water-filling.

For a location changing at rate lambda and worth w, polling at rate rho keeps it fresh a
fraction rho / (rho + lambda) of the time. Maximising sum(w * freshness) under
sum(rho * cost) = budget gives rho = max(0, sqrt(w * lambda / mu) - lambda); the water level
mu is found by bisection. One deliberate change: the raw formula *lowers* the rate of a
location once lambda > w / (4 mu) and abandons it when lambda >= w / mu, because binary
freshness counts a page stale by one change the same as one stale by a hundred. Our cost
(phantom slots shown to visitors) grows with staleness, and the places that change fastest
in a rush are exactly the ones visitors chase, so past that peak we hold the peak rate
w / (4 mu). The allocation is then monotone: more weight or more change never means fewer polls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Demand:
    """One location as the allocator sees it: worth, change rate (1/s), requests per poll."""

    weight: float
    change_rate: float
    cost: float = 1.0


@dataclass(frozen=True)
class Bounds:
    min_interval: float
    max_interval: float

    def __post_init__(self) -> None:
        if not 0 < self.min_interval <= self.max_interval:
            raise ValueError("need 0 < min_interval <= max_interval")

    @property
    def max_rate(self) -> float:
        return 1.0 / self.min_interval

    @property
    def min_rate(self) -> float:
        return 1.0 / self.max_interval

    def clamp_rate(self, rate: float) -> float:
        return min(self.max_rate, max(self.min_rate, rate))

    def clamp_interval(self, interval: float) -> float:
        return min(self.max_interval, max(self.min_interval, interval))


@dataclass(frozen=True)
class Allocation:
    """The water level and the clamped poll rates (1/s), in the order of the demands."""

    mu: float
    rates: tuple[float, ...]
    spend: float  # requests per second the rates cost
    budget: float
    feasible: bool  # False: even max_interval for everyone costs more than the budget

    @property
    def intervals(self) -> tuple[float, ...]:
        return tuple(1.0 / r for r in self.rates)


def poll_rate(weight: float, change_rate: float, mu: float) -> float:
    """Unclamped optimal poll rate at water level ``mu`` (peak-held, see module doc)."""
    if weight <= 0 or change_rate <= 0:
        return 0.0
    if math.isinf(mu):
        return 0.0
    if mu <= 0:  # the budget covers everyone at the fastest rate
        return math.inf
    peak = weight / (4.0 * mu)
    if change_rate >= peak:
        return peak
    return math.sqrt(weight * change_rate / mu) - change_rate


def _spend(demands: Sequence[Demand], bounds: Bounds, mu: float) -> float:
    """Total cost of the clamped rates at ``mu``: ``poll_rate`` inlined, as the solver
    calls this a dozen times per plan over every location of a provider."""
    lo_rate, hi_rate = bounds.min_rate, bounds.max_rate
    root_mu, quarter_mu = math.sqrt(mu), 4.0 * mu
    total = 0.0
    for d in demands:
        w, lam = d.weight, d.change_rate
        if w <= 0 or lam <= 0:
            rate = 0.0
        elif lam >= w / quarter_mu:
            rate = w / quarter_mu
        else:
            rate = math.sqrt(w * lam) / root_mu - lam
        total += d.cost * (hi_rate if rate > hi_rate else lo_rate if rate < lo_rate else rate)
    return total


def water_fill(
    demands: Sequence[Demand],
    budget: float,
    bounds: Bounds,
    tolerance: float = 1e-9,
    max_steps: int = 200,
    hint: float | None = None,
) -> Allocation:
    """Rates whose total cost equals ``budget`` (requests/s, to ``tolerance``) whenever the
    clamps allow it, never more. ``hint``: the previous water level, to start near it.

    If even the slowest schedule costs more than the budget, everyone gets max_interval and
    ``feasible`` is False: the rate limiter then holds the line, the plan cannot.
    """
    if any(d.cost <= 0 for d in demands):
        raise ValueError("every demand needs a positive cost")
    total_cost = sum(d.cost for d in demands)
    floor, ceiling = total_cost * bounds.min_rate, total_cost * bounds.max_rate
    if not demands or budget <= floor:
        rates = tuple(bounds.min_rate for _ in demands)
        return Allocation(math.inf, rates, floor, budget, budget >= floor)
    if budget >= ceiling:
        rates = tuple(bounds.max_rate for _ in demands)
        return Allocation(0.0, rates, ceiling, budget, True)
    mu = _water_level(demands, budget, bounds, tolerance, max_steps, hint)
    rates = tuple(bounds.clamp_rate(poll_rate(d.weight, d.change_rate, mu)) for d in demands)
    spend = sum(d.cost * r for d, r in zip(demands, rates, strict=True))
    return Allocation(mu, rates, spend, budget, True)


def _water_level(
    demands: Sequence[Demand],
    budget: float,
    bounds: Bounds,
    tolerance: float,
    max_steps: int,
    hint: float | None,
) -> float:
    """Root of spend(mu) = budget in x = log2(mu): bracket, then Illinois false position
    (a few steps instead of bisection's fifty: the planner runs this for every provider
    on every tick, and the simulator thousands of times). Returns the non-overspending side."""

    def excess(x: float) -> float:
        return _spend(demands, bounds, 2.0**x) - budget

    centre = math.log2(hint) if hint is not None and 0 < hint < math.inf else 0.0
    step = 1.0 if hint is not None else 8.0
    lo, hi = centre - step, centre + step
    f_lo, f_hi = excess(lo), excess(hi)
    while f_lo < 0 and lo > -2000:  # spend falls as mu rises: lo must overspend
        hi, f_hi = lo, f_lo
        step *= 2.0
        lo -= step
        f_lo = excess(lo)
    while f_hi > 0 and hi < 2000:
        lo, f_lo = hi, f_hi
        step *= 2.0
        hi += step
        f_hi = excess(hi)
    if f_lo <= 0:  # spend is flat (no location has weight and change): slowest schedule
        return float(2.0**lo)
    side, true_hi = 0, f_hi
    for _ in range(max_steps):
        if -true_hi <= tolerance * budget or hi - lo < 1e-12:
            break
        x = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        if not lo < x < hi:
            x = (lo + hi) / 2.0
        f_x = excess(x)
        if f_x > 0:
            lo, f_lo = x, f_x
            if side == -1:  # the same end moved twice: halve the other (Illinois)
                f_hi /= 2.0
            side = -1
        else:
            hi, f_hi, true_hi = x, f_x, f_x
            if side == 1:
                f_lo /= 2.0
            side = 1
    return float(2.0**hi)
