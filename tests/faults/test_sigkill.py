"""The scheduler killed with SIGKILL mid-poll and mid-publish, while a separate
`slotradar serve` keeps serving the same output directory; a restart resumes."""

from __future__ import annotations

import signal
import sys
import textwrap
import time
from pathlib import Path

import httpx
import redis as sync_redis

from aggregator.publish import COMPLETE_MARKER, current_release
from cache.keys import Keys
from tests.faults.helpers import (
    ROOT,
    Child,
    SitePoller,
    child_env,
    children,
    daemon_config,
    make_all_due,
    slotradar,
    start_serve,
    wait_until,
)


def checked_at(client: sync_redis.Redis, keys: Keys, ids: list[str]) -> list[float]:
    return [float(client.hget(keys.availability(i), "checked_at") or 0) for i in ids]


def test_sigkill_mid_poll_then_restart_resumes(tmp_path: Path, redis_url: str,
                                               keys: Keys) -> None:
    # Guards: leases (a killed poller's claims come back when they expire instead of
    # staying claimed forever) and a publish lock whose TTL follows the publish interval
    # (a fixed 60 s lock left by the dead process froze publishing for a minute).
    site = tmp_path / "site"
    cfg = daemon_config(tmp_path / "slotradar.toml", redis_url, keys.prefix, site)
    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    with children() as started:
        url = None
        daemon = Child.start(slotradar("-c", str(cfg), "run", "--no-serve"), tmp_path,
                             child_env())
        started.append(daemon)
        sandbox = daemon.wait_for(r"sandbox platforms on (http://\S+)").group(1)
        wait_until(lambda: (site / "current" / "index.html").is_file(), 20, "first publish")
        url = start_serve(cfg, tmp_path, started)
        with SitePoller(url) as poller:
            # slow upstream: the next polls hang, holding their leases, when the kill comes
            slow = httpx.put(f"{sandbox}/_sandbox/faults/doctolib", json={"latency": 30})
            slow.raise_for_status()
            make_all_due(client, keys.prefix)
            leases = keys.leases("doctolib")
            wait_until(lambda: client.hlen(leases) > 0, 20, "polls in flight")
            stuck = sorted(client.hkeys(leases))
            daemon.stop(signal.SIGKILL)
            killed_at = time.time()
            assert sorted(client.hkeys(leases)) == stuck  # the dead worker's claims remain
            assert httpx.get(url, timeout=5).status_code == 200

            restarted = Child.start(slotradar("-c", str(cfg), "run", "--no-serve"), tmp_path,
                                    child_env())
            started.append(restarted)
            wait_until(lambda: min(checked_at(client, keys, stuck)) > killed_at, 30,
                       "the killed poller's locations polled again")
            meta = keys.publish_meta
            wait_until(lambda: float(client.hget(meta, "at") or 0) > killed_at, 20,
                       "a publish by the restarted daemon")
        assert poller.statuses and set(poller.statuses) == {200}, set(poller.statuses)
    client.close()


KILL_MID_PUBLISH = textwrap.dedent("""
    import asyncio, os, signal, sys
    from pathlib import Path
    from aggregator.config import load_settings
    from aggregator.runtime import Runtime
    from scheduler import Daemon

    def die(release: Path) -> None:
        Path(sys.argv[2]).write_text(str(release))
        os.kill(os.getpid(), signal.SIGKILL)

    async def main() -> None:
        async with Runtime(load_settings(Path(sys.argv[1]))) as rt:
            daemon = Daemon(rt)
            await daemon.discover_tick()
            await rt.coordinator.refresh_all()
            await daemon.publish_tick()  # the release that must keep serving
            Path(sys.argv[3]).write_text("published")
            while Path(sys.argv[3]).read_text() != "go":  # the test has its server up
                await asyncio.sleep(0.05)
            await rt.redis.sadd(rt.store.keys.dirty, *await rt.store.location_ids())
            rt.publisher.before_swap = die  # the files are written, the swap is next
            await daemon.publish_tick()

    asyncio.run(main())
""")


def test_sigkill_mid_publish_then_restart_publishes(tmp_path: Path, redis_url: str,
                                                    keys: Keys) -> None:
    # Guards: the atomic symlink swap (the half-written release is never served), the
    # sweep of orphaned releases, and the publish lock TTL (the restart publishes within
    # seconds although the killed publisher held the lock).
    site = tmp_path / "site"
    cfg = daemon_config(tmp_path / "slotradar.toml", redis_url, keys.prefix, site)
    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    marker, step = tmp_path / "half-written", tmp_path / "step"
    with children() as started:
        killer = Child.start([sys.executable, "-c", KILL_MID_PUBLISH, str(cfg), str(marker),
                              str(step)], ROOT, child_env())
        started.append(killer)
        url = start_serve(cfg, tmp_path, started)
        wait_until(lambda: step.exists() and step.read_text() == "published", 60,
                   "the first publish")
        first = current_release(site)
        assert first is not None
        home = httpx.get(url, timeout=5).text
        with SitePoller(url) as poller:
            step.write_text("go")
            assert killer.proc.wait(60) == -signal.SIGKILL, killer.output
            half = Path(marker.read_text())
            assert half.is_dir() and not (half / COMPLETE_MARKER).exists()
            assert current_release(site) == first
            assert client.exists(keys.lock("publish"))  # the dead publisher's lock
            assert httpx.get(url, timeout=5).text == home

            daemon = Child.start(slotradar("-c", str(cfg), "run", "--no-serve"), tmp_path,
                                 child_env())
            started.append(daemon)
            wait_until(lambda: current_release(site) not in (None, first), 20,
                       "a publish by the restarted daemon")
            wait_until(lambda: not half.exists(), 10, "the orphan swept")
        assert poller.statuses and set(poller.statuses) == {200}, set(poller.statuses)
    client.close()

