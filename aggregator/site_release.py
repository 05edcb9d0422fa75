"""One published release loaded into memory, every response prepared in advance.

Loading walks the release once (files, manifest, ``.gz``/``.br`` variants) and builds each
representation's body and headers, so serving a request is a dictionary lookup. Only
regular files inside the release are loaded: dotfiles (manifest, markers), directories
and symlinks resolving outside the release never become URLs, so no request path, however
encoded, can reach anything else.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from aggregator import http_cache
from aggregator.answers import Answer
from aggregator.manifest import FileEntry, Manifest, digest, load_manifest
from aggregator.precompress import ENCODING_SUFFIXES

log = logging.getLogger("slotradar.server")

MAX_FILE_BYTES = 20_000_000
NOT_FOUND_PAGES = ("404.html",)


@dataclass(frozen=True)
class Representation:
    ok: Answer
    not_modified: Answer
    etag: str


@dataclass(frozen=True)
class Resource:
    rel_path: str
    sha256: str
    mtime: int
    variants: dict[str, Representation]  # coding -> representation; always has identity

    def choose(self, accepted: tuple[str, ...]) -> Representation:
        for coding in accepted:
            rep = self.variants.get(coding)
            if rep is not None:
                return rep
        return self.variants["identity"]


def build_resource(rel_path: str, entry: FileEntry, bodies: dict[str, bytes]) -> Resource:
    """Every representation's headers, computed once per release."""
    base = {
        "Cache-Control": http_cache.cache_control(rel_path),
        "Last-Modified": http_cache.http_date(entry.mtime),
        **http_cache.SECURITY_HEADERS,
    }
    if len(bodies) > 1:
        base["Vary"] = "Accept-Encoding"
    variants = {}
    for coding, body in bodies.items():
        etag = entry.etag if coding == "identity" else f'{entry.etag[:-1]}-{coding}"'
        validators = {**base, "ETag": etag}
        full = {"Content-Type": http_cache.content_type(rel_path), **validators}
        if coding != "identity":
            full["Content-Encoding"] = coding
        variants[coding] = Representation(
            Answer.make(200, full, body), Answer.make(304, validators), etag
        )
    return Resource(rel_path, entry.sha256, entry.mtime, variants)


def url_paths(rel_path: str) -> list[str]:
    """The raw request paths a file answers to: itself, and its directory for index.html."""
    url = "/" + quote(rel_path, safe="/-._~")
    paths = [url]
    if rel_path == "index.html" or rel_path.endswith("/index.html"):
        paths.append(url[: -len("index.html")])
    return paths


def _inside(root: str, path: str) -> bool:
    return os.path.commonpath([root, path]) == root


def _listing(root: str) -> dict[str, str]:
    """rel path -> real path of each regular file that may be served."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            real = os.path.realpath(full)
            if not _inside(root, real) or not os.path.isfile(real):
                log.warning("refusing %s: resolves outside the release", full)
                continue
            if os.path.getsize(real) > MAX_FILE_BYTES:
                log.warning("refusing %s: larger than %d bytes", full, MAX_FILE_BYTES)
                continue
            found[os.path.relpath(full, root).replace(os.sep, "/")] = real
    return found


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


@dataclass(frozen=True)
class LoadedRelease:
    name: str
    resources: dict[str, Resource]  # raw URL path -> resource
    not_found: Answer | None

    @classmethod
    def load(cls, root: Path, previous: LoadedRelease | None = None) -> LoadedRelease:
        """Read a complete release; resources whose bytes did not change are reused."""
        real_root = os.path.realpath(root)
        manifest: Manifest | None = load_manifest(Path(real_root))
        listing = _listing(real_root)
        reuse = {} if previous is None else {r.rel_path: r for r in previous.resources.values()}
        variant_names = {
            rel + suffix
            for rel in listing
            for suffix in ENCODING_SUFFIXES.values()
            if rel + suffix in listing
        }
        by_rel: dict[str, Resource] = {}
        for rel, real in listing.items():
            if rel in variant_names:
                continue
            entry = None if manifest is None else manifest.files.get(rel)
            old = reuse.get(rel)
            if entry is not None and old is not None and old.sha256 == entry.sha256:
                by_rel[rel] = old
                continue
            data = _read(real)
            if entry is None or entry.size != len(data):
                entry = FileEntry(size=len(data), sha256=digest(data),
                                  mtime=int(os.stat(real).st_mtime))
            bodies = {"identity": data}
            for coding, suffix in ENCODING_SUFFIXES.items():
                if rel + suffix in listing:
                    bodies[coding] = _read(listing[rel + suffix])
            by_rel[rel] = build_resource(rel, entry, bodies)
        resources = {url: res for rel, res in by_rel.items() for url in url_paths(rel)}
        page = next((by_rel[p] for p in NOT_FOUND_PAGES if p in by_rel), None)
        missing = None if page is None else not_found(page)
        return cls(os.path.basename(real_root), resources, missing)


def not_found(page: Resource) -> Answer:
    """The release's 404 page, short-lived: the missing page may appear at the next publish."""
    ok = page.variants["identity"].ok
    headers = {**ok.headers, "Cache-Control": http_cache.ERROR_CACHE}
    headers.pop("Vary", None)
    return Answer.make(404, headers, ok.body)
