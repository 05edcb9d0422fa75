"""Static files are published only under content-hashed names, and pages use those."""

from __future__ import annotations

import re

from aggregator.config import SiteSettings
from aggregator.pages import SiteRenderer
from aggregator.render import STATIC_DIR, hashed_name
from tests.site.factory import T0, dataset

HASHED = re.compile(r"^static/[a-z0-9_-]+\.[0-9a-f]{10}\.[a-z0-9]+$")


def test_assets_are_hashed_and_referenced_by_hashed_name() -> None:
    locations, availabilities = dataset()
    files = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    static = {k for k in files if k.startswith("static/")}
    assert static and all(HASHED.match(k) for k in static)
    for source in STATIC_DIR.iterdir():
        published = "static/" + hashed_name(source.name, source.read_bytes())
        assert files[published] == source.read_bytes()
    for path, body in files.items():
        if path.endswith(".html"):
            refs = set(re.findall(r'(?:href|src)="((?:\.\./)*/?static/[^"]+)"', body.decode()))
            assert refs, path
            for ref in refs:
                assert ref.replace("../", "").lstrip("/") in static, (path, ref)


def test_a_changed_asset_gets_a_new_name() -> None:
    assert hashed_name("app.js", b"a") != hashed_name("app.js", b"b")
    assert hashed_name("app.js", b"a").startswith("app.") and hashed_name("x.css", b"").endswith(
        ".css")
