"""Unchanged content, unchanged bytes: across renderers, publishes and polls."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.models import Slot
from aggregator.pages import SiteRenderer, location_page
from aggregator.publish import current_release
from cache.keys import Keys
from cache.store import Store
from tests.site.factory import T0, availability, dataset, location, pages, slots_for
from tests.site.stored import make_publisher, poll_all, release_files, results


def test_two_renderers_a_few_minutes_apart_produce_the_same_pages() -> None:
    locations, availabilities = dataset()
    first = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    later = SiteRenderer(SiteSettings()).render(
        locations, availabilities, T0 + timedelta(minutes=3, seconds=20)
    )
    assert pages(first) == pages(later)
    assert first["status.json"] != later["status.json"]  # the time lives there only
    assert json.loads(later["status.json"])["generated_at"].startswith("2026-03-02T08:33:20")


def test_a_slot_passing_changes_only_the_pages_that_show_it() -> None:
    a, b = location(0), location(5)  # same area (Lyon)
    soon = Slot(start=T0 + timedelta(minutes=30))
    later = tuple(Slot(start=T0 + timedelta(hours=h)) for h in (2, 3))
    locations = {a.id: a, b.id: b}
    availabilities = {a.id: availability(a, (soon, *later)), b.id: availability(b, later)}
    renderer = SiteRenderer(SiteSettings(stale_after=7200))  # nobody turns stale meanwhile
    before = renderer.render(locations, availabilities, T0)
    after = renderer.render(locations, availabilities, T0 + timedelta(minutes=45))
    changed = {k for k in pages(before) if before[k] != after[k]}
    assert {location_page(a.id), "en/" + location_page(a.id)} <= changed
    assert location_page(b.id) not in changed and "en/" + location_page(b.id) not in changed
    assert renderer.last.views_computed == 1  # b's view was still valid: not recomputed


async def test_repolling_unchanged_upstream_keeps_every_page_byte_identical(
    redis: aredis.Redis, keys: Keys, clock: ManualClock, tmp_path: Path
) -> None:
    store = Store(redis, keys)
    polled = results(12, clock)
    await store.save_locations([loc for loc, _ in polled.values()], clock.now().timestamp())
    await poll_all(store, polled, clock)
    publisher = make_publisher(redis, keys, clock, tmp_path / "site")
    await publisher.publish()
    first = release_files(tmp_path / "site")
    first_release = current_release(tmp_path / "site")

    clock.advance(90)  # upstream answers the same: only checked_at moves
    await poll_all(store, polled, clock)
    second_publisher = make_publisher(redis, keys, clock, tmp_path / "site")  # fresh memo
    await second_publisher.publish()
    second = release_files(tmp_path / "site")
    assert current_release(tmp_path / "site") != first_release

    assert pages(first) == pages(second)
    area = next(k for k in first if k.startswith("status/"))
    assert first[area] != second[area]  # "checked" moved, in the status file only
    assert first["status.json"] != second["status.json"]


def test_changed_slots_change_the_page() -> None:
    locations, availabilities = dataset()
    renderer = SiteRenderer(SiteSettings())
    before = renderer.render(locations, availabilities, T0)
    lid = "testplat:0"
    availabilities[lid] = availability(locations[lid], slots_for(0)[1:])
    after = renderer.render(locations, availabilities, T0)
    assert before[location_page(lid)] != after[location_page(lid)]
