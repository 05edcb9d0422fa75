"""Mapharma against the shared adapter contract (tests/contract/kit.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aggregator.models import PollResult, Status
from scrapers.mapharma.parse import (
    Campaign,
    campaigns_of,
    parse_calendar,
    parse_open_data,
)
from scrapers.window import offline_result, window_result
from tests.contract.kit import AdapterContract, RecordedCase

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mapharma"
CAMPAIGN = Campaign(4411, 1, "Vaccination grippe saisonnière", "https://mapharma.net/35400-3")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def calendar_case(name: str, now: datetime) -> PollResult:
    return window_result(parse_calendar(load(name), CAMPAIGN), now, now + timedelta(days=7), 1)


def phone_only_case() -> PollResult:
    now = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
    pharmacy = next(p for p in parse_open_data(load("open_data.json")) if not campaigns_of(p))
    return offline_result(pharmacy.phone, "no online campaign", now)


class TestMapharmaContract(AdapterContract):
    platform = "mapharma"
    discovers = True

    def recorded_cases(self) -> list[RecordedCase]:
        spring = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
        autumn = datetime(2026, 10, 23, 7, 0, tzinfo=UTC)
        return [
            RecordedCase("spring DST week with capacities and booked entries",
                         lambda: calendar_case("calendar_spring_dst.json", spring),
                         Status.OK, 4, datetime(2026, 3, 28, 8, 0, tzinfo=UTC)),
            RecordedCase("autumn DST ambiguous hour",
                         lambda: calendar_case("calendar_autumn_dst.json", autumn),
                         Status.OK, 3, datetime(2026, 10, 24, 16, 15, tzinfo=UTC)),
            RecordedCase("empty calendar",
                         lambda: calendar_case("calendar_empty.json", spring),
                         Status.NO_SLOTS, 0, None),
            RecordedCase("pharmacy without online campaign", phone_only_case,
                         Status.PHONE_ONLY, 0, None),
        ]
