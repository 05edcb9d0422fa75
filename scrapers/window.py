"""From parsed slots to a poll's answer: keep the [now, horizon) window, dedupe, sort."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aggregator.models import PollResult, Slot, Status


def window_result(
    slots: Iterable[Slot],
    now: datetime,
    horizon: datetime,
    requests: int,
    valid_at: datetime | None = None,
) -> PollResult:
    """OK with the slots starting in [now, horizon), or NO_SLOTS when there are none."""
    kept = tuple(sorted({s for s in slots if now <= s.start < horizon}, key=Slot.sort_key))
    return PollResult(
        status=Status.OK if kept else Status.NO_SLOTS,
        slots=kept,
        valid_at=valid_at or now,
        requests=requests,
    )


def offline_result(phone: str, message: str, now: datetime, requests: int = 0) -> PollResult:
    """A place with no online booking: PHONE_ONLY when it has a phone, else NO_SLOTS."""
    return PollResult(
        status=Status.PHONE_ONLY if phone else Status.NO_SLOTS,
        valid_at=now,
        phone=phone,
        message=message,
        requests=requests,
    )
