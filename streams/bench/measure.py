"""What ``newsstreams bench`` measures with: the corpus, the systems under test as processes, their CPU and
memory (from /proc), a backlog drain, a paced load with per-key latency, the NER bound, /metrics scrapes.

Everything here talks to a real broker through aiokafka; nothing is simulated.
"""
from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson

from streams.kafka import MAX_REQUEST_BYTES, client_options, ensure_topics, producer

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PUBLISH_CHUNK = 1000
READER_FETCH_WAIT_MS = 10       # latency phase: a read must not wait for a fetch to time out
DRAIN_FETCH_WAIT_MS = 250       # drain: rates come from broker timestamps; fewer fetches leave the cores alone


# --- the corpus ------------------------------------------------------------------------------------

def keyed_articles(messages: list, n: int, prefix: str, unseen_words: int = 0,
                   start: int = 0) -> list[tuple[bytes, bytes]]:
    """``n`` messages cycling over ``messages`` (streams.inputs.Message), each a JSON article whose ``id`` is
    its unique key ``<prefix>-<i>``: the pipeline keys its output by that id, so latency can be matched by key.
    Text and HTML messages are wrapped as ``{"id", "text"|"html"}`` (the same parser runs on them).

    ``unseen_words``: each article also gets a closing line of that many made-up names that no other article has
    (see :func:`unseen_names`; ``start`` numbers the first article), so that a run over a repeated corpus still
    brings new words all along, as a live stream of news does."""
    bases = [_as_object(m.value) for m in messages]
    out = []
    for i in range(start, start + n):
        key = f"{prefix}-{i}"
        article = dict(bases[i % len(bases)], id=key)
        if unseen_words:
            _append_line(article, "Reporting by " + ", ".join(unseen_names(i, unseen_words)) + ".")
        out.append((key.encode(), orjson.dumps(article)))
    return out


_SYLLABLES = ("ka", "lo", "mir", "zan", "vek", "tor", "qui", "bel", "dra", "sun", "pha", "gor", "nel", "xi", "ru",
              "wen")


def unseen_names(index: int, k: int) -> list[str]:
    """``k`` made-up capitalised names for article ``index``, none shared with another (index, j): the number
    ``index * k + j`` written in base 16 with a syllable a digit (at least three syllables)."""
    names = []
    for n in range(index * k, index * k + k):
        syllables = []
        while n or len(syllables) < 3:
            syllables.append(_SYLLABLES[n % 16])
            n //= 16
        names.append("".join(syllables).capitalize())
    return names


def _append_line(article: dict, line: str) -> None:
    for field in ("text", "content"):
        if isinstance(article.get(field), str):
            article[field] += "\n\n" + line
            return
    html = article.get("html")
    if isinstance(html, str):
        at = html.lower().rfind("</body>")
        at = len(html) if at < 0 else at
        article["html"] = f"{html[:at]}<p>{line}</p>{html[at:]}"


def _as_object(value: bytes) -> dict:
    try:
        obj = orjson.loads(value)
        if isinstance(obj, dict):
            return obj
    except orjson.JSONDecodeError:
        pass
    text = value.decode("utf-8", "replace")
    return {"html": text} if text.lstrip()[:1] == "<" else {"text": text}


def article_texts(articles: list[tuple[bytes, bytes]], limits) -> list[str]:
    """The body text the NER step sees for each article (what ``parse_payload`` extracts); unparseable ones skipped."""
    from streams.errors import BadArticle
    from streams.pipeline import parse_payload

    texts, seen = [], {}
    for _key, value in articles:
        body = orjson.loads(value)
        body.pop("id", None)
        signature = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        if signature not in seen:
            try:
                seen[signature] = parse_payload(value, ingested_at=time.time(), limits=limits).text
            except BadArticle:
                seen[signature] = None
        if seen[signature] is not None:
            texts.append(seen[signature])
    return texts


# --- processes: CPU seconds and resident memory of a process tree (Linux /proc) ---------------------

def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds user+system, resident bytes) of one process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, int(fields[21]) * PAGE_BYTES


