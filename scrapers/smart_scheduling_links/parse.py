"""SMART Scheduling Links payloads -> normalized models. Pure functions, no I/O.

The standard (github.com/smart-on-fhir/smart-scheduling-links): a ``$bulk-publish`` manifest
``{transactionTime, request, output: [{type, url}], error}`` lists NDJSON files of FHIR
``Location``, ``Schedule`` (``actor: [{reference: "Location/<id>"}]``, ``serviceType``) and
``Slot`` (``schedule.reference``, ``status`` free/busy, ``start``/``end`` instants with an
offset, extensions ``booking-deep-link``, ``booking-phone``, ``slot-capacity``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from aggregator.models import Location, PollResult, Slot
from aggregator.normalize import area_from_postcode, normalize_phone, slugify
from scrapers.errors import ParseError
from scrapers.localtime import plausible
from scrapers.window import offline_result, window_result

PLATFORM = "smart_scheduling_links"
KINDS = ("Location", "Schedule", "Slot")
SLOT_STATUSES = {"free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error"}
MAX_CAPACITY = 10_000


@dataclass(frozen=True)
class Manifest:
    transaction_time: datetime
    files: dict[str, tuple[str, ...]]  # resource type -> NDJSON urls, in manifest order

    @property
    def urls(self) -> list[tuple[str, str]]:
        return [(kind, url) for kind in KINDS for url in self.files.get(kind, ())]


@dataclass(frozen=True)
class ScheduleInfo:
    location_ids: tuple[str, ...]
    appointment_type: str


@dataclass
class Snapshot:
    """Everything one manifest publishes, indexed by location."""

    transaction_time: datetime
    locations: dict[str, Location] = field(default_factory=dict)
    slots: dict[str, list[Slot]] = field(default_factory=dict)
    scheduled: set[str] = field(default_factory=set)  # locations with a Schedule


def _fail(where: str, what: str) -> ParseError:
    return ParseError(f"smart_scheduling_links {where}: {what}")


def _field(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict):
        raise _fail(where, f"expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise _fail(where, f"missing field {key!r}")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise _fail(where, f"field {key!r} has type {type(value).__name__}")
    return value


def parse_instant(raw: Any, where: str) -> datetime:
    """FHIR instants always carry an offset (or Z); a naive one is a publisher bug."""
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError as exc:
        raise _fail(where, f"unreadable instant {raw!r}") from exc
    if not isinstance(raw, str) or value.tzinfo is None:
        raise _fail(where, f"instant {raw!r} has no offset")
    return plausible(value, f"smart_scheduling_links {where}")


def parse_manifest(payload: Any) -> Manifest:
    when = parse_instant(_field(payload, "transactionTime", str, "manifest"),
                         "manifest.transactionTime")
    files: dict[str, list[str]] = {}
    for entry in _field(payload, "output", list, "manifest"):
        kind = _field(entry, "type", str, "manifest.output[]")
        url = _field(entry, "url", str, "manifest.output[]")
        if kind in KINDS:
            files.setdefault(kind, []).append(url)
    return Manifest(when, {k: tuple(v) for k, v in files.items()})


def parse_ndjson(text: str, kind: str) -> list[dict[str, Any]]:
    """One FHIR resource of ``kind`` per line; blank lines are allowed."""
    out: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{kind} ndjson line {number}"
        try:
            resource = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(where, f"invalid JSON: {exc.msg}") from exc
        if _field(resource, "resourceType", str, where) != kind:
            raise _fail(where, f"resourceType {resource['resourceType']!r}, expected {kind!r}")
        out.append(resource)
    return out


def _extensions(resource: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Extension name (last segment of its url) -> its value[x]."""
    raw = resource.get("extension", [])
    if not isinstance(raw, list):
        raise _fail(where, "field 'extension' should be a list")
    out: dict[str, Any] = {}
    for ext in raw:
        name = _field(ext, "url", str, f"{where}.extension[]").rstrip("/").rsplit("/", 1)[-1]
        values = [v for k, v in ext.items() if k.startswith("value")]
        if values:
            out[name] = values[0]
    return out


def _list(resource: Mapping[str, Any], key: str) -> list[Any]:
    """An optional list field; anything else there counts as absent."""
    value = resource.get(key)
    return value if isinstance(value, list) else []


def _telecom(resource: Mapping[str, Any], system: str) -> str:
    for entry in _list(resource, "telecom"):
        if isinstance(entry, dict) and entry.get("system") == system:
            return str(entry.get("value") or "")
    return ""


def _area(address: Mapping[str, Any]) -> str:
    """French feeds: the département from the postcode; elsewhere the state or district."""
    country = str(address.get("country") or "FR").upper()
    if country in {"FR", "FRA", "FRANCE"}:
        return area_from_postcode(str(address.get("postalCode") or ""))
    return str(address.get("state") or address.get("district") or "unknown")[:16] or "unknown"


