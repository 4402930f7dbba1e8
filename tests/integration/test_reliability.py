"""Nothing lost, nothing crashes: real workers on the real (embedded) broker, killed, stopped, doubled, starved.

Every test publishes articles with known ids and reads ``articles.enriched`` back from the beginning, so
"lost" means an id that never arrived and "duplicated" means an id that arrived more than once (a
redelivery: same id, same key). Figures are printed (``pytest -s``) and reported in docs/RELIABILITY.md.

Workers run in ``fast`` mode (gazetteer/dictionary entities instead of spaCy) to keep CI time sane: the
delivery path (batches, pool, sends, acks, commits) is the same in both modes; only the NER differs.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams.broker import EmbeddedBroker, KafkaBroker, free_port
from streams.inputs import read_messages
from streams.kafka import consume, ensure_topics

from harness import Stack, wait_for_metrics

pytestmark = pytest.mark.integration
# Group timeouts (settings kafka.*) shorter than the 60 s default, so that a killed worker's partitions are
# reassigned within seconds, not minutes: the failover time changes, the delivery path does not.
FAILOVER_ENV = {"NEWSSTREAMS_KAFKA_SESSION_TIMEOUT": "10", "NEWSSTREAMS_KAFKA_HEARTBEAT_INTERVAL": "1",
                "NEWSSTREAMS_KAFKA_REBALANCE_TIMEOUT": "10"}
READY_TIMEOUT = 300



# --- helpers -------------------------------------------------------------------------------------------------

def corpus(fakenews_csv: Path, n: int, prefix: str) -> list[tuple[bytes, bytes]]:
    """``n`` FakeNewsCorpus rows (cycled), each with a unique id and a sentence that makes its text unique."""
    rows = [orjson.loads(m.value) for m in read_messages([str(fakenews_csv)], "csv")]
    out = []
    for i in range(n):
        row = dict(rows[i % len(rows)])
        row["id"] = f"{prefix}-{i}"
        row["text"] = f"{row.get('text') or ''}\n\nReliability copy {i} of the article."
        out.append((row["id"].encode(), orjson.dumps(row)))
    return out


def start(stack: Stack, extra_env: dict | None = None, wait: bool = True):
    """A worker with the short failover timeouts; waits (longer than the fixture does) until it is ready."""
    worker = stack.start_worker({**FAILOVER_ENV, **(extra_env or {})}, wait=False)
    if wait:
        wait_for_metrics(worker, timeout=READY_TIMEOUT)
    return worker


def counts(worker) -> dict[tuple[str, str], float]:
    """newsstreams_articles_total by (stage, outcome) from a worker's /metrics (empty if it is not serving)."""
    try:
        text = worker.metrics()
    except OSError:
        return {}
    out: dict = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "newsstreams_articles_total":
                out[(s.labels["stage"], s.labels["outcome"])] = s.value
    return out


