"""What only a real Apache Kafka shows: a broker that keeps its data across a restart, an outage under load,
and the topics as Kafka's own tools describe them.

Each test here starts its own single-node KRaft broker (``KafkaBroker``, data on disk in the test's folder),
because it stops and restarts it; Tansu keeps everything in memory, so none of this can run on it. The
figures are printed (``pytest -s``) and quoted in docs/RELIABILITY.md.
"""
from __future__ import annotations

import re
import time

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams.broker import KafkaBroker, run_kafka_tool
from streams.kafka import RECORD_OVERHEAD_BYTES, MAX_REQUEST_BYTES

from harness import Stack, require_engine
from integration.test_reliability import _collect_records, collect, corpus, counts, report, start, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def own_kafka(request, tmp_path):
    """A broker of this test's own, its data kept in ``tmp_path/kafka`` across ``stop()``/``start()``."""
    require_engine(request.config, "kafka")
    broker = KafkaBroker(data_dir=tmp_path / "kafka", log_path=tmp_path / "kafka.log").start()
    yield broker
    broker.kill()


def histogram_above(text: str, name: str, seconds: float) -> float:
    """How many observations of histogram ``name`` were above ``seconds`` (a bucket bound)."""
    total = bucket = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name + "_count":
                total += s.value
            elif s.name == name + "_bucket" and float(s.labels["le"]) == seconds:
                bucket += s.value
    return total - bucket


def test_broker_restart_keeps_offsets_and_the_duplicate_index_is_rebuilt_from_its_changelog(own_kafka, tmp_path,
                                                                                          fakenews_csv):
    """The broker is stopped and started again with its data mid-stream: the worker resumes from its committed
    offsets and nothing is lost. Then a new worker process (its near-duplicate index empty in memory) rebuilds
    the index from the changelog the broker kept: an exact copy of an article published before the restart is
    still flagged ``duplicate_of`` it."""
    stack = Stack(own_kafka.address, tmp_path, mode="fast")
    worker = start(stack)
    batch = corpus(fakenews_csv, 600, stack.prefix)
    stack.publish(batch)
    wait_until(lambda: counts(worker).get(("classify", "ok"), 0) >= 100, 300, "progress before the restart", [worker])
    own_kafka.stop()
    before = counts(worker).get(("classify", "ok"), 0)
    own_kafka.start()
    expected = {k.decode() for k, _ in batch}
    seen = collect(stack, stack.settings.topics.enriched, expected, timeout=400, settle=2)
    figures = report("Kafka restarted with its data, mid-stream", len(batch), seen, expected,
                     enriched_before_the_restart=before, worker_alive=worker.process.poll() is None)
    assert before < len(batch), "the restart came after the end of the stream: not mid-stream"
    assert figures["lost"] == 0 and figures["unexpected_keys"] == 0 and figures["key_mismatches"] == 0
    assert worker.process.poll() is None

    assert worker.stop() == 0
    fresh = start(stack)
    originals = {k.decode(): orjson.loads(v) for k, v in batch[:8]}
    copies = {f"{stack.prefix}-copy{n}": original_id for n, original_id in enumerate(originals)}
    stack.publish([(cid.encode(), orjson.dumps(dict(originals[oid], id=cid))) for cid, oid in copies.items()])
    seen, records = _collect_records(stack, expected | set(copies), timeout=300)
    assert {cid: records[cid]["duplicate_of"] for cid in copies} == copies
    # the new worker read its group's committed offsets: the first batch was not processed a second time
    assert counts(fresh).get(("parse", "ok"), 0) == len(copies)


def test_broker_down_30_seconds_under_load_loses_nothing_and_the_metrics_show_the_gap(own_kafka, tmp_path,
                                                                                     fakenews_csv):
    """Apache Kafka stopped for 30 s while the worker has work queued, then started again: the worker stays up,
    logs the outage without a flood, and every article comes out; the articles held up by the outage show in the
    end-to-end latency histogram (above 30 s)."""
    stack = Stack(own_kafka.address, tmp_path, mode="fast")
    worker = start(stack)
    batch = corpus(fakenews_csv, 800, stack.prefix)
    stack.publish(batch)
    wait_until(lambda: counts(worker).get(("classify", "ok"), 0) >= 100, 300, "progress before the outage", [worker])
    lines_before = worker.log.read_text(errors="replace").count("\n")
    own_kafka.stop()
    down_at = time.monotonic()
    before = counts(worker).get(("classify", "ok"), 0)
    while time.monotonic() - down_at < 30:
        assert worker.process.poll() is None, "the worker died while the broker was down"
        worker.metrics()                            # /metrics keeps answering through the outage
        time.sleep(1)
    outage_lines = worker.log.read_text(errors="replace").count("\n") - lines_before
    own_kafka.start()
    expected = {k.decode() for k, _ in batch}
    seen = collect(stack, stack.settings.topics.enriched, expected, timeout=400, settle=2)
    text = worker.metrics()
    late = histogram_above(text, "newsstreams_end_to_end_latency_seconds", 30.0)
    figures = report("Kafka down 30 s under load", len(batch), seen, expected, enriched_before_the_outage=before,
                     log_lines_in_the_outage=outage_lines, articles_later_than_30s=late)
    assert before < len(batch), "the outage came after the end of the stream: not under load"
    assert figures["lost"] == 0 and figures["unexpected_keys"] == 0
    assert worker.process.poll() is None
    assert late >= 1, "no article's end-to-end latency shows the 30 s outage"
    assert outage_lines <= 200, f"{outage_lines} log lines in a 30 s outage (a flood)"


def describe_topic(address: str, topic: str) -> str:
    result = run_kafka_tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", address, "--describe",
                            "--topic", topic)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_topics_have_the_partitions_and_configs_the_product_asks_for(own_kafka, tmp_path, seed_bytes):
    """kafka-topics --describe (Kafka's own tool) on what a worker created: each product topic with the
    configured partition count and its ``max.message.bytes``; the near-duplicate index's changelog compacted,
    as Faust expects of a table's changelog."""
    stack = Stack(own_kafka.address, tmp_path, mode="fast")
    stack.start_worker()
    stack.publish([(b"seed", seed_bytes)])
    assert stack.read(stack.settings.topics.enriched, 1)
    t = stack.settings.topics
    for topic in (t.raw, t.parsed, t.enriched, t.dlq, t.category("sport")):
        text = describe_topic(own_kafka.address, topic)
        assert f"PartitionCount: {t.partitions}" in text, text
        limit = stack.settings.pipeline.max_message_bytes if topic == t.raw else MAX_REQUEST_BYTES
        assert f"max.message.bytes={limit + RECORD_OVERHEAD_BYTES}" in text, text
    app_id = stack.settings.app_id          # Faust names a table's changelog <app id>-<table name>-changelog
    changelog = describe_topic(own_kafka.address, f"{app_id}-{app_id}-dedupe-changelog")
    assert re.search(r"cleanup\.policy=compact\b", changelog), changelog
    assert "PartitionCount: 1" in changelog, changelog
