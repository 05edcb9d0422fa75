"""The coordinator: claim due locations, poll them through their adapter, store the
result, and reschedule by the refresh policy. Like a Home Assistant coordinator, it owns
the polling; adapters only fetch and parse.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from aggregator import metrics
from aggregator.clock import Clock
from aggregator.dedupe import group_places
from aggregator.models import Location, PollResult, Status
from aggregator.policy import PollObservation, PollRecorder, RefreshPolicy
from cache.due_queue import DueQueue
from cache.store import Store, WriteOutcome, WriteReport
from scrapers.base import Adapter
from scrapers.errors import AdapterError, FetchError, FetchErrorKind
from scrapers.gate import Gate

log = logging.getLogger("slotradar.refresh")

ProgressCallback = Callable[[int, int], None]
MAX_TASKS_IN_FLIGHT = 512


@dataclass
class ProviderReport:
    platform: str
    polled: int = 0
    ok: int = 0
    failed: int = 0
    changed: int = 0
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    last_error: str = ""

    @property
    def all_failed(self) -> bool:
        return self.polled > 0 and self.failed == self.polled


def error_result(exc: BaseException) -> PollResult:
    """An adapter failure as a per-location error, with a message a person can act on."""
    if isinstance(exc, AdapterError):
        message = str(exc)
    else:
        message = f"adapter bug: {type(exc).__name__}: {exc}"
    return PollResult(status=Status.ERROR, message=message[:500], requests=0)


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, FetchError):
        return exc.kind.value
    if isinstance(exc, AdapterError):
        return "parse"
    return "bug"


class Coordinator:
    def __init__(
        self,
        store: Store,
        queue: DueQueue,
        adapters: Mapping[str, Adapter],
        policy: RefreshPolicy,
        clock: Clock,
        *,
        lease_seconds: float = 120.0,
        recorder: PollRecorder | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.store = store
        self.queue = queue
        self.adapters = adapters
        self.policy = policy
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.token = DueQueue.new_token()
        self.recorder = recorder
        self._requests: dict[str, int] = {}  # location id -> requests of its latest poll
        self.discovery_errors: dict[str, str] = {}
        self.gate = gate
        self._retry_after: dict[str, float] = {}
        self._cost: dict[str, float] = {}  # platform -> mean upstream requests per poll
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}

    async def discover(self) -> dict[str, int]:
        """Ask every adapter for its listing and queue new locations for a poll now."""
        counts: dict[str, int] = {}
        for platform, adapter in self.adapters.items():
            try:
                found = await adapter.discover()
            except AdapterError as exc:
                log.warning("discovery failed for %s: %s", platform, exc,
                            extra={"platform": platform})
                self.discovery_errors[platform] = str(exc)
                counts[platform] = 0
                continue
            self.discovery_errors.pop(platform, None)
            counts[platform] = await self.store.save_locations(found, self.clock.now().timestamp())
        await self.group_same_places()
        return counts

    async def group_same_places(self) -> None:
        """After discovery: which stored locations of different platforms are one place.

        Grouping is CPU work (seconds for tens of thousands of listings): a thread keeps the
        event loop, and so polling, going meanwhile."""
        locations = await self.store.get_locations(await self.store.location_ids())
        place_of = await asyncio.to_thread(group_places, list(locations.values()))
        await self.store.save_places(place_of)

    async def poll_one(
        self, adapter: Adapter, location: Location, report: ProviderReport
    ) -> WriteReport:
        now = self.clock.now()
        try:
            result = await adapter.poll(location, now)
        except (asyncio.CancelledError, RedisError):
            raise  # our own Redis is down, not upstream: the lease brings the location back
        except Exception as exc:  # every failure stays with this one location
            if not isinstance(exc, AdapterError):
                log.exception("adapter %s crashed on %s", adapter.platform, location.id,
                              extra={"platform": adapter.platform, "location": location.id})
            kind = error_kind(exc)
            report.errors[kind] = report.errors.get(kind, 0) + 1
            metrics.record_poll_error(location.platform, kind)
            report.last_error = str(exc)[:300]
            result = error_result(exc)
            if isinstance(exc, FetchError) and exc.kind is FetchErrorKind.PAUSED:
                # the provider is paused, not this location: write nothing, come back later
                self._retry_after[location.id] = exc.retry_after or 0.0
                return WriteReport(WriteOutcome.SKIPPED)
        written = await self.store.write(location, result, now)
        metrics.record_poll(location.platform, written.outcome.value)
        self._requests[location.id] = result.requests
        report.polled += 1
        report.requests += result.requests
        if written.outcome is WriteOutcome.FAILED:
            report.failed += 1
        else:
            report.ok += 1
        if written.outcome in {WriteOutcome.CHANGED, WriteOutcome.RECOVERED}:
            report.changed += 1
        return written

    async def _poll_and_reschedule(
        self, adapter: Adapter, location: Location, report: ProviderReport
    ) -> None:
        written = await self.poll_one(adapter, location, report)
        now = self.clock.now()
        if written.outcome is WriteOutcome.SKIPPED:
            wait = self._retry_after.pop(location.id, 0.0)
            await self.queue.complete(location.platform, location.id, self.token,
                                      now.timestamp() + wait + random.uniform(0, 5))
            return
        self._cost[location.platform] = 0.8 * self._cost.get(location.platform, 1.0) + 0.2 * max(
            1, self._requests.get(location.id, 1))
        avail = written.availability
        if avail is None and written.outcome is WriteOutcome.STALE:  # a newer poll won
            avail = (await self.store.get_availabilities([location.id])).get(location.id)
        observation = PollObservation(location.id, location.platform, written.outcome, avail, now)
        requests = self._requests.pop(location.id, 0)
        if self.recorder is not None:
            observation = await self.recorder.enrich(observation, location, requests)
        interval = self.policy.next_interval(observation)
        await self.queue.complete(
            location.platform, location.id, self.token, now.timestamp() + interval
        )

    def in_flight(self, platform: str) -> int:
        return len(self._tasks.get(platform, ()))

    def cost(self, platform: str) -> float:
        """Mean upstream requests one poll of this platform costs (moving average)."""
        return self._cost.get(platform, 1.0)

    async def dispatch(self, platform: str, limit: int) -> int:
        """Claim up to ``limit`` due locations and poll them in the background.

        Returns at once so a tick never waits for upstream; nothing is claimed while the
        provider is paused, so its locations stay due instead of burning leases.
        """
        adapter = self.adapters.get(platform)
        if adapter is None or limit <= 0:
            return 0
        if self.gate is not None and await self.gate.available_in(platform) > 0:
            return 0
        ids = await self.queue.claim(
            platform, self.clock.now().timestamp(), limit, self.lease_seconds, self.token
        )
        if not ids:
            return 0
        locations = await self.store.get_locations(ids)
        tasks = self._tasks.setdefault(platform, set())
        report = ProviderReport(platform)
        for lid in ids:
            if lid not in locations:
                await self.queue.remove(platform, [lid])  # deleted location: stop polling it
                continue
            task = asyncio.create_task(self._poll_and_reschedule(adapter, locations[lid], report))
            tasks.add(task)
            task.add_done_callback(self._finished(tasks))
        return len(ids)

    @staticmethod
    def _finished(tasks: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            exc = None if task.cancelled() else task.exception()
            if isinstance(exc, RedisError):
                log.warning("poll lost, Redis unavailable (retried after the lease): %s", exc)
            elif exc is not None:
                log.error("poll task failed", exc_info=exc)

        return done

    async def drain(self, grace: float) -> None:
        """Let polls in flight finish (their leases would otherwise wait to expire)."""
        pending = [t for tasks in self._tasks.values() for t in tasks]
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=grace)
        for task in still:
            task.cancel()
        await asyncio.gather(*still, return_exceptions=True)

    async def run_due(self, platform: str, limit: int) -> ProviderReport:
        """Claim up to ``limit`` due locations of one platform and poll them."""
        report = ProviderReport(platform)
        adapter = self.adapters.get(platform)
        if adapter is None:
            return report
        ids = await self.queue.claim(
            platform, self.clock.now().timestamp(), limit, self.lease_seconds, self.token
        )
        if not ids:
            return report
        locations = await self.store.get_locations(ids)
        await asyncio.gather(
            *(
                self._poll_and_reschedule(adapter, locations[i], report)
                for i in ids
                if i in locations
            )
        )
        return report

    async def refresh_all(
        self, progress: ProgressCallback | None = None
    ) -> dict[str, ProviderReport]:
        """One full cycle for cron: every known location of every platform, due or not."""
        reports = {p: ProviderReport(p, last_error=self.discovery_errors.get(p, ""))
                   for p in self.adapters}
        ids = await self.store.location_ids()
        locations = await self.store.get_locations(ids)
        todo = [loc for loc in locations.values() if loc.platform in self.adapters]
        done = 0

        # The gates bound upstream concurrency; this only bounds tasks alive at once.
        in_flight = asyncio.Semaphore(MAX_TASKS_IN_FLIGHT)

        async def one(location: Location) -> None:
            nonlocal done
            async with in_flight:
                await self.poll_one(
                    self.adapters[location.platform], location, reports[location.platform]
                )
            done += 1
            if progress:
                progress(done, len(todo))

        await asyncio.gather(*(one(loc) for loc in todo))
        return reports
