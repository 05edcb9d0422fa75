"""A small RFC 5545 reader: content lines, components, values. Pure, no I/O.

Only what availability feeds need: unfolding, parameters (quoted too), TEXT escapes,
DATE / DATE-TIME (UTC ``Z``, ``TZID`` by IANA name or by the feed's VTIMEZONE, floating =
Europe/Paris), DURATION and PERIOD. Recurrence (RRULE) is only read inside VTIMEZONE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scrapers.errors import ParseError
from scrapers.localtime import PARIS, localize, plausible

_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_DATE_TIME = re.compile(r"^(\d{8})T(\d{6})(Z?)$")
_DURATION = re.compile(r"^([+-]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_QUOTED_HEAD = re.compile(r'((?:[^":]|"[^"]*")*):(.*)$', re.S)
_PARAM = re.compile(r'(?:[^";]|"[^"]*")+')
_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def fail(what: str) -> ParseError:
    return ParseError(f"ical {what}")


@dataclass(frozen=True)
class Prop:
    name: str
    params: dict[str, str]
    value: str


@dataclass
class Component:
    name: str
    props: list[Prop] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def get(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)

    def all(self, name: str) -> list[Prop]:
        return [p for p in self.props if p.name == name]

    def walk(self, name: str) -> list[Component]:
        found = [c for c in self.children if c.name == name]
        for child in self.children:
            found.extend(child.walk(name))
        return found


def unfold(text: str) -> list[str]:
    """Content lines: a line break followed by one space or tab continues the line."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [line for line in re.sub(r"\n[ \t]", "", text).split("\n") if line.strip()]


def parse_line(line: str) -> Prop:
    head, colon, value = line.partition(":")
    if '"' in head:  # a quoted parameter value may hold ':' and ';'
        match = _QUOTED_HEAD.match(line)
        if match is None:
            raise fail(f"content line: unbalanced quotes in {line[:60]!r}")
        head, value = match.group(1), match.group(2)
        name, *raw_params = _PARAM.findall(head)
    elif not colon:
        raise fail(f"content line: no ':' in {line[:60]!r}")
    else:
        name, *raw_params = head.split(";")
    if not _NAME.match(name):
        raise fail(f"content line: bad property name {name[:40]!r}")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, sep, val = raw.partition("=")
        if not sep or not _NAME.match(key):
            raise fail(f"{name.upper()}: bad parameter {raw[:40]!r}")
        params[key.upper()] = val.strip('"')
    return Prop(name.upper(), params, value)


def parse_ics(text: str) -> Component:
    """The VCALENDAR of a feed; an unterminated or unbalanced feed is rejected whole."""
    stack: list[Component] = []
    root: Component | None = None
    for line in unfold(text):
        prop = parse_line(line)
        if prop.name == "BEGIN":
            child = Component(prop.value.strip().upper())
            if stack:
                stack[-1].children.append(child)
            elif root is not None or child.name != "VCALENDAR":
                raise fail(f"feed: content outside VCALENDAR ({child.name})")
            stack.append(child)
        elif prop.name == "END":
            if not stack or stack[-1].name != prop.value.strip().upper():
                raise fail(f"feed: END:{prop.value[:20]} does not close an open component")
            done = stack.pop()
            if not stack:
                root = done
        elif stack:
            stack[-1].props.append(prop)
        else:
            raise fail(f"feed: property {prop.name} outside VCALENDAR")
    if root is None or stack:
        raise fail("feed: missing BEGIN/END:VCALENDAR (truncated?)")
    return root


def unescape(value: str) -> str:
    """TEXT value: ``\\\\``, ``\\;``, ``\\,`` and ``\\n`` escapes."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def split_text_list(value: str) -> list[str]:
    """A comma-separated TEXT list (CATEGORIES), escaped commas kept."""
    return [unescape(p).strip() for p in re.split(r"(?<!\\),", value) if p.strip()]


def parse_duration(raw: str, where: str) -> timedelta:
    match = _DURATION.match(raw.strip())
    if not match or raw.strip() in {"P", "PT", "+P", "-P"}:
        raise fail(f"{where}: unreadable duration {raw!r}")
    sign, weeks, days, hours, minutes, seconds = match.groups()
    value = timedelta(
        weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
        minutes=int(minutes or 0), seconds=int(seconds or 0),
    )
    return -value if sign == "-" else value


def parse_naive(raw: str, where: str, *, historic: bool = False) -> tuple[datetime, bool]:
    """``YYYYMMDDTHHMMSS[Z]`` -> (naive wall time, is UTC); ``historic`` allows the old
    DTSTARTs (1601, 1970) that VTIMEZONE rules conventionally start from."""
    match = _DATE_TIME.match(raw.strip())
    if not match:
        raise fail(f"{where}: unreadable DATE-TIME {raw!r}")
    try:
        value = datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise fail(f"{where}: impossible DATE-TIME {raw!r}") from exc
    if not historic:
        plausible(value, f"ical {where}")
    return value, bool(match.group(3))


def _iana(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class Zones:
    """TZID -> zone: the IANA database first, else the feed's own VTIMEZONE rules."""

    def __init__(self, calendar: Component) -> None:
        self.custom = {
            (tz.get("TZID") or Prop("TZID", {}, "")).value: VTimezone(tz)
            for tz in calendar.walk("VTIMEZONE")
        }

    def zone(self, tzid: str, where: str) -> tzinfo:
        if tzid in self.custom and not _iana(tzid):
            return self.custom[tzid]
        # "/mozilla.org/20050126_1/Europe/Paris"-style prefixes end with the IANA name
        parts = tzid.strip("/").split("/")
        for name in (tzid, "/".join(parts[-3:]), "/".join(parts[-2:])):
            found = _iana(name)
            if found is not None:
                return found
        raise fail(f"{where}: unknown TZID {tzid!r} (no VTIMEZONE for it)")

    def instant(self, prop: Prop, where: str) -> datetime | None:
        """A DATE-TIME property as an aware datetime; None for an all-day DATE value."""
        if prop.params.get("VALUE", "").upper() == "DATE" or re.fullmatch(r"\d{8}", prop.value):
            return None
        naive, utc = parse_naive(prop.value, where)
        if utc:
            return naive.replace(tzinfo=UTC)
        tzid = prop.params.get("TZID")
        zone = self.zone(tzid, where) if tzid else PARIS
        return localize(naive, zone, f"ical {where}")


