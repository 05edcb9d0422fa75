"""Keldoc against the shared adapter contract (tests/contract/kit.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from aggregator.models import Status
from tests.adapters.recorded import KELDOC_DST_NOW, KELDOC_LOCAL_NOW, keldoc_poll
from tests.contract.kit import AdapterContract, RecordedCase


class TestKeldocContract(AdapterContract):
    platform = "keldoc"
    discovers = True

    def recorded_cases(self) -> list[RecordedCase]:
        return [
            RecordedCase(
                name="dst-week-two-agendas",
                parse=lambda: keldoc_poll(KELDOC_DST_NOW, "timetable-dst-week.json"),
                status=Status.OK,
                slot_count=4,
                first_start=datetime(2026, 3, 27, 8, 0, tzinfo=UTC),
            ),
            RecordedCase(
                name="local-times-autumn-change",
                parse=lambda: keldoc_poll(KELDOC_LOCAL_NOW, "timetable-local-times.json"),
                status=Status.OK,
                slot_count=3,
                first_start=datetime(2026, 10, 24, 14, 30, tzinfo=UTC),
            ),
            RecordedCase(
                name="phone-only",
                parse=lambda: keldoc_poll(KELDOC_DST_NOW, "timetable-phone-only.json"),
                status=Status.PHONE_ONLY,
                slot_count=0,
                first_start=None,
            ),
            RecordedCase(
                name="next-availability-pointer",
                parse=lambda: keldoc_poll(KELDOC_DST_NOW, "timetable-next-availability.json"),
                status=Status.NO_SLOTS,
                slot_count=0,
                first_start=None,
            ),
        ]
