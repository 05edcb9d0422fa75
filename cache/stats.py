"""Per-location change statistics and per-provider plans in Redis, shared by every worker.

The arithmetic lives in ``aggregator.adaptive`` (pure); this module only moves it in and
out of Redis. A location is polled by one lease holder at a time, yet the read-modify-write
runs under WATCH so that even an expired lease racing its successor cannot lose an update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import redis.asyncio as aredis
from redis.exceptions import WatchError

from aggregator.adaptive.estimator import ChangeStats
from aggregator.adaptive.signal import LocationStats, ProviderPlan
from cache.keys import Keys

_BATCH = 500

# KEYS: due zset, leases hash; ARGV: id1, due1, id2, due2, ...
# Moves a location's due time earlier (never later) unless a worker holds it right now:
# a claimed location's score is its lease expiry, which must not be shortened.
PULL_FORWARD = """
local moved = 0
for i = 1, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[2], id) == 0 then
    local cur = redis.call('ZSCORE', KEYS[1], id)
    if cur and tonumber(cur) > tonumber(ARGV[i + 1]) then
      redis.call('ZADD', KEYS[1], ARGV[i + 1], id)
      moved = moved + 1
    end
  end
end
return moved
"""


def _fields(raw: object) -> dict[str, str]:
    """A decoded HGETALL reply (the client decodes responses)."""
    return cast(dict[str, str], raw)


def _mapping(fields: Mapping[str, str]) -> Mapping[Any, Any]:
    return fields


def _float(fields: Mapping[str, str], name: str, default: float) -> float:
    raw = fields.get(name)
    return float(raw) if raw not in (None, "") else default


def stats_from_hash(fields: Mapping[str, str]) -> LocationStats:
    last = fields.get("last_at")
    return LocationStats(
        change=ChangeStats(
            polls=_float(fields, "polls", 0.0),
            changes=_float(fields, "changes", 0.0),
            span=_float(fields, "span", 0.0),
            last_at=float(last) if last else None,
        ),
        cost=_float(fields, "cost", 1.0),
        near=_float(fields, "near", 0.0),
    )


def stats_to_hash(stats: LocationStats) -> dict[str, str]:
    c = stats.change
    return {
        "polls": repr(c.polls),
        "changes": repr(c.changes),
        "span": repr(c.span),
        "last_at": "" if c.last_at is None else repr(c.last_at),
        "cost": repr(stats.cost),
        "near": repr(stats.near),
    }


def plan_to_hash(plan: ProviderPlan) -> dict[str, str]:
    return {
        "platform": plan.platform,
        "mu": repr(plan.mu),
        "min_interval": repr(plan.min_interval),
        "max_interval": repr(plan.max_interval),
        "prior_rate": repr(plan.prior_rate),
        "computed_at": repr(plan.computed_at),
        "budget": repr(plan.budget),
        "spend": repr(plan.spend),
        "locations": str(plan.locations),
        "feasible": "1" if plan.feasible else "0",
    }


def plan_from_hash(fields: Mapping[str, str]) -> ProviderPlan | None:
    if not fields or "mu" not in fields:
        return None
    return ProviderPlan(
        platform=fields["platform"],
        mu=float(fields["mu"]),
        min_interval=float(fields["min_interval"]),
        max_interval=float(fields["max_interval"]),
        prior_rate=float(fields["prior_rate"]),
        computed_at=float(fields["computed_at"]),
        budget=_float(fields, "budget", 0.0),
        spend=_float(fields, "spend", 0.0),
        locations=int(fields.get("locations", "0")),
        feasible=fields.get("feasible", "1") == "1",
    )


class StatsStore:
    def __init__(self, redis: aredis.Redis, keys: Keys | None = None) -> None:
        self.redis = redis
        self.keys = keys or Keys()
        self._pull_forward = redis.register_script(PULL_FORWARD)

    async def update(
        self, location_id: str, change: Callable[[LocationStats], LocationStats]
    ) -> LocationStats:
        """Apply ``change`` (pure, e.g. ``record_poll``) to a location's shared stats under
        WATCH, retrying if another writer got there first; returns the new stats."""
        key = self.keys.stats(location_id)
        while True:
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    current = stats_from_hash(_fields(await pipe.hgetall(key)))
                    updated = change(current)
                    if updated == current:
                        return current
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.hset(key, mapping=_mapping(stats_to_hash(updated)))
                    await pipe.execute()
                    return updated
                except WatchError:
                    continue

    async def load(self, ids: Sequence[str]) -> dict[str, LocationStats]:
        found: dict[str, LocationStats] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            pipe = self.redis.pipeline(transaction=False)
            for lid in chunk:
                pipe.hgetall(self.keys.stats(lid))
            for lid, fields in zip(chunk, await pipe.execute(), strict=True):
                found[lid] = stats_from_hash(fields)
        return found

    async def views(self) -> dict[str, float]:
        """The whole views hash (one entry per area page plus hand-set locations: small)."""
        raw = _fields(await self.redis.hgetall(self.keys.views))
        out: dict[str, float] = {}
        for name, value in raw.items():
            try:
                out[name] = float(value)
            except ValueError:
                continue  # an operator typo must not stop the planner
        return out

    async def set_views(self, views: Mapping[str, float]) -> None:
        if views:
            mapping = _mapping({k: repr(v) for k, v in views.items()})
            await self.redis.hset(self.keys.views, mapping=mapping)

    async def save_plan(self, plan: ProviderPlan, targets: Mapping[str, float]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.plan(plan.platform), mapping=_mapping(plan_to_hash(plan)))
        pipe.delete(self.keys.targets(plan.platform))
        if targets:
            pipe.hset(
                self.keys.targets(plan.platform),
                mapping=_mapping({k: f"{v:.1f}" for k, v in targets.items()}),
            )
        await pipe.execute()

    async def load_plan(self, platform: str) -> ProviderPlan | None:
        return plan_from_hash(_fields(await self.redis.hgetall(self.keys.plan(platform))))

    async def pull_forward(self, platform: str, due: Mapping[str, float]) -> int:
        """Move due times earlier where a new plan wants a location sooner."""
        if not due:
            return 0
        args: list[Any] = []
        for lid, when in due.items():
            args.extend((lid, f"{when:.3f}"))
        moved = await self._pull_forward(
            keys=[self.keys.due(platform), self.keys.leases(platform)], args=args
        )
        return int(moved)
