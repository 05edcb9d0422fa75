"""A small inline SVG line chart: a few dozen lines instead of a plotting library.

The output is deterministic (same points, same bytes) so the stats page only changes
when its history does; every text is XML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 12, 12, 28
MAX_POINTS = 240


def downsample(points: Sequence[tuple[datetime, int]], limit: int = MAX_POINTS) -> list[
    tuple[datetime, int]
]:
    """Keep at most ``limit`` points, each bucket's maximum (a rush peak must stay visible)."""
    if len(points) <= limit:
        return list(points)
    size = len(points) / limit
    out = []
    for i in range(limit):
        bucket = points[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)]
        out.append(max(bucket, key=lambda p: p[1]))
    return out


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude: int = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def line_chart(
    points: Sequence[tuple[datetime, int]],
    title: str,
    description: str,
    label_time: str = "%d/%m %H:%M",
) -> str:
    """An accessible SVG (role=img, <title>, <desc>) of values over time."""
    pts = downsample(sorted(points))
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    top = _nice_max(max((v for _, v in pts), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = PAD_TOP + inner_h * (1 - frac)
        parts.append(
            f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y:.1f}" '
            'class="grid"/>'
        )
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{int(top * frac)}</text>'
        )
    if pts:
        t0, t1 = pts[0][0].timestamp(), pts[-1][0].timestamp()
        span = (t1 - t0) or 1.0
        coords = " ".join(
            f"{PAD_LEFT + inner_w * (t.timestamp() - t0) / span:.1f},"
            f"{PAD_TOP + inner_h * (1 - v / top):.1f}"
            for t, v in pts
        )
        parts.append(f'<polyline points="{coords}" class="line"/>')
        for anchor, (when, _) in (("start", pts[0]), ("end", pts[-1])):
            x = PAD_LEFT if anchor == "start" else WIDTH - PAD_RIGHT
            parts.append(
                f'<text x="{x}" y="{HEIGHT - 8}" text-anchor={quoteattr(anchor)}>'
                f"{escape(when.strftime(label_time))}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
