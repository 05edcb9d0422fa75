"""What ``slotradar providers`` says: every adapter it can find (built-in, plugin, broken),
how this deployment uses it, and, when Redis is reachable, the fleet's live protection state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import redis.asyncio as aredis

from aggregator.config import Settings
from aggregator.provider_status import health_detail, provider_health
from cache.keys import Keys
from cache.protection.redis_gate import RedisGate
from cache.store import Store
from scrapers.base import ProviderSettings
from scrapers.plugins import PluginError
from scrapers.registry import load_adapter, targets


@dataclass(frozen=True)
class ProviderRow:
    platform: str
    display_name: str
    usage: str  # configured | sandbox | available | broken
    origin: str  # builtin | entry point (<dist>) | $SLOTRADAR_EXTRA_ADAPTERS
    target: str
    error: str = ""


@dataclass(frozen=True)
class LiveState:
    state: str  # a Health value: ok | slowed | paused | failing
    detail: str
    last_success: datetime | None


def usage_of(platform: str, settings: Settings) -> str:
    if any(p.platform == platform and p.enabled for p in settings.providers):
        return "configured"
    if settings.uses_sandbox and platform in settings.sandbox.platforms:
        return "sandbox"
    return "available"


def list_providers(settings: Settings) -> list[ProviderRow]:
    """Each adapter loaded for real: a broken plugin shows with its error, never hides others."""
    try:
        found = targets()
    except PluginError as exc:
        return [ProviderRow("?", "?", "broken", "$SLOTRADAR_EXTRA_ADAPTERS", "", str(exc))]
    rows = []
    for platform, where in sorted(found.items()):
        try:
            adapter = load_adapter(platform)
        except Exception as exc:  # a plugin may fail in any way at import time
            rows.append(ProviderRow(platform, "?", "broken", where.origin, where.target,
                                    f"{type(exc).__name__}: {exc}"))
            continue
        rows.append(ProviderRow(platform, adapter.display_name, usage_of(platform, settings),
                                where.origin, where.target))
    return rows


def provider_settings(settings: Settings, platform: str) -> ProviderSettings:
    """Configured settings, else the defaults (what sandbox and plain providers run with)."""
    for provider in settings.providers:
        if provider.platform == platform:
            return provider
    return ProviderSettings(platform=platform, base_url="http://127.0.0.1")


async def live_states(
    redis: aredis.Redis, keys: Keys, providers: Mapping[str, ProviderSettings]
) -> dict[str, LiveState]:
    gate = RedisGate(redis, providers, keys)
    store = Store(redis, keys)
    out: dict[str, LiveState] = {}
    for platform, settings in providers.items():
        state = await gate.state(platform)
        out[platform] = LiveState(
            provider_health(state, settings.concurrency).value,
            health_detail(state, settings.concurrency),
            await store.last_success(platform),
        )
    return out


def format_rows(rows: list[ProviderRow], live: Mapping[str, LiveState] | None,
                now: datetime) -> str:
    lines = [f"{'platform':20} {'name':22} {'status':10} {'from':28} target"]
    for row in rows:
        line = (f"{row.platform:20} {row.display_name:22} {row.usage:10} {row.origin:28} "
                f"{row.target}")
        if row.error:
            line += f"\n{'':20} error: {row.error}"
        state = (live or {}).get(row.platform)
        if state is not None:
            seen = "never" if state.last_success is None else (
                f"{state.last_success.isoformat(timespec='seconds')} "
                f"({(now - state.last_success).total_seconds() / 60:.0f} min ago)")
            line += f"\n{'':20} live: {state.state} ({state.detail}); last success: {seen}"
        lines.append(line)
    if live is None:
        lines.append("live state: Redis not configured or unreachable")
    return "\n".join(lines)
