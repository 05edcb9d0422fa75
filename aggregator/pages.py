"""What the site is made of: stored state in, ``{relative path: bytes}`` out.

Rendering knows nothing of disks, Redis or releases; publishing (``aggregator.publish``)
turns the mapping into a release directory. The site is planned as a list of pages, each
with a digest of its inputs; ``SiteRenderer`` keeps the last bytes of every page in memory
and rebuilds only the pages whose digest changed (the daemon keeps one renderer).

Time: views are computed at ``now`` rounded down to the publish minute. Counts by horizon
(24 h / 7 days), slots dropped once past and the stale / hidden labels therefore move at
most once a minute, and a page is rebuilt only when one of those thresholds is crossed
for one of its places (see ``LocationView.valid_until``). The generation time itself is
only in status.json.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial

from jinja2 import Environment
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from aggregator.areas import AREA_NAMES
from aggregator.config import SiteSettings
from aggregator.favicon import favicon_ico
from aggregator.feeds import ReleaseEvent, area_feed
from aggregator.fragments import Shell, esc, upcoming_html
from aggregator.i18n import LANGS, Translator, lang_prefix
from aggregator.models import Availability, Location
from aggregator.place_html import PlaceHtml
from aggregator.provider_status import ProviderView, provider_views
from aggregator.render import (
    STATIC_DIR,
    TEMPLATES_DIR,
    Assets,
    local_time,
    make_environment,
    templates_digest,
)
from aggregator.search_index import (
    Entry,
    Row,
    area_box,
    area_entries,
    area_rows,
    search_document,
    shard_document,
    shards,
)
from aggregator.site_data import (
    join_document,
    location_entry,
    location_record,
    record_json,
    schema_files,
)
from aggregator.site_paths import location_page, location_slug
from aggregator.status_files import AreaStatusCache, status_files
from aggregator.svg import line_chart
from aggregator.views import (
    AreaView,
    LocationView,
    availability_fingerprint,
    group_areas,
    location_view,
    safe_area_code,
)
from cache.protection.redis_gate import ProviderState

SiteFiles = dict[str, bytes]
__all__ = ["SiteFiles", "SiteRenderer", "location_page", "location_slug", "status_files"]


@dataclass(frozen=True)
class HistoryPoint:
    """Totals at one publish, for the stats page."""

    at: datetime
    slots: int
    places: int


@dataclass(frozen=True)
class SiteContext:
    """What the renderer needs beyond locations and availabilities, read by the caller
    (``aggregator.site_inputs``) so rendering stays pure."""

    providers: Mapping[str, ProviderState] = field(default_factory=dict)
    concurrency: Mapping[str, int] = field(default_factory=dict)
    events: tuple[ReleaseEvent, ...] = ()
    history: tuple[HistoryPoint, ...] = ()


@dataclass(frozen=True)
class Page:
    path: str
    digest: object  # anything comparable: equal digest, same bytes
    build: Callable[[], bytes]


@dataclass(frozen=True)
class RenderStats:
    pages: int
    rendered: int
    views_computed: int


@dataclass
class _ViewMemo:
    location: Location
    fingerprint: object
    view: LocationView
    record: bytes = b""
    entry: bytes = b""


class _MemoLocations(Mapping[str, Location]):
    """The locations behind the view memos, without copying 10,000 entries per render."""

    def __init__(self, memos: Mapping[str, _ViewMemo]) -> None:
        self._memos = memos

    def __getitem__(self, key: str) -> Location:
        return self._memos[key].location

    def __iter__(self) -> Iterator[str]:
        return iter(self._memos)

    def __len__(self) -> int:
        return len(self._memos)


@contextmanager
def gc_paused() -> Iterator[None]:
    """A render allocates tens of thousands of acyclic objects that live until the next
    one; the cyclic collector would rescan the whole stored state (about a million
    objects for 10,000 places) several times per render (measured: planning 20,000 pages
    1.4 s with it, 0.36 s without). Rendering is synchronous, so nothing else runs meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def publish_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


