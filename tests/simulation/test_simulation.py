"""Behaviour of the simulator and of the policies in it, on a small rush (seconds to run)."""

from functools import cache

import pytest

from aggregator.simulation.metrics import FreshnessReport, max_in_window, measure, percentile
from aggregator.simulation.runner import (
    ProviderSpec,
    RunConfig,
    RunResult,
    Simulation,
    fixed_policy,
)
from aggregator.simulation.scenario import equal_budget_interval
from aggregator.simulation.upstream import Phase, Reply, UpstreamModel
from aggregator.simulation.world import HOUR, World, WorldConfig

WORLD = WorldConfig(
    seed=5, days=0.25, locations_per_provider=60, rush_hour=2, rush_hours=1, areas=8
)
STORM = Phase(4 * HOUR, 4.5 * HOUR, latency=0.25, retry_after=60.0)
PROVIDERS = (
    ProviderSpec(
        "alpha",
        rate=0.6,
        upstream=UpstreamModel(phases=(Phase(3 * HOUR, 4 * HOUR, latency=6.0), STORM)),
    ),
    ProviderSpec("beta", rate=0.4),
)
CONFIG = RunConfig(planner_interval=60.0)


@cache
def world() -> World:
    return World(WORLD)


def run(adaptive: bool, seed: int = 11) -> RunResult:
    w = world()
    policy = None if adaptive else fixed_policy(
        equal_budget_interval(w, CONFIG.adaptive.budget_share)
    )
    return Simulation(w, PROVIDERS, policy, CONFIG, seed=seed).run()


@cache
def report(adaptive: bool) -> FreshnessReport:
    return measure(world(), PROVIDERS, run(adaptive))


def test_same_seed_same_world_and_same_run() -> None:
    assert World(WORLD).locations[7].released == world().locations[7].released
    first, second = run(adaptive=True, seed=3), run(adaptive=True, seed=3)
    assert first.polls == second.polls
    assert first.requests == second.requests
    assert run(adaptive=True, seed=4).requests != first.requests


def test_adaptive_beats_fixed_on_phantom_views_at_equal_budget() -> None:
    fixed, adaptive = report(False), report(True)
    assert adaptive.requests <= fixed.requests * 1.01
    assert adaptive.phantom_views < fixed.phantom_views / 1.5


@pytest.mark.parametrize("adaptive", [False, True])
def test_request_rate_never_exceeds_the_budget(adaptive: bool) -> None:
    for rate in report(adaptive).rates:
        assert rate.within_budget, rate
        assert rate.requests > 0


@pytest.mark.parametrize("adaptive", [False, True])
def test_a_429_storm_drops_requests_to_the_retry_after_pace(adaptive: bool) -> None:
    (storm,) = report(adaptive).storms
    assert storm.provider == "alpha"
    assert storm.at_pace, storm
    log = run(adaptive).requests["alpha"]
    after = [t for t, reply, _ in log if STORM.end <= t < STORM.end + HOUR and reply is Reply.OK]
    assert len(after) > 0.5 * HOUR * 0.6  # and it recovers once the storm is over


def test_metric_helpers() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.95) == 4.0
    assert max_in_window([0.0, 0.5, 0.9, 1.0, 5.0], 1.0) == 3
