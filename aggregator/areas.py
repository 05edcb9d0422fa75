"""Names of French départements used as areas (the subset the sandbox and tests use,
extendable from config)."""

AREA_NAMES: dict[str, str] = {
    "06": "Alpes-Maritimes", "13": "Bouches-du-Rhône", "2A": "Corse-du-Sud",
    "2B": "Haute-Corse", "31": "Haute-Garonne", "33": "Gironde", "34": "Hérault",
    "35": "Ille-et-Vilaine", "44": "Loire-Atlantique", "59": "Nord", "67": "Bas-Rhin",
    "69": "Rhône", "75": "Paris", "92": "Hauts-de-Seine", "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne", "971": "Guadeloupe", "972": "Martinique", "974": "La Réunion",
    "unknown": "Other",
}
