"""The whole pipeline in real processes: ``slotradar`` pollers sharing one Redis, the
sandbox platforms in their own process over loopback, the publisher swapping releases.

Prints location polls/s (total, per core, per CPU-second the pollers burnt), publish lag
(a changed poll -> its location in a published release), then Redis memory per location
for synthetic locations copied from the real polls' availabilities. Side by side: one
poller process against ``--processes`` of them, and with ``--baseline REF`` the same two
runs of that git revision (its pollers, sandbox and publisher, from a temporary worktree);
without it, the figures recorded before the pipeline work. Keys live under a bench prefix
and are deleted at the end; every child process is stopped.

    .venv/bin/python bench/pipeline.py [--embedded] [--processes 2] [--seconds 10]
        [--baseline 9e0c668]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web
from redis.asyncio import Redis

from aggregator.adaptive.signal import LocationStats, record_poll
from aggregator.clock import SystemClock
from aggregator.config import load_settings
from aggregator.models import Location, PollResult, Slot, Status
from aggregator.runtime import Runtime
from cache.cleanup import delete_prefix, prefix_batches
from cache.connection import EmbeddedRedis, connect
from cache.keys import Keys
from cache.stats import stats_to_hash
from cache.store import EVENTS_MAXLEN, Store
from scrapers.sandbox.faults import FaultState, Handler
from scrapers.sandbox.server import build_app
from scrapers.sandbox.world import PARIS, World

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
GIB = 1024**3


# -- the sandbox process ------------------------------------------------------------------
async def serve_sandbox(locations: int) -> None:
    """Emulators plus ``/_bench/polls``: a Doctolib poll starts with one booking request."""
    polls = 0
    faults = FaultState()
    # two opening hours a day keep the emulator's own CPU small next to the pipeline's
    world = World(seed=11, locations_per_platform=locations, opening_hours=(9, 11))
    now = datetime.now(UTC)
    for place in world.places["doctolib"]:  # build the slot grids now, not on first request
        world.free_slots(place, now, now, now + timedelta(days=36))
    app = build_app(world, SystemClock(), faults)

    kinds: dict[str, int] = {}

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal polls
        if request.path.startswith("/doctolib/booking/"):
            polls += 1
        kind = request.path.split("/")[2] if request.path.count("/") >= 2 else request.path
        kinds[kind] = kinds.get(kind, 0) + 1
        response = await handler(request)
        if kind == "availabilities.json" and isinstance(response, web.Response):
            response.body = churn(response.body, request.query.get("practice_ids", "0"))
        return response

    async def report(request: web.Request) -> web.Response:
        return web.json_response({"polls": polls, "requests": faults.requests, "kinds": kinds})

    app.middlewares.append(count)
    app.router.add_get("/_bench/polls", report)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


CHURN_PERIOD = 20.0  # s: every location gains or loses a slot this often


def churn(body: object, practice: str) -> bytes:
    """One extra slot tomorrow whose time moves every ``CHURN_PERIOD`` s (its own phase per
    location), so changed polls, and releases to measure publish lag on, keep coming."""
    data = json.loads(body if isinstance(body, bytes) else b"{}")
    days = data.get("availabilities") or []
    if len(days) > 1:
        offset = int(practice) % 97 / 97 * CHURN_PERIOD
        turn = int((time.time() + offset) // CHURN_PERIOD)
        day = date.fromisoformat(days[1]["date"])
        start = datetime.combine(day, dtime(13, turn % 60), PARIS)
        days[1]["slots"].append(start.isoformat(timespec="milliseconds"))
    return json.dumps(data).encode()


# -- the publisher process -----------------------------------------------------------------
async def serve_publisher(config: Path) -> None:
    """The daemon's publish tick alone (the production ``Daemon``), so that rendering does
    not share a CPU-second with the pollers being measured."""
    from scheduler import Daemon

    settings = load_settings(config)
    async with Runtime(settings) as rt:
        daemon = Daemon(rt)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        while not stop.is_set():
            await daemon.publish_tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.site.publish_interval)
        await daemon.publish_lock.release()


# -- measuring -------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class Release:
    seen_at: float
    checked: dict[str, float]


@dataclass
class RunReport:
    processes: int
    polls_per_s: float
    requests_per_poll: float
    poller_cpu: float  # CPU-seconds all pollers spent in the window
    sandbox_cpu: float
    publisher_cpu: float
    redis_cpu: float  # the whole server's, other tenants included
    window: float
    changes: int = 0
    lags: list[float] = field(default_factory=list)
    releases: int = 0

    @property
    def polls_per_cpu_s(self) -> float:
        return self.polls_per_s * self.window / self.poller_cpu if self.poller_cpu else 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def worker_config(directory: Path, redis_url: str, prefix: str, base_url: str,
                  interval: float) -> Path:
    path = directory / "slotradar.toml"
    path.write_text(f"""
