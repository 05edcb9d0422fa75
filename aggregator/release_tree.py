"""A release as a Merkle tree of content-addressed directories (like git trees).

A release root (``releases/<id>/``) holds its top-level files and, for each subdirectory,
a relative symlink to ``shards/<digest>/``; a shard holds its files and a symlink
``../<digest>`` per subdirectory of its own. A directory's digest covers the names and
sha256 of everything under it, so a directory whose content did not change is the very
same shard in the next release: a one-place publish writes the changed shard and its
ancestors (hard-linking their unchanged files) instead of linking every file of the site.

Shards are filled under a temporary name, made durable, then renamed to their digest, so
a shard directory that exists is complete; it is never modified, only deleted (renamed
away first) once no kept release refers to it (``sweep_shards``). The release root is new
each publish and goes live only through the ``current`` swap (``publish``).
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.manifest import MANIFEST_NAME, FileEntry, digest, manifest_bytes, read_dir_manifest
from aggregator.precompress import Variants, compress, compress_all
from aggregator.release_files import (
    LINK_FALLBACK,
    checked_relative,
    flush_written,
    fsync_dirs,
    link_unchanged,
    write_new,
)

SHARDS = "shards"
_CHILDREN_LIMIT = 200_000
# digest -> digests of its subdirectories: a function of the digest alone (content
# addressed), so it is safe to remember across publishes and output directories.
_CHILDREN: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True)
class Node:
    """One directory of a release: its files, its subdirectories, where it lives."""

    digest: str
    files: Mapping[str, FileEntry]
    dirs: Mapping[str, Node]
    home: Path
    count: int  # files in the whole subtree

    @property
    def shared(self) -> bool:
        """A content-addressed shard (reusable as is), not a release root or a legacy
        plain directory."""
        return self.home.name == self.digest and self.home.parent.name == SHARDS


@dataclass(frozen=True)
class Published:
    """What a publish left behind. ``data`` holds the bytes objects it was given: a renderer
    handing back the very same object for an unchanged page is not hashed again."""

    root: Node
    entries: dict[str, FileEntry]
    data: Mapping[str, bytes] = field(default_factory=dict)
    pages: int = -1  # HTML files; -1: not counted yet

    def page_count(self) -> int:
        return self.pages if self.pages >= 0 else sum(r.endswith(".html") for r in self.entries)


@dataclass
class TreeStats:
    written: int = 0  # files written (with their variants)
    linked: int = 0  # files hard-linked into a new directory
    new_dirs: int = 0
    pages: int = 0


def shards_dir(release: Path) -> Path:
    """Releases live in ``<output_dir>/releases/``, shards in ``<output_dir>/shards/``."""
    return release.parent.parent / SHARDS


def tree_digest(files: Mapping[str, FileEntry], dirs: Mapping[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(f"f\0{name}\0{files[name].sha256}\0".encode())
    for name in sorted(dirs):
        h.update(f"d\0{name}\0{dirs[name]}\0".encode())
    return h.hexdigest()


def _remember(node: Node) -> None:
    if len(_CHILDREN) > _CHILDREN_LIMIT:
        _CHILDREN.clear()
    _CHILDREN[node.digest] = tuple(c.digest for c in node.dirs.values())


def _make_node(files: dict[str, FileEntry], dirs: dict[str, Node], home: Path,
               known: str | None = None) -> Node:
    dig = known or tree_digest(files, {n: c.digest for n, c in dirs.items()})
    node = Node(dig, files, dirs, home, len(files) + sum(c.count for c in dirs.values()))
    _remember(node)
    return node


def _from_flat(home: Path, entries: Mapping[str, FileEntry]) -> Node:
    """A release written before shards existed: plain directories under its root."""
    groups: dict[str, dict[str, FileEntry]] = {}
    for rel, entry in entries.items():
        parent, _, name = rel.rpartition("/")
        groups.setdefault(parent, {})[name] = entry
        while parent and parent.rpartition("/")[0] not in groups:
            parent = parent.rpartition("/")[0]
            groups.setdefault(parent, {})

    def build(path: str) -> Node:
        prefix = path + "/" if path else ""
        kids = {d[len(prefix):]: build(d) for d in groups
                if d.startswith(prefix) and d != path and "/" not in d[len(prefix):]}
        return _make_node(dict(groups.get(path, {})), kids, home / path if path else home)

    groups.setdefault("", {})
    return build("")


def load_node(directory: Path, shards: Path) -> Node | None:
    """A directory's tree from its manifests; None when any of them is missing."""
    manifest = read_dir_manifest(directory)
    if manifest is None:
        return None
    if any("/" in name for name in manifest.files):
        return _from_flat(directory, manifest.files)
    dirs: dict[str, Node] = {}
    for name, dig in manifest.dirs.items():
        child = load_node(shards / dig, shards)
        if child is None or child.digest != dig:
            return None
        dirs[name] = child
    shard = directory.parent == shards and directory.name == manifest.release
    return _make_node(dict(manifest.files), dirs, directory,
                      manifest.release if shard else None)


