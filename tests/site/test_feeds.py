"""Atom feeds from the real change-events stream: valid XML, newest first, stable."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.feeds import parse_event
from aggregator.models import PollResult, Slot, Status
from aggregator.site_inputs import read_events
from cache.keys import Keys
from cache.store import Store
from tests.site.stored import make_publisher, poll_all, release_files, results

NS = {"a": "http://www.w3.org/2005/Atom"}


async def test_feed_announces_released_slots_from_the_events_stream(
    redis: aredis.Redis, keys: Keys, clock: ManualClock, tmp_path: Path
) -> None:
    store = Store(redis, keys)
    polled = results(6, clock)
    await store.save_locations([loc for loc, _ in polled.values()], clock.now().timestamp())
    await poll_all(store, polled, clock)  # first poll: every slot is "released"
    clock.advance(120)
    loc, first = polled["testplat:0"]
    extra = Slot(start=clock.now() + timedelta(hours=5), appointment_type="vaccine")
    await store.write(loc, PollResult(status=Status.OK, slots=(*first.slots, extra),
                                      valid_at=clock.now()), clock.now())

    events = await read_events(redis, keys)
    assert events[0].location_id == "testplat:0" and events[0].released == (extra,)

    publisher = make_publisher(redis, keys, clock, tmp_path / "site")
    await publisher.publish()
    files = release_files(tmp_path / "site")
    feed = ET.fromstring(files["feeds/69.atom"])  # Rhône: places 0, 1 and 5
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    entries = feed.findall("a:entry", NS)
    assert entries[0].findtext("a:title", namespaces=NS) == f"1 nouveau créneau à {loc.name}"
    assert feed.findtext("a:updated", namespaces=NS) == entries[0].findtext(
        "a:updated", namespaces=NS
    )
    ids = [e.findtext("a:id", namespaces=NS) for e in entries]
    assert len(ids) == len(set(ids)) == 4  # first polls of places 0, 1, 5, then the release
    for entry in entries:
        link = entry.find("a:link", NS)
        assert link is not None
        href = link.get("href") or ""
        assert href.startswith("../location/") and href[3:] in files
        assert entry.findtext("a:summary", namespaces=NS)

    # an unchanged stream gives an unchanged feed
    await publisher.publish()
    assert release_files(tmp_path / "site")["feeds/69.atom"] == files["feeds/69.atom"]


def test_parse_event_skips_entries_without_releases_and_garbage() -> None:
    assert parse_event("1-0", {"location_id": "a:1", "at": "1.0", "released_count": "0"}) is None
    assert parse_event("1-1", {"at": "x"}) is None
    event = parse_event("1-2", {"location_id": "a:1", "area": "69", "at": "1772440200.0",
                                "released": "[]", "released_count": "3"})
    assert event is not None and event.released_count == 3 and event.area == "69"