def wait_until(predicate, timeout: float, what: str, workers=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        for w in workers:
            if w.process.poll() is not None:
                raise AssertionError(f"worker exited ({w.process.returncode}) while waiting for {what}:\n"
                                     + w.log.read_text(errors="replace")[-3000:])
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def kill9(worker) -> None:
    """kill -9 the worker and its pool processes (its own process group), as an OOM killer or a power cut would."""
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait(30)


def collect(stack: Stack, topic: str, expected: set[str], timeout: float, settle: float = 5.0) -> Counter:
    """Keys read from ``topic`` (from the beginning) until every expected key arrived and ``settle`` seconds
    pass with nothing new (late redeliveries are counted too), or ``timeout``."""
    return asyncio.run(_collect(stack.settings, topic, expected, timeout, settle, stack.workers))


async def _collect(settings, topic, expected, timeout, settle, workers) -> Counter:
    await ensure_topics(settings, [topic])
    seen: Counter = Counter()
    state = {"last": time.monotonic()}

    async def read():
        async for msg in consume(settings, topic, from_beginning=True):
            key = msg.key.decode() if msg.key else None
            seen[key] += 1
            try:
                if orjson.loads(msg.value).get("id") != key:
                    seen["<key != id>"] += 1
            except (orjson.JSONDecodeError, AttributeError):
                seen["<not a record>"] += 1
            state["last"] = time.monotonic()

    task = asyncio.ensure_future(read())
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            if expected <= set(seen) and time.monotonic() - state["last"] >= settle:
                break
            if workers and all(w.process.poll() is not None for w in workers):
                break
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return seen


def report(name: str, sent: int, seen: Counter, expected: set[str], **extra) -> dict:
    """The figures of a delivery test (printed; docs/RELIABILITY.md quotes them)."""
    figures = {"sent": sent, "received": sum(seen[k] for k in expected), "distinct": len(expected & set(seen)),
               "duplicated": sum(seen[k] - 1 for k in expected if seen[k] > 1),
               "lost": len(expected - set(seen)), "key_mismatches": seen["<key != id>"] + seen["<not a record>"],
               "unexpected_keys": len(set(seen) - expected - {"<key != id>", "<not a record>"}), **extra}
    print(f"\n[reliability] {name}: {figures}", flush=True)
    return figures


# --- 1. at-least-once under repeated kill -9 -------------------------------------------------------------------

N_CRASH = 2000


def test_kill9_twice_mid_stream_loses_nothing_and_duplicates_are_bounded(stack, fakenews_csv):
    messages = corpus(fakenews_csv, N_CRASH, stack.prefix)
    expected = {k.decode() for k, _ in messages}
    stack.mode = "fast"
    settings = stack.settings
    start(stack)
    started = time.monotonic()
    stack.publish(messages)

    processed_before_kill = []
    for crash in range(2):
        worker = stack.workers[-1]
        # mid-stream: this worker has enriched a good share, and much is left (checked below)
        wait_until(lambda: counts(worker).get(("classify", "ok"), 0) >= 300, 300, f"progress before crash {crash + 1}",
                   [worker])
        processed_before_kill.append(counts(worker).get(("classify", "ok"), 0))
        kill9(worker)
        restarted = time.monotonic()
        start(stack)
        print(f"\n[reliability] crash {crash + 1}: killed after {processed_before_kill[-1]:.0f} enriched by that "
              f"worker; replacement ready in {time.monotonic() - restarted:.1f} s", flush=True)

    seen = collect(stack, settings.topics.enriched, expected, timeout=600)
    figures = report("kill -9 x2", len(messages), seen, expected, seconds=round(time.monotonic() - started, 1),
                     enriched_by_each_worker=[processed_before_kill[0], processed_before_kill[1],
                                              counts(stack.workers[-1]).get(("classify", "ok"), 0)],
                     batch_size=settings.pipeline.batch_size, partitions=settings.topics.partitions)
    assert sum(processed_before_kill) < N_CRASH, "the kills came after the end of the stream: not mid-stream"
    assert figures["lost"] == 0, f"lost {figures['lost']} articles: {sorted(expected - set(seen))[:20]}"
    assert figures["unexpected_keys"] == 0
    # Redelivery after a crash is bounded by what was processed but not yet committed: the batch in flight and
    # up to broker_commit_interval (1 s) of acked batches, for each of the two consuming stages (parse, enrich).
    # Bound: 4 batches per stage per crash (measured: 1 batch per crash, see docs/RELIABILITY.md).
    bound = 2 * 2 * 4 * settings.pipeline.batch_size
    assert figures["duplicated"] <= bound, f"{figures['duplicated']} duplicates for 2 crashes (bound {bound})"
    assert figures["key_mismatches"] == 0, "a record whose key is not its id cannot be deduplicated downstream"
    # ~1400 new texts, an index entry each (and tombstones): Faust's producer buffer must not hold the stream up
    assert "producer buffer full" not in stack.workers[-1].log.read_text(errors="replace")


# --- 2. graceful shutdown ----------------------------------------------------------------------------------------

def test_sigterm_mid_stream_exits_in_time_with_code_0_and_loses_nothing(stack, fakenews_csv):
    messages = corpus(fakenews_csv, 600, stack.prefix)
    expected = {k.decode() for k, _ in messages}
    stack.mode = "fast"
    settings = stack.settings
    worker = start(stack)
    stack.publish(messages)
    wait_until(lambda: counts(worker).get(("classify", "ok"), 0) >= 150, 300, "progress before SIGTERM", [worker])
    enriched_before = counts(worker).get(("classify", "ok"), 0)
    signalled = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)        # the main process only, as Kubernetes or systemd do
    try:
        code = worker.process.wait(settings.pipeline.shutdown_timeout + 30)
    except subprocess.TimeoutExpired:
        code = None
    took = time.monotonic() - signalled
    leftover = _pool_processes_left(worker)
    start(stack)
    seen = collect(stack, settings.topics.enriched, expected, timeout=400)
    figures = report("SIGTERM", len(messages), seen, expected, exit_code=code, exit_seconds=round(took, 1),
                     enriched_before_sigterm=enriched_before, pool_processes_left=leftover,
                     shutdown_timeout=settings.pipeline.shutdown_timeout)
    assert figures["lost"] == 0 and figures["key_mismatches"] == 0
    assert code == 0, f"exit code {code} after SIGTERM:\n" + worker.log.read_text(errors="replace")[-3000:]
    assert took <= settings.pipeline.shutdown_timeout, f"took {took:.1f} s to stop"
    assert leftover == 0, "pool processes outlived the worker"
    # Doubles after a clean stop come from acked-but-uncommitted batches: reported, bounded by one commit interval.
    assert figures["duplicated"] <= 2 * 2 * settings.pipeline.batch_size