[redis]
url = "{redis_url}"
prefix = "{prefix}"

[site]
output_dir = "{directory / 'site'}"
publish_interval = 1

[sandbox]
enabled = false

[worker]
tick = 0.2
claim_batch = 1000
lease = 30
fixed_interval = {interval}

[adaptive]
enabled = false

[[providers]]
platform = "doctolib"
base_url = "{base_url}"
rate = 10000
burst = 10000
concurrency = 64
timeout = 10
retries = 0
horizon_days = 6
""", encoding="utf-8")
    return path


async def watch_releases(site: Path, out: list[Release], stop: asyncio.Event) -> None:
    """Notes each new ``current`` within 20 ms and when its ``status/<area>.json`` files
    say each place was checked."""
    last = ""
    while not stop.is_set():
        with contextlib.suppress(OSError, ValueError):
            target = os.readlink(site / "current")
            if target != last:
                seen = time.time()
                checked: dict[str, float] = {}
                for path in (site / target / "status").glob("*.json"):
                    if path.name.startswith("."):  # the directory's .manifest.json
                        continue
                    doc = json.loads(path.read_bytes())
                    checked.update((lid, datetime.fromisoformat(iso).timestamp())
                                   for lid, iso in doc["checked"].items())
                out.append(Release(seen, checked))
                last = target
        await asyncio.sleep(0.02)


def publish_lags(changes: list[tuple[str, float, float]],
                 releases: list[Release]) -> list[float]:
    """For each changed poll (location, checked_at, written at), the wait from its write
    to the first release that shows that poll or a later one."""
    lags = []
    for lid, checked, written in changes:
        shown = next((r.seen_at for r in releases
                      if r.seen_at >= written and r.checked.get(lid, 0.0) >= checked - 1e-3),
                     None)
        if shown is not None:
            lags.append(shown - written)
    return lags


async def get_json(url: str) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", int(url.split(":")[2]))
    writer.write(b"GET /_bench/polls HTTP/1.0\r\nHost: x\r\n\r\n")
    data = await reader.read()
    writer.close()
    result: dict[str, object] = json.loads(data.split(b"\r\n\r\n", 1)[1])
    return result


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), 8)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def redis_pid(redis: Redis) -> int:
    """The server's pid when it runs on this machine (its CPU share is worth printing)."""
    pid = int((await redis.info("server")).get("process_id", 0))
    return pid if Path(f"/proc/{pid}/stat").exists() else 0


