"""Prometheus metrics, in a registry of our own, served on a loopback port.

Counters are per process (each poller counts what it did); gauges copied from Redis by
``refresh_gauges`` are fleet-wide, so any one process answers for the whole fleet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

if TYPE_CHECKING:  # observe imports the gate, which imports the client, which imports us
    from aggregator.observe import Snapshot

log = logging.getLogger("slotradar.metrics")

REGISTRY = CollectorRegistry(auto_describe=True)

UPSTREAM_REQUESTS = Counter(
    "slotradar_upstream_requests", "HTTP attempts sent upstream (retries included)",
    ["platform"], registry=REGISTRY)
UPSTREAM_ERRORS = Counter(
    "slotradar_upstream_errors", "Failed attempts by kind (timeout, connection, "
    "rate_limited, server_error, client_error, too_large, not_found, paused)",
    ["platform", "kind"], registry=REGISTRY)
RATE_LIMITED = Counter(
    "slotradar_upstream_rate_limited", "429 (or 503 + Retry-After) answers",
    ["platform"], registry=REGISTRY)
POLLS = Counter(
    "slotradar_polls", "Location polls by stored outcome", ["platform", "outcome"],
    registry=REGISTRY)
POLL_ERRORS = Counter(
    "slotradar_poll_errors", "Failed location polls by kind (fetch kinds, parse, bug)",
    ["platform", "kind"], registry=REGISTRY)
TICK_ERRORS = Counter(
    "slotradar_tick_errors", "Daemon ticks that failed (e.g. Redis unreachable)",
    ["tick", "kind"], registry=REGISTRY)
PUBLISHES = Counter(
    "slotradar_publishes", "Publish attempts by result", ["result"], registry=REGISTRY)
PUBLISH_SECONDS = Histogram(
    "slotradar_publish_duration_seconds", "Time to render and swap a release",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=REGISTRY)
BUDGET_RATE = Gauge(
    "slotradar_provider_budget_rate", "Fleet-wide request budget (requests/s)",
    ["platform"], registry=REGISTRY)
AIMD_LIMIT = Gauge(
    "slotradar_provider_aimd_limit", "Current AIMD concurrency limit", ["platform"],
    registry=REGISTRY)
IN_FLIGHT = Gauge(
    "slotradar_provider_in_flight", "Requests holding a lease now", ["platform"],
    registry=REGISTRY)
PAUSED = Gauge(
    "slotradar_provider_paused", "1 while paused (Retry-After or open breaker)",
    ["platform"], registry=REGISTRY)
PAUSED_FOR = Gauge(
    "slotradar_provider_paused_seconds", "Seconds until the provider is asked again",
    ["platform"], registry=REGISTRY)
FAILING = Gauge(
    "slotradar_provider_failing_locations", "Locations whose latest poll failed",
    ["platform"], registry=REGISTRY)
AREA_DATA_AGE = Gauge(
    "slotradar_area_data_age_seconds", "Age of the oldest confirmed data shown in an area",
    ["area"], registry=REGISTRY)
LAST_PUBLISH = Gauge(
    "slotradar_last_publish_timestamp_seconds", "Unix time of the latest publish",
    registry=REGISTRY)


def record_attempt(platform: str, error_kind: str | None) -> None:
    """One upstream attempt; ``paused`` never left the process, so it is no request."""
    if error_kind != "paused":
        UPSTREAM_REQUESTS.labels(platform).inc()
    if error_kind is not None:
        UPSTREAM_ERRORS.labels(platform, error_kind).inc()
    if error_kind == "rate_limited":
        RATE_LIMITED.labels(platform).inc()


def record_poll(platform: str, outcome: str) -> None:
    POLLS.labels(platform, outcome).inc()


def record_poll_error(platform: str, kind: str) -> None:
    POLL_ERRORS.labels(platform, kind).inc()


def record_publish(seconds: float | None) -> None:
    """``None``: the publish failed."""
    if seconds is None:
        PUBLISHES.labels("error").inc()
        return
    PUBLISHES.labels("ok").inc()
    PUBLISH_SECONDS.observe(seconds)


def record_tick_error(tick: str, exc: BaseException) -> None:
    TICK_ERRORS.labels(tick, type(exc).__name__).inc()


def refresh_gauges(snapshot: Snapshot) -> None:
    for p in snapshot.providers:
        BUDGET_RATE.labels(p.platform).set(p.rate)
        AIMD_LIMIT.labels(p.platform).set(p.aimd_limit)
        IN_FLIGHT.labels(p.platform).set(p.in_flight)
        PAUSED.labels(p.platform).set(1 if p.paused_for > 0 else 0)
        PAUSED_FOR.labels(p.platform).set(p.paused_for)
        FAILING.labels(p.platform).set(p.failing)
    for area, age in snapshot.area_data_age.items():
        AREA_DATA_AGE.labels(area).set(age)
    if snapshot.publish_at is not None:
        LAST_PUBLISH.set(snapshot.publish_at)


@dataclass
class MetricsServer:
    server: WSGIServer
    port: int

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_metrics_server(host: str, port: int) -> MetricsServer:
    """``/metrics`` on ``host:port`` in a daemon thread; port 0 picks a free one."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    bound = int(server.server_port)
    log.info("metrics on http://%s:%d/metrics", host, bound)
    return MetricsServer(server, bound)
