"""The store's atomic rules, against a real Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis.asyncio as aredis

from aggregator.models import Location, PollResult, Slot, Status
from cache.keys import Keys
from cache.store import Store, WriteOutcome

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def loc(n: int = 1, area: str = "75") -> Location:
    return Location(id=f"doctolib:{n}", platform="doctolib", upstream_id=str(n),
                    name=f"Centre {n}", area=area)


def slot(hours: float, kind: str = "general") -> Slot:
    return Slot(start=T0 + timedelta(hours=hours), appointment_type=kind)


def ok(*slots: Slot, valid_at: datetime | None = None) -> PollResult:
    return PollResult(status=Status.OK, slots=slots, valid_at=valid_at)


async def test_first_write_changes_and_marks_dirty(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    report = await store.write(loc(), ok(slot(2), slot(1)), T0)
    assert report.outcome is WriteOutcome.CHANGED
    assert [s.start for s in report.released] == [T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    assert await store.take_dirty() == {"doctolib:1"}
    av = (await store.get_availabilities(["doctolib:1"]))["doctolib:1"]
    assert av.status is Status.OK
    assert [s.start for s in av.slots] == sorted(s.start for s in av.slots)
    assert av.checked_at == av.changed_at == av.last_ok_at == T0


async def test_unchanged_poll_writes_only_timestamps(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    await store.write(loc(), ok(slot(1), slot(2)), T0)
    await store.take_dirty()
    later = T0 + timedelta(minutes=5)
    report = await store.write(loc(), ok(slot(2), slot(1)), later)
    assert report.outcome is WriteOutcome.UNCHANGED
    assert await store.take_dirty() == set()
    av = (await store.get_availabilities(["doctolib:1"]))["doctolib:1"]
    assert av.checked_at == later and av.valid_at == later
    assert av.changed_at == T0  # content did not change


async def test_older_update_is_rejected(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    await store.write(loc(), ok(slot(1)), T0 + timedelta(minutes=10))
    report = await store.write(loc(), ok(slot(3)), T0)
    assert report.outcome is WriteOutcome.STALE
    av = (await store.get_availabilities(["doctolib:1"]))["doctolib:1"]
    assert [s.start for s in av.slots] == [T0 + timedelta(hours=1)]


async def test_older_upstream_truth_is_rejected(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    await store.write(loc(), ok(slot(1), valid_at=T0), T0)
    report = await store.write(loc(), ok(slot(3), valid_at=T0 - timedelta(minutes=1)),
                               T0 + timedelta(minutes=1))
    assert report.outcome is WriteOutcome.STALE


async def test_error_keeps_last_good_slots_and_their_age(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    await store.write(loc(), ok(slot(1), slot(2)), T0)
    await store.take_dirty()
    failed_at = T0 + timedelta(minutes=3)
    report = await store.write(
        loc(), PollResult(status=Status.ERROR, message="doctolib: HTTP 500"), failed_at)
    assert report.outcome is WriteOutcome.FAILED
    av = (await store.get_availabilities(["doctolib:1"]))["doctolib:1"]
    assert av.status is Status.ERROR
    assert av.message == "doctolib: HTTP 500"
    assert len(av.slots) == 2
    assert av.checked_at == failed_at
    assert av.last_ok_at == T0 and av.valid_at == T0
    assert await store.take_dirty() == {"doctolib:1"}  # the page must show the failure
    recovered = await store.write(loc(), ok(slot(1), slot(2)), failed_at + timedelta(minutes=1))
    assert recovered.outcome is WriteOutcome.RECOVERED
    av = (await store.get_availabilities(["doctolib:1"]))["doctolib:1"]
    assert av.status is Status.OK and av.changed_at == T0


async def test_past_slots_are_trimmed(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    await store.write(loc(), ok(slot(-1), slot(1)), T0)
    av = (await store.get_availabilities(["doctolib:1"]))["doctolib:1"]
    assert [s.start for s in av.slots] == [T0 + timedelta(hours=1)]


async def test_ok_without_slots_is_no_slots(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    await store.write(loc(), ok(), T0)
    av = (await store.get_availabilities(["doctolib:1"]))["doctolib:1"]
    assert av.status is Status.NO_SLOTS


async def test_released_and_booked_events(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    await store.write(loc(), ok(slot(1), slot(2)), T0)
    report = await store.write(loc(), ok(slot(2), slot(3)), T0 + timedelta(minutes=1))
    assert [s.start for s in report.released] == [T0 + timedelta(hours=3)]
    assert [s.start for s in report.booked] == [T0 + timedelta(hours=1)]
    events = await redis.xrange(keys.events)
    assert [e[1]["released_count"] for e in events] == ["2", "1"]


async def test_locations_are_indexed_and_queued_once(redis: aredis.Redis, keys: Keys) -> None:
    store = Store(redis, keys)
    await store.save_locations([loc(1, "75"), loc(2, "13")], due_at=100.0)
    await store.save_locations([loc(1, "75")], due_at=999.0)
    assert await store.areas() == ["13", "75"]
    assert await store.location_ids("75") == ["doctolib:1"]
    assert await redis.zscore(keys.due("doctolib"), "doctolib:1") == 100.0
    got = await store.get_locations(["doctolib:1", "doctolib:404"])
    assert list(got) == ["doctolib:1"] and got["doctolib:1"].name == "Centre 1"
