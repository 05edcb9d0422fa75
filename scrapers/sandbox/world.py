"""A deterministic world of places and slots that get released and booked over time.

Each slot's release and booking times are a pure function of (seed, location, slot), so
the free slots at any instant are reproducible, tests can compute the ground truth, and
the simulator can measure what a visitor would have seen.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

AREAS: tuple[tuple[str, str, str, float, float], ...] = (
    # code, city, postcode, lat, lon
    ("75", "Paris", "75011", 48.8589, 2.3794),
    ("13", "Marseille", "13001", 43.2965, 5.3698),
    ("69", "Lyon", "69003", 45.7597, 4.8422),
    ("31", "Toulouse", "31000", 43.6045, 1.4440),
    ("06", "Nice", "06000", 43.7031, 7.2661),
    ("44", "Nantes", "44000", 47.2173, -1.5534),
    ("67", "Strasbourg", "67000", 48.5734, 7.7521),
    ("34", "Montpellier", "34000", 43.6108, 3.8767),
    ("33", "Bordeaux", "33000", 44.8378, -0.5792),
    ("59", "Lille", "59000", 50.6292, 3.0573),
    ("35", "Rennes", "35000", 48.1173, -1.6778),
    ("2A", "Ajaccio", "20000", 41.9192, 8.7386),
    ("971", "Pointe-à-Pitre", "97110", 16.2411, -61.5331),
)

KINDS = ("Centre de santé", "Pharmacie", "Cabinet médical", "Centre de vaccination", "Hôpital")
STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "boulevard Victor Hugo",
    "place de la Mairie",
    "rue Pasteur",
    "allée des Tilleuls",
)
MOTIVES = ("Première injection", "Deuxième injection", "Rappel")
# What a hostile or careless upstream may put in a name: markup, quotes, a CDATA end.
HOSTILE_TEXT = """<script>alert(1)</script> "quoted" 'single' ]]> </script><!-- &amp;"""


@dataclass(frozen=True)
class Place:
    platform: str
    upstream_id: str
    slug: str
    name: str
    address: str
    postcode: str
    city: str
    area: str
    lat: float
    lon: float
    phone: str
    motives: tuple[str, ...]
    phone_only: bool
    hotness: float  # mean seconds from a slot's release to its booking
    slot_minutes: int
    capacity: int


@dataclass(frozen=True)
class SlotTruth:
    start: datetime
    motive: str
    released_at: datetime
    booked_at: datetime
    capacity: int

    def free_at(self, when: datetime) -> bool:
        return self.released_at <= when < self.booked_at

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=15)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


@dataclass
class World:
    """Places per platform, and a lazily computed slot grid per (place, day)."""

    seed: int = 42
    locations_per_platform: int = 40
    platforms: tuple[str, ...] = ("doctolib",)
    epoch: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    days_open: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    opening_hours: tuple[int, int] = (8, 20)
    # a day's slots are released between these many hours before it opens (min, max)
    release_hours: tuple[float, float] = (2.0, 96.0)
    hostile_names: bool = False  # put HOSTILE_TEXT into every name and address
    places: dict[str, list[Place]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for platform in self.platforms:
            self.places[platform] = [
                self._make_place(platform, i) for i in range(self.locations_per_platform)
            ]
        self._day_cache = lru_cache(maxsize=200_000)(self._day_slots)

    def _make_place(self, platform: str, index: int) -> Place:
        rng = _rng(self.seed, platform, index)
        code, city, postcode, lat, lon = AREAS[rng.randrange(len(AREAS))]
        kind = KINDS[rng.randrange(len(KINDS))]
        upstream_id = str(100_000 + index * 7 + rng.randrange(7))
        name = f"{kind} {city} {index + 1}"
        tier = rng.random()
        hotness = 90.0 if tier < 0.2 else (1800.0 if tier < 0.6 else 6 * 3600.0)
        motives = tuple(m for m in MOTIVES if rng.random() < 0.7) or (MOTIVES[0],)
        address = f"{rng.randint(1, 120)} {STREETS[rng.randrange(len(STREETS))]}"
        if self.hostile_names:
            name, address = f"{name} {HOSTILE_TEXT}", f"{address} {HOSTILE_TEXT}"
        return Place(
            platform=platform,
            upstream_id=upstream_id,
            slug=f"{kind.lower().replace(' ', '-')}-{city.lower()}-{upstream_id}",
            name=name,
            address=address,
            postcode=postcode,
            city=city,
            area=code,
            lat=round(lat + rng.uniform(-0.05, 0.05), 5),
            lon=round(lon + rng.uniform(-0.05, 0.05), 5),
            phone=f"+3314{rng.randint(1000000, 9999999)}",
            motives=motives,
            phone_only=rng.random() < 0.05,
            hotness=hotness,
            slot_minutes=15 if rng.random() < 0.7 else 30,
            capacity=1 if rng.random() < 0.85 else rng.randint(2, 10),
        )

    def place(self, platform: str, upstream_id: str) -> Place | None:
        for place in self.places.get(platform, ()):
            if place.upstream_id == upstream_id or place.slug == upstream_id:
                return place
        return None

    def _day_slots(self, place: Place, day: date) -> tuple[SlotTruth, ...]:
        if day.weekday() not in self.days_open:
            return ()
        rng = _rng(self.seed, place.platform, place.upstream_id, day.isoformat())
        opening = datetime.combine(day, time(self.opening_hours[0], 0), PARIS)
        # Slots of a day are released in a few batches, the last one shortly before.
        lead = self.release_hours
        batches = sorted(opening - timedelta(hours=rng.uniform(*lead)) for _ in range(3))
        out: list[SlotTruth] = []
        hours = self.opening_hours[1] - self.opening_hours[0]
        steps = (hours * 60) // place.slot_minutes
        for step in range(steps):
            start = opening + timedelta(minutes=step * place.slot_minutes)
            for motive in place.motives:
                if rng.random() < 0.5:
                    continue
                released = batches[rng.randrange(len(batches))]
                wait = -math.log(1.0 - rng.random()) * place.hotness
                booked = min(released + timedelta(seconds=wait), start)
                out.append(SlotTruth(start, motive, released, booked, place.capacity))
        return tuple(out)

    def free_slots(
        self, place: Place, now: datetime, start: datetime, end: datetime, motive: str | None = None
    ) -> list[SlotTruth]:
        """Slots free at ``now`` that start within [start, end), sorted."""
        if place.phone_only:
            return []
        out: list[SlotTruth] = []
        day = start.astimezone(PARIS).date()
        last = end.astimezone(PARIS).date()
        while day <= last:
            for slot in self._day_cache(place, day):
                if (
                    start <= slot.start < end
                    and slot.free_at(now)
                    and (motive is None or slot.motive == motive)
                ):
                    out.append(slot)
            day += timedelta(days=1)
        return sorted(out, key=lambda s: (s.start, s.motive))

    def released_slots(
        self, place: Place, now: datetime, start: datetime, end: datetime, motive: str | None = None
    ) -> list[SlotTruth]:
        """Slots published by ``now`` (free or already booked) starting in [start, end):
        emulators that show booked slots too (busy, 0 places) draw them from here."""
        if place.phone_only:
            return []
        day, last = start.astimezone(PARIS).date(), end.astimezone(PARIS).date()
        out: list[SlotTruth] = []
        for offset in range((last - day).days + 1):
            out.extend(
                s for s in self._day_cache(place, day + timedelta(days=offset))
                if start <= s.start < end and s.released_at <= now
                and (motive is None or s.motive == motive)
            )
        return sorted(out, key=lambda s: (s.start, s.motive))
