"""Wall-clock times without an offset: which instant they are in a given zone.

Upstreams that send ``2026-03-29 09:00`` mean French local time; the offset changes twice a
year, so a fixed +01:00 would put half the year's slots an hour off.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from scrapers.errors import ParseError

PARIS = ZoneInfo("Europe/Paris")


def localize(naive: datetime, zone: tzinfo, where: str) -> datetime:
    """The instant of a local wall-clock time. Ambiguous autumn times take the first
    occurrence (fold=0); times inside the spring gap do not exist and are rejected."""
    if naive.tzinfo is not None:
        return naive
    local = naive.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ParseError(f"{where}: local time {naive.isoformat()} does not exist (DST gap)")
    return local


def paris(naive: datetime, where: str) -> datetime:
    return localize(naive, PARIS, where)


def plausible(value: datetime, where: str) -> datetime:
    """Reject absurd years (0001, 9999...) that parse fine but are upstream garbage."""
    if not 2000 <= value.year <= 2100:
        raise ParseError(f"{where}: absurd date {value.isoformat()}")
    return value
