"""Disk full while rendering: the previous release keeps serving, the daemon logs one
clear error, stays up, and publishes again once space is back.

The disk is a real 2 MB tmpfs when this machine lets us mount one; otherwise the
daemon runs under RLIMIT_FSIZE (with SIGXFSZ ignored, so writes fail with EFBIG as they
would with ENOSPC) and the limit is lifted with prlimit to "free space".
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import httpx
import redis as sync_redis

from aggregator.publish import COMPLETE_MARKER, current_release
from cache.keys import Keys
from tests.faults.helpers import (
    Child,
    child_env,
    children,
    daemon_config,
    slotradar,
    start_serve,
    wait_until,
)

SMALL_FILE_LIMIT = 600  # bytes: below the size of the static files


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[bool]:
    """Yields True with a tmpfs mounted at ``where``, False when mounting is not allowed."""
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
                             capture_output=True).returncode == 0 if os.geteuid() == 0 else False
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(where)], check=False)


def fill(where: Path) -> Path:
    filler = where / "filler"
    with contextlib.suppress(OSError), open(filler, "wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()
    return filler


def ignore_sigxfsz() -> None:
    """In the child: a write over RLIMIT_FSIZE then fails with EFBIG instead of killing."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def set_file_limit(pid: int, limit: int) -> None:
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def test_disk_full_keeps_previous_release(tmp_path: Path, redis_url: str, keys: Keys) -> None:
    # Guards: the publisher's rollback (a failed release is removed, never swapped in:
    # without it a half-written release without its .complete marker stays behind) and
    # the daemon logging the failure as one clear line and retrying on the next tick,
    # instead of a traceback per tick or an exit.
    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    with small_disk(tmp_path / "disk") as mounted, children() as started:
        site = tmp_path / "disk" / "site"
        cfg = daemon_config(tmp_path / "slotradar.toml", redis_url, keys.prefix, site,
                            locations=6)
        daemon = Child.start(slotradar("-c", str(cfg), "run", "--no-serve"), tmp_path,
                             child_env(), preexec_fn=ignore_sigxfsz)
        started.append(daemon)
        wait_until(lambda: current_release(site) is not None, 30, "the first publish")
        url = start_serve(cfg, tmp_path, started)

        free_space: Callable[[], None]
        if mounted:
            filler = fill(tmp_path / "disk")
            free_space = filler.unlink
            expected = "No space left on device"
        else:
            set_file_limit(daemon.proc.pid, SMALL_FILE_LIMIT)
            free_space = partial(set_file_limit, daemon.proc.pid, resource.RLIM_INFINITY)
            expected = "File too large"
        ids = client.smembers(keys.locations)
        client.sadd(keys.dirty, *ids)  # something to publish
        line = daemon.wait_for(r"publish failed, previous release kept: .*").group(0)
        assert expected in line, line
        first = current_release(site)  # the last release that made it before the disk filled
        assert first is not None
        home = httpx.get(url, timeout=5).text
        failures = daemon.output.count("publish failed")
        client.sadd(keys.dirty, *ids)
        wait_until(lambda: daemon.output.count("publish failed") > failures, 20,
                   "another failed publish")
        assert current_release(site) == first
        assert httpx.get(url, timeout=5).text == home  # the old site keeps serving
        assert all((p / COMPLETE_MARKER).exists() for p in (site / "releases").iterdir())
        assert daemon.proc.poll() is None
        assert "Traceback" not in daemon.output, daemon.output

        free_space()
        wait_until(lambda: current_release(site) not in (None, first), 20,
                   "a publish once space is back")
        assert daemon.proc.poll() is None
    client.close()

