"""Publish the site: render into a fresh release directory, then swap a symlink.

The ``current`` symlink is replaced with ``os.replace`` (an atomic rename), so a crash at
any point leaves the previous release serving; half-written releases are never pointed
at and are swept on the next publish.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aggregator.clock import Clock
from aggregator.config import SiteSettings
from aggregator.models import Availability, Location
from aggregator.pages import SiteFiles, SiteRenderer
from cache.store import Store

log = logging.getLogger("slotradar.publish")

COMPLETE_MARKER = ".complete"


@dataclass(frozen=True)
class PublishReport:
    release: str
    pages: int
    locations: int
    seconds: float


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
    dir_fd = os.open(output_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def prune_releases(output_dir: Path, keep: int) -> None:
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


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    with open(path, "wb") as handle:
        handle.write(data)


def write_release(target: Path, files: SiteFiles) -> int:
    """Write every file of a release; returns the number of HTML pages."""
    for rel, data in files.items():
        _write(target / rel, data)
    return sum(1 for rel in files if rel.endswith(".html"))


class Publisher:
    def __init__(
        self,
        store: Store,
        settings: SiteSettings,
        clock: Clock,
        renderer: SiteRenderer | None = None,
        before_swap: Callable[[Path], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.renderer = renderer or SiteRenderer(settings)
        self.before_swap = before_swap  # test hook: simulate a crash mid-publish

    @property
    def output_dir(self) -> Path:
        return self.settings.output_dir

    async def publish(self) -> PublishReport:
        started = time.perf_counter()
        dirty = await self.store.take_dirty()
        try:
            ids = await self.store.location_ids()
            locations = await self.store.get_locations(ids)
            availabilities = await self.store.get_availabilities(ids)
            places = await self.store.place_keys(ids)
            now = self.clock.now()
            report = self._publish_files(locations, availabilities, now, started, places)
        except BaseException:
            await self.store.restore_dirty(dirty)
            raise
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
        target = releases / release_id(now)
        target.mkdir()  # never reuse a directory: it could be the live release
        try:
            files = self.renderer.render(locations, availabilities, now, places)
            pages = write_release(target, files)
            if self.before_swap is not None:
                self.before_swap(target)
            (target / COMPLETE_MARKER).write_text(now.isoformat())
            swap_current(self.output_dir, target)
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise PublishError(f"publish failed, previous release kept: {exc}") from exc
        prune_releases(self.output_dir, self.settings.keep_releases)
        seconds = time.perf_counter() - started
        log.info(
            "published %s: %d pages, %d locations in %.3fs",
            target.name,
            pages,
            len(locations),
            seconds,
        )
        return PublishReport(target.name, pages, len(locations), seconds)
