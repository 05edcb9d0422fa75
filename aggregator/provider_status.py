"""What the providers page says about each platform: ok / slowed / paused / failing.

Pure: the protection state (read from Redis by the caller) and the availability records
come in, a verdict comes out, so the renderer never touches Redis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from aggregator.models import Availability, Location, Status
from cache.protection.redis_gate import ProviderState


class Health(StrEnum):
    OK = "ok"
    SLOWED = "slowed"
    PAUSED = "paused"
    FAILING = "failing"
    UNKNOWN = "unknown"


FAILING_SHARE = 0.5  # at least this share of a platform's places failing: the platform fails


@dataclass(frozen=True)
class ProviderView:
    platform: str
    health: Health
    locations: int
    failing_locations: int
    last_success: datetime | None  # in status.json only: it moves at every poll

    @property
    def page_key(self) -> tuple[object, ...]:
        """What the providers page shows (not the last success time)."""
        return (self.platform, self.health, self.locations, self.failing_locations,
                self.last_success is None)


def provider_health(
    state: ProviderState | None,
    configured_concurrency: int | None,
    failing: int = 0,
    known: int = 0,
) -> Health:
    """The one verdict, for the providers page and ``slotradar providers`` alike.

    Worst first, as visitors feel it: most of the platform's places failing; then what the
    protection decided: waiting (a Retry-After pause or an open breaker cooling down), then
    fewer concurrent requests than configured (AIMD cut after congestion). Failures in a
    row and a half-open breaker are not verdicts on their own: a Retry-After pause also
    ends half-open (one probe first), and the breaker opens when failures are too many."""
    if known and failing / known >= FAILING_SHARE:
        return Health.FAILING
    if state is not None and state.paused_for > 0:
        return Health.PAUSED
    if (
        state is not None
        and configured_concurrency is not None
        and state.aimd_limit < configured_concurrency
    ):
        return Health.SLOWED
    if state is None and not known:
        return Health.UNKNOWN
    return Health.OK


def health_detail(state: ProviderState, configured_concurrency: int) -> str:
    """The numbers behind a verdict, for operators."""
    parts = [f"breaker {state.breaker}"]
    if state.paused_for > 0:
        parts.insert(0, f"{state.paused_for:.0f}s left")
    if state.failures:
        parts.append(f"{state.failures} failure(s) in a row")
    parts.append(f"concurrency {state.aimd_limit:.1f} of {configured_concurrency}")
    parts.append(f"{state.in_flight} in flight")
    return ", ".join(parts)


def provider_views(
    locations: Iterable[Location],
    availabilities: Mapping[str, Availability],
    states: Mapping[str, ProviderState],
    concurrency: Mapping[str, int],
) -> list[ProviderView]:
    per_platform: dict[str, list[Availability | None]] = {p: [] for p in states}
    for location in locations:
        per_platform.setdefault(location.platform, []).append(availabilities.get(location.id))
    views = []
    for platform in sorted(per_platform):
        records = [a for a in per_platform[platform] if a is not None]
        failing = sum(1 for a in records if a.status is Status.ERROR)
        successes = [a.last_ok_at for a in records if a.last_ok_at is not None]
        views.append(
            ProviderView(
                platform=platform,
                health=provider_health(
                    states.get(platform), concurrency.get(platform), failing, len(records)
                ),
                locations=len(per_platform[platform]),
                failing_locations=failing,
                last_success=max(successes) if successes else None,
            )
        )
    return views
