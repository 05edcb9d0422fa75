"""Serving throughput and publish latency.

(1) wrk at 256 connections on loopback against the built-in server, nginx with
deploy/nginx.conf, and a bare nginx on the same files: req/s and p99 for the home page and
a static asset, with the ratios ours-nginx/bare-nginx (target >= 0.9) and the built-in
server's req/s (target >= 15,000).
(2) The publish of a one-location change among 10,000 synthetic locations, end to end
(Redis read + render + write + swap; target < 200 ms), split by phase, with the pruning
that follows it and the time the built-in server takes to load the new release.

    .venv/bin/python bench/serve.py [--duration 10] [--locations 10000] [--skip-wrk]

Needs Redis (REDIS_URL, else 127.0.0.1:6379, else an embedded one), Debian's nginx and wrk.
The machine is shared: figures are depressed by whatever else runs, so compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.publish import Publisher, PublishReport, current_release
from aggregator.site_release import LoadedRelease
from cache.cleanup import delete_prefix
from cache.connection import connect, open_redis
from cache.keys import Keys
from cache.store import Store
from tests.serving.nginx import bare_config, free_port, production_config, running_nginx
from tests.serving.synthetic import poll_result, seed, synthetic_locations
from tests.serving.tree import served_files

ROOT = Path(__file__).resolve().parent.parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
CONNECTIONS = 256
BUILTIN, OURS, BARE = "built-in", "nginx deploy/nginx.conf", "bare nginx"
SERVE_SCRIPT = """
import asyncio, sys
from pathlib import Path
from aggregator.server import start_server

async def main() -> None:
    runner, port = await start_server(Path(sys.argv[1]), "127.0.0.1", int(sys.argv[2]))
    print(port, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p99_ms: float
    errors: int


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", output)
    if rps is None or p99 is None:
        raise RuntimeError(f"cannot parse wrk output:\n{output}")
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return WrkResult(float(rps.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)], errors)


def run_wrk(url: str, duration: int) -> WrkResult:
    proc = subprocess.run(
        [WRK, "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "--timeout", "5s",
         "-H", "Accept-Encoding: gzip, deflate, br", url],
        capture_output=True, text=True, timeout=duration + 60, check=True)
    return parse_wrk(proc.stdout)


def wait_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@contextlib.contextmanager
def builtin_server(output_dir: Path) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, str(output_dir), str(port)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def nginx_server(kind: str, output_dir: Path, work: Path) -> Iterator[int]:
    port = free_port()
    make = production_config if kind == "production" else bare_config
    with running_nginx(make(output_dir / "current", port, work), work, port):
        yield port


def bench_servers(output_dir: Path, work: Path, paths: list[str], duration: int,
                  rounds: int) -> dict[str, list[WrkResult]]:
    """All three servers up at once, runs interleaved round by round so that the load
    others put on the machine hits each server alike; the median round is kept."""
    with contextlib.ExitStack() as stack:
        ports = {
            BUILTIN: stack.enter_context(builtin_server(output_dir)),
            OURS: stack.enter_context(nginx_server("production", output_dir, work / "ng1")),
            BARE: stack.enter_context(nginx_server("bare", output_dir, work / "ng2")),
        }
        runs: dict[str, list[list[WrkResult]]] = {name: [[] for _ in paths] for name in ports}
        for _ in range(rounds):
            for i, path in enumerate(paths):
                for name, port in ports.items():
                    runs[name][i].append(run_wrk(f"http://127.0.0.1:{port}{path}", duration))
    return {name: [median_run(r) for r in per_path] for name, per_path in runs.items()}


def median_run(results: list[WrkResult]) -> WrkResult:
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def asset_path(output_dir: Path) -> str:
    release = current_release(output_dir)
    assert release is not None
    static = sorted(p for p in served_files(release / "static").values())
    hashed = [p for p in static if re.search(r"\.[0-9a-f]{10}\.\w+$", p.name)]
    chosen = (hashed or static)[0]
    return "/" + chosen.relative_to(release).as_posix()


