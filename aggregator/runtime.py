"""Wire the parts together from Settings: Redis (embedded or not), the sandbox when no
real provider is configured, the HTTP session, gates, adapters, coordinator, publisher."""

from __future__ import annotations

import contextlib
import logging
import math
from pathlib import Path
from types import TracebackType

import aiohttp
from redis.exceptions import RedisError

from aggregator.adaptive.policy import AdaptivePolicy
from aggregator.adaptive.service import AdaptiveRecorder, Planner
from aggregator.clock import Clock, SystemClock
from aggregator.config import Settings
from aggregator.policy import FixedIntervalPolicy, PollRecorder, RefreshPolicy
from aggregator.publish import Publisher
from aggregator.refresh import Coordinator
from aggregator.site_inputs import SiteInputs, SitePublisher
from cache.connection import RedisHandle, connect, open_redis
from cache.due_queue import DueQueue
from cache.keys import Keys
from cache.protection.redis_gate import RedisGate
from cache.stats import StatsStore
from cache.store import Store
from scrapers.base import Adapter, ProviderSettings
from scrapers.client import ClientPolicy, PoliteClient
from scrapers.gate import Gate
from scrapers.registry import load_adapter
from scrapers.sandbox.server import SandboxServer, sandbox_options
from scrapers.sandbox.world import World
from scrapers.secrets import read_api_key

log = logging.getLogger("slotradar.runtime")


def provider_headers(provider: ProviderSettings) -> dict[str, str]:
    """Secrets come from the environment or a private file, never from the config file."""
    key = read_api_key(provider.api_key_env, provider.api_key_file)
    return {"Authorization": f"Bearer {key}"} if key else {}


class Runtime:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        policy: RefreshPolicy | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.policy = policy
        self.gate = gate
        self.handle: RedisHandle | None = None
        self.sandbox: SandboxServer | None = None
        self.session: aiohttp.ClientSession | None = None
        self.providers: list[ProviderSettings] = []
        self.adapters: dict[str, Adapter] = {}
        self.planner: Planner | None = None

    async def __aenter__(self) -> Runtime:
        data_dir = Path(self.settings.redis.data_dir) if self.settings.redis.data_dir else None
        self.handle = open_redis(self.settings.redis.url or None, data_dir)
        self.redis = connect(self.handle.url)
        keys = Keys(self.settings.redis.prefix)
        self.store = Store(self.redis, keys)
        self.queue = DueQueue(self.redis, keys)
        self.providers = [p for p in self.settings.providers if p.enabled]
        if self.settings.uses_sandbox:
            await self._start_sandbox()
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=256, limit_per_host=64, ttl_dns_cache=300)
        )
        if self.gate is None:
            # fleet-wide budgets: every process sharing this Redis shares them
            self.gate = RedisGate(self.redis, {p.platform: p for p in self.providers}, keys)
        for provider in self.providers:
            client = PoliteClient(
                self.session,
                provider.platform,
                provider.base_url,
                gate=self.gate,
                policy=ClientPolicy(
                    timeout=provider.timeout,
                    max_body_bytes=provider.max_body_bytes,
                    retries=provider.retries,
                ),
                headers=provider_headers(provider),
                clock=self.clock,
            )
            self.adapters[provider.platform] = load_adapter(provider.platform)(client, provider)
        policy, recorder = self._refresh_policy(keys)
        self.coordinator = Coordinator(
            self.store,
            self.queue,
            self.adapters,
            policy,
            self.clock,
            lease_seconds=self.settings.worker.lease,
            recorder=recorder,
            gate=self.gate,
        )
        self.publisher = SitePublisher(
            Publisher(self.store, self.settings.site, self.clock),
            SiteInputs(self.redis, keys, self.clock, self.gate, self.providers),
        )
        return self

    def _refresh_policy(self, keys: Keys) -> tuple[RefreshPolicy, PollRecorder | None]:
        """Adaptive by default (with its recorder and planner); an explicit policy or
        ``adaptive.enabled = false`` gets no recorder, as the fixed baseline needs none."""
        adaptive = self.settings.adaptive
        if self.policy is not None:
            return self.policy, None
        if not adaptive.enabled:
            fixed = self.settings.worker.fixed_interval or (60.0 if self.sandbox else 300.0)
            return FixedIntervalPolicy(interval=fixed), None
        stats = StatsStore(self.redis, keys)
        self.planner = Planner(stats, self.providers, adaptive, self.clock)
        return AdaptivePolicy(self.clock, adaptive), AdaptiveRecorder(stats, adaptive)

    async def _start_sandbox(self) -> None:
        sb = self.settings.sandbox
        world = World(
            seed=sb.seed,
            locations_per_platform=sb.locations_per_platform,
            platforms=tuple(sb.platforms),
        )
        self.sandbox = SandboxServer(world, clock=self.clock, port=sb.port)
        await self.sandbox.start()
        log.info("sandbox platforms on %s", self.sandbox.url)
        self.providers = [
            ProviderSettings(
                platform=p,
                base_url=self.sandbox.base_url(p),
                rate=sb.rate,
                burst=max(1, int(sb.rate)),
                concurrency=8,
                timeout=5.0,
                min_interval=20.0,
                max_interval=600.0,
                options=sandbox_options(p, world, self.sandbox.base_url(p)),
            )
            for p in sb.platforms
        ]

    def claim_limit(self, platform: str) -> int:
        """How many due locations one tick may claim for a provider: no more than its
        request budget can poll before the next tick, nor than its concurrency can hold."""
        provider = next(p for p in self.providers if p.platform == platform)
        tick = self.settings.worker.tick
        by_budget = math.ceil(provider.rate * tick * 1.5 / self.coordinator.cost(platform)) + 1
        room = provider.concurrency * 4 - self.coordinator.in_flight(platform)
        return max(0, min(self.settings.worker.claim_batch, by_budget, room))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(self.gate, RedisGate):  # successes not carried yet free their leases
            with contextlib.suppress(RedisError, OSError):
                await self.gate.flush()
        if self.session is not None:
            await self.session.close()
        if self.sandbox is not None:
            await self.sandbox.stop()
        await self.redis.aclose()
        if self.handle is not None:
            self.handle.close()
