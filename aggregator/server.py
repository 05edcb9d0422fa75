"""The built-in server: serves the current release from memory.

It re-reads the ``current`` symlink on each request (one readlink) and caches each
release's files in memory, so a publish is picked up at once and a request never sees a
half-written release.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from aiohttp import web

MAX_FILE_BYTES = 20_000_000


@dataclass
class ReleaseCache:
    output_dir: Path
    _release: str = ""
    _files: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def current(self) -> str | None:
        try:
            target = os.readlink(self.output_dir / "current")
        except OSError:
            return None
        if target != self._release:
            self._release = target
            self._files = {}
        return target

    def get(self, rel_path: str) -> tuple[bytes, str] | None:
        release = self.current()
        if release is None:
            return None
        if rel_path in self._files:
            return self._files[rel_path]
        root = (self.output_dir / release).resolve()
        candidate = (root / rel_path).resolve()
        if candidate != root and root not in candidate.parents:
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file() or candidate.stat().st_size > MAX_FILE_BYTES:
            return None
        ctype = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in {"application/json", "application/javascript"}:
            ctype += "; charset=utf-8"
        entry = (candidate.read_bytes(), ctype)
        self._files[rel_path] = entry
        return entry


def safe_relative(path: str) -> str | None:
    """Reject traversal and oddities before touching the filesystem."""
    if "\x00" in path or "\\" in path:
        return None
    parts = PurePosixPath("/" + path.lstrip("/")).parts[1:]
    if any(part in {"..", "."} or part.startswith(".") for part in parts):
        return None
    return "/".join(parts) or "index.html"


def make_app(output_dir: Path) -> web.Application:
    cache = ReleaseCache(output_dir)
    app = web.Application()

    async def serve(request: web.Request) -> web.Response:
        rel = safe_relative(request.match_info["path"])
        if rel is None:
            raise web.HTTPNotFound()
        entry = cache.get(rel)
        if entry is None:
            if cache.current() is None:
                return web.Response(
                    status=503,
                    text="site not published yet; retry shortly",
                    headers={"Retry-After": "5"},
                )
            raise web.HTTPNotFound()
        body, ctype = entry
        return web.Response(
            body=body, headers={"Content-Type": ctype, "Cache-Control": "public, max-age=30"}
        )

    app.router.add_route("GET", "/{path:.*}", serve)
    return app


async def start_server(output_dir: Path, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(make_app(output_dir), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, int(bound)
