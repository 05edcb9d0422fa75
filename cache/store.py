"""Locations and availabilities in Redis, written atomically.

Writes go through one Lua script so that a late, older poll never overwrites a newer one,
an unchanged poll touches only timestamps, and an error keeps the last good slots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import redis.asyncio as aredis

from aggregator.models import Availability, Location, PollResult, Slot, Status
from cache import scripts
from cache.batch import call_script
from cache.keys import Keys
from cache.slot_codec import decode_slots, encode_slots

_BATCH = 500
EVENTS_MAXLEN = 20_000


class WriteOutcome(StrEnum):
    STALE = "stale"
    FAILED = "failed"
    UNCHANGED = "unchanged"
    RECOVERED = "recovered"
    CHANGED = "changed"
    SKIPPED = "skipped"  # nothing written: the provider was paused before we asked


@dataclass(frozen=True)
class WriteReport:
    outcome: WriteOutcome
    released: tuple[Slot, ...] = ()
    booked: tuple[Slot, ...] = ()
    # what the location's availability is after the write (None: not known without a
    # read, e.g. a stale poll), so the coordinator need not read it back
    availability: Availability | None = None


def _ts(value: datetime | None) -> str:
    return "" if value is None else f"{value.timestamp():.3f}"


def _dt(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(float(value), UTC)


def digest_of(status: Status, encoded_slots: str, message: str, phone: str) -> str:
    """Equal digests mean nothing a visitor sees changed. Built on the compact slot text
    (deterministic for sorted slots), not on a per-slot ``model_dump``: cheaper per poll."""
    body = "\x00".join((status.value, message, phone, encoded_slots))
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


def availability_from_hash(location_id: str, fields: dict[str, str]) -> Availability | None:
    if not fields or "checked_at" not in fields:
        return None
    checked = _dt(fields.get("checked_at"))
    assert checked is not None
    return Availability(
        location_id=location_id,
        status=Status(fields.get("status", "error")),
        slots=decode_slots(fields.get("slots")),
        checked_at=checked,
        valid_at=_dt(fields.get("valid_at")),
        changed_at=_dt(fields.get("changed_at")),
        last_ok_at=_dt(fields.get("last_ok_at")),
        message=fields.get("message", ""),
        phone=fields.get("phone", ""),
    )


class Store:
    """Read and write the normalized state of every location."""

    def __init__(self, redis: aredis.Redis, keys: Keys | None = None) -> None:
        self.redis = redis
        self.keys = keys or Keys()
        self._write = redis.register_script(scripts.WRITE_AVAILABILITY)

    # -- locations -------------------------------------------------------------------
    async def save_locations(self, locations: Iterable[Location], due_at: float) -> int:
        """Upsert locations and queue new ones for their first poll at ``due_at``."""
        count = 0
        pipe = self.redis.pipeline(transaction=False)
        for loc in locations:
            pipe.hset(
                self.keys.location(loc.id),
                mapping={"json": loc.model_dump_json(), "area": loc.area, "platform": loc.platform},
            )
            pipe.sadd(self.keys.locations, loc.id)
            pipe.sadd(self.keys.area(loc.area), loc.id)
            pipe.sadd(self.keys.areas, loc.area)
            pipe.sadd(self.keys.platforms, loc.platform)
            pipe.zadd(self.keys.due(loc.platform), {loc.id: due_at}, nx=True)
            count += 1
            if count % _BATCH == 0:
                await pipe.execute()
        await pipe.execute()
        return count

    async def location_ids(self, area: str | None = None) -> list[str]:
        key = self.keys.area(area) if area else self.keys.locations
        return sorted(map(str, await self.redis.smembers(key)))

    async def areas(self) -> list[str]:
        return sorted(map(str, await self.redis.smembers(self.keys.areas)))

    async def platforms(self) -> list[str]:
        return sorted(map(str, await self.redis.smembers(self.keys.platforms)))

    async def get_locations(self, ids: Sequence[str]) -> dict[str, Location]:
        found: dict[str, Location] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            pipe = self.redis.pipeline(transaction=False)
            for lid in chunk:
                pipe.hget(self.keys.location(lid), "json")
            for lid, raw in zip(chunk, await pipe.execute(), strict=True):
                if raw:
                    found[lid] = Location.model_validate_json(raw)
        return found

    # -- availability ----------------------------------------------------------------
    async def write(
        self, location: Location, result: PollResult, checked_at: datetime
    ) -> WriteReport:
        """Store one poll result atomically; past slots are trimmed before comparing."""
        is_error = result.status is Status.ERROR
        slots = tuple(sorted((s for s in result.slots if s.start >= checked_at), key=Slot.sort_key))
        status = result.status
        if not is_error and status is Status.OK and not slots:
            status = Status.NO_SLOTS
        encoded = encode_slots(slots)
        message = result.message[:500]
        checked = _ts(checked_at)
        raw = await call_script(
            self._write, keys=[self.keys.availability(location.id), self.keys.dirty],
            args=[location.id, checked, status.value,
                  digest_of(status, encoded, result.message, result.phone), encoded,
                  message, result.phone, _ts(result.valid_at), "1" if is_error else "0"],
        )
        outcome = WriteOutcome(raw[0])
        if outcome is WriteOutcome.STALE:
            return WriteReport(outcome)
        _, stored_slots, changed_at, last_ok_at, valid_at, phone = raw
        if outcome is WriteOutcome.FAILED:
            after = Availability(
                location_id=location.id, status=Status.ERROR, slots=decode_slots(stored_slots),
                checked_at=checked_at, valid_at=_dt(valid_at), changed_at=_dt(changed_at),
                last_ok_at=_dt(last_ok_at), message=message, phone=phone)
            return WriteReport(outcome, availability=after)
        after = Availability(
            location_id=location.id, status=status, slots=slots, checked_at=checked_at,
            valid_at=_dt(valid_at), changed_at=_dt(changed_at), last_ok_at=checked_at,
            message=message, phone=result.phone)
        if outcome is not WriteOutcome.CHANGED:
            return WriteReport(outcome, availability=after)
        before = set(decode_slots(stored_slots))
        released = tuple(sorted(set(slots) - before, key=Slot.sort_key))
        booked = tuple(sorted(before - set(slots), key=Slot.sort_key))
        if released or booked:
            await self.redis.xadd(
                self.keys.events,
                {
                    "location_id": location.id,
                    "area": location.area,
                    "at": checked,
                    "released": encode_slots(released[:50]),
                    "released_count": str(len(released)),
                    "booked_count": str(len(booked)),
                },
                maxlen=EVENTS_MAXLEN,
                approximate=True,
            )
        return WriteReport(outcome, released, booked, after)

    async def get_availabilities(self, ids: Sequence[str]) -> dict[str, Availability]:
        found: dict[str, Availability] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            pipe = self.redis.pipeline(transaction=False)
            for lid in chunk:
                pipe.hgetall(self.keys.availability(lid))
            for lid, fields in zip(chunk, await pipe.execute(), strict=True):
                av = availability_from_hash(lid, fields)
                if av is not None:
                    found[lid] = av
        return found

    async def take_dirty(self) -> set[str]:
        """Atomically read and clear the set of locations changed since the last publish."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.smembers(self.keys.dirty)
        pipe.delete(self.keys.dirty)
        members, _ = await pipe.execute()
        return set(members)

    async def restore_dirty(self, ids: Iterable[str]) -> None:
        """Put ids back when a publish failed, so the next one retries them."""
        ids = list(ids)
        if ids:
            await self.redis.sadd(self.keys.dirty, *ids)

    # -- same place across platforms -------------------------------------------------
    async def save_places(self, place_of: Mapping[str, str]) -> None:
        """Replace the location -> place mapping in one MULTI; singletons are not stored."""
        # Any: redis-py's stubs want a Mapping invariant in a wide key type
        merged: dict[Any, Any] = {lid: key for lid, key in place_of.items() if lid != key}
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.same_place)
        if merged:
            pipe.hset(self.keys.same_place, mapping=merged)
        await pipe.execute()

    async def place_keys(self, ids: Sequence[str]) -> dict[str, str]:
        """Location id -> place key (its own id when it was merged with nothing)."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = list(ids[start : start + _BATCH])
            keys = await self.redis.hmget(self.keys.same_place, chunk) if chunk else []
            found.update((lid, str(key or lid)) for lid, key in zip(chunk, keys, strict=True))
        return found

    async def last_success(self, platform: str) -> datetime | None:
        """The latest successful poll of any location of a platform (for operators)."""
        ids = list(map(str, await self.redis.zrange(self.keys.due(platform), 0, -1)))
        latest: datetime | None = None
        for start in range(0, len(ids), _BATCH):
            pipe = self.redis.pipeline(transaction=False)
            for lid in ids[start : start + _BATCH]:
                pipe.hget(self.keys.availability(lid), "last_ok_at")
            for raw in await pipe.execute():
                when = _dt(raw)
                if when is not None and (latest is None or when > latest):
                    latest = when
        return latest
