"""streams.offsets on a real broker: the probe that tells a skipped record from an offset that holds none, and a
worker whose input was written by a transactional producer (a commit marker at one offset per transaction per
partition: offsets no consumer ever receives, which the commit must pass without waiting forever).
"""
from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.kafka import client_options, ensure_topics
from streams.offsets import HEAD_GAP_SECONDS, broker_probe

from integration.test_reliability import collect, corpus, report, start

pytestmark = pytest.mark.integration


async def _publish_in_transactions(settings, topic: str, batches: list[list[tuple[bytes, bytes]]],
                                   partition: int | None = None) -> None:
    """Each batch in its own committed transaction."""
    producer = AIOKafkaProducer(**client_options(settings), transactional_id=f"{topic}-tx", enable_idempotence=True)
    await producer.start()
    try:
        for batch in batches:
            async with producer.transaction():
                for key, value in batch:
                    await producer.send(topic, value, key=key, partition=partition)
    finally:
        await producer.stop()


async def _partitions(consumer, topic: str) -> list[int]:
    parts = consumer.partitions_for_topic(topic)
    while not parts:
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic)
    return sorted(parts)


async def _committed(settings, group: str, topic: str) -> dict[int, int | None]:
    consumer = AIOKafkaConsumer(**client_options(settings), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return {p: await consumer.committed(TopicPartition(topic, p)) for p in await _partitions(consumer, topic)}
    finally:
        await consumer.stop()


async def _records_by_partition(settings, topic: str) -> dict[int, list[int]]:
    """Offsets of the records in each partition (markers are never returned)."""
    consumer = AIOKafkaConsumer(**client_options(settings), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out = {tp.partition: [] for tp in tps}
        for _ in range(60):                                 # bounded: a trailing marker is never "read"
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                out[tp.partition] += [r.offset for r in records]
            positions = [await consumer.position(tp) for tp in tps]
            if all(position >= ends[tp] for position, tp in zip(positions, tps)):
                break
        return out
    finally:
        await consumer.stop()


@pytest.mark.brokers("kafka")
def test_the_probe_tells_a_record_from_an_offset_that_holds_none(stack):
    """Kafka only: Tansu 0.6 does not run transactions."""
    settings = stack.settings
    topic = settings.topics.raw

    async def scenario():
        await ensure_topics(settings, [topic])
        # offsets 0-2, marker 3, 4-6, marker 7
        await _publish_in_transactions(settings, topic, [[(b"k", b"%d" % i) for i in range(3)]] * 2, partition=0)
        probe = broker_probe(settings, timeout=5)
        tp = TopicPartition(topic, 0)
        return [await probe(tp, offset) for offset in (0, 2, 3, 4, 7)]

    assert asyncio.run(scenario()) == [0, 2, 4, 4, None]


@pytest.mark.brokers("kafka")
def test_a_worker_commits_past_the_markers_of_a_transactional_producer(stack, fakenews_csv):
    """Articles published in four transactions: every one is enriched once, and the group's committed offset of
    each input partition reaches its last record, passing the markers in between once the probe has found them
    empty (about ``HEAD_GAP_SECONDS`` after the stall). Without that the commit would stop at the first marker
    and a restarted worker would process everything after it again. Kafka only: Tansu 0.6 runs no transactions."""
    stack.mode = "fast"
    settings = stack.settings
    worker = start(stack)
    messages = corpus(fakenews_csv, 40, stack.prefix)
    asyncio.run(_publish_in_transactions(settings, settings.topics.raw, [messages[i:i + 10] for i in range(0, 40, 10)]))
    expected = {k.decode() for k, _ in messages}
    seen = collect(stack, settings.topics.enriched, expected, timeout=300, settle=2)
    figures = report("transactional producer upstream", len(messages), seen, expected)
    assert figures["lost"] == 0 and figures["duplicated"] == 0

    records = asyncio.run(_records_by_partition(settings, settings.topics.raw))
    wanted = {p: offsets[-1] + 1 for p, offsets in records.items() if offsets}
    assert any(len(offsets) > 1 and offsets[-1] - offsets[0] >= len(offsets) for offsets in records.values()), \
        f"no marker between two records of one partition: {records}"
    deadline = time.monotonic() + HEAD_GAP_SECONDS * 3 + 30
    while True:
        committed = asyncio.run(_committed(settings, settings.app_id, settings.topics.raw))
        if all((committed.get(p) or 0) >= end for p, end in wanted.items()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert all((committed.get(p) or 0) >= end for p, end in wanted.items()), (committed, wanted)
    assert "hold no record" in worker.log.read_text(errors="replace")
    assert worker.process.poll() is None
