"""Every visible string of the site, in French (default, served at /) and English (/en/).

A plain dict per language keeps translation reviewable in one place; a missing key is a
bug caught by the tests (both dicts must have the same keys), never a silent fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

LANGS: tuple[str, ...] = ("fr", "en")
DEFAULT_LANG = "fr"
SITE_TZ = ZoneInfo("Europe/Paris")

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "tagline": "Rendez-vous libres près de chez vous, vérifiés en continu.",
        "skip": "Aller au contenu",
        "switch": "English",
        "switch_lang": "en",
        "nav": "Navigation principale",
        "nav_home": "Accueil",
        "nav_providers": "Plateformes",
        "nav_stats": "Statistiques",
        "nav_data": "Données ouvertes",
        "home_h1": "Trouver un rendez-vous proche",
        "search_label": "Ville ou code postal",
        "search_placeholder": "ex. Lyon, 69003",
        "search_button": "Chercher",
        "near_me": "Près de moi",
        "near_me_denied": "Position indisponible : choisissez une ville ou un département.",
        "filter_type": "Type de rendez-vous",
        "filter_any_type": "Tous les types",
        "filter_horizon": "Quand",
        "horizon_any": "Tout",
        "horizon_today": "Aujourd'hui",
        "horizon_tomorrow": "D'ici demain",
        "horizon_7d": "7 jours",
        "results_h2": "Résultats",
        "results_none": "Aucun lieu ne correspond à ces critères.",
        "results_for": "Lieux pour",
        "areas_h2": "Par département",
        "col_area": "Département",
        "col_with_slots": "Lieux ouverts",
        "col_24h": "Créneaux 24 h",
        "col_7d": "Créneaux 7 j",
        "counts_note": "Lieux ouverts : lieux avec des créneaux libres / lieux connus. "
        "Comptes calculés à la minute de publication.",
        "no_locations": "Aucun lieu connu pour l'instant : la première collecte est en cours.",
        "all_areas": "Tous les départements",
        "area_summary": "{with_slots} lieux sur {total} ont des créneaux libres.",
        "no_places": "Aucun lieu dans ce département.",
        "via": "via",
        "next_slot": "Prochain créneau",
        "colon": "\u202f:",  # French typography: a narrow no-break space before ':'
        "slots": "créneaux",
        "slot": "créneau",
        "book_on": "Réserver sur {platform}",
        "phone_only": "Réservation par téléphone uniquement",
        "call": "Appeler",
        "also_on": "Aussi sur {platform}",
        "no_slot": "Aucun créneau libre pour l'instant.",
        "failing": "La dernière vérification a échoué : données confirmées plus tôt.",
        "stale": "Données peut-être périmées.",
        "hidden": "Données trop anciennes : créneaux masqués.",
        "checked": "Vérifié",
        "checked_never": "Pas encore vérifié",
        "distance": "à {km} km",
        "location_types": "Types de rendez-vous",
        "upcoming": "Prochains créneaux",
        "more_slots": "et {n} de plus",
        "providers_h1": "État des plateformes",
        "col_platform": "Plateforme",
        "col_state": "État",
        "col_locations": "Lieux",
        "col_last_success": "Dernier succès",
        "state_ok": "normal",
        "state_slowed": "ralenti",
        "state_paused": "en pause",
        "state_failing": "en échec",
        "state_unknown": "inconnu",
        "providers_note": "Ralenti : nous limitons nos requêtes pour ménager la plateforme. "
        "En pause : la plateforme a demandé d'attendre.",
        "never": "jamais",
        "providers_time_note": "L'heure du dernier succès est lue dans status.json "
        "(affichée avec JavaScript).",
        "stats_h1": "Statistiques",
        "stats_chart": "Créneaux libres au fil du temps",
        "stats_chart_desc": "Nombre total de créneaux libres à chaque publication.",
        "stats_no_history": "Pas encore d'historique.",
        "stats_total": "Créneaux libres",
        "stats_places": "Lieux avec créneaux",
        "data_h1": "Données ouvertes",
        "data_intro": "Toutes les données du site, librement réutilisables :",
        "feed": "Flux Atom des nouveaux créneaux",
        "feed_title": "Nouveaux créneaux – {area}",
        "feed_entry": "{count} nouveaux créneaux à {name}",
        "feed_entry_one": "1 nouveau créneau à {name}",
        "footer": "Données issues des plateformes de réservation publiques.",
        "not_found": "Page introuvable",
        "not_found_text": "Cette page n'existe pas ou plus. Retour à l'accueil :",
        "js_just_now": "à l'instant",
        "js_min_ago": "il y a {n} min",
        "js_h_ago": "il y a {n} h",
        "js_checked": "Vérifié",
        "js_published": "Publié",
    },
    "en": {
        "tagline": "Free appointment slots near you, checked continuously.",
        "skip": "Skip to content",
        "switch": "Français",
        "switch_lang": "fr",
        "nav": "Main navigation",
        "nav_home": "Home",
        "nav_providers": "Platforms",
        "nav_stats": "Statistics",
        "nav_data": "Open data",
        "home_h1": "Find a near-term appointment",
        "search_label": "City or postcode",
        "search_placeholder": "e.g. Lyon, 69003",
        "search_button": "Search",
        "near_me": "Near me",
        "near_me_denied": "Location unavailable: pick a city or an area.",
        "filter_type": "Appointment type",
        "filter_any_type": "All types",
        "filter_horizon": "When",
        "horizon_any": "Any time",
        "horizon_today": "Today",
        "horizon_tomorrow": "By tomorrow",
        "horizon_7d": "7 days",
        "results_h2": "Results",
        "results_none": "No place matches these filters.",
        "results_for": "Places for",
        "areas_h2": "By area",
        "col_area": "Area",
        "col_with_slots": "Places open",
        "col_24h": "Slots 24 h",
        "col_7d": "Slots 7 d",
        "counts_note": "Places open: places with free slots / known places. "
        "Counts computed at the publish minute.",
        "no_locations": "No locations known yet: the first poll is under way.",
        "all_areas": "All areas",
        "area_summary": "{with_slots} of {total} places have free slots.",
        "no_places": "No places in this area.",
        "via": "via",
        "next_slot": "Next slot",
        "colon": ":",
        "slots": "slots",
        "slot": "slot",
        "book_on": "Book on {platform}",
        "phone_only": "Booking by phone only",
        "call": "Call",
        "also_on": "Also on {platform}",
        "no_slot": "No free slot right now.",
        "failing": "Last check failed; showing data confirmed earlier.",
        "stale": "Data may be out of date.",
        "hidden": "Data too old: slots hidden.",
        "checked": "Checked",
        "checked_never": "Not checked yet",
        "distance": "{km} km away",
        "location_types": "Appointment types",
        "upcoming": "Upcoming slots",
        "more_slots": "and {n} more",
        "providers_h1": "Platform status",
        "col_platform": "Platform",
        "col_state": "State",
        "col_locations": "Places",
        "col_last_success": "Last success",
        "state_ok": "ok",
        "state_slowed": "slowed",
        "state_paused": "paused",
        "state_failing": "failing",
        "state_unknown": "unknown",
        "providers_note": "Slowed: we send fewer requests to spare the platform. "
        "Paused: the platform asked us to wait.",
        "never": "never",
        "providers_time_note": "The last success time is read from status.json "
        "(shown with JavaScript).",
        "stats_h1": "Statistics",
        "stats_chart": "Free slots over time",
        "stats_chart_desc": "Total free slots at each publish.",
        "stats_no_history": "No history yet.",
        "stats_total": "Free slots",
        "stats_places": "Places with slots",
        "data_h1": "Open data",
        "data_intro": "All the site's data, free to reuse:",
        "feed": "Atom feed of new slots",
        "feed_title": "New slots – {area}",
        "feed_entry": "{count} new slots at {name}",
        "feed_entry_one": "1 new slot at {name}",
        "footer": "Data from public booking platforms.",
        "not_found": "Page not found",
        "not_found_text": "This page does not exist (any more). Back to the home page:",
        "js_just_now": "just now",
        "js_min_ago": "{n} min ago",
        "js_h_ago": "{n} h ago",
        "js_checked": "Checked",
        "js_published": "Published",
    },
}


class Translator:
    """``t("book_on", platform="doctolib")`` for one language; unknown keys raise."""

    def __init__(self, lang: str) -> None:
        if lang not in STRINGS:
            raise KeyError(f"unsupported language {lang!r}")
        self.lang = lang
        self.strings: Mapping[str, str] = STRINGS[lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self.strings[key]
        return text.format(**values) if values else text

    def js_strings(self, search: bool = False) -> dict[str, str]:
        """The strings the browser script needs, embedded in each page: the freshness
        ones everywhere, the card and search ones only where results are drawn."""
        keys = [k for k in self.strings if k.startswith("js_")] + ["results_none"]
        if search:
            keys += ["results_for", "near_me_denied", "next_slot", "colon", "slots", "slot",
                     "phone_only", "no_slot", "stale", "failing", "via", "distance", "near_me",
                     "book_on"]
        return {k: self.strings[k] for k in keys}


def lang_prefix(lang: str) -> str:
    """Path prefix of a language inside the release: French at the root, others below."""
    return "" if lang == DEFAULT_LANG else f"{lang}/"


DAYS: dict[str, tuple[str, ...]] = {
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS: dict[str, tuple[str, ...]] = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def format_local(value: datetime, lang: str) -> str:
    """``lun. 2 mars 09:00`` / ``Mon 2 Mar 09:00`` in the site's time zone, without
    depending on the machine's locale."""
    local = value.astimezone(SITE_TZ)
    return (
        f"{DAYS[lang][local.weekday()]} {local.day} {MONTHS[lang][local.month - 1]} "
        f"{local:%H:%M}"
    )