def process_tree(roots: list[int]) -> dict[int, tuple[float, int]]:
    """{pid: (CPU seconds, resident bytes)} of ``roots`` and all their descendants."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            s = _stat(int(name))
            if s is not None:
                stats[int(name)] = s
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = {}, [r for r in roots if r in stats]
    while todo:
        pid = todo.pop()
        if pid not in out:
            out[pid] = stats[pid][1:]
            todo += children.get(pid, [])
    return out


class TreeSampler:
    """Samples a process tree every ``interval`` s in a thread: CPU seconds so far and the peak resident set.

    CPU of a process that exits between two samples is counted up to its last sample. Resident memory is the
    sum of the tree's RSS (shared pages counted once per process: an upper bound for forked children; the
    worker's pool is spawned, so little is shared)."""

    def __init__(self, roots, interval: float = 0.25):
        self.roots = roots if callable(roots) else (lambda: list(roots))
        self.interval = interval
        self.cpu: dict[int, float] = {}
        self.rss = 0
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.available = os.path.isdir("/proc/self")

    def sample(self) -> None:
        if not self.available:
            return
        tree = process_tree(self.roots())
        for pid, (cpu, _rss) in tree.items():
            self.cpu[pid] = max(cpu, self.cpu.get(pid, 0.0))
        self.rss = sum(rss for _cpu, rss in tree.values())
        self.peak_rss = max(self.peak_rss, self.rss)

    def cpu_seconds(self) -> float:
        self.sample()
        return sum(self.cpu.values())

    def main_cpu_seconds(self) -> float:
        """CPU seconds of the root process(es) alone: the worker's event loop, without its pool processes."""
        self.sample()
        return sum(self.cpu.get(pid, 0.0) for pid in self.roots())

    def reset_peak(self) -> None:
        self.sample()
        self.peak_rss = self.rss

    def start(self) -> "TreeSampler":
        def run():
            while not self._stop.wait(self.interval):
                self.sample()

        self._thread = threading.Thread(target=run, name="bench-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


@dataclass
class Child:
    """A system under test running as a subprocess in its own session (so its whole tree can be killed)."""
    name: str
    process: subprocess.Popen
    log: Path
    metrics_port: int | None = None

    @classmethod
    def start(cls, name: str, argv: list[str], env: dict, log: Path, cwd: Path | None = None,
              metrics_port: int | None = None) -> "Child":
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        return cls(name, proc, log, metrics_port)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, marker: str, timeout: float) -> None:
        """Until ``marker`` shows in the log (and /metrics answers, when it has a port); raise if it dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if marker in self.log_tail(1_000_000) and (self.metrics_port is None or self.metrics() is not None):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def metrics(self) -> str | None:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()
        except OSError:
            return None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL to the whole process group (the worker's pool processes too)."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)    # leftovers of the tree, if any
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass


# --- Kafka: publishing, reading back -----------------------------------------------------------------
# Tansu 0.6.0 answers ListOffsets(latest) with the last batch's base offset + 1, not the high watermark
# (seen here: 10 messages in two batches -> 6). So nothing below uses end_offsets() or seek_to_end(): the
# reader starts at the beginning, and "caught up" is judged by the high watermark that Fetch returns.

def _consumer(settings, fetch_wait_ms: int = READER_FETCH_WAIT_MS):
    from aiokafka import AIOKafkaConsumer

    # A short fetch wait: Tansu 0.6.0 seems to hold a fetch for the whole wait even when data arrives (see
    # docs/BENCHMARKS.md), which would add up to fetch_max_wait_ms to every latency the bench measures.
    return AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False, group_id=None,
                            fetch_max_bytes=MAX_REQUEST_BYTES, max_partition_fetch_bytes=MAX_REQUEST_BYTES,
                            fetch_max_wait_ms=fetch_wait_ms)


async def _partitions(consumer, topics: list[str]) -> list:
    from aiokafka import TopicPartition

    tps = []
    for topic in topics:
        for _ in range(100):
            parts = consumer.partitions_for_topic(topic)
            if parts:
                break
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"topic {topic} has no partitions")
        tps += [TopicPartition(topic, p) for p in sorted(parts)]
    return tps


async def publish_all(settings, topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    """Publish as fast as the producer goes, every message acknowledged; returns the seconds it took."""
    prod = producer(settings)
    await prod.start()
    started = time.perf_counter()
    try:
        for i in range(0, len(messages), PUBLISH_CHUNK):
            futures = [await prod.send(topic, value, key=key) for key, value in messages[i:i + PUBLISH_CHUNK]]
            await asyncio.gather(*futures)
    finally:
        await prod.stop()
    return time.perf_counter() - started


@dataclass(slots=True)
class Read:
    topic: str
    key: bytes | None
    timestamp: float              # the message's broker timestamp, seconds
    read_at: float                # time.time() when this reader got it


class Reader:
    """Reads ``topics`` from the beginning in a background task, keeping (topic, key, timestamp, read time)
    of each message (values are dropped at once); ``on_read`` sees each one as it comes."""

    def __init__(self, settings, topics: list[str], keep: bool = True, on_read=None,
                 fetch_wait_ms: int = READER_FETCH_WAIT_MS):
        self.settings, self.topics, self.keep, self.on_read = settings, topics, keep, on_read
        self.fetch_wait_ms = fetch_wait_ms
        self.reads: list[Read] = []
        self.counts: dict[str, int] = {t: 0 for t in topics}
        self._consumer = None
        self._task: asyncio.Task | None = None
        self.tps: list = []

    async def start(self) -> "Reader":
        await ensure_topics(self.settings, self.topics)
        self._consumer = _consumer(self.settings, self.fetch_wait_ms)
        await self._consumer.start()
        self.tps = await _partitions(self._consumer, self.topics)
        self._consumer.assign(self.tps)
        await self._consumer.seek_to_beginning(*self.tps)
        self._task = asyncio.ensure_future(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.time()
            for tp, records in batches.items():
                self.counts[tp.topic] += len(records)
                for m in records:
                    read = Read(tp.topic, m.key, m.timestamp / 1000, now)
                    if self.keep:
                        self.reads.append(read)
                    if self.on_read is not None:
                        self.on_read(read)

    def count(self, topics: list[str]) -> int:
        return sum(self.counts.get(t, 0) for t in topics)

    async def caught_up(self, timeout: float = 60) -> None:
        """Until every partition has been read up to the high watermark its last fetch reported."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._task.done():
                self._task.result()
            marks = [self._consumer.highwater(tp) for tp in self.tps]
            if all(h is not None for h in marks):
                positions = [await self._consumer.position(tp) for tp in self.tps]
                if all(p >= h for p, h in zip(positions, marks)):
                    return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"reading {', '.join(self.topics)} did not catch up in {timeout:.0f} s")

    async def wait_for(self, topics: list[str], n: int, timeout: float, alive=lambda: True) -> bool:
        """Until ``n`` messages were read from ``topics``; False on timeout or when ``alive()`` turns false."""
        deadline = time.monotonic() + timeout
        while self.count(topics) < n:
            if self._task.done():
                self._task.result()
            if time.monotonic() > deadline or not alive():
                return False
            await asyncio.sleep(0.1)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()


