"""Keldoc payloads -> normalized models. Pure functions, no I/O.

Shapes: the search listing ``{options: {next_page}, results: {section_*: {data: [centre]}}}``;
``clinics/<id>/specialties/<s>/cabinets`` -> ``[{id, ...}]``; ``.../cabinets/<c>/motive_categories``
-> ``[{motive_category_id, name, motives: [{id, name, teleconsultation, agendas: [{id}]}]}]``;
``timetables/<motive>`` answers in one of three forms: ``{availabilities: {date: [slot]}}``,
a pointer ``{date, text}`` to the next free slot, or a phone-only notice
``{text, num, phone_number}``. An empty object means nothing to offer.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aggregator.models import Location, PollResult, Slot
from aggregator.normalize import area_from_postcode, normalize_phone, slugify
from scrapers.errors import ParseError
from scrapers.outcome import poll_result
from scrapers.shape import build, expect, optional, parse_day, parse_instant, require

PLATFORM = "keldoc"
SECTION_PREFIX = "section_"


@dataclass(frozen=True)
class ListingPage:
    locations: tuple[Location, ...]
    has_next: bool


@dataclass(frozen=True)
class MotiveQuery:
    """One timetable series: a motive and every agenda (over all cabinets) offering it."""

    motive_id: int
    name: str
    agenda_ids: tuple[int, ...]


@dataclass(frozen=True)
class Timetable:
    """One timetable answer; ``slots`` are keyed by (agenda, start, motive) for dedupe."""

    slots: tuple[tuple[Hashable, Slot], ...] = ()
    next_date: datetime | None = None
    phone: str | None = None  # set when the motive is bookable by phone only

    @property
    def phone_only(self) -> bool:
        return self.phone is not None


def _coordinates(raw: Any, where: str) -> tuple[float | None, float | None]:
    """``"lat,lon"`` as Keldoc writes it; absent is fine, garbage is not."""
    if raw in (None, ""):
        return None, None
    text = expect(raw, str, f"{where}.coordinates")
    try:
        lat, lon = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise ParseError(f"{where}: unreadable field 'coordinates' {text!r}") from exc
    return lat, lon


def parse_listing(payload: Any, base_url: str) -> ListingPage:
    """One page of the search listing -> locations (one per clinic)."""
    options = require(payload, "options", dict, "keldoc listing")
    results = require(payload, "results", dict, "keldoc listing")
    locations: list[Location] = []
    for section_name, section in results.items():
        if not section_name.startswith(SECTION_PREFIX):
            continue
        where = f"keldoc listing.results.{section_name}"
        for centre in require(section, "data", list, where):
            locations.append(_centre(centre, base_url))
    return ListingPage(tuple(locations), bool(options.get("next_page")))


def _centre(centre: Any, base_url: str) -> Location:
    where = "keldoc listing.data[]"
    upstream_id = str(require(centre, "id", int, where))
    link = require(centre, "url", str, where)
    cabinet = require(centre, "cabinet", dict, where)
    specialties = require(centre, "specialty_ids", list, where)
    for specialty in specialties:
        expect(specialty, int, f"{where}.specialty_ids[]")
    lat, lon = _coordinates(centre.get("coordinates"), where)
    postcode = str(optional(cabinet, "zipcode", str, f"{where}.cabinet", ""))
    return build(
        Location,
        where,
        id=Location.make_id(PLATFORM, upstream_id),
        platform=PLATFORM,
        upstream_id=upstream_id,
        name=require(centre, "title", str, where).strip(),
        address=str(optional(cabinet, "location", str, f"{where}.cabinet", "")).strip(),
        postcode=postcode,
        city=str(optional(cabinet, "city", str, f"{where}.cabinet", "")).strip(),
        area=area_from_postcode(postcode),
        lat=lat,
        lon=lon,
        booking_url=base_url.rstrip("/") + link,
        phone=normalize_phone(str(optional(centre, "phone_number", str, where, ""))),
        extra={"specialty_ids": ",".join(str(s) for s in specialties)},
    )


def parse_clinic(payload: Any) -> list[int]:
    """A clinic's info ``{id, specialties: [{id, name, skills}]}`` -> its specialty ids."""
    specialties = require(payload, "specialties", list, "keldoc clinic")
    return [require(s, "id", int, "keldoc clinic.specialties[]") for s in specialties]


