"""``/favicon.ico``, drawn in code: browsers ask for it at the root whatever the page says
(a JSON file opened directly, old browsers, feed readers), and each miss is a 404 in the
server's log and the visitor's console during a rush.

The same rings as ``site/static/favicon.svg``, 32x32, as a PNG inside an ICO (Windows Vista
and every browser since read PNG entries), deterministic bytes so publishes stay identical.
"""

from __future__ import annotations

import struct
import zlib

SIZE = 32
BLUE = (0x0B, 0x5C, 0xAB, 0xFF)
WHITE = (0xFF, 0xFF, 0xFF, 0xFF)
CLEAR = (0, 0, 0, 0)


def _pixel(x: int, y: int) -> tuple[int, int, int, int]:
    """The SVG's geometry scaled x2: disc r 14, ring r 8 (width 3), dot r 3."""
    r = ((x + 0.5 - SIZE / 2) ** 2 + (y + 0.5 - SIZE / 2) ** 2) ** 0.5
    if r > 14:
        return CLEAR
    if r <= 3 or 6.5 <= r <= 9.5:
        return WHITE
    return BLUE


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png() -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(_pixel(x, y)) for x in range(SIZE)) for y in range(SIZE)
    )
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b""))


def favicon_ico() -> bytes:
    image = png()
    directory = struct.pack("<HHH", 0, 1, 1)  # reserved, type icon, one image
    entry = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16)
    return directory + entry + image
