"""Doctolib payloads -> normalized models. Pure functions, no I/O.

Shapes: ``booking/<slug>.json`` lists visit motives, agendas (with the motives each offers
per practice) and places; ``availabilities.json`` answers per day with slots given either
as ISO strings or ``{start_date}`` objects, plus ``next_slot`` when the window is empty.
Times without an offset are Europe/Paris wall-clock times.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from aggregator.models import Location, PollResult, Slot, Status
from aggregator.normalize import area_from_postcode, normalize_phone, slugify
from scrapers.errors import ParseError

PLATFORM = "doctolib"
PARIS = ZoneInfo("Europe/Paris")
PAGE_DAYS = 7


@dataclass(frozen=True)
class AvailabilityQuery:
    """One availabilities.json request: a practice, a motive and the agendas offering it."""

    practice_id: str
    motive_id: str
    motive_name: str
    agenda_ids: tuple[str, ...]


@dataclass(frozen=True)
class Booking:
    """What a booking page tells us: what to ask for, or that only the phone works."""

    queries: tuple[AvailabilityQuery, ...]
    phone_only: bool
    phone: str


@dataclass(frozen=True)
class AvailabilityPage:
    slots: tuple[Slot, ...]
    next_slot: datetime | None
    total: int


def _fail(where: str, what: str) -> ParseError:
    return ParseError(f"doctolib {where}: {what}")


def _require(obj: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict):
        raise _fail(where, f"should be an object, got {type(obj).__name__}")
    if key not in obj:
        raise _fail(where, f"missing field {key!r}")
    value = obj[key]
    # bool is an int in Python; an id of `true` is a broken payload, not 1
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _fail(where, f"field {key!r} should be {kind.__name__}, got {type(value).__name__}")
    return value


def _optional_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise _fail(where, f"field {key!r} should be a string, got {type(value).__name__}")
    return str(value)


def parse_datetime(raw: Any, where: str) -> datetime:
    """ISO datetime; without an offset it is Paris local time. A bare date is no slot."""
    if not isinstance(raw, str):
        raise _fail(where, f"datetime should be a string, got {type(raw).__name__}")
    if len(raw) <= 10:
        raise _fail(where, f"datetime {raw!r} has no time of day")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _fail(where, f"unreadable datetime {raw!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value


def parse_booking(payload: Any) -> Booking:
    """The (practice, motive, agendas) combinations worth asking availabilities for."""
    data = _require(payload, "data", dict, "booking")
    motives = _require(data, "visit_motives", list, "booking.data")
    agendas = _require(data, "agendas", list, "booking.data")
    places = data.get("places") or []
    if not isinstance(places, list):
        raise _fail("booking.data", "field 'places' should be a list")
    names: dict[str, str] = {}
    for motive in motives:
        motive_id = str(_require(motive, "id", int, "booking.visit_motives[]"))
        names[motive_id] = _optional_str(motive, "name", "booking.visit_motives[]") or (
            f"motive {motive_id}"
        )
    offered: dict[tuple[str, str], list[str]] = {}
    enabled = 0
    for agenda in agendas:
        agenda_id = str(_require(agenda, "id", int, "booking.agendas[]"))
        if agenda.get("booking_disabled"):
            continue
        enabled += 1
        by_practice = agenda.get("visit_motive_ids_by_practice_id") or {}
        if not isinstance(by_practice, dict):
            raise _fail("booking.agendas[]", "visit_motive_ids_by_practice_id should be an object")
        for practice_id, motive_ids in by_practice.items():
            if not isinstance(motive_ids, list):
                raise _fail("booking.agendas[].visit_motive_ids_by_practice_id",
                            f"practice {practice_id!r} should map to a list")
            for motive_id in motive_ids:
                if str(motive_id) in names:
                    offered.setdefault((str(practice_id), str(motive_id)), []).append(agenda_id)
    queries = tuple(
        AvailabilityQuery(practice, motive, names[motive], tuple(sorted(set(ids), key=int)))
        for (practice, motive), ids in sorted(offered.items())
    )
    return Booking(queries, phone_only=bool(agendas) and enabled == 0, phone=_phone(places))


def _phone(places: Iterable[Any]) -> str:
    for place in places:
        if isinstance(place, dict):
            for key in ("phone_number", "landline_number"):
                raw = place.get(key)
                if isinstance(raw, str) and raw.strip():
                    return normalize_phone(raw)
    return ""


def _slot_start(raw: Any) -> tuple[datetime, datetime | None]:
    where = "availabilities[].slots[]"
    if isinstance(raw, str):
        return parse_datetime(raw, where), None
    if isinstance(raw, dict):
        start = parse_datetime(_require(raw, "start_date", str, where), where)
        end_raw = raw.get("end_date")
        end = parse_datetime(end_raw, f"{where}.end_date") if end_raw else None
        return start, end
    raise _fail(where, f"slot should be a string or an object, got {type(raw).__name__}")


def parse_availabilities(payload: Any, motive_name: str, booking_url: str) -> AvailabilityPage:
    days = _require(payload, "availabilities", list, "availabilities")
    kind = slugify(motive_name)
    slots: list[Slot] = []
    for day in days:
        for raw in _require(day, "slots", list, "availabilities[]"):
            start, end = _slot_start(raw)
            try:
                slots.append(
                    Slot(start=start, end=end, appointment_type=kind, booking_url=booking_url)
                )
            except ValidationError as exc:
                raise _fail("availabilities[].slots[]", f"impossible slot: {exc}") from exc
    next_raw = payload.get("next_slot")
    next_slot = parse_datetime(next_raw, "next_slot") if next_raw is not None else None
    total = payload.get("total")
    return AvailabilityPage(
        tuple(slots), next_slot, total if isinstance(total, int) else len(slots)
    )


def next_start(
    page: AvailabilityPage, start: date, horizon: datetime, jumped: bool
) -> tuple[date | None, bool]:
    """Where the next availabilities page starts (None: done) and whether we jumped.

    An empty window with ``next_slot`` lets us jump once straight to it instead of
    paging blind; a jump past the horizon ends the search.
    """
    if not page.slots and page.next_slot is not None and not jumped:
        if page.next_slot >= horizon:
            return None, True
        return max(page.next_slot.astimezone(PARIS).date(), start + timedelta(days=1)), True
    following = start + timedelta(days=PAGE_DAYS)
    return (following if following <= horizon.astimezone(PARIS).date() else None), jumped


def first_start(now: datetime) -> date:
    """Days are Paris days: 23:30 UTC in summer is already tomorrow in Paris."""
    return now.astimezone(PARIS).date()


def poll_result(
    booking: Booking, pages: Iterable[AvailabilityPage], now: datetime, horizon: datetime,
    requests: int,
) -> PollResult:
    """Merge the pages of every query into one result: slots in [now, horizon), unique."""
    if booking.phone_only:
        return PollResult(status=Status.PHONE_ONLY, phone=booking.phone, valid_at=now,
                          message="appointments by phone only", requests=requests)
    if not booking.queries:
        return PollResult(status=Status.NO_SLOTS, valid_at=now,
                          message="no bookable motive online", requests=requests)
    found = {s for page in pages for s in page.slots if now <= s.start < horizon}
    slots = tuple(sorted(found, key=Slot.sort_key))
    return PollResult(status=Status.OK if slots else Status.NO_SLOTS, slots=slots, valid_at=now,
                      requests=requests)


def parse_search(payload: Any, base_url: str) -> list[Location]:
    """The listing (``search.json``) -> locations; one per centre profile."""
    data = _require(payload, "data", dict, "search")
    doctors = _require(data, "doctors", list, "search.data")
    locations: list[Location] = []
    for doc in doctors:
        where = "search.doctors[]"
        upstream_id = str(_require(doc, "id", int, where))
        link = str(_require(doc, "link", str, where))
        slug = link.rstrip("/").rsplit("/", 1)[-1]
        position = doc.get("position") or {}
        if not isinstance(position, dict):
            raise _fail(where, "field 'position' should be an object")
        postcode = _optional_str(doc, "zipcode", where)
        try:
            locations.append(
                Location(
                    id=Location.make_id(PLATFORM, upstream_id),
                    platform=PLATFORM,
                    upstream_id=upstream_id,
                    name=_optional_str(doc, "name_with_title", where)
                    or _optional_str(doc, "last_name", where) or slug,
                    address=_optional_str(doc, "address", where),
                    postcode=postcode,
                    city=_optional_str(doc, "city", where),
                    area=area_from_postcode(postcode),
                    lat=position.get("lat"),
                    lon=position.get("lng"),
                    booking_url=base_url.rstrip("/") + link,
                    phone=normalize_phone(_optional_str(doc, "phone_number", where)),
                    extra={"slug": slug},
                )
            )
        except ValidationError as exc:
            raise _fail(where, f"impossible location {upstream_id}: {exc}") from exc
    return locations
