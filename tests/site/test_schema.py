"""Every open data file validates against the JSON Schema published next to it."""

from __future__ import annotations

import json

import jsonschema

from aggregator.config import SiteSettings
from aggregator.pages import SiteRenderer
from aggregator.site_data import AreaDocument, LocationsDocument, SearchDocument, SearchShard
from tests.site.factory import T0, dataset


def test_data_files_validate_against_their_published_schema() -> None:
    locations, availabilities = dataset()
    files = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    schemas = {}
    for name in ("area", "locations", "search", "search_shard"):
        schema = json.loads(files[f"data/schema/{name}.json"])
        jsonschema.Draft202012Validator.check_schema(schema)
        schemas[name] = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.FormatChecker()
        )
    areas = [k for k in files if k.startswith("data/areas/")]
    assert len(areas) == 3
    for path in areas:
        schemas["area"].validate(json.loads(files[path]))
        AreaDocument.model_validate_json(files[path])
    schemas["locations"].validate(json.loads(files["data/locations.json"]))
    assert len(LocationsDocument.model_validate_json(files["data/locations.json"]).locations) == 15
    schemas["search"].validate(json.loads(files["data/search.json"]))
    index = SearchDocument.model_validate_json(files["data/search.json"])
    assert index.keys and all(a.box is not None for a in index.areas)
    for key in index.keys:
        shard = files[f"data/search/{key}.json"]
        schemas["search_shard"].validate(json.loads(shard))
        assert SearchShard.model_validate_json(shard).key == key


def test_schema_rejects_a_record_missing_a_field() -> None:
    locations, availabilities = dataset(3)
    files = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    schema = json.loads(files["data/schema/area.json"])
    doc = json.loads(files["data/areas/69.json"])
    del doc["locations"][0]["next_slot"]
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert errors and "next_slot" in errors[0].message


def test_joined_documents_equal_a_plain_dump() -> None:
    """The memo joins pre-encoded records; the result must be the canonical encoding."""
    locations, availabilities = dataset()
    files = SiteRenderer(SiteSettings()).render(locations, availabilities, T0)
    doc = json.loads(files["data/areas/13.json"])
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert files["data/areas/13.json"] == canonical.encode()
