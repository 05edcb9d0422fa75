"""``slotradar providers``: every adapter (built-in, plugin, broken) and the fleet's live
protection state read from a real Redis, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import redis.asyncio as aredis

from aggregator.models import Location, PollResult, Status
from aggregator.provider_status import Health, health_detail, provider_health
from cache.keys import Keys
from cache.protection.redis_gate import ProviderState, RedisGate
from cache.store import Store
from scrapers.base import ProviderSettings
from scrapers.gate import Outcome

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ("paused_one=scrapers.doctolib:DoctolibAdapter,"
           "broken_one=nowhere_pkg.adapter:NopeAdapter,"
           "not_an_adapter=scrapers.base:ProviderSettings")


def providers_cli(tmp_path: Path, redis_url: str, prefix: str) -> str:
    cfg = tmp_path / "slotradar.toml"
    cfg.write_text(f'[redis]\nurl = "{redis_url}"\nprefix = "{prefix}"\n'
                   '[sandbox]\nplatforms = ["doctolib"]\n')
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", "-c", str(cfg), "providers"], cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
        env={**env, "PYTHONPATH": str(ROOT), "SLOTRADAR_EXTRA_ADAPTERS": PLUGINS})
    assert done.returncode == 0, done.stderr
    return done.stdout


def block(out: str, platform: str) -> str:
    """The row of one platform and its indented continuation lines."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(platform + " "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")),
               len(lines))
    return "\n".join(lines[start:end])


async def test_lists_plugins_and_live_state(tmp_path: Path, redis: aredis.Redis,
                                            redis_url: str, keys: Keys) -> None:
    settings = {p: ProviderSettings(platform=p, base_url="http://127.0.0.1")
                for p in ("doctolib", "paused_one")}
    gate = RedisGate(redis, settings, keys)
    for outcome in (Outcome.SERVER_ERROR, Outcome.OK):  # cut once, then recovering
        async with gate.slot("doctolib"):
            await gate.report("doctolib", outcome)
    async with gate.slot("paused_one"):
        await gate.report("paused_one", Outcome.RATE_LIMITED, 600.0)
    await gate.flush()  # successes ride on later admissions; the CLI below blocks the loop
    store = Store(redis, keys)
    polled = datetime(2026, 3, 2, 8, 30, 15, tzinfo=UTC)
    location = Location(id="doctolib:1", platform="doctolib", upstream_id="1", name="x",
                        area="75")
    await store.save_locations([location], polled.timestamp())
    await store.write(location, PollResult(status=Status.NO_SLOTS, valid_at=polled), polled)

    out = providers_cli(tmp_path, redis_url, keys.prefix)
    doctolib = block(out, "doctolib")
    assert "Doctolib" in doctolib and " sandbox " in doctolib
    assert "live: slowed (" in doctolib and "concurrency 4.2 of 8" in doctolib
    assert "last success: 2026-03-02T08:30:15+00:00" in doctolib
    paused = block(out, "paused_one")
    assert " available " in paused and "$SLOTRADAR_EXTRA_ADAPTERS" in paused
    assert "live: paused (" in paused and "s left, breaker open," in paused
    assert "last success: never" in paused
    broken = block(out, "broken_one")
    assert " broken " in broken and "No module named 'nowhere_pkg'" in broken
    assert "live:" not in broken
    assert "is not an Adapter subclass" in block(out, "not_an_adapter")


def test_without_redis_says_so(tmp_path: Path) -> None:
    out = providers_cli(tmp_path, "", "sr:")
    assert "live state: Redis not configured or unreachable" in out
    assert "live:" not in block(out, "doctolib")


def state(**changes: object) -> ProviderState:
    base: dict[str, object] = {"platform": "p", "aimd_limit": 8.0, "in_flight": 2,
                               "paused_for": 0.0, "breaker": "closed", "failures": 0}
    return ProviderState(**{**base, **changes})  # type: ignore[arg-type]


def test_cli_and_page_share_one_verdict() -> None:
    """The CLI's live state is the providers page's verdict, with the numbers behind it."""
    assert provider_health(state(), 8) is Health.OK
    assert provider_health(state(aimd_limit=3.5), 8) is Health.SLOWED
    assert provider_health(state(aimd_limit=3.5, failures=2), 8) is Health.SLOWED
    assert provider_health(state(breaker="half_open"), 8) is Health.OK
    assert provider_health(state(breaker="open", paused_for=12.0, failures=5), 8) is Health.PAUSED
    detail = health_detail(state(paused_for=30.0, failures=3), 8)
    assert detail.startswith("30s left, breaker closed, 3 failure(s) in a row")