def fmt_report(label: str, reports: list[PublishReport], reloads: list[float]) -> str:
    def med(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:7.1f}"

    return (f"{label:<44} total {med([r.seconds for r in reports])} ms | read "
            f"{med([r.read_seconds for r in reports])} | render "
            f"{med([r.render_seconds for r in reports])} | write+swap "
            f"{med([r.write_seconds for r in reports])} | prune "
            f"{med([r.prune_seconds for r in reports])} | files written "
            f"{reports[-1].written}, linked {reports[-1].linked}, new dirs "
            f"{reports[-1].new_dirs} | built-in server reload {med(reloads)} ms")


def timed_reload(output_dir: Path, previous: LoadedRelease | None) -> tuple[LoadedRelease, float]:
    """What the built-in server does when ``current`` moves (``StaticSite.current``)."""
    started = time.perf_counter()
    loaded = LoadedRelease.load(output_dir / "current", previous, output_dir)
    return loaded, time.perf_counter() - started


async def bench_publish(redis_url: str, output_dir: Path, count: int) -> None:
    keys = Keys(prefix=f"bench:{uuid.uuid4().hex[:10]}:")
    redis = connect(redis_url)
    clock = ManualClock(datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
    try:
        store = Store(redis, keys)
        locations = synthetic_locations(count)
        started = time.perf_counter()
        await seed(store, locations, clock.now())
        print(f"seeded {count} locations into Redis in {time.perf_counter() - started:.1f} s")
        await store.take_dirty()
        publisher = Publisher(store, SiteSettings(output_dir=output_dir), clock)
        full = await publisher.publish()
        loaded, reload = timed_reload(output_dir, None)
        print(fmt_report(f"full publish ({count} locations, cold)", [full], [reload]))
        scenarios = (("one change, clock +5 s (today's pages)", 5.0, 0),
                     ("one change, same instant (identical pages)", 0.0, 1))
        for label, advance, offset in scenarios:
            reports, reloads = [], []
            for i in range(5):
                clock.advance(advance)
                index = (i * 7919 + offset) % count
                await store.write(locations[index], poll_result(index, clock.now(), 1 + i),
                                  clock.now())
                reports.append(await publisher.publish())
                loaded, reload = timed_reload(output_dir, loaded)
                reloads.append(reload)
            assert all(not r.full_read for r in reports)
            print(fmt_report(label, reports, reloads))
        target = statistics.median([r.seconds for r in reports])
        print(f"one-location publish target < 200 ms: {'MET' if target < 0.2 else 'MISSED'} "
              f"(same-instant median {target * 1000:.0f} ms)")
    finally:
        await delete_prefix(redis, keys.prefix)
        await redis.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved wrk rounds")
    parser.add_argument("--skip-wrk", action="store_true")
    args = parser.parse_args()
    handle = open_redis(os.environ.get("REDIS_URL") or _local_redis())
    work = Path(tempfile.mkdtemp(prefix="slotradar-bench-serve-"))
    try:
        output_dir = work / "site"
        asyncio.run(bench_publish(handle.url, output_dir, args.locations))
        if args.skip_wrk:
            return 0
        if not (Path(WRK).exists() and shutil.which("nginx")):
            print("wrk or nginx missing: throughput part skipped")
            return 0
        paths = ["/", asset_path(output_dir)]
        print(f"\nwrk -t2 -c{CONNECTIONS} -d{args.duration}s --latency, "
              f"Accept-Encoding: gzip, deflate, br; paths {paths}; median of {args.rounds} "
              "interleaved rounds")
        results = bench_servers(output_dir, work, paths, args.duration, args.rounds)
        for name, per_path in results.items():
            for path, r in zip(paths, per_path, strict=True):
                print(f"{name:<24} {path:<28} {r.rps:10.0f} req/s   p99 {r.p99_ms:8.2f} ms"
                      f"   errors {r.errors}")
        for i, path in enumerate(paths):
            ours = results[OURS][i].rps
            bare = results[BARE][i].rps
            built = results[BUILTIN][i].rps
            print(f"{path}: ours-nginx/bare-nginx {ours / bare:.2f} (target >= 0.9: "
                  f"{'MET' if ours / bare >= 0.9 else 'MISSED'}); built-in {built:.0f} req/s "
                  f"(target >= 15000: {'MET' if built >= 15000 else 'MISSED'}); "
                  f"built-in/bare-nginx {built / bare:.2f}")
    finally:
        handle.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _local_redis() -> str | None:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3):
            return "redis://127.0.0.1:6379/0"
    except OSError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
