"""The built-in server: serves the current release from memory.

Each request does one ``readlink`` of ``current``; when it points elsewhere the new
release is loaded (``site_release``: only its new shards are read) before it answers
anything, so a publish is picked up at once and a half-written release is never seen (the
symlink only ever points at complete ones). Answering is then a dictionary lookup of the
raw path among prepared responses: anything not published is a 404, whatever its encoding.

``start_server`` runs the lean HTTP/1.1 protocol of ``http_protocol`` (GET/HEAD only,
bounded request head, connection cap, idle and header-read timeouts); ``make_app`` wraps
the same ``StaticSite`` in an aiohttp Application for embedding. In production nginx
(``deploy/nginx.conf``) serves the same files with the same headers.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from aiohttp import web

from aggregator import http_cache
from aggregator.answers import (
    BAD_REQUEST,
    NOT_ALLOWED,
    NOT_FOUND,
    NOT_PUBLISHED,
    Answer,
)
from aggregator.http_protocol import Limits, ServerHandle, serve
from aggregator.site_release import LoadedRelease

log = logging.getLogger("slotradar.server")

_ACCEPT_CACHE_LIMIT = 256
_SUSPICIOUS = ("..", "\\", "\x00", "%2e", "%2f", "%5c", "%00", "//")


def is_suspicious(raw_path: str) -> bool:
    """Traversal attempts, plain or encoded; they get a 400 instead of a 404."""
    lowered = raw_path.lower()
    return not raw_path.startswith("/") or any(s in lowered for s in _SUSPICIOUS)


class StaticSite:
    """Owns the loaded release, swaps it when ``current`` moves, answers requests."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.link = os.fspath(output_dir / "current")
        self.target: str | None = None
        self.release: LoadedRelease | None = None
        self._accept: dict[str, tuple[str, ...]] = {}

    def current(self) -> LoadedRelease | None:
        try:
            target = os.readlink(self.link)
        except OSError:
            return self.release  # unpublished, or a racing swap: keep what we have
        if target != self.target:
            try:
                root = Path(os.path.dirname(self.link)) / target
                self.release = LoadedRelease.load(root, self.release, self.output_dir)
                self.target = target
                log.info("serving release %s", self.release.name)
            except OSError as exc:  # pruned under us: keep serving the previous one
                log.warning("cannot load release %s: %s", target, exc)
        return self.release

    def _accepted(self, header: str) -> tuple[str, ...]:
        found = self._accept.get(header)
        if found is None:
            if len(self._accept) >= _ACCEPT_CACHE_LIMIT:
                self._accept.clear()
            found = self._accept[header] = http_cache.accepted_encodings(header)
        return found

    def respond(self, method: str, target: str, accept_encoding: str,
                if_none_match: str | None, if_modified_since: str | None) -> Answer:
        if method != "GET" and method != "HEAD":
            return NOT_ALLOWED
        release = self.current()
        if release is None:
            return NOT_PUBLISHED
        raw = target.partition("?")[0]
        resource = release.resources.get(raw)
        if resource is None:
            if is_suspicious(raw):
                return BAD_REQUEST
            return release.not_found or NOT_FOUND
        rep = resource.choose(self._accepted(accept_encoding))
        if (if_none_match is not None or if_modified_since is not None) and (
            http_cache.not_modified(if_none_match, if_modified_since, rep.etag, resource.mtime)
        ):
            return rep.not_modified
        return rep.ok

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """The aiohttp handler (for ``make_app``)."""
        headers = request.headers
        answer = self.respond(request.method, request.raw_path,
                              headers.get("Accept-Encoding", ""), headers.get("If-None-Match"),
                              headers.get("If-Modified-Since"))
        return web.Response(status=answer.status, body=answer.body or None,
                            headers=answer.headers)


def make_app(output_dir: Path) -> web.Application:
    """The site as an aiohttp Application, for embedding in another aiohttp server."""
    site = StaticSite(output_dir)
    app = web.Application(handler_args={
        "max_line_size": Limits().max_line,
        "max_field_size": Limits().max_head,
        "max_headers": Limits().max_headers,
        "keepalive_timeout": Limits().keepalive,
    })
    app.router.add_route("*", "/{path:.*}", site.handle)
    return app


async def start_server(
    output_dir: Path, host: str, port: int, limits: Limits | None = None
) -> tuple[ServerHandle, int]:
    """Serve ``output_dir/current``; the handle's ``cleanup()`` stops it. The live release
    is loaded before listening: the first requests do not wait for a whole-site load."""
    site = StaticSite(output_dir)
    site.current()
    return await serve(site, host, port, limits or Limits())
