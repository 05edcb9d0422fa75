"""Put the factory's places into a real Redis through the real Store, and publish."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.models import Location, PollResult, Slot, Status
from aggregator.publish import Publisher, current_release
from aggregator.site_inputs import SiteInputs, SitePublisher
from cache.keys import Keys
from cache.store import Store
from tests.serving.tree import served_files
from tests.site.factory import PLACES, location, slots_for


def results(n: int, clock: ManualClock) -> dict[str, tuple[Location, PollResult]]:
    out = {}
    for i in range(n):
        loc = location(i)
        status = Status.PHONE_ONLY if i == 3 else Status.OK
        slots: tuple[Slot, ...] = () if i == 3 else slots_for(i, clock.now())
        out[loc.id] = (loc, PollResult(status=status, slots=slots, valid_at=clock.now()))
    return out


async def poll_all(store: Store, polled: dict[str, tuple[Location, PollResult]],
                   clock: ManualClock) -> None:
    for loc, result in polled.values():
        await store.write(loc, result, clock.now())


def make_publisher(redis: aredis.Redis, keys: Keys, clock: ManualClock, out: Path,
                   **site: object) -> SitePublisher:
    store = Store(redis, keys)
    settings = SiteSettings(output_dir=out, **site)  # type: ignore[arg-type]
    return SitePublisher(Publisher(store, settings, clock), SiteInputs(redis, keys, clock))


def release_files(out: Path) -> dict[str, bytes]:
    release = current_release(out)
    assert release is not None
    return {rel: p.read_bytes() for rel, p in served_files(release).items()}


AREAS = sorted({p[0] for p in PLACES})
