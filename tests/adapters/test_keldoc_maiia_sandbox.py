"""Keldoc and Maiia adapters against their emulators over real loopback HTTP: every poll
equals the world's ground truth (winter and across both 2026 DST changes), phone-only
places say so, discovery finds every place once, and upstream faults are AdapterErrors."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import aiohttp
import pytest

from aggregator.clock import ManualClock
from aggregator.models import Location, Status
from aggregator.normalize import slugify
from scrapers.client import Params, PoliteClient
from scrapers.errors import AdapterError, FetchError, ParseError
from scrapers.sandbox import keldoc as keldoc_emulator
from scrapers.sandbox import maiia as maiia_emulator
from scrapers.sandbox.world import PARIS, Place, World
from tests.adapters.sandbox_kit import make_adapter, running

PLATFORMS = ("keldoc", "maiia")
CLOCKS = {
    "winter": datetime(2026, 2, 10, 9, 15, tzinfo=UTC),
    "spring-dst": datetime(2026, 3, 25, 10, 0, tzinfo=UTC),  # 2026-03-29 02:00 -> 03:00
    "autumn-dst": datetime(2026, 10, 23, 6, 5, tzinfo=UTC),  # 2026-10-25 03:00 -> 02:00
}
HORIZON = timedelta(days=7)
Seen = tuple[datetime, str]
LOOKAHEAD = timedelta(days=keldoc_emulator.LOOKAHEAD_DAYS)


def world() -> World:
    # seed 14: phone-only places on both platforms and Maiia capacities up to a full page
    return World(seed=14, locations_per_platform=24, platforms=PLATFORMS)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("when", list(CLOCKS), ids=list(CLOCKS))
async def test_every_poll_equals_ground_truth(
    platform: str, when: str, session: aiohttp.ClientSession
) -> None:
    async with running(world(), CLOCKS[when]) as (server, clock):
        adapter = make_adapter(platform, server, session, clock)
        locations = await adapter.discover()
        now = clock.now()
        phone_only = with_slots = 0
        offsets: set[timedelta | None] = set()
        for location in locations:
            place = server.world.place(platform, location.upstream_id)
            assert place is not None
            served_before = server.faults.requests[platform]
            result = await adapter.poll(location, now)
            assert result.requests == server.faults.requests[platform] - served_before
            truth = server.world.free_slots(place, now, now, now + HORIZON)
            got = Counter(slot.start for slot in result.slots)
            assert got == Counter(t.start for t in truth), location.id
            assert all(slot.start.tzinfo is not None for slot in result.slots)
            assert list(result.slots) == sorted(result.slots, key=lambda s: s.sort_key())
            if place.phone_only:
                phone_only += 1
                assert result.status is Status.PHONE_ONLY
                assert result.phone == place.phone
            else:
                assert result.status is (Status.OK if truth else Status.NO_SLOTS)
            if platform == "maiia":  # capacity: one availability item per seat
                assert {s.capacity for s in result.slots} <= {place.capacity}
            with_slots += bool(truth)
            offsets |= {t.start.astimezone(PARIS).utcoffset() for t in truth}
        assert phone_only >= 1 and with_slots >= 5
        if when != "winter":  # the horizon really crossed the change
            assert offsets == {timedelta(hours=1), timedelta(hours=2)}


async def test_maiia_pages_are_small_and_cut_through_instants(
    session: aiohttp.ClientSession,
) -> None:
    """The emulator pages by PAGE_SIZE items and seats of one instant are separate items,
    so some reasons take many pages and some pages end inside an instant."""
    async with running(world(), CLOCKS["winter"]) as (server, clock):
        adapter = make_adapter("maiia", server, session, clock)
        now = clock.now()
        big = max(server.world.places["maiia"], key=lambda p: p.capacity)
        assert big.capacity == maiia_emulator.PAGE_SIZE  # a page can be one instant only
        found = await adapter.discover()
        location = next(loc for loc in found if loc.upstream_id == big.upstream_id)
        result = await adapter.poll(location, now)
        seats = sum(s.capacity for s in result.slots)
        truth = server.world.free_slots(big, now, now, now + HORIZON)
        assert seats == big.capacity * len(truth) > 3 * maiia_emulator.PAGE_SIZE
        assert result.requests > seats // maiia_emulator.PAGE_SIZE


class SlowClient(PoliteClient):
    """Time passes between requests (the world books slots meanwhile), as in production."""

    asked_at: ClassVar[list[datetime]] = []
    step: ClassVar[float] = 300.0

    async def get_json(self, path: str, params: Params | None = None) -> Any:
        answer = await super().get_json(path, params)
        assert isinstance(self.clock, ManualClock)
        self.asked_at.append(self.clock.now())
        self.clock.advance(self.step)
        return answer


async def test_maiia_loses_no_slot_booked_between_pages(session: aiohttp.ClientSession) -> None:
    """A slot booked between two pages shifts the offsets: offset paging would skip the
    next one. Every slot free during the whole poll must be there, and only once."""
    # tomorrow's slots came out minutes ago: many free, many booked during the poll
    fresh = World(
        seed=14, locations_per_platform=24, platforms=("maiia",), release_hours=(22.0, 22.3)
    )
    async with running(fresh, CLOCKS["winter"]) as (server, clock):
        adapter = make_adapter("maiia", server, session, clock, client_class=SlowClient)
        locations = await adapter.discover()
        checked = booked_meanwhile = 0
        for location in locations:
            place = server.world.place("maiia", location.upstream_id)
            assert place is not None
            start = clock.now()
            SlowClient.asked_at.clear()
            result = await adapter.poll(location, start)
            end = clock.now()

            def free(at: datetime, place: Place = place, start: datetime = start) -> set[Seen]:
                return {
                    (t.start, slugify(t.motive))
                    for t in server.world.free_slots(place, at, start, start + HORIZON)
                }

            before, after = free(start), free(end)
            got = [(s.start, s.appointment_type) for s in result.slots]
            assert len(got) == len(set(got))
            assert before & after <= set(got), location.id
            # and nothing that was not free when some request was answered
            assert set(got) <= set().union(*(free(at) for at in SlowClient.asked_at))
            checked += len(before & after)
            booked_meanwhile += len(before - after)
        assert checked > 200 and booked_meanwhile > 20


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_discovery_finds_every_place_once(
    platform: str, session: aiohttp.ClientSession
) -> None:
    async with running(world(), CLOCKS["winter"]) as (server, clock):
        locations = await make_adapter(platform, server, session, clock).discover()
        ids = [loc.id for loc in locations]
        assert len(ids) == len(set(ids)) == len(server.world.places[platform])
        for location in locations:
            place = server.world.place(platform, location.upstream_id)
            assert place is not None
            assert location.id == Location.make_id(platform, place.upstream_id)
            assert (location.area, location.postcode, location.name) == (
                place.area,
                place.postcode,
                place.name,
            )
            assert (location.lat, location.lon) == (place.lat, place.lon)
            assert location.phone == place.phone
            assert location.booking_url.startswith(server.base_url(platform) + "/")


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_malformed_and_drift_are_adapter_errors(
    platform: str, session: aiohttp.ClientSession
) -> None:
    async with running(world(), CLOCKS["winter"]) as (server, clock):
        adapter = make_adapter(platform, server, session, clock)
        locations = (await adapter.discover())[:6]
        plan = server.faults.plan(platform)
        plan.drift = True
        with pytest.raises(ParseError, match=platform):
            await adapter.discover()
        for location in locations:
            with pytest.raises(ParseError, match=platform):
                await adapter.poll(location, clock.now())
        plan.drift = False
        plan.malformed = 1.0
        for location in locations:
            with pytest.raises(AdapterError) as caught:
                await adapter.poll(location, clock.now())
            assert isinstance(caught.value, FetchError) and "invalid JSON" in str(caught.value)


async def test_keldoc_follows_the_next_availability_pointer(
    session: aiohttp.ClientSession,
) -> None:
    """Places open on Mondays only, polled on a Tuesday: the first window is empty and
    points at next Monday. Within the horizon the poll jumps there; beyond it, it stops
    after that one request instead of paging through empty days."""
    monday_only = World(
        seed=3,
        locations_per_platform=12,
        platforms=("keldoc",),
        days_open=(0,),
        release_hours=(144.0, 146.0),  # next Monday's slots came out this morning
    )
    tuesday = datetime(2026, 3, 3, 7, 30, tzinfo=UTC)
    async with running(monday_only, tuesday) as (server, clock):
        week = make_adapter("keldoc", server, session, clock, horizon_days=7)
        short = make_adapter("keldoc", server, session, clock, horizon_days=5)
        jumped = pointers = 0
        for location in await week.discover():
            place = server.world.place("keldoc", location.upstream_id)
            assert place is not None and not place.phone_only
            truth = server.world.free_slots(place, tuesday, tuesday, tuesday + HORIZON)
            result = await week.poll(location, tuesday)
            assert sorted(s.start for s in result.slots) == [t.start for t in truth]
            assert {s.start.astimezone(PARIS).weekday() for s in result.slots} <= {0}
            jumped += bool(truth)
            before_short = server.faults.requests["keldoc"]
            nothing = await short.poll(location, tuesday)
            assert nothing.status is Status.NO_SLOTS
            assert server.faults.requests["keldoc"] - before_short == nothing.requests
            # one empty window (Tue-Fri) per motive when it points past Sunday's horizon,
            # two (Tue-Fri, Sat-Sun) when there is no pointer to follow
            saturday = datetime(2026, 3, 7, tzinfo=PARIS)
            windows = sum(
                1
                if server.world.free_slots(place, tuesday, saturday, saturday + LOOKAHEAD, m)
                else 2
                for m in place.motives
            )
            cabinets = 1 if int(place.upstream_id) % 3 else 2
            assert nothing.requests == 1 + cabinets + windows
            pointers += windows < 2 * len(place.motives)
        assert jumped >= 6 and pointers >= 6


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_locations_not_from_discovery_poll_the_same(
    platform: str, session: aiohttp.ClientSession
) -> None:
    """A location known only by its upstream id (config, an old store) polls the same
    slots; Keldoc then asks the clinic for its specialties (one request more)."""
    async with running(world(), CLOCKS["spring-dst"]) as (server, clock):
        adapter = make_adapter(platform, server, session, clock)
        now = clock.now()
        checked = 0
        for discovered in (await adapter.discover())[:8]:
            bare = Location(
                id=discovered.id,
                platform=platform,
                upstream_id=discovered.upstream_id,
                name=discovered.name,
                area=discovered.area,
            )
            full, minimal = await adapter.poll(discovered, now), await adapter.poll(bare, now)
            assert [s.start for s in minimal.slots] == [s.start for s in full.slots]
            assert minimal.status is full.status
            assert minimal.requests == full.requests + (platform == "keldoc")
            checked += len(full.slots)
        assert checked > 0
