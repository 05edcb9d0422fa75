"""The area view: one entry per place, the soonest listing leads, the others ride along."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.models import Availability, Location, Slot, Status
from aggregator.views import build_areas

NOW = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def location(lid: str) -> Location:
    platform, uid = lid.split(":")
    return Location(id=lid, platform=platform, upstream_id=uid, name=lid, area="35")


def availability(lid: str, hours: list[float]) -> Availability:
    slots = tuple(Slot(start=NOW + timedelta(hours=h)) for h in hours)
    return Availability(location_id=lid, status=Status.OK if slots else Status.NO_SLOTS,
                        slots=slots, checked_at=NOW, valid_at=NOW, last_ok_at=NOW)


def test_one_entry_per_place_led_by_the_soonest_slot() -> None:
    ids = ["doctolib:1", "maiia:7", "doctolib:2", "keldoc:3"]
    slots = {"doctolib:1": [], "maiia:7": [5.0], "doctolib:2": [2.0], "keldoc:3": [9.0]}
    places = {"doctolib:1": "doctolib:1", "maiia:7": "doctolib:1", "keldoc:3": "doctolib:1",
              "doctolib:2": "doctolib:2"}
    [area] = build_areas({i: location(i) for i in ids},
                         {i: availability(i, slots[i]) for i in ids}, NOW, {}, 1800, 7200,
                         places)
    assert [v.location.id for v in area.leads] == ["doctolib:2", "maiia:7"]
    assert [o.location.id for o in area.others["maiia:7"]] == ["keldoc:3", "doctolib:1"]
    assert len(area.locations) == 4 and area.places_with_slots == 2
    assert area.with_slots == 3  # per listing, for pages that count listings


def test_without_a_mapping_every_listing_is_its_own_place() -> None:
    ids = ["doctolib:1", "maiia:7"]
    [area] = build_areas({i: location(i) for i in ids}, {}, NOW, {}, 1800, 7200)
    assert [v.location.id for v in area.leads] == ids and area.others == {}
    assert area.places_with_slots == 0
