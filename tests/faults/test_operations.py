"""Operations: Prometheus metrics scraped over HTTP, JSON logs, and `slotradar health`,
on a real daemon over the sandbox and Redis, plus the pure health verdict."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
from pathlib import Path

import httpx
import pytest
import redis as sync_redis

from aggregator.config import Settings, load_settings
from aggregator.health import HealthReport, HealthThresholds, evaluate, health_report
from aggregator.logs import JsonFormatter
from aggregator.observe import ProviderSnapshot, Snapshot
from cache.keys import Keys
from tests.faults.helpers import (
    Child,
    child_env,
    children,
    daemon_config,
    make_all_due,
    slotradar,
    wait_until,
)

METRICS = """
[metrics]
enabled = true
port = 0
interval = 0.3
"""


def scrape(url: str) -> dict[str, float]:
    """``name{labels}`` -> value from the text exposition format."""
    text = httpx.get(url, timeout=5).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def health(cfg: Path, cwd: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run(slotradar("-c", str(cfg), "health", *args), cwd=cwd,
                          env=child_env(), capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout.strip()


def test_metrics_json_logs_and_health_on_a_live_daemon(tmp_path: Path, redis_url: str,
                                                       keys: Keys) -> None:
    # Guards: the client/coordinator/publisher hooks feeding the counters, the gauges
    # copied from the fleet state in Redis, the JSON formatter on every log line with
    # APScheduler's per-tick lines silenced, and health turning unhealthy on a long pause.
    site = tmp_path / "site"
    cfg = daemon_config(tmp_path / "slotradar.toml", redis_url, keys.prefix, site,
                        extra=METRICS)
    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    with children() as started:
        daemon = Child.start(slotradar("--log-format", "json", "-c", str(cfg), "run",
                                       "--no-serve"), tmp_path, child_env())
        started.append(daemon)
        url = daemon.wait_for(r"metrics: (http://\S+)").group(1)
        sandbox = re.search(r"sandbox platforms on (http://[\d.:]+)",
                            daemon.wait_for(r"sandbox platforms on").string)
        assert sandbox

        def ready() -> bool:
            m = scrape(url)
            return (m.get('slotradar_upstream_requests_total{platform="doctolib"}', 0) > 0
                    and m.get("slotradar_publish_duration_seconds_count", 0) > 0
                    and any(k.startswith("slotradar_area_data_age_seconds") for k in m))
        wait_until(ready, 20, "metrics after the first polls and publish")
        m = scrape(url)
        assert m['slotradar_provider_budget_rate{platform="doctolib"}'] == 500
        assert m['slotradar_provider_aimd_limit{platform="doctolib"}'] > 0
        assert m['slotradar_provider_paused{platform="doctolib"}'] == 0
        assert m['slotradar_publishes_total{result="ok"}'] >= 1
        settings = load_settings(cfg, environ={})
        assert live_health(settings).ok, live_health(settings).reason

        # a 429 storm: counted, the provider shows paused, and health goes red
        storm = {"rate_limit": 1.0, "retry_after": "120"}
        httpx.put(f"{sandbox.group(1)}/_sandbox/faults/doctolib", json=storm).raise_for_status()
        make_all_due(client, keys.prefix)

        def paused() -> bool:
            m = scrape(url)
            return (m.get('slotradar_provider_paused{platform="doctolib"}') == 1
                    and m.get('slotradar_upstream_rate_limited_total{platform="doctolib"}',
                              0) > 0)
        wait_until(paused, 20, "the pause in the metrics")
        m = scrape(url)
        assert m['slotradar_upstream_errors_total{kind="rate_limited",platform="doctolib"}'] > 0
        report = live_health(settings, max_pause=60)
        assert not report.ok and "doctolib: paused for" in report.reason
        assert live_health(settings, max_pause=600).ok
    logs = [line for line in daemon.lines if line.startswith("{")]
    assert logs
    for line in logs:
        entry = json.loads(line)
        assert {"ts", "level", "logger", "msg"} <= set(entry)
    assert not any("Running job" in line or "executed successfully" in line
                   for line in daemon.lines)
    client.close()


def live_health(settings: Settings, max_pause: float = 600.0) -> HealthReport:
    """What `slotradar health` decides, in-process (the CLI itself is tested below)."""
    return asyncio.run(health_report(settings, HealthThresholds(max_pause=max_pause)))


def test_health_cli_exit_codes(tmp_path: Path, redis_url: str, keys: Keys) -> None:
    cfg = tmp_path / "slotradar.toml"
    cfg.write_text('[redis]\nurl = "redis://127.0.0.1:9/0"\n')
    code, out = health(cfg, tmp_path)
    assert code == 1 and out.startswith("redis unreachable:"), out
    client = sync_redis.Redis.from_url(redis_url)
    client.hset(keys.publish_meta, mapping={"at": f"{client.time()[0] - 5}"})
    cfg.write_text(f'[redis]\nurl = "{redis_url}"\nprefix = "{keys.prefix}"\n')
    code, out = health(cfg, tmp_path, "--json")
    assert code == 0 and json.loads(out)["ok"] is True, out
    client.delete(keys.publish_meta)
    client.close()


def provider(**kw: object) -> ProviderSnapshot:
    base: dict[str, object] = {"platform": "doctolib", "rate": 5.0, "aimd_limit": 8.0,
                               "in_flight": 0, "paused_for": 0.0, "breaker": "closed",
                               "locations": 10, "failing": 0}
    return ProviderSnapshot(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(("snapshot", "problem"), [
    (Snapshot(now=1000.0, providers=(provider(),), publish_at=None), "never published"),
    (Snapshot(now=1000.0, providers=(provider(),), publish_at=600.0),
     "last publish 400s ago (max 300s)"),
    (Snapshot(now=1000.0, providers=(provider(failing=10),), publish_at=990.0),
     "doctolib: all 10 locations failing"),
    (Snapshot(now=1000.0, providers=(provider(paused_for=900.0, breaker="open"),),
              publish_at=990.0), "doctolib: paused for 900s more (max 600s, breaker open)"),
])
def test_health_verdict_names_the_problem(snapshot: Snapshot, problem: str) -> None:
    report = evaluate(snapshot, HealthThresholds())
    assert not report.ok and problem in report.reason


def test_health_verdict_ok() -> None:
    snapshot = Snapshot(now=1000.0, providers=(provider(failing=9, paused_for=30.0),),
                        publish_at=990.0)
    report = evaluate(snapshot, HealthThresholds())
    assert report.ok and report.reason == "ok: published 10s ago, 1 provider up"


def test_json_formatter_keeps_extra_fields() -> None:
    record = logging.makeLogRecord({"name": "slotradar.refresh", "levelname": "WARNING",
                                    "msg": "poll of %s failed", "args": ("doctolib:1",),
                                    "platform": "doctolib", "location": "doctolib:1"})
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "poll of doctolib:1 failed" and entry["level"] == "warning"
    assert entry["platform"] == "doctolib" and entry["location"] == "doctolib:1"
    assert entry["logger"] == "slotradar.refresh" and entry["ts"].endswith("+00:00")