# --- the two measurements on a running system ------------------------------------------------------

@dataclass
class Drain:
    articles: int
    delivered: int = 0            # output messages (records and dead letters) that arrived
    dead_letters: int = 0
    seconds: float = 0.0          # first output of the system's first stage .. last output of its last stage
    rate: float = 0.0             # articles/s
    publish_seconds: float = 0.0
    cpu_seconds: float | None = None
    main_cpu_seconds: float | None = None     # the root process alone (the worker's event loop)
    broker_cpu_seconds: float | None = None   # the embedded broker's process, when the bench started it
    peak_rss_bytes: int | None = None
    timed_out: bool = False


async def measure_drain(settings, source: str, finals: list[str], firsts: list[str], dlq: str | None,
                        articles: list[tuple[bytes, bytes]], start_system, timeout: float,
                        broker_pid: int | None = None) -> Drain:
    """Backlog drain on fresh topics: publish every article, then start the system (``start_system()`` returns
    its TreeSampler and an ``alive`` callable) and wait for as many outputs on ``finals`` (+ ``dlq``) as articles.
    With ``broker_pid`` the broker's CPU seconds over the same interval are kept too (it shares the cores).
    Rate = outputs / (first message the system wrote to any of ``firsts`` .. last one on ``finals``/``dlq``),
    broker timestamps, so start-up (group join, model loading) is not counted but filling the pipeline is."""
    result = Drain(len(articles))
    done_topics = finals + ([dlq] if dlq else [])
    watched = list(dict.fromkeys(done_topics + firsts))
    await ensure_topics(settings, watched + [source])
    result.publish_seconds = await publish_all(settings, source, articles)
    reader = await Reader(settings, watched, fetch_wait_ms=DRAIN_FETCH_WAIT_MS).start()
    try:
        sampler, alive = await asyncio.get_running_loop().run_in_executor(None, start_system)
        cpu0, main0 = sampler.cpu_seconds(), sampler.main_cpu_seconds()
        broker0 = _stat(broker_pid) if broker_pid else None
        sampler.reset_peak()
        started = time.time()
        result.timed_out = not await reader.wait_for(done_topics, len(articles), timeout, alive)
        waited = time.time() - started
        result.cpu_seconds = sampler.cpu_seconds() - cpu0 if sampler.available else None
        result.main_cpu_seconds = sampler.main_cpu_seconds() - main0 if sampler.available else None
        result.peak_rss_bytes = sampler.peak_rss if sampler.available else None
        broker1 = _stat(broker_pid) if broker0 else None
        if broker0 and broker1:
            result.broker_cpu_seconds = broker1[1] - broker0[1]
    finally:
        await reader.stop()
    done = [r for r in reader.reads if r.topic in done_topics]
    result.delivered = len(done)
    result.dead_letters = sum(1 for r in done if r.topic == dlq)
    first = [r.timestamp for r in reader.reads if r.topic in firsts]
    if first and done:
        result.seconds = max(1e-3, max(r.timestamp for r in done) - min(first))
    else:
        result.seconds = waited
    result.rate = result.delivered / result.seconds if result.seconds else 0.0
    return result


