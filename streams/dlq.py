"""Dead letters back into the pipeline after a fix: ``newsstreams dlq replay [--reason R] [--stage S] [--limit N]
[--dry-run]``.

A dead letter (streams.errors.DeadLetter) holds the original payload of the message a stage refused. Replaying
re-publishes that payload, with the original key (the article id), to the topic the stage reads:

    stage parse  -> articles.raw       (the payload is the raw message)
    stage enrich -> articles.parsed    (the payload is the parsed article; re-parsing it would bury its fields
                                        under ``extra``)

Payloads kept as base64 (not UTF-8) are decoded back to their bytes. A truncated payload (``payload_truncated``,
larger than ``pipeline.dlq_payload_bytes``) is refused: only its head survives, and replaying a head would
publish a different article. Those are counted and named in the result.

Which letters: the replay reads ``articles.dlq`` with its own consumer group and commits what it has read,
after the broker has acknowledged every re-published message, so running it again does not replay the same
letters twice (at-least-once: a crash between publishing and committing replays those letters again; their
key is the article id). The group is named after the filter (``<app_id>-dlq-replay``, plus ``-reason=...``
``-stage=...``): replays with different filters keep separate positions. ``offsets`` replays from explicit
positions instead and commits nothing. ``dry_run`` reads and counts without publishing or committing.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections import Counter
from typing import Iterable

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from streams.kafka import MAX_REQUEST_BYTES, client_options, ensure_topics, producer
from streams.settings import Settings

log = logging.getLogger(__name__)
MAX_NAMED_IDS = 50          # ids listed in the result per kind of refusal (the counts are complete)
POLL_MS = 500


class LetterRefused(ValueError):
    """A dead letter that cannot be replayed; ``kind`` says why (truncated, unknown_stage, invalid)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def replay_target(letter: dict, settings: Settings) -> tuple[str, bytes | None, bytes]:
    """(topic, key, payload bytes) to re-publish for one dead letter. Raises LetterRefused."""
    if not isinstance(letter, dict) or not isinstance(letter.get("payload"), str):
        raise LetterRefused("invalid", "not a dead letter (no payload)")
    if letter.get("payload_truncated"):
        raise LetterRefused("truncated", f"payload truncated: {letter.get('payload_bytes')} bytes originally, "
                                         "only the head was kept")
    topic = {"parse": settings.topics.raw, "enrich": settings.topics.parsed}.get(letter.get("stage"))
    if topic is None:
        raise LetterRefused("unknown_stage", f"no input topic for stage {letter.get('stage')!r}")
    encoding = letter.get("payload_encoding", "utf-8")
    if encoding == "base64":
        try:
            payload = base64.b64decode(letter["payload"], validate=True)
        except (binascii.Error, ValueError) as e:
            raise LetterRefused("invalid", f"payload is not valid base64: {e}") from None
    elif encoding == "utf-8":
        payload = letter["payload"].encode("utf-8", "surrogatepass")
    else:
        raise LetterRefused("invalid", f"unknown payload encoding {encoding!r}")
    key = letter.get("id")
    return topic, (key.encode("utf-8") if isinstance(key, str) else None), payload


def replay_group(settings: Settings, reasons: Iterable[str] | None, stage: str | None) -> str:
    """The consumer group that remembers how far a replay with this filter has read."""
    name = f"{settings.app_id}-dlq-replay"
    if reasons:
        name += "-reason=" + "+".join(sorted(set(reasons)))
    if stage:
        name += f"-stage={stage}"
    return name


