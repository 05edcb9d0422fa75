"""Recorded Keldoc and Maiia answers (tests/fixtures/<platform>/) run through the adapters'
pure parse functions, as the contract kit's RecordedCase wants them: no I/O but reading."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aggregator.models import PollResult
from scrapers.keldoc import parse as keldoc
from scrapers.maiia import parse as maiia

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WEEK = timedelta(days=7)
KELDOC_URL = "https://www.keldoc.example/centre-de-vaccination/lyon-69004/croix-rousse"
MAIIA_URL = "https://www.maiia.example/centre-de-vaccination/49100-angers/capucins"
MAIIA_PHONE = "+33241001122"


def load(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


def keldoc_motive() -> keldoc.MotiveQuery:
    """The one on-site motive both recorded cabinets offer, over all their agendas."""
    per_cabinet = [
        keldoc.parse_motive_categories(load("keldoc", f"motive-categories-{cabinet}.json"))
        for cabinet in (30411, 30412)
    ]
    (motive,) = keldoc.merge_motives(per_cabinet)
    return motive


def keldoc_poll(now: datetime, *timetables: str) -> PollResult:
    motive = keldoc_motive()
    answers = [
        keldoc.parse_timetable(load("keldoc", name), motive.name, KELDOC_URL) for name in timetables
    ]
    # cabinets + one motive-categories per cabinet + the timetables
    return keldoc.timetable_result(answers, now, now + WEEK, requests=3 + len(answers))


def maiia_poll(now: datetime, reasons: str, *pages: str) -> PollResult:
    listed = maiia.parse_page(load("maiia", reasons), "consultation-reason-hcd")
    on_site = maiia.parse_reasons(listed)
    keyed = [
        item
        for name in pages
        for item in maiia.parse_availabilities(
            maiia.parse_page(load("maiia", name), "availabilities"), on_site[0].name, MAIIA_URL
        )
    ]
    return maiia.availability_result(
        keyed,
        now,
        now + WEEK,
        requests=1 + len(pages),
        reasons_listed=len(listed.items),
        reasons_on_site=len(on_site),
        phone=MAIIA_PHONE,
    )


KELDOC_DST_NOW = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
KELDOC_LOCAL_NOW = datetime(2026, 10, 24, 0, 0, tzinfo=UTC)
MAIIA_NOW = datetime(2026, 10, 23, 6, 0, tzinfo=UTC)
MAIIA_PAGES = (
    "availabilities-page-a.json",
    "availabilities-page-b.json",
    "availabilities-page-c.json",
)
