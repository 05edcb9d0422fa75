"""Fault injection for the emulators: latency, 429 with Retry-After, 5xx, timeouts,
malformed and oversized bodies, and format drift, each on demand and seedable."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields

from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FaultPlan:
    latency: float = 0.0  # seconds added to every answer
    rate_limit: float = 0.0  # probability of 429
    retry_after: str = "2"  # Retry-After value sent with 429 (seconds or HTTP-date)
    server_error: float = 0.0  # probability of 500
    timeout: float = 0.0  # probability of hanging far past any client timeout
    malformed: float = 0.0  # probability of a truncated JSON body
    oversized: float = 0.0  # probability of a body of `oversized_bytes`
    oversized_bytes: int = 5_000_000
    reset: float = 0.0  # probability of closing the connection mid-answer
    drift: bool = False  # emulate an upstream format change
    absurd_slots: list[str] = field(default_factory=list)  # raw slot strings added to each day
    seed: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def roll(self, probability: float) -> bool:
        return probability > 0 and self.rng.random() < probability

    def public(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("rng", None)
        return data


FAULT_FIELDS = {f.name for f in fields(FaultPlan)} - {"rng"}


def make_plan(data: dict[str, object]) -> FaultPlan:
    unknown = set(data) - FAULT_FIELDS
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    plan = FaultPlan(**data)  # type: ignore[arg-type]
    plan.rng = random.Random(plan.seed)
    return plan


class FaultState:
    """Per-platform plans and request counters, shared by the emulators."""

    def __init__(self) -> None:
        self.plans: dict[str, FaultPlan] = {}
        self.requests: dict[str, int] = {}
        self.authorization: dict[str, str] = {}  # latest Authorization header per platform

    def plan(self, platform: str) -> FaultPlan:
        return self.plans.setdefault(platform, FaultPlan())

    def middleware(self, platform: str) -> Middleware:
        @web.middleware
        async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
            self.requests[platform] = self.requests.get(platform, 0) + 1
            self.authorization[platform] = request.headers.get("Authorization", "")
            plan = self.plan(platform)
            if plan.latency:
                await asyncio.sleep(plan.latency)
            if plan.roll(plan.rate_limit):
                return web.json_response(
                    {"error": "too many requests"},
                    status=429,
                    headers={"Retry-After": plan.retry_after},
                )
            if plan.roll(plan.server_error):
                return web.json_response({"error": "internal"}, status=500)
            if plan.roll(plan.timeout):
                await asyncio.sleep(3600)
            if plan.roll(plan.reset):
                if request.transport is not None:
                    request.transport.close()
                raise ConnectionResetError("sandbox reset")
            if plan.roll(plan.oversized):
                return web.Response(
                    body=b"[" + b"0," * (plan.oversized_bytes // 2) + b"0]",
                    content_type="application/json",
                )
            response = await handler(request)
            if plan.roll(plan.malformed) and isinstance(response, web.Response):
                body = response.body if isinstance(response.body, bytes) else b"{}"
                response.body = body[: max(1, len(body) // 2)]
            return response

        return inject
