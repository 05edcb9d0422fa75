"""The stats chart: valid, escaped, deterministic SVG; a peak survives downsampling."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from aggregator.svg import MAX_POINTS, downsample, line_chart
from tests.site.factory import T0

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_valid_svg_with_escaped_texts() -> None:
    points = [(T0 + timedelta(minutes=m), (m * 37) % 101) for m in range(50)]
    svg = line_chart(points, "Slots <b>&", "desc")
    root = ET.fromstring(svg)
    assert root.findtext(f"{SVG}title") == "Slots <b>&"
    line = root.find(f"{SVG}polyline")
    assert line is not None and len((line.get("points") or "").split()) == 50
    assert svg == line_chart(list(reversed(points)), "Slots <b>&", "desc")


def test_downsampling_keeps_the_peak() -> None:
    points = [(T0 + timedelta(minutes=m), 1) for m in range(5000)]
    points[3333] = (points[3333][0], 999)
    kept = downsample(points)
    assert len(kept) == MAX_POINTS and max(v for _, v in kept) == 999
