"""End to end on the real (embedded) broker: raw articles in, enriched records out, bad input dead-lettered."""
from __future__ import annotations

import gzip

import orjson
import pytest
from aiokafka.errors import MessageSizeTooLargeError

from streams.inputs import read_messages
from streams.kafka import RECORD_OVERHEAD_BYTES

from harness import metrics_when

pytestmark = pytest.mark.integration


def metric_total(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            head, _, value = line.rpartition(" ")
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
    return total


def test_seed_and_corpus_arrive_once_each_enriched(stack, seed_bytes, fakenews_csv):
    worker = stack.start_worker()
    rows = [(m.key, m.value) for m in read_messages([str(fakenews_csv)], "csv")]
    assert len(rows) == 250
    stack.publish([(None, seed_bytes)] + rows)

    records = [orjson.loads(m.value) for m in stack.read(stack.settings.topics.enriched, 251, timeout=300)]
    ids = [r["id"] for r in records]
    assert len(records) == 251, f"{len(records)} of 251 arrived"
    assert len(set(ids)) == 251, "an article arrived twice"
    assert {k.decode() for k, _ in rows} <= set(ids)

    seed = next(r for r in records if "Russian Jet" in (r["title"] or ""))
    assert seed["title"] == "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"
    assert seed["published_at"] == "2018-02-04" and seed["authors"] == ["Victor Meyer"]
    assert seed["section"] == "Worldwide" and seed["language"] == "en"
    assert seed["text"].startswith("Al-Qaida-linked militants") and "Like this" not in seed["text"]
    assert seed["word_count"] > 300 and len(seed["content_hash"]) == 64

    text = metrics_when(worker, lambda t: metric_total(t, "newsstreams_end_to_end_latency_seconds_count") >= 251)
    assert metric_total(text, "newsstreams_articles_total", stage="parse", outcome="ok") == 251
    assert metric_total(text, "newsstreams_articles_total", stage="classify", outcome="ok") == 251
    assert metric_total(text, "newsstreams_stage_duration_seconds_count", stage="enrich") == 251
    assert metric_total(text, "newsstreams_end_to_end_latency_seconds_count") == 251


BAD_PAYLOADS = {
    "invalid-utf8": (b"\xff\xfe\x00garbage", "invalid_utf8"),
    "broken-json": (b'{"id": "b1", "text": ', "invalid_json"),
    "empty": (b"", "empty"),
    "json-array": (b"[1,2,3]", "not_an_object"),
    "json-without-text": (b'{"id": "b5", "title": ""}', "no_text"),
    "nested-json": (b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "too_deep"),
    "gzip-bomb": (gzip.compress(b"\0" * (20 * 1024 * 1024)), "too_large"),
}


def test_bad_input_is_dead_lettered_and_the_next_article_comes_out(stack, seed_bytes):
    worker = stack.start_worker()
    stack.publish([(name.encode(), payload) for name, (payload, _) in BAD_PAYLOADS.items()]
                  + [(b"good-one", seed_bytes)])
    enriched = stack.read(stack.settings.topics.enriched, 1, timeout=180)
    assert enriched and orjson.loads(enriched[0].value)["title"].endswith("Kills Pilot")

    letters = {m.key.decode(): orjson.loads(m.value) for m in stack.read(stack.settings.topics.dlq, len(BAD_PAYLOADS))}
    assert set(letters) == set(BAD_PAYLOADS)
    for name, (payload, reason) in BAD_PAYLOADS.items():
        letter = letters[name]
        assert letter["stage"] == "parse" and letter["reason"] == reason, name
        assert letter["payload_bytes"] == len(payload) and letter["message"]
    assert letters["invalid-utf8"]["payload_encoding"] == "base64"
    assert letters["broken-json"]["payload"] == '{"id": "b1", "text": '
    assert letters["gzip-bomb"]["payload_encoding"] == "base64" and letters["gzip-bomb"]["payload_truncated"] is False

    text = metrics_when(worker, lambda t: metric_total(t, "newsstreams_articles_total", stage="parse",
                                                       outcome="dead_letter") >= len(BAD_PAYLOADS))
    for name, (_, reason) in BAD_PAYLOADS.items():
        assert metric_total(text, "newsstreams_dead_letters_total", stage="parse", reason=reason) >= 1, reason
    assert metric_total(text, "newsstreams_articles_total", stage="parse", outcome="dead_letter") == len(BAD_PAYLOADS)


def test_a_message_over_the_limit_is_stopped_by_the_broker_or_dead_lettered(stack, broker_engine, seed_bytes):
    """Apache Kafka refuses a batch over the topic's ``max.message.bytes``, which the product sets on
    ``articles.raw`` to the worker's own limit: the publisher is told at once. Tansu 0.6 has no such limit, so
    there the worker itself dead-letters the message as ``too_large``. Either way the next article comes out."""
    worker = stack.start_worker()
    oversized = b"x" * (stack.settings.pipeline.max_message_bytes + RECORD_OVERHEAD_BYTES + 1024)
    if broker_engine == "kafka":
        with pytest.raises(MessageSizeTooLargeError):
            stack.publish([(b"oversized", oversized)])
    else:
        stack.publish([(b"oversized", oversized)])
        letter = orjson.loads(stack.read(stack.settings.topics.dlq, 1)[0].value)
        assert letter["reason"] == "too_large" and letter["payload_truncated"] is True
    stack.publish([(b"good-one", seed_bytes)])
    enriched = stack.read(stack.settings.topics.enriched, 1, timeout=180)
    assert enriched and enriched[0].key == b"good-one" and worker.process.poll() is None
