"""The upstream-protection hook every request goes through.

The polite client asks the gate before each attempt (retries included, so they spend the
same budget) and reports each outcome. ``LocalGate`` protects within one process; the
Redis-backed gate in ``cache.protection`` shares budgets across a fleet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    OK = "ok"
    RATE_LIMITED = "rate_limited"  # 429 / 503 with Retry-After
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    CLIENT_ERROR = "client_error"  # 4xx other than 429: upstream is fine, our request is not

    @property
    def is_congestion(self) -> bool:
        return self in {
            Outcome.RATE_LIMITED,
            Outcome.SERVER_ERROR,
            Outcome.TIMEOUT,
            Outcome.CONNECTION,
        }


class Gate(Protocol):
    def slot(self, platform: str) -> AbstractAsyncContextManager[None]:
        """Async context manager: wait for budget and concurrency, hold it for one request."""
        ...

    async def report(
        self, platform: str, outcome: Outcome, retry_after: float | None = None
    ) -> None: ...

    async def available_in(self, platform: str) -> float:
        """Seconds until the provider takes requests again (0: now)."""
        ...


class LocalGate:
    """In-process protection: a concurrency cap and a minimum spacing between requests."""

    def __init__(
        self,
        rate_per_second: dict[str, float] | None = None,
        concurrency: dict[str, int] | None = None,
    ) -> None:
        self._rate = rate_per_second or {}
        self._concurrency = concurrency or {}
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._next_at: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def _sem(self, platform: str) -> asyncio.Semaphore:
        if platform not in self._sems:
            self._sems[platform] = asyncio.Semaphore(self._concurrency.get(platform, 8))
        return self._sems[platform]

    @asynccontextmanager
    async def slot(self, platform: str) -> AsyncIterator[None]:
        async with self._sem(platform):
            rate = self._rate.get(platform, 0.0)
            async with self._lock:
                now = time.monotonic()
                start = max(
                    now, self._next_at.get(platform, now), self._paused_until.get(platform, now)
                )
                if rate > 0:
                    self._next_at[platform] = start + 1.0 / rate
            if start > now:
                await asyncio.sleep(start - now)
            yield

    async def report(
        self, platform: str, outcome: Outcome, retry_after: float | None = None
    ) -> None:
        if retry_after:
            self._paused_until[platform] = time.monotonic() + min(retry_after, 600.0)

    async def available_in(self, platform: str) -> float:
        return max(0.0, self._paused_until.get(platform, 0.0) - time.monotonic())
