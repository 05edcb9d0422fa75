"""Discovery groups one place listed by two platforms; the area page shows one card for it
with a booking link per platform. Real Redis, the Doctolib emulator over loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aiohttp
import pytest
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.models import Location, PollResult, Slot, Status
from aggregator.pages import SiteRenderer
from aggregator.policy import FixedIntervalPolicy
from aggregator.refresh import Coordinator
from cache.due_queue import DueQueue
from cache.keys import Keys
from cache.store import Store
from scrapers.base import Adapter, ProviderSettings
from scrapers.client import PoliteClient
from scrapers.doctolib import DoctolibAdapter
from scrapers.sandbox.server import SandboxServer


class RelistingAdapter(Adapter):
    """A second platform (its real adapter lives on another branch) listing one place the
    Doctolib emulator also lists, as its own site would spell it."""

    platform = "otherplat"
    display_name = "Other platform"

    def __init__(self, client: PoliteClient, settings: ProviderSettings,
                 twin: Location, slot_at: datetime) -> None:
        super().__init__(client, settings)
        self.twin = twin
        self.slot_at = slot_at

    async def discover(self) -> list[Location]:
        t = self.twin
        return [Location(id="otherplat:A1", platform="otherplat", upstream_id="A1",
                         name=t.name.upper(), address=t.address.replace("rue", "r."),
                         postcode=t.postcode, city=t.city, area=t.area, lat=t.lat, lon=t.lon,
                         booking_url="https://other.example/book/A1")]

    async def poll(self, location: Location, now: datetime) -> PollResult:
        slot = Slot(start=self.slot_at, booking_url="https://other.example/book/A1/slot")
        return PollResult(status=Status.OK, slots=(slot,), valid_at=now, requests=0)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_one_card_per_place_with_a_link_per_platform(
    redis: aredis.Redis, keys: Keys, sandbox: SandboxServer,
    session: aiohttp.ClientSession, clock: ManualClock,
) -> None:
    base = sandbox.base_url("doctolib")
    doctolib = DoctolibAdapter(PoliteClient(session, "doctolib", base, clock=clock),
                               ProviderSettings(platform="doctolib", base_url=base, retries=0))
    now = clock.now()
    twin = next(loc for loc in await doctolib.discover()
                if sandbox.world.free_slots(sandbox.world.place("doctolib", loc.upstream_id)
                                            or pytest.fail("unknown place"),
                                            now, now, now + timedelta(days=7)))
    other = RelistingAdapter(PoliteClient(session, "otherplat", "http://127.0.0.1:9"),
                             ProviderSettings(platform="otherplat", base_url="http://127.0.0.1:9"),
                             twin, clock.now() + timedelta(hours=3))
    store = Store(redis, keys)
    coordinator = Coordinator(store, DueQueue(redis, keys),
                              {"doctolib": doctolib, "otherplat": other},
                              FixedIntervalPolicy(interval=300), clock)
    counts = await coordinator.discover()
    assert counts == {"doctolib": 12, "otherplat": 1}

    ids = await store.location_ids()
    places = await store.place_keys(ids)
    assert places["otherplat:A1"] == places[twin.id]
    assert len(set(places.values())) == len(ids) - 1  # only the twins merged
    for platform in ("doctolib", "otherplat"):
        await coordinator.run_due(platform, 100)

    files = SiteRenderer(SiteSettings()).render(
        await store.get_locations(ids), await store.get_availabilities(ids), clock.now(), places)
    page = files[f"en/area/{twin.area}.html"].decode()  # French at /, English under en/
    in_area = [lid for lid in ids if lid.startswith("doctolib:")
               and (await store.get_locations([lid]))[lid].area == twin.area]
    assert page.count('<li class="card') == len(in_area)  # the twin adds no card
    cards = re.findall(r'<li class="card.*?</li>', page, re.S)
    twins = [c for c in cards if "otherplat:A1" in c]
    assert len(twins) == 1, "the other platform's listing is not on exactly one card"
    card = twins[0]
    assert twin.id in card  # one card holds both listings...
    assert "Also on otherplat" in card or "Also on doctolib" in card
    assert 'href="https://other.example/book/A1/slot"' in card  # ...and both booking links
    assert f'href="{twin.booking_url}"' in card
