"""The virtual clock: a float of seconds the event loop moves, seen as an aware datetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SIM_EPOCH = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday, midnight


class SimClock:
    """``Clock`` for code under simulation; only the event loop sets it."""

    def __init__(self, epoch: datetime = SIM_EPOCH) -> None:
        self.epoch = epoch
        self._epoch_ts = epoch.timestamp()
        self.t = 0.0

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.t)

    def timestamp(self, t: float | None = None) -> float:
        """Unix time of virtual second ``t`` (default: now)."""
        return self._epoch_ts + (self.t if t is None else t)
