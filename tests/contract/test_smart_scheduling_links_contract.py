"""SMART Scheduling Links against the shared adapter contract (tests/contract/kit.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.models import PollResult, Status
from scrapers.smart_scheduling_links.parse import (
    build_snapshot,
    location_result,
    parse_manifest,
)
from tests.contract.kit import AdapterContract, RecordedCase

FIXTURES = Path(__file__).parents[1] / "fixtures" / "smart_scheduling_links"
NOW = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)


def poll_recorded(upstream_id: str) -> PollResult:
    manifest = parse_manifest(json.loads((FIXTURES / "manifest.json").read_text()))
    files: dict[str, list[str]] = {}
    for kind, url in manifest.urls:
        files.setdefault(kind, []).append((FIXTURES / url.rsplit("/", 1)[1]).read_text())
    snapshot = build_snapshot(manifest, files)
    return location_result(snapshot, upstream_id, NOW, NOW + timedelta(days=7),
                           1 + len(manifest.urls))


class TestSmartSchedulingLinksContract(AdapterContract):
    platform = "smart_scheduling_links"
    body_limit = 1_000_000  # a bulk Slot file holds days of several places
    discovers = True

    def recorded_cases(self) -> list[RecordedCase]:
        return [
            RecordedCase("centre across the spring DST change, busy and orphan slots ignored",
                         lambda: poll_recorded("ctr-quimper"), Status.OK, 3,
                         datetime(2026, 3, 28, 8, 0, tzinfo=UTC)),
            RecordedCase("US clinic, offset -04:00", lambda: poll_recorded("clinic-boston"),
                         Status.OK, 1, datetime(2026, 3, 30, 13, 0, tzinfo=UTC)),
            RecordedCase("location without a Schedule", lambda: poll_recorded("pharma-brest"),
                         Status.PHONE_ONLY, 0, None),
        ]
