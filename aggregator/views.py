"""Pure summaries the site is rendered from: per location, per area, per provider.

A view depends on ``now`` only through a few thresholds (a slot passing, a slot entering
the 24 h / 7 day window, data becoming stale or hidden). Each view records the instant its
next threshold is crossed (``valid_until``) so the renderer can reuse it until then: this
is what keeps unchanged pages byte-identical and incremental renders cheap.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from operator import attrgetter

from aggregator.models import Availability, Location, Slot, Status

DAY = timedelta(hours=24)
WEEK = timedelta(days=7)
UPCOMING_SHOWN = 30  # slots listed on a location page
TYPE_STARTS_KEPT = 40  # starts per appointment type kept for client-side filters
_EPSILON = timedelta(microseconds=1)
_FAR = datetime.max.replace(tzinfo=None)


def safe_url(value: str) -> str:
    """Only http(s) links reach an ``href``: a ``javascript:`` booking URL from upstream
    would survive HTML escaping."""
    lowered = value.strip().lower()
    return value.strip() if lowered.startswith(("https://", "http://")) else ""


@dataclass(frozen=True)
class TypeSlots:
    """Slots of one appointment type within 7 days: the first starts, and the total."""

    appointment_type: str
    starts: tuple[datetime, ...]
    count: int


@dataclass(frozen=True)
class LocationView:
    location: Location
    status: Status | None
    next_slot: Slot | None
    slots_24h: int
    slots_7d: int
    slot_count: int
    stale: bool
    hidden: bool
    failing: bool
    phone: str
    upcoming: tuple[Slot, ...]
    types: tuple[TypeSlots, ...]
    valid_until: datetime | None  # None: never changes with time alone
    digest: str

    @property
    def has_slots(self) -> bool:
        return self.slot_count > 0

    @property
    def phone_only(self) -> bool:
        return self.status is Status.PHONE_ONLY

    @property
    def booking_url(self) -> str:
        """The slot's own link when it has one, else the place's; http(s) only."""
        slot_url = safe_url(self.next_slot.booking_url) if self.next_slot else ""
        return slot_url or safe_url(self.location.booking_url)

    def valid_at(self, now: datetime) -> bool:
        return self.valid_until is None or now < self.valid_until


@dataclass
class AreaView:
    code: str
    name: str
    locations: list[LocationView] = field(default_factory=list)
    # the same place listed on several platforms (aggregator.dedupe): the listing first in
    # visitor order leads one card, the others ride along on it with their own links
    others: dict[str, tuple[LocationView, ...]] = field(default_factory=dict)
    followers: frozenset[str] = frozenset()

    def group_places(self, place_of: Mapping[str, str]) -> None:
        """Set ``others``/``followers`` from ``place_of`` (location id -> place key)."""
        keys = [place_of.get(v.location.id, v.location.id) for v in self.locations]
        if len(set(keys)) == len(keys):  # the usual case: every listing its own place
            self.others, self.followers = {}, frozenset()
            return
        by_place: dict[str, list[LocationView]] = {}
        for view in self.locations:  # already in visitor order
            lid = view.location.id
            by_place.setdefault(place_of.get(lid, lid), []).append(view)
        self.others = {g[0].location.id: tuple(g[1:]) for g in by_place.values() if len(g) > 1}
        self.followers = frozenset(o.location.id for g in self.others.values() for o in g)

    @property
    def leads(self) -> list[LocationView]:
        """One view per place: the listings that get a card."""
        return [v for v in self.locations if v.location.id not in self.followers]

    @property
    def places_with_slots(self) -> int:
        return sum(1 for v in self.leads
                   if v.has_slots or any(o.has_slots for o in self.others.get(v.location.id, ())))

    @property
    def grouping(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """What the grouping looks like, for page digests."""
        return tuple(sorted((lead, tuple(o.location.id for o in rest))
                            for lead, rest in self.others.items()))

    # cached: read by several pages per publish; an AreaView is rebuilt, never mutated,
    # once grouping is done
    @cached_property
    def with_slots(self) -> int:
        return sum(1 for v in self.locations if v.has_slots)

    @cached_property
    def slots_24h(self) -> int:
        return sum(v.slots_24h for v in self.locations)

    @cached_property
    def slots_7d(self) -> int:
        return sum(v.slots_7d for v in self.locations)

    @cached_property
    def slot_count(self) -> int:
        return sum(v.slot_count for v in self.locations)


def confirmed_at(availability: Availability) -> datetime | None:
    """When upstream last vouched for the slots shown (a failed poll does not count)."""
    return availability.last_ok_at or availability.valid_at


def _earliest(*candidates: datetime | None) -> datetime | None:
    present = [c for c in candidates if c is not None]
    return min(present) if present else None


@lru_cache(maxsize=1 << 16)
def iso(value: datetime) -> str:
    """Cached: thousands of slots share a few hundred distinct start times."""
    return value.isoformat()


def _view_digest(location: Location, parts: Iterable[str]) -> str:
    body = location.model_dump_json() + "\x1f" + "\x1f".join(parts)
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class _Tally:
    """Counts by horizon and type over sorted future slots, and the first slot beyond
    each horizon (when it enters the window, the view changes). Bisection on the sorted
    starts keeps the per-slot Python work to the slots inside the week."""

    slots_24h: int
    slots_7d: int
    total: int
    first_after_day: datetime | None
    first_after_week: datetime | None
    types: tuple[TypeSlots, ...]

    @classmethod
    def of(cls, future: tuple[Slot, ...], day: datetime, week: datetime) -> _Tally:
        starts = list(map(_START, future))
        caps = list(map(_CAPACITY, future))
        i_day, i_week = bisect_left(starts, day), bisect_left(starts, week)
        kept: dict[str, list[datetime]] = {}
        counts: dict[str, int] = {}
        for slot in future[:i_week]:
            kind = slot.appointment_type
            counts[kind] = counts.get(kind, 0) + slot.capacity
            first = kept.setdefault(kind, [])
            if len(first) < TYPE_STARTS_KEPT:
                first.append(slot.start)
        return cls(
            slots_24h=sum(caps[:i_day]),
            slots_7d=sum(caps[:i_week]),
            total=sum(caps),
            first_after_day=starts[i_day] if i_day < len(starts) else None,
            first_after_week=starts[i_week] if i_week < len(starts) else None,
            types=tuple(TypeSlots(t, tuple(kept[t]), counts[t]) for t in sorted(counts)),
        )


_BY_START = attrgetter("start", "appointment_type")
_START = attrgetter("start")
_CAPACITY = attrgetter("capacity")


def location_view(
    location: Location,
    availability: Availability | None,
    now: datetime,
    stale_after: float,
    hide_after: float,
) -> LocationView:
    """What a visitor sees of one place at ``now``, and until when it stays so."""
    if availability is None:
        return LocationView(
            location, None, None, 0, 0, 0, False, False, False, location.phone, (), (), None,
            _view_digest(location, ("none",)),
        )
    confirmed = confirmed_at(availability)
    age = (now - confirmed).total_seconds() if confirmed else None
    hidden = age is None or age > hide_after
    stale = age is not None and age > stale_after
    if hidden:
        future: tuple[Slot, ...] = ()
    else:  # sort then cut at now by bisection: C loops, no Python step per slot
        ordered = sorted(availability.slots, key=_BY_START)
        future = tuple(ordered[bisect_left(list(map(_START, ordered)), now):])
    tally = _Tally.of(future, now + DAY, now + WEEK)
    # the next instant at which time alone changes this view
    until = _earliest(
        future[0].start + _EPSILON if future else None,
        tally.first_after_day - DAY + _EPSILON if tally.first_after_day else None,
        tally.first_after_week - WEEK + _EPSILON if tally.first_after_week else None,
        confirmed + timedelta(seconds=stale_after) + _EPSILON if confirmed and not stale else None,
        confirmed + timedelta(seconds=hide_after) + _EPSILON if confirmed and not hidden else None,
    )
    types = tally.types
    upcoming = future[:UPCOMING_SHOWN]
    phone = availability.phone or location.phone
    parts = [
        availability.status.value,
        f"{stale}{hidden}{tally.slots_24h},{tally.slots_7d},{tally.total}",
        phone,
        *(f"{iso(s.start)} {s.appointment_type} {s.capacity} {s.booking_url}" for s in upcoming),
        *(f"{t.appointment_type} {t.count} " + ",".join(map(iso, t.starts)) for t in types),
    ]
    return LocationView(
        location=location,
        status=availability.status,
        next_slot=future[0] if future else None,
        slots_24h=tally.slots_24h,
        slots_7d=tally.slots_7d,
        slot_count=tally.total,
        stale=stale,
        hidden=hidden and bool(availability.slots),
        failing=availability.status is Status.ERROR,
        phone=phone,
        upcoming=upcoming,
        types=types,
        valid_until=until,
        digest=_view_digest(location, parts),
    )


def availability_fingerprint(availability: Availability | None) -> object:
    """Changes whenever the stored content or its confirmation time changes; a poll that
    only re-checked (``checked_at``) leaves it equal. ``changed_at`` stands for the slots
    when the store set it."""
    if availability is None:
        return None
    content: object = availability.changed_at or availability.slots
    return (
        availability.status,
        content,
        len(availability.slots),
        confirmed_at(availability),
        availability.phone,
        availability.message,
    )


def sort_for_visitors(views: Iterable[LocationView]) -> list[LocationView]:
    """Soonest appointment first; places without slots after, by name."""

    def key(view: LocationView) -> tuple[int, datetime, str, str]:
        start = view.next_slot.start.replace(tzinfo=None) if view.next_slot else _FAR
        return (0 if view.next_slot else 1, start, view.location.name.lower(), view.location.id)

    return sorted(views, key=key)


_AREA_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def safe_area_code(code: str) -> str:
    """Area codes become file names (area/<code>.html): anything but a plain code from
    upstream is replaced by a slug and a hash, so it can never leave the release."""
    if _AREA_CODE.match(code):
        return code
    slug = re.sub(r"[^A-Za-z0-9]+", "-", code).strip("-")[:8]
    return f"{slug}-{hashlib.blake2b(code.encode(), digest_size=4).hexdigest()}".lstrip("-")


def group_areas(
    views: Iterable[LocationView], area_names: Mapping[str, str]
) -> list[AreaView]:
    areas: dict[str, AreaView] = {}
    for view in views:
        raw = view.location.area
        code = safe_area_code(raw)
        area = areas.get(code)
        if area is None:
            area = areas[code] = AreaView(code, area_names.get(raw, raw))
        area.locations.append(view)
    for area in areas.values():
        area.locations = sort_for_visitors(area.locations)
    return sorted(areas.values(), key=lambda a: a.code)


def build_areas(
    locations: Mapping[str, Location],
    availabilities: Mapping[str, Availability],
    now: datetime,
    area_names: Mapping[str, str],
    stale_after: float,
    hide_after: float,
    place_of: Mapping[str, str] | None = None,
) -> list[AreaView]:
    views = (
        location_view(loc, availabilities.get(lid), now, stale_after, hide_after)
        for lid, loc in locations.items()
    )
    areas = group_areas(views, area_names)
    for area in areas:
        area.group_places(place_of or {})
    return areas
