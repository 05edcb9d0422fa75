"""A rendered release served by the real built-in server, and a real headless Chromium.

Debian's /usr/bin/chromium driven by the pinned python playwright; without that binary the
browser tests are skipped with the reason printed (CI installs it: .ci/run).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from aggregator.config import SiteSettings
from aggregator.models import Availability, Location
from aggregator.pages import HistoryPoint, SiteContext, SiteRenderer
from aggregator.publish import swap_current, write_release
from aggregator.server import start_server
from cache.protection.redis_gate import ProviderState
from tests.site.factory import T0, availability, dataset, location, slots_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
XSS_NAME = '<img src=x onerror="window.__xss=1">Centre piégé'


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@dataclass
class Site:
    url: str
    locations: dict[str, Location]
    availabilities: dict[str, Availability]


def site_data() -> tuple[dict[str, Location], dict[str, Availability]]:
    # checked five minutes before the browser's clock: "checked 5 min ago"
    locations, availabilities = dataset(15, now=T0 - timedelta(minutes=5))
    evil = location(20, name=XSS_NAME)  # Lyon
    locations[evil.id] = evil
    availabilities[evil.id] = availability(evil, slots_for(20, T0), T0 - timedelta(minutes=5))
    evry = location(21, city="Évry-Courcouronnes", postcode="91000", area="91",
                    lat=48.629, lon=2.441)  # an accent the typed query may lack
    locations[evry.id] = evry
    availabilities[evry.id] = availability(evry, slots_for(21, T0), T0 - timedelta(minutes=5))
    return locations, availabilities


def site_context() -> SiteContext:
    """A platform paused by a Retry-After, and two days of slot totals."""
    paused = ProviderState(platform="testplat", aimd_limit=2.0, in_flight=0, paused_for=90.0,
                           breaker="closed", failures=0)
    history = tuple(
        HistoryPoint(T0 - timedelta(hours=48 - h), 40 + (h * 37) % 60, 5 + h % 7)
        for h in range(0, 48, 2)
    )
    return SiteContext(providers={"testplat": paused}, concurrency={"testplat": 4},
                       history=history)


class ServerThread:
    """The aiohttp server in its own loop, so sync playwright can drive the browser."""

    def __init__(self, output_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.output_dir = output_dir
        self.runner: web.AppRunner | None = None

    def start(self) -> int:
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(
            start_server(self.output_dir, "127.0.0.1", 0), self.loop
        )
        self.runner, port = future.result(timeout=10)
        return port

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    out = tmp_path_factory.mktemp("site")
    locations, availabilities = site_data()
    files = SiteRenderer(SiteSettings(output_dir=out)).render(
        locations, availabilities, T0, context=site_context()
    )
    release = out / "releases" / "r1"
    release.mkdir(parents=True)
    write_release(release, files)
    swap_current(out, release)
    server = ServerThread(out)
    port = server.start()
    try:
        yield Site(f"http://127.0.0.1:{port}", locations, availabilities)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