async def run_fleet(processes: int, args: argparse.Namespace, redis_url: str,
                    root: Path = ROOT) -> RunReport:
    """``processes`` pollers of the code in ``root`` (this checkout or a baseline's)."""
    prefix = f"bench:{uuid.uuid4().hex[:10]}:"
    directory = Path(tempfile.mkdtemp(prefix="slotradar-bench-"))
    redis = connect(redis_url)
    server = await redis_pid(redis)
    children: list[asyncio.subprocess.Process] = []
    script = str(root / "bench" / "pipeline.py")
    try:
        sandbox = await asyncio.create_subprocess_exec(
            sys.executable, script, "--serve-sandbox", str(args.locations),
            stdout=asyncio.subprocess.PIPE, cwd=root)
        children.append(sandbox)
        assert sandbox.stdout is not None
        port = int((await sandbox.stdout.readline()).decode())
        sandbox_url = f"http://127.0.0.1:{port}"
        config = worker_config(directory, redis_url, prefix, f"{sandbox_url}/doctolib",
                               args.interval)
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SLOTRADAR_CONFIG"}}
        publisher = await asyncio.create_subprocess_exec(
            sys.executable, script, "--serve-publisher", str(config), cwd=root, env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=(directory / "publisher.log").open("wb"))
        children.append(publisher)
        for i in range(processes):
            children.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "scheduler", "-c", str(config), "worker", cwd=root,
                env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=(directory / f"poller-{i}.log").open("wb")))
        pollers = children[2:]
        deadline = time.monotonic() + 120
        started = min(args.locations, 300)
        while int((await get_json(sandbox_url))["polls"]) < started:  # type: ignore[call-overload]
            if time.monotonic() > deadline or any(p.returncode is not None for p in pollers):
                logs = (directory / "poller-0.log").read_text(errors="replace")[-2000:]
                raise SystemExit(f"the pollers never got going:\n{logs}")
            await asyncio.sleep(0.5)
        await asyncio.sleep(args.warmup)

        releases: list[Release] = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_releases(directory / "site", releases, stop))
        start_stats = await get_json(sandbox_url)
        t0 = time.time()
        cpu0 = [cpu_seconds(p.pid) for p in children] + [cpu_seconds(server)]
        await asyncio.sleep(args.seconds)
        cpu1 = [cpu_seconds(p.pid) for p in children] + [cpu_seconds(server)]
        t1 = time.time()
        end_stats = await get_json(sandbox_url)
        # let the window's last changes reach a release: two releases started after it
        for _ in range(300):  # 30 s at most
            if sum(r.seen_at > t1 for r in releases) >= 2 or publisher.returncode is not None:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await watcher
        for proc in pollers:
            await stop_process(proc)

        polls = int(end_stats["polls"]) - int(start_stats["polls"])  # type: ignore[call-overload]
        sent = sum(end_stats["requests"].values()) - sum(  # type: ignore[union-attr]
            start_stats["requests"].values())  # type: ignore[union-attr]
        changes = []
        for event_id, entry in await redis.xrange(Keys(prefix).events, "-", "+"):
            written = int(event_id.split("-")[0]) / 1000  # the server's clock at XADD
            if t0 <= written <= t1:
                changes.append((entry["location_id"], float(entry["at"]), written))
        window = t1 - t0
        if not releases:
            log = (directory / "publisher.log").read_text(errors="replace")[-1500:]
            print(f"no release seen; publisher log:\n{log}", file=sys.stderr)
        return RunReport(
            processes=processes,
            polls_per_s=polls / window,
            requests_per_poll=sent / polls if polls else float("nan"),
            poller_cpu=sum(b - a for a, b in zip(cpu0[2:-1], cpu1[2:-1], strict=True)),
            sandbox_cpu=cpu1[0] - cpu0[0],
            publisher_cpu=cpu1[1] - cpu0[1],
            redis_cpu=cpu1[-1] - cpu0[-1],
            window=window,
            changes=len(changes),
            lags=publish_lags(changes, releases),
            releases=len(releases),
        )
    finally:
        for proc in reversed(children):
            await stop_process(proc)
        await delete_prefix(redis, prefix)
        await redis.aclose()
        shutil.rmtree(directory, ignore_errors=True)


# -- memory ----------------------------------------------------------------------------------
@dataclass
class MemoryReport:
    locations: int
    key_bytes: int  # MEMORY USAGE summed over every key of the prefix but the event stream
    used_delta: int  # INFO used_memory after - before (noisy on a shared server)
    slots_mean: float
    event_bytes: float  # per stream entry; the stream is capped at EVENTS_MAXLEN entries

    @property
    def per_location(self) -> float:
        return self.key_bytes / self.locations

    def at(self, locations: int) -> float:
        """Bytes for ``locations`` such locations plus a full event stream."""
        return self.per_location * locations + self.event_bytes * EVENTS_MAXLEN


def templates(count: int, min_slots: int = 0,
              seed: int = 5) -> list[tuple[Location, PollResult]]:
    """Locations and a week of free slots as the Doctolib adapter reports them, from a
    full-day sandbox world (12 opening hours, bookings already made); ``min_slots`` tops
    each up with quarter-hour slots from tomorrow on (a busier rush than the sandbox's)."""
    world = World(seed=seed, locations_per_platform=count)
    now = datetime.now(UTC)
    out = []
    for place in world.places["doctolib"]:
        loc = Location(id=Location.make_id("doctolib", place.upstream_id), platform="doctolib",
                       upstream_id=place.upstream_id, name=place.name, address=place.address,
                       postcode=place.postcode, city=place.city, area=place.area,
                       lat=place.lat, lon=place.lon, phone=place.phone,
                       booking_url=f"https://partners.example.org/{place.slug}",
                       appointment_types=place.motives, extra={"slug": place.slug})
        slots = tuple(Slot(start=s.start, end=s.end, appointment_type=s.motive,
                           capacity=s.capacity, booking_url=loc.booking_url)
                      for s in world.free_slots(place, now, now, now + timedelta(days=7)))
        first = datetime.combine(now.date() + timedelta(days=1), dtime(8, 0), PARIS)
        slots += tuple(Slot(start=first + timedelta(minutes=15 * k), end=None,
                            appointment_type=place.motives[0], booking_url=loc.booking_url)
                       for k in range(max(0, min_slots - len(slots))))
        out.append((loc, PollResult(status=Status.OK if slots else Status.NO_SLOTS,
                                    slots=slots, valid_at=now)))
    return out


