"""Where plugin targets (``module:attr``) come from, for adapters and emulators alike.

Three sources, later ones overriding earlier ones:
1. the built-in map in the source tree (a checkout works before ``pip install``);
2. the installed entry points (``slotradar.adapters`` / ``slotradar.emulators``), how
   plugin packages outside this repository register;
3. an environment variable (``SLOTRADAR_EXTRA_ADAPTERS`` / ``SLOTRADAR_EXTRA_EMULATORS``)
   holding ``name=module:attr`` pairs separated by commas, so a freshly scaffolded adapter
   runs in tests and the CLI without reinstalling the package.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_NAME = re.compile(r"^[a-z0-9_]+$")


class PluginError(Exception):
    """A plugin declaration that cannot work (bad env syntax, missing module...)."""


@dataclass(frozen=True)
class PluginTarget:
    name: str
    target: str  # "module:attr"
    origin: str  # "builtin" | "entry point <dist>" | "$VAR"


def parse_env(value: str, var: str) -> dict[str, str]:
    """``"a=pkg.a:A, b=pkg.b:B"`` -> {"a": "pkg.a:A", "b": "pkg.b:B"}; errors name the pair."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, target = (s.strip() for s in item.partition("="))
        if not sep or not _NAME.match(name) or not _TARGET.match(target):
            raise PluginError(f"${var}: {item!r} is not name=module:attr")
        out[name] = target
    return out


def find_targets(
    builtin: Mapping[str, str], group: str, env_var: str
) -> dict[str, PluginTarget]:
    found = {name: PluginTarget(name, target, "builtin") for name, target in builtin.items()}
    for ep in entry_points(group=group):
        dist = ep.dist.name if ep.dist is not None else "?"
        found[ep.name] = PluginTarget(ep.name, ep.value, f"entry point ({dist})")
    raw = os.environ.get(env_var, "")
    for name, target in parse_env(raw, env_var).items():
        found[name] = PluginTarget(name, target, f"${env_var}")
    return found


def import_target(target: str) -> object:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PluginError(f"{target}: cannot import {module_name}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise PluginError(f"{target}: module {module_name} has no {attr!r}") from None
