"""``slotradar health``: one verdict for a load balancer or a monitoring probe.

Healthy means: Redis answers, a publish happened recently, and no provider is entirely
failing or paused for longer than the operator tolerates. The verdict is a pure function
of a ``Snapshot`` so it is tested without waiting for anything to go stale;
``health_report`` is the thin I/O edge that takes the snapshot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from redis.exceptions import RedisError

from aggregator.config import Settings
from aggregator.observe import Snapshot, take_snapshot
from cache.connection import connect, resolve_url
from cache.keys import Keys
from scrapers.base import ProviderSettings


@dataclass(frozen=True)
class HealthThresholds:
    max_publish_age: float = 300.0  # seconds since the latest publish
    max_pause: float = 600.0  # seconds a provider may stay paused


@dataclass(frozen=True)
class HealthReport:
    ok: bool
    reason: str
    problems: list[str] = field(default_factory=list)
    publish_age: float | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def unreachable(error: str) -> HealthReport:
    return HealthReport(False, f"redis unreachable: {error}", [f"redis unreachable: {error}"])


def evaluate(snapshot: Snapshot, limits: HealthThresholds) -> HealthReport:
    problems: list[str] = []
    age = None if snapshot.publish_at is None else snapshot.now - snapshot.publish_at
    if age is None:
        problems.append("never published")
    elif age > limits.max_publish_age:
        problems.append(f"last publish {age:.0f}s ago (max {limits.max_publish_age:.0f}s)")
    for p in snapshot.providers:
        if p.all_failing:
            problems.append(f"{p.platform}: all {p.locations} locations failing")
        if p.paused_for > limits.max_pause:
            problems.append(f"{p.platform}: paused for {p.paused_for:.0f}s more "
                            f"(max {limits.max_pause:.0f}s, breaker {p.breaker})")
    if problems:
        return HealthReport(False, "; ".join(problems), problems, age)
    count = len(snapshot.providers)
    reason = f"ok: published {age:.0f}s ago, {count} provider{'s' if count != 1 else ''} up"
    return HealthReport(True, reason, [], age)


def probed_providers(settings: Settings) -> list[ProviderSettings]:
    """The providers a daemon with these settings polls (the sandbox's when it runs)."""
    if settings.uses_sandbox:
        return [ProviderSettings(platform=p, base_url="http://sandbox", rate=settings.sandbox.rate)
                for p in settings.sandbox.platforms]
    return [p for p in settings.providers if p.enabled]


async def health_report(settings: Settings, limits: HealthThresholds) -> HealthReport:
    """The I/O edge of the verdict: one snapshot of the configured Redis."""
    url = resolve_url(settings.redis.url or None)
    if not url:
        return unreachable("no Redis configured (set REDIS_URL or redis.url)")
    client = connect(url)
    try:
        snapshot = await take_snapshot(client, Keys(settings.redis.prefix),
                                       probed_providers(settings))
    except (RedisError, OSError) as exc:
        return unreachable(f"{type(exc).__name__}: {exc}")
    finally:
        await client.aclose()
    return evaluate(snapshot, limits)
