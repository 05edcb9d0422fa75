"""/favicon.ico is a real icon: an ICO directory pointing at a valid 32x32 RGBA PNG."""

from __future__ import annotations

import struct
import zlib

from aggregator.config import SiteSettings
from aggregator.favicon import SIZE
from aggregator.pages import SiteRenderer
from tests.site.factory import T0, dataset


def decode_png(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (width, height, depth, colour) == (SIZE, SIZE, 8, 6)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 4 * SIZE
    assert all(raw[y * stride] == 0 for y in range(SIZE))  # filter "none" on every row
    return [raw[y * stride + 1:(y + 1) * stride] for y in range(SIZE)]


def test_the_site_publishes_a_decodable_favicon() -> None:
    files = SiteRenderer(SiteSettings()).render(*dataset(3), T0)
    ico = files["favicon.ico"]
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, _, _, _, bits, size, offset = struct.unpack("<BBBBHHII", ico[6:22])
    assert (width, height, bits, offset, size) == (SIZE, SIZE, 32, 22, len(ico) - 22)
    rows = decode_png(ico[offset:])
    pixel = lambda x, y: tuple(rows[y][4 * x:4 * x + 4])  # noqa: E731
    assert pixel(0, 0)[3] == 0  # transparent corner
    assert pixel(16, 16) == (255, 255, 255, 255)  # the white dot in the centre
    assert pixel(16, 4) == (0x0B, 0x5C, 0xAB, 255)  # the blue disc