async def measure_memory(redis_url: str, count: int, min_slots: int = 0) -> MemoryReport:
    """``count`` locations written by the production Store (location hash, indexes, due
    entry, availability hash via the Lua write, a change event) plus an adaptive stats
    hash each; slots copied from ``templates``."""
    prefix = f"bench:{uuid.uuid4().hex[:10]}:"
    keys = Keys(prefix)
    redis = connect(redis_url)
    store = Store(redis, keys)
    pool = templates(300, min_slots)
    before = int((await redis.info("memory"))["used_memory"])
    try:
        now = datetime.now(UTC)
        made = []
        for i in range(count):
            loc, _ = pool[i % len(pool)]
            made.append(loc.model_copy(update={"id": f"doctolib:{10_000_000 + i}",
                                               "upstream_id": str(10_000_000 + i)}))
        await store.save_locations(made, now.timestamp())
        stats = stats_to_hash(record_poll(LocationStats(), True, 3, 2.0, now.timestamp(), 1800))
        gate = asyncio.Semaphore(64)

        async def one(i: int, loc: Location) -> None:
            async with gate:
                await store.write(loc, pool[i % len(pool)][1], now)
                await redis.hset(keys.stats(loc.id), mapping=stats)  # type: ignore[arg-type]

        await asyncio.gather(*(one(i, loc) for i, loc in enumerate(made)))
        after = int((await redis.info("memory"))["used_memory"])
        total = 0
        async for batch in prefix_batches(redis, prefix):
            pipe = redis.pipeline(transaction=False)
            for key in batch:
                pipe.memory_usage(key, samples=0)
            total += sum(int(n or 0) for n in await pipe.execute())
        stream = int(await redis.memory_usage(keys.events, samples=0) or 0)
        entries = int(await redis.xlen(keys.events))
        slots = sum(len(pool[i % len(pool)][1].slots) for i in range(count)) / count
        return MemoryReport(count, total - stream, after - before, slots,
                            stream / max(1, entries))
    finally:
        await delete_prefix(redis, prefix)
        await redis.aclose()


# -- main ------------------------------------------------------------------------------------
def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(widths[j]) if j == 0 else c.rjust(widths[j])
                        for j, c in enumerate(row)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


# Before the pipeline work (issue #4, 2 cores, 9e0c668): what runs without --baseline say
RECORDED = {"1 poller polls/s": 181.0, "2 pollers polls/s": 158.0, "publish lag p50 s": 8.4,
            "100k locations MiB": 291.0, "100k busy locations MiB": 1128.0}