def parse_location(resource: dict[str, Any]) -> Location:
    where = "Location"
    ident = _field(resource, "id", str, where)
    address = resource.get("address") or {}
    position = resource.get("position") or {}
    if not isinstance(address, dict) or not isinstance(position, dict):
        raise _fail(where, f"{ident}: address/position should be objects")
    lines = address.get("line") or []
    try:
        return Location(
            id=Location.make_id(PLATFORM, ident),
            platform=PLATFORM,
            upstream_id=ident,
            name=str(_field(resource, "name", str, where)).strip() or ident,
            address=", ".join(str(x) for x in lines) if isinstance(lines, list) else "",
            postcode=str(address.get("postalCode") or ""),
            city=str(address.get("city") or ""),
            area=_area(address),
            lat=position.get("latitude"),
            lon=position.get("longitude"),
            booking_url=_telecom(resource, "url"),
            phone=normalize_phone(_telecom(resource, "phone")),
        )
    except ValidationError as exc:
        raise _fail(where, f"{ident}: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}") from exc


def _service_name(resource: Mapping[str, Any]) -> str:
    for service in _list(resource, "serviceType"):
        if not isinstance(service, dict):
            continue
        if isinstance(service.get("text"), str):
            return str(service["text"])
        for coding in _list(service, "coding"):
            if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                return str(coding["display"])
    return "general"


def parse_schedule(resource: dict[str, Any]) -> tuple[str, ScheduleInfo]:
    where = "Schedule"
    ident = _field(resource, "id", str, where)
    refs = [_field(a, "reference", str, f"{where}.actor[]")
            for a in _field(resource, "actor", list, where)]
    locations = tuple(r.split("/", 1)[1] for r in refs if r.startswith("Location/"))
    if not locations:
        raise _fail(where, f"{ident}: no Location actor")
    return ident, ScheduleInfo(locations, slugify(_service_name(resource)))


def parse_slot(resource: dict[str, Any]) -> tuple[str, Slot] | None:
    """(schedule id, slot) for a free slot, None for any other status."""
    where = "Slot"
    status = _field(resource, "status", str, where)
    if status not in SLOT_STATUSES:
        raise _fail(where, f"unknown status {status!r}")
    reference = _field(_field(resource, "schedule", dict, where), "reference", str,
                       f"{where}.schedule")
    start = parse_instant(_field(resource, "start", str, where), "Slot.start")
    end = parse_instant(_field(resource, "end", str, where), "Slot.end")
    ext = _extensions(resource, where)
    capacity = ext.get("slot-capacity", 1)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not (
        0 <= capacity <= MAX_CAPACITY
    ):
        raise _fail(where, f"absurd slot-capacity {capacity!r}")
    if end < start:
        raise _fail(where, f"ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if status != "free" or capacity == 0:
        return None
    link = ext.get("booking-deep-link", "")
    slot = Slot(start=start, end=end, capacity=capacity,
                booking_url=link if isinstance(link, str) else "")
    return reference.removeprefix("Schedule/"), slot


def build_snapshot(manifest: Manifest, files: Mapping[str, list[str]]) -> Snapshot:
    """Join the three resource kinds; slots of unknown schedules are dropped (orphans)."""
    snap = Snapshot(manifest.transaction_time)
    for text in files.get("Location", []):
        for resource in parse_ndjson(text, "Location"):
            location = parse_location(resource)
            snap.locations[location.upstream_id] = location
    schedules: dict[str, ScheduleInfo] = {}
    for text in files.get("Schedule", []):
        for resource in parse_ndjson(text, "Schedule"):
            ident, info = parse_schedule(resource)
            schedules[ident] = info
            snap.scheduled.update(info.location_ids)
    for text in files.get("Slot", []):
        for resource in parse_ndjson(text, "Slot"):
            found = parse_slot(resource)
            if found is None or found[0] not in schedules:
                continue
            info = schedules[found[0]]
            slot = found[1].model_copy(update={"appointment_type": info.appointment_type})
            for location_id in info.location_ids:
                snap.slots.setdefault(location_id, []).append(slot)
    return snap


def location_result(
    snap: Snapshot, upstream_id: str, now: datetime, horizon: datetime, requests: int
) -> PollResult:
    """One location's answer from a snapshot: a place published without any Schedule
    takes no online booking (PHONE_ONLY with its phone)."""
    published = snap.locations.get(upstream_id)
    if published is None:
        return offline_result("", "location no longer published", now, requests)
    if upstream_id not in snap.scheduled:
        return offline_result(published.phone, "no online schedule published", now, requests)
    slots = [
        s if s.booking_url else s.model_copy(update={"booking_url": published.booking_url})
        for s in snap.slots.get(upstream_id, [])
    ]
    return window_result(slots, now, horizon, requests, min(now, snap.transaction_time))