def _pool_processes_left(worker, grace: float = 5.0) -> int:
    """Processes of the stopped worker's session (its spawned pool processes and multiprocessing's resource
    tracker) still alive ``grace`` seconds after it exited; they are then killed."""
    deadline = time.monotonic() + grace
    while True:
        out = subprocess.run(["ps", "-o", "pid=,args=", "-s", str(worker.process.pid)], capture_output=True, text=True)
        left = [line.strip() for line in out.stdout.splitlines() if line.strip()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if left:
        print(f"\n[reliability] left behind after exit: {left}", flush=True)
        os.killpg(worker.process.pid, signal.SIGKILL)
    return len(left)


# --- 3. scale-out ------------------------------------------------------------------------------------------------

def test_two_workers_share_partitions_and_the_survivor_takes_over_with_the_duplicate_table(stack, fakenews_csv):
    stack.mode = "fast"
    first = corpus(fakenews_csv, 600, stack.prefix)
    later = corpus(fakenews_csv, 900, stack.prefix)[600:]
    a, b = start(stack), start(stack)
    stack.publish(first)
    wait_until(lambda: counts(a).get(("parse", "ok"), 0) > 0 and counts(b).get(("parse", "ok"), 0) > 0
               and counts(a).get(("classify", "ok"), 0) + counts(b).get(("classify", "ok"), 0) >= 300,
               300, "both workers parsing", [a, b])
    shares = {"a": counts(a).get(("parse", "ok"), 0), "b": counts(b).get(("parse", "ok"), 0)}
    assert a.stop() == 0
    # exact copies, under new ids, of articles the index learnt before the first worker stopped: from all
    # partitions, so some were judged by the stopped worker and the survivor knows them only from the changelog
    originals = {k.decode(): orjson.loads(v) for k, v in first[:16]}
    copies = {f"{stack.prefix}-copy{n}": original_id for n, original_id in enumerate(originals)}
    stack.publish(later + [(cid.encode(), orjson.dumps(dict(originals[oid], id=cid))) for cid, oid in copies.items()])
    expected = {k.decode() for k, _ in first + later} | set(copies)
    seen, records = _collect_records(stack, expected, timeout=400)
    figures = report("scale-out", len(expected), seen, expected, parse_ok_per_worker_before_stop=shares,
                     survivor_parse_ok=counts(b).get(("parse", "ok"), 0))
    assert shares["a"] > 0 and shares["b"] > 0, f"one worker got no partition: {shares}"
    assert figures["lost"] == 0 and figures["key_mismatches"] == 0
    flagged = {cid: records[cid]["duplicate_of"] for cid in copies}
    assert flagged == copies


def _collect_records(stack, expected, timeout):
    seen = collect(stack, stack.settings.topics.enriched, expected, timeout=timeout, settle=2)
    records = {}

    async def read():
        async for msg in consume(stack.settings, stack.settings.topics.enriched, from_beginning=True,
                                 idle_timeout=3):
            records[msg.key.decode()] = orjson.loads(msg.value)
    asyncio.run(read())
    return seen, records


# --- 4. broker trouble -------------------------------------------------------------------------------------------

def test_worker_waits_for_a_missing_broker_and_survives_a_broker_restart(broker_engine, tmp_path, fakenews_csv):
    """A broker of the test's own engine, on its own port: not there at first, then stopped for 10 s and started
    again. Tansu comes back empty (memory storage: topics and offsets gone); Apache Kafka comes back with its data
    (its longer outages under load: tests/integration/test_kafka_broker.py)."""
    port = free_port()
    stack = Stack(f"127.0.0.1:{port}", tmp_path, mode="fast")
    if broker_engine == "kafka":
        broker = KafkaBroker(port=port, data_dir=tmp_path / "kafka", log_path=tmp_path / "broker.log")
    else:
        broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker.log")
    try:
        worker = start(stack, wait=False)
        time.sleep(20)
        log = worker.log.read_text(errors="replace")
        waits = log.count("waiting for broker")
        print(f"\n[reliability] no broker for 20 s: worker alive={worker.process.poll() is None}, "
              f"'waiting for broker' lines={waits}, log lines={log.count(chr(10))}", flush=True)
        assert worker.process.poll() is None, "the worker gave up without a broker:\n" + log[-2000:]
        assert 1 <= waits <= 3, f"{waits} 'waiting for broker' lines in 20 s"
        broker.start()
        wait_for_metrics(worker, timeout=READY_TIMEOUT)
        batch1 = corpus(fakenews_csv, 40, stack.prefix + "-1")
        stack.publish(batch1)
        expected1 = {k.decode() for k, _ in batch1}
        seen = collect(stack, stack.settings.topics.enriched, expected1, timeout=240, settle=1)
        report("broker came late", len(batch1), seen, expected1)
        assert expected1 <= set(seen)

        # The broker goes away and comes back (Tansu: empty, it keeps everything in memory).
        lines_before = worker.log.read_text(errors="replace").count("\n")
        broker.stop()
        time.sleep(10)
        outage_lines = worker.log.read_text(errors="replace").count("\n") - lines_before
        broker.start()
        time.sleep(20)
        alive_after_restart = worker.process.poll() is None
        batch2 = corpus(fakenews_csv, 40, stack.prefix + "-2")
        stack.publish(batch2)      # recreates the topics with the configured partitions
        expected2 = {k.decode() for k, _ in batch2}
        seen = collect(stack, stack.settings.topics.enriched, expected2, timeout=180, settle=1)
        figures = report(f"broker restarted ({broker_engine})", len(batch2), seen, expected2,
                         worker_alive=alive_after_restart and worker.process.poll() is None,
                         log_lines_in_10s_outage=outage_lines)
        log = worker.log.read_text(errors="replace")
        (tmp_path / "worker-after-broker-restart.log").write_text(log)
        assert alive_after_restart, "the broker restart killed the worker:\n" + log[-3000:]
        assert figures["lost"] == 0, ("after the broker restart the worker stalled (see "
                                      f"{tmp_path}/worker-after-broker-restart.log):\n" + log[-3000:])
        # "Logs say what is happening, without a flood": a few lines a second at most while the broker is away.
        assert outage_lines <= 30, f"{outage_lines} log lines in a 10 s broker outage (a flood)"
    finally:
        for w in stack.workers:
            w.stop(signal.SIGKILL) if w.process.poll() is None else None
            try:
                os.killpg(w.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        broker.stop()


# --- 5. poison message and dead-letter replay -------------------------------------------------------------------

POISON_HOOK = """
# Test-only fault injection, loaded by every interpreter of the worker (main and spawned pool processes) through
# PYTHONPATH: the parse step raises an unexpected error on payloads holding the marker, like a bug would.
import os
if os.environ.get("NEWSSTREAMS_TEST_POISON"):
    import streams.pipeline as _pipeline
    _real_parse_payload = _pipeline.parse_payload

    def _poisoned(payload, **kwargs):
        if os.environ["NEWSSTREAMS_TEST_POISON"].encode() in payload:
            raise RuntimeError("injected failure (test poison)")
        return _real_parse_payload(payload, **kwargs)

    _pipeline.parse_payload = _poisoned
"""


def test_poison_message_is_retried_dead_lettered_and_replayed_after_the_fix(stack, tmp_path, fakenews_csv):
    from streams.dlq import replay_dead_letters

    stack.mode = "fast"
    settings = stack.settings
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(POISON_HOOK)
    marker = "POISON-" + stack.prefix
    buggy = start(stack, {"NEWSSTREAMS_TEST_POISON": marker,
                          "PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")])})
    good = corpus(fakenews_csv, 30, stack.prefix)
    poison = dict(orjson.loads(good[0][1]), id=f"{stack.prefix}-poison")
    poison["text"] += f"\n{marker}"
    big_bad = b"\xff" * (settings.pipeline.dlq_payload_bytes + 1000)     # invalid UTF-8, too big to keep whole
    # all on partition 0, poison first: the good ones behind it must come out
    _publish_to_partition(settings, [(poison["id"].encode(), orjson.dumps(poison))] + good
                          + [(b"big-bad", big_bad)], partition=0)
    expected = {k.decode() for k, _ in good}
    seen = collect(stack, settings.topics.enriched, expected, timeout=240, settle=1)
    letters = {m.key.decode(): orjson.loads(m.value) for m in stack.read(settings.topics.dlq, 2, timeout=120)}
    text = buggy.metrics()
    retries = counts(buggy).get(("parse", "error"), 0)
    print(f"\n[reliability] poison: good after it {len(expected & set(seen))}/{len(expected)}, "
          f"letter attempts {letters.get(poison['id'], {}).get('attempts')}, parse errors counted {retries}", flush=True)
    assert expected <= set(seen), "the partition did not move on past the poison message"
    letter = letters[poison["id"]]
    assert letter["stage"] == "parse" and letter["reason"] == "unexpected_error"
    assert letter["error_type"] == "RuntimeError" and letter["attempts"] == settings.pipeline.max_attempts
    assert letter["payload"].encode() == orjson.dumps(poison)
    assert retries == settings.pipeline.max_attempts - 1
    assert 'reason="unexpected_error"' in text
    assert letters["big-bad"]["payload_truncated"] is True

    # The fix is deployed (a worker without the bug); replay what the bug dead-lettered.
    assert buggy.stop() == 0
    start(stack)
    dry = asyncio.run(replay_dead_letters(settings, dry_run=True))
    assert (dry["read"], dry["replayed"], dry["refused"]) == (2, 1, {"truncated": 1}), dry
    done = asyncio.run(replay_dead_letters(settings, reasons=["unexpected_error"]))
    assert (done["matched"], done["replayed"], done["to_topics"]) == (1, 1, {settings.topics.raw: 1}), done
    again = asyncio.run(replay_dead_letters(settings, reasons=["unexpected_error"]))
    assert again["read"] == 0 and again["replayed"] == 0, again
    seen = collect(stack, settings.topics.enriched, expected | {poison["id"]}, timeout=240, settle=1)
    print(f"[reliability] dlq replay: dry run {dry}, replay {done}, second replay {again}", flush=True)
    assert seen[poison["id"]] == 1, "the replayed article did not come out (once)"


def _publish_to_partition(settings, messages, partition: int) -> None:
    from streams.kafka import producer

    async def run():
        await ensure_topics(settings)
        prod = producer(settings)
        await prod.start()
        try:
            futures = [await prod.send(settings.topics.raw, v, key=k, partition=partition) for k, v in messages]
            await asyncio.gather(*futures)
        finally:
            await prod.stop()
    asyncio.run(run())
