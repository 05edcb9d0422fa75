"""Write one release's files: hard-link what did not change, write and compress the rest.

Unchanged bytes (same path, same sha256 as the previous release's manifest) are linked
from the previous release together with their ``.gz``/``.br``, so a publish costs I/O and
compression only for the files that changed. Files are never modified in place (they may
be shared with the live release): new ones are created with ``O_EXCL``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from aggregator.manifest import MANIFEST_NAME, FileEntry, Manifest, digest, manifest_bytes
from aggregator.manifest import unchanged_entry as previous_entry
from aggregator.precompress import ENCODING_SUFFIXES, compress

# Errors that mean "cannot link here" (another filesystem, link limit): write instead.
_LINK_FALLBACK = frozenset({errno.EXDEV, errno.EMLINK, errno.EPERM, errno.ENOTSUP})


@dataclass
class WriteStats:
    written: int = 0
    linked: int = 0
    pages: int = 0
    entries: dict[str, FileEntry] = field(default_factory=dict)


def checked_relative(rel_path: str) -> str:
    """Renderer output must stay inside the release: no absolute paths, no dot segments."""
    parts = PurePosixPath(rel_path).parts
    if not parts or rel_path.startswith("/") or "\\" in rel_path or "\x00" in rel_path:
        raise ValueError(f"unsafe release path {rel_path!r}")
    if any(p in {".", ".."} or p.startswith(".") for p in parts):
        raise ValueError(f"unsafe release path {rel_path!r}")
    return rel_path


def write_new(path: Path, data: bytes, mtime: int, *, sync: bool = True) -> None:
    """Create (never overwrite), write, fsync unless the caller syncs in bulk, stamp the
    first-seen time."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.utime(path, (mtime, mtime))


def _link_unchanged(previous: Path, target: Path, rel: str, entry: FileEntry) -> bool:
    """Link a file and its variants from the previous release; False if it cannot be."""
    names = variant_names(rel, entry)
    try:
        st = (previous / rel).lstat()  # one syscall: lstat says regular file (no symlink)
        if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
            return False
        for name in names:
            os.link(previous / name, target / name, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in _LINK_FALLBACK or exc.errno == errno.ENOENT:
            for name in names:  # undo a half-linked set, then write it afresh
                (target / name).unlink(missing_ok=True)
            return False
        raise
    return True


def _write_changed(target: Path, rel: str, data: bytes, sha: str, now: int) -> FileEntry:
    variants = compress(rel, data)
    write_new(target / rel, data, now, sync=False)
    if variants.gzip is not None:
        write_new(target / (rel + ".gz"), variants.gzip, now, sync=False)
    if variants.br is not None:
        write_new(target / (rel + ".br"), variants.br, now, sync=False)
    return FileEntry(
        size=len(data),
        sha256=sha,
        mtime=now,
        gzip=None if variants.gzip is None else len(variants.gzip),
        br=None if variants.br is None else len(variants.br),
    )


BULK_SYNC_FILES = 256  # more written files than this: one sync(2) instead of fsyncs


def variant_names(rel: str, entry: FileEntry) -> list[str]:
    """A file and the precompressed variants stored next to it."""
    return [rel] + [rel + ENCODING_SUFFIXES[c] for c in ("gzip", "br") if getattr(entry, c)]


def flush_written(paths: list[Path]) -> None:
    """Make freshly written files durable. A few (a one-place publish): fsync each, which
    waits on nothing else. Many (a cold publish): one ``os.sync()``; 20,000 fsyncs made a
    cold publish of 10,000 places wait a minute on the journal."""
    if len(paths) > BULK_SYNC_FILES:
        os.sync()
        return
    for path in paths:
        _fsync(path, os.O_RDONLY | os.O_CLOEXEC)


def fsync_dirs(dirs: Iterable[Path]) -> None:
    for directory in dirs:
        _fsync(directory, os.O_RDONLY | os.O_DIRECTORY)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_files(
    target: Path,
    files: Mapping[str, bytes],
    now: int,
    previous: Path | None = None,
    previous_manifest: Manifest | None = None,
) -> WriteStats:
    """Fill ``target`` (an empty new directory) and its manifest, durable on return.

    Files are written without a per-file fsync and flushed together before returning
    (``flush_written``): nothing points at the release until it is on disk."""
    stats = WriteStats()
    dirs = {target}
    written: list[Path] = [target / MANIFEST_NAME]
    for rel, data in files.items():
        checked_relative(rel)
        parent = (target / rel).parent
        if parent not in dirs:
            parent.mkdir(parents=True, exist_ok=True)
            dirs.update(p for p in (parent, *parent.parents) if target in p.parents)
        sha = digest(data)
        entry = previous_entry(previous_manifest, rel, sha)
        if entry is not None and previous is not None and _link_unchanged(
            previous, target, rel, entry
        ):
            stats.linked += 1
        else:
            entry = _write_changed(target, rel, data, sha, now)
            stats.written += 1
            written.extend(target / name for name in variant_names(rel, entry))
        stats.entries[rel] = entry
        stats.pages += rel.endswith(".html")
    write_new(target / MANIFEST_NAME, manifest_bytes(target.name, stats.entries), now,
              sync=False)
    flush_written(written)
    fsync_dirs(sorted(dirs, key=lambda p: len(p.parts), reverse=True))
    return stats
