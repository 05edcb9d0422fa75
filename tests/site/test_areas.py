"""Every postcode of France lands in an area that has a name: a visitor in Essonne reads
"Essonne (91)", not "91 (91)"."""

from __future__ import annotations

from aggregator.areas import AREA_NAMES
from aggregator.normalize import area_from_postcode


def test_every_departement_postcode_has_a_named_area() -> None:
    postcodes = [f"{d:02d}100" for d in range(1, 96) if d != 20]
    postcodes += ["20000", "20090", "20200", "20600"]  # Corse-du-Sud, Haute-Corse
    postcodes += [f"97{d}10" for d in range(1, 9)] + ["98600", "98700", "98800"]
    for postcode in postcodes:
        code = area_from_postcode(postcode)
        assert code in AREA_NAMES and AREA_NAMES[code] != code, postcode
    assert AREA_NAMES[area_from_postcode("91000")] == "Essonne"
    assert [area_from_postcode(p) for p in ("20090", "20600")] == ["2A", "2B"]
