"""Walk a release the way a server sees it: through its shard symlinks."""

from __future__ import annotations

import os
from pathlib import Path


def served_files(release: Path, *, variants: bool = False) -> dict[str, Path]:
    """rel path -> path of each published file (dotfiles, and unless asked .gz/.br, left out)."""
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(release, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or (not variants and name.endswith((".gz", ".br"))):
                continue
            path = Path(dirpath) / name
            found[path.relative_to(release).as_posix()] = path
    return found
