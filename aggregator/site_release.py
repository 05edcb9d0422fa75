"""One published release loaded into memory, every response prepared in advance.

Loading walks the release once (files, manifests, ``.gz``/``.br`` variants) through its
shard symlinks and builds each representation's body and headers, so serving a request
is a dictionary lookup. A shard already loaded for the previous release is immutable and
reused whole; a one-place publish re-reads a few directories. Only regular files are
loaded: dotfiles (manifests, markers), and symlinks resolving outside the output
directory never become URLs, so no request path, however encoded, can reach anything
else.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from aggregator import http_cache
from aggregator.answers import Answer
from aggregator.manifest import FileEntry, digest, read_dir_manifest
from aggregator.precompress import ENCODING_SUFFIXES
from aggregator.release_tree import SHARDS

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
    """Both are real (symlink-free, normalized) paths."""
    return path == root or path.startswith(root + os.sep)


def _resolve(real_dir: str, entry: os.DirEntry[str]) -> tuple[str, bool | None]:
    """The real path of a directory entry and whether it is a directory (None: neither a
    directory nor a regular file). ``real_dir`` is real, so a symlink whose target is
    not itself a symlink resolves by joining (one ``readlink`` and one ``lstat`` instead
    of ``realpath``'s walk of every component)."""
    if not entry.is_symlink():  # the file type scandir already knows: no syscall
        is_dir = entry.is_dir(follow_symlinks=False)
        return entry.path, True if is_dir else (False if entry.is_file() else None)
    real = os.path.normpath(os.path.join(real_dir, os.readlink(entry.path)))
    try:
        mode = os.lstat(real).st_mode
    except OSError:
        return real, None
    if stat.S_ISLNK(mode):
        real = os.path.realpath(entry.path)
        try:
            mode = os.stat(real).st_mode
        except OSError:
            return real, None
    return real, _kind(mode)


def _kind(mode: int) -> bool | None:
    return True if stat.S_ISDIR(mode) else False if stat.S_ISREG(mode) else None


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


@dataclass(frozen=True)
class Subtree:
    """The resources of one directory and everything under it."""

    by_rel: dict[str, Resource]
    urls: dict[str, Resource]


class _Loader:
    """Walks a release through its symlinks, refusing any that resolve outside
    ``boundary``; directories under ``<boundary>/shards`` are immutable (content
    addressed), so the previous release's loaded copy of one is reused without a look."""

    def __init__(self, boundary: str, previous: LoadedRelease | None) -> None:
        self.boundary = boundary
        self.shards = os.path.join(boundary, SHARDS)
        self.old_subtrees = {} if previous is None else previous.subtrees
        self.old_rel = {} if previous is None else previous.by_rel
        self.subtrees: dict[tuple[str, str], Subtree] = {}
        self.walked = 0  # directories actually read (the rest were reused)

    def directory(self, real_dir: str, prefix: str, stack: frozenset[str]) -> Subtree:
        self.walked += 1
        manifest = read_dir_manifest(Path(real_dir))
        entries = {} if manifest is None else manifest.files
        files: dict[str, str] = {}
        subdirs: list[tuple[str, str]] = []
        with os.scandir(real_dir) as scan:
            for item in scan:
                if item.name.startswith("."):
                    continue
                real, is_dir = _resolve(real_dir, item)
                if not _inside(self.boundary, real):
                    log.warning("refusing %s: resolves outside the site", item.path)
                elif is_dir:
                    subdirs.append((item.name, real))
                elif is_dir is not None:
                    files[item.name] = real
        variants = {name + suffix for name in files for suffix in ENCODING_SUFFIXES.values()}
        by_rel: dict[str, Resource] = {}
        for name, real in files.items():
            if name in variants:
                continue
            rel = prefix + name
            entry = entries.get(name)
            old = self.old_rel.get(rel)
            if entry is not None and old is not None and old.sha256 == entry.sha256:
                by_rel[rel] = old
                continue
            if os.path.getsize(real) > MAX_FILE_BYTES:
                log.warning("refusing %s: larger than %d bytes", real, MAX_FILE_BYTES)
                continue
            data = _read(real)
            if entry is None or entry.size != len(data):
                entry = FileEntry(size=len(data), sha256=digest(data),
                                  mtime=int(os.stat(real).st_mtime))
            bodies = {"identity": data}
            for coding, suffix in ENCODING_SUFFIXES.items():
                if name + suffix in files:
                    bodies[coding] = _read(files[name + suffix])
            by_rel[rel] = build_resource(rel, entry, bodies)
        urls = {url: res for rel, res in by_rel.items() for url in url_paths(rel)}
        for name, real in subdirs:
            if real in stack:
                log.warning("refusing %s: a symlink loop", os.path.join(real_dir, name))
                continue
            key = (f"{prefix}{name}/", real)
            shard = os.path.dirname(real) == self.shards
            sub = self.old_subtrees.get(key) if shard else None
            if sub is None:
                sub = self.directory(real, key[0], stack | {real})
            if shard:
                self.subtrees[key] = sub
            by_rel.update(sub.by_rel)
            urls.update(sub.urls)
        return Subtree(by_rel, urls)


@dataclass(frozen=True)
class LoadedRelease:
    name: str
    resources: dict[str, Resource]  # raw URL path -> resource
    not_found: Answer | None
    by_rel: dict[str, Resource] = field(default_factory=dict)
    subtrees: dict[tuple[str, str], Subtree] = field(default_factory=dict)
    walked: int = 0  # directories read by this load

    @classmethod
    def load(cls, root: Path, previous: LoadedRelease | None = None,
             boundary: Path | None = None) -> LoadedRelease:
        """Read a complete release: files whose bytes did not change, and whole shards
        already loaded, are reused. Symlinks may lead anywhere inside ``boundary`` (the
        output directory, where the shards are; by default the release itself)."""
        real_root = os.path.realpath(root)
        loader = _Loader(os.path.realpath(boundary or real_root), previous)
        tree = loader.directory(real_root, "", frozenset({real_root}))
        page = next((tree.by_rel[p] for p in NOT_FOUND_PAGES if p in tree.by_rel), None)
        missing = None if page is None else not_found(page)
        return cls(os.path.basename(real_root), tree.urls, missing, tree.by_rel,
                   loader.subtrees, loader.walked)


def not_found(page: Resource) -> Answer:
    """The release's 404 page, short-lived: the missing page may appear at the next publish."""
    ok = page.variants["identity"].ok
    headers = {**ok.headers, "Cache-Control": http_cache.ERROR_CACHE}
    headers.pop("Vary", None)
    return Answer.make(404, headers, ok.body)
