"""HTTP policy for the published site, shared by the built-in server and the nginx config:
cache lifetimes, content types, security headers, encoding negotiation, validators.

Pure functions only; ``deploy/nginx.conf`` states the same policy in nginx's terms and
``tests/serving`` checks both servers against it.
"""

from __future__ import annotations

import re
from email.utils import formatdate, parsedate_to_datetime
from pathlib import PurePosixPath

# static/<name>.<10 hex>.<ext>: the name changes with the content, so it never goes stale.
HASHED_ASSET = re.compile(r"^static/(?:[^/]+/)*[^/]+\.[0-9a-f]{10}\.[A-Za-z0-9]+$")

PAGE_CACHE = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"
STATUS_CACHE = "public, max-age=10, stale-while-revalidate=60, stale-if-error=86400"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
ERROR_CACHE = "public, max-age=10"
NO_STORE = "no-store"
# The freshness clock: status.json and the per-area status/<area>.json.
STATUS_FILES = re.compile(r"^status(?:\.json|/[^/]+\.json)$")

# Self-hosted scripts, styles, images and status.json only: no inline code, no eval, no
# plugins, not framable. Short on purpose: it rides on every response of a rush.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"

# Server preference when the client accepts several at the same q: smallest first.
ENCODING_PREFERENCE = ("br", "gzip", "identity")


def is_hashed_asset(rel_path: str) -> bool:
    return HASHED_ASSET.match(rel_path) is not None


def cache_control(rel_path: str) -> str:
    if is_hashed_asset(rel_path):
        return IMMUTABLE_CACHE
    if STATUS_FILES.match(rel_path):
        return STATUS_CACHE
    return PAGE_CACHE


def content_type(rel_path: str) -> str:
    return CONTENT_TYPES.get(PurePosixPath(rel_path).suffix.lower(), DEFAULT_CONTENT_TYPE)


def accepted_encodings(accept_encoding: str | None) -> tuple[str, ...]:
    """Codings the client takes, best first (RFC 9110 12.5.3): q-values, ``*``, and
    identity acceptable unless refused explicitly (``identity;q=0`` or ``*;q=0``)."""
    q: dict[str, float] = {}
    for item in (accept_encoding or "").split(","):
        token, _, params = item.strip().partition(";")
        coding = token.strip().lower()
        if not coding:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = max(0.0, min(1.0, float(value)))
                except ValueError:
                    weight = 0.0
        q[coding] = max(weight, q.get(coding, 0.0))
    star = q.get("*")
    weights: dict[str, float] = {}
    for coding in ENCODING_PREFERENCE:
        if coding in q:
            weights[coding] = q[coding]
        elif star is not None:
            weights[coding] = star
        elif coding == "identity":
            weights[coding] = 0.001
    ranked = sorted(
        (c for c, w in weights.items() if w > 0), key=lambda c: -weights[c]
    )  # stable: ties keep ENCODING_PREFERENCE order
    return tuple(ranked)


def http_date(timestamp: float) -> str:
    return formatdate(timestamp, usegmt=True)


def parse_http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2), as If-None-Match requires."""
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, mtime: int
) -> bool:
    """If-None-Match wins when present; otherwise If-Modified-Since at one-second grain."""
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    if if_modified_since is not None:
        since = parse_http_date(if_modified_since)
        return since is not None and mtime <= since
    return False
