"""Recurring free events: RRULE (DAILY / WEEKLY, INTERVAL, COUNT, UNTIL, BYDAY), RDATE
and EXDATE, expanded in the event's own wall-clock time so 09:00 stays 09:00 across DST.
Pure; any other rule part is rejected rather than half-read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from scrapers.ical.ics import Component, Prop, Zones, fail, parse_naive
from scrapers.localtime import localize

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
MAX_DAYS = 3660  # never walk a rule more than ten years from its first occurrence
SUPPORTED = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"}


@dataclass(frozen=True)
class Rule:
    weekly: bool
    interval: int
    count: int | None
    until: datetime | date | None  # aware (UTC), naive wall time, or a whole DATE
    weekdays: frozenset[int]


def parse_rule(raw: str) -> Rule:
    where = "VEVENT.RRULE"
    parts: dict[str, str] = {}
    for item in raw.strip().upper().split(";"):
        key, sep, value = item.partition("=")
        if not sep or key in parts:
            raise fail(f"{where}: unreadable rule part {item[:30]!r}")
        parts[key] = value
    unsupported = set(parts) - SUPPORTED
    freq = parts.get("FREQ")
    if unsupported or freq not in {"DAILY", "WEEKLY"}:
        raise fail(f"{where}: unsupported rule {raw[:60]!r} (DAILY/WEEKLY with "
                   "INTERVAL, COUNT, UNTIL, BYDAY only)")
    if "COUNT" in parts and "UNTIL" in parts:
        raise fail(f"{where}: COUNT and UNTIL together")
    try:
        interval = int(parts.get("INTERVAL", "1"))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
    except ValueError as exc:
        raise fail(f"{where}: INTERVAL/COUNT should be integers") from exc
    if interval < 1 or (count is not None and count < 1):
        raise fail(f"{where}: INTERVAL/COUNT should be positive")
    days: set[int] = set()
    for name in filter(None, parts.get("BYDAY", "").split(",")):
        if name not in WEEKDAYS:
            raise fail(f"{where}: unsupported BYDAY {name!r}")
        days.add(WEEKDAYS[name])
    return Rule(freq == "WEEKLY", interval, count, _until(parts.get("UNTIL")), frozenset(days))


def _until(raw: str | None) -> datetime | date | None:
    if raw is None:
        return None
    if re.fullmatch(r"\d{8}", raw):
        try:
            return datetime.strptime(raw, "%Y%m%d").date()
        except ValueError as exc:
            raise fail(f"VEVENT.RRULE: impossible UNTIL {raw!r}") from exc
    naive, utc = parse_naive(raw, "VEVENT.RRULE.UNTIL")
    return naive.replace(tzinfo=UTC) if utc else naive


def _after_until(rule: Rule, wall: datetime, instant: datetime) -> bool:
    if rule.until is None:
        return False
    if isinstance(rule.until, datetime):
        return (instant if rule.until.tzinfo else wall) > rule.until
    return wall.date() > rule.until


def _walls(rule: Rule, first: datetime, since: date | None) -> Iterator[datetime]:
    """Candidate wall times in order: every day the rule's frequency and BYDAY allow,
    from ``since`` when no COUNT needs the earlier ones counted."""
    days = rule.weekdays or (frozenset({first.weekday()}) if rule.weekly else frozenset())
    week0 = first.date() - timedelta(days=first.weekday())
    skip = 0
    if since is not None and rule.count is None:
        skip = max(0, (since - first.date()).days - 7 * rule.interval)
    for offset in range(skip, skip + MAX_DAYS):
        day = first.date() + timedelta(days=offset)
        if rule.weekly:
            due = ((day - week0).days // 7) % rule.interval == 0
        else:
            due = offset % rule.interval == 0
        if due and (not days or day.weekday() in days):
            yield datetime.combine(day, first.time())


def occurrences(
    event: Component, start: datetime, zones: Zones, until: datetime,
    since: datetime | None = None,
) -> list[datetime]:
    """Start instants of a free event's occurrences up to ``until`` (DTSTART included,
    EXDATEs removed, RDATEs added); those long before ``since`` may be left out."""
    zone: tzinfo = start.tzinfo or UTC
    out: list[datetime] = [start]
    rrule = event.get("RRULE")
    if rrule is not None:
        rule = parse_rule(rrule.value)
        out = []
        first = start.astimezone(zone).replace(tzinfo=None)
        for wall in _walls(rule, first, None if since is None else since.date()):
            instant = localize(wall, zone, "ical VEVENT.RRULE") if zone is not UTC else \
                wall.replace(tzinfo=UTC)
            if _after_until(rule, wall, instant) or instant > until:
                break
            out.append(instant)
            if rule.count is not None and len(out) >= rule.count:
                break
    out.extend(_dates(event.all("RDATE"), zones, "VEVENT.RDATE"))
    excluded = set(_dates(event.all("EXDATE"), zones, "VEVENT.EXDATE"))
    return sorted({t for t in out if t not in excluded})


def _dates(props: list[Prop], zones: Zones, where: str) -> list[datetime]:
    found: list[datetime] = []
    for prop in props:
        if prop.params.get("VALUE", "").upper() == "PERIOD":
            raise fail(f"{where}: PERIOD values are not supported")
        for value in prop.value.split(","):
            instant = zones.instant(Prop(prop.name, prop.params, value.strip()), where)
            if instant is not None:
                found.append(instant)
    return found
