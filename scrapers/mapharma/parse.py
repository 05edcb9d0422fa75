"""Mapharma payloads -> normalized models. Pure functions, no I/O.

Shapes: the open-data listing ``{artifact_date, data: [pharmacy{nom, adresse, code_postal,
ville, latitude, longitude, telephone, url, campagnes: [{id_campagne, id_type, nom, url,
...}]}]}`` and one calendar per campaign option, ``calendar/<campaign>/<date>/<option>``:
``{"YYYY-MM-DD": [{id, time: "HH:MM", places_dispo}]}`` in Paris wall-clock time (an empty
calendar is ``[]``, as PHP encodes an empty map).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pydantic import ValidationError

from aggregator.models import Location, Slot
from aggregator.normalize import area_from_postcode, normalize_phone, slugify
from scrapers.errors import ParseError
from scrapers.localtime import paris, plausible

PLATFORM = "mapharma"
MAX_CAPACITY = 10_000


@dataclass(frozen=True)
class Campaign:
    """One bookable campaign option of a pharmacy (``id_type`` is the calendar's option)."""

    id: int
    option: int
    name: str
    url: str
    first_day: date | None = None  # ``debut``/``fin``: no calendar worth asking outside
    last_day: date | None = None

    def to_json(self) -> list[object]:
        return [self.id, self.option, self.name, self.url,
                self.first_day.isoformat() if self.first_day else None,
                self.last_day.isoformat() if self.last_day else None]

    def open_between(self, first: date, last: date) -> bool:
        """Whether the campaign runs on any day of [first, last]."""
        return (self.first_day is None or self.first_day <= last) and (
            self.last_day is None or first <= self.last_day)


def _field(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict):
        raise ParseError(f"mapharma {where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise ParseError(f"mapharma {where}: missing field {key!r}")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ParseError(f"mapharma {where}: field {key!r} has type {type(value).__name__}")
    return value


def _campaign(raw: Any) -> Campaign:
    where = "open_data.campagnes[]"
    ident = _field(raw, "id_campagne", int, where)
    option = _field(raw, "id_type", int, where)
    if ident <= 0 or option <= 0:
        raise ParseError(f"mapharma {where}: non-positive id_campagne/id_type")
    name = raw.get("nom")
    url = raw.get("url")
    return Campaign(
        ident,
        option,
        name if isinstance(name, str) and name.strip() else f"campagne {ident}",
        url if isinstance(url, str) else "",
        _optional_day(raw.get("debut"), f"{where}.debut"),
        _optional_day(raw.get("fin"), f"{where}.fin"),
    )


def _optional_day(raw: Any, where: str) -> date | None:
    return None if raw is None or raw == "" else _day(raw, where)


def upstream_id_from_url(url: str) -> str:
    """``https://mapharma.net/02100-2`` -> ``02100-2``: the pharmacy's own page id."""
    ident = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not ident or " " in ident or ident.startswith(("http", "mapharma.")):
        raise ParseError(f"mapharma open_data.data[]: no pharmacy id in url {url!r}")
    return ident


def _coordinate(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high:
        return float(value)
    return None


def parse_open_data(payload: Any) -> list[Location]:
    """Every pharmacy once, its campaigns kept in ``extra["campaigns"]`` for the polls."""
    pharmacies = _field(payload, "data", list, "open_data")
    merged: dict[str, tuple[dict[str, Any], list[Campaign]]] = {}
    for raw in pharmacies:
        where = "open_data.data[]"
        upstream_id = upstream_id_from_url(_field(raw, "url", str, where))
        campaigns = [_campaign(c) for c in _field(raw, "campagnes", list, where)]
        _field(raw, "nom", str, where)
        if upstream_id in merged:  # the listing repeats a pharmacy per campaign at times
            merged[upstream_id][1].extend(campaigns)
        else:
            merged[upstream_id] = (raw, campaigns)
    return [_location(upstream_id, raw, campaigns) for upstream_id, (raw, campaigns) in
            merged.items()]


def _location(upstream_id: str, raw: dict[str, Any], campaigns: list[Campaign]) -> Location:
    unique = list(dict.fromkeys(campaigns))
    postcode = str(raw.get("code_postal") or "")
    try:
        return _build_location(upstream_id, raw, unique, postcode)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"]
        raise ParseError(f"mapharma open_data.data[{upstream_id}]: {msg}") from exc


def _build_location(
    upstream_id: str, raw: dict[str, Any], unique: list[Campaign], postcode: str
) -> Location:
    return Location(
        id=Location.make_id(PLATFORM, upstream_id),
        platform=PLATFORM,
        upstream_id=upstream_id,
        name=raw["nom"].strip() or upstream_id,
        address=str(raw.get("adresse") or ""),
        postcode=postcode,
        city=str(raw.get("ville") or ""),
        area=area_from_postcode(postcode),
        lat=_coordinate(raw.get("latitude"), -90, 90),
        lon=_coordinate(raw.get("longitude"), -180, 180),
        booking_url=str(raw["url"]),
        phone=normalize_phone(str(raw.get("telephone") or "")),
        appointment_types=tuple(dict.fromkeys(slugify(c.name) for c in unique)),
        extra={"campaigns": json.dumps([c.to_json() for c in unique], ensure_ascii=False)},
    )


def campaigns_of(location: Location) -> list[Campaign]:
    """The campaigns discovery stored on a location."""
    try:
        rows = json.loads(location.extra.get("campaigns", "[]"))
        return [
            Campaign(int(r[0]), int(r[1]), str(r[2]), str(r[3]),
                     *(date.fromisoformat(d) if d else None for d in (r[4:6] or [None, None])))
            for r in rows
        ]
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ParseError(f"mapharma location {location.id}: unreadable extra 'campaigns'") from exc


def _day(raw: Any, where: str = "calendar") -> date:
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise ParseError(f"mapharma {where}: {raw!r} is not a YYYY-MM-DD date") from exc
    plausible(datetime.combine(day, time()), f"mapharma {where}")
    return day


def _time(raw: Any) -> time:
    try:
        if not isinstance(raw, str) or len(raw) not in (5, 8):
            raise ValueError(raw)
        return time.fromisoformat(raw)
    except ValueError as exc:
        raise ParseError(f"mapharma calendar[].time: unreadable time {raw!r}") from exc


def parse_calendar(payload: Any, campaign: Campaign) -> list[Slot]:
    """One calendar answer -> free slots; entries with 0 ``places_dispo`` are booked."""
    if payload == []:
        return []
    if not isinstance(payload, dict):
        raise ParseError(f"mapharma calendar: expected a date map, got {type(payload).__name__}")
    kind = slugify(campaign.name)
    slots: list[Slot] = []
    for raw_day, entries in payload.items():
        day = _day(raw_day)
        if not isinstance(entries, list):
            raise ParseError(f"mapharma calendar[{raw_day}]: expected a list of slots")
        for entry in entries:
            places = _field(entry, "places_dispo", int, "calendar[]")
            at = _time(_field(entry, "time", str, "calendar[]"))
            if not 0 <= places <= MAX_CAPACITY:
                raise ParseError(f"mapharma calendar[].places_dispo: absurd value {places}")
            if places == 0:
                continue
            start = paris(datetime.combine(day, at), "mapharma calendar[].time")
            slots.append(
                Slot(start=start, appointment_type=kind, capacity=places,
                     booking_url=campaign.url)
            )
    return slots
