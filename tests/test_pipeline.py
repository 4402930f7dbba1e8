"""streams/pipeline.py: the pure path, and the batch functions the pool runs (bad items -> dead letters)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import orjson
import pytest

from streams.errors import REASONS
from streams.pipeline import Item, enrich_batch, mark_duplicate, parse_batch, process_payload, route_topic
from streams.records import decode_parsed
from streams.settings import CATEGORY_SLUGS, Pipeline, Topics

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "streams" / "schema" / "enriched.schema.json"
LIMITS = Pipeline()

# interfaces.md, "Enriched record": every key always present, with the keys of nested objects and list items
TOP_KEYS = ["id", "url", "source", "title", "authors", "section", "published_at", "language", "text", "word_count",
            "content_hash", "entities", "locations", "dates", "quotes", "amounts", "tone", "keywords", "categories",
            "category", "events", "duplicate_of", "story_id", "flags", "pipeline"]
OBJECT_KEYS = {"source": {"domain", "name", "reliability"},
               "tone": {"compound", "positive", "negative", "neutral"},
               "pipeline": {"version", "ingested_at", "processed_at", "stage_ms"}}
ITEM_KEYS = {"entities": {"text", "label", "canonical", "count"},
             "locations": {"name", "country_code", "lat", "lon", "geonameid", "count"},
             "dates": {"text", "resolved"},
             "quotes": {"text", "speaker"},
             "amounts": {"text", "value", "unit", "object"},
             "categories": {"label", "score", "evidence"},
             "events": {"code", "label", "quad_class", "goldstein", "sentence"}}


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def seed_record(seed_bytes) -> dict:
    return orjson.loads(orjson.dumps(process_payload(seed_bytes, mode="accurate")))


def assert_interface_keys(record: dict) -> None:
    missing = [k for k in TOP_KEYS if k not in record]
    assert not missing, f"missing keys {missing}"
    for key, subkeys in OBJECT_KEYS.items():
        assert subkeys <= set(record[key]), f"{key} lacks {subkeys - set(record[key])}"
    for key, subkeys in ITEM_KEYS.items():
        for item in record[key]:
            assert subkeys <= set(item), f"{key} item lacks {subkeys - set(item)}: {item}"


# --- the whole path on the seed ------------------------------------------------------------------

def test_seed_record_validates_against_the_published_schema(seed_record, validator):
    errors = sorted(validator.iter_errors(seed_record), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_seed_record_has_every_key_of_the_interface(seed_record):
    assert_interface_keys(seed_record)
    for key in ITEM_KEYS:
        if key not in ("dates", "amounts"):
            assert seed_record[key], f"the seed should yield some {key}"


def test_seed_record_content(seed_record):
    assert seed_record["title"] == "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"
    assert seed_record["category"] in CATEGORY_SLUGS
    assert seed_record["category"] == seed_record["categories"][0]["label"]
    assert seed_record["word_count"] == len(seed_record["text"].split())
    assert set(seed_record["pipeline"]["stage_ms"]) >= {"enrich", "classify"}
    assert seed_record["pipeline"]["processed_at"] >= seed_record["pipeline"]["ingested_at"] > 0
    assert seed_record["duplicate_of"] is None and seed_record["story_id"] == seed_record["id"]
    quote_texts = " ".join(q["text"] for q in seed_record["quotes"])
    assert "cornerstone of the political process" in quote_texts


def test_fast_mode_records_validate_too(fakenews_csv, validator):
    from streams.inputs import read_messages

    messages = list(read_messages([str(fakenews_csv)]))[:12]
    for m in messages:
        record = orjson.loads(orjson.dumps(process_payload(m.value, mode="fast")))
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(record)]
        assert not errors, f"{m.origin}: {errors}"
        assert_interface_keys(record)
        assert record["source"]["domain"]          # the CSV's domain column


def test_json_input_fields_win_and_extra_survives_to_the_output(seed_bytes, validator):
    payload = orjson.dumps({"id": "given-1", "url": "https://www.example.com/world/jet?utm_source=tw",
                            "source": "example.com", "title": "Given title", "authors": ["Jane Roe"],
                            "published_at": "2018-02-05T08:00:00Z", "section": "World", "language": "en",
                            "text": seed_bytes.decode(), "feed": {"name": "wire", "rank": 3}})
    record = orjson.loads(orjson.dumps(process_payload(payload, mode="fast")))
    assert not list(validator.iter_errors(record))
    assert (record["id"], record["title"], record["authors"], record["section"]) == \
        ("given-1", "Given title", ["Jane Roe"], "World")
    assert record["published_at"].startswith("2018-02-05")
    assert record["source"]["domain"] == "example.com"
    assert record["extra"] == {"feed": {"name": "wire", "rank": 3}}


# --- parse_batch ---------------------------------------------------------------------------------

def test_parse_batch_turns_bad_items_into_dead_letters_and_keeps_the_good_ones(seed_bytes):
    items = [Item(seed_bytes, key="k-seed", timestamp=1700000000.0, source={"topic": "articles.raw", "partition": 0,
                                                                            "offset": 10}),
             Item(b"", key="k-empty"),
             Item(b"\xff\xfe\xfa not utf-8", key="k-bytes"),
             Item(b'{"id": "j", "text": ', key="k-json"),
             Item(b"[1, 2]", key="k-array"),
             Item(b'{"id": "jj", "text": "Rome is the capital of Italy, a large city."}', key="k-good-json")]
    out = parse_batch(items, LIMITS)
    assert [o.ok for o in out] == [True, False, False, False, False, True]
    assert [o.reason for o in out] == [None, "empty", "invalid_utf8", "invalid_json", "not_an_object", None]
    assert all(o.stage == "parse" for o in out)

    good = decode_parsed(out[0].value)
    assert out[0].key == good.id and good.title.startswith("Backed Free Syrian Army")
    assert good.pipeline["ingested_at"] == 1700000000.0 and good.pipeline["stage_ms"]["parse"] > 0
    assert out[0].stage_seconds["parse"] > 0 and out[0].ingested_at == 1700000000.0
    assert decode_parsed(out[5].value).id == "jj"

    for item, o in zip(items[1:5], out[1:5], strict=True):
        letter = orjson.loads(o.value)
        assert letter["stage"] == "parse" and letter["reason"] == o.reason and letter["reason"] in REASONS
        assert letter["id"] == item.key == o.key
        assert letter["error_type"] == "BadArticle" and letter["message"]
        assert letter["payload_bytes"] == len(item.value)
        assert not o.retry                                   # a rejection is final
    bad_bytes = orjson.loads(out[2].value)
    assert bad_bytes["payload_encoding"] == "base64"


def test_parse_batch_of_nothing():
    assert parse_batch([], LIMITS) == []


def test_parse_batch_respects_the_limits(seed_bytes):
    tight = dataclasses.replace(LIMITS, max_message_bytes=100, dlq_payload_bytes=10)
    [o] = parse_batch([Item(seed_bytes, key="big")], tight)
    letter = orjson.loads(o.value)
    assert o.reason == "too_large"
    assert letter["payload_truncated"] and len(letter["payload"]) == 10 and letter["payload_bytes"] == len(seed_bytes)


def test_the_message_key_is_the_id_when_the_json_gives_none(seed_bytes):
    [keyed, json_id] = parse_batch([Item(seed_bytes, key="from-key"),
                                    Item(b'{"id": "from-json", "text": "Some words for a body."}', key="k")], LIMITS)
    assert keyed.key == "from-key" and json_id.key == "from-json"


# --- enrich_batch --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def parsed_values(seed_bytes) -> list[bytes]:
    out = parse_batch([Item(seed_bytes, key="seed"),
                       Item(b'{"id": "rome", "text": "The Italian parliament in Rome voted on the budget on '
                            b'Tuesday, the prime minister said."}', key="rome")], LIMITS)
    assert all(o.ok for o in out)
    return [o.value for o in out]


def test_enrich_batch_turns_bad_items_into_dead_letters_and_keeps_the_good_ones(parsed_values):
    seed, rome = parsed_values
    poison = dataclasses.asdict(decode_parsed(seed))
    poison.update(id="poison", text=None)                 # decodes, then breaks the enrichment
    items = [Item(seed, key="seed"), Item(b"not a parsed article", key="garbage"),
             Item(orjson.dumps(poison), key="poison"), Item(orjson.dumps({"id": "half"}), key="half"),
             Item(rome, key="rome")]
    out = enrich_batch(items, "fast", LIMITS)
    assert [o.ok for o in out] == [True, False, False, False, True]
    assert [o.key for o in out] == ["seed", "garbage", "poison", "half", "rome"]
    assert [o.reason for o in out] == [None, "bad_field", "unexpected_error", "bad_field", None]
    assert [o.stage for o in out] == ["classify", "enrich", "enrich", "enrich", "classify"]
    assert out[2].retry and not out[1].retry              # an unexpected error is worth another attempt
    letter = orjson.loads(out[2].value)
    assert letter["error_type"] == "TypeError" and letter["stage"] == "enrich"
    for o in (out[0], out[4]):
        record = orjson.loads(o.value)
        assert_interface_keys(record)
        assert o.category == record["category"] and record["category"] in CATEGORY_SLUGS
        assert set(o.stage_seconds) == {"enrich", "classify"}
        assert record["pipeline"]["mode"] == "fast"


def test_enrich_batch_stops_retrying_after_max_attempts(parsed_values):
    poison = dataclasses.asdict(decode_parsed(parsed_values[0]))
    poison["text"] = None
    [o] = enrich_batch([Item(orjson.dumps(poison), key="p", attempts=LIMITS.max_attempts)], "fast", LIMITS)
    assert not o.ok and not o.retry and orjson.loads(o.value)["attempts"] == LIMITS.max_attempts


def test_enrich_batch_carries_the_duplicate_verdict(parsed_values):
    seed, rome = parsed_values
    out = enrich_batch([Item(seed, key="seed"), Item(rome, key="rome", duplicate_of="seed", story_id="story-1")],
                       "fast", LIMITS)
    first, dup = (orjson.loads(o.value) for o in out)
    assert not out[0].duplicate and out[1].duplicate
    assert first["duplicate_of"] is None and first["story_id"] == "seed"
    assert dup["duplicate_of"] == "seed" and dup["story_id"] == "story-1" and "duplicate" in dup["flags"]


def test_enrich_batch_accurate_mode_matches_one_by_one(parsed_values):
    """The batched NER pass gives each article the same entities as running it alone."""
    together = [orjson.loads(o.value) for o in enrich_batch([Item(v) for v in parsed_values], "accurate", LIMITS)]
    alone = [orjson.loads(enrich_batch([Item(v)], "accurate", LIMITS)[0].value) for v in parsed_values]
    for a, b in zip(together, alone, strict=True):
        assert a["entities"] == b["entities"] and a["category"] == b["category"]


# --- small steps ---------------------------------------------------------------------------------

def test_mark_duplicate_is_idempotent(seed_bytes):
    record = process_payload(seed_bytes, mode="fast")
    mark_duplicate(record, "other", "story")
    mark_duplicate(record, "other", "story")
    assert record.duplicate_of == "other" and record.story_id == "story" and record.flags.count("duplicate") == 1


def test_route_topic():
    topics = Topics()
    assert route_topic("conflict", topics) == "articles.category.conflict"
    assert route_topic(None, topics) is None
    assert route_topic("sport", Topics(category_prefix="x.")) == "x.sport"


def test_a_parsed_record_carries_the_duplicate_check_in_its_headers_and_both_paths_agree(seed_bytes):
    import orjson

    from streams.agents import StageRunner
    from streams.enrich.dedupe import unpack_signature
    from streams.pipeline import CONTENT_HASH_HEADER, SIGNATURE_HEADER, Item, parse_batch
    from streams.settings import Pipeline, load_settings

    [outcome] = parse_batch([Item(seed_bytes, key="seed")], Pipeline())
    record, headers = orjson.loads(outcome.value), dict(outcome.headers)
    assert headers[CONTENT_HASH_HEADER].decode() == record["content_hash"]
    assert unpack_signature(headers[SIGNATURE_HEADER].decode()) == record["signature"]

    runner = StageRunner(load_settings(env={}), pool=None, producer=None, dedupe_store={})
    original = Item(outcome.value, key="seed", headers=headers)
    copy_from_elsewhere = Item(orjson.dumps(dict(record, id="copy")), key="copy")   # no headers: decoded
    runner._judge_duplicate(original)
    runner._judge_duplicate(copy_from_elsewhere)
    assert (original.duplicate_of, original.story_id) == (None, "seed")
    assert (copy_from_elsewhere.duplicate_of, copy_from_elsewhere.story_id) == ("seed", "seed")
