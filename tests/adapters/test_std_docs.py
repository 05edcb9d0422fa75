"""The configuration examples in docs/adapters.md for mapharma, SMART and iCalendar load
through the real config loader and build their adapters' locations."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import aiohttp

from aggregator.config import load_settings
from scrapers.client import PoliteClient
from scrapers.registry import load_adapter

DOC = Path(__file__).parents[2] / "docs" / "adapters.md"
MINE = {"mapharma", "smart_scheduling_links", "ical"}


async def test_documented_configs_load(tmp_path: Path) -> None:
    blocks = [textwrap.dedent(b) for b in re.findall(r"```toml\n(.*?)```", DOC.read_text(),
                                                     re.S)]
    seen: set[str] = set()
    async with aiohttp.ClientSession() as session:
        for i, block in enumerate(blocks):
            path = tmp_path / f"example{i}.toml"
            path.write_text(block, encoding="utf-8")
            for provider in load_settings(path, environ={}).providers:
                if provider.platform not in MINE:
                    continue
                seen.add(provider.platform)
                client = PoliteClient(session, provider.platform, provider.base_url)
                adapter = load_adapter(provider.platform)(client, provider)
                if provider.platform == "ical":  # no request: locations from the config
                    found = await adapter.discover()
                    assert [loc.id for loc in found] == ["ical:ker-avel", "ical:msp-vannes"]
                    assert found[0].extra["slot_minutes"] == "20"
    assert seen == MINE
