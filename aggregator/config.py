"""Configuration: a TOML file plus ``SLOTRADAR_*`` environment variables.

Errors name the file, the line and the field (``slotradar.toml:12: providers[0].rate: ...``)
because an operator at 3 a.m. should not have to bisect a config file.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aggregator.adaptive.settings import AdaptiveSettings
from scrapers.base import ProviderSettings

DEFAULT_CONFIG_NAMES = ("slotradar.toml",)


class ConfigError(Exception):
    """A configuration problem, already formatted for a human."""


class RedisSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(default="", description="empty: embedded redis-server")
    prefix: str = Field(default="sr:", pattern=r"^[A-Za-z0-9_:.-]{1,32}$")
    data_dir: str = Field(default="", description="embedded server directory; empty: temporary")


class SiteSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    output_dir: Path = Path("var/site")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    publish_interval: float = Field(default=5.0, gt=0, le=3600)
    title: str = "slotradar"
    stale_after: float = Field(default=1800.0, gt=0, description="label data older than this")
    hide_after: float = Field(default=6 * 3600.0, gt=0, description="hide data older than this")
    keep_releases: int = Field(default=3, ge=2, le=100)


class SandboxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    seed: int = 42
    locations_per_platform: int = Field(default=40, ge=1, le=200_000)
    platforms: list[str] = Field(
        default_factory=lambda: [
            "doctolib", "keldoc", "maiia", "mapharma", "smart_scheduling_links", "ical"
        ]
    )
    rate: float = Field(default=50.0, gt=0)
    port: int = Field(default=0, ge=0, le=65535)


class WorkerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tick: float = Field(default=1.0, gt=0, le=60, description="seconds between claims")
    claim_batch: int = Field(default=50, ge=1, le=10_000)
    lease: float = Field(default=120.0, gt=0, description="seconds a claim is held")
    discover_interval: float = Field(default=3600.0, gt=0)
    fixed_interval: float = Field(
        default=0.0, ge=0, description="s between polls with adaptive off; 0: 60 sandbox, 300"
    )


class MetricsSettings(BaseModel):
    """Prometheus ``/metrics`` of ``slotradar run``/``worker``; off unless enabled, and on
    loopback by default (put a proxy with auth in front to expose it further)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535, description="0: a free port (logged)")
    interval: float = Field(default=15.0, gt=0, le=3600, description="gauge refresh, seconds")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    redis: RedisSettings = Field(default_factory=RedisSettings)
    site: SiteSettings = Field(default_factory=SiteSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    adaptive: AdaptiveSettings = Field(default_factory=AdaptiveSettings)
    providers: list[ProviderSettings] = Field(default_factory=list)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)

    @property
    def uses_sandbox(self) -> bool:
        """The sandbox runs when enabled and no real provider is configured."""
        return self.sandbox.enabled and not any(p.enabled for p in self.providers)


_ENV = re.compile(r"^SLOTRADAR_([A-Z]+)__([A-Z_]+)$")


def _env_overrides(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    """``SLOTRADAR_SITE__PORT=9000`` -> {"site": {"port": "9000"}}; REDIS_URL too."""
    out: dict[str, dict[str, str]] = {}
    for name, value in environ.items():
        match = _ENV.match(name)
        if match:
            out.setdefault(match.group(1).lower(), {})[match.group(2).lower()] = value
    if environ.get("REDIS_URL") and "url" not in out.get("redis", {}):
        out.setdefault("redis", {})["url"] = environ["REDIS_URL"]
    return out


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line of a field path in TOML text: walk tables, then the key."""
    lines = text.splitlines()
    table_counts: dict[str, int] = {}
    current: tuple[str | int, ...] = ()
    target_parent = tuple(loc[:-1])
    found_parent: int | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("[["):
            name = stripped.strip("[]").strip()
            index = table_counts.get(name, 0)
            table_counts[name] = index + 1
            current = (name, index)
            if current == target_parent[:2]:
                found_parent = number
        elif stripped.startswith("["):
            current = (stripped.strip("[]").strip(),)
            if current == target_parent[:1]:
                found_parent = number
        elif "=" in stripped and not stripped.startswith("#"):
            key = stripped.split("=", 1)[0].strip().strip('"')
            if current == target_parent and key == str(loc[-1]):
                return number
    return found_parent


def _format_errors(error: ValidationError, source: str, text: str) -> str:
    messages = []
    for item in error.errors():
        loc = tuple(item["loc"])
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        line = _line_of(text, loc) if text else None
        where = f"{source}:{line}" if line else source
        messages.append(f"{where}: {field or '(root)'}: {item['msg']}")
    return "\n".join(messages)


def _merge(base: dict[str, Any], extra: dict[str, dict[str, str]]) -> dict[str, Any]:
    merged = dict(base)
    for section, values in extra.items():
        merged[section] = {**merged.get(section, {}), **values}
    return merged


def find_config(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("SLOTRADAR_CONFIG")
    if env:
        return Path(env)
    for name in DEFAULT_CONFIG_NAMES:
        if Path(name).exists():
            return Path(name)
    return None


def load_settings(path: Path | None, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ) if environ is None else environ
    text = ""
    data: dict[str, Any] = {}
    source = "environment"
    if path is not None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    try:
        return Settings.model_validate(_merge(data, _env_overrides(environ)))
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source, text)) from exc
