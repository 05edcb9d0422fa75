"""Whatever upstream sends, the three standard parsers answer with models or ParseError:
never KeyError, TypeError, ValidationError... (fixtures mutated at random paths)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.errors import ParseError
from scrapers.ical.parse import FeedRules, parse_feed
from scrapers.mapharma.parse import Campaign, parse_calendar, parse_open_data
from scrapers.smart_scheduling_links.parse import build_snapshot, parse_manifest

FIXTURES = Path(__file__).parents[1] / "fixtures"
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["2026-03-29", "02:30", "25:00", "free", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fixture(*parts: str) -> Any:
    return json.loads(FIXTURES.joinpath(*parts).read_text(encoding="utf-8"))


def mutate(value: Any, data: st.DataObject) -> Any:
    """Replace one node (chosen by walking down at random) with arbitrary JSON."""
    if not isinstance(value, dict | list) or not value or data.draw(st.integers(0, 3)) == 0:
        return data.draw(JSON)
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = data.draw(st.sampled_from(keys))
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = mutate(value[key], data)  # type: ignore[index]
    return copy


def only_parse_errors(call: Any, *args: Any) -> None:
    with contextlib.suppress(ParseError):  # anything else fails the test
        call(*args)


@FUZZ
@given(st.data())
def test_mapharma_calendar_and_listing(data: st.DataObject) -> None:
    campaign = Campaign(1, 1, "Rappel", "https://mapharma.net/x")
    only_parse_errors(parse_calendar, mutate(fixture("mapharma", "calendar_spring_dst.json"),
                                             data), campaign)
    only_parse_errors(parse_open_data, mutate(fixture("mapharma", "open_data.json"), data))


def smart_files(data: st.DataObject) -> dict[str, list[str]]:
    base = FIXTURES / "smart_scheduling_links"
    files: dict[str, list[str]] = {}
    for kind, name in (("Location", "locations.ndjson"), ("Schedule", "schedules.ndjson"),
                       ("Slot", "slots-2026-W13.ndjson")):
        lines = [json.loads(x) for x in (base / name).read_text().splitlines() if x.strip()]
        index = data.draw(st.integers(0, len(lines) - 1))
        lines[index] = mutate(lines[index], data)
        files[kind] = ["\n".join(json.dumps(x) for x in lines)]
    return files


@FUZZ
@given(st.data())
def test_smart_manifest_and_resources(data: st.DataObject) -> None:
    only_parse_errors(parse_manifest, mutate(fixture("smart_scheduling_links",
                                                     "manifest.json"), data))
    manifest = parse_manifest(fixture("smart_scheduling_links", "manifest.json"))
    only_parse_errors(build_snapshot, manifest, smart_files(data))


ICS_NOISE = st.sampled_from([
    "", ":", ";", '"', "\\", "Z", "T", "20260229T250000", "19000101T000000", "PT", "P1X",
    "-P1D", "/", ",", "TZID=Nowhere", "FBTYPE=FREE", "99991231T235959Z", "+2500", "ÿ",
]) | st.text(max_size=6)


@FUZZ
@given(st.data())
def test_ical_feeds(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["feed_vtimezone.ics", "feed_recurring.ics"]))
    lines = (FIXTURES / "ical" / name).read_bytes().decode().split("\r\n")
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        cut = data.draw(st.integers(0, len(line)))
        action = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        noise = data.draw(ICS_NOISE)
        if action == "replace":
            lines[index] = line[:cut] + noise + line[cut + len(noise):]
        elif action == "insert":
            lines[index] = line[:cut] + noise + line[cut:]
        elif action == "delete":
            del lines[index]
        else:
            lines = lines[:index]
        if not lines:
            lines = [""]
    now = datetime(2026, 3, 27, tzinfo=UTC)
    only_parse_errors(parse_feed, "\r\n".join(lines), FeedRules(slot_minutes=20),
                      (now, now + timedelta(days=7)))
