"""The path of an article, top to bottom: raw bytes -> parse -> enrich -> classify -> route.

Every step is a plain function you can call in a REPL. The ``*_batch`` functions at the end are what the
agents hand to the process pool: bytes in, bytes out, one :class:`Outcome` per message, never an exception
(a failing article becomes a dead letter; the rest of its batch goes on).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson

from streams.classify.article import classify_article
from streams.classify.events import parse_event_sentences
from streams.enrich.article import enrich_article, find_mentions
from streams.enrich.dedupe import pack_signature
from streams.errors import BadArticle, dead_letter, reason_of
from streams.parse.article import parse_article
from streams.parse.envelope import decode_raw
from streams.records import EnrichedArticle, ParsedArticle, decode_parsed, encode
from streams.settings import Pipeline, Topics

STAGES = ("parse", "enrich", "classify", "route")
CONTENT_HASH_HEADER = "content_hash"
SIGNATURE_HEADER = "signature"


# --- the steps -------------------------------------------------------------------------------------

def parse_payload(payload: bytes, *, ingested_at: float, limits: Pipeline, key: str | None = None) -> ParsedArticle:
    """Raw message bytes (and the message's key) -> ParsedArticle. Raises BadArticle with a dead-letter reason.

    The article id is the JSON ``id``, else the message key, else derived from the canonical URL, else from the text.
    """
    raw = decode_raw(payload, max_bytes=limits.max_message_bytes, max_json_depth=limits.max_json_depth)
    return parse_article(raw, ingested_at=ingested_at, max_text_chars=limits.max_text_chars, key=key)


def enrich_and_classify(articles: list[ParsedArticle], mode: str) -> list[EnrichedArticle]:
    """Enrich (one NER pass for the whole batch) and classify parsed articles, timing both stages."""
    started = time.perf_counter()
    texts = [a.text for a in articles]
    mentions = find_mentions(texts, mode)
    parsing = time.perf_counter()
    ner_share = (parsing - started) / max(1, len(articles))
    event_sentences = parse_event_sentences(texts)                          # one parser pass for the batch
    parse_share = (time.perf_counter() - parsing) / max(1, len(articles))
    out = []
    for article, ms, sentences in zip(articles, mentions, event_sentences):
        t0 = time.perf_counter()
        record, spans = enrich_article(article, ms)
        t1 = time.perf_counter()
        classify_article(record, spans, sentences)
        t2 = time.perf_counter()
        stage_ms = record.pipeline.setdefault("stage_ms", {})
        stage_ms["enrich"] = round((ner_share + t1 - t0) * 1000, 3)
        stage_ms["classify"] = round((parse_share + t2 - t1) * 1000, 3)
        record.pipeline["mode"] = mode
        record.pipeline["processed_at"] = time.time()
        out.append(record)
    return out


def mark_duplicate(record: EnrichedArticle, duplicate_of: str | None, story_id: str | None) -> EnrichedArticle:
    """Set the near-duplicate verdict reached over the shared index (streams.enrich.dedupe)."""
    record.duplicate_of = duplicate_of
    record.story_id = story_id or record.id
    if duplicate_of and "duplicate" not in record.flags:
        record.flags.append("duplicate")
    return record


def dedupe_headers(parsed: ParsedArticle) -> list[tuple[str, bytes]]:
    """What the near-duplicate check needs, as Kafka headers of the parsed record: the enrich agent's event loop
    reads them instead of decoding the whole record."""
    return [(CONTENT_HASH_HEADER, parsed.content_hash.encode()),
            (SIGNATURE_HEADER, pack_signature(parsed.signature).encode())]


def route_topic(category: str | None, topics: Topics) -> str | None:
    """The category topic a record goes to: ``articles.category.<category>``; None without a category."""
    return topics.category(category) if category else None


def process_payload(payload: bytes, mode: str = "accurate", limits: Pipeline | None = None) -> EnrichedArticle:
    """The whole pipeline for one raw payload, offline (``newsstreams process``). Raises BadArticle."""
    parsed = parse_payload(payload, ingested_at=time.time(), limits=limits or Pipeline())
    record = enrich_and_classify([parsed], mode)[0]
    return mark_duplicate(record, None, None)


# --- what the process pool runs ------------------------------------------------------------------

@dataclass(slots=True)
class Item:
    """One Kafka message handed to a batch function."""
    value: bytes
    key: str | None = None
    timestamp: float = 0.0          # the message's timestamp, seconds
    source: dict = field(default_factory=dict)    # topic, partition, offset
    duplicate_of: str | None = None
    story_id: str | None = None
    attempts: int = 1
    headers: dict = field(default_factory=dict)   # Kafka headers, name -> bytes


@dataclass(slots=True)
class Outcome:
    """What became of one message: a record to send (ok) or a dead letter (not ok)."""
    ok: bool
    key: str | None
    value: bytes
    stage: str
    reason: str | None = None
    category: str | None = None
    duplicate: bool = False
    ingested_at: float = 0.0
    stage_seconds: dict = field(default_factory=dict)
    retry: bool = False             # an unexpected error: worth another attempt before dead-lettering
    headers: list = field(default_factory=list)   # Kafka headers to send with the record


def parse_batch(items: list[Item], limits: Pipeline) -> list[Outcome]:
    """Parse raw messages. Outcome.value: the ParsedArticle JSON, or the DeadLetter JSON."""
    out = []
    for item in items:
        started = time.perf_counter()
        try:
            parsed = parse_payload(item.value, ingested_at=item.timestamp, limits=limits, key=item.key)
        except Exception as exc:  # every failure of one article becomes its dead letter
            out.append(_failed("parse", item, exc, limits))
            continue
        elapsed = time.perf_counter() - started
        parsed.pipeline["stage_ms"]["parse"] = round(elapsed * 1000, 3)
        out.append(Outcome(True, parsed.id, encode(parsed), "parse", ingested_at=item.timestamp,
                           stage_seconds={"parse": elapsed}, headers=dedupe_headers(parsed)))
    return out


def enrich_batch(items: list[Item], mode: str, limits: Pipeline) -> list[Outcome]:
    """Enrich and classify parsed messages. Outcome.value: the EnrichedArticle JSON, or a DeadLetter JSON."""
    parsed, good, out = [], [], [None] * len(items)
    for i, item in enumerate(items):
        try:
            parsed.append(decode_parsed(item.value))
            good.append(i)
        except Exception as exc:
            out[i] = _failed("enrich", item, BadArticle("bad_field", f"not a parsed article: {exc}"), limits)
    try:
        records = enrich_and_classify(parsed, mode)
    except Exception:
        records = None                          # one article broke the batch: redo them one by one
    for n, i in enumerate(good):
        item = items[i]
        try:
            record = records[n] if records is not None else enrich_and_classify([parsed[n]], mode)[0]
            mark_duplicate(record, item.duplicate_of, item.story_id)
            stage_ms = record.pipeline.get("stage_ms", {})
            out[i] = Outcome(True, record.id, encode(record), "classify", category=record.category,
                             duplicate=bool(item.duplicate_of), ingested_at=record.pipeline.get("ingested_at", 0.0),
                             stage_seconds={k: stage_ms[k] / 1000 for k in ("enrich", "classify") if k in stage_ms})
        except Exception as exc:
            out[i] = _failed("enrich", item, exc, limits)
    return out


def _failed(stage: str, item: Item, exc: Exception, limits: Pipeline) -> Outcome:
    letter = dead_letter(stage, exc, item.value, key=item.key, source=item.source,
                         max_payload_bytes=limits.dlq_payload_bytes, attempts=item.attempts)
    retry = not isinstance(exc, BadArticle) and item.attempts < limits.max_attempts
    return Outcome(False, item.key, orjson.dumps(letter.to_dict()), stage, reason=reason_of(exc),
                   ingested_at=item.timestamp, retry=retry)
