"""Whatever a payload holds, the Keldoc and Maiia parsers answer or raise ParseError:
never KeyError, TypeError, ValueError or a pydantic ValidationError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.errors import ParseError
from scrapers.keldoc import parse as keldoc
from scrapers.maiia import parse as maiia
from tests.adapters.recorded import load

URL = "https://example.org/x"
leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
leaves |= st.sampled_from(["2026-03-29T02:30:00", "2026-13-01", "", "Z", "-1", "9999-12-31"])
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def _maiia_availabilities(payload: Any) -> object:
    return maiia.parse_availabilities(maiia.parse_page(payload, "availabilities"), "Rappel", URL)


PARSERS: dict[str, tuple[Callable[[Any], object], str, str]] = {
    "keldoc-timetable": (
        lambda p: keldoc.parse_timetable(p, "Rappel", URL),
        "keldoc",
        "timetable-dst-week.json",
    ),
    "keldoc-motives": (keldoc.parse_motive_categories, "keldoc", "motive-categories-30411.json"),
    "keldoc-listing": (lambda p: keldoc.parse_listing(p, URL), "keldoc", "listing-page-1.json"),
    "keldoc-cabinets": (keldoc.parse_cabinets, "keldoc", "cabinets-4120.json"),
    "keldoc-clinic": (keldoc.parse_clinic, "keldoc", "clinic-4120.json"),
    "maiia-availabilities": (_maiia_availabilities, "maiia", "availabilities-page-a.json"),
    "maiia-centres": (
        lambda p: maiia.parse_centres(maiia.parse_page(p, "hcd"), URL),
        "maiia",
        "hcd-page-0.json",
    ),
    "maiia-reasons": (
        lambda p: maiia.parse_reasons(maiia.parse_page(p, "consultation-reason-hcd")),
        "maiia",
        "consultation-reasons.json",
    ),
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], tuple(rest), new)
    return copy


def _answers_or_parse_error(parser: Callable[[Any], object], payload: Any) -> None:
    try:
        parser(payload)
    except ParseError as exc:
        assert str(exc).split(" ", 1)[0] in {"keldoc", "maiia"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(PARSERS)), payload=json_values)
def test_any_json_is_an_answer_or_a_parse_error(name: str, payload: Any) -> None:
    parser, _, _ = PARSERS[name]
    _answers_or_parse_error(parser, payload)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(PARSERS)), data=st.data(), new=json_values)
def test_a_recorded_payload_with_one_field_changed(
    name: str, data: st.DataObject, new: Any
) -> None:
    parser, platform, fixture = PARSERS[name]
    payload = load(platform, fixture)
    path = data.draw(st.sampled_from(_paths(payload)))
    _answers_or_parse_error(parser, _replace(payload, path, new))
