"""Both languages have every string; French at /, English under /en/, each page links to
its counterpart."""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser

import pytest

from aggregator.config import SiteSettings
from aggregator.i18n import STRINGS, Translator, format_local
from aggregator.pages import SiteRenderer
from tests.site.factory import T0, dataset


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_both_languages_with_the_same_placeholders() -> None:
    assert STRINGS["fr"].keys() == STRINGS["en"].keys()
    for key in STRINGS["fr"]:
        assert fields(STRINGS["fr"][key]) == fields(STRINGS["en"][key]), key


def test_unknown_key_or_language_is_an_error() -> None:
    with pytest.raises(KeyError):
        Translator("fr")("no_such_key")
    with pytest.raises(KeyError):
        Translator("de")


def test_dates_are_localised_in_paris_time_without_the_machine_locale() -> None:
    assert format_local(T0, "fr") == "lun. 2 mars 09:30"
    assert format_local(T0, "en") == "Mon 2 Mar 09:30"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.switch = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        if tag == "a" and "lang" in (a.get("class") or "").split():
            self.switch = a.get("href") or ""


def resolve(page: str, href: str) -> str:
    parts = page.split("/")[:-1]
    for piece in href.split("/"):
        if piece == "..":
            parts.pop()
        elif piece:
            parts.append(piece)
    return "/".join(parts)


def test_pages_carry_their_language_and_link_to_the_other_one() -> None:
    locations, availabilities = dataset()
    files = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    html = [p for p in files if p.endswith(".html") and p != "404.html"]  # 404: bilingual
    assert {p for p in html if p.startswith("en/")} == {"en/" + p for p in html
                                                        if not p.startswith("en/")}
    for path in html:
        links = Links()
        links.feed(files[path].decode())
        english = path.startswith("en/")
        assert links.lang == ("en" if english else "fr"), path
        target = resolve(path, links.switch)
        assert target == (path[3:] if english else "en/" + path), path
        assert target in files
    assert "Trouver un rendez-vous proche" in files["index.html"].decode()
    assert "Find a near-term appointment" in files["en/index.html"].decode()
    assert re.search(r'href="area/69\.html"', files["en/index.html"].decode())
    not_found = files["404.html"].decode()  # served at any depth: absolute links only
    assert 'href="/index.html"' in not_found and 'href="../' not in not_found
