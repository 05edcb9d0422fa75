"""One loopback aiohttp server hosting every platform emulator under ``/<platform>/``.

``/_sandbox/faults/<platform>`` (GET/PUT) reads or replaces that platform's fault plan and
``/_sandbox/stats`` counts requests, so tests and benchmarks steer faults over real HTTP.
Emulators are found like adapters: EMULATORS (built-in fallback), then the
``slotradar.emulators`` entry points, then ``$SLOTRADAR_EXTRA_EMULATORS`` (``scrapers.plugins``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from aggregator.clock import Clock, SystemClock
from scrapers.plugins import PluginError, find_targets, import_target
from scrapers.sandbox.faults import FaultState, make_plan
from scrapers.sandbox.world import World

AppFactory = Callable[[World, Clock, FaultState], web.Application]
ENTRY_POINT_GROUP = "slotradar.emulators"
ENV_VAR = "SLOTRADAR_EXTRA_EMULATORS"

EMULATORS: dict[str, str] = {
    "doctolib": "scrapers.sandbox.doctolib:make_app",
    "keldoc": "scrapers.sandbox.keldoc:make_app",
    "maiia": "scrapers.sandbox.maiia:make_app",
    "mapharma": "scrapers.sandbox.mapharma:make_app",
    "smart_scheduling_links": "scrapers.sandbox.smart_scheduling_links:make_app",
    "ical": "scrapers.sandbox.ical:make_app",
}


def emulator_targets() -> dict[str, str]:
    """platform -> ``module:make_app`` (built-in < entry point < env)."""
    found = find_targets(EMULATORS, ENTRY_POINT_GROUP, ENV_VAR)
    return {name: t.target for name, t in found.items()}


def load_emulator(platform: str) -> AppFactory:
    found = emulator_targets()
    if platform not in found:
        raise KeyError(f"no emulator for platform {platform!r} (known: {', '.join(sorted(found))})")
    factory = import_target(found[platform])
    if not callable(factory):
        raise PluginError(f"{found[platform]} is not callable")
    return factory


def sandbox_options(platform: str, world: World, base_url: str) -> dict[str, Any]:
    """The provider ``options`` an emulator needs in the sandbox (feed URLs...): its
    module's optional ``sandbox_options(world, base_url)``, else none."""
    module = importlib.import_module(emulator_targets()[platform].partition(":")[0])
    hook = getattr(module, "sandbox_options", None)
    return dict(hook(world, base_url)) if hook is not None else {}


def build_app(world: World, clock: Clock, faults: FaultState) -> web.Application:
    root = web.Application()
    for platform in world.platforms:
        root.add_subapp(f"/{platform}/", load_emulator(platform)(world, clock, faults))

    async def get_faults(request: web.Request) -> web.Response:
        return web.json_response(faults.plan(request.match_info["platform"]).public())

    async def put_faults(request: web.Request) -> web.Response:
        try:
            plan = make_plan(await request.json())
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        faults.plans[request.match_info["platform"]] = plan
        return web.json_response(plan.public())

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"requests": faults.requests})

    root.router.add_get("/_sandbox/faults/{platform}", get_faults)
    root.router.add_put("/_sandbox/faults/{platform}", put_faults)
    root.router.add_get("/_sandbox/stats", stats)
    return root


@dataclass
class SandboxServer:
    """Start/stop the emulators on 127.0.0.1; ``port=0`` picks a free port."""

    world: World
    clock: Clock = field(default_factory=SystemClock)
    host: str = "127.0.0.1"
    port: int = 0
    faults: FaultState = field(default_factory=FaultState)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = build_app(self.world, self.clock, self.faults)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.url

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, platform: str) -> str:
        return f"{self.url}/{platform}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
