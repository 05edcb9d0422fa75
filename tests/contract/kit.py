"""The adapter contract kit: one base class whose tests every platform adapter must pass.

A platform adds ``tests/contract/test_<platform>.py`` with a subclass naming ``platform``
and giving ``recorded_cases()`` (its pure parse functions on its own fixtures). The kit then
runs the real adapter (found through ``scrapers.registry``) against the platform's emulator
(found through ``scrapers.sandbox.server``) over loopback HTTP, and checks it against the
world's ground truth, under faults, and through the coordinator and store.

Adapters and emulators not installed as entry points are registered for a run with
``SLOTRADAR_EXTRA_ADAPTERS`` / ``SLOTRADAR_EXTRA_EMULATORS`` (see ``scrapers.plugins``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.models import Location, PollResult, Slot, Status
from aggregator.normalize import slugify
from aggregator.policy import FixedIntervalPolicy
from aggregator.refresh import Coordinator, ProviderReport
from cache.due_queue import DueQueue
from cache.keys import Keys
from cache.store import Store
from scrapers.base import Adapter, ProviderSettings
from scrapers.client import ClientPolicy, PoliteClient
from scrapers.errors import AdapterError, FetchError, FetchErrorKind
from scrapers.gate import LocalGate
from scrapers.registry import load_adapter
from scrapers.sandbox.server import SandboxServer
from scrapers.sandbox.world import Place, World

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Odd seconds: slots start on whole minutes, so none sits exactly on now or the horizon.
# Late-evening UTC clocks are already tomorrow in Paris: day-boundary bugs show up.
CLOCKS: dict[str, datetime] = {
    "winter": datetime(2026, 1, 14, 9, 17, 23, 500_000, tzinfo=UTC),
    "spring-dst": datetime(2026, 3, 26, 22, 43, 37, tzinfo=UTC),  # 29 March in the horizon
    "autumn-dst": datetime(2026, 10, 22, 22, 11, 49, tzinfo=UTC),  # 25 October in the horizon
}
SMALL_BODY_LIMIT = 65_536  # far above any normal answer of a ten-place world


@dataclass(frozen=True)
class RecordedCase:
    """A recorded payload set and what the pure parse functions must make of it."""

    name: str
    parse: Callable[[], PollResult]
    status: Status
    slot_count: int
    first_start: datetime | None


def fixture_path(platform: str, name: str) -> Path:
    return FIXTURES / platform / name


def load_fixture(platform: str, name: str) -> Any:
    """A JSON fixture; other formats: ``fixture_path(...).read_text()``."""
    return json.loads(fixture_path(platform, name).read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def contract_world(platform: str, size: int) -> World:
    """The first seeded world with a phone-only place and at least two bookable ones,
    so every platform's run covers both without luck."""
    for seed in range(1, 1_000):
        world = World(seed=seed, locations_per_platform=size, platforms=(platform,))
        places = world.places[platform]
        if any(p.phone_only for p in places) and sum(not p.phone_only for p in places) >= 2:
            return world
    raise AssertionError(f"no seed gives {platform} a phone-only place among {size}")


def truth_starts(world: World, place: Place, now: datetime, horizon: datetime) -> Counter[datetime]:
    """Multiset of the instants of free slots upstream has in [now, horizon)."""
    return Counter(s.start for s in world.free_slots(place, now, now, horizon))


def assert_well_formed(slots: Iterable[Slot], where: str) -> None:
    """Aware starts, sorted, no duplicate Slot objects."""
    listed = list(slots)
    for slot in listed:
        assert slot.start.tzinfo is not None and slot.start.utcoffset() is not None, where
    assert listed == sorted(listed, key=Slot.sort_key), f"{where}: slots not sorted"
    assert len(set(listed)) == len(listed), f"{where}: duplicate slots"


@dataclass
class Harness:
    """One emulator + one adapter wired as in production, on a manual clock."""

    world: World
    server: SandboxServer
    session: aiohttp.ClientSession
    client: PoliteClient
    adapter: Adapter
    clock: ManualClock
    platform: str

    async def faults(self, **plan: object) -> None:
        url = f"{self.server.url}/_sandbox/faults/{self.platform}"
        async with self.session.put(url, json=plan) as resp:
            assert resp.status == 200, await resp.text()

    def place(self, location: Location) -> Place:
        place = self.world.place(self.platform, location.upstream_id)
        assert place is not None, f"{location.id}: upstream_id matches no world place"
        return place

    async def failures(
        self, locations: Iterable[Location], first_only: bool = False
    ) -> list[AdapterError]:
        """Poll under a fault. A poll that sent a request must fail with an AdapterError
        (never another exception); one that sent none (served from the adapter's own
        cache) may succeed. At least one poll must meet the fault and fail."""
        errors: list[AdapterError] = []
        for location in locations:
            before = self.client.requests
            try:
                await self.adapter.poll(location, self.clock.now())
            except AdapterError as exc:
                errors.append(exc)
                if first_only:
                    break
                continue
            assert self.client.requests == before, f"{location.id}: faulty answer accepted"
        assert errors, "no poll met the fault"
        return errors

    async def discovery_failure(self) -> AdapterError | None:
        """Discovery under a fault: an AdapterError, or None if it sent no request."""
        before = self.client.requests
        try:
            await self.adapter.discover()
        except AdapterError as exc:
            return exc
        assert self.client.requests == before, "discovery accepted a faulty answer"
        return None

    async def poll(self, location: Location) -> PollResult:
        before = self.client.requests
        result = await self.adapter.poll(location, self.clock.now())
        spent = self.client.requests - before
        assert result.requests == spent, (
            f"{location.id}: PollResult.requests={result.requests}, client sent {spent}"
        )
        return result


