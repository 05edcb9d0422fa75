"""Jinja2 rendering of the static site (autoescape always on)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

SITE_DIR = Path(__file__).resolve().parent.parent / "site"
TEMPLATES_DIR = SITE_DIR / "templates"
STATIC_DIR = SITE_DIR / "static"


def _fmt_time(value: datetime | None, fmt: str = "%a %d %b %H:%M") -> str:
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo("Europe/Paris")).strftime(fmt)


def make_environment(templates: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = _fmt_time
    return env


def render(env: Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)
