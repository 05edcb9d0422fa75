"""Errors an adapter may raise; the coordinator turns them into a per-location error status."""

from __future__ import annotations

from enum import StrEnum


class FetchErrorKind(StrEnum):
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    CLIENT_ERROR = "client_error"
    TOO_LARGE = "too_large"
    NOT_FOUND = "not_found"
    PAUSED = "paused"


class AdapterError(Exception):
    """Base class: anything an adapter raises on purpose."""


class FetchError(AdapterError):
    def __init__(
        self,
        kind: FetchErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


class ParseError(AdapterError):
    """The upstream payload does not have the shape we know; names what was wrong."""
