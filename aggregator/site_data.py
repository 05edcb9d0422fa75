"""The open data files (data/areas/<code>.json, data/locations.json, data/search*.json)
and their published JSON Schema, generated from the same pydantic models.

One model per file is the contract: the schema is derived from it and every record is
built through it, so a file cannot drift from its published schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from aggregator.models import AwareDatetime, Location
from aggregator.views import LocationView, iso

SCHEMA_VERSION = 1
SCHEMA_BASE = "schema/"


class TypeSlotsRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    appointment_type: str
    count: int = Field(ge=0, description="slots of this type within 7 days")
    starts: list[AwareDatetime] = Field(description="the first starts within 7 days, sorted")


class PlaceFields(BaseModel):
    """What every published record says about a place, wherever it is listed."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    address: str
    postcode: str
    city: str
    area: str
    lat: float | None
    lon: float | None
    platform: str
    page: str = Field(description="path of the place's page, relative to the site root")


class LocationRecord(PlaceFields):
    """One place as the area file and the browser search show it."""

    booking_url: str
    phone: str
    phone_only: bool
    status: str | None = Field(description="ok, no_slots, phone_only, error; null: not polled")
    stale: bool = Field(description="older than the site's stale_after threshold")
    hidden: bool = Field(description="older than hide_after: slots withheld")
    failing: bool
    next_slot: AwareDatetime | None
    slot_count: int = Field(ge=0)
    slots_24h: int = Field(ge=0)
    slots_7d: int = Field(ge=0)
    types: list[TypeSlotsRecord]


class AreaDocument(BaseModel):
    """data/areas/<code>.json: every place of one area, soonest slot first."""

    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    code: str
    name: str
    locations: list[LocationRecord]


class LocationEntry(PlaceFields):
    """One place in the directory of every place (no slot detail: see the area files)."""

    appointment_types: list[str]
    next_slot: AwareDatetime | None
    slot_count: int = Field(ge=0)


class LocationsDocument(BaseModel):
    """data/locations.json."""

    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    locations: list[LocationEntry]


class SearchArea(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    with_slots: int = Field(ge=0)
    box: tuple[float, float, float, float] | None = Field(
        description="[lat_min, lon_min, lat_max, lon_max] of its places (for near me)"
    )


class SearchDocument(BaseModel):
    """data/search.json: what the search box needs before the first keystroke.

    The places themselves are split by prefix (``SearchShard``): loading every city of the
    country on the home page would cost more than the whole page.
    """

    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    areas: list[SearchArea]
    keys: list[str] = Field(
        description="the shards that exist: data/search/<key>.json, sorted"
    )


class SearchShard(BaseModel):
    """data/search/<key>.json: the places whose folded city name or postcode starts with
    ``key`` (folded: accents dropped, lower case, anything outside a-z and 0-9 as ``_``;
    a key is one character, or longer where a shorter prefix held too many places: load
    the longest listed key that starts the folded query).

    ``places`` rows are ``[city, postcode, area code, lat, lon]``: arrays, not objects,
    because every byte is downloaded while the visitor types.
    """

    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    key: str
    places: list[tuple[str, str, str, float | None, float | None]]


SCHEMAS: dict[str, type[BaseModel]] = {
    "area": AreaDocument,
    "locations": LocationsDocument,
    "search": SearchDocument,
    "search_shard": SearchShard,
}


def schema_files() -> dict[str, bytes]:
    """``data/schema/<name>.json`` for every open data file."""
    files = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema()
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{SCHEMA_BASE}{name}.json",
            **schema,
        }
        files[f"data/schema/{name}.json"] = dumps(schema)
    return files


_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def dumps(document: object) -> bytes:
    """Deterministic compact JSON (sorted keys): same content, same bytes. ``<``, ``>`` and
    ``&`` are written as ``\\u003c``-style escapes (they only occur inside strings): the
    same data once parsed, and inert if a file is ever sniffed or embedded as HTML."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if "<" in text or ">" in text or "&" in text:  # rare: str.translate is slow per char
        text = text.translate(_HTML_SAFE)
    return text.encode()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def _place(loc: Location, page: str) -> dict[str, object]:
    """The fields every record of a place starts with."""
    return {
        "id": loc.id,
        "name": loc.name,
        "address": loc.address,
        "postcode": loc.postcode,
        "city": loc.city,
        "area": loc.area,
        "lat": loc.lat,
        "lon": loc.lon,
        "platform": loc.platform,
        "page": page,
    }


def location_record(view: LocationView, page: str) -> dict[str, object]:
    """A ``LocationRecord`` as a plain dict: built 10,000 times on a full render, where
    model validation of every slot time would cost more than the rest of the record (the
    tests validate the files against the model and the published schema)."""
    return {
        **_place(view.location, page),
        "booking_url": view.booking_url,
        "phone": view.phone,
        "phone_only": view.phone_only,
        "status": view.status.value if view.status else None,
        "stale": view.stale,
        "hidden": view.hidden,
        "failing": view.failing,
        "next_slot": _iso(view.next_slot.start) if view.next_slot else None,
        "slot_count": view.slot_count,
        "slots_24h": view.slots_24h,
        "slots_7d": view.slots_7d,
        "types": [
            {"appointment_type": t.appointment_type, "count": t.count,
             "starts": [iso(start) for start in t.starts]}
            for t in view.types
        ],
    }


def location_entry(view: LocationView, page: str) -> dict[str, object]:
    """A ``LocationEntry`` as a plain dict (see ``location_record``)."""
    return {
        **_place(view.location, page),
        "appointment_types": sorted(
            set(view.location.appointment_types) | {t.appointment_type for t in view.types}
        ),
        "next_slot": _iso(view.next_slot.start) if view.next_slot else None,
        "slot_count": view.slot_count,
    }


def record_json(record: dict[str, object]) -> bytes:
    """One record as deterministic JSON, to be joined into a document without re-encoding."""
    return dumps(record)


def join_document(head: dict[str, object], list_key: str, items: Iterable[bytes]) -> bytes:
    """``head`` plus ``list_key: [items...]`` from pre-encoded items (the memo keeps them),
    byte-equal to ``dumps`` of the whole document."""
    marker = "\x00items\x00"
    text = dumps({**head, list_key: marker}).decode()
    before, after = text.split(json.dumps(marker, ensure_ascii=False), 1)
    return before.encode() + b"[" + b",".join(items) + b"]" + after.encode()


def iso_minute(value: datetime) -> str:
    return value.replace(second=0, microsecond=0).isoformat()
