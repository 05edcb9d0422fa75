"""How much a location's freshness is worth to visitors.

Two signals, both optional: page views of the page(s) showing the location (an operator
or a log processor fills a Redis hash; area-level counts apply to every location listed on
that area page), and near-term slots shown (a slot tomorrow is what a visitor books; one in
three weeks can wait). A location showing slots can mislead (phantoms), one showing none can
only hide new ones, so shown slots raise the weight on top of the views.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class InterestParams:
    near_tau: float = 86_400.0  # s: a slot this far away counts 1/e of one starting now
    slot_gain: float = 1.0  # weight added per near-term slot shown (phantoms need shown slots)
    near_cap: float = 40.0  # no location is worth more than this many slots
    view_floor: float = 1.0  # views/hour every location is assumed to get
    default_views: float = 0.0  # views/hour when nobody reported any


def near_term_score(slot_starts: Iterable[float], now: float, tau: float) -> float:
    """Sum over future slots of exp(-(start - now) / tau): a soon slot counts ~1."""
    return sum(math.exp(-(start - now) / tau) for start in slot_starts if start >= now)


def views_for(location_id: str, area: str, views: Mapping[str, float]) -> float | None:
    """Views/hour of the page showing a location: its own entry, else its area's."""
    found = views.get(location_id)
    if found is None:
        found = views.get(area_field(area))
    return found


def area_field(area: str) -> str:
    """The views-hash field for an area page."""
    return f"area:{area}"


def interest_weight(views: float | None, near_score: float, params: InterestParams) -> float:
    """Positive worth of keeping one location fresh, in view-equivalents per hour."""
    seen = params.default_views if views is None else max(0.0, views)
    slots = min(max(0.0, near_score), params.near_cap)
    return (params.view_floor + seen) * (1.0 + params.slot_gain * slots)
