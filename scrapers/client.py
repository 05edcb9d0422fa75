"""The polite HTTP client every adapter fetches through.

Every attempt (retries included) passes the provider's gate, bodies are size-capped while
streaming, timeouts are total per attempt, and Retry-After is reported to the gate so the
whole fleet slows down, not just this request.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from aggregator import metrics
from aggregator.clock import Clock, SystemClock
from scrapers.errors import FetchError, FetchErrorKind
from scrapers.gate import Gate, LocalGate, Outcome
from scrapers.retry_after import parse_retry_after
from scrapers.secrets import redact, secret_values

USER_AGENT = "slotradar/0.1 (+https://github.com/slotradar; polite aggregator)"
Params = Mapping[str, str | int | float | list[str]]


@dataclass(frozen=True)
class ClientPolicy:
    timeout: float = 10.0
    max_body_bytes: int = 2_000_000
    retries: int = 2
    backoff_base: float = 0.25


class PoliteClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        platform: str,
        base_url: str,
        *,
        gate: Gate | None = None,
        policy: ClientPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.session = session
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.gate: Gate = gate or LocalGate()
        self.policy = policy or ClientPolicy()
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self.clock = clock or SystemClock()
        self.requests = 0
        self._secrets = secret_values(self.headers)

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    async def get_json(self, path: str, params: Params | None = None) -> Any:
        text = await self.get_text(path, params)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FetchError(
                FetchErrorKind.CLIENT_ERROR,
                f"{self.platform}: invalid JSON from {path} at char {exc.pos}: {exc.msg}",
            ) from exc

    async def get_text(self, path: str, params: Params | None = None) -> str:
        body = await self.get_bytes(path, params)
        return body.decode("utf-8", errors="replace")

    async def get_bytes(self, path: str, params: Params | None = None) -> bytes:
        last: FetchError | None = None
        for attempt in range(self.policy.retries + 1):
            if attempt:
                delay = self.policy.backoff_base * (2 ** (attempt - 1))
                await asyncio.sleep(delay * (0.5 + random.random()))
            try:
                body = await self._attempt(path, params)
            except FetchError as exc:
                metrics.record_attempt(self.platform, exc.kind.value)
                # an error message may reach logs and status pages: never with a key in it
                exc.args = (redact(str(exc), self._secrets),)
                if exc.kind is FetchErrorKind.PAUSED and last is not None:
                    # the breaker opened between our attempts: upstream's own failure is
                    # the cause this location should show, not the pause it triggered
                    raise last from exc
                last = exc
                if exc.kind in {
                    FetchErrorKind.CLIENT_ERROR,
                    FetchErrorKind.NOT_FOUND,
                    FetchErrorKind.TOO_LARGE,
                    FetchErrorKind.RATE_LIMITED,
                    FetchErrorKind.PAUSED,
                }:
                    raise
            else:
                metrics.record_attempt(self.platform, None)
                return body
        assert last is not None
        raise last

    async def _attempt(self, path: str, params: Params | None) -> bytes:
        url = self.url(path)
        query = _flatten(params)
        async with self.gate.slot(self.platform):
            self.requests += 1
            try:
                async with self.session.get(
                    url,
                    params=query,
                    headers=self.headers,
                    timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
                ) as resp:
                    if resp.status == 429 or (resp.status == 503 and "Retry-After" in resp.headers):
                        wait = parse_retry_after(resp.headers.get("Retry-After"), self.clock.now())
                        await self.gate.report(self.platform, Outcome.RATE_LIMITED, wait)
                        raise FetchError(
                            FetchErrorKind.RATE_LIMITED,
                            f"{self.platform}: {resp.status} rate limited on {path}",
                            status=resp.status,
                            retry_after=wait,
                        )
                    if resp.status >= 500:
                        await self.gate.report(self.platform, Outcome.SERVER_ERROR)
                        raise FetchError(
                            FetchErrorKind.SERVER_ERROR,
                            f"{self.platform}: HTTP {resp.status} on {path}",
                            status=resp.status,
                        )
                    if resp.status == 404:
                        await self.gate.report(self.platform, Outcome.CLIENT_ERROR)
                        raise FetchError(
                            FetchErrorKind.NOT_FOUND,
                            f"{self.platform}: HTTP 404 on {path}",
                            status=404,
                        )
                    if resp.status >= 400:
                        await self.gate.report(self.platform, Outcome.CLIENT_ERROR)
                        raise FetchError(
                            FetchErrorKind.CLIENT_ERROR,
                            f"{self.platform}: HTTP {resp.status} on {path}",
                            status=resp.status,
                        )
                    body = await self._read_capped(resp, path)
            except TimeoutError as exc:
                await self.gate.report(self.platform, Outcome.TIMEOUT)
                raise FetchError(
                    FetchErrorKind.TIMEOUT,
                    f"{self.platform}: no answer within {self.policy.timeout:g}s on {path}",
                ) from exc
            except aiohttp.ClientError as exc:
                await self.gate.report(self.platform, Outcome.CONNECTION)
                raise FetchError(
                    FetchErrorKind.CONNECTION,
                    f"{self.platform}: connection failed on {path}: {type(exc).__name__}",
                ) from exc
            # reported inside the slot: a gate ties the outcome to the lease it granted
            await self.gate.report(self.platform, Outcome.OK)
        return body

    async def _read_capped(self, resp: aiohttp.ClientResponse, path: str) -> bytes:
        limit = self.policy.max_body_bytes
        declared = resp.content_length
        if declared is not None and declared > limit:
            raise FetchError(
                FetchErrorKind.TOO_LARGE,
                f"{self.platform}: body of {declared} bytes on {path} exceeds "
                f"the {limit}-byte limit",
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                raise FetchError(
                    FetchErrorKind.TOO_LARGE,
                    f"{self.platform}: body on {path} exceeds the {limit}-byte limit",
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _flatten(params: Params | None) -> list[tuple[str, str]]:
    if not params:
        return []
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, list):
            out.extend((key, str(v)) for v in value)
        else:
            out.append((key, str(value)))
    return out
