"""The default rush scenario shared by the benchmark and the tests."""

from __future__ import annotations

from collections.abc import Callable

from aggregator.simulation.runner import ProviderSpec
from aggregator.simulation.upstream import Phase, UpstreamModel
from aggregator.simulation.world import HOUR, World


def default_providers(scale: float = 1.0) -> tuple[ProviderSpec, ...]:
    """Two providers; ``alpha`` slows down at 10:00 (timeouts creep in), answers 429 with
    Retry-After: 60 from 11:00 to 11:30, then recovers. Budgets scale with the world size."""
    alpha = UpstreamModel(
        phases=(
            Phase(10 * HOUR, 11 * HOUR, latency=6.0),
            Phase(11 * HOUR, 11.5 * HOUR, latency=0.25, retry_after=60.0),
        )
    )
    return (
        ProviderSpec("alpha", rate=3.0 * scale, upstream=alpha),
        ProviderSpec("beta", rate=2.0 * scale),
    )


def equal_budget_interval(world: World, share: float) -> Callable[[ProviderSpec], float]:
    """The fixed interval that spends the same share of each provider's budget as the
    adaptive plan does: every location once per interval, at its requests per poll."""

    def interval(spec: ProviderSpec) -> float:
        cost = sum(loc.cost for loc in world.locations if loc.provider == spec.name)
        return cost / (spec.rate * share)

    return interval