@lru_cache(maxsize=1 << 15)
def _structured_data(name: str, phone: str, address: str, postcode: str, city: str) -> str:
    """A location page's schema.org block; the same in both languages, built once."""
    ld = {
        "@context": "https://schema.org", "@type": "MedicalClinic", "name": name,
        "telephone": phone,
        "address": {"@type": "PostalAddress", "streetAddress": address,
                    "postalCode": postcode, "addressLocality": city, "addressCountry": "FR"},
    }
    return f'<script type="application/ld+json">{htmlsafe_json_dumps(ld)}</script>'


class SiteRenderer:
    """Builds every file of one release; keeps the last page bytes and views in memory."""

    def __init__(
        self,
        settings: SiteSettings,
        area_names: Mapping[str, str] = AREA_NAMES,
        context: SiteContext | None = None,
    ) -> None:
        self.settings = settings
        self.area_names = area_names
        self.context = context or SiteContext()
        self.env: Environment = make_environment()
        self.assets = Assets.load(STATIC_DIR)
        self.fixed_files: SiteFiles = {
            **self.assets.files, **schema_files(), "favicon.ico": favicon_ico(),
        }
        self.base = _digest(
            templates_digest(TEMPLATES_DIR), self.assets.digest, settings.title,
            settings.stale_after, settings.hide_after,
        )
        self.translators = {lang: Translator(lang) for lang in LANGS}
        self.fragments = {lang: PlaceHtml(t) for lang, t in self.translators.items()}
        self._lang_contexts = {lang: self._lang_context(lang) for lang in LANGS}
        self._card_memo: dict[tuple[str, str], tuple[str, Markup]] = {}
        self._place_memo: dict[tuple[str, str], tuple[str, Markup]] = {}
        self._shells: dict[tuple[str, int], Shell] = {}
        self._area_pages: dict[tuple[str, str], tuple[object, list[Page]]] = {}
        self._area_search: dict[
            str, tuple[str, list[Entry], tuple[float, float, float, float] | None, int]
        ] = {}
        self._search_version = 0
        self._shards: tuple[object, dict[str, list[Row]]] | None = None
        self._area_metas: dict[
            str, tuple[AreaView, object, tuple[str, frozenset[str]]]
        ] = {}
        self._areas: dict[str, AreaView] | None = None
        self._area_of: dict[str, str] = {}
        self._changed: list[str] = []
        self._views: dict[str, _ViewMemo] = {}
        self._pages: dict[str, tuple[object, bytes]] = {}
        self._status_cache: AreaStatusCache = {}
        self.last = RenderStats(0, 0, 0)
        self.last_point: HistoryPoint | None = None

    # -- views ------------------------------------------------------------------------
    def _memo_views(
        self,
        locations: Mapping[str, Location],
        availabilities: Mapping[str, Availability],
        minute: datetime,
    ) -> tuple[list[_ViewMemo], int]:
        computed = 0
        memo: dict[str, _ViewMemo] = {}
        for lid, location in locations.items():
            availability = availabilities.get(lid)
            fingerprint = availability_fingerprint(availability)
            entry = self._views.get(lid)
            if (
                entry is None
                or entry.fingerprint != fingerprint
                or (entry.location is not location and entry.location != location)
                or not entry.view.valid_at(minute)
            ):
                view = location_view(
                    location, availability, minute, self.settings.stale_after,
                    self.settings.hide_after,
                )
                if entry is None or entry.view.digest != view.digest:
                    page = location_page(lid)
                    entry = _ViewMemo(
                        location, fingerprint, view,
                        record_json(location_record(view, page)),
                        record_json(location_entry(view, page)),
                    )
                else:
                    entry = _ViewMemo(location, fingerprint, view, entry.record, entry.entry)
                computed += 1
                self._changed.append(lid)
            memo[lid] = entry
        self._views = memo
        return list(memo.values()), computed

    def _group(self, memos: list[_ViewMemo], before: set[str]) -> list[AreaView]:
        """Areas with their places sorted for visitors; when the set of places is the
        same, only the areas holding a recomputed view are rebuilt."""
        if self._areas is None or set(self._views) != before:
            areas = group_areas((m.view for m in memos), self.area_names)
            self._areas = {a.code: a for a in areas}
            self._area_of = {v.location.id: a.code for a in areas for v in a.locations}
            return areas
        dirty: set[str] = set()
        for lid in self._changed:
            new = safe_area_code(self._views[lid].location.area)
            dirty.update((self._area_of[lid], new))
            self._area_of[lid] = new
        if dirty:
            members: dict[str, list[LocationView]] = {code: [] for code in dirty}
            for lid, code in self._area_of.items():
                if code in members:
                    members[code].append(self._views[lid].view)
            for code, views in members.items():
                if views:
                    self._areas[code] = group_areas(views, self.area_names)[0]
                else:
                    self._areas.pop(code, None)
        return [self._areas[code] for code in sorted(self._areas)]

    # -- rendering --------------------------------------------------------------------
    def render(
        self,
        locations: Mapping[str, Location],
        availabilities: Mapping[str, Availability],
        now: datetime,
        places: Mapping[str, str] | None = None,
        context: SiteContext | None = None,
    ) -> SiteFiles:
        """``places``: location id -> same-place key (``aggregator.dedupe``); listings that
        share a key get one card on their area page."""
        with gc_paused():
            return self._render(locations, availabilities, now, places or {},
                                context or self.context)

    def _render(
        self,
        locations: Mapping[str, Location],
        availabilities: Mapping[str, Availability],
        now: datetime,
        places: Mapping[str, str],
        ctx: SiteContext,
    ) -> SiteFiles:
        minute = publish_minute(now)
        before = set(self._views)
        self._changed = []
        memos, computed = self._memo_views(locations, availabilities, minute)
        areas = self._group(memos, before)
        for area in areas:  # cheap (one dict pass), and discovery may regroup at any time
            area.group_places(places)
        by_id = self._views  # location id -> memo, as _memo_views just rebuilt it
        point = HistoryPoint(
            minute, sum(a.slot_count for a in areas), sum(a.with_slots for a in areas)
        )
        self.last_point = point
        providers = provider_views(
            locations.values(), availabilities, ctx.providers, ctx.concurrency
        )
        pages = self.plan(areas, by_id, providers, ctx, point)
        files: SiteFiles = {}
        kept: dict[str, tuple[object, bytes]] = {}
        rendered = 0
        for page in pages:
            hit = self._pages.get(page.path)
            if hit is not None and hit[0] == page.digest:
                data = hit[1]
            else:
                data = page.build()
                rendered += 1
            kept[page.path] = (page.digest, data)
            files[page.path] = data
        self._pages = kept
        if len(self._card_memo) > 2 * len(LANGS) * max(len(memos), 1):  # places went away
            live = {m.view.location.id for m in memos}
            self._card_memo = {k: v for k, v in self._card_memo.items() if k[0] in live}
            self._place_memo = {k: v for k, v in self._place_memo.items() if k[0] in live}
        files.update(self.fixed_files)
        files.update(status_files(areas, availabilities, providers, now, minute,
                                  self._status_cache))
        self.last = RenderStats(len(pages), rendered, computed)
        return files

    def plan(
        self,
        areas: list[AreaView],
        memos: Mapping[str, _ViewMemo],
        providers: list[ProviderView],
        ctx: SiteContext,
        point: HistoryPoint,
    ) -> list[Page]:
        """Every page of the site with the digest of what it is made of."""
        pages: list[Page] = []
        metas = [self._area_meta(a) for a in areas]
        area_digests = {a.code: meta[0] for a, meta in zip(areas, metas, strict=True)}
        summary = _digest([(a.code, a.name, a.with_slots, len(a.locations), a.slots_24h,
                            a.slots_7d) for a in areas])
        types = sorted(set().union(*(meta[1] for meta in metas)))
        history = list(ctx.history)
        if not history or (history[-1].slots, history[-1].places) != (point.slots, point.places):
            history.append(point)  # a new point only when the totals moved: stable bytes
        for lang in LANGS:
            pages.extend(self._lang_pages(lang, areas, area_digests, summary, types, providers,
                                          tuple(history)))
        pages.append(Page("404.html", _digest(self.base, "404"), self._html(
            "404.html", LANGS[0], "404.html", root="/", lroot="/",
            switch_href="/en/index.html", asset=lambda name: "/" + self.assets.url(name),
        )))  # served at any path: absolute links
        pages.extend(self._data_pages(areas, area_digests, memos))
        pages.extend(self._feed_pages(areas, ctx.events, _MemoLocations(memos)))
        return pages

    def _area_meta(self, area: AreaView) -> tuple[str, frozenset[str]]:
        """An area's digest and appointment types. ``_group`` keeps the same AreaView for
        an area none of whose places changed, so only rebuilt areas (and regrouped ones)
        walk their places again: a one-place publish visits one area, not 10,000 views."""
        grouping = area.grouping
        cached = self._area_metas.get(area.code)
        if cached is not None and cached[0] is area and cached[1] == grouping:
            return cached[2]
        meta = (
            _digest(area.name, [v.digest for v in area.locations], grouping),
            frozenset(t.appointment_type for v in area.locations for t in v.types),
        )
        self._area_metas[area.code] = (area, grouping, meta)
        return meta

    def _lang_context(self, lang: str) -> dict[str, object]:
        """The per-language part of every page's context, built once."""
        t = self.translators[lang]
        return {
            "t": t,
            "lang": lang,
            "title": self.settings.title,
            "switch_lang": LANGS[1] if lang == LANGS[0] else LANGS[0],
            "when": lambda value: local_time(value, lang),
            "page_of": location_page,
            "js_json": Markup(htmlsafe_json_dumps(t.js_strings())),
            "js_json_search": Markup(htmlsafe_json_dumps(t.js_strings(search=True))),
        }

    def _page_context(self, lang: str, path: str) -> dict[str, object]:
        """Links relative to this page (``root``: the release root; ``lroot``: this
        language's home), so the site works from any directory and from file://."""
        root, lroot, switch_href = self._links(lang, path)
        return {
            **self._lang_contexts[lang],
            "root": root,
            "lroot": lroot,
            "switch_href": switch_href,
            "asset": lambda name: root + self.assets.url(name),
        }

    def _links(self, lang: str, path: str) -> tuple[str, str, str]:
        """This page's release root, its language's home, the same page in the other
        language; all relative."""
        root = "../" * path.count("/")
        other = str(self._lang_contexts[lang]["switch_lang"])
        pre = lang_prefix(lang)
        return root, root + pre, root + lang_prefix(other) + path[len(pre):]

    def _html(self, template: str, lang: str, path: str, **values: object) -> Callable[[], bytes]:
        def build() -> bytes:
            context = self._page_context(lang, path) | values
            return self.env.get_template(template).render(**context).encode()

        return build

    def _place(self, lang: str, view: LocationView) -> Markup:
        """What both the card and the location page say about a place (PlaceHtml.place), built
        once per place and language and view digest."""
        key = (view.location.id, lang)
        hit = self._place_memo.get(key)
        if hit is None or hit[0] != view.digest:
            hit = (view.digest, self.fragments[lang].place(view))
            self._place_memo[key] = hit
        return hit[1]

    def _cards(self, lang: str, area: AreaView) -> list[Markup]:
        """Each place's card for an area page, memoized by its view digest: an area page
        with one changed place re-renders one card and joins the others."""
        fragments = self.fragments[lang]
        cards = []
        for view in area.leads:
            key = (view.location.id, lang)
            others = area.others.get(view.location.id, ())
            digest = view.digest if not others else _digest(view.digest,
                                                            [o.digest for o in others])
            hit = self._card_memo.get(key)
            if hit is None or hit[0] != digest:
                hit = (digest, fragments.card(view, self._place(lang, view), others))
                self._card_memo[key] = hit
            cards.append(hit[1])
        return cards

    def _lang_pages(
        self,
        lang: str,
        areas: list[AreaView],
        area_digests: Mapping[str, str],
        summary: str,
        types: list[str],
        providers: list[ProviderView],
        history: tuple[HistoryPoint, ...],
    ) -> Iterable[Page]:
        pre = lang_prefix(lang)
        base = _digest(self.base, lang)
        path = f"{pre}index.html"
        yield Page(path, _digest(base, summary, types),
                   self._html("index.html", lang, path, areas=areas, types=types,
                              js_json=self._lang_contexts[lang]["js_json_search"]))
        for area in areas:
            path = f"{pre}area/{area.code}.html"
            yield Page(path, _digest(base, area_digests[area.code], types),
                       self._area_build(lang, path, area, types))
            yield from self._location_pages(lang, base, area, area_digests[area.code])
        path = f"{pre}providers.html"
        yield Page(path, _digest(base, [p.page_key for p in providers]),
                   self._html("providers.html", lang, path, providers=providers))
        path = f"{pre}stats.html"
        t = self.translators[lang]
        yield Page(path, _digest(base, history), self._stats_build(lang, path, history, t))
        path = f"{pre}data.html"
        yield Page(path, _digest(base, [a.code for a in areas]),
                   self._html("data.html", lang, path, areas=areas))

    def _location_pages(
        self, lang: str, base: str, area: AreaView, area_digest: str
    ) -> list[Page]:
        """The location pages of one area; when the area's digest is unchanged, so is every
        page of it, and last publish's list is reused without visiting its places."""
        key = (base, area_digest)
        cached = self._area_pages.get((lang, area.code))
        if cached is not None and cached[0] == key:
            return cached[1]
        pre = lang_prefix(lang)
        pages = []
        for view in area.locations:
            path = pre + location_page(view.location.id)
            # a tuple, not a hash: 20,000 of these per full render must be cheap to compare
            pages.append(Page(path, (base, view.digest, area.name),
                              self._location_build(lang, path, view, area)))
        self._area_pages[(lang, area.code)] = (key, pages)
        return pages

    def _location_build(
        self, lang: str, path: str, view: LocationView, area: AreaView
    ) -> Callable[[], bytes]:
        def build() -> bytes:
            _, lroot, switch = self._links(lang, path)  # not _page_context: no dict per page
            main = self.fragments[lang].location_main(
                view, area, lroot, upcoming_html(view, lang), self._place(lang, view),
            )
            loc = view.location
            return self._shell(lang, path).fill(
                title=f"{esc(loc.name)} – {esc(self.settings.title)}",
                head=_structured_data(loc.name, view.phone, loc.address, loc.postcode,
                                      loc.city),
                attrs=f' data-page="location" data-area="{esc(area.code)}"',
                switch=esc(switch),
                main=main,
            ).encode()

        return build

    def _shell(self, lang: str, path: str) -> Shell:
        """base.html for pages at this depth, rendered once with markers."""
        depth = path.count("/")
        shell = self._shells.get((lang, depth))
        if shell is None:
            context = self._page_context(lang, path) | {
                "switch_href": Markup(Shell.SWITCH),
                "shell_title": Markup(Shell.TITLE), "shell_head": Markup(Shell.HEAD),
                "shell_attrs": Markup(Shell.ATTRS), "shell_main": Markup(Shell.MAIN),
            }
            shell = Shell(self.env.get_template("shell.html").render(context))
            self._shells[(lang, depth)] = shell
        return shell

    def _area_build(
        self, lang: str, path: str, area: AreaView, types: list[str]
    ) -> Callable[[], bytes]:
        def build() -> bytes:
            cards = self._cards(lang, area)
            return self._html("area.html", lang, path, area=area, types=types, cards=cards)()

        return build

    def _stats_build(
        self, lang: str, path: str, history: tuple[HistoryPoint, ...], t: Translator
    ) -> Callable[[], bytes]:
        def build() -> bytes:
            from aggregator.i18n import SITE_TZ

            chart = line_chart(
                [(p.at.astimezone(SITE_TZ), p.slots) for p in history],
                t("stats_chart"), t("stats_chart_desc"),
            )
            return self._html("stats.html", lang, path, chart=chart, history=history,
                              latest=history[-1])()

        return build

    def _data_pages(
        self, areas: list[AreaView], area_digests: Mapping[str, str],
        memos: Mapping[str, _ViewMemo],
    ) -> Iterable[Page]:
        for area in areas:

            def build(area: AreaView = area) -> bytes:
                head: dict[str, object] = {"schema_version": 1, "code": area.code,
                                           "name": area.name}
                return join_document(head, "locations",
                                     (memos[v.location.id].record for v in area.locations))

            yield Page(f"data/areas/{area.code}.json", area_digests[area.code], build)
        # every place is in one area, and an entry is made from its view alone: the area
        # digests (which cover every view digest) stand for all of them
        everything = _digest(sorted(area_digests.items()))

        def build_all() -> bytes:
            return join_document({"schema_version": 1}, "locations",
                                 (memos[i].entry for i in sorted(memos)))

        yield Page("data/locations.json", everything, build_all)
        yield from self._search_pages(areas, area_digests)

    def _search_pages(
        self, areas: list[AreaView], area_digests: Mapping[str, str]
    ) -> Iterable[Page]:
        """data/search.json and its prefix shards; an area's rows and box are recomputed
        only when the area changed."""
        boxes = {}
        for area in areas:
            cached = self._area_search.get(area.code)
            if cached is None or cached[0] != area_digests[area.code]:
                entries, box = area_entries(area_rows(area)), area_box(area)
                if cached is not None and (cached[1], cached[2]) == (entries, box):
                    version = cached[3]  # slots moved, not places: same rows
                else:
                    self._search_version += 1
                    version = self._search_version
                cached = (area_digests[area.code], entries, box, version)
                self._area_search[area.code] = cached
            boxes[area.code] = cached[2]
        # the shards are recut only when some area's rows really changed
        key = tuple((a.code, self._area_search[a.code][3]) for a in areas)
        if self._shards is None or self._shards[0] != key:
            self._shards = (key, shards(e for a in areas for e in self._area_search[a.code][1]))
        found = self._shards[1]
        yield Page("data/search.json",
                   _digest([(a.code, a.name, a.with_slots, boxes[a.code]) for a in areas],
                           list(found)),
                   lambda: search_document(areas, boxes, found))
        for name, rows in found.items():
            yield Page(f"data/search/{name}.json", rows, partial(shard_document, name, rows))

    def _feed_pages(
        self, areas: list[AreaView], events: tuple[ReleaseEvent, ...],
        locations: Mapping[str, Location],
    ) -> Iterable[Page]:
        t = self.translators["fr"]
        by_area: dict[str, list[ReleaseEvent]] = {}
        for event in events:
            by_area.setdefault(event.area, []).append(event)
        for area in areas:
            chosen = by_area.get(area.code, [])
            names = [locations[e.location_id].name if e.location_id in locations else ""
                     for e in chosen]

            def build(area: AreaView = area, chosen: list[ReleaseEvent] = chosen) -> bytes:
                return area_feed(
                    area.code, t("feed_title", area=area.name), chosen, locations,
                    location_page,
                    lambda count, name: t("feed_entry_one" if count == 1 else "feed_entry",
                                          count=count, name=name),
                    lambda when: local_time(when, "fr"),
                )

            yield Page(f"feeds/{area.code}.atom",
                       _digest(area.name, [(e.event_id, e.at) for e in chosen], names), build)


