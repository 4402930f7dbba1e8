"""Hostile input and a dying pool process, on one real worker and the real (embedded) broker.

1. Kafka-level decompression bombs: a gzip, lz4, zstd and snappy record batch (a few hundred KB on the wire at
   most) whose one record inflates to 64 MiB. aiokafka inflates whole batches without any limit
   (aiokafka.codec.*_decode), so the worker holds the record, dead-letters it as too_large, moves on to the
   articles behind it on the same partition and stays alive. lz4/zstd/snappy need cramjam: without it the first
   such batch raises UnsupportedCodecError out of the consumer and kills the worker.
2. A pool process killed with SIGKILL mid-stream: the pool is replaced, the batch's articles are retried, none is
   lost nor dead-lettered as worker_crash.
3. Records written into the near-duplicate table's changelog by another client (entries of the wrong shape, old
   keys, bytes that are not JSON): the worker neither crashes nor stops judging duplicates.

The tests share one worker (a worker takes ~40 s to start on a loaded 2-core machine). Figures are printed
(``pytest -s``) for docs/RELIABILITY.md.
"""
from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
from harness import Stack
from prometheus_client.parser import text_string_to_metric_families

from integration.test_reliability import _collect_records, collect, corpus, counts, report, wait_until
from streams.kafka import ensure_topics

pytestmark = pytest.mark.integration

BOMB_BYTES = 64 * 1024 * 1024
MAX_MESSAGE_BYTES = 1024 * 1024       # the worker's limit, lowered from 5 MB for the test


# --- helpers -------------------------------------------------------------------------------------------------

