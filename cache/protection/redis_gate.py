"""``RedisGate``: the fleet-wide implementation of ``scrapers.gate.Gate``.

Each request attempt runs one Lua step to be admitted (pause, breaker, AIMD-limited lease
semaphore, GCRA budget). A success is not reported on its own round trip: it rides on the
next admission step of this process (``REPORT_OK_THEN_ACQUIRE``), or a flush a few ms
later when none comes; failures (congestion, pauses) are reported at once, so the fleet
slows down without delay. A process-local semaphore caps the tasks of this process that
wait on Redis, so waiting does not become Redis load.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aredis

from aggregator.clock import Clock
from cache.batch import call_script
from cache.keys import Keys
from cache.protection import scripts
from cache.protection.models import pause_for
from scrapers.base import ProviderSettings
from scrapers.errors import FetchError, FetchErrorKind
from scrapers.gate import Outcome

log = logging.getLogger("slotradar.gate")
FLUSH_AFTER = 0.005  # s a success waits for an admission step to carry its report
MAX_CARRIED = 64  # reports one admission step carries at most

@dataclass(frozen=True)
class Tuning:
    """Protection knobs shared by every provider (rate and concurrency come per provider)."""

    aimd_increase: float = 1.0
    aimd_decrease: float = 0.5
    aimd_cooldown: float = 5.0
    breaker_threshold: int = 5
    breaker_reset: float = 30.0
    lease: float = 60.0
    max_wait: float = 15.0  # longer than this: fail fast as PAUSED, the coordinator reschedules
    pause_jitter: float = 0.1


@dataclass(frozen=True)
class ProviderState:
    """What operators and the status page want to know about one provider."""

    platform: str
    aimd_limit: float
    in_flight: int
    paused_for: float
    breaker: str
    failures: int


@dataclass
class _Lease:
    token: str
    reported: bool = False


_current_lease: contextvars.ContextVar[_Lease | None] = contextvars.ContextVar(
    "slotradar_gate_lease", default=None
)


class RedisGate:
    def __init__(
        self,
        redis: aredis.Redis,
        providers: Mapping[str, ProviderSettings],
        keys: Keys | None = None,
        *,
        clock: Clock | None = None,
        tuning: Tuning | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys or Keys()
        self.providers = dict(providers)
        self.clock = clock  # None: Redis server TIME, so a fleet agrees on "now"
        self.tuning = tuning or Tuning()
        self.rng = rng or random.Random()
        self._acquire = redis.register_script(scripts.ACQUIRE)
        self._report = redis.register_script(scripts.REPORT)
        self._report_then_acquire = redis.register_script(scripts.REPORT_OK_THEN_ACQUIRE)
        self._local: dict[str, asyncio.Semaphore] = {}
        self._freed: dict[str, asyncio.Condition] = {}
        self._unreported: dict[str, list[str]] = {}  # platform -> tokens of successes
        self._flushes: set[asyncio.Task[None]] = set()

    def _now(self) -> str:
        return "" if self.clock is None else f"{self.clock.now().timestamp():.6f}"

    def _settings(self, platform: str) -> ProviderSettings:
        try:
            return self.providers[platform]
        except KeyError:
            raise KeyError(f"no protection settings for provider {platform!r}") from None

    def _lease(self, s: ProviderSettings) -> float:
        """A request cannot outlive its total timeout, so neither need its lease: a process
        killed mid-request frees the provider's concurrency within seconds, not a minute."""
        return min(self.tuning.lease, s.timeout + 2.0)

    def _k(self, platform: str, what: str) -> str:
        return self.keys.provider(platform, what)

    async def try_acquire(self, platform: str, token: str) -> tuple[float, str]:
        """One admission attempt: (0, "ok"|"probe") when admitted, else (wait, reason).
        Successes of this process not reported yet go first, in the same round trip."""
        s = self._settings(platform)
        keys = [self._k(platform, w) for w in ("pause", "breaker", "gcra", "sem", "aimd")]
        args: list[str | float | int] = [
            self._now(), f"{1.0 / s.rate:.9f}", s.burst, token, self._lease(s),
            s.concurrency, self.tuning.breaker_reset, s.timeout + 1.0]
        carried = self._take_unreported(platform)
        if not carried:
            wait, reason = await call_script(self._acquire, keys=keys, args=args)
            return float(wait), str(reason)
        t = self.tuning
        args += [1, s.concurrency, t.aimd_increase, t.aimd_decrease, t.aimd_cooldown,
                 t.breaker_threshold, *carried]
        wait, reason = await call_script(self._report_then_acquire, keys=keys, args=args)
        return float(wait), str(reason)

    def _take_unreported(self, platform: str) -> list[str]:
        pending = self._unreported.get(platform)
        if not pending:
            return []
        carried, pending[:] = pending[:MAX_CARRIED], pending[MAX_CARRIED:]
        return carried

    async def flush(self, platform: str | None = None) -> None:
        """Report the successes still held locally (before reading state, at shutdown)."""
        for name in [platform] if platform else list(self._unreported):
            while self._unreported.get(name):
                await self.try_acquire(name, "")

    def _flush_soon(self, platform: str) -> None:
        """Successes must not hold their leases long when no admission comes to carry
        them; a lost flush (Redis down) only costs a lease its timeout."""
        async def later() -> None:
            await asyncio.sleep(FLUSH_AFTER)
            try:
                await self.flush(platform)
            except aredis.RedisError as exc:
                log.warning("could not report successes (their leases expire): %s", exc)

        task = asyncio.create_task(later())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def acquire(self, platform: str) -> str:
        """Wait until admitted and return the lease token; PAUSED if the wait is long."""
        token = secrets.token_hex(8)
        backoff = 0.01
        waited = 0.0
        while True:
            wait, reason = await self.try_acquire(platform, token)
            if wait <= 0:
                return token
            if reason in {"paused", "open"} and wait > self.tuning.max_wait - waited:
                raise FetchError(FetchErrorKind.PAUSED,
                                 f"{platform}: paused for {wait:.0f}s ({reason})",
                                 retry_after=wait)
            if reason == "concurrency":
                backoff = min(backoff * 2, 0.5)
                wait = backoff * (0.5 + self.rng.random())
                await self._wait_for_release(platform, wait)
            else:
                await asyncio.sleep(wait)
            waited += wait

    async def _wait_for_release(self, platform: str, longest: float) -> None:
        """Sleep until this process frees a lease of ``platform`` (one waiter per release)
        or ``longest`` s pass (another process may have freed one): without it every waiter
        asks Redis again and again, and those asks cost more than the polls themselves."""
        freed = self._freed.setdefault(platform, asyncio.Condition())
        async with freed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(freed.wait(), longest)

    @asynccontextmanager
    async def slot(self, platform: str) -> AsyncIterator[None]:
        local = self._local.setdefault(
            platform, asyncio.Semaphore(self._settings(platform).concurrency))
        async with local:
            lease = _Lease(await self.acquire(platform))
            reset = _current_lease.set(lease)
            try:
                yield
            finally:
                _current_lease.reset(reset)
                if not lease.reported:  # cancelled or crashed: give the slot back
                    await self._release(platform, lease.token, "neutral", None)

    async def report(self, platform: str, outcome: Outcome,
                     retry_after: float | None = None) -> None:
        lease = _current_lease.get()
        if lease is None or lease.reported:
            return
        lease.reported = True
        if outcome is Outcome.OK and retry_after is None:
            pending = self._unreported.setdefault(platform, [])
            pending.append(lease.token)
            if len(pending) == 1:
                self._flush_soon(platform)
            await self._notify_freed(platform)
            return
        kind = "ok" if outcome is Outcome.OK else (
            "congestion" if outcome.is_congestion else "neutral")
        pause = pause_for(retry_after, jitter=self.tuning.pause_jitter, rng=self.rng)
        await self._release(platform, lease.token, kind, pause or None)

    async def _release(self, platform: str, token: str, kind: str,
                       pause: float | None) -> None:
        try:
            await self._report_outcome(platform, token, kind, pause)
        finally:
            await self._notify_freed(platform)

    async def _notify_freed(self, platform: str) -> None:
        freed = self._freed.get(platform)
        if freed is not None:
            async with freed:
                freed.notify(1)

    async def _report_outcome(self, platform: str, token: str, kind: str,
                              pause: float | None) -> None:
        s = self._settings(platform)
        t = self.tuning
        await call_script(
            self._report, keys=[self._k(platform, w) for w in ("sem", "aimd", "breaker", "pause")],
            args=[self._now(), token, kind, "" if pause is None else f"{pause:.3f}", self._lease(s),
                  1, s.concurrency, t.aimd_increase, t.aimd_decrease, t.aimd_cooldown,
                  s.concurrency, t.breaker_threshold, t.breaker_reset],
        )

    async def available_in(self, platform: str) -> float:
        """Seconds until the provider takes requests again (pause or open breaker)."""
        await self.flush(platform)
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self._k(platform, "pause"))
        pipe.hget(self._k(platform, "breaker"), "opened_at")
        pipe.time()
        paused_until, opened, (sec, usec) = await pipe.execute()
        now = self.clock.now().timestamp() if self.clock else float(sec) + float(usec) / 1e6
        wait = max(0.0, float(paused_until or 0) - now)
        if opened:
            wait = max(wait, float(opened) + self.tuning.breaker_reset - now)
        return wait

    async def state(self, platform: str) -> ProviderState:
        await self.flush(platform)
        limit_raw, in_flight, breaker = await self._state_raw(platform)
        paused = await self.available_in(platform)
        state = "closed"
        if breaker.get("opened_at"):
            state = "half_open" if paused <= 0 else "open"
        return ProviderState(
            platform=platform,
            aimd_limit=float(limit_raw) if limit_raw else float(
                self._settings(platform).concurrency),
            in_flight=int(in_flight),
            paused_for=paused,
            breaker=state,
            failures=int(breaker.get("failures", 0)),
        )

    async def _state_raw(self, platform: str) -> tuple[str | None, int, dict[str, str]]:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(self._k(platform, "aimd"), "limit")
        pipe.zcard(self._k(platform, "sem"))
        pipe.hgetall(self._k(platform, "breaker"))
        limit_raw, in_flight, breaker = await pipe.execute()
        return limit_raw, int(in_flight), breaker
