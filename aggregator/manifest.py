"""The release manifest: what each published file is, and since when its bytes exist.

Every directory of a release (its root and each content-addressed shard, see
``release_tree``) holds its own ``.manifest.json``: its files, and its subdirectories by
digest. ``load_manifest`` flattens them into one path -> entry map.

``mtime`` is the publish time at which a file's current bytes first appeared; carrying it
over for unchanged files keeps ETag and Last-Modified identical across publishes, so
browsers and caches revalidate to a 304 instead of downloading again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

MANIFEST_NAME = ".manifest.json"


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    size: int
    sha256: str
    mtime: int  # whole seconds: HTTP dates and nginx's ETag have no finer grain
    gzip: int | None = None  # size of the stored .gz variant, if any
    br: int | None = None

    @property
    def etag(self) -> str:
        """Strong validator of the identity bytes; variants append their coding."""
        return f'"{self.sha256[:24]}"'


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    release: str  # the release name, or a shard's digest
    files: dict[str, FileEntry]
    dirs: dict[str, str] = {}  # subdirectory name -> shard digest


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unchanged_entry(previous: Manifest | None, rel_path: str, sha256: str) -> FileEntry | None:
    """The previous entry when these exact bytes were already published (mtime carries over)."""
    if previous is None:
        return None
    entry = previous.files.get(rel_path)
    return entry if entry is not None and entry.sha256 == sha256 else None


def read_dir_manifest(directory: Path) -> Manifest | None:
    """One directory's own manifest; None when missing or unreadable."""
    try:
        return Manifest.model_validate_json((directory / MANIFEST_NAME).read_bytes())
    except (OSError, ValidationError):
        return None


def load_manifest(release: Path) -> Manifest | None:
    """Every file of a release, subdirectories flattened (``dirs`` is then empty); None when
    missing or unreadable: the caller then treats every file as new."""
    top = read_dir_manifest(release)
    if top is None:
        return None
    files = dict(top.files)
    pending = [(release / name, name + "/", sub) for name, sub in top.dirs.items()]
    while pending:
        directory, prefix, _ = pending.pop()
        found = read_dir_manifest(directory)
        if found is None:
            return None
        files.update((prefix + name, entry) for name, entry in found.files.items())
        pending.extend((directory / n, f"{prefix}{n}/", d) for n, d in found.dirs.items())
    return Manifest(release=top.release, files=files)


def manifest_bytes(release: str, files: Mapping[str, FileEntry],
                   dirs: Mapping[str, str] | None = None) -> bytes:
    return Manifest(release=release, files=dict(sorted(files.items())),
                    dirs=dict(sorted((dirs or {}).items()))).model_dump_json().encode()