@dataclass
class Latency:
    offered_rate: float           # articles/s the paced producer aimed at
    achieved_rate: float = 0.0    # articles/s it really sent
    sent: int = 0
    received: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None
    cpu_seconds: float | None = None
    seconds: float = 0.0


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100), nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


async def measure_latency(settings, source: str, finals: list[str], articles: list[tuple[bytes, bytes]],
                          rate: float, sampler: TreeSampler | None, grace: float, alive=lambda: True) -> Latency:
    """Steady offered load: send ``articles`` at ``rate``/s (linger 0) while reading ``finals``; latency of an
    article = the time its key is read back - the time it was handed to the producer (one clock, one host)."""
    result = Latency(rate)
    sent_at: dict[bytes, float] = {}
    latencies: list[float] = []

    def on_read(read: Read) -> None:
        t = sent_at.pop(read.key, None)
        if t is not None:
            latencies.append(read.read_at - t)

    reader = await Reader(settings, finals, keep=False, on_read=on_read).start()
    prod = producer(settings, linger_ms=0)
    await prod.start()
    began = time.monotonic()
    try:
        await reader.caught_up()          # past the drain's outputs before the first paced article
        cpu0 = sampler.cpu_seconds() if sampler else None
        futures = []
        started = time.monotonic()
        for i, (key, value) in enumerate(articles):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[key] = time.time()
            futures.append(await prod.send(source, value, key=key))
        await asyncio.gather(*futures)
        sending = time.monotonic() - started
        result.sent = len(articles)
        result.achieved_rate = len(articles) / sending if sending > 0 else rate
        deadline = time.monotonic() + grace
        while len(latencies) < len(articles) and time.monotonic() < deadline and alive():
            await asyncio.sleep(0.1)
        if sampler is not None and cpu0 is not None:
            result.cpu_seconds = sampler.cpu_seconds() - cpu0
    finally:
        await prod.stop()
        await reader.stop()
    result.seconds = time.monotonic() - began
    result.received = len(latencies)
    for q in (50, 95, 99):
        setattr(result, f"p{q}", percentile(latencies, q))
    result.max = max(latencies) if latencies else None
    return result


