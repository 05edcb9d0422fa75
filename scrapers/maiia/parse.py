"""Maiia payloads -> normalized models. Pure functions, no I/O.

Every list endpoint is paged the same way: ``?limit=&page=`` (page from 0) answers
``{items: [...], total}``. The centre listing (``hcd``) holds ``{type, center, ...}`` items,
``consultation-reason-hcd`` the centre's reasons, ``availabilities`` one item per bookable
appointment ``{id, startDateTime, endDateTime, practitionerId, ...}`` in UTC.
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
from scrapers.shape import build, optional, parse_instant, require

PLATFORM = "maiia"
REMOTE = "TELECONSULTATION"


@dataclass(frozen=True)
class Page:
    items: tuple[Any, ...]
    total: int


@dataclass(frozen=True)
class Reason:
    id: str
    name: str


def parse_page(payload: Any, what: str) -> Page:
    """The paging envelope shared by every Maiia list."""
    where = f"maiia {what}"
    items = require(payload, "items", list, where)
    total = require(payload, "total", int, where)
    if total < 0:
        raise ParseError(f"{where}: absurd field 'total' {total}")
    return Page(tuple(items), total)


def parse_centres(page: Page, base_url: str) -> list[Location]:
    """Listing items -> locations; practitioners listed among the centres are skipped."""
    locations: list[Location] = []
    for item in page.items:
        if require(item, "type", str, "maiia hcd.items[]") != "CENTER":
            continue
        locations.append(_centre(require(item, "center", dict, "maiia hcd.items[]"), base_url))
    return locations


def _centre(centre: dict[str, Any], base_url: str) -> Location:
    where = "maiia hcd.items[].center"
    upstream_id = require(centre, "id", str, where)
    link = require(centre, "url", str, where)
    public = optional(centre, "publicInformation", dict, where, {})
    address = optional(public, "address", dict, f"{where}.publicInformation", {})
    office = optional(public, "officeInformation", dict, f"{where}.publicInformation", {})
    lat, lon = _coordinates(address, f"{where}.publicInformation.address")
    postcode = str(optional(address, "zipCode", str, f"{where}.publicInformation.address", ""))
    phone = optional(office, "phoneNumber", str, f"{where}.publicInformation.officeInformation", "")
    return build(
        Location,
        where,
        id=Location.make_id(PLATFORM, upstream_id),
        platform=PLATFORM,
        upstream_id=upstream_id,
        name=require(centre, "name", str, where).strip(),
        address=str(optional(address, "fullAddress", str, f"{where}.address", "")),
        postcode=postcode,
        city=str(optional(address, "city", str, f"{where}.address", "")),
        area=area_from_postcode(postcode),
        lat=lat,
        lon=lon,
        booking_url=f"{base_url.rstrip('/')}{link}?centerid={upstream_id}",
        phone=normalize_phone(str(phone)),
    )


def _coordinates(address: dict[str, Any], where: str) -> tuple[float | None, float | None]:
    """GeoJSON point: ``coordinates`` is [longitude, latitude]."""
    point = optional(address, "location", dict, where, None)
    if point is None:
        return None, None
    pair = require(point, "coordinates", list, f"{where}.location")
    numbers = [v for v in pair if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(pair) != 2 or len(numbers) != 2:
        raise ParseError(f"{where}.location: field 'coordinates' should be [lon, lat]")
    return float(pair[1]), float(pair[0])


def parse_reasons(page: Page) -> list[Reason]:
    """Consultation reasons bookable on site (teleconsultations are not a place's slots)."""
    reasons: list[Reason] = []
    for item in page.items:
        where = "maiia consultation-reason-hcd.items[]"
        reason_id = require(item, "id", str, where)
        name = require(item, "name", str, where)
        if optional(item, "consultationType", str, where, "PHYSICAL") == REMOTE:
            continue
        reasons.append(Reason(reason_id, name))
    return reasons


def parse_availabilities(
    page: Page, reason_name: str, booking_url: str
) -> list[tuple[Hashable, Slot]]:
    """One page of availabilities -> slots keyed by the upstream item id (pages overlap)."""
    kind = slugify(reason_name)
    out: list[tuple[Hashable, Slot]] = []
    for item in page.items:
        where = "maiia availabilities.items[]"
        item_id = require(item, "id", str, where)
        start = parse_instant(require(item, "startDateTime", str, where), f"{where}.startDateTime")
        end_raw = optional(item, "endDateTime", str, where, None)
        end = parse_instant(end_raw, f"{where}.endDateTime") if end_raw is not None else None
        slot = build(
            Slot, where, start=start, end=end, appointment_type=kind, booking_url=booking_url
        )
        out.append((item_id, slot))
    return out


def availability_result(
    keyed: Iterable[tuple[Hashable, Slot]],
    now: datetime,
    horizon: datetime,
    *,
    requests: int,
    reasons_listed: int,
    reasons_on_site: int,
    phone: str = "",
) -> PollResult:
    """Every availability item of one poll -> its PollResult. A centre on Maiia that lists
    no consultation reason at all takes its appointments by phone."""
    return poll_result(
        keyed,
        now,
        horizon,
        requests=requests,
        phone_only=reasons_listed == 0,
        phone=phone,
        message="" if reasons_on_site else "no consultation reason bookable online",
    )