def flatten(root: Node) -> dict[str, FileEntry]:
    found: dict[str, FileEntry] = {}
    pending = [("", root)]
    while pending:
        prefix, node = pending.pop()
        found.update((prefix + name, entry) for name, entry in node.files.items())
        pending.extend((f"{prefix}{name}/", child) for name, child in node.dirs.items())
    return found


def load_published(release: Path) -> Published | None:
    root = load_node(release, shards_dir(release))
    return None if root is None else Published(root, flatten(root))


def _lookup(root: Node | None, path: str) -> Node | None:
    node = root
    for part in path.split("/") if path else ():
        node = None if node is None else node.dirs.get(part)
    return node


def _ancestors(touched: Iterable[str]) -> dict[str, list[str]]:
    """Every directory holding a change, with its changed subdirectories (root included)."""
    kids: dict[str, list[str]] = {"": []}
    for path in touched:
        if path in kids:
            continue
        kids[path] = []
        while path:
            parent, _, name = path.rpartition("/")
            known = parent in kids
            kids.setdefault(parent, []).append(name)
            if known:
                break
            path = parent
    return kids


class _TreeWriter:
    """One publish's writes: new shards are filled under temporary names and renamed to
    their digest only once everything written is durable (``commit``)."""

    def __init__(self, target: Path, files: Mapping[str, bytes], now: int) -> None:
        self.target = target
        self.shards = shards_dir(target)
        self.files = files
        self.now = now
        self.stats = TreeStats()
        self.written: list[Path] = []
        self.pending: list[tuple[Path, Path]] = []  # temporary dir -> final shard dir
        self.reloaded = False  # a shard already on disk was reused: its own mtimes win

    def fill(self, home: Path, label: str, path: str, files: Mapping[str, FileEntry],
             dirs: Mapping[str, Node], previous: Node | None,
             fresh: Mapping[str, Variants], links_to: str) -> None:
        """Write one directory: changed files, links for unchanged ones (from the previous
        version of this directory), a symlink ``links_to + digest`` per subdirectory;
        ``label`` is the manifest's name (release name or digest)."""
        old_home, new_home = os.fspath(previous.home if previous else home), os.fspath(home)
        for name, entry in files.items():
            rel = f"{path}/{name}" if path else name
            variants = fresh.get(name)
            if variants is None and previous is not None and name in previous.files and (
                link_unchanged(old_home, new_home, name, entry)
            ):
                self.stats.linked += 1
                continue
            if variants is None:  # cannot link (other filesystem, pruned): write again
                variants = compress(rel, self.files[rel])
            self._write(home, name, self.files[rel], variants, entry.mtime)
        for name, child in dirs.items():
            # An unchanged entry is a hard link to the previous directory's symlink (same
            # depth, same relative target): link(2) is far cheaper than a new symlink inode.
            if previous is not None and previous.dirs.get(name) is child:
                try:
                    os.link(os.path.join(old_home, name), os.path.join(new_home, name),
                            follow_symlinks=False)
                    continue
                except OSError as exc:
                    if exc.errno not in LINK_FALLBACK and exc.errno != errno.ENOENT:
                        raise
            os.symlink(links_to + child.digest, home / name)
        write_new(home / MANIFEST_NAME,
                  manifest_bytes(label, files,
                                 {n: c.digest for n, c in dirs.items()}),
                  self.now, sync=False)
        self.written.append(home / MANIFEST_NAME)
        self.stats.new_dirs += 1

    def _write(self, home: Path, name: str, data: bytes, variants: Variants, mtime: int) -> None:
        write_new(home / name, data, mtime, sync=False)
        self.written.append(home / name)
        for suffix, body in ((".gz", variants.gzip), (".br", variants.br)):
            if body is not None:
                write_new(home / (name + suffix), body, mtime, sync=False)
                self.written.append(home / (name + suffix))
        self.stats.written += 1

    def shard(self, dig: str, path: str, files: dict[str, FileEntry], dirs: dict[str, Node],
              previous: Node | None, fresh: Mapping[str, Variants]) -> Node:
        final = self.shards / dig
        if final.is_dir():  # renamed into place only once complete: reuse it
            existing = load_node(final, self.shards)
            if existing is not None and existing.digest == dig:
                self.reloaded = True
                return existing
        tmp = self.shards / f".tmp-{secrets.token_hex(8)}"
        tmp.mkdir(parents=True)
        self.pending.append((tmp, final))
        self.fill(tmp, dig, path, files, dirs, previous, fresh, "../")
        return _make_node(files, dirs, final, dig)

    def commit(self) -> None:
        """Durable files, then durable shard renames: only then may a release name them."""
        flush_written(self.written, [tmp for tmp, _ in self.pending] + [self.target])
        for tmp, final in self.pending:
            try:
                os.rename(tmp, final)
            except OSError as exc:  # the same shard appeared meanwhile: identical content
                if exc.errno not in {errno.ENOTEMPTY, errno.EEXIST}:
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
                self.reloaded = True
        if self.pending:
            fsync_dirs([self.shards])

    def abort(self) -> None:
        for tmp, _ in self.pending:
            shutil.rmtree(tmp, ignore_errors=True)


