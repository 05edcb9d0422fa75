"""Redis restarted under a running daemon: polling resumes, nothing published is lost."""

from __future__ import annotations

import time
from pathlib import Path

import redis as sync_redis
import redis.asyncio as aredis

from cache.cleanup import delete_prefix
from cache.keys import Keys
from tests.faults.helpers import (
    Child,
    RedisProcess,
    child_env,
    children,
    daemon_config,
    http_ok,
    latest_check,
    make_all_due,
    slotradar,
    wait_until,
)


def test_daemon_survives_a_redis_restart(tmp_path: Path) -> None:
    # Guards: Redis errors in ticks and in polls in flight are one-line warnings (not
    # tracebacks, not an "adapter bug" blamed on upstream) and never fatal; redis-py
    # reconnects after the restart; leases of polls lost with the connection expire so
    # those locations come back; and the daemon still stops cleanly while Redis is down.
    server = RedisProcess(tmp_path)
    server.start()
    prefix = "restart:"
    site = tmp_path / "site"
    cfg = daemon_config(tmp_path / "slotradar.toml", server.url, prefix, site)
    try:
        with children() as started:
            daemon = Child.start(slotradar("-c", str(cfg), "run"), tmp_path, child_env())
            started.append(daemon)
            url = daemon.wait_for(r"slotradar is up: (http://\S+)").group(1)
            client = sync_redis.Redis.from_url(server.url)
            meta = Keys(prefix).publish_meta
            wait_until(lambda: latest_check(client, prefix) > 0 and client.hget(meta, "at"),
                       20, "first polls and publish")
            locations_before = client.scard(Keys(prefix).locations)
            home_before = httpx_get(url)
            client.close()

            server.stop()
            wait_until(lambda: "tick failed" in daemon.output, 15, "a tick seeing Redis down")
            assert http_ok(url)  # the site is served from disk while Redis is down
            assert daemon.proc.poll() is None
            server.start()

            client = sync_redis.Redis.from_url(server.url)
            assert client.scard(Keys(prefix).locations) == locations_before  # AOF kept it
            restarted_at = time.time()
            make_all_due(client, prefix)
            wait_until(lambda: latest_check(client, prefix) > restarted_at, 30,
                       "polls after the restart")
            # an unchanged poll marks nothing dirty: mark one so a publish is due
            client.sadd(Keys(prefix).dirty, next(iter(client.smembers(Keys(prefix).locations))))
            wait_until(lambda: float(client.hget(meta, "at") or 0) > restarted_at, 30,
                       "a publish after the restart")
            assert daemon.proc.poll() is None, daemon.output
            assert httpx_get(url).count("<tr>") == home_before.count("<tr>")
            client.close()
            assert "Traceback" not in daemon.output, daemon.output
            assert "adapter bug" not in daemon.output

            seen = daemon.output.count("tick failed")
            server.stop()
            wait_until(lambda: daemon.output.count("tick failed") > seen, 15, "Redis down again")
            assert daemon.stop() == 0, daemon.output
            assert "slotradar stopped" in daemon.output
    finally:
        server.stop()


def httpx_get(url: str) -> str:
    import httpx

    answer = httpx.get(url, timeout=5)
    assert answer.status_code == 200
    return answer.text


async def test_empty_redis_is_rediscovered(tmp_path: Path, redis_url: str,
                                           keys: Keys) -> None:
    # Guards: a Redis that comes back without its data (no persistence) gets the
    # locations rediscovered by the next poll tick instead of at the hourly discovery.
    from aggregator.config import Settings
    from aggregator.runtime import Runtime
    from scheduler import Daemon

    settings = Settings.model_validate({
        "redis": {"url": redis_url, "prefix": keys.prefix},
        "site": {"output_dir": str(tmp_path / "site")},
        "sandbox": {"locations_per_platform": 5, "platforms": ["doctolib"]},
    })
    async with Runtime(settings) as rt:
        daemon = Daemon(rt)
        await daemon.discover_tick()
        assert len(await rt.store.location_ids()) == 5
        await rt.coordinator.drain(grace=5)
        await wipe(rt.redis, keys)  # what a restart without AOF/RDB leaves
        daemon.rediscovered_at = 0.0  # the last rediscovery was long ago
        await daemon.poll_tick()
        assert len(await rt.store.location_ids()) == 5
        await rt.coordinator.drain(grace=5)
        await daemon.stop()
        await wipe(rt.redis, keys)


async def wipe(client: aredis.Redis, keys: Keys) -> None:
    await delete_prefix(client, keys.prefix)
