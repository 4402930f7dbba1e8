"""Where a worker's memory per article goes.

    .venv/bin/python scripts/memory_probe.py index [--articles N] [--ids LEN]
        bytes per article of the near-duplicate index (streams.enrich.dedupe.DuplicateIndex), measured with
        tracemalloc, over a plain dict and over a real Faust GlobalTable store whose changelog round trip is
        replayed in process (each write is also read back the way a standby partition applies it: orjson keys and
        values, Store._key_partition). Two streams: every article new (random signatures: all 32 bands taken), and
        the bench's corpus (250 texts cycled: repeats are exact duplicates).

    .venv/bin/python scripts/memory_probe.py worker [--articles N] [--warmup N] [--top K] [--max-articles M]
        a real fast-mode worker (python -X tracemalloc) on an embedded broker, fed the bench corpus; tracemalloc
        snapshots after the warm-up and at the end, diffed by file:line: the growth per article of each allocation
        site of the main process. Takes a few minutes (tracemalloc slows the worker down).

No network. Numbers are noisy on a shared machine for timings, not for traced bytes.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --- index: the DuplicateIndex alone ----------------------------------------------------------------

class ReplayedTable:
    """A Faust GlobalTable (memory store) whose writes also come back through the changelog, as on a worker:
    Faust's Table.__setitem__/__delitem__ locally, then Store.apply_changelog_batch with what a standby reader
    gets from the json changelog (orjson-decoded keys and values, one event per write)."""

    def __init__(self):
        import faust

        app = faust.App("memory-probe", broker="kafka://127.0.0.1:1", web_enabled=False)
        self.table = app.GlobalTable("memory-probe-dedupe", default=None, partitions=1, recovery_buffer_size=1,
                                     use_partitioner=True,
                                     schema=faust.Schema(key_serializer="json", value_serializer="json"))
        self.pending: list = []
        fut = SimpleNamespace(message=SimpleNamespace(partition=0))

        def send_changelog(partition, key, value, key_serializer=None, value_serializer=None):
            self.pending.append((orjson.dumps(key), None if value is None else orjson.dumps(value)))
            return fut

        self.table.send_changelog = send_changelog

    def replay(self, observe=None) -> None:
        events = [SimpleNamespace(key=orjson.loads(k), value=None if v is None else orjson.loads(v),
                                  message=SimpleNamespace(value=v, partition=0)) for k, v in self.pending]
        self.pending.clear()
        for event in events:        # the worker shows each record to the index before Faust applies it
            if observe is not None:
                observe(event.key, event.value)
            self.table.apply_changelog_batch([event])


def synthetic_articles(n: int, stream: str, id_len: int):
    """(id, content_hash, signature) triples: 'unique' = all new, 'cycle250' = 250 texts repeated (the bench)."""
    rng = random.Random(7)
    bases = [("%064x" % rng.getrandbits(256), [rng.getrandbits(32) for _ in range(64)]) for _ in range(250)]
    for i in range(n):
        article_id = f"{i:0{id_len}d}"
        if stream == "unique":
            yield article_id, "%064x" % rng.getrandbits(256), [rng.getrandbits(32) for _ in range(64)]
        else:
            h, sig = bases[i % len(bases)]
            yield article_id, h, sig


def measure_index(store_kind: str, stream: str, n: int, id_len: int, max_articles: int) -> dict:
    from streams.enrich.dedupe import DuplicateIndex

    articles = list(synthetic_articles(n, stream, id_len))    # inputs allocated before the measurement
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    if store_kind == "dict":
        store, replay = {}, (lambda: None)
    else:
        replayed = ReplayedTable()
        store, replay = replayed.table, replayed.replay
    base = tracemalloc.get_traced_memory()[0]
    index = DuplicateIndex(store, max_articles=max_articles)
    observe = getattr(index, "observe", None)
    for article_id, h, sig in articles:
        index.check_and_add(article_id, h, sig)
        replay(observe) if store_kind != "dict" else replay()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    keys = len(store)
    return {"store": store_kind, "stream": stream, "articles": n, "bound": max_articles, "keys": keys,
            "bytes": after - base, "per_article": (after - base) / min(n, max_articles), "overhead": base - before}


def cmd_index(args) -> None:
    print(f"DuplicateIndex, ids of {args.ids} characters, tracemalloc bytes (store + the index's own lookups)")
    print(f"{'store':<12}{'stream':<10}{'articles':>9}{'bound':>9}{'keys':>9}{'MB':>9}{'B/article':>11}")
    for stream in ("unique", "cycle250"):
        for kind in ("dict", "faust"):
            for bound in (args.articles, args.articles // 4):
                r = measure_index(kind, stream, args.articles, args.ids, bound)
                print(f"{kind:<12}{stream:<10}{r['articles']:>9}{bound:>9}{r['keys']:>9}{r['bytes'] / 1e6:>9.1f}"
                      f"{r['per_article']:>11.0f}")


# --- worker: a real worker under tracemalloc --------------------------------------------------------

def child_main(argv: list[str]) -> None:
    """In the worker process: snapshot on request (a file appears), then run the normal worker."""
    request_dir = Path(os.environ["MEMORY_PROBE_DIR"])

    def watch():
        while True:
            for req in sorted(request_dir.glob("*.req")):
                snap = tracemalloc.take_snapshot()
                out = req.with_suffix(".snap")
                snap.dump(str(out) + ".tmp")
                os.replace(str(out) + ".tmp", out)
                req.unlink()
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    from streams.cli import main
    sys.exit(main(argv))


def cmd_worker(args) -> None:
    from streams.bench import measure
    from streams.broker import EmbeddedBroker, free_port
    from streams.inputs import read_messages
    from streams.kafka import ensure_topics
    from streams.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="memory-probe-"))
    broker = EmbeddedBroker(port=free_port()).start()
    prefix = f"probe{os.getpid()}"
    env = dict(os.environ, NEWSSTREAMS_BROKER=broker.address, NEWSSTREAMS_APP_ID=f"{prefix}-app",
               NEWSSTREAMS_TOPICS_RAW=f"{prefix}.raw", NEWSSTREAMS_TOPICS_PARSED=f"{prefix}.parsed",
               NEWSSTREAMS_TOPICS_ENRICHED=f"{prefix}.enriched", NEWSSTREAMS_TOPICS_DLQ=f"{prefix}.dlq",
               NEWSSTREAMS_TOPICS_CATEGORY_PREFIX=f"{prefix}.category.", NEWSSTREAMS_PIPELINE_MODE="fast",
               MEMORY_PROBE_DIR=str(work), PYTHONTRACEMALLOC="1")
    if args.max_articles:
        env["NEWSSTREAMS_PIPELINE_DEDUPE_MAX_ARTICLES"] = str(args.max_articles)
    settings = load_settings(env={k: v for k, v in env.items() if k.startswith("NEWSSTREAMS_")})
    t = settings.topics
    child = None
    try:
        asyncio.run(ensure_topics(settings, [t.raw, t.parsed, t.enriched, t.dlq]))
        log = open(work / "worker.log", "wb")
        child = subprocess.Popen([sys.executable, __file__, "_child", "worker", "--metrics-port", str(free_port())],
                                 env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        messages = list(read_messages([str(ROOT / "streams/data/samples/fakenewscorpus_sample.csv")], "auto"))

        async def feed_and_snapshot():
            reader = await measure.Reader(settings, [t.enriched, t.dlq], keep=False).start()
            published, marks, rss = 0, {}, []
            try:
                for name, upto in (("warm", args.warmup), ("end", args.warmup + args.articles)):
                    while reader.count([t.enriched, t.dlq]) < upto:
                        if child.poll() is not None:
                            raise SystemExit(f"worker exited: see {work / 'worker.log'}")
                        if published < upto and published - reader.count([t.enriched, t.dlq]) < 200:
                            batch = measure.keyed_articles(messages, min(200, upto - published),
                                                           f"{prefix}-{published}")
                            await measure.publish_all(settings, t.raw, batch)
                            published += len(batch)
                        await asyncio.sleep(0.3)
                    (work / f"{name}.req").touch()
                    while not (work / f"{name}.snap").exists():
                        await asyncio.sleep(0.3)
                    marks[name] = reader.count([t.enriched, t.dlq])
                    rss.append(_rss_mb(child.pid))
            finally:
                await reader.stop()
            return marks, rss

        marks, rss = asyncio.run(feed_and_snapshot())
        warm = tracemalloc.Snapshot.load(str(work / "warm.snap"))
        end = tracemalloc.Snapshot.load(str(work / "end.snap"))
        n = marks["end"] - marks["warm"]
        total = sum(s.size for s in end.statistics("filename")) - sum(s.size for s in warm.statistics("filename"))
        print(f"worker main process, {n} articles between snapshots (after {marks['warm']} warm-up), "
              f"dedupe bound {args.max_articles or settings.pipeline.dedupe_max_articles}")
        print(f"traced: {total / 1e6:+.2f} MB = {total / n:+.0f} B/article; RSS {rss[0]:.0f} -> {rss[1]:.0f} MB "
              f"= {(rss[1] - rss[0]) * 1e6 / n:+.0f} B/article")
        for group in ("filename", "lineno"):
            print(f"\ntop growth by {group}:")
            for stat in end.compare_to(warm, group)[:args.top]:
                frame = stat.traceback[0]
                where = f"{_short(frame.filename)}" + (f":{frame.lineno}" if group == "lineno" else "")
                print(f"{stat.size_diff / n:>+9.0f} B/article {stat.count_diff / n:>+7.2f} blocks/article  {where}")
    finally:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()
        broker.stop()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("index")
    p.add_argument("--articles", type=int, default=20_000)
    p.add_argument("--ids", type=int, default=24, help="article id length (bench keys are ~25 characters)")
    p = sub.add_parser("worker")
    p.add_argument("--articles", type=int, default=1500)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--max-articles", type=int, default=0, help="pipeline.dedupe_max_articles for the worker")
    args = parser.parse_args()
    {"index": cmd_index, "worker": cmd_worker}[args.cmd](args)


if __name__ == "__main__":
    main()
