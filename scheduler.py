"""slotradar: the command line and the daemon.

``slotradar run`` polls, publishes and serves; ``slotradar refresh --once`` is one cycle
for cron; ``publish`` and ``serve`` do one job each. APScheduler drives the in-process
ticks; the per-location schedule itself lives in Redis so a fleet shares it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.exceptions import RedisError

from aggregator import metrics
from aggregator.config import ConfigError, Settings, find_config, load_settings
from aggregator.health import HealthThresholds, health_report
from aggregator.logs import setup_logging
from aggregator.observe import take_snapshot
from aggregator.publish import PublishError
from aggregator.refresh import ProviderReport
from aggregator.runtime import Runtime
from aggregator.server import start_server
from cache.locks import SingletonLock

if TYPE_CHECKING:
    from aggregator.provider_listing import LiveState

log = logging.getLogger("slotradar")

EXIT_OK, EXIT_SOME_FAILED, EXIT_ALL_FAILED, EXIT_CONFIG = 0, 1, 2, 3
REDISCOVER_EVERY = 30.0  # seconds between rediscoveries while Redis holds no location


class ProgressBar:
    """A one-line progress bar on a terminal; silent when output is not a TTY."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.enabled = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = int(self.width * done / total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} locations")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def publish_failure(exc: BaseException) -> str:
    """One line an operator can act on, whether the publisher or the filesystem raised."""
    if isinstance(exc, PublishError):
        return str(exc)
    return f"publish failed, previous release kept: {exc}"


def exit_code(reports: dict[str, ProviderReport]) -> int:
    """0 all ok, 1 some providers failed, 2 all providers failed."""
    failed = [r for r in reports.values() if r.all_failed or (r.polled == 0 and r.last_error)]
    if not failed:
        return EXIT_OK
    return EXIT_ALL_FAILED if len(failed) == len(reports) else EXIT_SOME_FAILED


async def cmd_refresh_once(settings: Settings) -> int:
    async with Runtime(settings) as rt:
        if not await rt.store.location_ids():
            await rt.coordinator.discover()
        reports = await rt.coordinator.refresh_all(ProgressBar(sys.stderr))
        for report in reports.values():
            print(
                f"{report.platform}: {report.polled} polled, {report.ok} ok, "
                f"{report.failed} failed, {report.changed} changed, "
                f"{report.requests} requests"
                + (f" (last error: {report.last_error})" if report.last_error else "")
            )
        try:
            published = await rt.publisher.publish()
            print(f"published {published.release}: {published.pages} pages")
        except (PublishError, OSError) as exc:
            log.error("%s", publish_failure(exc))
            return EXIT_ALL_FAILED
        return exit_code(reports)


async def cmd_publish(settings: Settings) -> int:
    async with Runtime(settings) as rt:
        try:
            report = await rt.publisher.publish()
        except (PublishError, OSError) as exc:
            # e.g. disk full: one clear line, not a traceback; the old release still serves
            log.error("%s", publish_failure(exc))
            return EXIT_ALL_FAILED
        print(
            f"published {report.release}: {report.pages} pages, {report.locations} locations "
            f"in {report.seconds:.3f}s"
        )
    return EXIT_OK


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def cmd_serve(settings: Settings) -> int:
    runner, port = await start_server(
        settings.site.output_dir, settings.site.host, settings.site.port
    )
    print(f"serving {settings.site.output_dir}/current on http://{settings.site.host}:{port}/")
    try:
        await _wait_for_stop()
    finally:
        await runner.cleanup()
    return EXIT_OK


