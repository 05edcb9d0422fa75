"""What the site is made of: stored state in, ``{relative path: bytes}`` out.

Rendering knows nothing of disks or releases; publishing (``aggregator.publish``) turns the
mapping into a release directory. Keeping the two apart lets the renderer skip pages whose
inputs did not change and the publisher skip files whose bytes did not change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from aggregator.areas import AREA_NAMES
from aggregator.config import SiteSettings
from aggregator.models import Availability, Location
from aggregator.render import STATIC_DIR, make_environment, render
from aggregator.views import AreaView, build_areas

SiteFiles = dict[str, bytes]


class SiteRenderer:
    """Builds every file of one release from the stored locations and availabilities."""

    def __init__(self, settings: SiteSettings) -> None:
        self.settings = settings
        self.env = make_environment()

    def render(
        self,
        locations: Mapping[str, Location],
        availabilities: Mapping[str, Availability],
        now: datetime,
        places: Mapping[str, str] | None = None,
    ) -> SiteFiles:
        areas = build_areas(
            locations,
            availabilities,
            now,
            AREA_NAMES,
            self.settings.stale_after,
            self.settings.hide_after,
            places,
        )
        common = {"title": self.settings.title, "generated_at": now}
        files: SiteFiles = {
            "index.html": render(self.env, "index.html", areas=areas, **common).encode()
        }
        for area in areas:
            files[f"area/{area.code}.html"] = render(
                self.env, "area.html", area=area, **common
            ).encode()
        files["status.json"] = json.dumps(status_document(areas, now)).encode()
        if STATIC_DIR.is_dir():
            for path in sorted(STATIC_DIR.rglob("*")):
                if path.is_file():
                    files["static/" + path.relative_to(STATIC_DIR).as_posix()] = path.read_bytes()
        return files


def status_document(areas: list[AreaView], now: datetime) -> dict[str, object]:
    """The small file the browser reads to say "checked N min ago" (pages stay identical)."""
    return {
        "generated_at": now.isoformat(),
        "locations": {
            v.location.id: {
                "checked_at": v.availability.checked_at.isoformat(),
                "status": v.availability.status.value,
            }
            for area in areas
            for v in area.locations
            if v.availability is not None
        },
    }
