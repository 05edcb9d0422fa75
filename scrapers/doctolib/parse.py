"""Doctolib payloads -> normalized models. Pure functions, no I/O.

Shapes: ``booking/<slug>.json`` lists visit motives, agendas (with the motives each offers
per practice) and places; ``availabilities.json`` answers per day with slots given either
as ISO strings or ``{start_date}`` objects, plus ``next_slot`` when the window is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aggregator.models import Location, Slot
from aggregator.normalize import area_from_postcode, normalize_phone, slugify
from scrapers.errors import ParseError

PLATFORM = "doctolib"


@dataclass(frozen=True)
class AvailabilityQuery:
    """One availabilities.json request: a practice, a motive and the agendas offering it."""

    practice_id: str
    motive_id: str
    motive_name: str
    agenda_ids: tuple[str, ...]


@dataclass(frozen=True)
class AvailabilityPage:
    slots: tuple[Slot, ...]
    next_slot: datetime | None
    total: int


def _require(obj: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ParseError(f"doctolib {where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise ParseError(
            f"doctolib {where}: field {key!r} should be {kind.__name__}, got {type(value).__name__}"
        )
    return value


def parse_datetime(raw: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (TypeError, ValueError) as exc:
        raise ParseError(f"doctolib {where}: unreadable datetime {raw!r}") from exc
    if value.tzinfo is None:
        raise ParseError(f"doctolib {where}: datetime {raw!r} has no UTC offset")
    return value


def parse_booking(payload: Any) -> list[AvailabilityQuery]:
    """The (practice, motive, agendas) combinations worth asking availabilities for."""
    data = _require(payload, "data", dict, "booking")
    motives = _require(data, "visit_motives", list, "booking.data")
    agendas = _require(data, "agendas", list, "booking.data")
    names: dict[str, str] = {}
    for motive in motives:
        motive_id = str(_require(motive, "id", int, "booking.visit_motives[]"))
        names[motive_id] = str(motive.get("name") or f"motive {motive_id}")
    offered: dict[tuple[str, str], list[str]] = {}
    for agenda in agendas:
        agenda_id = str(_require(agenda, "id", int, "booking.agendas[]"))
        if agenda.get("booking_disabled"):
            continue
        by_practice = agenda.get("visit_motive_ids_by_practice_id") or {}
        if not isinstance(by_practice, dict):
            raise ParseError(
                "doctolib booking.agendas[]: visit_motive_ids_by_practice_id should be an object"
            )
        for practice_id, motive_ids in by_practice.items():
            for motive_id in motive_ids or []:
                if str(motive_id) in names:
                    offered.setdefault((str(practice_id), str(motive_id)), []).append(agenda_id)
    return [
        AvailabilityQuery(practice, motive, names[motive], tuple(sorted(set(ids), key=int)))
        for (practice, motive), ids in sorted(offered.items())
    ]


def parse_availabilities(payload: Any, motive_name: str, booking_url: str) -> AvailabilityPage:
    days = _require(payload, "availabilities", list, "availabilities")
    kind = slugify(motive_name)
    slots: list[Slot] = []
    for day in days:
        for raw in _require(day, "slots", list, "availabilities[]"):
            if isinstance(raw, str):
                start = parse_datetime(raw, "availabilities[].slots[]")
                end = None
            elif isinstance(raw, dict):
                start = parse_datetime(
                    _require(raw, "start_date", str, "availabilities[].slots[]"),
                    "availabilities[].slots[]",
                )
                end_raw = raw.get("end_date")
                end = parse_datetime(end_raw, "slots[].end_date") if end_raw else None
            else:
                raise ParseError(
                    "doctolib availabilities[].slots[]: slot should be a string "
                    f"or an object, got {type(raw).__name__}"
                )
            slots.append(Slot(start=start, end=end, appointment_type=kind, booking_url=booking_url))
    next_raw = payload.get("next_slot")
    next_slot = parse_datetime(next_raw, "next_slot") if isinstance(next_raw, str) else None
    total = payload.get("total")
    return AvailabilityPage(
        tuple(slots), next_slot, total if isinstance(total, int) else len(slots)
    )


def parse_search(payload: Any, base_url: str) -> list[Location]:
    """The listing (``search.json``) -> locations; one per centre profile."""
    data = _require(payload, "data", dict, "search")
    doctors = _require(data, "doctors", list, "search.data")
    locations: list[Location] = []
    for doc in doctors:
        upstream_id = str(_require(doc, "id", int, "search.doctors[]"))
        link = str(_require(doc, "link", str, "search.doctors[]"))
        slug = link.rstrip("/").rsplit("/", 1)[-1]
        position = doc.get("position") or {}
        postcode = str(doc.get("zipcode") or "")
        locations.append(
            Location(
                id=Location.make_id(PLATFORM, upstream_id),
                platform=PLATFORM,
                upstream_id=upstream_id,
                name=str(doc.get("name_with_title") or doc.get("last_name") or slug),
                address=str(doc.get("address") or ""),
                postcode=postcode,
                city=str(doc.get("city") or ""),
                area=area_from_postcode(postcode),
                lat=position.get("lat"),
                lon=position.get("lng"),
                booking_url=base_url.rstrip("/") + link,
                phone=normalize_phone(str(doc.get("phone_number") or "")),
                extra={"slug": slug},
            )
        )
    return locations
