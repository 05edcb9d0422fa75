"""The key schema in one place, so tests and tenants can use their own prefix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "sr:"

    def location(self, location_id: str) -> str:
        """HASH: the Location model as JSON plus indexable fields."""
        return f"{self.prefix}loc:{location_id}"

    def availability(self, location_id: str) -> str:
        """HASH: status, slots JSON, digest, checked_at/valid_at/changed_at/last_ok_at."""
        return f"{self.prefix}av:{location_id}"

    @property
    def locations(self) -> str:
        """SET of all location ids."""
        return f"{self.prefix}locations"

    def area(self, area: str) -> str:
        """SET of location ids in an area."""
        return f"{self.prefix}area:{area}"

    @property
    def areas(self) -> str:
        """SET of area codes."""
        return f"{self.prefix}areas"

    @property
    def dirty(self) -> str:
        """SET of location ids whose visible content changed since the last publish."""
        return f"{self.prefix}dirty"

    def due(self, platform: str) -> str:
        """ZSET location id -> unix time it is next due (or its lease expiry while claimed).

        One queue per provider so a worker claims only what that provider's budget allows.
        """
        return f"{self.prefix}due:{platform}"

    def leases(self, platform: str) -> str:
        """HASH location id -> lease token of the worker holding it."""
        return f"{self.prefix}leases:{platform}"

    @property
    def platforms(self) -> str:
        """SET of platforms that have locations."""
        return f"{self.prefix}platforms"

    @property
    def events(self) -> str:
        """STREAM of change events (slots released / booked), capped."""
        return f"{self.prefix}events"

    def provider(self, platform: str, what: str) -> str:
        """Per-provider protection state (budget, semaphore, AIMD, pause, breaker)."""
        return f"{self.prefix}prov:{platform}:{what}"

    def stats(self, location_id: str) -> str:
        """HASH: change-rate estimator counters for the adaptive policy."""
        return f"{self.prefix}st:{location_id}"

    @property
    def views(self) -> str:
        """HASH: page views/hour by location id or ``area:<code>`` (filled by an operator
        or a log processor; read by the adaptive planner)."""
        return f"{self.prefix}views"

    def plan(self, platform: str) -> str:
        """HASH: the adaptive planner's latest water level for a provider."""
        return f"{self.prefix}plan:{platform}"

    def targets(self, platform: str) -> str:
        """HASH: location id -> target interval (s) of the latest plan, for operators."""
        return f"{self.prefix}targets:{platform}"

    def lock(self, name: str) -> str:
        """STRING: fleet-wide singleton lock (publish, discovery)."""
        return f"{self.prefix}lock:{name}"

    @property
    def publish_meta(self) -> str:
        """HASH: last publish time, release id, duration."""
        return f"{self.prefix}publish"

    @property
    def same_place(self) -> str:
        """HASH location id -> place key, only for locations merged with another platform's
        listing of the same physical place (``aggregator.dedupe``); absent: its own id."""
        return f"{self.prefix}same_place"
