"""Publish the site: render into a fresh release directory, then swap a symlink.

The ``current`` symlink is replaced with ``os.replace`` (an atomic rename), so a crash at
any point leaves the previous release serving; half-written releases are never pointed
at and are swept on the next publish. A release is a tree of content-addressed shard
directories (``release_tree``): directories whose content did not change are the previous
release's shards, reused by symlink, so a one-place publish writes a few small
directories. The publisher re-reads from Redis only the locations marked dirty (see
``site_state``).
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from aggregator.clock import Clock
from aggregator.config import SiteSettings
from aggregator.models import Availability, Location
from aggregator.pages import SiteFiles, SiteRenderer
from aggregator.release_files import fsync_dirs, write_new
from aggregator.release_tree import Published, load_published, sweep_shards, write_tree
from aggregator.site_state import ReloadPolicy, SiteState, read_changes, read_full
from cache.store import Store

log = logging.getLogger("slotradar.publish")

COMPLETE_MARKER = ".complete"


@dataclass(frozen=True)
class PublishReport:
    release: str
    pages: int
    locations: int
    seconds: float
    read_seconds: float = 0.0
    render_seconds: float = 0.0
    write_seconds: float = 0.0  # write + compress + fsync + swap
    prune_seconds: float = 0.0  # old releases and unreferenced shards, after the swap
    written: int = 0
    linked: int = 0
    full_read: bool = True
    new_dirs: int = 0  # directories written; every other one is a reused shard


class PublishError(Exception):
    """Publishing failed; the previous release is still the one served."""


def release_id(now: datetime) -> str:
    """Sortable by time, and unique even for two publishes at the same clock instant:
    writing into an existing (possibly live) release would break atomicity."""
    return now.strftime("%Y%m%dT%H%M%S") + f"-{now.microsecond:06d}-{secrets.token_hex(4)}"


def current_release(output_dir: Path) -> Path | None:
    link = output_dir / "current"
    return link.resolve() if link.is_symlink() else None


def swap_current(output_dir: Path, release: Path) -> None:
    """Point ``current`` at ``release`` atomically (rename of a fresh symlink)."""
    tmp = output_dir / f".current-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(os.path.relpath(release, output_dir), tmp)
    os.replace(tmp, output_dir / "current")
    fsync_dirs([output_dir])


def prune_releases(output_dir: Path, keep: int) -> None:
    """Keep the ``keep`` newest complete releases and the live one; then the shards they
    refer to, and nothing else (orphans of an interrupted publish included)."""
    releases = output_dir / "releases"
    if not releases.is_dir():
        return
    current = current_release(output_dir)
    complete = sorted(p for p in releases.iterdir() if (p / COMPLETE_MARKER).exists())
    for path in releases.iterdir():
        if path == current:
            continue
        if not (path / COMPLETE_MARKER).exists() or path in complete[:-keep]:
            shutil.rmtree(path, ignore_errors=True)
    sweep_shards(output_dir, list(releases.iterdir()))


def write_release(
    target: Path, files: SiteFiles, previous: Path | None = None, now: int | None = None
) -> int:
    """Write every file of a release (reusing ``previous``'s unchanged directories) into
    ``<output_dir>/releases/<name>``; returns the number of HTML pages."""
    stamp = int(time.time()) if now is None else now
    prior = None if previous is None else load_published(previous)
    return write_tree(target, files, stamp, prior)[1].pages


def describe_os_error(exc: OSError) -> str:
    if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        return f"disk full while writing the release ({exc})"
    return str(exc)


class Publisher:
    """Long-lived: keeps the last state read from Redis, so a publish reads only what changed."""

    def __init__(
        self,
        store: Store,
        settings: SiteSettings,
        clock: Clock,
        renderer: SiteRenderer | None = None,
        before_swap: Callable[[Path], None] | None = None,
        reload: ReloadPolicy | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.renderer = renderer or SiteRenderer(settings)
        self.before_swap = before_swap  # test hook: simulate a crash mid-publish
        self.reload = reload or ReloadPolicy()
        self.state: SiteState | None = None
        self.last_release: str | None = None  # ours; another name in Redis: someone else published
        self.published: Published | None = None  # our last release's tree, kept in memory

    @property
    def output_dir(self) -> Path:
        return self.settings.output_dir

    async def _read(self, dirty: set[str]) -> bool:
        """Bring ``self.state`` up to date; True when it was a full reload."""
        now = self.clock.now().timestamp()
        state = self.state
        # Another publisher (the fleet lock moved) took dirty ids we never saw: reload.
        latest = await self.store.redis.hget(self.store.keys.publish_meta, "release")
        if (
            state is None
            or latest != self.last_release
            or self.reload.due(state.publishes_since_full, now - state.loaded_at)
        ):
            self.state = await read_full(self.store, now)
            return True
        await read_changes(self.store, state, dirty)
        state.publishes_since_full += 1
        return False

    async def publish(self) -> PublishReport:
        started = time.perf_counter()
        dirty = await self.store.take_dirty()
        try:
            full = await self._read(dirty)
            assert self.state is not None
            read_seconds = time.perf_counter() - started
            now = self.clock.now()
            report = self._publish_files(
                dict(self.state.locations), dict(self.state.availabilities), now, started,
                dict(self.state.places),
            )
        except BaseException:
            await self.store.restore_dirty(dirty)
            raise
        report = replace(report, read_seconds=read_seconds, full_read=full)
        self.last_release = report.release
        await self.store.redis.hset(
            self.store.keys.publish_meta,
            mapping={
                "release": report.release,
                "at": f"{now.timestamp():.3f}",
                "seconds": f"{report.seconds:.4f}",
                "pages": str(report.pages),
            },
        )
        return report

    def _publish_files(
        self,
        locations: Mapping[str, Location],
        availabilities: Mapping[str, Availability],
        now: datetime,
        started: float,
        places: Mapping[str, str] | None = None,
    ) -> PublishReport:
        releases = self.output_dir / "releases"
        releases.mkdir(parents=True, exist_ok=True)
        previous = current_release(self.output_dir)
        prior = self.published
        if previous is None or prior is None or prior.root.home.name != previous.name:
            prior = None if previous is None else load_published(previous)
        target = releases / release_id(now)
        target.mkdir()  # never reuse a directory: it could be the live release
        try:
            render_started = time.perf_counter()
            files = self.renderer.render(locations, availabilities, now, places)
            write_started = time.perf_counter()
            published, stats = write_tree(target, files, int(now.timestamp()), prior)
            if self.before_swap is not None:
                self.before_swap(target)
            write_new(target / COMPLETE_MARKER, now.isoformat().encode(), int(now.timestamp()))
            fsync_dirs([target, releases])
            swap_current(self.output_dir, target)
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise PublishError(
                f"publish failed, previous release kept: {describe_os_error(exc)}"
            ) from exc
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        done = time.perf_counter()
        self.published = published
        prune_releases(self.output_dir, self.settings.keep_releases)
        pruned = time.perf_counter()
        seconds = pruned - started
        log.info(
            "published %s: %d pages (%d written, %d linked, %d new directories), %d locations"
            " in %.3fs",
            target.name,
            stats.pages,
            stats.written,
            stats.linked,
            stats.new_dirs,
            len(locations),
            seconds,
        )
        return PublishReport(
            target.name,
            stats.pages,
            len(locations),
            seconds,
            render_seconds=write_started - render_started,
            write_seconds=done - write_started,
            prune_seconds=pruned - done,
            written=stats.written,
            linked=stats.linked,
            new_dirs=stats.new_dirs,
        )
