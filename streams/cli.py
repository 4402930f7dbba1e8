"""The commands users type: ``newsstreams run | worker | broker | publish | tail | process`` (see README)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import resources
from pathlib import Path

import orjson

from streams import __version__
from streams.settings import Settings, load_settings

log = logging.getLogger("newsstreams")
SUMMARY_HEARTBEAT = 30.0


# --- worker ---------------------------------------------------------------------------------------

def cmd_worker(settings: Settings, args) -> int:
    """The stream worker: metrics endpoint, wait for the broker, create topics, process pool, Faust agents."""
    from streams.app import create_app
    from streams.kafka import ensure_topics, wait_for_broker
    from streams.metrics import serve_metrics
    from streams.pool import StagePool

    BoundedShutdownWorker = _bounded_shutdown_worker()
    server = serve_metrics(settings.metrics.port, settings.metrics.bind)
    if server is not None:
        log.info("metrics on http://%s:%d/metrics", settings.metrics.bind, settings.metrics.port)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(wait_for_broker(settings))
        created = loop.run_until_complete(ensure_topics(settings))
        if created:
            log.info("created topics: %s", ", ".join(created))
    except KeyboardInterrupt:
        return 130
    log.info("starting %d pool processes (%s mode)", settings.pipeline.pool_size, settings.pipeline.mode)
    pool = StagePool(settings.pipeline.pool_size, settings.pipeline.mode).start()
    app = create_app(settings, pool)
    app.conf.datadir = tempfile.mkdtemp(prefix="newsstreams-faust-")
    worker = BoundedShutdownWorker(app, loglevel=_faust_level(settings.log_level), loop=loop,
                                   redirect_stdouts=False, override_logging=False,
                                   shutdown_timeout=settings.pipeline.shutdown_timeout)
    try:
        worker.execute_from_commandline()
    except SystemExit as e:
        return int(e.code or 0)
    finally:
        pool.stop()
        if server is not None:
            server.shutdown()
    return 0


def _bounded_shutdown_worker():
    import threading

    import faust

    class Worker(faust.Worker):
        """A Faust worker whose shutdown after SIGTERM/SIGINT takes at most ``shutdown_timeout`` seconds.

        Faust stops the agents (an unfinished batch is not acked, so it is handed back to the group) and commits
        what was acked; if that hangs, the watchdog ends the process with exit code 3. Either way nothing is lost:
        uncommitted messages are redelivered to the next owner of the partition.
        """

        def __init__(self, *args, shutdown_timeout: float = 30.0, **kwargs):
            super().__init__(*args, **kwargs)
            self._shutdown_budget = shutdown_timeout
            self._watchdog: threading.Timer | None = None

        def _arm_watchdog(self) -> None:
            if self._watchdog is None:
                self._watchdog = threading.Timer(self._shutdown_budget, _shutdown_overdue, (self._shutdown_budget,))
                self._watchdog.daemon = True
                self._watchdog.start()

        def _on_sigterm(self) -> None:
            self._arm_watchdog()
            super()._on_sigterm()

        def _on_sigint(self) -> None:
            self._arm_watchdog()
            super()._on_sigint()

    return Worker


def _shutdown_overdue(budget: float) -> None:
    log.error("shutdown took longer than %.0f s (pipeline.shutdown_timeout): exiting; unacked work is redelivered",
              budget)
    logging.shutdown()
    os._exit(3)


def _faust_level(level: str) -> str:
    return {"warning": "warn", "critical": "crit"}.get(level.lower(), level.lower())


# --- broker ---------------------------------------------------------------------------------------

def cmd_broker(settings: Settings, args) -> int:
    from streams.broker import EmbeddedBroker, KafkaBroker

    if args.engine == "kafka":
        broker = KafkaBroker(port=settings.embedded_broker.port, host=args.host, data_dir=args.data_dir)
        kept = f"data in {broker.log_dir}" + ("" if args.data_dir else " (a temporary folder, removed on exit)")
        banner = f"Apache Kafka (KRaft, one node) on {broker.address}; {kept}; Ctrl-C stops it"

        def stop():
            broker.stop()
            broker.remove_data()
    else:
        broker = EmbeddedBroker(port=settings.embedded_broker.port, host=args.host)
        banner = f"embedded broker (Tansu, memory storage) on {broker.address}; Ctrl-C stops it"
        stop = broker.stop
    # SIGTERM while the broker starts (Kafka takes seconds) stops it too, rather than leaving it behind
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        broker.start(foreground_output=True)
        print(banner, flush=True)
        return _supervise([broker.process], stop)
    except KeyboardInterrupt:
        stop()
        return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _supervise(processes: list, stop, tick=None, tick_every: float = 2.0) -> int:
    """Wait for SIGINT/SIGTERM (then ``stop()``, exit 0) or a child's death (``stop()``, exit 1); call ``tick()``
    every ``tick_every`` seconds meanwhile."""
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    next_tick = 0.0
    try:
        while not stopping:
            if any(p is not None and p.poll() is not None for p in processes):
                print("a child process exited unexpectedly; see its log", file=sys.stderr)
                return 1
            if tick is not None and time.monotonic() >= next_tick:
                tick()
                next_tick = time.monotonic() + tick_every
            time.sleep(0.1)
    finally:
        stop()
    return 0


# --- publish --------------------------------------------------------------------------------------

def cmd_publish(settings: Settings, args) -> int:
    from streams.inputs import read_messages

    topic = args.topic or settings.topics.raw
    try:
        messages = list(read_messages(args.paths, args.format))
    except (OSError, ValueError) as e:
        print(f"publish: {e}", file=sys.stderr)
        return 2
    sent = asyncio.run(_publish(settings, topic, messages, progress=not args.quiet))
    print(f"published {sent} message(s) to {topic} on {settings.bootstrap_servers}", file=sys.stderr)
    return 0 if sent == len(messages) else 1


async def _publish(settings: Settings, topic: str, messages: list, progress: bool = True) -> int:
    from tqdm import tqdm

    from streams.kafka import ensure_topics, producer, wait_for_broker

    await wait_for_broker(settings, timeout=60)
    await ensure_topics(settings)
    prod = producer(settings)
    await prod.start()
    sent = 0
    try:
        with tqdm(total=len(messages), unit="msg", disable=not progress, file=sys.stderr) as bar:
            for start in range(0, len(messages), 500):
                chunk = messages[start:start + 500]
                futures = [await prod.send(topic, m.value, key=m.key) for m in chunk]
                results = await asyncio.gather(*futures, return_exceptions=True)
                for m, r in zip(chunk, results):
                    if isinstance(r, BaseException):
                        print(f"publish: {m.origin}: {type(r).__name__}: {r}", file=sys.stderr)
                    else:
                        sent += 1
                bar.update(len(chunk))
    finally:
        await prod.stop()
    return sent


# --- tail -----------------------------------------------------------------------------------------

def cmd_tail(settings: Settings, args) -> int:
    topic = args.topic or settings.topics.enriched
    try:
        return asyncio.run(_tail(settings, topic, args))
    except KeyboardInterrupt:
        return 0


async def _tail(settings: Settings, topic: str, args) -> int:
    from streams.kafka import consume, ensure_topics, wait_for_broker

    await wait_for_broker(settings, timeout=60)
    await ensure_topics(settings, [topic])
    def ready() -> None:
        where = "the beginning" if args.from_beginning else "now on"
        print(f"reading {topic} from {where} ({settings.bootstrap_servers}); Ctrl-C stops", file=sys.stderr,
              flush=True)

    n = 0
    async for msg in consume(settings, topic, args.from_beginning, idle_timeout=args.timeout, on_ready=ready):
        print(_render(msg.value, args.json), flush=True)
        n += 1
        if args.max and n >= args.max:
            break
    return 0


def _render(value: bytes | None, as_json: bool) -> str:
    try:
        record = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return (value or b"").decode("utf-8", "replace") if not as_json else orjson.dumps(
            {"raw": (value or b"").decode("utf-8", "replace")}).decode()
    if as_json:
        return orjson.dumps(record).decode()
    return pretty_record(record)


def pretty_record(r) -> str:
    """A few readable lines of an enriched (or parsed, or dead-letter) record."""
    if not isinstance(r, dict):
        return orjson.dumps(r).decode()
    if "reason" in r and "stage" in r:
        return f"DEAD LETTER [{r.get('stage')}/{r.get('reason')}] {r.get('message')} (key {r.get('id')})"
    src = r.get("source") or {}
    lines = [f"{r.get('title') or '(no title)'}",
             f"  id {r.get('id')} | {src.get('domain') or src.get('name') or '?'}"
             f" ({src.get('reliability') or 'unrated'}) | {r.get('published_at') or 'undated'}"
             f" | {', '.join(r.get('authors') or []) or 'no author'} | {r.get('language')}"]
    if r.get("category"):
        cats = ", ".join(f"{c['label']} {c['score']:.2f}" for c in r.get("categories") or [])
        lines.append(f"  category {r['category']} ({cats}) | tone {(r.get('tone') or {}).get('compound', 0):+.2f}")
    ents = ", ".join(f"{e['canonical']} [{e['label']}]" for e in (r.get("entities") or [])[:8])
    if ents:
        lines.append(f"  entities: {ents}")
    places = ", ".join(f"{p['name']} ({p['country_code']})" for p in (r.get("locations") or [])[:8])
    if places:
        lines.append(f"  places: {places}")
    for q in (r.get("quotes") or [])[:2]:
        lines.append(f"  quote: \"{q['text'][:100]}\" — {q.get('speaker') or 'unattributed'}")
    for e in (r.get("events") or [])[:3]:
        lines.append(f"  event {e.get('code')} {e.get('label')}: {str(e.get('sentence'))[:90]}")
    if r.get("duplicate_of"):
        lines.append(f"  duplicate of {r['duplicate_of']}")
    return "\n".join(lines)


# --- process --------------------------------------------------------------------------------------

def cmd_process(settings: Settings, args) -> int:
    """The same pipeline offline, no Kafka: files in, enriched records out."""
    from streams.enrich.dedupe import DuplicateIndex
    from streams.errors import BadArticle
    from streams.inputs import read_messages
    from streams.pipeline import enrich_and_classify, mark_duplicate, parse_payload

    index = DuplicateIndex({})
    failed = 0
    try:
        messages = list(read_messages(args.paths, args.format))
    except (OSError, ValueError) as e:
        print(f"process: {e}", file=sys.stderr)
        return 2
    for m in messages:
        try:
            parsed = parse_payload(m.value, ingested_at=time.time(), limits=settings.pipeline)
            record = enrich_and_classify([parsed], settings.pipeline.mode)[0]
            verdict = index.check_and_add(parsed.id, parsed.content_hash, parsed.signature)
            mark_duplicate(record, verdict.duplicate_of, verdict.story_id)
        except BadArticle as e:
            failed += 1
            print(f"process: {m.origin}: dead letter ({e.reason}): {e.message}", file=sys.stderr)
            continue
        print(orjson.dumps(record).decode() if args.json else pretty_record(orjson.loads(orjson.dumps(record))),
              flush=True)
    return 1 if failed and failed == len(messages) else 0


# --- ui -------------------------------------------------------------------------------------------

def cmd_ui(settings: Settings, args) -> int:
    """The live web view of articles.enriched, beside any running cluster (its own consumer, no group)."""
    from streams.ui import run_ui

    return run_ui(settings, settings.ui.port, settings.ui.bind, metrics_url=args.metrics_url)


# --- dlq ------------------------------------------------------------------------------------------

def cmd_dlq_replay(settings: Settings, args) -> int:
    """Re-publish dead letters (after a fix) to the topic their stage reads; each filter replays once."""
    from streams.dlq import replay_dead_letters

    result = asyncio.run(replay_dead_letters(settings, reasons=args.reason, stage=args.stage, limit=args.limit,
                                             dry_run=args.dry_run))
    verb = "would replay" if args.dry_run else "replayed"
    print(f"read {result['read']} dead letters, {verb} {result['replayed']}, skipped {result['skipped']} "
          f"(other reason/stage), refused {sum(result['refused'].values())} {dict(result['refused'])}", flush=True)
    for reason, n in sorted(result["by_reason"].items()):
        print(f"  {reason}: {n}")
    for topic, n in sorted(result["to_topics"].items()):
        print(f"  -> {topic}: {n}")
    return 0


# --- run ------------------------------------------------------------------------------------------

def cmd_run(settings: Settings, args) -> int:
    """All in one: embedded broker (if none is configured), a worker, metrics, optionally the demo articles."""
    from streams.broker import EmbeddedBroker

    children: list[subprocess.Popen] = []
    broker = None
    logdir = Path(tempfile.mkdtemp(prefix="newsstreams-run-"))
    if not settings.broker:
        broker = EmbeddedBroker(port=settings.embedded_broker.port, log_path=logdir / "broker.log")
        broker.start()
        print(f"embedded broker on {broker.address} (memory storage; logs {logdir}/broker.log)", flush=True)
    address = settings.bootstrap_servers

    def stop_all():
        for p in reversed(children):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(children):
            try:
                p.wait(timeout=settings.pipeline.shutdown_timeout)
            except subprocess.TimeoutExpired:
                p.kill()
        if broker is not None:
            broker.stop()

    env = dict(os.environ, NEWSSTREAMS_BROKER=address)
    worker_cmd = [sys.executable, "-m", "streams", "worker", "--broker", address,
                  "--metrics-port", str(settings.metrics.port), "--log-level", settings.log_level]
    if args.config:
        worker_cmd += ["--config", args.config]
    worker_log = open(logdir / "worker.log", "ab")
    children.append(subprocess.Popen(worker_cmd, env=env, stdout=worker_log, stderr=subprocess.STDOUT))
    print(f"worker starting (logs {logdir}/worker.log); metrics on http://127.0.0.1:{settings.metrics.port}/metrics",
          flush=True)
    if settings.ui.port:
        ui_cmd = [sys.executable, "-m", "streams", "ui", "--broker", address, "--port", str(settings.ui.port),
                  "--bind", settings.ui.bind]
        if settings.metrics.port:
            ui_cmd += ["--metrics-url", f"http://127.0.0.1:{settings.metrics.port}/metrics"]
        children.append(subprocess.Popen(ui_cmd, env=env, stdout=open(logdir / "ui.log", "ab"),
                                         stderr=subprocess.STDOUT))
        host = "127.0.0.1" if settings.ui.bind in ("0.0.0.0", "::") else settings.ui.bind
        print(f"live view on http://{host}:{settings.ui.port}/ (logs {logdir}/ui.log)", flush=True)
    try:
        if args.demo:
            samples = resources.files("streams.data").joinpath("samples")
            with resources.as_file(samples) as folder:
                from streams.inputs import read_messages

                messages = list(read_messages([str(folder)]))
                sent = asyncio.run(_publish(settings, settings.topics.raw, messages, progress=False))
                print(f"published {sent} sample articles to {settings.topics.raw}", flush=True)
        print(f"follow the output:  newsstreams tail --broker {address} --topic {settings.topics.enriched}",
              flush=True)
        print("Ctrl-C stops everything.", flush=True)
        return _supervise(children, stop_all, tick=_Summary(settings.metrics.port))
    except KeyboardInterrupt:
        stop_all()
        return 0


class _Summary:
    """The live summary of ``run``: a line when the counts move, a heartbeat every SUMMARY_HEARTBEAT s otherwise."""

    def __init__(self, metrics_port: int):
        self.port = metrics_port
        self.last_counts: list | None = None
        self.last_print = 0.0

    def __call__(self) -> None:
        line = _summary_line(self.port)
        if not line:
            return
        counts = line.split(" | ")[:3]
        if counts != self.last_counts or time.monotonic() - self.last_print > SUMMARY_HEARTBEAT:
            print(line, flush=True)
            self.last_counts, self.last_print = counts, time.monotonic()


def _summary_line(port: int) -> str | None:
    """``parsed 251 | enriched 251 | dead letters 0 | 12.3 articles/s | top: politics 80, ...`` from /metrics."""
    if not port:
        return None
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return None
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "newsstreams_articles_total":
                counts[(s.labels["stage"], s.labels["outcome"])] = s.value
            elif s.name == "newsstreams_category_total" and s.value:
                counts.setdefault("cat", {})[s.labels["category"]] = s.value
            elif s.name == "newsstreams_throughput_articles_per_second" and s.labels.get("stage") == "classify":
                counts["rate"] = s.value
    dead = sum(v for k, v in counts.items() if isinstance(k, tuple) and k[1] == "dead_letter")
    cats = sorted((counts.get("cat") or {}).items(), key=lambda kv: -kv[1])[:4]
    enriched = counts.get(("classify", "ok"), 0)
    return (f"parsed {counts.get(('parse', 'ok'), 0):.0f} | enriched {enriched:.0f} | dead letters {dead:.0f} | "
            f"{counts.get('rate', 0):.1f} articles/s | " + ", ".join(f"{c} {n:.0f}" for c, n in cats))


class OncePerInterval(logging.Filter):
    """Kafka client messages (aiokafka, faust.transport) at most once per ``interval`` seconds per template:
    during a broker outage aiokafka logs every 100 ms. On the handlers, since logger filters miss propagated
    records."""

    def __init__(self, interval: float = 15.0):
        super().__init__()
        self.interval, self.last = interval, {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("aiokafka", "faust.transport")):
            return True
        key, now = (record.name, record.msg), time.monotonic()     # the template, not the text: bounded keys
        if now - self.last.get(key, -self.interval) < self.interval:
            return False
        self.last[key] = now
        return True


# --- entry point ----------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsstreams", description=__doc__)
    parser.add_argument("--version", action="version", version=f"newsstreams {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="YAML settings file (default: built-in defaults, see config/default.yaml)")
    common.add_argument("--log-level", dest="log_level", help="debug | info | warning | error")
    with_broker = argparse.ArgumentParser(add_help=False)
    with_broker.add_argument("--broker", help="host:port[,host:port] or kafka://host:port (default: "
                                              "$NEWSSTREAMS_BROKER, the config file, then the embedded broker)")
    with_metrics = argparse.ArgumentParser(add_help=False)
    with_metrics.add_argument("--metrics-port", type=int, dest="metrics_port", help="0 disables /metrics")
    with_metrics.add_argument("--metrics-bind", dest="metrics_bind", help="address /metrics binds to")
    with_metrics.add_argument("--mode", choices=("accurate", "fast"), help="pipeline mode")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", parents=[common, with_broker, with_metrics], help="broker (if none) + worker + metrics")
    p.add_argument("--demo", action="store_true", help="also publish the bundled sample articles")
    p.add_argument("--ui-port", type=int, dest="ui_port", help="port of the live view (0: none; default 8808)")
    p.add_argument("--broker-port", type=int, dest="broker_port", help="port of the embedded broker")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("worker", parents=[common, with_broker, with_metrics], help="the stream worker only")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("broker", parents=[common], help="a local broker in the foreground (Tansu, or Apache Kafka)")
    p.add_argument("--port", type=int, dest="broker_port", help="listen port (default 9092)")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--engine", choices=["tansu", "kafka"], default="tansu",
                   help="tansu: embedded, memory storage (default); kafka: Apache Kafka in KRaft mode, needs Java 17+ "
                        "and `make kafka`")
    p.add_argument("--data-dir", dest="data_dir",
                   help="kafka only: keep the broker's data in this folder across restarts (default: a temporary one)")
    p.set_defaults(func=cmd_broker)

    from streams.inputs import FORMATS

    p = sub.add_parser("publish", parents=[common, with_broker], help="publish files as raw articles")
    p.add_argument("paths", nargs="+", help="files, folders, or - for stdin")
    p.add_argument("--topic", help="default: articles.raw")
    p.add_argument("--format", choices=FORMATS, default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("tail", parents=[common, with_broker], help="print the records of a topic")
    p.add_argument("--topic", help="default: articles.enriched")
    p.add_argument("--from-beginning", action="store_true", dest="from_beginning")
    p.add_argument("--max", type=int, help="stop after N records")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--timeout", type=float, help="stop after this many seconds without a new record")
    p.set_defaults(func=cmd_tail)

    p = sub.add_parser("process", parents=[common, with_metrics], help="run the pipeline offline, no Kafka")
    p.add_argument("paths", nargs="+", help="files, folders, or - for stdin")
    p.add_argument("--format", choices=FORMATS, default="auto")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_process)

    p = sub.add_parser("ui", parents=[common, with_broker], help="the live web view of articles.enriched")
    p.add_argument("--port", type=int, dest="ui_port", help="default 8808")
    p.add_argument("--bind", dest="ui_bind", help="default 127.0.0.1 (the page has no authentication)")
    p.add_argument("--metrics-url", dest="metrics_url", help="a worker's /metrics, shown beside the page's counts")
    p.set_defaults(func=cmd_ui)

    from streams.errors import REASONS

    p = sub.add_parser("dlq", parents=[common, with_broker], help="dead letters: replay them after a fix")
    dlq_sub = p.add_subparsers(dest="dlq_command", required=True)
    r = dlq_sub.add_parser("replay", parents=[common, with_broker], help="re-publish dead letters")
    r.add_argument("--reason", action="append", choices=REASONS, help="only this reason (repeatable)")
    r.add_argument("--stage", choices=("parse", "enrich", "route"), help="only this stage")
    r.add_argument("--limit", type=int, help="at most N letters")
    r.add_argument("--dry-run", action="store_true", dest="dry_run", help="count, publish nothing, commit nothing")
    r.set_defaults(func=cmd_dlq_replay)

    p = sub.add_parser("bench", parents=[common], help="the benchmark: aiokafka/Faust ceilings, NER bound, the worker")
    _add_bench_arguments(p)
    p.set_defaults(func=_run_bench)
    return parser


def _add_bench_arguments(parser) -> None:
    from streams.bench import add_bench_arguments

    add_bench_arguments(parser)


def _run_bench(settings: Settings, args) -> int:
    from streams.bench import run_bench

    return run_bench(settings, args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {
        "broker": getattr(args, "broker", None),
        "log_level": getattr(args, "log_level", None),
        "metrics.port": getattr(args, "metrics_port", None),
        "metrics.bind": getattr(args, "metrics_bind", None),
        "pipeline.mode": getattr(args, "mode", None),
        "embedded_broker.port": getattr(args, "broker_port", None),
        "ui.port": getattr(args, "ui_port", None),
        "ui.bind": getattr(args, "ui_bind", None),
    }
    try:
        settings = load_settings(getattr(args, "config", None), overrides=overrides)
    except (OSError, ValueError) as e:
        print(f"newsstreams: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=getattr(logging, settings.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(OncePerInterval())
    try:
        return args.func(settings, args)
    except Exception as e:          # the CLI's last word: a clear message, not a traceback
        from streams.broker import BrokerNotFound

        if isinstance(e, BrokerNotFound):
            print(f"newsstreams: {e}", file=sys.stderr)
            return 2
        raise
