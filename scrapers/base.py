"""What an adapter is: one platform, a fetch side (I/O) and a parse side (pure functions)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aggregator.models import Location, PollResult
from scrapers.client import PoliteClient
from scrapers.secrets import check_key_file


class ProviderSettings(BaseModel):
    """Per-platform settings from the config file; the same shape for every adapter."""

    model_config = ConfigDict(extra="forbid")

    platform: str = Field(pattern=r"^[a-z0-9_]+$")
    base_url: str = Field(pattern=r"^https?://")
    enabled: bool = True
    rate: float = Field(default=5.0, gt=0, le=10_000, description="requests per second budget")
    burst: int = Field(default=10, ge=1, le=100_000)
    concurrency: int = Field(default=8, ge=1, le=1_000)
    timeout: float = Field(default=10.0, gt=0, le=120)
    max_body_bytes: int = Field(default=2_000_000, ge=1_024, le=100_000_000)
    retries: int = Field(default=2, ge=0, le=5)
    horizon_days: int = Field(default=7, ge=1, le=60)
    min_interval: float = Field(default=30.0, gt=0)
    max_interval: float = Field(default=1800.0, gt=0)
    api_key_env: str = Field(default="", description="name of the env var holding an API key")
    options: dict[str, Any] = Field(default_factory=dict)
    api_key_file: str = Field(default="", description="file holding an API key (mode 600)")

    @field_validator("api_key_file")
    @classmethod
    def _private_key_file(cls, path: str) -> str:
        return check_key_file(path) if path else path


class Adapter(ABC):
    """Subclass per platform. ``poll`` must raise AdapterError (FetchError / ParseError)
    for anything upstream did wrong; the coordinator records it for that location only."""

    platform: ClassVar[str]
    display_name: ClassVar[str]

    def __init__(self, client: PoliteClient, settings: ProviderSettings) -> None:
        self.client = client
        self.settings = settings

    @abstractmethod
    async def discover(self) -> list[Location]:
        """All locations upstream lists (may be empty if the platform has no listing)."""

    @abstractmethod
    async def poll(self, location: Location, now: datetime) -> PollResult:
        """Free slots of one location from ``now`` to the horizon."""

    def horizon(self, now: datetime) -> datetime:
        return now + timedelta(days=self.settings.horizon_days)
