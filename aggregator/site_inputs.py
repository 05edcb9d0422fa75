"""The I/O edge of the site: read what the pure renderer needs beyond locations and
availabilities (provider protection state, release events, the slots history) from Redis,
and record this publish's totals for the stats page.

``SitePublisher`` wraps the ``Publisher`` (same ``publish()``), so the daemon, cron and
CLI paths all get the providers, stats and feed pages without the publisher knowing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import redis.asyncio as aredis

from aggregator.clock import Clock
from aggregator.feeds import ReleaseEvent, parse_event
from aggregator.pages import HistoryPoint, SiteContext, SiteRenderer
from aggregator.publish import Publisher, PublishReport
from cache.keys import Keys
from cache.protection.redis_gate import ProviderState, RedisGate
from scrapers.base import ProviderSettings

EVENTS_READ = 2_000  # newest change events scanned for the feeds
HISTORY_WINDOW = timedelta(hours=48)
HISTORY_MAX = 5_000


def history_key(keys: Keys) -> str:
    """ZSET: one member ``<ts>:<slots>:<places>`` per publish that changed the totals."""
    return f"{keys.prefix}site:history"


def parse_point(member: str) -> HistoryPoint | None:
    try:
        ts, slots, places = member.split(":")
        return HistoryPoint(datetime.fromtimestamp(float(ts), UTC), int(slots), int(places))
    except ValueError:
        return None


def point_member(point: HistoryPoint) -> str:
    return f"{point.at.timestamp():.0f}:{point.slots}:{point.places}"


async def read_history(redis: aredis.Redis, keys: Keys, now: datetime) -> tuple[HistoryPoint, ...]:
    since = (now - HISTORY_WINDOW).timestamp()
    members = cast(list[str], await redis.zrangebyscore(history_key(keys), since, "+inf"))
    points = (parse_point(m) for m in members)
    return tuple(p for p in points if p is not None)


async def record_point(
    redis: aredis.Redis, keys: Keys, point: HistoryPoint, history: Sequence[HistoryPoint]
) -> bool:
    """Store the totals when they differ from the last point (a flat line needs no
    points, and an unchanged stats page keeps its bytes)."""
    if history and (history[-1].slots, history[-1].places) == (point.slots, point.places):
        return False
    pipe = redis.pipeline(transaction=True)
    pipe.zadd(history_key(keys), {point_member(point): point.at.timestamp()})
    pipe.zremrangebyrank(history_key(keys), 0, -HISTORY_MAX - 1)
    await pipe.execute()
    return True


async def read_events(redis: aredis.Redis, keys: Keys) -> tuple[ReleaseEvent, ...]:
    entries = cast(
        list[tuple[str, dict[str, str]]], await redis.xrevrange(keys.events, count=EVENTS_READ)
    )
    events = (parse_event(entry_id, fields) for entry_id, fields in entries)
    return tuple(e for e in events if e is not None)


class SiteInputs:
    def __init__(
        self,
        redis: aredis.Redis,
        keys: Keys,
        clock: Clock,
        gate: object | None = None,
        providers: Sequence[ProviderSettings] = (),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.clock = clock
        self.gate = gate
        self.providers = list(providers)

    async def provider_states(self) -> dict[str, ProviderState]:
        """Only a fleet-wide ``RedisGate`` has state worth showing; a local gate has none."""
        if not isinstance(self.gate, RedisGate):
            return {}
        return {p.platform: await self.gate.state(p.platform) for p in self.providers}

    async def load(self) -> SiteContext:
        return SiteContext(
            providers=await self.provider_states(),
            concurrency={p.platform: p.concurrency for p in self.providers},
            events=await read_events(self.redis, self.keys),
            history=await read_history(self.redis, self.keys, self.clock.now()),
        )


class SitePublisher:
    """``Publisher.publish()`` with the site's extra inputs loaded first and the totals
    recorded after."""

    def __init__(self, publisher: Publisher, inputs: SiteInputs) -> None:
        self.publisher = publisher
        self.inputs = inputs

    @property
    def renderer(self) -> SiteRenderer:
        return self.publisher.renderer

    @property
    def before_swap(self) -> Callable[[Path], None] | None:
        """The publisher's crash hook, so setting it on the wrapper is not silently lost."""
        return self.publisher.before_swap

    @before_swap.setter
    def before_swap(self, hook: Callable[[Path], None] | None) -> None:
        self.publisher.before_swap = hook

    async def publish(self) -> PublishReport:
        context = await self.inputs.load()
        self.renderer.context = context
        report = await self.publisher.publish()
        if self.renderer.last_point is not None:
            await record_point(
                self.inputs.redis, self.inputs.keys, self.renderer.last_point, context.history
            )
        return report
