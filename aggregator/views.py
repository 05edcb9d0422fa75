"""Pure summaries the site is rendered from: per location, per area, overall."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from aggregator.models import Availability, Location, Slot, Status


@dataclass(frozen=True)
class LocationView:
    location: Location
    availability: Availability | None
    status: Status | None
    next_slot: Slot | None
    slots_24h: int
    slots_7d: int
    slot_count: int
    stale: bool
    failing: bool
    data_age: float | None  # seconds since upstream data was last confirmed
    # the same place as listed by other platforms (aggregator.dedupe): one card, more links
    others: tuple[LocationView, ...] = ()

    @property
    def has_slots(self) -> bool:
        return self.slot_count > 0

    @property
    def place_has_slots(self) -> bool:
        return self.has_slots or any(o.has_slots for o in self.others)


@dataclass
class AreaView:
    code: str
    name: str
    locations: list[LocationView] = field(default_factory=list)
    places: list[LocationView] = field(default_factory=list)  # one per place, with others

    @property
    def places_with_slots(self) -> int:
        return sum(1 for v in self.places if v.place_has_slots)

    @property
    def with_slots(self) -> int:
        return sum(1 for v in self.locations if v.has_slots)

    @property
    def slots_24h(self) -> int:
        return sum(v.slots_24h for v in self.locations)

    @property
    def slots_7d(self) -> int:
        return sum(v.slots_7d for v in self.locations)


def location_view(
    location: Location,
    availability: Availability | None,
    now: datetime,
    stale_after: float,
    hide_after: float,
) -> LocationView:
    if availability is None:
        return LocationView(location, None, None, None, 0, 0, 0, False, False, None)
    confirmed = availability.last_ok_at or availability.valid_at
    age = (now - confirmed).total_seconds() if confirmed else None
    hidden = age is None or age > hide_after
    future = () if hidden else availability.future_slots(now)
    day = now + timedelta(hours=24)
    week = now + timedelta(days=7)
    return LocationView(
        location=location,
        availability=availability,
        status=availability.status,
        next_slot=min(future, key=Slot.sort_key) if future else None,
        slots_24h=sum(s.capacity for s in future if s.start < day),
        slots_7d=sum(s.capacity for s in future if s.start < week),
        slot_count=sum(s.capacity for s in future),
        stale=age is not None and age > stale_after,
        failing=availability.status is Status.ERROR,
        data_age=age,
    )


def sort_for_visitors(views: Iterable[LocationView]) -> list[LocationView]:
    """Soonest appointment first; places without slots after, by name."""
    far = datetime.max.replace(tzinfo=None)

    def key(view: LocationView) -> tuple[int, datetime, str]:
        start = view.next_slot.start.replace(tzinfo=None) if view.next_slot else far
        return (0 if view.next_slot else 1, start, view.location.name.lower())

    return sorted(views, key=key)


def grouped_by_place(
    views: Iterable[LocationView], place_of: Mapping[str, str]
) -> list[LocationView]:
    """One view per place: the first in visitor order leads, the others ride along."""
    ordered = sort_for_visitors(views)
    by_place: dict[str, list[LocationView]] = {}
    for view in ordered:
        lid = view.location.id
        by_place.setdefault(place_of.get(lid, lid), []).append(view)
    return [replace(lead, others=tuple(rest)) for lead, *rest in by_place.values()]


def build_areas(
    locations: Mapping[str, Location],
    availabilities: Mapping[str, Availability],
    now: datetime,
    area_names: Mapping[str, str],
    stale_after: float,
    hide_after: float,
    place_of: Mapping[str, str] | None = None,
) -> list[AreaView]:
    areas: dict[str, AreaView] = {}
    for lid, location in locations.items():
        view = location_view(location, availabilities.get(lid), now, stale_after, hide_after)
        area = areas.setdefault(
            location.area, AreaView(location.area, area_names.get(location.area, location.area))
        )
        area.locations.append(view)
    for area in areas.values():
        area.locations = sort_for_visitors(area.locations)
        area.places = grouped_by_place(area.locations, place_of or {})
    return sorted(areas.values(), key=lambda a: a.code)