def parse_cabinets(payload: Any) -> list[int]:
    """``cabinets`` of one clinic and specialty -> cabinet ids."""
    cabinets = expect(payload, list, "keldoc cabinets")
    return [require(cabinet, "id", int, "keldoc cabinets[]") for cabinet in cabinets]


def parse_motive_categories(payload: Any) -> list[MotiveQuery]:
    """One cabinet's motive categories -> the motives bookable on site, with their agendas.
    Teleconsultations and motives without an agenda are not on-site slots: skipped."""
    categories = expect(payload, list, "keldoc motive_categories")
    queries: list[MotiveQuery] = []
    for category in categories:
        for motive in require(category, "motives", list, "keldoc motive_categories[]"):
            where = "keldoc motive_categories[].motives[]"
            motive_id = require(motive, "id", int, where)
            name = require(motive, "name", str, where)
            if optional(motive, "teleconsultation", bool, where, False):
                continue
            agendas = [
                require(agenda, "id", int, f"{where}.agendas[]")
                for agenda in require(motive, "agendas", list, where)
            ]
            if agendas:
                queries.append(MotiveQuery(motive_id, " ".join(name.split()), tuple(agendas)))
    return queries


def merge_motives(per_cabinet: Iterable[list[MotiveQuery]]) -> list[MotiveQuery]:
    """A motive offered by several cabinets is one timetable series over all its agendas,
    so no slot is fetched (or counted) twice."""
    names: dict[int, str] = {}
    agendas: dict[int, set[int]] = {}
    for queries in per_cabinet:
        for query in queries:
            names.setdefault(query.motive_id, query.name)
            agendas.setdefault(query.motive_id, set()).update(query.agenda_ids)
    return [
        MotiveQuery(motive_id, names[motive_id], tuple(sorted(agendas[motive_id])))
        for motive_id in sorted(names)
    ]


def parse_timetable(payload: Any, motive_name: str, booking_url: str) -> Timetable:
    """One ``timetables/<motive>`` answer, in whichever of its three forms it came."""
    where = "keldoc timetable"
    expect(payload, dict, where)
    if not payload:
        return Timetable()
    if "availabilities" not in payload:
        if "date" in payload:
            return Timetable(next_date=parse_instant(payload["date"], f"{where}.date"))
        if "phone_number" in payload or "num" in payload:
            raw = payload.get("phone_number") or payload.get("num")
            phone = normalize_phone(str(expect(raw, str, f"{where}.phone_number")))
            return Timetable(phone=phone)
        raise ParseError(f"{where}: missing field 'availabilities'")
    days = payload["availabilities"]
    if days == []:  # an empty map sometimes serialized as an empty list
        days = {}
    expect(days, dict, f"{where}.availabilities")
    kind = slugify(motive_name)
    slots: list[tuple[Hashable, Slot]] = []
    for day, items in days.items():
        parse_day(day, f"{where}.availabilities key")
        for item in expect(items, list, f"{where}.availabilities[{day}]"):
            slots.append(_slot(item, kind, booking_url))
    pointer = payload.get("date")
    next_date = parse_instant(pointer, f"{where}.date") if pointer is not None else None
    return Timetable(slots=tuple(slots), next_date=next_date)


def _slot(item: Any, kind: str, booking_url: str) -> tuple[Hashable, Slot]:
    where = "keldoc timetable.availabilities[][]"
    start = parse_instant(require(item, "start_time", str, where), f"{where}.start_time")
    end_raw = optional(item, "end_time", str, where, None)
    end = parse_instant(end_raw, f"{where}.end_time") if end_raw is not None else None
    agenda = optional(item, "agenda_id", int, where, None)
    slot = build(Slot, where, start=start, end=end, appointment_type=kind, booking_url=booking_url)
    return (agenda, start, kind), slot


def timetable_result(
    answers: Iterable[Timetable],
    now: datetime,
    horizon: datetime,
    *,
    requests: int,
    phone: str = "",
    motives: int = 1,
) -> PollResult:
    """Every timetable answer of one poll -> its PollResult. A phone-only notice makes the
    place PHONE_ONLY unless another motive has slots online."""
    answers = list(answers)
    phones = [answer.phone for answer in answers if answer.phone is not None]
    return poll_result(
        (item for answer in answers for item in answer.slots),
        now,
        horizon,
        requests=requests,
        phone_only=bool(phones),
        phone=next((p for p in phones if p), phone),
        message="" if motives else "no bookable motive online",
    )
