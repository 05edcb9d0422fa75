"""A point-in-time view of the fleet read from Redis, for metrics and health probes.

Everything here is shared state (protection keys, availability hashes, publish meta), so
any process sharing the Redis reports the same fleet-wide picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import redis.asyncio as aredis

from cache.keys import Keys
from cache.protection.redis_gate import RedisGate
from scrapers.base import ProviderSettings

_BATCH = 500


@dataclass(frozen=True)
class ProviderSnapshot:
    platform: str
    rate: float  # configured fleet-wide budget, requests per second
    aimd_limit: float
    in_flight: int
    paused_for: float
    breaker: str
    locations: int = 0
    failing: int = 0  # locations whose latest poll failed

    @property
    def all_failing(self) -> bool:
        return self.locations > 0 and self.failing == self.locations


@dataclass(frozen=True)
class Snapshot:
    now: float
    providers: tuple[ProviderSnapshot, ...] = ()
    area_data_age: dict[str, float] = field(default_factory=dict)  # oldest confirmed data
    publish_at: float | None = None
    publish_seconds: float | None = None


async def _location_states(redis: aredis.Redis, keys: Keys,
                           ids: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """(area, platform, status, last_ok_at) per location, pipelined in batches."""
    out: list[tuple[str, str, str, str]] = []
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        pipe = redis.pipeline(transaction=False)
        for lid in chunk:
            pipe.hmget(keys.location(lid), "area", "platform")
            pipe.hmget(keys.availability(lid), "status", "last_ok_at")
        answers = await pipe.execute()
        for i in range(0, len(answers), 2):
            area, platform = answers[i]
            status, last_ok = answers[i + 1]
            out.append((area or "unknown", platform or "", status or "", last_ok or ""))
    return out


async def take_snapshot(redis: aredis.Redis, keys: Keys,
                        providers: Sequence[ProviderSettings],
                        with_locations: bool = True) -> Snapshot:
    """Raises ``redis.RedisError`` when Redis is unreachable: callers decide what that means.

    ``with_locations=False`` skips the per-location scan (data age, failing counts), two
    reads per location: pollers of a large fleet should not all repeat it.
    """
    sec, usec = await redis.time()
    now = float(sec) + float(usec) / 1e6
    ids = sorted(map(str, await redis.smembers(keys.locations))) if with_locations else []
    states = await _location_states(redis, keys, ids)
    ages: dict[str, float] = {}
    counts: dict[str, list[int]] = {}
    for area, platform, status, last_ok in states:
        tally = counts.setdefault(platform, [0, 0])
        tally[0] += 1
        tally[1] += status == "error"
        if last_ok:
            ages[area] = max(ages.get(area, 0.0), now - float(last_ok))
    gate = RedisGate(redis, {p.platform: p for p in providers}, keys)
    snaps = []
    for provider in providers:
        state = await gate.state(provider.platform)
        locations, failing = counts.get(provider.platform, [0, 0])
        snaps.append(ProviderSnapshot(provider.platform, provider.rate, state.aimd_limit,
                                      state.in_flight, state.paused_for, state.breaker,
                                      locations, failing))
    meta = await redis.hgetall(keys.publish_meta)
    return Snapshot(
        now=now,
        providers=tuple(snaps),
        area_data_age=ages,
        publish_at=float(meta["at"]) if meta.get("at") else None,
        publish_seconds=float(meta["seconds"]) if meta.get("seconds") else None,
    )
