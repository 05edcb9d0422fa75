"""Mapharma, SMART Scheduling Links and iCalendar end to end over loopback: each adapter
against its emulator, compared with the world's ground truth (winter, and a week that
crosses the 2026-03-29 change to summer time, and one across 2026-10-25)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from aggregator.clock import ManualClock
from aggregator.models import Location, Status
from aggregator.normalize import slugify
from scrapers.base import Adapter, ProviderSettings
from scrapers.client import ClientPolicy, PoliteClient
from scrapers.errors import AdapterError, FetchError, FetchErrorKind
from scrapers.ical.parse import locations_from_options
from scrapers.registry import load_adapter
from scrapers.sandbox.server import SandboxServer, sandbox_options
from scrapers.sandbox.world import World

PLATFORMS = ("mapharma", "smart_scheduling_links", "ical")
SEED = 93  # each platform has a phone-only place and a multi-capacity one with slots
WINTER = datetime(2026, 1, 20, 9, 10, tzinfo=UTC)
ACROSS_DST = datetime(2026, 3, 25, 17, 5, tzinfo=UTC)
ACROSS_AUTUMN_DST = datetime(2026, 10, 21, 22, 30, tzinfo=UTC)


@pytest.fixture
def std_clock() -> ManualClock:
    return ManualClock(WINTER)


@pytest.fixture
async def std_sandbox(std_clock: ManualClock) -> AsyncIterator[SandboxServer]:
    world = World(seed=SEED, locations_per_platform=12, platforms=PLATFORMS)
    server = SandboxServer(world, clock=std_clock)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def make_adapter(platform: str, server: SandboxServer, session: aiohttp.ClientSession,
                 clock: ManualClock) -> Adapter:
    base = server.base_url(platform)
    options = sandbox_options(platform, server.world, base) if platform == "ical" else {}
    settings = ProviderSettings(platform=platform, base_url=base, retries=0, timeout=2.0,
                                options=options)
    client = PoliteClient(session, platform, base, clock=clock,
                          policy=ClientPolicy(timeout=2.0, retries=0, max_body_bytes=200_000))
    return load_adapter(platform)(client, settings)


async def locations_of(adapter: Adapter) -> list[Location]:
    found = await adapter.discover()
    if adapter.platform == "ical":  # no listing: the configured calendars
        assert found == locations_from_options(adapter.settings.options)
    return found


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("when", [WINTER, ACROSS_DST, ACROSS_AUTUMN_DST],
                         ids=["winter", "across-dst", "across-autumn-dst"])
async def test_every_place_matches_world_truth(
    platform: str, when: datetime, std_sandbox: SandboxServer,
    session: aiohttp.ClientSession, std_clock: ManualClock,
) -> None:
    std_clock.set(when)
    adapter = make_adapter(platform, std_sandbox, session, std_clock)
    world = std_sandbox.world
    locations = await locations_of(adapter)
    assert sorted(loc.upstream_id for loc in locations) == sorted(
        p.upstream_id for p in world.places[platform])
    seen_slots = seen_capacity = 0
    for location in locations:
        place = world.place(platform, location.upstream_id)
        assert place is not None
        assert location.id == f"{platform}:{place.upstream_id}" and location.area == place.area
        now = std_clock.now()
        result = await adapter.poll(location, now)
        truth = world.free_slots(place, now, now, now + timedelta(days=7))
        assert Counter(s.start for s in result.slots) == Counter(t.start for t in truth), (
            location.id)
        assert Counter((s.start, s.appointment_type) for s in result.slots) == Counter(
            (t.start, slugify(t.motive)) for t in truth)
        assert all(s.start.tzinfo is not None for s in result.slots)
        if place.phone_only:
            assert result.status is Status.PHONE_ONLY and result.phone
        else:
            assert result.status is (Status.OK if truth else Status.NO_SLOTS)
        if platform != "ical":  # iCalendar has no standard capacity field
            assert [s.capacity for s in result.slots] == [place.capacity] * len(result.slots)
            seen_capacity += place.capacity > 1 and bool(truth)
        seen_slots += len(truth)
    assert seen_slots > 20
    if platform != "ical":
        assert seen_capacity, "the world should have a multi-capacity place with slots"


async def test_smart_downloads_files_once_per_publication(
    std_sandbox: SandboxServer, session: aiohttp.ClientSession, std_clock: ManualClock
) -> None:
    adapter = make_adapter("smart_scheduling_links", std_sandbox, session, std_clock)
    locations = await adapter.discover()
    files = 3 * 3  # 12 places in files of 4: three each of Location, Schedule, Slot
    spent = [(await adapter.poll(loc, std_clock.now())).requests for loc in locations]
    assert spent == [1] * len(locations)  # manifest only, same transactionTime
    std_clock.advance(60)
    spent = [(await adapter.poll(loc, std_clock.now())).requests for loc in locations]
    assert spent == [1 + files] + [1] * (len(locations) - 1)


async def test_smart_manifest_max_age_skips_the_manifest(
    std_sandbox: SandboxServer, session: aiohttp.ClientSession, std_clock: ManualClock
) -> None:
    base = std_sandbox.base_url("smart_scheduling_links")
    settings = ProviderSettings(platform="smart_scheduling_links", base_url=base,
                                options={"manifest_max_age": 30})
    adapter = load_adapter("smart_scheduling_links")(
        PoliteClient(session, "smart_scheduling_links", base, clock=std_clock), settings)
    location = (await adapter.discover())[0]
    std_clock.advance(10)
    assert (await adapter.poll(location, std_clock.now())).requests == 0
    std_clock.advance(25)
    assert (await adapter.poll(location, std_clock.now())).requests == 1 + 9


def with_slots(adapter: Adapter, locations: list[Location], world: World,
               now: datetime) -> Location:
    for location in locations:
        place = world.place(adapter.platform, location.upstream_id)
        if place is not None and world.free_slots(place, now, now, now + timedelta(days=7)):
            return location
    raise AssertionError("no place with slots")


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("fault", ["malformed", "drift"])
async def test_broken_payloads_raise_adapter_error(
    platform: str, fault: str, std_sandbox: SandboxServer,
    session: aiohttp.ClientSession, std_clock: ManualClock,
) -> None:
    adapter = make_adapter(platform, std_sandbox, session, std_clock)
    locations = await locations_of(adapter)
    location = with_slots(adapter, locations, std_sandbox.world, std_clock.now())
    assert (await adapter.poll(location, std_clock.now())).slots  # good before the fault
    plan = std_sandbox.faults.plan(platform)
    if fault == "drift":
        plan.drift = True
    else:
        plan.malformed = 1.0
    with pytest.raises(AdapterError):
        await adapter.poll(location, std_clock.now())
    if platform == "smart_scheduling_links":  # discovery reads the same broken manifest
        with pytest.raises(AdapterError):
            await adapter.discover()


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_oversized_and_server_errors_are_fetch_errors(
    platform: str, std_sandbox: SandboxServer,
    session: aiohttp.ClientSession, std_clock: ManualClock,
) -> None:
    adapter = make_adapter(platform, std_sandbox, session, std_clock)
    location = with_slots(adapter, await locations_of(adapter), std_sandbox.world,
                          std_clock.now())
    plan = std_sandbox.faults.plan(platform)
    plan.oversized, plan.oversized_bytes = 1.0, 400_000
    with pytest.raises(FetchError) as err:
        await adapter.poll(location, std_clock.now())
    assert err.value.kind is FetchErrorKind.TOO_LARGE
    plan.oversized, plan.server_error = 0.0, 1.0
    with pytest.raises(FetchError) as err:
        await adapter.poll(location, std_clock.now())
    assert err.value.kind is FetchErrorKind.SERVER_ERROR


def test_sandbox_options_hooks() -> None:
    world = World(seed=SEED, locations_per_platform=3, platforms=PLATFORMS)
    options = sandbox_options("ical", world, "http://127.0.0.1:1/ical")
    assert [c["url"] for c in options["calendars"]] == [
        f"http://127.0.0.1:1/ical/{p.upstream_id}.ics" for p in world.places["ical"]]
    assert sandbox_options("mapharma", world, "http://127.0.0.1:1/mapharma") == {}
    assert sandbox_options("smart_scheduling_links", world, "x") == {"manifest_max_age": 15}
