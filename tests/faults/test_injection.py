"""Hostile text in upstream names and addresses, through the whole pipeline.

The sandbox world puts ``<script>alert(1)</script>``, quotes, ``]]>`` and a comment opener
into every name and address; the published site must show the text and run none of it.
The checks are generic (any HTML, JSON, JSON-in-HTML or XML feed the site publishes,
precompressed copies included) because the pages are being redesigned.
"""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import brotli
import pytest
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.publish import current_release
from cache.keys import Keys
from scrapers.sandbox.server import SandboxServer
from scrapers.sandbox.world import HOSTILE_TEXT, World
from tests.faults.helpers import PLATFORM, make_pipeline
from tests.serving.tree import served_files

JSON_SCRIPT = re.compile(r"<script[^>]*type=\"application/(?:ld\+)?json\"[^>]*>(.*?)</script>",
                         re.S | re.I)


@pytest.fixture
async def hostile_sandbox(clock: ManualClock) -> AsyncIterator[SandboxServer]:
    server = SandboxServer(World(seed=3, locations_per_platform=6, platforms=(PLATFORM,),
                                 hostile_names=True), clock=clock)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def published_files(release: Path) -> Iterator[tuple[str, bytes]]:
    """Every file of a release, decompressed when it is a precompressed copy."""
    for name, path in sorted(served_files(release, variants=True).items()):
        data = path.read_bytes()
        if name.endswith(".gz"):
            data, name = gzip.decompress(data), name[:-3]
        elif name.endswith(".br"):
            data, name = brotli.decompress(data), name[:-3]
        yield name, data


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def assert_round_trips(strings: Iterator[str], where: str) -> None:
    """A name that carries the hostile text must come back exactly, not mangled."""
    for text in strings:
        if "alert(1)" in text:
            assert HOSTILE_TEXT in text, (where, text)


async def test_hostile_names_are_escaped_everywhere(redis: aredis.Redis, keys: Keys,
                                                    hostile_sandbox: SandboxServer,
                                                    clock: ManualClock,
                                                    tmp_path: Path) -> None:
    # Guards: Jinja2 autoescape on every template (a template with autoescape off, or a
    # |safe on a name, puts a raw <script>alert in a page); JSON written with <, > and &
    # escaped so it can sit inside HTML; feeds escaping ]]> (CDATA) and markup.
    async with aiohttp.ClientSession() as session:
        pipe = make_pipeline(redis, keys, hostile_sandbox, session, clock, tmp_path / "site")
        await pipe.coordinator.discover()
        await pipe.coordinator.run_due(PLATFORM, limit=100)
        stored = await pipe.store.get_locations(await pipe.store.location_ids())
        assert all(HOSTILE_TEXT in loc.name and HOSTILE_TEXT in loc.address
                   for loc in stored.values())  # the hostile text survived parsing intact
        await pipe.publisher.publish()
    release = current_release(tmp_path / "site")
    assert release is not None
    files = dict(published_files(release))
    shown = 0
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace")
        assert "<script>alert" not in text, name
        assert "]]> </script>" not in text, name
        if name.endswith(".html"):
            shown += text.count("&lt;script&gt;alert(1)&lt;/script&gt;")
            for block in JSON_SCRIPT.findall(text):
                assert_round_trips(strings_in(json.loads(block)), f"{name} (JSON-in-HTML)")
        elif name.endswith(".json"):
            assert_round_trips(strings_in(json.loads(text)), name)
        elif name.endswith((".xml", ".rss", ".atom")):
            root = ET.fromstring(data)  # a raw ]]> or < breaks the feed's XML
            assert_round_trips((el.text or "" for el in root.iter()), name)
    # every place's name and address are visible as text on the pages
    assert shown >= 2 * len(stored)
