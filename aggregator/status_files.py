"""status.json and status/<area>.json: the only files that change at every publish."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from aggregator.models import Availability
from aggregator.provider_status import ProviderView
from aggregator.site_data import dumps
from aggregator.views import AreaView

SiteFiles = dict[str, bytes]
# area code -> (the availability records it was built from, its bytes, its latest check)
AreaStatusCache = dict[str, tuple[tuple[Availability | None, ...], bytes, str | None]]


def _same(a: tuple[Availability | None, ...], b: tuple[Availability | None, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def status_files(
    areas: list[AreaView],
    availabilities: Mapping[str, Availability],
    providers: list[ProviderView],
    now: datetime,
    minute: datetime,
    cache: AreaStatusCache | None = None,
) -> SiteFiles:
    """The only files that change at every publish: the generation time and when each
    place was checked, read by the browser to say "checked N min ago".

    ``cache`` (kept by a long-lived renderer) skips re-encoding an area whose records are
    the very same objects as last time: the publisher keeps unchanged records as they are,
    and holding them here means an identical object is never a recycled one."""
    files: SiteFiles = {}
    summary: dict[str, object] = {}
    for area in areas:
        records = tuple(availabilities.get(v.location.id) for v in area.locations)
        hit = cache.get(area.code) if cache is not None else None
        if hit is not None and _same(hit[0], records):
            data, latest = hit[1], hit[2]
        else:
            checked = {
                v.location.id: record.checked_at.isoformat()
                for v, record in zip(area.locations, records, strict=True)
                if record is not None
            }
            data = dumps({"checked": checked})
            latest = max(checked.values()) if checked else None
            if cache is not None:
                cache[area.code] = (records, data, latest)
        files[f"status/{area.code}.json"] = data
        summary[area.code] = {"checked_at": latest}
    files["status.json"] = dumps(
        {
            "generated_at": now.isoformat(),
            "counted_at": minute.isoformat(),
            "areas": summary,
            "providers": {
                p.platform: {
                    "health": p.health.value,
                    "last_success": p.last_success.isoformat() if p.last_success else None,
                }
                for p in providers
            },
        }
    )
    return files
