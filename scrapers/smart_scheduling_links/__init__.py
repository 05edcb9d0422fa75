"""SMART Scheduling Links: one ``$bulk-publish`` manifest, NDJSON files for everything.

Requests: a poll GETs the small manifest (1 request; none if ``manifest_max_age`` seconds
have not passed since the last check) and downloads the Location/Schedule/Slot files only
when the manifest's ``transactionTime`` changed; every other poll of the cycle answers from
the parsed snapshot. So a cycle over N locations costs N manifest requests (or fewer) plus
the files once per publication.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from urllib.parse import urljoin

from aggregator.models import Location, PollResult
from scrapers.base import Adapter, ProviderSettings
from scrapers.client import PoliteClient
from scrapers.errors import ParseError
from scrapers.smart_scheduling_links.parse import (
    PLATFORM,
    Snapshot,
    build_snapshot,
    location_result,
    parse_manifest,
)

DEFAULT_MANIFEST = "$bulk-publish"


class SmartSchedulingLinksAdapter(Adapter):
    platform = PLATFORM
    display_name = "SMART Scheduling Links"

    def __init__(self, client: PoliteClient, settings: ProviderSettings) -> None:
        super().__init__(client, settings)
        self.manifest_url = str(settings.options.get("manifest_url", DEFAULT_MANIFEST))
        try:
            self.max_age = float(settings.options.get("manifest_max_age", 0))
        except (TypeError, ValueError) as exc:
            raise ParseError("smart_scheduling_links options: bad manifest_max_age") from exc
        self._snapshot: Snapshot | None = None
        self._checked_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def snapshot(self, now: datetime) -> tuple[Snapshot, int]:
        """The current publication and the requests spent getting it."""
        snap, checked = self._snapshot, self._checked_at
        if snap is not None and checked is not None and (
            0 <= (now - checked).total_seconds() < self.max_age
        ):
            return snap, 0
        manifest = parse_manifest(await self.client.get_json(self.manifest_url))
        spent = 1
        async with self._lock:  # concurrent polls: one downloads, the others reuse
            current = self._snapshot
            if current is None or current.transaction_time != manifest.transaction_time:
                files: dict[str, list[str]] = {}
                where = self.client.url(self.manifest_url)
                for kind, url in manifest.urls:  # relative file URLs: from the manifest's
                    text = await self.client.get_text(urljoin(where, url))
                    files.setdefault(kind, []).append(text)
                    spent += 1
                current = self._snapshot = build_snapshot(manifest, files)
            self._checked_at = now
        return current, spent

    async def discover(self) -> list[Location]:
        snap, _ = await self.snapshot(self.client.clock.now())
        return list(snap.locations.values())

    async def poll(self, location: Location, now: datetime) -> PollResult:
        snap, spent = await self.snapshot(now)
        return location_result(snap, location.upstream_id, now, self.horizon(now), spent)
