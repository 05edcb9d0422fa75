"""Find adapters: the ``slotradar.adapters`` entry-point group, like Datasette plugins.

Built-in adapters are also listed here so a source checkout works before installation, and
``$SLOTRADAR_EXTRA_ADAPTERS`` adds more without reinstalling (see ``scrapers.plugins``).
"""

from __future__ import annotations

from scrapers.base import Adapter
from scrapers.plugins import PluginError, PluginTarget, find_targets, import_target

ENTRY_POINT_GROUP = "slotradar.adapters"
ENV_VAR = "SLOTRADAR_EXTRA_ADAPTERS"

BUILTIN: dict[str, str] = {
    "doctolib": "scrapers.doctolib:DoctolibAdapter",
    "keldoc": "scrapers.keldoc:KeldocAdapter",
    "maiia": "scrapers.maiia:MaiiaAdapter",
    "mapharma": "scrapers.mapharma:MapharmaAdapter",
    "smart_scheduling_links": "scrapers.smart_scheduling_links:SmartSchedulingLinksAdapter",
    "ical": "scrapers.ical:IcalAdapter",
}


def _load(target: str) -> type[Adapter]:
    obj = import_target(target)
    if not (isinstance(obj, type) and issubclass(obj, Adapter)):
        raise PluginError(f"{target} is not an Adapter subclass")
    return obj


def targets() -> dict[str, PluginTarget]:
    """platform -> where its adapter comes from (built-in < entry point < env)."""
    return find_targets(BUILTIN, ENTRY_POINT_GROUP, ENV_VAR)


def available() -> dict[str, str]:
    """platform -> import target, entry points overriding built-ins."""
    return {name: t.target for name, t in targets().items()}


def load_adapter(platform: str) -> type[Adapter]:
    found = available()
    if platform not in found:
        known = ", ".join(sorted(found)) or "none"
        raise KeyError(f"no adapter for platform {platform!r} (known: {known})")
    return _load(found[platform])
