"""Find adapters: the ``slotradar.adapters`` entry-point group, like Datasette plugins.

Built-in adapters are also listed here so a source checkout works before installation.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from scrapers.base import Adapter

ENTRY_POINT_GROUP = "slotradar.adapters"

BUILTIN: dict[str, str] = {
    "doctolib": "scrapers.doctolib:DoctolibAdapter",
    "mapharma": "scrapers.mapharma:MapharmaAdapter",
    "smart_scheduling_links": "scrapers.smart_scheduling_links:SmartSchedulingLinksAdapter",
    "ical": "scrapers.ical:IcalAdapter",
}


def _load(target: str) -> type[Adapter]:
    module_name, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(obj, type) and issubclass(obj, Adapter)):
        raise TypeError(f"{target} is not an Adapter subclass")
    return obj


def available() -> dict[str, str]:
    """platform -> import target, entry points overriding built-ins."""
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.value
    return found


def load_adapter(platform: str) -> type[Adapter]:
    targets = available()
    if platform not in targets:
        known = ", ".join(sorted(targets)) or "none"
        raise KeyError(f"no adapter for platform {platform!r} (known: {known})")
    return _load(targets[platform])
