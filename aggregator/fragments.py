"""Pieces of pages built in Python rather than Jinja, where 20,000 pages make the
template engine's per-call cost the bottleneck. Every upstream string is escaped."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from markupsafe import Markup, escape

from aggregator.render import local_time
from aggregator.views import LocationView, iso


class Shell:
    """A page rendered with marker strings where the page-specific parts go."""

    TITLE, HEAD, ATTRS, SWITCH, MAIN = (f"\x00{name}\x00" for name in
                                         ("title", "head", "attrs", "switch", "main"))

    def __init__(self, rendered: str) -> None:
        parts = re.split("(\x00[a-z]+\x00)", rendered)
        # one str.format per page: the markers become fields, literal braces are doubled
        self.template = "".join(
            "{" + p.strip("\x00") + "}" if p.startswith("\x00")
            else p.replace("{", "{{").replace("}", "}}") for p in parts
        )

    def fill(self, **values: str) -> str:
        return self.template.format_map(values)


def esc(text: str) -> str:
    """``markupsafe.escape`` as a plain str, and the text itself when it has nothing to
    escape (most names and addresses): no Markup object per value, 400,000 times."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return str(escape(text))
    return text


@lru_cache(maxsize=1 << 16)
def _slot_item(start: datetime, kind: str, capacity: int, lang: str) -> str:
    """One slot's line; cached: across 10,000 places the slots share a few thousand
    (start, type, capacity) triples, and building each line was a fifth of a full render."""
    return (f'<li><time datetime="{iso(start)}">{local_time(start, lang)}</time> · '
            f"{esc(kind)}{f' ×{capacity}' if capacity > 1 else ''}</li>")


def upcoming_html(view: LocationView, lang: str) -> Markup:
    """The slot list of a location page, built in Python: it is the bulk of 20,000 pages
    and a Jinja loop costs several times more. Every upstream string is escaped."""
    return Markup("\n".join([_slot_item(s.start, s.appointment_type, s.capacity, lang)
                             for s in view.upcoming]))
