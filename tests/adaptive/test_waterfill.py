import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.adaptive.waterfill import Bounds, Demand, poll_rate, water_fill

BOUNDS = Bounds(30.0, 1800.0)

demand = st.builds(
    Demand,
    weight=st.floats(0.01, 1000.0),
    change_rate=st.floats(1e-6, 1.0),
    cost=st.sampled_from([1.0, 2.0, 3.0]),
)
demands = st.lists(demand, min_size=1, max_size=60)


def spend_range(ds: list[Demand]) -> tuple[float, float]:
    total = sum(d.cost for d in ds)
    return total * BOUNDS.min_rate, total * BOUNDS.max_rate


@settings(max_examples=150, deadline=None)
@given(ds=demands, share=st.floats(0.001, 0.999))
def test_budget_is_spent_exactly_and_never_exceeded(ds: list[Demand], share: float) -> None:
    floor, ceiling = spend_range(ds)
    budget = floor + share * (ceiling - floor)
    allocation = water_fill(ds, budget, BOUNDS)
    assert allocation.feasible
    assert allocation.spend <= budget * (1 + 1e-12)
    assert allocation.spend == pytest.approx(budget, rel=1e-6)


@settings(max_examples=150, deadline=None)
@given(ds=demands, share=st.floats(0.0, 1.0))
def test_clamps_are_respected(ds: list[Demand], share: float) -> None:
    floor, ceiling = spend_range(ds)
    allocation = water_fill(ds, floor + share * (ceiling - floor), BOUNDS)
    for interval in allocation.intervals:
        assert BOUNDS.min_interval - 1e-9 <= interval <= BOUNDS.max_interval + 1e-9


@settings(max_examples=150, deadline=None)
@given(ds=demands, share=st.floats(0.01, 0.99))
def test_more_weight_or_change_never_gets_a_longer_interval(
    ds: list[Demand], share: float
) -> None:
    floor, ceiling = spend_range(ds)
    allocation = water_fill(ds, floor + share * (ceiling - floor), BOUNDS)
    pairs = zip(ds, allocation.intervals, strict=True)
    for a, ia in pairs:
        for b, ib in zip(ds, allocation.intervals, strict=True):
            if a.weight >= b.weight and a.change_rate >= b.change_rate:
                assert ia <= ib * (1 + 1e-9)


@given(w=st.floats(0.01, 100.0), lam=st.floats(1e-6, 1.0), mu=st.floats(1e-3, 1e3))
def test_poll_rate_is_the_formula_below_the_peak_and_held_above(
    w: float, lam: float, mu: float
) -> None:
    raw = max(0.0, math.sqrt(w * lam / mu) - lam)
    rate = poll_rate(w, lam, mu)
    if lam <= w / (4 * mu):
        assert rate == pytest.approx(raw)
    else:
        assert rate == pytest.approx(w / (4 * mu))
        assert rate >= raw


def test_budget_below_the_slowest_schedule_is_infeasible() -> None:
    ds = [Demand(1.0, 0.01)] * 10
    allocation = water_fill(ds, 10 / 1800 / 2, BOUNDS)
    assert not allocation.feasible
    assert allocation.intervals == (1800.0,) * 10


def test_budget_above_the_fastest_schedule_polls_everyone_at_min_interval() -> None:
    allocation = water_fill([Demand(1.0, 0.01), Demand(5.0, 0.0001)], 10.0, BOUNDS)
    assert allocation.intervals == (30.0, 30.0)


def test_hot_location_gets_most_of_the_budget() -> None:
    ds = [Demand(100.0, 1 / 60)] + [Demand(1.0, 1 / 86_400)] * 99
    allocation = water_fill(ds, 0.2, BOUNDS)
    assert allocation.intervals[0] == BOUNDS.min_interval
    assert allocation.intervals[1] > 10 * allocation.intervals[0]
    assert allocation.spend == pytest.approx(0.2, rel=1e-6)


def test_costs_must_be_positive() -> None:
    with pytest.raises(ValueError):
        water_fill([Demand(1.0, 0.1, cost=0.0)], 1.0, BOUNDS)
    with pytest.raises(ValueError):
        Bounds(10.0, 5.0)
