"""Where the next page of Maiia availabilities starts (pure).

Offsets shift when a slot is booked between two pages, which would skip a slot, so each
next page restarts ``from`` the last start seen (items there come again and are
deduplicated by id). Only a page that is all one instant moves by offset, to the rest of
that instant's seats, and reading then resumes just after the instant: a booking meanwhile
can cost a seat count, never a slot. Pages out of time order leave offsets as the only way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

JUST_AFTER = timedelta(milliseconds=1)  # Maiia times have millisecond precision


@dataclass(frozen=True)
class Cursor:
    start: datetime  # the ``from`` of the next request
    page: int = 0  # the ``page`` of the next request
    size: int = 0  # the largest page seen: the server's page size
    ordered: bool = True  # every page so far came sorted by start

    def after(self, starts: Sequence[datetime], total: int) -> Cursor | None:
        """The next request after a page with these item starts, or None when done."""
        size = max(self.size, len(starts))
        if not starts or self.page * size + len(starts) >= total:
            return None
        ordered = self.ordered and list(starts) == sorted(starts)
        if not ordered or starts[-1] == self.start:
            return replace(self, page=self.page + 1, size=size, ordered=ordered)
        if self.page:
            return Cursor(self.start + JUST_AFTER, 0, size, ordered)
        return Cursor(starts[-1], 0, size, ordered)
