"""The renderer rebuilds only the pages whose inputs changed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from jinja2 import Environment, Template

from aggregator.config import SiteSettings
from aggregator.models import Slot
from aggregator.pages import SiteRenderer, location_page
from tests.site.factory import T0, availability, dataset


class CountingEnvironment(Environment):
    """Counts template renders, to prove skipped pages are not rendered at all."""

    renders: Counter[str]

    def get_template(self, name: Any, *args: Any, **kwargs: Any) -> Template:
        self.renders[str(name)] += 1
        return super().get_template(name, *args, **kwargs)


def counting(renderer: SiteRenderer) -> CountingEnvironment:
    env = renderer.env
    counted = CountingEnvironment(loader=env.loader, autoescape=env.autoescape,
                                  undefined=env.undefined, trim_blocks=True, lstrip_blocks=True)
    counted.filters.update(env.filters)
    counted.renders = Counter()
    renderer.env = counted
    for fragments in renderer.fragments.values():  # the per-place pieces built in Python
        for name in ("place", "card", "location_main"):
            setattr(fragments, name, counted_call(counted.renders, name, getattr(fragments, name)))
    return counted


def counted_call(counts: Counter[str], name: str, build: Any) -> Any:
    def call(*args: Any) -> Any:
        counts[name] += 1
        return build(*args)

    return call


def test_unchanged_inputs_render_nothing() -> None:
    locations, availabilities = dataset(20)
    renderer = SiteRenderer(SiteSettings())
    renderer.render(locations, availabilities, T0)
    env = counting(renderer)
    again = dict(availabilities)
    for lid, av in availabilities.items():  # a re-poll: new objects, new checked_at only
        again[lid] = av.model_copy(update={"checked_at": T0 + timedelta(seconds=30)})
    renderer.render(locations, again, T0 + timedelta(seconds=30))
    assert renderer.last.rendered == 0 and renderer.last.views_computed == 0
    assert sum(env.renders.values()) == 0


def test_one_changed_place_rerenders_its_pages_only() -> None:
    locations, availabilities = dataset(20)
    renderer = SiteRenderer(SiteSettings())
    first = renderer.render(locations, availabilities, T0)
    env = counting(renderer)
    lid = "testplat:0"  # Lyon (area 69)
    old = availabilities[lid]
    moved = tuple(Slot(start=s.start + timedelta(minutes=15), appointment_type=s.appointment_type)
                  for s in old.slots)  # same counts in every window, new times
    availabilities[lid] = availability(locations[lid], moved, confirmed=T0 + timedelta(minutes=0,
                                                                                        seconds=1))
    second = renderer.render(locations, availabilities, T0)
    rebuilt = {k for k in second if first.get(k) is not second[k]
               and not k.startswith(("status", "static/", "data/schema/"))}
    assert rebuilt == {
        location_page(lid), "en/" + location_page(lid), "area/69.html", "en/area/69.html",
        "data/areas/69.json", "data/locations.json",
    }
    included = {"base.html", "macros.html"}
    pages_rendered = {k: n for k, n in env.renders.items() if k not in included}
    # the area pages are re-rendered, but only the changed place's card inside them, and
    # its place fragment once per language for both the card and the location page
    assert pages_rendered == {"location_main": 2, "area.html": 2, "card": 2, "place": 2}
    assert renderer.last.views_computed == 1
    assert renderer.last.rendered == len(rebuilt)


def test_incremental_renders_equal_a_fresh_full_render() -> None:
    """Memo, card cache, area regrouping: whatever is reused, the bytes must be those a
    fresh renderer produces from the same inputs."""
    locations, availabilities = dataset(20)
    renderer = SiteRenderer(SiteSettings())
    renderer.render(locations, availabilities, T0)
    moved = locations["testplat:2"].model_copy(update={"area": "75"})  # changes area
    locations[moved.id] = moved
    lid = "testplat:7"
    availabilities[lid] = availability(locations[lid], availabilities[lid].slots[2:],
                                       confirmed=T0)
    later = T0 + timedelta(hours=3)  # slots have passed, some entered the 24 h window
    incremental = renderer.render(locations, availabilities, later)
    fresh = SiteRenderer(SiteSettings()).render(locations, availabilities, later)
    assert incremental.keys() == fresh.keys()
    assert [k for k in fresh if incremental[k] != fresh[k]] == []
    assert b"testplat-2.html" in incremental["area/75.html"]
    assert b"testplat-2.html" not in incremental["area/13.html"]


def test_a_type_appearing_at_one_place_reaches_every_filter_and_the_full_dump() -> None:
    """Per-area digests and types are memoized on unchanged areas: a change at one place
    must still reach the home page's type filter and data/locations.json."""
    locations, availabilities = dataset(20)
    renderer = SiteRenderer(SiteSettings())
    before = renderer.render(locations, availabilities, T0)
    lid = "testplat:4"
    odd = Slot(start=T0 + timedelta(hours=5), appointment_type="dentist")
    availabilities[lid] = availability(locations[lid], (odd, *availabilities[lid].slots),
                                       confirmed=T0)
    incremental = renderer.render(locations, availabilities, T0)
    fresh = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    assert [k for k in fresh if incremental[k] != fresh[k]] == []
    assert b"dentist" in incremental["index.html"] and b"dentist" not in before["index.html"]
    assert incremental["data/locations.json"] != before["data/locations.json"]
