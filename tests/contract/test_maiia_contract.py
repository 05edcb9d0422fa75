"""Maiia against the shared adapter contract (tests/contract/kit.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from aggregator.models import Status
from tests.adapters.recorded import MAIIA_NOW, MAIIA_PAGES, maiia_poll
from tests.contract.kit import AdapterContract, RecordedCase


class TestMaiiaContract(AdapterContract):
    platform = "maiia"
    discovers = True

    def recorded_cases(self) -> list[RecordedCase]:
        return [
            RecordedCase(
                name="three-pages-autumn-change",
                parse=lambda: maiia_poll(MAIIA_NOW, "consultation-reasons.json", *MAIIA_PAGES),
                status=Status.OK,
                slot_count=21,
                first_start=datetime(2026, 10, 23, 7, 0, tzinfo=UTC),
            ),
            RecordedCase(
                name="first-page-only",
                parse=lambda: maiia_poll(MAIIA_NOW, "consultation-reasons.json", MAIIA_PAGES[0]),
                status=Status.OK,
                slot_count=9,
                first_start=datetime(2026, 10, 23, 7, 0, tzinfo=UTC),
            ),
            RecordedCase(
                name="no-reason-phone-only",
                parse=lambda: maiia_poll(MAIIA_NOW, "consultation-reasons-none.json"),
                status=Status.PHONE_ONLY,
                slot_count=0,
                first_start=None,
            ),
        ]
