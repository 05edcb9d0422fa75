"""Shape checks for upstream payloads: every wrong shape, type or absurd value becomes a
``ParseError`` whose message names the platform, the place in the payload and the field.

``where`` is always ``"<platform> <what>"`` (e.g. ``"keldoc timetable"``), so a message
reads ``keldoc timetable: missing field 'availabilities'``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from scrapers.errors import ParseError

PARIS = ZoneInfo("Europe/Paris")
# Outside these years a timestamp is a bug upstream, not an appointment.
SANE_YEARS = range(2000, 2101)

Model = TypeVar("Model", bound=BaseModel)


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    # bool is an int subclass in Python, never in a payload
    if isinstance(value, bool):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        return bool in kinds
    return isinstance(value, kind)


def expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    """``value`` itself must be of ``kind`` (a whole payload, a list item...)."""
    if not _is(value, kind):
        raise ParseError(f"{where}: expected {_type_name(kind)}, got {type(value).__name__}")
    return value


def require(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``obj[key]``, which must exist and be of ``kind``."""
    expect(obj, dict, where)
    if key not in obj:
        raise ParseError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not _is(value, kind):
        raise ParseError(
            f"{where}: field {key!r} should be {_type_name(kind)}, got {type(value).__name__}"
        )
    return value


def optional(obj: Any, key: str, kind: type | tuple[type, ...], where: str, default: Any) -> Any:
    """``obj[key]`` if present and not null (then it must be of ``kind``), else ``default``."""
    expect(obj, dict, where)
    if obj.get(key) is None:
        return default
    return require(obj, key, kind, where)


def parse_instant(raw: Any, where: str) -> datetime:
    """An ISO 8601 timestamp as an aware datetime; without an offset it is Paris local time
    (the platforms' own convention), DST included."""
    if not isinstance(raw, str):
        raise ParseError(f"{where}: datetime should be a string, got {type(raw).__name__}")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParseError(f"{where}: unreadable datetime {raw!r}") from exc
    if value.tzinfo is None:
        # to a fixed offset: a zoneinfo time in the autumn's repeated hour never compares
        # equal to any other zone's time (PEP 495), which would break dedupe and sorting
        local = value.replace(tzinfo=PARIS)
        value = local.astimezone(timezone(local.utcoffset() or timedelta(0)))
    if value.year not in SANE_YEARS:
        raise ParseError(f"{where}: absurd datetime {raw!r}")
    return value


def parse_day(raw: Any, where: str) -> date:
    if not isinstance(raw, str):
        raise ParseError(f"{where}: date should be a string, got {type(raw).__name__}")
    try:
        value = date.fromisoformat(raw)
    except ValueError as exc:
        raise ParseError(f"{where}: unreadable date {raw!r}") from exc
    if value.year not in SANE_YEARS:
        raise ParseError(f"{where}: absurd date {raw!r}")
    return value


def build(model: type[Model], where: str, **fields: Any) -> Model:
    """A normalized model from parsed fields; a value the model refuses is a ParseError."""
    try:
        return model(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise ParseError(f"{where}: bad value for {field!r}: {first['msg']}") from exc
