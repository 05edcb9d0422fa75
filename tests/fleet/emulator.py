"""The sandbox platforms with a request log: who (the worker's API key) asked for what, when.

A Doctolib poll starts with exactly one ``booking/<slug>.json`` request, so the log of those
is the log of polls per location, as upstream saw them over real HTTP.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from aiohttp import web

from aggregator.clock import SystemClock
from scrapers.sandbox.faults import FaultState, Handler, make_plan
from scrapers.sandbox.server import build_app
from scrapers.sandbox.world import World


@dataclass
class PollLog:
    polls: dict[str, list[tuple[float, str]]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0

    def times(self, slug: str) -> list[float]:
        return [t for t, _ in self.polls[slug]]

    def last_by(self, who: str) -> float:
        return max((t for e in self.polls.values() for t, w in e if w == who), default=0.0)

    def workers(self) -> set[str]:
        return {who for entries in self.polls.values() for _, who in entries}


@dataclass
class CountingSandbox:
    world: World
    latency: float = 0.0
    log: PollLog = field(default_factory=PollLog)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        faults = FaultState()
        faults.plans["doctolib"] = make_plan({"latency": self.latency})
        app = build_app(self.world, SystemClock(), faults)

        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            self.log.requests += 1
            if request.path.startswith("/doctolib/booking/"):
                slug = request.path.rsplit("/", 1)[1].removesuffix(".json")
                who = request.headers.get("Authorization", "").removeprefix("Bearer ")
                self.log.polls[slug].append((time.time(), who))
            return await handler(request)

        app.middlewares.append(record)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return f"http://127.0.0.1:{self.port}/doctolib"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
