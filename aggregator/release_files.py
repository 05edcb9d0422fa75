"""File-level steps of writing a release: create, hard-link, make durable.

Files are never modified in place (they may be shared with the live release): new ones are
created with ``O_EXCL``; unchanged ones are hard-linked with their ``.gz``/``.br``.
``release_tree`` decides which directories need writing at all.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from aggregator.manifest import FileEntry
from aggregator.precompress import ENCODING_SUFFIXES

# Errors that mean "cannot link here" (another filesystem, link limit): write instead.
LINK_FALLBACK = frozenset({errno.EXDEV, errno.EMLINK, errno.EPERM, errno.ENOTSUP})


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


def link_unchanged(previous: str, target: str, rel: str, entry: FileEntry) -> bool:
    """Link a file and its variants from the previous version of its directory; False if
    it cannot be (the caller then writes it). Plain strings: this runs ~1,000 times a
    publish."""
    names = variant_names(rel, entry)
    join = os.path.join
    try:
        st = os.lstat(join(previous, rel))  # one syscall: a regular file (no symlink)
        if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
            return False
        for name in names:
            os.link(join(previous, name), join(target, name), follow_symlinks=False)
    except OSError as exc:
        if exc.errno in LINK_FALLBACK or exc.errno == errno.ENOENT:
            for name in names:  # undo a half-linked set, then write it afresh
                Path(join(target, name)).unlink(missing_ok=True)
            return False
        raise
    return True


BULK_SYNC_FILES = 256  # more written files than this: one sync(2) instead of fsyncs


def variant_names(rel: str, entry: FileEntry) -> list[str]:
    """A file and the precompressed variants stored next to it."""
    return [rel] + [rel + ENCODING_SUFFIXES[c] for c in ("gzip", "br") if getattr(entry, c)]


def flush_written(paths: list[Path], dirs: list[Path]) -> None:
    """Make freshly written files and directories durable. A few (a one-place publish):
    fsync each, which waits on nothing else. Many (a cold publish): one ``os.sync()``;
    20,000 fsyncs made a cold publish of 10,000 places wait a minute on the journal, and
    each directory fsync is a journal commit too."""
    if len(paths) + len(dirs) > BULK_SYNC_FILES:
        os.sync()
        return
    for path in paths:
        _fsync(path, os.O_RDONLY | os.O_CLOEXEC)
    fsync_dirs(dirs)


def fsync_dirs(dirs: Iterable[Path]) -> None:
    for directory in dirs:
        _fsync(directory, os.O_RDONLY | os.O_DIRECTORY)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