async def replay_dead_letters(settings: Settings, *, reasons: Iterable[str] | None = None, stage: str | None = None,
                              limit: int | None = None, dry_run: bool = False,
                              offsets: dict[int, int] | None = None, group: str | None = None) -> dict:
    """Re-publish the dead letters of ``articles.dlq`` that match ``reasons`` / ``stage``, at most ``limit``.

    Reads from the replay group's committed position (the beginning the first time) up to the end the topic
    had when the replay started. ``offsets`` ({partition: offset}) starts there instead and commits nothing.
    Returns counts: ``read``, ``matched``, ``replayed`` (would be, with ``dry_run``), ``skipped`` (not
    matching the filter), ``refused`` ({kind: n}) with ``refused_ids``, ``by_reason``, ``to_topics``,
    ``dry_run``, ``group`` and ``committed`` ({partition: next offset}).
    """
    reasons = set(reasons) if reasons else None
    group = group or replay_group(settings, reasons, stage)
    dlq = settings.topics.dlq
    await ensure_topics(settings, [dlq, settings.topics.raw, settings.topics.parsed])
    result = {"read": 0, "matched": 0, "replayed": 0, "skipped": 0, "refused": Counter(), "refused_ids": {},
              "by_reason": Counter(), "to_topics": Counter(), "dry_run": dry_run, "group": group, "committed": {}}
    consumer = AIOKafkaConsumer(**client_options(settings), group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_bytes=MAX_REQUEST_BYTES,
                                max_partition_fetch_bytes=MAX_REQUEST_BYTES)
    prod = None if dry_run else producer(settings)
    await consumer.start()
    try:
        if prod is not None:
            await prod.start()
        tps = await _partitions(consumer, dlq)
        consumer.assign(tps)
        for tp in tps:
            if offsets is not None:
                consumer.seek(tp, offsets.get(tp.partition, 0))
            elif await consumer.committed(tp) is None:
                await consumer.seek_to_beginning(tp)
        ends = await consumer.end_offsets(tps)
        positions = {tp: await consumer.position(tp) for tp in tps}
        pending = []                        # (partition, next offset, delivery future or None)
        done = {tp for tp in tps if positions[tp] >= ends[tp]}
        while len(done) < len(tps) and not (limit is not None and result["matched"] >= limit):
            batches = await consumer.getmany(*[tp for tp in tps if tp not in done], timeout_ms=POLL_MS, max_records=500)
            for tp, records in batches.items():
                for msg in records:
                    if msg.offset >= ends[tp] or (limit is not None and result["matched"] >= limit):
                        done.add(tp)
                        break
                    positions[tp] = msg.offset + 1
                    future = await _handle(msg, settings, reasons, stage, result, prod)
                    pending.append(future)
                if positions[tp] >= ends[tp]:
                    done.add(tp)
        if pending:
            await asyncio.gather(*[f for f in pending if f is not None])   # every re-published message acked
        if not dry_run and offsets is None:
            commit = {tp: OffsetAndMetadata(positions[tp], "") for tp in tps}
            await consumer.commit(commit)
            result["committed"] = {tp.partition: positions[tp] for tp in tps}
    finally:
        await consumer.stop()
        if prod is not None:
            await prod.stop()
    result["refused"], result["by_reason"], result["to_topics"] = (dict(result["refused"]), dict(result["by_reason"]),
                                                                   dict(result["to_topics"]))
    log.info("dead letters: %d read, %d matched, %d %s, %d refused", result["read"], result["matched"],
             result["replayed"], "would be replayed (dry run)" if dry_run else "replayed", sum(result["refused"].values()))
    return result


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    for _ in range(50):
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return [TopicPartition(topic, p) for p in sorted(partitions)]
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.2)
    raise RuntimeError(f"topic {topic} has no partitions")


async def _handle(msg, settings: Settings, reasons, stage, result: dict, prod):
    """Count one dead letter and publish its payload; returns the delivery future (None if not published)."""
    result["read"] += 1
    try:
        letter = orjson.loads(msg.value or b"")
    except orjson.JSONDecodeError:
        letter = None
    if isinstance(letter, dict) and ((reasons and letter.get("reason") not in reasons)
                                     or (stage and letter.get("stage") != stage)):
        result["skipped"] += 1
        return None
    result["matched"] += 1
    try:
        topic, key, payload = replay_target(letter, settings)
    except LetterRefused as e:
        result["refused"][e.kind] += 1
        named = result["refused_ids"].setdefault(e.kind, [])
        if len(named) < MAX_NAMED_IDS:
            named.append((letter or {}).get("id") if isinstance(letter, dict) else None)
        log.warning("dead letter at %s[%d]@%d not replayed: %s", msg.topic, msg.partition, msg.offset, e)
        return None
    result["replayed"] += 1
    result["by_reason"][letter.get("reason")] += 1
    result["to_topics"][topic] += 1
    if prod is None:
        return None
    return await prod.send(topic, payload, key=key)
