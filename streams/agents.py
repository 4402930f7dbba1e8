"""What the agents do with a batch of events: hand it to the pipeline, send the outcomes, count them.

Delivery contract (see faust-notes.md): an agent's batch is acked when its loop asks for the next batch,
so every handler below returns only after the broker has acknowledged every message the batch caused.
Nothing raises out of a handler for a bad article: it becomes a dead letter. A failing send is retried
until the broker takes it (the partition waits; nothing is skipped).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Iterable, Sequence

import orjson
from aiokafka.errors import KafkaError

from streams import metrics
from streams.enrich.dedupe import DuplicateIndex, unpack_signature
from streams.errors import BadArticle, dead_letter
from streams.pipeline import (CONTENT_HASH_HEADER, SIGNATURE_HEADER, Item, Outcome, enrich_batch, parse_batch,
                              route_topic)
from streams.pool import PoolCrashed, StagePool
from streams.settings import CATEGORY_SLUGS, Settings

log = logging.getLogger(__name__)
CATEGORY_HEADER = "category"
SEND_RETRY_SECONDS = (0.5, 1, 2, 5)
NON_RETRIABLE_ATTEMPTS = 3


class StageRunner:
    """Holds what the agents share: settings, the process pool, the producer, the duplicate index, rates."""

    def __init__(self, settings: Settings, pool: StagePool, producer: Any, dedupe_store: Any):
        self.settings = settings
        self.topics = settings.topics
        self.pool = pool
        self.producer = producer          # Faust's producer: send(topic, key, value, partition, timestamp, headers)
        self.dedupe = DuplicateIndex(dedupe_store, max_articles=settings.pipeline.dedupe_max_articles)
        self.rates = metrics.RateTracker()

    # --- parse: articles.raw -> articles.parsed ------------------------------------------------------

    async def parse_events(self, events: Sequence[Any]) -> None:
        items = [_item(e) for e in events]
        limits = self.settings.pipeline
        # Too large for the pool's pipes and for any article: dead-letter in place, without copying it around.
        oversized = [i for i in items if len(i.value) > limits.max_message_bytes]
        normal = [i for i in items if len(i.value) <= limits.max_message_bytes]
        outcomes = [self._dead("parse", i, BadArticle("too_large", f"message of {len(i.value)} bytes exceeds "
                                                       f"the limit of {limits.max_message_bytes}"))
                    for i in oversized]
        outcomes += await self._run("parse", parse_batch, normal, limits)
        sends = [(self.topics.parsed if o.ok else self.topics.dlq, o.key, o.value, o.headers or None)
                 for o in outcomes]
        await self._send_all(sends)
        for o in outcomes:
            if o.ok:
                metrics.count_ok("parse", o.stage_seconds.get("parse"), rates=self.rates)
            else:
                metrics.count_dead_letter("parse", o.reason)

    # --- enrich + classify: articles.parsed -> articles.enriched --------------------------------------

    async def enrich_events(self, events: Sequence[Any]) -> None:
        items = [_item(e) for e in events]
        for item in items:
            self._judge_duplicate(item)
        outcomes = await self._run("enrich", enrich_batch, items, self.settings.pipeline.mode, self.settings.pipeline)
        sends = []
        for o in outcomes:
            if o.ok:
                headers = [(CATEGORY_HEADER, (o.category or "").encode())]
                sends.append((self.topics.enriched, o.key, o.value, headers))
            else:
                sends.append((self.topics.dlq, o.key, o.value, None))
        await self._send_all(sends)
        now = time.time()
        for o in outcomes:
            if o.ok:
                metrics.count_ok("enrich", o.stage_seconds.get("enrich"), duplicate=o.duplicate, rates=self.rates)
                metrics.count_ok("classify", o.stage_seconds.get("classify"), rates=self.rates)
                if o.ingested_at:
                    metrics.END_TO_END.observe(max(0.0, now - o.ingested_at))
            else:
                metrics.count_dead_letter("enrich", o.reason)

    def _judge_duplicate(self, item: Item) -> None:
        """Near-duplicate verdict from the shared index: id (the key), content hash and signature come from the
        headers the parse agent set; a record from another producer is decoded instead."""
        try:
            packed = item.headers.get(SIGNATURE_HEADER)
            content_hash = item.headers.get(CONTENT_HASH_HEADER)
            if item.key and packed and content_hash:
                verdict = self.dedupe.check_and_add(item.key, content_hash.decode(), unpack_signature(packed.decode()))
            else:
                record = orjson.loads(item.value)
                verdict = self.dedupe.check_and_add(record["id"], record["content_hash"], record["signature"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return      # not a parsed article: enrich_batch dead-letters it with the reason
        item.duplicate_of, item.story_id = verdict.duplicate_of, verdict.story_id

    # --- route: articles.enriched -> articles.category.<slug> -----------------------------------------

    async def route_events(self, events: Sequence[Any]) -> None:
        sends, counted = [], []
        for e in events:
            started = time.perf_counter()
            category = _category_of(e.message)
            topic = route_topic(category, self.topics) if category in CATEGORY_SLUGS else None
            if topic is not None:
                sends.append((topic, e.message.key, e.message.value, [(CATEGORY_HEADER, category.encode())]))
            counted.append((category if topic else None, time.perf_counter() - started))
        await self._send_all(sends)
        for category, seconds in counted:
            if category:
                metrics.CATEGORIES.labels(category=category).inc()
                metrics.count_ok("route", seconds, rates=self.rates)
            else:
                metrics.ARTICLES.labels(stage="route", outcome="error").inc()

    # --- shared ---------------------------------------------------------------------------------------

    async def _run(self, stage: str, fn, items: list[Item], *args) -> list[Outcome]:
        """Run a batch function in the pool; retry unexpected failures one by one, up to max_attempts."""
        if not items:
            return []
        metrics.BATCH_SIZE.labels(stage=stage).observe(len(items))
        outcomes = await self._in_pool(stage, fn, items, *args)
        final = []
        for item, outcome in zip(items, outcomes):
            while not outcome.ok and outcome.retry and item.attempts < self.settings.pipeline.max_attempts:
                metrics.count_error(stage)
                item.attempts += 1
                outcome = (await self._in_pool(stage, fn, [item], *args))[0]
            if not outcome.ok and not outcome.value:      # the pool failed, not the article: no letter yet
                why = ("a pool process died on this article" if outcome.reason == "worker_crash"
                       else "the process pool failed on this article")
                outcome = self._dead(stage, item, RuntimeError(f"{why} {item.attempts} times"), reason=outcome.reason)
            final.append(outcome)
        return final

    async def _in_pool(self, stage: str, fn, items: list[Item], *args) -> list[Outcome]:
        """The batch function's outcomes, or retriable failures when the pool itself fails (a process died, an
        item or result could not cross the process boundary): never an exception, so the agent never stops."""
        try:
            return await self.pool.map_chunks(fn, items, *args, weight=_cost)
        except PoolCrashed:
            reason = "worker_crash"
        except Exception:   # noqa: BLE001 - anything else escaping here would stop the agent and its partitions
            log.exception("the process pool failed on a batch of %d %s item(s)", len(items), stage)
            reason = "unexpected_error"
        return [Outcome(False, i.key, b"", stage, reason=reason, retry=True) for i in items]

    def _dead(self, stage: str, item: Item, exc: Exception, reason: str | None = None) -> Outcome:
        letter = dead_letter(stage, exc, item.value, key=item.key, source=item.source,
                             max_payload_bytes=self.settings.pipeline.dlq_payload_bytes, attempts=item.attempts)
        if reason:
            letter.reason = reason
        return Outcome(False, item.key, orjson.dumps(letter.to_dict()), stage, reason=letter.reason)

    async def _send_all(self, sends: Iterable[tuple[str, str | None, bytes, list | None]]) -> None:
        """Send every message and wait for the broker's acknowledgement of each.

        Retriable failures (broker away, leader moving) are retried until the broker takes the message: the
        partition waits, nothing is skipped. A message the broker can never take (e.g. too large) becomes a
        dead letter after ``NON_RETRIABLE_ATTEMPTS``; a dead letter that cannot be written either is logged.
        """
        pending = [(s, 0) for s in sends]
        attempt = 0
        while pending:
            futures = []
            for (topic, key, value, headers), _ in pending:
                k = key.encode("utf-8") if isinstance(key, str) else key
                futures.append(await self.producer.send(topic, k, value, None, None, headers))
            results = await asyncio.gather(*futures, return_exceptions=True)
            retry = []
            for (send, refusals), result in zip(pending, results):
                if not isinstance(result, BaseException):
                    continue
                retriable = isinstance(result, KafkaError) and getattr(result, "retriable", False)
                if retriable or refusals + 1 < NON_RETRIABLE_ATTEMPTS:
                    retry.append((send, refusals + (0 if retriable else 1)))
                elif send[0] != self.topics.dlq:
                    retry.append((self._undeliverable(send, result), 0))
                else:
                    log.error("dead letter for key %r could not be written either (%s): %s", send[1],
                              type(result).__name__, result)
            if not retry:
                return
            delay = SEND_RETRY_SECONDS[min(attempt, len(SEND_RETRY_SECONDS) - 1)]
            if attempt % 10 == 0:
                errors = sorted({type(r).__name__ for r in results if isinstance(r, BaseException)})
                log.warning("broker did not take %d message(s) (%s); retrying in %.1f s", len(retry),
                            ", ".join(errors), delay)
            attempt += 1
            pending = retry
            await asyncio.sleep(delay)

    def _undeliverable(self, send: tuple, error: BaseException) -> tuple:
        """The dead letter that replaces an output the broker refuses for good."""
        topic, key, value, _ = send
        reason = "too_large" if "TooLarge" in type(error).__name__ else "unexpected_error"
        item = Item(value=value, key=key, source={"topic": topic, "output": True})
        outcome = self._dead("route" if topic != self.topics.enriched else "enrich", item,
                             BadArticle(reason, f"the broker refused the output for {topic}: {error}"))
        metrics.DEAD_LETTERS.labels(stage=outcome.stage, reason=reason).inc()
        return (self.topics.dlq, key, outcome.value, None)


def _cost(item: Item) -> float:
    """What an item costs a pool process, roughly: its size (parsing, NER and the extractors are linear in it)."""
    return float(len(item.value))


def _item(event: Any) -> Item:
    m = event.message
    key = m.key.decode("utf-8", "replace") if isinstance(m.key, bytes) else m.key
    return Item(value=m.value if m.value is not None else b"", key=key, timestamp=m.timestamp or time.time(),
                source={"topic": m.topic, "partition": m.partition, "offset": m.offset},
                headers=dict(m.headers or ()))


def _category_of(message: Any) -> str | None:
    """The record's category: the header the enrich agent set from the record's own field, else the JSON."""
    for name, value in message.headers or ():
        if name == CATEGORY_HEADER and value:
            return value.decode("utf-8", "replace")
    try:
        return orjson.loads(message.value).get("category")
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        return None
