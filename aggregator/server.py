"""The built-in server: serves the current release from memory.

Each request does one ``readlink`` of ``current``; when it points elsewhere the new
release is loaded whole (``site_release``) before it answers anything, so a publish is
picked up at once and a half-written release is never seen (the symlink only ever points
at complete ones). Serving is then a dictionary lookup of the raw path among prepared
responses: anything not published is a 404, whatever its encoding.

Hardening: GET/HEAD only, bounded request line and headers, a connection cap, a short
keep-alive, security headers on every answer. In production nginx (``deploy/nginx.conf``)
serves the same files with the same headers.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from multidict import CIMultiDict, CIMultiDictProxy

from aggregator import http_cache
from aggregator.site_release import LoadedRelease

log = logging.getLogger("slotradar.server")

MAX_LINE_BYTES = 4096
MAX_FIELD_BYTES = 8190
MAX_HEADERS = 64
MAX_CONNECTIONS = 4096
KEEPALIVE_SECONDS = 15.0
RETRY_AFTER_SECONDS = "5"
_ACCEPT_CACHE_LIMIT = 256
_SUSPICIOUS = ("..", "\\", "\x00", "%2e", "%2f", "%5c", "%00", "//")


def _frozen(items: dict[str, str]) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(items))


PLAIN = "text/plain; charset=utf-8"
NOT_PUBLISHED_HEADERS = _frozen({"Content-Type": PLAIN, "Cache-Control": http_cache.NO_STORE,
                                 "Retry-After": RETRY_AFTER_SECONDS, **http_cache.SECURITY_HEADERS})
ERROR_HEADERS = _frozen({"Content-Type": PLAIN, "Cache-Control": http_cache.ERROR_CACHE,
                         **http_cache.SECURITY_HEADERS})
NOT_ALLOWED_HEADERS = _frozen({"Content-Type": PLAIN, "Allow": "GET, HEAD",
                               "Cache-Control": http_cache.NO_STORE, **http_cache.SECURITY_HEADERS})
OVERLOADED = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
              b"Retry-After: 1\r\nConnection: close\r\n\r\n")


def is_suspicious(raw_path: str) -> bool:
    """Traversal attempts, plain or encoded; they get a 400 instead of a 404."""
    lowered = raw_path.lower()
    return not raw_path.startswith("/") or any(s in lowered for s in _SUSPICIOUS)


class StaticSite:
    """The request handler: owns the loaded release and swaps it when ``current`` moves."""

    def __init__(self, output_dir: Path) -> None:
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
                self.release = LoadedRelease.load(root, self.release)
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

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, text="method not allowed\n",
                                headers=NOT_ALLOWED_HEADERS)
        release = self.current()
        if release is None:
            return web.Response(status=503, text="site not published yet; retry shortly\n",
                                headers=NOT_PUBLISHED_HEADERS)
        raw = request.raw_path.partition("?")[0]
        resource = release.resources.get(raw)
        if resource is None:
            return self._missing(release, raw)
        headers = request.headers
        rep = resource.choose(self._accepted(headers.get("Accept-Encoding", "")))
        if http_cache.not_modified(headers.get("If-None-Match"),
                                   headers.get("If-Modified-Since"), rep.etag, resource.mtime):
            return web.Response(status=304, headers=rep.not_modified_headers)
        return web.Response(body=rep.body, headers=rep.headers)

    @staticmethod
    def _missing(release: LoadedRelease, raw: str) -> web.Response:
        if is_suspicious(raw):
            return web.Response(status=400, text="bad request\n", headers=ERROR_HEADERS)
        page = release.not_found
        if page is None:
            return web.Response(status=404, text="not found\n", headers=ERROR_HEADERS)
        rep = page.variants["identity"]
        headers = CIMultiDict(rep.headers)
        headers["Cache-Control"] = http_cache.ERROR_CACHE
        return web.Response(status=404, body=rep.body, headers=headers)


class CappedServer(web.Server):
    """aiohttp's low-level server with a cap on open connections (answered 503, closed)."""

    def __init__(self, handler: StaticSite, max_connections: int, **kwargs: object) -> None:
        super().__init__(handler, **kwargs)  # type: ignore[arg-type]
        self.max_connections = max_connections

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        if len(self._connections) > self.max_connections:
            transport.write(OVERLOADED)
            transport.close()


def server_options() -> dict[str, object]:
    return {
        "max_line_size": MAX_LINE_BYTES,
        "max_field_size": MAX_FIELD_BYTES,
        "max_headers": MAX_HEADERS,
        "keepalive_timeout": KEEPALIVE_SECONDS,
        "access_log": None,
    }


def make_app(output_dir: Path) -> web.Application:
    """The site as an aiohttp Application, for embedding; ``start_server`` skips the router."""
    site = StaticSite(output_dir)
    app = web.Application(handler_args=server_options())
    app.router.add_route("*", "/{path:.*}", site)
    return app


async def start_server(
    output_dir: Path, host: str, port: int, max_connections: int = MAX_CONNECTIONS
) -> tuple[web.BaseRunner, int]:
    server = CappedServer(StaticSite(output_dir), max_connections, **server_options())
    runner = web.ServerRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, int(bound)
