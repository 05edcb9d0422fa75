"""The public site in a real headless Chromium: search, filters, near me, no-JS,
language switch, freshness, keyboard; screenshots in var/screenshots/ for review."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from aggregator.i18n import SITE_TZ
from tests.browser.conftest import SCREENSHOTS, Site
from tests.site.factory import T0

pytestmark = pytest.mark.browser

MARSEILLE = {"latitude": 43.2965, "longitude": 5.3698}
# the policy production serves (deploy/ and the built-in server, which these tests use):
# no inline script may run, no foreign origin; a violation is a console error, which fails
# the test. Served by the server itself, not injected by a Playwright route: a route that
# fetches and fulfils loses the race with a navigation ("Fetch response has been disposed").
CSP = ("default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(
        base_url=site.url, locale="fr-FR", timezone_id="Europe/Paris",
        viewport={"width": 390, "height": 844}, geolocation=MARSEILLE,
    )
    context.grant_permissions(["geolocation"], origin=site.url)
    tab = context.new_page()
    tab.clock.set_fixed_time(T0)  # the browser's "now": 09:30 in Paris
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield tab
    context.close()
    assert errors == []


def in_area(site: Site, code: str) -> list[str]:
    return [lid for lid, loc in site.locations.items() if loc.area == code]


def has_type_before(site: Site, lid: str, kind: str, end: datetime | None) -> bool:
    return any(
        s.appointment_type == kind and s.start >= T0 and (end is None or s.start < end)
        for s in site.availabilities[lid].slots
    )


def site_card_time(site: Site, lid: str) -> str:
    from aggregator.i18n import format_local

    future = [s.start for s in site.availabilities[lid].slots if s.start >= T0]
    return format_local(min(future), "fr")


def card_ids(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => !e.hidden).map(e => e.dataset.id)"
    )


def test_search_with_autocomplete_then_filters(page: Any, site: Site) -> None:
    page.goto("/")
    box = page.get_by_role("combobox", name="Ville ou code postal")
    box.fill("vill")
    option = page.get_by_role("option", name="Villeurbanne 69100")
    option.wait_for()
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "opt-0"
    box.press("Enter")
    status = page.locator("#results-status")
    status.filter(has_text="Lieux pour Villeurbanne 69100").wait_for()
    rhone = in_area(site, "69")
    assert sorted(card_ids(page, "#results-list > li")) == sorted(rhone)
    assert page.locator("#results-list .checked").first.inner_text() == "Vérifié il y a 5 min"
    assert page.evaluate("window.__xss") is None  # the hostile name stayed text
    first = page.locator("#results-list > li").first
    server_card = site_card_time(site, first.get_attribute("data-id") or "")
    assert first.locator("time").inner_text() == server_card  # same format as the HTML
    assert page.get_by_text('<img src=x onerror="window.__xss=1">Centre piégé').count() == 1

    page.select_option("#type-home", "vaccine")
    expected = sorted(lid for lid in rhone if has_type_before(site, lid, "vaccine", None))
    page.wait_for_function("n => document.querySelectorAll('#results-list > li').length === n",
                           arg=len(expected))
    assert sorted(card_ids(page, "#results-list > li")) == expected

    midnight = T0.astimezone(SITE_TZ).replace(hour=0, minute=0).replace(day=3)
    today = sorted(lid for lid in rhone if has_type_before(site, lid, "vaccine", midnight))
    assert len(today) < len(expected)  # the data makes the horizon filter bite
    page.get_by_label("Aujourd'hui").check()
    page.wait_for_function("n => document.querySelectorAll('#results-list > li').length === n",
                           arg=len(today))
    assert sorted(card_ids(page, "#results-list > li")) == today
    page.screenshot(path=str(SCREENSHOTS / "home-search-mobile.png"), full_page=True)


def test_postcode_prefix_suggests_matching_places(page: Any) -> None:
    page.goto("/")
    page.get_by_role("combobox", name="Ville ou code postal").fill("130")
    page.get_by_role("option").first.wait_for()
    labels = page.eval_on_selector_all("#suggestions li", "els => els.map(e => e.textContent)")
    assert labels == ["Marseille 13001"]


def test_typing_loads_only_the_shard_of_its_prefix(page: Any) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto("/")
    box = page.get_by_role("combobox", name="Ville ou code postal")
    for typed in ("evr", "ÉVRY-C"):  # without its accent, then in capitals with it
        box.fill(typed)
        page.get_by_role("option", name="Évry-Courcouronnes 91000").wait_for()
    data = sorted({url.split("/data/", 1)[1] for url in fetched if "/data/" in url})
    assert data == ["search.json", "search/e.json"]  # one small shard, not every city


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    rad = math.pi / 180
    h = (math.sin((lat2 - lat1) * rad / 2) ** 2 + math.cos(lat1 * rad) * math.cos(lat2 * rad)
         * math.sin((lon2 - lon1) * rad / 2) ** 2)
    return 12742 * math.asin(math.sqrt(h))


def test_near_me_sorts_by_distance_from_the_mocked_position(page: Any, site: Site) -> None:
    page.goto("/")
    page.get_by_role("button", name="Près de moi").click()
    page.locator("#results-list > li").first.wait_for()
    shown = card_ids(page, "#results-list > li")
    distances = {
        lid: haversine(MARSEILLE["latitude"], MARSEILLE["longitude"], loc.lat or 0, loc.lon or 0)
        for lid, loc in site.locations.items()
    }
    assert set(in_area(site, "13")) <= set(shown)
    assert shown == sorted(shown, key=distances.__getitem__)
    first_meta = page.locator("#results-list > li .meta").first.inner_text()
    found = re.search(r"à ([\d,]+) km", first_meta)  # French decimal comma
    assert found is not None
    km = float(found.group(1).replace(",", "."))
    assert abs(km - distances[shown[0]]) < 0.1


def test_area_page_filters_cards_in_place(page: Any, site: Site) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto("/area/69.html")
    rhone = in_area(site, "69")
    assert sorted(card_ids(page, "#area-list > li.card")) == sorted(rhone)
    page.select_option("#type-area", "vaccine")
    expected = sorted(lid for lid in rhone if has_type_before(site, lid, "vaccine", None))
    page.wait_for_function(
        "n => [...document.querySelectorAll('#area-list > li.card')].filter(e => !e.hidden)"
        ".length === n", arg=len(expected))
    assert sorted(card_ids(page, "#area-list > li.card")) == expected
    page.select_option("#type-area", "")
    page.get_by_label("Tout").check()
    page.screenshot(path=str(SCREENSHOTS / "area-desktop.png"), full_page=True)
    page.locator("#area-list > li.card h2 a").first.click()
    page.wait_for_url(re.compile(r"/location/[0-9a-f]{2}/testplat-\d+\.html$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Centre de santé")
    page.locator(".checked").filter(has_text="il y a 5 min").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "location-desktop.png"), full_page=True)


def test_without_javascript_lists_are_in_the_html(browser: Any, site: Site) -> None:
    context = browser.new_context(base_url=site.url, java_script_enabled=False,
                                  viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto("/")
        assert not page.locator("#search").is_visible()  # the search degrades to area links
        links = page.locator("table.areas a")
        assert links.count() == len({loc.area for loc in site.locations.values()})
        page.screenshot(path=str(SCREENSHOTS / "home-nojs-mobile.png"), full_page=True)
        page.get_by_role("link", name="Rhône (69)").click()
        assert page.url.endswith("/area/69.html")
        assert page.locator("#area-list > li.card").count() == len(in_area(site, "69"))
        assert page.get_by_text("Prochain créneau").count() >= 1
        assert not page.locator("#area-filters").is_visible()
        page.goto("/area/13.html")
        tel = page.locator(".phone-only a[href^='tel:']")
        assert tel.count() == 1 and tel.get_attribute("href") == "tel:+33400000003"
    finally:
        context.close()


def test_language_switch_and_keyboard(page: Any) -> None:
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/en/index\.html$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Find a near-term appointment"
    page.get_by_role("link", name="Rhône (69)").click()
    page.get_by_role("link", name="Français").click()
    page.wait_for_url(re.compile(r"/area/69\.html$"))
    assert "/en/" not in page.url
    assert page.locator("html").get_attribute("lang") == "fr"


def test_providers_and_stats_pages(page: Any) -> None:
    page.set_viewport_size({"width": 1000, "height": 800})
    page.goto("/en/providers.html")
    row = page.locator("tr[data-platform=testplat]")
    assert row.locator(".health").inner_text() == "paused"
    # the last success comes from status.json, relative to the browser's clock
    row.locator("td[data-last-success]").filter(has_text="5 min ago").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "providers-en.png"), full_page=True)
    page.goto("/stats.html")
    chart = page.locator("svg.chart")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("polyline").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "stats-fr.png"), full_page=True)


def test_every_page_runs_under_the_production_csp(page: Any) -> None:
    """The browser enforces the server's header; console errors (violations) fail tests."""
    for path in ("/", "/en/", "/data/search.json"):
        response = page.goto(path)
        assert response is not None and response.status == 200
        assert response.headers["content-security-policy"] == CSP
