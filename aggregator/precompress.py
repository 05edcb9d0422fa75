"""Precompressed variants (``.gz``, ``.br``) written next to each compressible file.

Compression happens once per changed file at publish time, never per request: nginx
(``gzip_static``/``brotli_static``) and the built-in server both serve the stored bytes.
Output is deterministic (gzip mtime 0, no file name) so unchanged input gives unchanged bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePosixPath

import brotli

COMPRESSIBLE_SUFFIXES = frozenset(
    {".html", ".css", ".js", ".mjs", ".json", ".map", ".svg", ".xml", ".atom", ".txt"}
    | {".webmanifest"}
)
MIN_COMPRESS_BYTES = 256
# Brotli 11 costs ~2.5 ms per KB (measured: 9.3 ms for a 3.8 KB place page, 0.38 ms at
# quality 7 for 10% more bytes). Only hashed static assets get 11: they are compressed
# once and hard-linked forever after. Pages change with the data, and 20,000 of them at
# quality 11 made a cold publish of 10,000 places take 141 s; at 7 they cost seconds.
BROTLI_ASSET_QUALITY = 11
BROTLI_PAGE_QUALITY = 7
BROTLI_MAX_QUALITY_BYTES = 128 * 1024  # a larger asset gets the page quality too
# Large data files (data/locations.json is 2.7 MB at 10,000 places) change at every
# publish: measured on it, gzip -9 takes 69 ms and -6 16 ms (+13% bytes, for gzip-only
# clients), brotli 7 takes 56 ms and 5 25 ms for the same size (+0.1%).
LARGE_BYTES = 256 * 1024
LARGE_GZIP_LEVEL = 6
LARGE_BROTLI_QUALITY = 5
ENCODING_SUFFIXES = {"br": ".br", "gzip": ".gz"}


@dataclass(frozen=True)
class Variants:
    gzip: bytes | None
    br: bytes | None


def is_compressible(rel_path: str, size: int) -> bool:
    return size >= MIN_COMPRESS_BYTES and PurePosixPath(rel_path).suffix in COMPRESSIBLE_SUFFIXES


def gzip_bytes(data: bytes) -> bytes:
    """``gzip -9 -n`` (``-6`` when large): mtime 0 and no name, so the output depends on the
    input only."""
    level = LARGE_GZIP_LEVEL if len(data) > LARGE_BYTES else 9
    return gzip.compress(data, compresslevel=level, mtime=0)


def brotli_bytes(data: bytes, rel_path: str = "") -> bytes:
    asset = rel_path.startswith("static/") and len(data) <= BROTLI_MAX_QUALITY_BYTES
    quality = BROTLI_ASSET_QUALITY if asset else BROTLI_PAGE_QUALITY
    if len(data) > LARGE_BYTES:
        quality = LARGE_BROTLI_QUALITY
    return bytes(brotli.compress(data, quality=quality))


def compress(rel_path: str, data: bytes) -> Variants:
    """The variants worth storing: none for small or binary files, none that do not shrink."""
    if not is_compressible(rel_path, len(data)):
        return Variants(None, None)
    return _kept(data, gzip_bytes(data), brotli_bytes(data, rel_path))


def _kept(data: bytes, gz: bytes, br: bytes) -> Variants:
    return Variants(gz if len(gz) < len(data) else None, br if len(br) < len(data) else None)


PARALLEL_BYTES = 256 * 1024  # less to compress than this: threads are not worth it
_POOL: list[ThreadPoolExecutor] = []


def compress_all(files: Mapping[str, bytes]) -> dict[str, Variants]:
    """``compress`` for each file. With much to do, gzip and brotli run on two threads,
    largest first: zlib and brotli release the GIL, and a one-place publish compresses
    ~3.5 MB (``data/locations.json``, two area pages, ...)."""
    todo = sorted(((rel, data) for rel, data in files.items()
                   if is_compressible(rel, len(data))), key=lambda item: -len(item[1]))
    if sum(len(data) for _, data in todo) < PARALLEL_BYTES:
        return {rel: compress(rel, data) for rel, data in files.items()}
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="compress"))
    pool = _POOL[0]
    jobs = [(rel, data, pool.submit(brotli_bytes, data, rel), pool.submit(gzip_bytes, data))
            for rel, data in todo]
    found = {rel: Variants(None, None) for rel in files}
    for rel, data, br, gz in jobs:
        found[rel] = _kept(data, gz.result(), br.result())
    return found
