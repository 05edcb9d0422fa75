"""Jinja2 rendering of the static site (autoescape always on) and its hashed assets.

Static files are published as ``static/<name>.<10 hex of content hash>.<ext>`` and pages
refer to them by that name only, so a server may cache them forever (``immutable``): a
changed file gets a new name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from aggregator.i18n import SITE_TZ, format_local
from aggregator.views import iso, safe_url

SITE_DIR = Path(__file__).resolve().parent.parent / "site"
TEMPLATES_DIR = SITE_DIR / "templates"
STATIC_DIR = SITE_DIR / "static"
HASH_CHARS = 10


def hashed_name(rel: str, content: bytes) -> str:
    """``app.js`` -> ``app.0123456789.js`` (blake2b of the bytes)."""
    path = PurePosixPath(rel)
    digest = hashlib.blake2b(content, digest_size=8).hexdigest()[:HASH_CHARS]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


@dataclass(frozen=True)
class Assets:
    """Logical name (``style.css``) -> published path (``static/style.<hash>.css``)."""

    paths: dict[str, str]
    files: dict[str, bytes]

    @classmethod
    def load(cls, root: Path = STATIC_DIR) -> Assets:
        paths: dict[str, str] = {}
        files: dict[str, bytes] = {}
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    rel = path.relative_to(root).as_posix()
                    data = path.read_bytes()
                    published = "static/" + hashed_name(rel, data)
                    paths[rel] = published
                    files[published] = data
        return cls(paths, files)

    @property
    def digest(self) -> str:
        return hashlib.blake2b("|".join(sorted(self.paths.values())).encode()).hexdigest()

    def url(self, name: str) -> str:
        return self.paths[name]


@lru_cache(maxsize=65536)
def local_time(value: datetime, lang: str) -> str:
    """Cached: thousands of slots share a few hundred distinct start times."""
    return format_local(value, lang)


def _fmt_time(value: datetime | None, fmt: str = "%a %d %b %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(SITE_TZ).strftime(fmt)


def make_environment(templates: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["localtime"] = _fmt_time
    env.filters["iso"] = iso
    env.filters["safe_url"] = safe_url
    return env


def templates_digest(templates: Path = TEMPLATES_DIR) -> str:
    """Pages depend on their templates too: a changed template re-renders everything."""
    h = hashlib.blake2b()
    for path in sorted(templates.rglob("*.html")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def render(env: Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)