@contextlib.contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """A temporary detached worktree of ``ref`` (its code, this venv)."""
    path = Path(tempfile.mkdtemp(prefix="slotradar-baseline-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(path), ref],
                   check=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
                       check=False)
        shutil.rmtree(path.parent, ignore_errors=True)


def fleet_rows(runs: dict[str, RunReport], cores: int) -> list[tuple[str, ...]]:
    def lag(r: RunReport, q: float) -> str:
        return f"{percentile(r.lags, q):.2f}s"

    def row(label: str, cell: Callable[[RunReport], str]) -> tuple[str, ...]:
        return (label, *(cell(r) for r in runs.values()))

    return [
        ("metric", *runs),
        row("location polls/s", lambda r: f"{r.polls_per_s:.0f}"),
        row(f"polls/s per core ({cores})", lambda r: f"{r.polls_per_s / cores:.0f}"),
        row("polls per poller CPU-second", lambda r: f"{r.polls_per_cpu_s:.0f}"),
        row("poller CPU ms per poll", lambda r: f"{1000 / r.polls_per_cpu_s:.2f}"
            if r.polls_per_cpu_s else "-"),
        row("upstream requests per poll", lambda r: f"{r.requests_per_poll:.2f}"),
        row("pollers CPU share", lambda r: f"{r.poller_cpu / r.window:.0%}"),
        row("sandbox CPU share", lambda r: f"{r.sandbox_cpu / r.window:.0%}"),
        row("publisher CPU share", lambda r: f"{r.publisher_cpu / r.window:.0%}"),
        row("redis CPU share (whole server)", lambda r: f"{r.redis_cpu / r.window:.0%}"),
        row("releases published", lambda r: str(r.releases)),
        row("changed polls in window", lambda r: str(r.changes)),
        row("  seen in a release", lambda r: str(len(r.lags))),
        row("publish lag p50", lambda r: lag(r, 0.5)),
        row("publish lag p95", lambda r: lag(r, 0.95)),
    ]


async def main_async(args: argparse.Namespace) -> int:
    embedded = EmbeddedRedis.start() if args.embedded else None
    redis_url = embedded.url if embedded else os.environ.get("REDIS_URL",
                                                               "redis://127.0.0.1:6379/0")
    cores = os.cpu_count() or 1
    runs: dict[str, RunReport] = {}
    try:
        if args.baseline:
            with checkout(args.baseline) as old:
                runs[f"{args.baseline} 1p"] = await run_fleet(1, args, redis_url, old)
                runs[f"{args.baseline} {args.processes}p"] = await run_fleet(
                    args.processes, args, redis_url, old)
        runs["1 poller"] = await run_fleet(1, args, redis_url)
        runs[f"{args.processes} pollers"] = await run_fleet(args.processes, args, redis_url)
        memory = await measure_memory(redis_url, args.memory_locations)
        busy = await measure_memory(redis_url, args.busy_locations, args.busy_slots)
    finally:
        if embedded:
            embedded.stop()
    print(f"pipeline: {args.locations} sandbox locations, fixed interval {args.interval:g}s "
          f"(more demand than the pollers serve), {args.seconds:g}s window, {cores} cores, "
          f"redis {'embedded' if embedded else redis_url}; the machine is shared, so "
          "every rate here is depressed by other load")
    print_table(fleet_rows(runs, cores))
    projected, busy_projected = memory.at(100_000), busy.at(100_000)
    for label, m, total in (("redis memory", memory, projected),
                            ("busy places", busy, busy_projected)):
        how = "measured" if m.locations >= 100_000 else "extrapolated"
        print(f"{label}: {m.locations} locations written, mean {m.slots_mean:.1f} slots: "
              f"{m.per_location:.0f} B per location (MEMORY USAGE), "
              f"{m.event_bytes:.0f} B per change event (stream capped at {EVENTS_MAXLEN}); "
              f"INFO used_memory +{m.used_delta / 2**20:.1f} MiB; "
              f"-> 100,000 locations {total / 2**20:.0f} MiB ({how}, plus a full stream)")
    if not args.baseline:
        print("recorded baseline (9e0c668): " + ", ".join(
            f"{k} {v:g}" for k, v in RECORDED.items()))
    mine = ("1 poller", f"{args.processes} pollers")
    best = max(runs[name].polls_per_s for name in mine)
    before = max((r.polls_per_s for name, r in runs.items() if name not in mine),
                 default=RECORDED["1 poller polls/s"])
    print(f"best polls/s {best:.0f} vs baseline {before:.0f}: {best / before:.2f}x; "
          f"busy memory {busy_projected / 2**20:.0f} MiB vs "
          f"{RECORDED['100k busy locations MiB']:g} MiB recorded: "
          f"{RECORDED['100k busy locations MiB'] * 2**20 / busy_projected:.2f}x smaller")
    checks = [
        (">= 1,000 location polls/s end to end", best >= 1000, f"{best:.0f}/s"),
        ("100,000 locations in < 1 GiB of Redis", max(projected, busy_projected) < GIB,
         f"{projected / 2**20:.0f} MiB, {busy_projected / 2**20:.0f} MiB when busy"),
    ]
    for label, ok, detail in checks:
        print(f"{'MET   ' if ok else 'MISSED'} {label}: {detail}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedded", action="store_true", help="start an embedded redis")
    parser.add_argument("--processes", type=int, default=2, help="pollers in the fleet run")
    parser.add_argument("--locations", type=int, default=2000, help="sandbox locations")
    parser.add_argument("--interval", type=float, default=1.0, help="fixed poll interval, s")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--memory-locations", type=int, default=100_000)
    parser.add_argument("--busy-locations", type=int, default=100_000)
    parser.add_argument("--busy-slots", type=int, default=40, help="slots per busy place")
    parser.add_argument("--baseline", metavar="REF", default="",
                        help="also run the pollers, sandbox and publisher of this git ref")
    parser.add_argument("--serve-sandbox", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--serve-publisher", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_sandbox:
        asyncio.run(serve_sandbox(args.serve_sandbox))
        return 0
    if args.serve_publisher:
        asyncio.run(serve_publisher(args.serve_publisher))
        return 0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
