"""The publisher's in-memory copy of what Redis holds, refreshed incrementally.

Reading 10,000 locations and availabilities from Redis on every publish costs far more
than rendering the one that changed. The long-lived publisher keeps the last read state
and re-reads only the dirty ids; a periodic full reload repairs anything a dirty set cannot
describe (a location removed, one saved without ever being polled, a lost update).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from aggregator.models import Availability, Location
from cache.store import Store


@dataclass(frozen=True)
class ReloadPolicy:
    every_publishes: int = 120
    every_seconds: float = 600.0

    def due(self, publishes_since: int, seconds_since: float) -> bool:
        return publishes_since >= self.every_publishes or seconds_since >= self.every_seconds


@dataclass
class SiteState:
    locations: dict[str, Location] = field(default_factory=dict)
    availabilities: dict[str, Availability] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)  # location id -> same-place key
    loaded_at: float = 0.0  # clock timestamp of the last full read
    publishes_since_full: int = 0

    def apply(
        self,
        ids: Collection[str],
        locations: dict[str, Location],
        availabilities: dict[str, Availability],
        places: dict[str, str],
    ) -> None:
        """Replace the entries of ``ids``; an id missing from the read was deleted."""
        for lid in ids:
            if lid in locations:
                self.locations[lid] = locations[lid]
            else:
                self.locations.pop(lid, None)
            if lid in availabilities:
                self.availabilities[lid] = availabilities[lid]
            else:
                self.availabilities.pop(lid, None)
            if lid in places and lid in self.locations:
                self.places[lid] = places[lid]
            else:
                self.places.pop(lid, None)


async def read_full(store: Store, now: float) -> SiteState:
    ids = await store.location_ids()
    return SiteState(
        await store.get_locations(ids),
        await store.get_availabilities(ids),
        await store.place_keys(ids),
        now,
    )


async def read_changes(store: Store, state: SiteState, dirty: Collection[str]) -> None:
    """Read only ``dirty`` and fold it in; nothing changes if a read fails midway."""
    ids = sorted(dirty)
    locations = await store.get_locations(ids)
    availabilities = await store.get_availabilities(ids)
    state.apply(ids, locations, availabilities, await store.place_keys(ids))