def metric(worker, name: str, **labels) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels`` (0 if none)."""
    total = 0.0
    for family in text_string_to_metric_families(worker.metrics()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def status_kib(pid: int, field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/<pid>/status, in KiB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return out


def pool_processes(worker) -> list[int]:
    """The worker's process-pool processes (spawned ``multiprocessing.spawn`` children, not the resource tracker)."""
    found = []
    for pid in children(worker.process.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            continue
        if b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
            found.append(pid)
    return found


class RssSampler:
    """Samples a process's RSS every 20 ms in a thread; ``peak_mib`` is the highest sample (and VmHWM)."""

    def __init__(self, pid: int):
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(status_kib(self.pid, "VmRSS"))
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return max(self.samples, default=0) / 1024


def only(seen: Counter, expected: set[str]) -> Counter:
    """The keys of one test out of a topic the module's tests share."""
    return Counter({k: n for k, n in seen.items() if k in expected})


@pytest.fixture(scope="module")
def hostile(broker, tmp_path_factory):
    """One fast-mode worker, with the message limit lowered to 1 MiB, for the tests of this module."""
    stack = Stack(broker, tmp_path_factory.mktemp("hostile"), mode="fast")
    worker = stack.start_worker({"NEWSSTREAMS_PIPELINE_MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES)})
    yield stack, worker
    for w in stack.workers:
        w.stop()


# --- 1. Kafka-level decompression bombs, in every codec ---------------------------------------------------------

CODECS = ("gzip", "lz4", "zstd", "snappy")


def test_a_bomb_batch_in_any_codec_is_dead_lettered_and_the_partition_moves_on(hostile, broker_engine,
                                                                               fakenews_csv):
    confluent_kafka = pytest.importorskip("confluent_kafka")     # librdkafka: every codec, as other producers
    stack, worker = hostile
    settings = stack.settings
    pid = worker.process.pid
    asyncio.run(ensure_topics(settings))
    letters_before = metric(worker, "newsstreams_dead_letters_total", stage="parse", reason="too_large")
    bomb_value = b"Scraped text, repeated. " * (BOMB_BYTES // 24)
    peaks, expected_all, seen_all, bombs, delivery = {}, set(), Counter(), {}, {}
    for codec in CODECS:
        good = corpus(fakenews_csv, 10, f"{stack.prefix}-{codec}")
        bombs[codec] = f"{stack.prefix}-{codec}-bomb"
        prod = confluent_kafka.Producer({"bootstrap.servers": stack.broker, "compression.type": codec,
                                         "message.max.bytes": 2 * BOMB_BYTES, "linger.ms": 5})
        rss_before = status_kib(pid, "VmRSS") / 1024
        with RssSampler(pid) as rss:
            # three batches on partition 0, the bomb alone in the middle one
            for group in (good[:5], [(bombs[codec].encode(), bomb_value)], good[5:]):
                for key, value in group:
                    prod.produce(settings.topics.raw, value, key, partition=0,
                                 on_delivery=lambda err, msg: delivery.__setitem__(msg.key().decode(), err))
                assert prod.flush(30) == 0, f"{codec}: not delivered to the broker"
            expected = {k.decode() for k, _ in good}
            seen = only(collect(stack, settings.topics.enriched, expected, timeout=60, settle=0.5), expected)
        peaks[codec] = (round(rss_before), round(rss.peak_mib))
        expected_all |= expected
        seen_all += seen
        if worker.process.poll() is not None:
            break
    # Apache Kafka refuses a compressed batch over articles.raw's max.message.bytes (the worker's limit): a bomb
    # that compresses badly (snappy, ~20:1 here) never reaches the worker. Tansu has no such limit.
    refused = {codec for codec, key in bombs.items() if delivery.get(key) is not None}
    for codec in refused:
        assert broker_engine == "kafka" and delivery[bombs[codec]].code() == \
            confluent_kafka.KafkaError.MSG_SIZE_TOO_LARGE, (codec, delivery[bombs[codec]])
    assert all(delivery.get(k) is None for k in expected_all), "a good article was refused"
    assert len(refused) < len(CODECS), "every bomb was refused: nothing tested the worker"
    letters = {m.key.decode(): orjson.loads(m.value)
               for m in stack.read(settings.topics.dlq, len(CODECS) - len(refused), timeout=30)}
    log = worker.log.read_text(errors="replace")
    figures = report("Kafka-level bombs", len(expected_all), seen_all, expected_all, alive=worker.process.poll() is None,
                     bomb_inflated_mib=BOMB_BYTES / 2**20, worker_rss_before_and_peak_mib=peaks,
                     worker_vmhwm_mib=round(status_kib(pid, "VmHWM") / 1024))
    assert worker.process.poll() is None, "a bomb or codec killed the worker (is cramjam installed?):\n" + log[-3000:]
    assert "UnsupportedCodecError" not in log, "lz4/zstd/snappy need cramjam (aiokafka[lz4,snappy,zstd])"
    assert figures["lost"] == 0, "the partition did not move on past a bomb"
    print(f"[reliability] bombs refused by the broker itself: {sorted(refused) or 'none'}", flush=True)
    for codec, key in bombs.items():
        if codec in refused:
            continue
        letter = letters[key]
        assert (letter["stage"], letter["reason"]) == ("parse", "too_large"), codec
        assert letter["payload_bytes"] == len(bomb_value) and letter["payload_truncated"] is True, codec
    assert metric(worker, "newsstreams_dead_letters_total", stage="parse", reason="too_large") \
        - letters_before == len(CODECS) - len(refused)
    # The bomb is held whole a few times (inflated batch, record value, Faust's event), never in the pool (an
    # oversized record is dead-lettered by the agent): growth bounded by a small multiple of its size.
    for codec, (before, peak) in peaks.items():
        assert peak - before < 6 * BOMB_BYTES / 2**20, f"{codec}: RSS grew by {peak - before} MiB"


# --- 2. a pool process killed mid-stream -----------------------------------------------------------------------

N_POOL = 300


def test_a_killed_pool_process_is_replaced_and_its_articles_retried(hostile, fakenews_csv):
    stack, worker = hostile
    settings = stack.settings
    messages = corpus(fakenews_csv, N_POOL, f"{stack.prefix}-pool")
    expected = {k.decode() for k, _ in messages}
    before = pool_processes(worker)
    assert len(before) == settings.pipeline.pool_size, f"pool processes {before}"
    restarts_before = metric(worker, "newsstreams_pool_restarts_total")
    letters_before = metric(worker, "newsstreams_dead_letters_total")
    retried_before = metric(worker, "newsstreams_articles_total", outcome="error")
    parsed_before = counts(worker).get(("parse", "ok"), 0)
    started = time.monotonic()
    stack.publish(messages)
    wait_until(lambda: counts(worker).get(("parse", "ok"), 0) - parsed_before >= 20, 120, "the worker at work",
               [worker])
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    killed_after = {k: v - (parsed_before if k == ("parse", "ok") else 0) for k, v in counts(worker).items()}
    everything = collect(stack, settings.topics.enriched, expected, timeout=90, settle=2)
    seen = only(everything, expected)
    after = pool_processes(worker)
    restarts = metric(worker, "newsstreams_pool_restarts_total") - restarts_before
    crashes = metric(worker, "newsstreams_dead_letters_total", reason="worker_crash")
    retried = metric(worker, "newsstreams_articles_total", outcome="error") - retried_before
    figures = report("pool process SIGKILL", len(messages), seen, expected,
                     seconds=round(time.monotonic() - started, 1),
                     killed_after_parse_ok=killed_after.get(("parse", "ok"), 0),
                     pool_restarts=restarts, retries_counted=retried, worker_crash_letters=crashes,
                     dead_letters=metric(worker, "newsstreams_dead_letters_total") - letters_before)
    log = worker.log.read_text(errors="replace")
    assert worker.process.poll() is None, "the worker died with its pool process:\n" + log[-3000:]
    assert "Crashed reason" not in log, "an agent crashed (and Faust restarted it):\n" + log[-3000:]
    assert figures["lost"] == 0, f"lost {sorted(expected - set(seen))[:20]}"
    assert everything["<key != id>"] + everything["<not a record>"] == 0
    # Nothing of a crashed batch was sent before the retry, and Kafka redelivered nothing: no duplicate at all.
    assert figures["duplicated"] == 0
    assert restarts >= 1 and retried >= 1
    assert crashes == 0 and figures["dead_letters"] == 0, "an article was dead-lettered instead of retried"
    assert victim not in after and len(after) == settings.pipeline.pool_size, (before, after)


# --- 3. records in the near-duplicate table's changelog that are no entries -------------------------------------

def test_foreign_records_in_the_duplicate_changelog_neither_crash_nor_block(hostile, fakenews_csv):
    """The index's changelog is a topic like any other: whatever another client writes there (an entry of the
    wrong shape, an old-format key, bytes that are not JSON) must not stop the worker, nor the index learning
    from the changelog: a valid entry written after the garbage still reaches it."""
    import numpy as np
    from harness import _publish

    from streams.enrich.dedupe import Verdict, encode_entry
    from streams.pipeline import parse_payload

    stack, worker = hostile
    settings = stack.settings
    changelog = f"{settings.app_id}-{settings.app_id}-dedupe-changelog"
    messages = corpus(fakenews_csv, 20, f"{stack.prefix}-foreign")
    # a text no test of this module has sent (they share the index): random words, in sentences
    rng = random.Random(stack.prefix)
    words = "council river budget school harbour festival bridge museum orchard railway library market".split()
    text = " ".join(" ".join(rng.choice(words) for _ in range(12)).capitalize() + "." for _ in range(20))
    copy_key = f"{stack.prefix}-foreign-copy".encode()
    copy_value = orjson.dumps({"id": copy_key.decode(), "title": "A foreign entry", "text": text})
    # an entry for the copy's text under an id this worker never saw: it can only learn it from the changelog
    parsed = parse_payload(copy_value, ingested_at=time.time(), limits=settings.pipeline, key=copy_key.decode())
    original_id = f"{stack.prefix}-foreign-original"
    entry = encode_entry(np.asarray(parsed.signature, dtype="<u4").tobytes(), parsed.content_hash, original_id,
                         Verdict(None, original_id))
    foreign = [(b'"a:foreign-1"', b'["!!not base64"]'), (b'"a:foreign-2"', b'{"sig": 5}'),
               (b'"a:foreign-3"', b'[123, null, 7]'), (b'"b:0:1-2"', b'"someone"'), (b'"a:foreign-4"', b"[]"),
               (b"not json", b"not json either"), (orjson.dumps("a:" + original_id), orjson.dumps(entry))]
    stack.publish(messages)        # first: the index has read the table (at its first article) before the garbage
    expected = {k.decode() for k, _ in messages}
    seen = only(collect(stack, settings.topics.enriched, expected, timeout=90, settle=1), expected)
    asyncio.run(_publish(settings, changelog, foreign))
    time.sleep(2)                  # the changelog is read continuously (fetch wait 100 ms)
    stack.publish([(copy_key, copy_value)])
    _, records = _collect_records(stack, {copy_key.decode()}, timeout=60)
    log = worker.log.read_text(errors="replace")
    figures = report("foreign changelog records", len(messages), seen, expected, alive=worker.process.poll() is None)
    assert worker.process.poll() is None, "a foreign changelog record killed the worker:\n" + log[-3000:]
    assert "Crashed reason" not in log, log[-3000:]
    assert figures["lost"] == 0
    assert records[copy_key.decode()]["duplicate_of"] == original_id
