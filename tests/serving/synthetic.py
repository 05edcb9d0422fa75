"""Synthetic locations and polls (new content, shaped like the sandbox's) for the serving
tests and ``bench/serve.py``: deterministic, any size, written through the real Store."""

from __future__ import annotations

from datetime import datetime, timedelta

from aggregator.models import Location, PollResult, Slot, Status
from cache.store import Store

# twenty areas, as many as these tests and bench/serve.py have always spread places over
AREAS = ("06", "13", "2A", "2B", "31", "33", "34", "35", "44", "59", "67", "69", "75", "92",
         "93", "94", "971", "972", "974", "unknown")


def synthetic_locations(count: int) -> list[Location]:
    areas = AREAS
    return [
        Location(
            id=f"synth:{i:05d}",
            platform="synth",
            upstream_id=f"{i:05d}",
            name=f"Centre de santé n°{i}",
            city=f"Ville {i % 97}",
            area=areas[i % len(areas)],
            booking_url=f"https://booking.invalid/centre/{i}",
        )
        for i in range(count)
    ]


def poll_result(index: int, now: datetime, variant: int = 0) -> PollResult:
    """A few slots in the next days; ``variant`` shifts them to make a real change."""
    if (index + variant) % 5 == 0:
        return PollResult(status=Status.NO_SLOTS, valid_at=now)
    first = now + timedelta(hours=1 + (index + variant) % 30)
    slots = tuple(Slot(start=first + timedelta(minutes=15 * k)) for k in range(1 + index % 4))
    return PollResult(status=Status.OK, slots=slots, valid_at=now)


async def seed(store: Store, locations: list[Location], now: datetime) -> None:
    await store.save_locations(locations, due_at=now.timestamp())
    for i, location in enumerate(locations):
        await store.write(location, poll_result(i, now), now)
