"""status.json and status/<area>.json: the only files that change at every publish."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from aggregator.models import Availability
from aggregator.provider_status import ProviderView
from aggregator.site_data import dumps
from aggregator.views import AreaView

SiteFiles = dict[str, bytes]


def status_files(
    areas: list[AreaView],
    availabilities: Mapping[str, Availability],
    providers: list[ProviderView],
    now: datetime,
    minute: datetime,
) -> SiteFiles:
    """The only files that change at every publish: the generation time and when each
    place was checked, read by the browser to say "checked N min ago"."""
    files: SiteFiles = {}
    summary: dict[str, object] = {}
    for area in areas:
        checked = {
            v.location.id: availabilities[v.location.id].checked_at.isoformat()
            for v in area.locations
            if v.location.id in availabilities
        }
        files[f"status/{area.code}.json"] = dumps({"checked": checked})
        summary[area.code] = {"checked_at": max(checked.values()) if checked else None}
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