@dataclass(frozen=True)
class _Onset:
    start: datetime  # wall time of the first onset, in the offset before it
    offset_from: timedelta
    offset_to: timedelta
    month: int | None  # yearly rule: month and (nth, weekday)
    nth: int
    weekday: int
    until: datetime | None

    def in_year(self, year: int) -> datetime | None:
        """This yearly rule's onset in ``year`` (wall time), if it applies that year."""
        if self.month is None or year < self.start.year:
            return None
        first = date(year, self.month, 1)
        if self.nth > 0:
            day = first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.nth - 1))
        else:
            nxt = date(year + self.month // 12, self.month % 12 + 1, 1)
            last = nxt - timedelta(days=1)
            day = last - timedelta(days=(last.weekday() - self.weekday) % 7 + 7 * (-self.nth - 1))
        if day.month != self.month:
            return None
        onset = datetime.combine(day, self.start.time())
        if self.until is not None and onset - self.offset_from > self.until:
            return None
        return onset


def _offset(raw: str, where: str) -> timedelta:
    match = re.fullmatch(r"([+-])(\d{2})(\d{2})(\d{2})?", raw.strip())
    if not match:
        raise fail(f"{where}: unreadable UTC offset {raw!r}")
    sign, hours, minutes, seconds = match.groups()
    value = timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))
    return -value if sign == "-" else value


def _onset(part: Component, where: str) -> _Onset:
    def need(name: str) -> Prop:
        prop = part.get(name)
        if prop is None:
            raise fail(f"{where}: missing {name}")
        return prop

    start, _ = parse_naive(need("DTSTART").value, f"{where}.DTSTART", historic=True)
    month, nth, weekday, until = None, 0, 0, None
    rule = part.get("RRULE")
    if rule is not None:
        fields: dict[str, str] = {}
        for part_rule in rule.value.upper().split(";"):
            key, _, val = part_rule.partition("=")
            fields[key] = val
        by_day = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", fields.get("BYDAY", ""))
        if fields.get("FREQ") != "YEARLY" or not fields.get("BYMONTH", "").isdigit() or not by_day:
            raise fail(f"{where}: unsupported RRULE {rule.value[:60]!r}")
        month, nth, weekday = int(fields["BYMONTH"]), int(by_day.group(1) or 1), \
            _WEEKDAYS[by_day.group(2)]
        if not 1 <= month <= 12 or nth == 0:
            raise fail(f"{where}: unsupported RRULE {rule.value[:60]!r}")
        if "UNTIL" in fields:
            until = parse_naive(fields["UNTIL"], f"{where}.RRULE", historic=True)[0]
    return _Onset(start, _offset(need("TZOFFSETFROM").value, where),
                  _offset(need("TZOFFSETTO").value, where), month, nth, weekday, until)


def _onsets(part: Component, where: str) -> list[_Onset]:
    """A STANDARD/DAYLIGHT part: its DTSTART (and rule), plus one-off RDATE onsets."""
    first = _onset(part, where)
    extra = [
        replace(first, start=parse_naive(value, f"{where}.RDATE", historic=True)[0], month=None)
        for prop in part.all("RDATE") for value in prop.value.split(",")
    ]
    return [first, *extra]


class VTimezone(tzinfo):
    """A zone from a feed's STANDARD/DAYLIGHT rules (yearly BYMONTH/BYDAY, or one-off)."""

    def __init__(self, component: Component) -> None:
        tzid = component.get("TZID")
        self.name = tzid.value if tzid else "VTIMEZONE"
        where = f"VTIMEZONE {self.name}"
        self.onsets = [o for p in component.children if p.name in {"STANDARD", "DAYLIGHT"}
                       for o in _onsets(p, f"{where}.{p.name}")]
        if not self.onsets:
            raise fail(f"{where}: no STANDARD or DAYLIGHT rule")
        self._years: dict[int, list[tuple[datetime, timedelta]]] = {}

    def _transitions(self, year: int) -> list[tuple[datetime, timedelta]]:
        """(wall-clock onset, offset after it): one-off onsets, and the yearly rules' of
        ``year - 1`` and ``year``; latest first."""
        if year not in self._years:
            found = [(o.start, o.offset_to) for o in self.onsets if o.month is None]
            found += [(at, o.offset_to) for o in self.onsets if o.month is not None
                      for y in (year - 1, year) if (at := o.in_year(y)) is not None]
            self._years[year] = sorted(found, reverse=True)
        return self._years[year]

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return self.onsets[0].offset_to
        wall = dt.replace(tzinfo=None)
        for at, offset in self._transitions(wall.year):
            if at <= wall:
                return offset
        return min(self.onsets, key=lambda o: o.start).offset_from

    def fromutc(self, dt: datetime) -> datetime:
        utc = dt.replace(tzinfo=None)
        offsets = sorted({o.offset_to for o in self.onsets} | {o.offset_from for o in self.onsets})
        for offset in offsets:
            if self.utcoffset(utc + offset) == offset:
                return (utc + offset).replace(tzinfo=self)
        return (utc + self.utcoffset(utc)).replace(tzinfo=self)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return self.name
