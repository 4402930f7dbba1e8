"""streams/schema/enriched.schema.json: a valid JSON Schema that encodes interfaces.md's enriched record."""
from __future__ import annotations

import copy
import json
from importlib import resources

import jsonschema
import orjson
import pytest

from streams.pipeline import process_payload

SCHEMA = json.loads(resources.files("streams.schema").joinpath("enriched.schema.json").read_text("utf-8"))
INTERFACE_KEYS = ["id", "url", "source", "title", "authors", "section", "published_at", "language", "text",
                  "word_count", "content_hash", "entities", "locations", "dates", "quotes", "amounts", "tone",
                  "keywords", "categories", "category", "events", "duplicate_of", "story_id", "flags", "pipeline"]
NESTED_REQUIRED = {"source": ["domain", "name", "reliability"],
                   "tone": ["compound", "positive", "negative", "neutral"],
                   "pipeline": ["version", "ingested_at", "processed_at", "stage_ms"]}
ITEM_REQUIRED = {"entities": ["text", "label", "canonical", "count"],
                 "locations": ["name", "country_code", "lat", "lon", "geonameid", "count"],
                 "dates": ["text", "resolved"],
                 "quotes": ["text", "speaker"],
                 "amounts": ["text", "value", "unit", "object"],
                 "categories": ["label", "score", "evidence"],
                 "events": ["code", "label", "quad_class", "goldstein", "sentence"]}


@pytest.fixture(scope="module")
def validator():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


@pytest.fixture(scope="module")
def record(seed_bytes) -> dict:
    return orjson.loads(orjson.dumps(process_payload(seed_bytes, mode="fast")))


def test_schema_is_a_valid_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_requires_every_interface_key():
    assert set(INTERFACE_KEYS) <= set(SCHEMA["required"])
    for key, subkeys in NESTED_REQUIRED.items():
        assert set(subkeys) <= set(SCHEMA["properties"][key]["required"]), key
    for key, subkeys in ITEM_REQUIRED.items():
        assert set(subkeys) <= set(SCHEMA["properties"][key]["items"]["required"]), key


def test_the_schema_ships_in_the_package():
    assert resources.files("streams.schema").joinpath("enriched.schema.json").is_file()


def test_a_real_record_validates(validator, record):
    assert not [e.message for e in validator.iter_errors(record)]


@pytest.mark.parametrize("key", INTERFACE_KEYS)
def test_a_record_missing_any_interface_key_is_invalid(validator, record, key):
    broken = copy.deepcopy(record)
    del broken[key]
    assert not validator.is_valid(broken)


@pytest.mark.parametrize("path, value", [
    (["published_at"], "Feb 4, 2018"),
    (["language"], "eng"),
    (["content_hash"], "not-a-hash"),
    (["word_count"], -1),
    (["authors"], "Victor Meyer"),
    (["tone", "compound"], 2.0),
    (["source", "reliability"], 3),
    (["id"], ""),
])
def test_wrong_values_are_invalid(validator, record, path, value):
    broken = copy.deepcopy(record)
    target = broken
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert not validator.is_valid(broken)


def test_nulls_where_the_interface_allows_them(validator, record):
    nulled = copy.deepcopy(record)
    for key in ("url", "title", "section", "published_at", "language", "category", "duplicate_of", "story_id"):
        nulled[key] = None
    nulled["source"] = {"domain": None, "name": None, "reliability": None}
    assert not [e.message for e in validator.iter_errors(nulled)]


def test_an_incomplete_entity_item_is_invalid(validator, record):
    broken = copy.deepcopy(record)
    broken["entities"] = [{"text": "Syria", "label": "GPE"}]
    assert not validator.is_valid(broken)
