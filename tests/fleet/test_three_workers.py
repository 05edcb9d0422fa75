"""Three real ``slotradar worker`` processes share one Redis schedule; one is SIGKILLed.

Upstream (the test's emulator, over loopback) logs every poll with the worker's API key,
so the assertions are about what the platform really received.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis.asyncio as aredis

from cache.keys import Keys
from scrapers.sandbox.world import World
from tests.fleet.emulator import CountingSandbox

ROOT = Path(__file__).resolve().parents[2]
INTERVAL = 4.0  # fixed policy, +-10 % jitter
JITTER = 0.1
LEASE = 6.0  # longer than the interval: a returned lease never polls a place early
LOCATIONS = 36
WORKERS = 3
SLACK = 3.0


def worker_config(path: Path, redis_url: str, keys: Keys, base_url: str) -> Path:
    path.write_text(
        f"""
[redis]
url = "{redis_url}"
prefix = "{keys.prefix}"

[site]
output_dir = "{path.parent / 'site'}"

[sandbox]
enabled = false

[worker]
tick = 0.2
claim_batch = 3
lease = {LEASE}
fixed_interval = {INTERVAL}

[adaptive]
enabled = false

[[providers]]
platform = "doctolib"
base_url = "{base_url}"
rate = 1000
burst = 1000
concurrency = 32
timeout = 5
retries = 0
api_key_env = "FLEET_WORKER_KEY"
""",
        encoding="utf-8",
    )
    return path


async def start_worker(config: Path, name: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "FLEET_WORKER_KEY": name}
    env.pop("REDIS_URL", None)
    env.pop("SLOTRADAR_CONFIG", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "scheduler", "-c", str(config), "worker",
        cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )


async def wait_until(predicate: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the fleet")
        await asyncio.sleep(0.01)


async def slug_of(redis: aredis.Redis, keys: Keys) -> dict[str, str]:
    out = {}
    for lid in await redis.smembers(keys.locations):
        loc = json.loads(await redis.hget(keys.location(lid), "json"))
        out[lid] = loc["extra"].get("slug", loc["upstream_id"])
    return out


async def test_three_workers_one_killed(
    tmp_path: Path, redis: aredis.Redis, keys: Keys, redis_url: str
) -> None:
    sandbox = CountingSandbox(World(seed=3, locations_per_platform=LOCATIONS,
                                    platforms=("doctolib",)), latency=0.1)
    base_url = await sandbox.start()
    config = worker_config(tmp_path / "slotradar.toml", redis_url, keys, base_url)
    names = [f"worker-{i}" for i in range(WORKERS)]
    procs: list[asyncio.subprocess.Process] = []
    log = sandbox.log
    try:
        procs = [await start_worker(config, name) for name in names]
        await wait_until(lambda: log.workers() >= set(names), within=60)
        await asyncio.sleep(3.0)

        victim = names[0]
        leases_key = keys.leases("doctolib")
        # kill it mid-poll: right after upstream saw it start one
        await wait_until(lambda: log.last_by(victim) > time.time() - 0.05, within=30)
        before_kill = await redis.hgetall(leases_key)
        procs[0].send_signal(signal.SIGKILL)
        killed_at = time.time()
        await procs[0].wait()
        # live workers finish their polls in well under a second and their completions
        # remove their entries; whatever still carries its token now was the victim's
        await asyncio.sleep(LEASE / 2)
        after = await redis.hgetall(leases_key)
        orphaned = {lid for lid, token in before_kill.items() if after.get(lid) == token}
        assert orphaned, "the killed worker held no lease: nothing was proven"

        await asyncio.sleep(INTERVAL * (1 + JITTER) + LEASE + SLACK)
        ended_at = time.time()
        final = await redis.hgetall(leases_key)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await sandbox.stop()

    slugs = await slug_of(redis, keys)
    assert len(slugs) == LOCATIONS
    starved_after = INTERVAL * (1 + JITTER) + LEASE + SLACK
    for lid, slug in slugs.items():
        times = log.times(slug)
        assert len(times) >= 3, f"{lid} polled {len(times)} times"
        gaps = [b - a for a, b in itertools.pairwise(times)]
        # no location polled twice within its interval (jitter included), fleet-wide
        assert min(gaps) >= INTERVAL * (1 - JITTER) - 0.05, (lid, min(gaps))
        # none starved: the longest wait, even across the kill, is interval + lease
        assert max([*gaps, ended_at - times[-1]]) <= starved_after, (lid, max(gaps))
    for entries in log.polls.values():
        assert not [t for t, who in entries if who == victim and t > killed_at + 0.1]
    for lid in orphaned:
        after_kill = [who for t, who in log.polls[slugs[lid]] if t > killed_at]
        assert after_kill and victim not in after_kill, lid  # its lease came back to the fleet
        assert final.get(lid) != before_kill[lid]
