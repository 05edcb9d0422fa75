"""From parsed upstream slots to one PollResult (pure).

Upstream answers may repeat an item (overlapping pages, a cursor re-reading the items at
its own instant) and may list several identical appointments as separate items (one per
agenda or practitioner). Items are deduplicated by their upstream key first, then the
identical appointments that remain are one ``Slot`` whose capacity is their sum.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime

from aggregator.models import PollResult, Slot, Status


def merge_slots(
    keyed: Iterable[tuple[Hashable, Slot]], now: datetime, horizon: datetime
) -> tuple[Slot, ...]:
    """Unique upstream items starting in [now, horizon), merged per (start, type), sorted."""
    unique: dict[Hashable, Slot] = {}
    for key, slot in keyed:
        if now <= slot.start < horizon:
            unique.setdefault(key, slot)
    merged: dict[tuple[datetime, str], Slot] = {}
    for slot in unique.values():
        same = merged.get(slot.sort_key())
        if same is None:
            merged[slot.sort_key()] = slot
        else:
            merged[slot.sort_key()] = same.model_copy(
                update={"capacity": min(10_000, same.capacity + slot.capacity)}
            )
    return tuple(sorted(merged.values(), key=Slot.sort_key))


def poll_result(
    keyed: Iterable[tuple[Hashable, Slot]],
    now: datetime,
    horizon: datetime,
    *,
    requests: int,
    phone_only: bool = False,
    phone: str = "",
    message: str = "",
) -> PollResult:
    """OK when any slot is in the window; else PHONE_ONLY when upstream said to call
    (never "0 slots" for a place that books by phone); else NO_SLOTS."""
    slots = merge_slots(keyed, now, horizon)
    if slots:
        status = Status.OK
    elif phone_only:
        status = Status.PHONE_ONLY
        message = message or "appointments by phone only"
    else:
        status = Status.NO_SLOTS
    return PollResult(
        status=status,
        slots=slots,
        valid_at=now,
        message=message,
        phone=phone if status is Status.PHONE_ONLY else "",
        requests=requests,
    )
