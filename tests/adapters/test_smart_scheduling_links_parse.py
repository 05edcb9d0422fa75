"""SMART Scheduling Links pure parsers on this project's fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator.models import Status
from scrapers.errors import ParseError
from scrapers.smart_scheduling_links.parse import (
    Snapshot,
    build_snapshot,
    location_result,
    parse_manifest,
    parse_ndjson,
    parse_slot,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "smart_scheduling_links"
NOW = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
EXT = "http://fhir-registry.smarthealthit.org/StructureDefinition/"


def snapshot() -> Snapshot:
    manifest = parse_manifest(json.loads((FIXTURES / "manifest.json").read_text()))
    files: dict[str, list[str]] = {}
    for kind, url in manifest.urls:
        files.setdefault(kind, []).append((FIXTURES / url.rsplit("/", 1)[1]).read_text())
    return build_snapshot(manifest, files)


def test_manifest_lists_known_resource_files_in_order() -> None:
    manifest = parse_manifest(json.loads((FIXTURES / "manifest.json").read_text()))
    assert manifest.transaction_time == datetime(2026, 3, 27, 6, 0, tzinfo=UTC)
    assert [kind for kind, _ in manifest.urls] == ["Location", "Schedule", "Slot", "Slot"]
    assert manifest.urls[2][1].endswith("slots-2026-W13.ndjson")


def test_free_slots_joined_to_their_location_busy_and_orphans_ignored() -> None:
    result = location_result(snapshot(), "ctr-quimper", NOW, NOW + timedelta(days=7), 3)
    assert result.status is Status.OK and result.requests == 3
    got = [(s.start.astimezone(UTC), s.appointment_type, s.capacity, s.booking_url)
           for s in result.slots]
    assert got == [
        (datetime(2026, 3, 28, 8, 0, tzinfo=UTC), "rappel-covid-19", 1,
         "https://rdv.example.fr/quimper?slot=s1"),
        (datetime(2026, 3, 29, 7, 0, tzinfo=UTC), "premiere-injection", 5,
         "https://rdv.example.fr/quimper"),  # no deep link: the Location's url
        (datetime(2026, 3, 30, 12, 45, tzinfo=UTC), "rappel-covid-19", 1,
         "https://rdv.example.fr/quimper?slot=s6"),
    ]
    assert result.slots[0].end == datetime(2026, 3, 28, 8, 15, tzinfo=UTC)


def test_horizon_cuts_the_window() -> None:
    result = location_result(snapshot(), "ctr-quimper", NOW, datetime(2026, 3, 29, 7, 0,
                                                                        tzinfo=UTC), 0)
    assert [s.start.astimezone(UTC).day for s in result.slots] == [28]


def test_location_without_schedule_is_phone_only() -> None:
    result = location_result(snapshot(), "pharma-brest", NOW, NOW + timedelta(days=7), 1)
    assert result.status is Status.PHONE_ONLY and result.phone == "+33298445566"
    assert result.slots == ()


def test_locations_areas_french_postcode_or_foreign_state() -> None:
    locations = snapshot().locations
    assert locations["ctr-quimper"].area == "29"
    assert locations["ctr-quimper"].address == "5 boulevard de Kerguélen, Bâtiment B"
    assert locations["clinic-boston"].area == "MA"
    boston = location_result(snapshot(), "clinic-boston", NOW, NOW + timedelta(days=7), 1)
    assert boston.slots[0].start == datetime(2026, 3, 30, 13, 0, tzinfo=UTC)
    assert boston.slots[0].appointment_type == "general"
    gone = location_result(snapshot(), "closed-centre", NOW, NOW + timedelta(days=7), 1)
    assert gone.status is Status.NO_SLOTS


def slot(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "resourceType": "Slot", "id": "x", "schedule": {"reference": "Schedule/a"},
        "status": "free", "start": "2026-03-28T09:00:00+01:00",
        "end": "2026-03-28T09:15:00+01:00",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        (slot(start=None, startTime="2026-03-28T09:00:00+01:00"), "'start'"),
        (slot(start="2026-03-28T09:00:00"), "no offset"),
        (slot(start="28/03/2026 09:00"), "unreadable instant"),
        (slot(start="0001-01-01T00:00:00Z"), "absurd date"),
        (slot(status="available"), "status"),
        (slot(schedule="Schedule/a"), "schedule"),
        (slot(end="2026-03-28T08:00:00+01:00"), "before it starts"),
        (slot(extension=[{"url": EXT + "slot-capacity", "valueInteger": -1}]), "slot-capacity"),
        (slot(extension=[{"url": EXT + "slot-capacity", "valueString": "5"}]), "slot-capacity"),
        (slot(extension={"url": EXT + "slot-capacity"}), "extension"),
    ],
)
def test_bad_slots_raise_parse_error(resource: dict[str, Any], field: str) -> None:
    with pytest.raises(ParseError, match="smart_scheduling_links") as err:
        parse_slot(resource)
    assert field in str(err.value)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"output": []}, "transactionTime"),
        ({"transactionTime": "2026-03-27T06:00:00Z"}, "output"),
        ({"transactionTime": "2026-03-27T06:00:00Z", "output": [{"type": "Slot",
                                                                 "href": "x"}]}, "'url'"),
        ({"transactionTime": "yesterday", "output": []}, "transactionTime"),
        ([], "expected an object"),
    ],
)
def test_bad_manifests_raise_parse_error(payload: Any, field: str) -> None:
    with pytest.raises(ParseError, match="smart_scheduling_links manifest") as err:
        parse_manifest(payload)
    assert field in str(err.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"resourceType":"Slot","id":"1"}\n{"resourceType":"Sl', "line 2: invalid JSON"),
        ('{"resourceType":"Location","id":"1"}\n', "expected 'Slot'"),
        ('["Slot"]\n', "expected an object"),
    ],
)
def test_bad_ndjson_raises_parse_error(text: str, field: str) -> None:
    with pytest.raises(ParseError, match="smart_scheduling_links Slot ndjson") as err:
        parse_ndjson(text, "Slot")
    assert field in str(err.value)


def test_bad_location_and_schedule_resources() -> None:
    manifest = parse_manifest({"transactionTime": "2026-03-27T06:00:00Z", "output": []})
    bad_location = '{"resourceType":"Location","id":"1","name":"A","position":' \
                   '{"latitude":123,"longitude":0}}'
    with pytest.raises(ParseError, match="Location: 1"):
        build_snapshot(manifest, {"Location": [bad_location]})
    orphan_schedule = ('{"resourceType":"Schedule","id":"s",'
                       '"actor":[{"reference":"Practitioner/1"}]}')
    with pytest.raises(ParseError, match="Schedule: s: no Location actor"):
        build_snapshot(manifest, {"Schedule": [orphan_schedule]})