def _changes(files: Mapping[str, bytes], previous: Published | None, now: int,
             ) -> tuple[dict[str, FileEntry], dict[str, dict[str, FileEntry | None]],
                        dict[str, dict[str, Variants]]]:
    """The new path -> entry map, what changed per directory, and the new files' variants."""
    old = {} if previous is None else previous.entries
    seen = {} if previous is None else previous.data
    entries = dict(old)
    touched: dict[str, dict[str, FileEntry | None]] = {}
    fresh: dict[str, dict[str, Variants]] = {}
    changed: dict[str, bytes] = {}
    hashes: dict[str, str] = {}
    for rel, data in files.items():
        if seen.get(rel) is data:
            continue
        checked_relative(rel)
        sha = digest(data)
        entry = old.get(rel)
        if entry is None or entry.sha256 != sha:
            changed[rel] = data
            hashes[rel] = sha
    for rel, variants in compress_all(changed).items():
        data = changed[rel]
        entry = FileEntry(size=len(data), sha256=hashes[rel], mtime=now,
                          gzip=None if variants.gzip is None else len(variants.gzip),
                          br=None if variants.br is None else len(variants.br))
        entries[rel] = entry
        parent, _, name = rel.rpartition("/")
        touched.setdefault(parent, {})[name] = entry
        fresh.setdefault(parent, {})[name] = variants
    for rel in old.keys() - files.keys():
        del entries[rel]
        parent, _, name = rel.rpartition("/")
        touched.setdefault(parent, {})[name] = None
    return entries, touched, fresh


def _plain_dirs(root: Node) -> list[str]:
    """Subdirectories that are not shards; a shard's subdirectories are all shards."""
    found: list[str] = []
    pending = [(name, child) for name, child in root.dirs.items()]
    while pending:
        path, node = pending.pop()
        if not node.shared:
            found.append(path)
            pending.extend((f"{path}/{name}", child) for name, child in node.dirs.items())
    return found


