"""Old data is labelled first, then its slots are withheld."""

from __future__ import annotations

import json
from datetime import timedelta

from aggregator.config import SiteSettings
from aggregator.models import Status
from aggregator.pages import SiteRenderer, location_page
from tests.site.factory import T0, availability, location, slots_for

SETTINGS = SiteSettings(stale_after=1800, hide_after=6 * 3600)


def render_confirmed(age: timedelta, status: Status = Status.OK) -> tuple[dict[str, bytes], str]:
    loc = location(0)
    av = availability(loc, slots_for(0, T0), checked=T0, status=status, confirmed=T0 - age)
    files = SiteRenderer(SETTINGS).render({loc.id: loc}, {loc.id: av}, T0)
    return files, loc.id


def record(files: dict[str, bytes], lid: str) -> dict[str, object]:
    doc = json.loads(files["data/areas/69.json"])
    return next(loc for loc in doc["locations"] if loc["id"] == lid)


def test_fresh_data_is_shown_without_label() -> None:
    files, lid = render_confirmed(timedelta(minutes=5))
    page = files[location_page(lid)].decode()
    assert "Prochain créneau" in page and "stale-label" not in page
    assert record(files, lid)["stale"] is False


def test_data_older_than_stale_after_is_labelled_but_shown() -> None:
    files, lid = render_confirmed(timedelta(minutes=31))
    page = files[location_page(lid)].decode()
    assert "Données peut-être périmées." in page
    assert "Prochain créneau" in page and 'class="book"' in page
    rec = record(files, lid)
    assert rec["stale"] is True and rec["hidden"] is False and rec["slot_count"] > 0
    assert "Data may be out of date." in files["en/" + location_page(lid)].decode()


def test_data_older_than_hide_after_has_its_slots_withheld() -> None:
    files, lid = render_confirmed(timedelta(hours=6, minutes=1))
    page = files[location_page(lid)].decode()
    assert "Données trop anciennes : créneaux masqués." in page
    assert "Prochain créneau" not in page and 'class="book"' not in page
    rec = record(files, lid)
    assert rec["hidden"] is True and rec["slot_count"] == 0 and rec["types"] == []
    assert json.loads(files["data/search.json"])["areas"][0]["with_slots"] == 0


def test_a_failing_platform_keeps_the_last_good_slots_with_a_warning() -> None:
    files, lid = render_confirmed(timedelta(minutes=10), status=Status.ERROR)
    page = files[location_page(lid)].decode()
    assert "La dernière vérification a échoué" in page and "Prochain créneau" in page


def test_the_label_appears_when_time_alone_crosses_the_threshold() -> None:
    loc = location(0)
    av = availability(loc, slots_for(0, T0), confirmed=T0)
    renderer = SiteRenderer(SETTINGS)
    fresh = renderer.render({loc.id: loc}, {loc.id: av}, T0 + timedelta(minutes=29))
    stale = renderer.render({loc.id: loc}, {loc.id: av}, T0 + timedelta(minutes=31))
    assert b"stale-label" not in fresh[location_page(loc.id)]
    assert b"stale-label" in stale[location_page(loc.id)]
