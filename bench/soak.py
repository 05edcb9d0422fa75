"""Soak: the full pipeline (sandbox -> polite client -> fleet gate -> Redis -> publish)
for a bounded time, with upstream faults switched at random (seeded) over the sandbox's
HTTP fault API. Prints polls done, errors handled by kind, publishes, the worst data age,
and the growth of RSS and of Redis keys after a warm-up: a leak shows as steady growth.

    .venv/bin/python bench/soak.py [--seconds 60] [--seed 1] [--locations 200]

Uses $REDIS_URL when set (under a fresh key prefix, deleted at the end), else an embedded
redis-server. The baseline is the same run without faults (``--no-faults``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from aggregator import metrics
from aggregator.config import Settings
from aggregator.logs import setup_logging
from aggregator.observe import take_snapshot
from aggregator.runtime import Runtime
from cache.cleanup import delete_prefix
from scheduler import Daemon

FAULT_PLANS: list[dict[str, object]] = [
    {}, {}, {}, {},  # clean spells, so recovery is exercised too
    {"rate_limit": 0.5, "retry_after": "3"},
    {"server_error": 0.3},
    {"timeout": 0.1},
    {"reset": 0.2},
    {"malformed": 0.2},
    {"oversized": 0.2, "oversized_bytes": 3_000_000},
    {"drift": True},
    {"latency": 0.3},
    {"absurd_slots": ["9999-12-31T23:59:00-05:00", "2026-03-03T10:00:00+25:00"]},
]


def rss_mb() -> float:
    """Current resident set size (VmRSS), falling back to the peak where /proc is absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def counter_total(counter: object, **match: str) -> dict[str, float]:
    """Sum a labelled counter's ``_total`` samples, keyed by the label in ``match``."""
    out: dict[str, float] = {}
    label = next(iter(match))
    for family in counter.collect():  # type: ignore[attr-defined]
        for sample in family.samples:
            if sample.name.endswith("_total"):
                key = sample.labels.get(label, "")
                out[key] = out.get(key, 0.0) + sample.value
    return out


async def count_keys(rt: Runtime) -> int:
    count = 0
    async for _ in rt.redis.scan_iter(match=f"{rt.store.keys.prefix}*", count=1000):
        count += 1
    return count


async def soak(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    out_dir = Path(tempfile.mkdtemp(prefix="slotradar-soak-"))
    settings = Settings.model_validate({
        "redis": {"prefix": f"soak:{uuid.uuid4().hex[:8]}:"},
        "site": {"output_dir": str(out_dir), "publish_interval": 1.0},
        "sandbox": {"locations_per_platform": args.locations, "rate": args.rate},
        "worker": {"tick": 0.2, "lease": 15},
    })
    if os.environ.get("REDIS_URL"):
        settings.redis.url = os.environ["REDIS_URL"]
    async with Runtime(settings) as rt:
        assert rt.sandbox is not None
        daemon = Daemon(rt)
        await daemon.discover_tick()
        started = time.monotonic()
        warm_rss = warm_keys = None
        max_age = 0.0
        switches = 0
        next_switch = next_publish = next_sample = started
        async with httpx.AsyncClient(base_url=rt.sandbox.url) as http:
            while (now := time.monotonic()) - started < args.seconds:
                await daemon.poll_tick()
                await daemon.plan_tick()
                if now >= next_publish:
                    await daemon.publish_tick()
                    next_publish = now + settings.site.publish_interval
                if not args.no_faults and now >= next_switch:
                    plan = {**rng.choice(FAULT_PLANS), "seed": rng.randrange(1 << 30)}
                    await http.put("/_sandbox/faults/doctolib", json=plan)
                    switches += 1
                    next_switch = now + rng.uniform(2.0, 6.0)
                if now >= next_sample:
                    snap = await take_snapshot(rt.redis, rt.store.keys, rt.providers)
                    max_age = max([max_age, *snap.area_data_age.values()])
                    next_sample = now + 1.0
                    if warm_rss is None and now - started > args.warmup:
                        warm_rss, warm_keys = rss_mb(), await count_keys(rt)
                await asyncio.sleep(settings.worker.tick)
            await http.put("/_sandbox/faults/doctolib", json={})
        await daemon.stop()
        end_rss, end_keys = rss_mb(), await count_keys(rt)
        await delete_prefix(rt.redis, rt.store.keys.prefix)
    polls = counter_total(metrics.POLLS, outcome="")
    errors = counter_total(metrics.UPSTREAM_ERRORS, kind="")
    poll_errors = counter_total(metrics.POLL_ERRORS, kind="")
    publishes = counter_total(metrics.PUBLISHES, result="")
    requests = sum(counter_total(metrics.UPSTREAM_REQUESTS, platform="").values())
    print(f"soak: {args.seconds:.0f}s, seed {args.seed}, {args.locations} locations, "
          f"{'no faults' if args.no_faults else f'{switches} fault switches'}")
    print(f"polls done        {sum(polls.values()):.0f}  " + " ".join(
        f"{k}={v:.0f}" for k, v in sorted(polls.items())))
    print(f"upstream requests {requests:.0f}")
    print(f"upstream errors   {sum(errors.values()):.0f}  " + " ".join(
        f"{k}={v:.0f}" for k, v in sorted(errors.items())))
    print(f"poll errors       {sum(poll_errors.values()):.0f}  " + " ".join(
        f"{k}={v:.0f}" for k, v in sorted(poll_errors.items()))
          + f"  (adapter bugs: {poll_errors.get('bug', 0):.0f})")
    print(f"publishes         ok={publishes.get('ok', 0):.0f} "
          f"error={publishes.get('error', 0):.0f}")
    print(f"max data age      {max_age:.1f}s")
    if warm_rss is not None and warm_keys is not None:
        print(f"RSS               {warm_rss:.1f} -> {end_rss:.1f} MB "
              f"({end_rss - warm_rss:+.1f} MB after warm-up)")
        print(f"Redis keys        {warm_keys} -> {end_keys} ({end_keys - warm_keys:+d})")
    print("(growth includes the warm-up of locations polled for the first time and the "
          "sandbox's slot cache; 2 shared cores under load: figures are indicative)")


def main() -> None:
    setup_logging(verbose=False)
    logging.getLogger().setLevel(logging.WARNING)
    # the sandbox's own "Error handling request" tracebacks for injected resets are noise
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="sandbox budget, req/s")
    parser.add_argument("--no-faults", action="store_true", help="baseline: no injection")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds before growth is measured (default: a third of the run)")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = args.seconds / 3
    asyncio.run(soak(args))


if __name__ == "__main__":
    main()