def write_tree(target: Path, files: Mapping[str, bytes], now: int,
               previous: Published | None = None) -> tuple[Published, TreeStats]:
    """Fill ``target`` (an empty new release directory) and whatever new shards it needs,
    durable on return. Unchanged directories are the previous release's shards."""
    entries, touched, fresh = _changes(files, previous, now)
    for path in [] if previous is None else _plain_dirs(previous.root):
        touched.setdefault(path, {})  # not a shard yet (a release from before shards)
    kids = _ancestors(touched)
    writer = _TreeWriter(target, files, now)
    counted = -1 if previous is None else previous.page_count()
    if counted < 0:
        writer.stats.pages = sum(rel.endswith(".html") for rel in files)
    else:  # counted from the changes: no pass over 20,000 paths
        old = previous.entries if previous is not None else {}
        writer.stats.pages = counted + sum(
            (rel in files) - (rel in old)
            for rel in (f"{d}/{n}" if d else n for d, names in touched.items() for n in names)
            if rel.endswith(".html")
        )
    built: dict[str, Node | None] = {}
    old_root = None if previous is None else previous.root
    try:
        for path in sorted(kids, key=lambda p: p.count("/") + bool(p), reverse=True):
            before = _lookup(old_root, path)
            own = dict(before.files) if before is not None else {}
            for name, entry in touched.get(path, {}).items():
                if entry is None:
                    own.pop(name, None)
                else:
                    own[name] = entry
            subdirs = dict(before.dirs) if before is not None else {}
            for name in kids[path]:
                child = built[f"{path}/{name}" if path else name]
                if child is None:
                    subdirs.pop(name, None)
                else:
                    subdirs[name] = child
            if not path:
                writer.fill(target, target.name, path, own, subdirs, before,
                            fresh.get(path, {}), f"../../{SHARDS}/")
                built[path] = _make_node(own, subdirs, target)
            elif not own and not subdirs:
                built[path] = None
            else:
                dig = tree_digest(own, {n: c.digest for n, c in subdirs.items()})
                if before is not None and before.shared and before.digest == dig:
                    built[path] = before
                else:
                    built[path] = writer.shard(dig, path, own, subdirs, before,
                                               fresh.get(path, {}))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    root = built[""]
    assert root is not None
    if writer.reloaded:
        entries = flatten(root)
    return Published(root, entries, files, writer.stats.pages), writer.stats


def referenced_shards(releases: Iterable[Path], shards: Path) -> set[str]:
    """Every shard some release reaches through its symlinks (what nginx would follow)."""
    seen: set[str] = set()
    pending: list[str] = []
    for release in releases:
        pending.extend(_links(release))
    while pending:
        dig = pending.pop()
        if dig in seen:
            continue
        seen.add(dig)
        children = _CHILDREN.get(dig)
        if children is None:
            children = _CHILDREN[dig] = tuple(_links(shards / dig))
        pending.extend(children)
    return seen


def _links(directory: Path) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return [os.path.basename(os.readlink(e.path)) for e in entries if e.is_symlink()]
    except OSError:
        return []


def sweep_shards(output_dir: Path, releases: Iterable[Path]) -> int:
    """Delete shards no kept release refers to (and leftovers of interrupted writes). A
    shard is renamed away before it is deleted, so a crash never leaves a partial
    directory under a digest name."""
    shards = output_dir / SHARDS
    if not shards.is_dir():
        return 0
    keep = referenced_shards(releases, shards)
    removed = 0
    for name in os.listdir(shards):
        if name in keep:
            continue
        path = shards / name
        if not name.startswith("."):
            doomed = shards / f".del-{secrets.token_hex(8)}"
            try:
                os.rename(path, doomed)
            except OSError:
                continue
            path = doomed
            removed += 1
        shutil.rmtree(path, ignore_errors=True)
    return removed