class Daemon:
    """The in-process ticks: claim due work, publish when dirty, plan, rediscover.

    Polls run in the background (``Coordinator.dispatch``), so a tick never waits on an
    upstream platform; publishing and planning are fleet singletons behind Redis locks.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.publish_lock = SingletonLock(rt.redis, "publish", ttl_ms=publish_lock_ttl_ms(
            rt.settings.site.publish_interval), keys=rt.store.keys)
        self.discover_lock = SingletonLock(rt.redis, "discover", ttl_ms=600_000,
                                           keys=rt.store.keys)
        self.published_once = False
        self.rediscovered_at = time.monotonic()  # discovery just ran at start

    async def poll_tick(self) -> None:
        if (not await self.rt.redis.exists(self.rt.store.keys.locations)
                and time.monotonic() - self.rediscovered_at > REDISCOVER_EVERY):
            # Redis came back empty (restarted without persistence): find the places again
            self.rediscovered_at = time.monotonic()
            await self.discover_tick(force=True)
        for platform in self.rt.adapters:
            await self.rt.coordinator.dispatch(platform, self.rt.claim_limit(platform))

    async def publish_tick(self) -> None:
        if not await self.publish_lock.acquire_or_renew():
            return
        dirty = await self.rt.redis.scard(self.rt.store.keys.dirty)
        if dirty or not self.published_once:
            try:
                report = await self.rt.publisher.publish()
                self.published_once = True
                metrics.record_publish(report.seconds)
            except (PublishError, OSError) as exc:
                # disk full and the like: the previous release keeps serving; retry next tick
                metrics.record_publish(None)
                log.error("%s", publish_failure(exc), extra={"error": type(exc).__name__})

    async def plan_tick(self) -> None:
        """Adaptive planner (a fleet singleton inside); a no-op with a fixed policy."""
        if self.rt.planner is not None:
            await self.rt.planner.tick()

    async def discover_tick(self, force: bool = False) -> None:
        if not await self.discover_lock.acquire_or_renew():
            return
        if force:
            log.warning("no locations in Redis: discovering again")
        counts = await self.rt.coordinator.discover()
        log.info("discovered %s", counts)

    async def metrics_tick(self, with_locations: bool = True) -> None:
        metrics.refresh_gauges(await take_snapshot(self.rt.redis, self.rt.store.keys,
                                                   self.rt.providers, with_locations))

    async def stop(self) -> None:
        await self.rt.coordinator.drain(grace=5.0)
        try:
            await self.publish_lock.release()
            await self.discover_lock.release()
            if self.rt.planner is not None:
                await self.rt.planner.release()
        except RedisError as exc:  # the locks expire on their own
            log.warning("could not release locks at exit: %s", exc)


def publish_lock_ttl_ms(publish_interval: float) -> int:
    """A few publish intervals: a publisher killed with SIGKILL is replaced within
    seconds instead of leaving the site frozen for a fixed minute."""
    return int(max(2.0, 4 * publish_interval) * 1000)


def guarded(name: str, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """A tick that fails (Redis restarting, disk trouble) logs one line and runs again at
    its next interval; the daemon and the polls already in flight carry on."""

    async def run() -> None:
        try:
            await job()
        except (RedisError, OSError) as exc:
            metrics.record_tick_error(name, exc)
            log.warning("%s tick failed, retrying next tick: %s: %s", name,
                        type(exc).__name__, exc, extra={"tick": name})

    return run


def _every(scheduler: AsyncIOScheduler, job: Callable[[], Awaitable[None]], seconds: float,
           name: str) -> None:
    scheduler.add_job(guarded(name, job), "interval", seconds=seconds, max_instances=1,
                      coalesce=True, id=name)


async def cmd_run(settings: Settings, serve: bool = True, publish: bool = True) -> int:
    """The daemon. ``publish=False`` is a worker: polling only, for a fleet of pollers."""
    async with Runtime(settings) as rt:
        daemon = Daemon(rt)
        await daemon.discover_tick()
        await daemon.plan_tick()
        if publish:
            await daemon.publish_tick()
        runner = None
        if serve:
            runner, port = await start_server(
                settings.site.output_dir, settings.site.host, settings.site.port
            )
            print(f"slotradar is up: http://{settings.site.host}:{port}/  (Ctrl-C stops)",
                  flush=True)
        elif not publish:
            print("slotradar worker is polling (Ctrl-C stops)", flush=True)
        exporter = None
        if settings.metrics.enabled:
            exporter = metrics.start_metrics_server(settings.metrics.host, settings.metrics.port)
            print(f"metrics: http://{settings.metrics.host}:{exporter.port}/metrics", flush=True)
        scheduler = AsyncIOScheduler()
        if exporter is not None:
            # fleet-wide per-area gauges come from the publisher; workers export their own
            _every(scheduler, functools.partial(daemon.metrics_tick, with_locations=publish),
                   settings.metrics.interval, "metrics")
        _every(scheduler, daemon.poll_tick, settings.worker.tick, "poll")
        _every(scheduler, daemon.plan_tick, settings.adaptive.planner_interval, "plan")
        _every(scheduler, daemon.discover_tick, settings.worker.discover_interval, "discover")
        if publish:
            _every(scheduler, daemon.publish_tick, settings.site.publish_interval, "publish")
        scheduler.start()
        try:
            await _wait_for_stop()
        finally:
            scheduler.shutdown(wait=False)
            await daemon.stop()
            if runner is not None:
                await runner.cleanup()
            if exporter is not None:
                exporter.stop()
        print("slotradar stopped", flush=True)
    return EXIT_OK


def cmd_providers(settings: Settings) -> int:
    """Adapters and their status; with a reachable Redis, the fleet's live protection state."""
    from aggregator.provider_listing import format_rows, list_providers

    rows = list_providers(settings)
    working = [r.platform for r in rows if r.usage != "broken"]
    live = asyncio.run(_live_provider_states(settings, working))
    print(format_rows(rows, live, datetime.now(UTC)))
    return EXIT_OK


