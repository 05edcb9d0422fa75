"""From parsed slots to a poll's answer: keep the [now, horizon) window, dedupe, sort."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aggregator.models import PollResult, Slot, Status
from scrapers.outcome import poll_result


def window_result(
    slots: Iterable[Slot],
    now: datetime,
    horizon: datetime,
    requests: int,
    valid_at: datetime | None = None,
) -> PollResult:
    """OK with the slots starting in [now, horizon), or NO_SLOTS when there are none.

    Identical slots count once and those at the same start and type are one slot with
    their capacities summed (``scrapers.outcome``, shared with the other adapters)."""
    result = poll_result(((slot, slot) for slot in slots), now, horizon, requests=requests)
    return result if valid_at is None else result.model_copy(update={"valid_at": valid_at})


def offline_result(phone: str, message: str, now: datetime, requests: int = 0) -> PollResult:
    """A place with no online booking: PHONE_ONLY when it has a phone, else NO_SLOTS."""
    return PollResult(
        status=Status.PHONE_ONLY if phone else Status.NO_SLOTS,
        valid_at=now,
        phone=phone,
        message=message,
        requests=requests,
    )
