"""Hostile names must stay inert in HTML, in JSON embedded in HTML, in JSON and in Atom."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from markupsafe import escape

from aggregator.config import SiteSettings
from aggregator.feeds import ReleaseEvent
from aggregator.fragments import esc
from aggregator.models import Slot
from aggregator.pages import SiteContext, SiteRenderer, location_page
from tests.site.factory import T0, availability, dataset, location, slots_for

EVIL = '</script><script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


class ScriptCollector(HTMLParser):
    """Collects every element a browser would create, and script bodies."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def render_evil() -> dict[str, bytes]:
    locations, availabilities = dataset(6)
    evil = location(0, name=EVIL, address=EVIL, booking_url="javascript:alert(1)")
    locations[evil.id] = evil
    availabilities[evil.id] = availability(evil, slots_for(0))
    event = ReleaseEvent("1-0", evil.id, evil.area, T0, slots_for(0)[:2], 2)
    renderer = SiteRenderer(SiteSettings(), context=SiteContext(events=(event,)))
    return renderer.render(locations, availabilities, T0)


def test_names_are_inert_in_every_html_page() -> None:
    files = render_evil()
    html_pages = {k: v.decode() for k, v in files.items() if k.endswith(".html")}
    assert html_pages
    for path, text in html_pages.items():
        parser = ScriptCollector()
        parser.feed(text)
        assert "img" not in parser.tags, path
        assert not any(name.startswith("on") for name, _ in parser.attrs), path
        assert not any((value or "").startswith("javascript:") for _, value in parser.attrs)
        # only our own two scripts: the i18n JSON and the hashed app.js (plus JSON-LD)
        assert len(parser.scripts) <= 3, path
        for body in parser.scripts:  # JSON bodies: no raw "<" that could close the element
            assert "<" not in body, path
            if body:
                json.loads(body)
    page = html_pages[location_page("testplat:0")]
    assert "&lt;/script&gt;&lt;script&gt;alert(" in page


def test_json_in_html_round_trips_the_name() -> None:
    files = render_evil()
    parser = ScriptCollector()
    parser.feed(files[location_page("testplat:0")].decode())
    ld = [json.loads(s) for s in parser.scripts if '"@context"' in s]
    assert ld and ld[0]["name"] == EVIL  # escaped as \u003c in the page, intact once parsed


def test_data_files_and_feed_keep_the_name_exactly() -> None:
    files = render_evil()
    area = json.loads(files["data/areas/69.json"])
    names = {loc["name"] for loc in area["locations"]}
    assert EVIL in names
    evil = next(loc for loc in area["locations"] if loc["name"] == EVIL)
    assert evil["booking_url"] == ""  # a javascript: link is never published
    feed = ET.fromstring(files["feeds/69.atom"])
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert titles == [f"2 nouveaux créneaux à {EVIL}"]
    assert b"<script>" not in files["feeds/69.atom"]


def test_slot_booking_url_must_be_http() -> None:
    locations, availabilities = dataset(1)
    loc = next(iter(locations.values()))
    slot = Slot(start=T0.replace(hour=15), booking_url="javascript:alert(2)")
    availabilities[loc.id] = availability(loc, (slot,))
    files = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    assert b"javascript:" not in files[location_page(loc.id)]
    assert b'href="https://booking.example.test/centre/0"' in files[location_page(loc.id)]


def test_an_odd_area_code_cannot_leave_the_release() -> None:
    loc = location(0, area="../../etc<x>")
    files = SiteRenderer(SiteSettings()).render({loc.id: loc}, {loc.id: availability(
        loc, slots_for(0))}, T0)
    assert all(".." not in path.split("/") and "<" not in path for path in files)
    area_pages = [p for p in files if p.startswith("area/")]
    assert len(area_pages) == 1
    assert "../../etc&lt;x&gt;" in files[area_pages[0]].decode()  # the name, escaped


HOSTILE = ['<script>', 'a & b', '"quoted"', "l'Haÿ", "plain", "", ">", "&amp;", "ok'"]


def test_esc_matches_markupsafe() -> None:
    for text in HOSTILE:
        assert esc(text) == str(escape(text)), text


def test_hostile_fields_are_escaped_on_cards_and_location_pages() -> None:
    locations, availabilities = dataset(3)
    evil = location(9, name='<b id="n">N</b>', address="1 <i>rue</i> & co",
                    city="Ville'<x>", phone='01 "02"', booking_url="https://x.test/?a=1&b=<2>")
    locations[evil.id] = evil
    availabilities[evil.id] = availability(evil, slots_for(9), T0)
    files = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    for path in (location_page(evil.id), "en/" + location_page(evil.id), f"area/{evil.area}.html"):
        html = files[path].decode()
        for raw in ('<b id="n">', "<i>rue</i>", "Ville'<x>", "b=<2>"):
            assert raw not in html, (path, raw)
        assert "&lt;b id=&#34;n&#34;&gt;N&lt;/b&gt;" in html
        assert "1 &lt;i&gt;rue&lt;/i&gt; &amp; co" in html
