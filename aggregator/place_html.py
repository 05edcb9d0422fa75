"""The three per-place fragments (what a place says, its card on an area page, the main
part of its location page) built in Python rather than Jinja.

A full render makes 60,000 of them (10,000 places x 2 languages x 3); Jinja's per-call
cost (a new context, an autoescape wrapper per value) was half of the full render. The
output is byte-for-byte what the templates they replace produced; every upstream string
goes through ``escape``, translations through a small memo of their escaped form.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from aggregator.fragments import esc
from aggregator.i18n import Translator
from aggregator.render import local_time
from aggregator.site_paths import location_page
from aggregator.views import AreaView, LocationView, iso


class PlaceHtml:
    """Fragments of one language; ``t`` is that language's translator."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        self.lang = t.lang
        self._fixed: dict[str, str] = {}

    def _s(self, key: str) -> str:
        """An escaped translation without placeholders, memoized."""
        found = self._fixed.get(key)
        if found is None:
            found = self._fixed[key] = esc(self.t(key))
        return found

    def _when(self, view: LocationView) -> str:
        assert view.next_slot is not None
        start = view.next_slot.start
        when = esc(local_time(start, self.lang))
        return f'<time datetime="{iso(start)}">{when}</time>'

    def _book(self, view: LocationView) -> str:
        url = view.booking_url
        if not url:
            return ""
        label = esc(self.t("book_on", platform=view.location.platform))
        return f'<a class="book" href="{esc(url)}" rel="noopener nofollow">{label}</a>'

    def _tel(self, view: LocationView) -> str:
        if not view.phone:
            return ""
        return (f' · <a href="tel:{esc(view.phone.replace(" ", ""))}">'
                f"{esc(view.phone)}</a>")

    def place(self, v: LocationView) -> Markup:
        """What both a card and a location page say: address, platform, next slot or
        why there is none, warnings, and the hook for "checked N min ago"."""
        loc = v.location
        s = self._s
        out = [f'<p class="address">{esc(loc.address)}{", " if loc.address else ""}'
               f"{esc(loc.postcode)} {esc(loc.city)}</p>\n",
               f'<p class="meta">{s("via")} {esc(loc.platform)}</p>\n']
        if v.phone_only:
            out.append(f'<p class="phone-only">{s("phone_only")}{self._tel(v)}</p>\n')
        elif v.next_slot:
            count = s("slots") if v.slot_count != 1 else s("slot")
            out.append(f'<p class="next">{s("next_slot")}{s("colon")} <strong>{self._when(v)}'
                       f"</strong> · {v.slot_count} {count}</p>\n")
            book = self._book(v)
            if book:
                out.append(f"<p>{book}</p>")
        elif v.hidden:
            out.append(f'<p class="warn">{s("hidden")}</p>\n')
        else:
            out.append(f'<p class="none">{s("no_slot")}</p>\n')
        if v.failing:
            out.append(f'<p class="warn">{s("failing")}</p>')
        if v.stale and not v.hidden:
            out.append(f'<p class="warn stale-label">{s("stale")}</p>')
        out.append(f'<p class="checked" data-checked-for="{esc(loc.id)}"></p>')
        return Markup("".join(out))

    def card(self, v: LocationView, place: Markup, others: Sequence[LocationView]) -> Markup:
        """One place on an area page, with the same place on other platforms."""
        loc = v.location
        out = [f'<li class="card{" stale" if v.stale else ""}" data-id="{esc(loc.id)}">\n'
               f'<h2 class="name"><a href="../{esc(location_page(loc.id))}">'
               f"{esc(loc.name)}</a></h2>\n{place}\n"]
        for o in others:
            also = esc(self.t("also_on", platform=o.location.platform))
            out.append(f'<p class="also" data-also="{esc(o.location.id)}">'
                       f'{also}{self._s("colon")}\n')
            if o.phone_only:
                out.append(self._s("phone_only") + self._tel(o))
            elif o.next_slot:
                book = self._book(o)
                out.append(self._when(o) + (f" · {book}" if book else ""))
            else:
                out.append(self._s("no_slot"))
            out.append("</p>\n")
        out.append("</li>")
        return Markup("".join(out))

    def location_main(self, v: LocationView, area: AreaView, lroot: str, upcoming: Markup,
                      place: Markup) -> Markup:
        """The main part of a location page (the shell around it is shell.html)."""
        loc = v.location
        s = self._s
        code = esc(area.code)
        out = [f'<p class="crumbs"><a href="{esc(lroot)}area/{code}.html">'
               f"{esc(area.name)} ({code})</a></p>\n"
               f'<article class="card{" stale" if v.stale else ""}" data-id="{esc(loc.id)}">\n'
               f"<h1>{esc(loc.name)}</h1>\n{place}\n"]
        if v.upcoming:
            out.append(f'<h2>{s("upcoming")}</h2>\n<ul class="slots">\n{upcoming}\n</ul>\n')
            more = v.slot_count - len(v.upcoming)
            if more > 0:
                out.append(f"<p>{esc(self.t('more_slots', n=more))}</p>")
        if v.types:
            items = "".join(f"<li>{esc(ty.appointment_type)} : {ty.count}</li>"
                            for ty in v.types)
            out.append(f'<h2>{s("location_types")}</h2>\n<ul class="types">{items}</ul>\n')
        out.append("</article>")
        return Markup("".join(out))
