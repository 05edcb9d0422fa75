"""Parse Retry-After (delta-seconds or HTTP-date); pure, with an injected "now"."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER = 900.0


def parse_retry_after(
    value: str | None, now: datetime, cap: float = MAX_RETRY_AFTER
) -> float | None:
    """Seconds to wait, capped; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, min((when - now).total_seconds(), cap))
