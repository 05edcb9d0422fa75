import math

import pytest

from aggregator.adaptive.interest import (
    InterestParams,
    area_field,
    interest_weight,
    near_term_score,
    views_for,
)


def test_near_slots_count_most_and_past_slots_not_at_all() -> None:
    now, day = 1_000_000.0, 86_400.0
    assert near_term_score([now], now, day) == pytest.approx(1.0)
    assert near_term_score([now + day], now, day) == pytest.approx(math.exp(-1))
    assert near_term_score([now - 60.0], now, day) == 0.0
    assert near_term_score([], now, day) == 0.0


def test_location_views_override_area_views() -> None:
    views = {"doctolib:1": 50.0, area_field("75"): 500.0}
    assert views_for("doctolib:1", "75", views) == 50.0
    assert views_for("doctolib:2", "75", views) == 500.0
    assert views_for("doctolib:3", "13", views) is None


def test_weight_grows_with_views_and_near_slots_and_is_capped() -> None:
    p = InterestParams(slot_gain=0.5, near_cap=10.0, view_floor=1.0)
    base = interest_weight(None, 0.0, p)
    assert base == 1.0
    assert interest_weight(99.0, 0.0, p) == 100.0
    assert interest_weight(None, 4.0, p) == 3.0
    assert interest_weight(None, 1000.0, p) == interest_weight(None, 10.0, p)
    assert interest_weight(-5.0, 0.0, p) == base
