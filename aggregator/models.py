"""The normalized data every adapter produces and every page consumes.

Times are always timezone-aware; naive datetimes are rejected at the boundary
because a slot shown an hour off is worse than no slot.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("datetime must carry a timezone offset")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class Status(StrEnum):
    """What a poll of one location concluded."""

    OK = "ok"
    NO_SLOTS = "no_slots"
    PHONE_ONLY = "phone_only"
    ERROR = "error"


class Location(BaseModel):
    """A place where appointments are booked, identified as ``<platform>:<upstream id>``."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+:[^\s]+$")
    platform: str
    upstream_id: str
    name: str = Field(min_length=1, max_length=300)
    address: str = ""
    postcode: str = ""
    city: str = ""
    area: str = Field(
        min_length=1, max_length=16, description="area code, e.g. a French département"
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    booking_url: str = ""
    phone: str = ""
    appointment_types: tuple[str, ...] = ()
    extra: dict[str, str] = Field(default_factory=dict, description="platform-specific ids")

    @classmethod
    def make_id(cls, platform: str, upstream_id: str) -> str:
        return f"{platform}:{upstream_id}"


class Slot(BaseModel):
    """One bookable appointment (or a block of ``capacity`` identical ones)."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime | None = None
    appointment_type: str = "general"
    capacity: int = Field(default=1, ge=1, le=10_000)
    booking_url: str = ""

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: datetime | None, info: object) -> datetime | None:
        data = getattr(info, "data", {})
        start = data.get("start")
        if end is not None and start is not None and end < start:
            raise ValueError("slot ends before it starts")
        return end

    def sort_key(self) -> tuple[datetime, str]:
        return (self.start, self.appointment_type)


class PollResult(BaseModel):
    """What an adapter returns for one location: the parsed truth at ``valid_at``."""

    status: Status
    slots: tuple[Slot, ...] = ()
    valid_at: AwareDatetime | None = None
    message: str = ""
    phone: str = ""
    requests: int = Field(default=1, ge=0, description="upstream requests spent")


class Availability(BaseModel):
    """The stored state of one location.

    ``checked_at`` is when we last looked, ``valid_at`` when upstream said the slots were
    true, ``changed_at`` when the content last changed, ``last_ok_at`` the last successful
    poll: on error the previous slots stay, and their age stays visible.
    """

    location_id: str
    status: Status
    slots: tuple[Slot, ...] = ()
    checked_at: AwareDatetime
    valid_at: AwareDatetime | None = None
    changed_at: AwareDatetime | None = None
    last_ok_at: AwareDatetime | None = None
    message: str = ""
    phone: str = ""

    def future_slots(self, now: datetime) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.start >= now)

    def next_slot(self, now: datetime) -> Slot | None:
        future = self.future_slots(now)
        return min(future, key=Slot.sort_key) if future else None


def content_digest(status: Status, slots: tuple[Slot, ...], message: str, phone: str) -> str:
    """Stable digest of what a visitor would see; equal digests mean nothing to publish."""
    body = json.dumps(
        {
            "s": status.value,
            "m": message,
            "p": phone,
            "slots": [slot.model_dump(mode="json") for slot in sorted(slots, key=Slot.sort_key)],
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()
