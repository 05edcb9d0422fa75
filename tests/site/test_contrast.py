"""WCAG AA contrast of the colour pairs the stylesheet uses (4.5:1 text, 3:1 focus ring)."""

from __future__ import annotations

import re

from aggregator.render import STATIC_DIR

CSS = (STATIC_DIR / "style.css").read_text()


def colour(name: str) -> str:
    found = re.search(rf"--{name}:(#[0-9a-fA-F]{{6}})", CSS)
    assert found, name
    return found.group(1)


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_aa_on_their_backgrounds() -> None:
    white, panel = "#ffffff", "#f3f6fa"
    assert panel in CSS  # the search panel background
    for fg in ("fg", "muted", "accent", "warn"):
        assert ratio(colour(fg), white) >= 4.5, fg
        assert ratio(colour(fg), panel) >= 4.5, fg
    assert ratio(white, colour("accent")) >= 4.5  # button and booking link text
    for health in re.findall(r"\.health-[a-z]+(?:,\.health-[a-z]+)*\{color:(#[0-9a-f]{6})", CSS):
        assert ratio(health, white) >= 4.5, health


def test_focus_ring_is_visible() -> None:
    assert ratio(colour("focus"), "#ffffff") >= 3.0
    assert ":focus-visible" in CSS
