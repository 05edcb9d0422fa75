"""The I/O half of adaptive refresh: record polls into Redis, plan every provider.

``AdaptiveRecorder`` runs in every worker after every poll; ``Planner`` runs its tick in
every daemon but only the fleet-wide lock holder plans, so all workers share one water level
per provider.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from aggregator.adaptive.interest import area_field, near_term_score, views_for
from aggregator.adaptive.planning import plan_provider, pull_forward_due
from aggregator.adaptive.settings import AdaptiveSettings
from aggregator.adaptive.signal import LocationSignal, ProviderPlan, record_poll
from aggregator.adaptive.waterfill import Bounds
from aggregator.clock import Clock
from aggregator.models import Availability, Location
from aggregator.policy import PollObservation
from cache.locks import SingletonLock
from cache.stats import StatsStore, plan_from_hash
from cache.store import WriteOutcome
from scrapers.base import ProviderSettings

log = logging.getLogger("slotradar.adaptive")


def changed_from_outcome(outcome: WriteOutcome) -> bool | None:
    """Did the poll see a change? None when it says nothing (failed, or superseded)."""
    if outcome is WriteOutcome.CHANGED:
        return True
    if outcome in {WriteOutcome.UNCHANGED, WriteOutcome.RECOVERED}:
        return False
    return None


def availability_near_score(availability: Availability | None, now: float, tau: float) -> float:
    if availability is None:
        return 0.0
    return near_term_score((s.start.timestamp() for s in availability.slots), now, tau)


class AdaptiveRecorder:
    """``PollRecorder`` for ``AdaptivePolicy``: one WATCHed update and one read per poll."""

    def __init__(self, stats: StatsStore, settings: AdaptiveSettings) -> None:
        self.stats = stats
        self.settings = settings

    async def enrich(
        self, observation: PollObservation, location: Location, requests: int
    ) -> PollObservation:
        now = observation.now.timestamp()
        near = availability_near_score(observation.availability, now, self.settings.near_tau)
        changed = changed_from_outcome(observation.outcome)
        half_life = self.settings.half_life
        updated = await self.stats.update(
            location.id, lambda s: record_poll(s, changed, requests, near, now, half_life)
        )
        keys = self.stats.keys
        pipe = self.stats.redis.pipeline(transaction=False)
        pipe.hmget(keys.views, [location.id, area_field(location.area)])
        pipe.hgetall(keys.plan(location.platform))
        (own, area), plan_fields = await pipe.execute()
        raw = own if own is not None else area
        views = float(raw) if raw is not None else None
        return replace(
            observation,
            signal=LocationSignal(updated, views),
            plan=plan_from_hash(plan_fields),
        )


class Planner:
    """Every ``planner_interval``: recompute each provider's water level from the shared
    stats, store it, and pull forward locations the new plan wants sooner."""

    def __init__(
        self,
        stats: StatsStore,
        providers: Sequence[ProviderSettings],
        settings: AdaptiveSettings,
        clock: Clock,
    ) -> None:
        self.stats = stats
        self.providers = list(providers)
        self.settings = settings
        self.clock = clock
        ttl_ms = int(max(settings.planner_interval * 3, 10.0) * 1000)
        self.lock = SingletonLock(stats.redis, "planner", ttl_ms=ttl_ms, keys=stats.keys)

    async def tick(self) -> list[ProviderPlan]:
        if not await self.lock.acquire_or_renew():
            return []
        views = await self.stats.views()
        plans = []
        for provider in self.providers:
            plans.append(await self.plan_one(provider, views))
        return plans

    async def plan_one(self, provider: ProviderSettings, views: dict[str, float]) -> ProviderPlan:
        keys = self.stats.keys
        redis = self.stats.redis
        ids = sorted(map(str, await redis.zrange(keys.due(provider.platform), 0, -1)))
        stats = await self.stats.load(ids)
        pipe = redis.pipeline(transaction=False)
        for lid in ids:
            pipe.hget(keys.location(lid), "area")
        areas = [str(a or "") for a in await pipe.execute()]
        signals = {
            lid: LocationSignal(stats[lid], views_for(lid, area, views))
            for lid, area in zip(ids, areas, strict=True)
        }
        now = self.clock.now().timestamp()
        bounds = Bounds(provider.min_interval, max(provider.min_interval, provider.max_interval))
        previous = await self.stats.load_plan(provider.platform)
        plan, targets = plan_provider(
            provider.platform, signals, provider.rate, bounds, self.settings, now, previous
        )
        await self.stats.save_plan(plan, targets)
        due = pull_forward_due(stats, targets, self.settings.jitter)
        moved = await self.stats.pull_forward(provider.platform, due)
        log.debug(
            "plan %s: mu=%.3g spend=%.3f/%.3f req/s over %d locations, %d pulled forward",
            provider.platform, plan.mu, plan.spend, plan.budget, plan.locations, moved,
        )
        return plan

    async def release(self) -> None:
        await self.lock.release()
