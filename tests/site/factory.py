"""Hand-made site inputs with the shapes the store produces (new content, not upstream
samples): places in a few areas with coordinates, typed slots, a phone-only place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.models import Availability, Location, Slot, Status

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # 09:30 in Paris, a Monday

# code, city, postcode, lat, lon
PLACES = [
    ("69", "Lyon", "69003", 45.760, 4.850),
    ("69", "Villeurbanne", "69100", 45.771, 4.890),
    ("13", "Marseille", "13001", 43.297, 5.381),
    ("13", "Aix-en-Provence", "13100", 43.529, 5.447),
    ("75", "Paris", "75011", 48.857, 2.379),
]


def location(i: int, name: str | None = None, **overrides: object) -> Location:
    code, city, postcode, lat, lon = PLACES[i % len(PLACES)]
    values: dict[str, object] = {
        "id": f"testplat:{i}",
        "platform": "testplat",
        "upstream_id": str(i),
        "name": name or f"Centre de santé {city} {i}",
        "address": f"{i} rue des Tilleuls",
        "postcode": postcode,
        "city": city,
        "area": code,
        "lat": round(lat + 0.004 * i, 5),
        "lon": round(lon - 0.003 * i, 5),
        "booking_url": f"https://booking.example.test/centre/{i}",
        "phone": f"+33 4 00 00 00 {i:02d}",
        "appointment_types": ("general", "vaccine"),
    }
    values.update(overrides)
    return Location.model_validate(values)


def slots_for(i: int, now: datetime = T0) -> tuple[Slot, ...]:
    """Place i: a mix of types, some today, some later in the week, some beyond."""
    out = []
    for k in range(6 + i % 4):
        hours = 1 + (i * 7 + k * 11) % 200
        kind = "vaccine" if (i + k) % 3 == 0 else "general"
        out.append(Slot(start=now + timedelta(hours=hours), appointment_type=kind))
    return tuple(sorted(out, key=Slot.sort_key))


def availability(
    loc: Location,
    slots: tuple[Slot, ...],
    checked: datetime = T0,
    status: Status = Status.OK,
    confirmed: datetime | None = None,
) -> Availability:
    confirmed = confirmed or checked
    return Availability(
        location_id=loc.id,
        status=status,
        slots=slots,
        checked_at=checked,
        valid_at=confirmed,
        changed_at=confirmed,
        last_ok_at=confirmed,
    )


def dataset(n: int = 15, now: datetime = T0) -> tuple[dict[str, Location], dict[str, Availability]]:
    locations: dict[str, Location] = {}
    availabilities: dict[str, Availability] = {}
    for i in range(n):
        loc = location(i)
        locations[loc.id] = loc
        if i == 3:
            availabilities[loc.id] = availability(loc, (), now, Status.PHONE_ONLY)
        elif i == 4:
            availabilities[loc.id] = availability(loc, (), now, Status.NO_SLOTS)
        else:
            availabilities[loc.id] = availability(loc, slots_for(i, now), now)
    return locations, availabilities


def pages(files: dict[str, bytes]) -> dict[str, bytes]:
    """Every file except the status files, which change at each publish by design."""
    return {k: v for k, v in files.items() if not k.startswith("status")}