async def _live_provider_states(
    settings: Settings, platforms: list[str]
) -> dict[str, LiveState] | None:
    """None without a Redis server to ask (an embedded one would be empty anyway)."""
    import redis.asyncio as aredis

    from aggregator.provider_listing import live_states, provider_settings
    from cache.connection import resolve_url
    from cache.keys import Keys

    url = resolve_url(settings.redis.url or None)
    if url is None:
        return None
    client = aredis.Redis.from_url(url, decode_responses=True, socket_timeout=2,
                                   socket_connect_timeout=1)
    try:
        await client.ping()
        providers = {p: provider_settings(settings, p) for p in platforms}
        return dict(await live_states(client, Keys(settings.redis.prefix), providers))
    except (aredis.RedisError, OSError):
        return None
    finally:
        await client.aclose()


def cmd_health(settings: Settings, limits: HealthThresholds, as_json: bool) -> int:
    report = asyncio.run(health_report(settings, limits))
    print(json.dumps(report.as_dict()) if as_json else report.reason)
    return EXIT_OK if report.ok else EXIT_SOME_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slotradar", description=__doc__)
    parser.add_argument(
        "-c", "--config", help="TOML config file (default: ./slotradar.toml or $SLOTRADAR_CONFIG)"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="json: one object per line (ts, level, logger, msg, extras)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="poll, publish and serve until Ctrl-C")
    run.add_argument("--no-serve", action="store_true", help="do not start the web server")
    sub.add_parser("worker", help="poll only (no publish, no server): add pollers to a fleet")
    refresh = sub.add_parser("refresh", help="poll every location once, publish, exit")
    refresh.add_argument("--once", action="store_true", required=True)
    sub.add_parser("publish", help="render the site from Redis and publish it")
    sub.add_parser("serve", help="serve the published site")
    sub.add_parser("providers", help="list adapters and their status")
    adapter = sub.add_parser("adapter", help="tools for adapter authors")
    adapter_sub = adapter.add_subparsers(dest="adapter_command", required=True)
    new = adapter_sub.add_parser("new", help="scaffold a new platform (adapter, emulator, "
                                 "fixtures, contract test)")
    new.add_argument("name", help="platform id, e.g. pharmaplus")
    new.add_argument("--root", default=".", help="project checkout to write into (default: .)")
    health = sub.add_parser("health", help="exit 0 if healthy, 1 otherwise (for probes)")
    health.add_argument("--max-publish-age", type=float, default=300.0, metavar="SECONDS")
    health.add_argument("--max-pause", type=float, default=600.0, metavar="SECONDS")
    health.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def cmd_adapter_new(name: str, root: str) -> int:
    """Needs no config: it only writes source files."""
    from scrapers.scaffold import ScaffoldError, create, instructions

    try:
        scaffold = create(name, Path(root).resolve())
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(instructions(scaffold, Path(root).resolve()))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    if args.command == "adapter":
        return cmd_adapter_new(args.name, args.root)
    try:
        path = find_config(args.config)
        settings = load_settings(path)
    except ConfigError as exc:
        print(f"config error:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    settings.site.output_dir = Path(settings.site.output_dir)
    if args.command == "run":
        return asyncio.run(cmd_run(settings, serve=not args.no_serve))
    if args.command == "worker":
        return asyncio.run(cmd_run(settings, serve=False, publish=False))
    if args.command == "refresh":
        return asyncio.run(cmd_refresh_once(settings))
    if args.command == "publish":
        return asyncio.run(cmd_publish(settings))
    if args.command == "serve":
        return asyncio.run(cmd_serve(settings))
    if args.command == "providers":
        return cmd_providers(settings)
    if args.command == "health":
        return cmd_health(settings, HealthThresholds(args.max_publish_age, args.max_pause),
                          args.json)
    return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