# --- the NER bound: spaCy alone, no Kafka -----------------------------------------------------------

def _load_ner(openblas: bool) -> None:
    from streams.enrich.entities import load_ner_model

    load_ner_model(openblas)


def _ner_chunk(texts: list[str], batch_size: int, openblas: bool) -> int:
    from streams.enrich.entities import load_ner_model

    nlp = load_ner_model(openblas)
    return sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=batch_size))


@dataclass
class NerBound:
    articles: int
    processes: int
    batch_size: int
    openblas: bool = True
    seconds: float = 0.0
    rate: float = 0.0
    entities: int = 0
    cpu_seconds: float | None = None
    peak_rss_bytes: int | None = None


def measure_ner_bound(texts: list[str], processes: int, batch_size: int = 16, openblas: bool = True) -> NerBound:
    """The NER-only spaCy pipe (streams.enrich.entities.load_ner_model) over ``texts`` in a pool of
    ``processes`` spawned processes, one contiguous chunk each, ``nlp.pipe`` batches; models loaded first.

    ``openblas`` as the pipeline loads the model (the bound); false: as spaCy loads it by default (cython-blis)."""
    import multiprocessing

    result = NerBound(len(texts), processes, batch_size, openblas)
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_load_ner, initargs=(openblas,)) as pool:
        for f in [pool.submit(_ner_chunk, [], batch_size, openblas) for _ in range(processes)]:
            f.result()
        sampler = TreeSampler(lambda: list(pool._processes or {})).start()
        try:
            cpu0 = sampler.cpu_seconds()
            sampler.reset_peak()
            step = -(-len(texts) // processes) if texts else 1
            started = time.perf_counter()
            futures = [pool.submit(_ner_chunk, texts[i:i + step], batch_size, openblas)
                       for i in range(0, len(texts), step)]
            result.entities = sum(f.result() for f in futures)
            result.seconds = time.perf_counter() - started
            if sampler.available:
                result.cpu_seconds = sampler.cpu_seconds() - cpu0
                result.peak_rss_bytes = sampler.peak_rss
        finally:
            sampler.stop()
    result.rate = len(texts) / result.seconds if result.seconds else 0.0
    return result


def measure_costs(values: list[bytes], rounds: int) -> dict:
    """(e), streams.bench.costs, in a spawned process of its own: the bench's process loads no model."""
    import multiprocessing

    from streams.bench import costs

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(costs.measure_costs, values, ("fast", "accurate"), rounds).result()


# --- the worker's own view: /metrics ---------------------------------------------------------------

def stage_totals(metrics_text: str | None) -> dict[str, tuple[float, float]]:
    """{stage: (seconds summed, articles counted)} of newsstreams_stage_duration_seconds in a /metrics scrape."""
    from prometheus_client.parser import text_string_to_metric_families

    totals: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(metrics_text or ""):
        if family.name != "newsstreams_stage_duration_seconds":
            continue
        for s in family.samples:
            entry = totals.setdefault(s.labels.get("stage", "?"), [0.0, 0.0])
            if s.name.endswith("_sum"):
                entry[0] = s.value
            elif s.name.endswith("_count"):
                entry[1] = s.value
    return {stage: (v[0], v[1]) for stage, v in totals.items()}


def stage_means(after: dict, before: dict | None = None) -> dict[str, float | None]:
    """Mean seconds per article of each stage between two ``stage_totals`` scrapes."""
    before = before or {}
    out = {}
    for stage, (total, count) in after.items():
        t0, n0 = before.get(stage, (0.0, 0.0))
        out[stage] = (total - t0) / (count - n0) if count > n0 else None
    return out