class AdapterContract:
    """Subclass as ``Test<Platform>Contract``; every ``test_*`` below runs for it."""

    platform: ClassVar[str]
    discovers: ClassVar[bool] = True
    world_size: ClassVar[int] = 10
    # True when the emulator's motive names reach Slot.appointment_type (slugified)
    compares_motives: ClassVar[bool] = False
    # a cap above this platform's largest normal answer (bulk files are bigger than pages)
    body_limit: ClassVar[int] = SMALL_BODY_LIMIT

    # -- hooks -------------------------------------------------------------------------
    def recorded_cases(self) -> list[RecordedCase]:
        raise NotImplementedError(f"{type(self).__name__} must give recorded_cases()")

    def provider_settings(self, base_url: str) -> ProviderSettings:
        return ProviderSettings(platform=self.platform, base_url=base_url)

    def locations(self, world: World, base_url: str) -> list[Location]:
        """Locations to poll when the platform has no listing (``discovers = False``)."""
        raise NotImplementedError(f"{type(self).__name__}: discovers=False needs locations()")

    # -- wiring ------------------------------------------------------------------------
    @asynccontextmanager
    async def harness(
        self, when: datetime = CLOCKS["winter"], **overrides: Any
    ) -> AsyncIterator[Harness]:
        world = contract_world(self.platform, self.world_size)
        clock = ManualClock(when)
        server = SandboxServer(world, clock=clock)
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                settings = self.provider_settings(server.base_url(self.platform)).model_copy(
                    update={"retries": 0, "timeout": 5.0, **overrides}
                )
                client = PoliteClient(
                    session,
                    self.platform,
                    settings.base_url,
                    gate=LocalGate(),
                    policy=ClientPolicy(
                        timeout=settings.timeout,
                        max_body_bytes=settings.max_body_bytes,
                        retries=settings.retries,
                    ),
                    clock=clock,
                )
                adapter = load_adapter(self.platform)(client, settings)
                yield Harness(world, server, session, client, adapter, clock, self.platform)
        finally:
            await server.stop()

    async def polled_locations(self, h: Harness) -> list[Location]:
        if self.discovers:
            return await h.adapter.discover()
        return self.locations(h.world, h.server.base_url(self.platform))

    # -- recorded payloads -------------------------------------------------------------
    def test_recorded_cases(self) -> None:
        cases = self.recorded_cases()
        assert len(cases) >= 2, "give at least two recorded cases"
        assert len({c.name for c in cases}) == len(cases), "case names must be unique"
        for case in cases:
            result = case.parse()
            where = f"{self.platform} case {case.name!r}"
            assert result.status is case.status, f"{where}: status {result.status}"
            assert len(result.slots) == case.slot_count, f"{where}: {len(result.slots)} slots"
            assert_well_formed(result.slots, where)
            first = result.slots[0].start if result.slots else None
            assert first == case.first_start, f"{where}: first start {first}"

    # -- ground truth over loopback ----------------------------------------------------
    @pytest.mark.parametrize("season", list(CLOCKS))
    async def test_polls_match_world_truth(self, season: str) -> None:
        async with self.harness(CLOCKS[season]) as h:
            now = h.clock.now()
            horizon = h.adapter.horizon(now)
            locations = await self.polled_locations(h)
            seen_slots = 0
            for location in locations:
                place = h.place(location)
                if place.phone_only:
                    continue
                result = await h.poll(location)
                where = f"{location.id} at {now.isoformat()}"
                truth = truth_starts(h.world, place, now, horizon)
                got = Counter(s.start for s in result.slots)
                missing, extra = truth - got, got - truth
                assert not missing and not extra, (
                    f"{where}: missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]}"
                )
                assert result.status is (Status.OK if truth else Status.NO_SLOTS), where
                assert_well_formed(result.slots, where)
                if self.compares_motives:
                    expected = Counter(
                        (s.start, slugify(s.motive))
                        for s in h.world.free_slots(place, now, now, horizon)
                    )
                    assert Counter((s.start, s.appointment_type) for s in result.slots) == (
                        expected
                    ), where
                seen_slots += len(result.slots)
            assert seen_slots > 0, "the world had no free slot: the check proved nothing"

    async def test_phone_only_places_say_so(self) -> None:
        async with self.harness() as h:
            locations = await self.polled_locations(h)
            phone_only = [loc for loc in locations if h.place(loc).phone_only]
            assert phone_only, "the contract world has a phone-only place; none was polled"
            for location in phone_only:
                result = await h.poll(location)
                assert result.status is Status.PHONE_ONLY, f"{location.id}: {result.status}"
                assert not result.slots

    async def test_discovery_lists_every_place_once(self) -> None:
        if not self.discovers:
            pytest.skip(f"{self.platform} has no listing (discovers = False)")
        async with self.harness() as h:
            found = await h.adapter.discover()
            ids = [loc.id for loc in found]
            assert len(ids) == len(set(ids)), "a place was listed twice"
            places = h.world.places[self.platform]
            expected = {Location.make_id(self.platform, p.upstream_id): p for p in places}
            assert set(ids) == set(expected)
            for location in found:
                place = expected[location.id]
                assert location.platform == self.platform
                assert location.upstream_id == place.upstream_id
                assert location.area == place.area, f"{location.id}: area {location.area}"

    # -- faults ------------------------------------------------------------------------
    async def test_malformed_bodies_raise_adapter_errors(self) -> None:
        async with self.harness() as h:
            locations = await self.polled_locations(h)
            await h.faults(malformed=1.0)
            await h.failures(locations)
            if self.discovers:
                await h.discovery_failure()

    async def test_format_drift_is_rejected(self) -> None:
        """A breaking upstream change must fail loudly, never read as "no slots"."""
        async with self.harness() as h:
            now = h.clock.now()
            locations = await self.polled_locations(h)
            await h.faults(drift=True)
            rejected = 0
            for location in locations:
                place = h.place(location)
                has_slots = bool(truth_starts(h.world, place, now, h.adapter.horizon(now)))
                before = h.client.requests
                try:
                    await h.adapter.poll(location, now)
                except AdapterError:
                    rejected += 1
                    continue
                cached = h.client.requests == before
                assert cached or not has_slots, f"{location.id}: drifted payload accepted"
            assert rejected, "drift changed nothing the adapter noticed"
            if self.discovers:
                with suppress(AdapterError):  # a listing may survive a drift of slot pages
                    await h.adapter.discover()

    async def test_oversized_body_is_too_large(self) -> None:
        async with self.harness(max_body_bytes=self.body_limit) as h:
            locations = await self.polled_locations(h)
            await h.faults(oversized=1.0, oversized_bytes=self.body_limit * 8)
            for error in await h.failures(locations):
                assert isinstance(error, FetchError) and error.kind is FetchErrorKind.TOO_LARGE
            if self.discovers:
                error = await h.discovery_failure()
                assert error is None or (
                    isinstance(error, FetchError) and error.kind is FetchErrorKind.TOO_LARGE)

    async def test_server_errors_are_server_errors(self) -> None:
        async with self.harness() as h:
            locations = await self.polled_locations(h)
            await h.faults(server_error=1.0)
            for error in await h.failures(locations):
                assert isinstance(error, FetchError), error
                assert error.kind is FetchErrorKind.SERVER_ERROR and error.status == 500

    async def test_rate_limit_is_rate_limited_with_retry_after(self) -> None:
        async with self.harness() as h:
            locations = await self.polled_locations(h)
            # one request only: the gate then rightly holds this provider for Retry-After
            await h.faults(rate_limit=1.0, retry_after="7")
            [error] = await h.failures(locations, first_only=True)
            assert isinstance(error, FetchError), error
            assert error.kind is FetchErrorKind.RATE_LIMITED and error.retry_after == 7.0

    # -- through the coordinator and the store ------------------------------------------
    async def test_failing_poll_keeps_last_good_slots(
        self, redis: aredis.Redis, keys: Keys
    ) -> None:
        async with self.harness() as h:
            now = h.clock.now()
            horizon = h.adapter.horizon(now)
            locations = await self.polled_locations(h)
            with_slots = [
                loc for loc in locations
                if truth_starts(h.world, h.place(loc), now, horizon)
            ]
            assert with_slots, "no location with slots to keep"
            target = with_slots[0]
            store = Store(redis, keys)
            await store.save_locations(locations, now.timestamp())
            coordinator = Coordinator(store, DueQueue(redis, keys), {self.platform: h.adapter},
                                      FixedIntervalPolicy(interval=300), h.clock)
            good = ProviderReport(self.platform)
            await coordinator.poll_one(h.adapter, target, good)
            before = (await store.get_availabilities([target.id]))[target.id]
            assert good.failed == 0 and before.status is Status.OK and before.slots

            await h.faults(server_error=1.0)
            h.clock.advance(61)
            bad = ProviderReport(self.platform)
            await coordinator.poll_one(h.adapter, target, bad)
            after = (await store.get_availabilities([target.id]))[target.id]
            assert bad.failed == 1 and bad.errors == {"server_error": 1}
            assert after.status is Status.ERROR
            assert after.slots == before.slots
            assert after.last_ok_at == before.checked_at
            assert after.checked_at == h.clock.now()
            assert after.message
