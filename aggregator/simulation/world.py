"""The simulated rush: places, slots with known release and booking times, page views.

- Areas have Zipf-distributed popularity: visitors concentrate on a few hot areas, and hot
  places (slots booked within seconds to minutes) are more likely there.
- Places release slots in batches (a Poisson process of batches whose rate follows the
  day and jumps during a rush); each slot is booked after an exponential delay set by the
  place's kind and its area's demand, or reaches its start time unbooked.
- Page views per area follow the day and the rush; the metrics integrate them exactly.
Everything is drawn from one seeded RNG: same config, same world.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 86_400.0

# Share of the day's peak traffic per hour of the day (visitors and slot releases).
DIURNAL = (
    0.03, 0.02, 0.02, 0.02, 0.02, 0.05, 0.15, 0.40, 0.70, 0.90, 0.85, 0.80,
    0.70, 0.75, 0.80, 0.85, 0.85, 0.90, 1.00, 1.00, 0.90, 0.60, 0.30, 0.10,
)  # fmt: skip


@dataclass(frozen=True)
class KindProfile:
    batches_per_hour: float  # at the peak of the day
    batch_min: int
    batch_max: int
    booking_mean: float  # s from release to booking, in an average area


KINDS: dict[str, KindProfile] = {
    "hot": KindProfile(0.8, 5, 30, 120.0),
    "warm": KindProfile(0.25, 2, 12, 1800.0),
    "idle": KindProfile(0.04, 1, 4, 6 * HOUR),
}


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 1
    days: float = 1.0
    providers: tuple[str, ...] = ("alpha", "beta")
    locations_per_provider: int = 300
    areas: int = 20
    zipf: float = 1.2
    peak_views_per_hour: float = 200_000.0
    hot_share: float = 0.12
    warm_share: float = 0.35
    rush_hour: int = 18  # a rush (announcement) starts at this hour of the first day
    rush_hours: int = 2
    rush_release_factor: float = 4.0
    rush_view_factor: float = 3.0
    max_cost: int = 3  # upstream requests per poll, 1..max_cost

    @property
    def duration(self) -> float:
        return self.days * DAY


@dataclass
class SimLocation:
    index: int
    id: str
    provider: str
    area: int
    kind: str
    cost: int
    released: list[float] = field(default_factory=list)  # per slot, sorted
    booked: list[float] = field(default_factory=list)
    start: list[float] = field(default_factory=list)  # appointment time
    events: list[tuple[float, int, int]] = field(default_factory=list)  # (t, +1/-1, slot)


class World:
    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        rng = random.Random(config.seed)
        self.hours = math.ceil(config.duration / HOUR) + 1
        self.release_factor = [
            self._factor(h, config.rush_release_factor) for h in range(self.hours)
        ]
        view_rate = [
            config.peak_views_per_hour * self._factor(h, config.rush_view_factor) / HOUR
            for h in range(self.hours)
        ]  # views per second, all areas
        self._view_rate = view_rate
        self._cum_views = [0.0]
        for rate in view_rate:
            self._cum_views.append(self._cum_views[-1] + rate * HOUR)
        weights = [float((a + 1.0) ** -config.zipf) for a in range(config.areas)]
        total = sum(weights)
        self.area_share = [w / total for w in weights]
        self.locations: list[SimLocation] = []
        for provider in config.providers:
            for i in range(config.locations_per_provider):
                self.locations.append(self._make_location(rng, provider, i))

    def _factor(self, hour: int, rush: float) -> float:
        base = DIURNAL[hour % 24]
        first = self.config.rush_hour
        in_rush = first <= hour < first + self.config.rush_hours
        return base * (rush if in_rush else 1.0)

    def _make_location(self, rng: random.Random, provider: str, i: int) -> SimLocation:
        cfg = self.config
        area = rng.choices(range(cfg.areas), weights=self.area_share)[0]
        demand = self.area_share[area] * cfg.areas  # 1.0 for an average area
        hot = min(0.9, cfg.hot_share * math.sqrt(demand))
        roll = rng.random()
        kind = "hot" if roll < hot else ("warm" if roll < hot + cfg.warm_share else "idle")
        loc = SimLocation(
            index=len(self.locations),
            id=f"{provider}:{i}",
            provider=provider,
            area=area,
            kind=kind,
            cost=rng.randint(1, cfg.max_cost),
        )
        self._make_slots(rng, loc, demand)
        return loc

    def _make_slots(self, rng: random.Random, loc: SimLocation, demand: float) -> None:
        """Batches from one day before t=0 (the stock already on sale) to the end."""
        profile = KINDS[loc.kind]
        booking_mean = profile.booking_mean / math.sqrt(max(demand, 0.05))
        slots: list[tuple[float, float, float]] = []
        for h in range(-24, self.hours - 1):
            rate = profile.batches_per_hour * self.release_factor[max(h, 0)] if h >= 0 else (
                profile.batches_per_hour * DIURNAL[h % 24]
            )
            t = h * HOUR + rng.expovariate(rate) * HOUR if rate > 0 else math.inf
            while t < (h + 1) * HOUR:
                for _ in range(rng.randint(profile.batch_min, profile.batch_max)):
                    start = t + rng.uniform(2 * HOUR, 7 * DAY)
                    booked = min(t + rng.expovariate(1.0 / booking_mean), start)
                    slots.append((t, booked, start))
                t += rng.expovariate(rate) * HOUR
        slots.sort()
        for index, (released, booked, start) in enumerate(slots):
            loc.released.append(released)
            loc.booked.append(booked)
            loc.start.append(start)
            loc.events.append((released, 1, index))
            loc.events.append((booked, -1, index))
        loc.events.sort()

    # -- page views --------------------------------------------------------------------
    def cumulative_views(self, area: int, t: float) -> float:
        """Views of an area page from t=0 to ``t`` (exact integral of the view rate)."""
        if t <= 0:
            return 0.0
        h = min(int(t // HOUR), self.hours - 1)
        total = self._cum_views[h] + self._view_rate[h] * (t - h * HOUR)
        return total * self.area_share[area]

    def view_rate(self, area: int, t: float) -> float:
        """Views per second of an area page at ``t``."""
        h = min(max(int(t // HOUR), 0), self.hours - 1)
        return self._view_rate[h] * self.area_share[area]

    def views_per_hour(self, area: int, since: float, until: float) -> float:
        """What a log processor would report: the area page's views/hour over a window."""
        if until <= since:
            return 0.0
        seen = self.cumulative_views(area, until) - self.cumulative_views(area, since)
        return seen / (until - since) * HOUR

    def area_name(self, area: int) -> str:
        return f"a{area:02d}"


def first_at_or_after(times: list[float], t: float) -> int:
    """Index of the first element >= t (len(times) when none)."""
    return bisect.bisect_left(times, t)
