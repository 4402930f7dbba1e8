"""``newsstreams bench``: the benchmark that tells the truth, in one run on the same articles.

    (a) ceiling    plain aiokafka consume -> produce passthrough       streams/bench/passthrough.py
    (b) faust      a plain Faust agent doing the same passthrough      streams/bench/passthrough.py
    (b') faust-batch  the same copy written as the worker's agents are (take_events, sends gathered), with the
                   worker's batch size and Faust settings: what the framework alone lets the worker reach
    (c) NER bound  spaCy's NER pipe alone over the same texts and cores, no Kafka, loaded as the pipeline loads it
                   (OpenBLAS); ``ner-blis``: the same, loaded as spaCy does by default (cython-blis), for reference
    (d) fast, accurate   real ``newsstreams worker`` processes, their own topics and consumer group
    (e) costs      each step of the pipeline timed on its own, one process, no Kafka   streams/bench/costs.py

For each Kafka system: backlog-drain throughput, then end-to-end latency at a steady offered load (a paced
producer at ``--load-fraction`` of that system's drain rate), CPU seconds and peak resident memory of its
process tree; for the workers also the per-stage times from their /metrics. ``--long N`` watches a worker's
memory over N articles (``--long-mode``), each with made-up words of its own (``--long-unseen-words``). The
report goes to docs/BENCHMARKS.md between markers (see report.py).
"""
from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import logging
import os
import signal
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import orjson

from streams.bench import measure, report
from streams.broker import free_port
from streams.kafka import ensure_topics

log = logging.getLogger("newsstreams.bench")
REPO = Path(__file__).resolve().parents[2]
SYSTEMS = ("aiokafka", "faust", "faust-batch", "ner", "ner-blis", "fast", "accurate", "costs")
PASSTHROUGHS = ("aiokafka", "faust", "faust-batch")
NER_BOUNDS = {"ner": ("ner", True), "ner-blis": ("ner_blis", False)}    # system -> (results key, openblas)
LABELS = {"aiokafka": "(a) ceiling: aiokafka consume -> produce, one process",
          "faust": "(b) plain Faust agent passthrough",
          "faust-batch": "(b') Faust agent passthrough batched as the worker's agents",
          "fast": "(d) newsstreams worker, fast mode",
          "accurate": "(d) newsstreams worker, accurate mode"}
LONG_UNSEEN_WORDS = 10     # the 251 bundled articles add ~25 strings each to spaCy's; 10 made-up words add ~22
QUICK = {"articles": 40, "accurate_articles": 12, "latency_seconds": 3.0, "latency_grace": 20.0, "timeout": 90.0}
COST_ROUNDS = 3            # (e): best of this many passes over the distinct articles
SHARED_MACHINE_NOTE = ("Taken on a shared 2-core machine with other jobs running: the figures are noisy; "
                       "compare ratios within one run rather than absolute numbers across runs.")


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``newsstreams bench`` (``--broker`` is added only if the parser lacks it)."""
    if "--broker" not in parser._option_string_actions:
        parser.add_argument("--broker", help="benchmark against this Kafka broker (default: start an embedded one "
                                             "on a free port)")
    parser.add_argument("--corpus", nargs="+", metavar="PATH",
                        help="folder, CSV, JSONL, ... of articles, repeated as needed (default: the bundled "
                             "FakeNewsCorpus sample, streams/data/samples/)")
    parser.add_argument("--articles", type=int, default=2000, help="articles for (a), (b) and fast mode (2000)")
    parser.add_argument("--accurate-articles", type=int, default=400, dest="accurate_articles",
                        help="articles for accurate mode and the NER bound (400)")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help=f"comma-separated subset of {','.join(SYSTEMS)} (default: all)")
    parser.add_argument("--load-fraction", type=float, default=0.5, dest="load_fraction",
                        help="offered load of the latency phase, as a fraction of the drain rate (0.5)")
    parser.add_argument("--latency-seconds", type=float, default=30.0, dest="latency_seconds",
                        help="longest paced phase: fewer articles are sent if needed (30)")
    parser.add_argument("--latency-grace", type=float, default=60.0, dest="latency_grace",
                        help="seconds to wait for the last outputs after the paced phase (60)")
    parser.add_argument("--timeout", type=float, default=900.0, help="longest backlog drain of one system (900 s)")
    parser.add_argument("--processes", type=int, default=0,
                        help="pool processes of the worker and of the NER bound (0 = one per core)")
    parser.add_argument("--repeat", type=int, default=1, metavar="R",
                        help="measure every system R times, in interleaved rounds, and report the run with the "
                             "median throughput and the spread (1); the machine's drift between runs is 10-30 %% here")
    parser.add_argument("--long", type=int, default=0, metavar="N",
                        help="also sample a worker's resident memory over N articles")
    parser.add_argument("--long-mode", choices=("fast", "accurate"), default="fast", dest="long_mode",
                        help="pipeline mode of the --long worker (fast)")
    parser.add_argument("--long-unseen-words", type=int, default=LONG_UNSEEN_WORDS, dest="long_unseen_words",
                        metavar="K", help="made-up names no other article has, added to each --long article, so that "
                                          f"words keep coming that the models never saw, as in a live stream "
                                          f"({LONG_UNSEEN_WORDS}; 0: the corpus as it is)")
    parser.add_argument("--long-timeout", type=float, default=3600.0, dest="long_timeout")
    parser.add_argument("--output", default=str(REPO / "docs" / "BENCHMARKS.md"),
                        help="Markdown report, generated part replaced (default docs/BENCHMARKS.md); '-' prints it")
    parser.add_argument("--json", dest="json_path", help="also write the raw results as JSON here")
    parser.add_argument("--note", default=SHARED_MACHINE_NOTE, help="a line shown above the results")
    parser.add_argument("--quick", action="store_true",
                        help=f"tiny run for a smoke test: {', '.join(f'{k}={v}' for k, v in QUICK.items())}")


def run_bench(settings, args) -> int:
    """Run every selected measurement, write the report; 0 when every system delivered every article."""
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, min(getattr(args, key), value))
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        print(f"bench: unknown system(s) {', '.join(sorted(unknown))}; choose from {', '.join(SYSTEMS)}",
              file=sys.stderr)
        return 2
    settings = copy.deepcopy(settings)
    workdir = Path(tempfile.mkdtemp(prefix="newsstreams-bench-"))
    bench = Bench(settings, args, workdir)
    broker = None
    previous = signal.signal(signal.SIGTERM, _interrupt)     # SIGTERM cleans up like Ctrl-C
    try:
        if args.broker:
            settings.broker = args.broker
            bench.broker_description = f"{settings.bootstrap_servers} (given with --broker)"
        else:
            from streams.broker import EmbeddedBroker, find_tansu_binary

            broker = EmbeddedBroker(port=free_port(), log_path=workdir / "broker.log").start()
            settings.broker = broker.address
            bench.broker_pid = broker.process.pid
            bench.broker_description = (f"embedded {report.broker_version(find_tansu_binary()) or 'Tansu'}, "
                                        "memory storage, same machine")
        results = asyncio.run(bench.run(systems))
    except KeyboardInterrupt:
        print("bench: interrupted; stopping what it started", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        bench.stop_children()
        if broker is not None:
            broker.stop()
    markdown = report.render(results)
    if args.output == "-":
        print(markdown)
    else:
        report.write_report(Path(args.output), markdown)
        print(f"bench: report written to {args.output} (logs in {workdir})", file=sys.stderr)
    if args.json_path:
        Path(args.json_path).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    complete = all(not s.get("incomplete_runs") for s in results["systems"])
    return 0 if complete else 1


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Bench:
    def __init__(self, settings, args, workdir: Path):
        self.settings, self.args, self.workdir = settings, args, workdir
        self.run_id = "bench" + uuid.uuid4().hex[:6]
        self.children: list[measure.Child] = []
        self.broker_description = ""
        self.broker_pid: int | None = None        # the embedded broker, whose CPU the drains measure too
        self.processes = args.processes if args.processes > 0 else (os.cpu_count() or 1)

    def stop_children(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()

    def corpus(self):
        from streams.inputs import read_messages

        paths = self.args.corpus or [str(REPO / "streams" / "data" / "samples")]
        messages = list(read_messages(paths))
        if not messages:
            raise ValueError(f"no articles in {', '.join(paths)}")
        return paths, messages

    async def run(self, systems: list[str]) -> dict:
        load_before = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        paths, messages = self.corpus()
        results = {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command_line(self.args),
            "note": self.args.note, "broker": self.broker_description, "partitions": self.settings.topics.partitions,
            "processes": self.processes, "fraction": self.args.load_fraction, "load_before": load_before,
            "corpus": f"{len(messages)} distinct articles from {', '.join(_short(p) for p in paths)}, repeated; "
                      "each sent with a unique id (repeats are near-duplicates: still fully enriched, then flagged)",
            "systems": [], "ner": None, "ner_blis": None, "costs": None, "ratios": {}, "long": None,
        }
        repeated = [name for name in systems if name != "costs"]       # (e) runs once, with rounds of its own
        runs: dict[str, list[dict]] = {name: [] for name in repeated}
        rounds = max(1, self.args.repeat)
        texts = (measure.article_texts(measure.keyed_articles(messages, self.args.accurate_articles, "ner"),
                                       self.settings.pipeline) if set(systems) & set(NER_BOUNDS) else [])
        if "costs" in systems:
            values = [m.value for m in messages[:self.args.accurate_articles]]
            log.info("bench: CPU of each step over %d distinct articles, one process, no Kafka", len(values))
            results["costs"] = await asyncio.get_running_loop().run_in_executor(
                None, measure.measure_costs, values, 1 if self.args.quick else COST_ROUNDS)
        for r in range(rounds):               # interleaved, so that the machine's drift touches every system alike
            for name in repeated:
                if name in NER_BOUNDS:
                    log.info("bench: %s bound on %d texts, %d processes (round %d/%d)", name, len(texts),
                             self.processes, r + 1, rounds)
                    ner = await asyncio.get_running_loop().run_in_executor(
                        None, measure.measure_ner_bound, texts, self.processes, 16, NER_BOUNDS[name][1])
                    runs[name].append(dataclasses.asdict(ner))
                else:
                    n = self.args.accurate_articles if name == "accurate" else self.args.articles
                    log.info("bench: %s on %d articles (round %d/%d)", name, n, r + 1, rounds)
                    runs[name].append(await self.measure_system(name, messages, n, r))
        for name in repeated:
            chosen = median_run(runs[name])
            if name in NER_BOUNDS:
                results[NER_BOUNDS[name][0]] = chosen
            else:
                results["systems"].append(chosen)
        results["rounds"] = rounds
        if self.args.long:
            results["long"] = await self.long_run(messages, self.args.long, self.args.long_mode,
                                                  self.args.long_unseen_words)
        results["ratios"] = ratios(results)
        results["machine"] = report.machine_description()
        return results

    # --- one system: start it, drain, paced load, scrape, stop ------------------------------------

    async def measure_system(self, name: str, messages, n: int, round_: int = 0) -> dict:
        prefix = f"{self.run_id}-{name}" + (f"-r{round_}" if round_ else "")
        articles = measure.keyed_articles(messages, n, f"{prefix}-d")
        if name in PASSTHROUGHS:
            source, finals, firsts, dlq = f"{prefix}.in", [f"{prefix}.out"], [f"{prefix}.out"], None
        else:
            env = worker_env(self.settings, prefix, name, self.processes)
            source, finals, firsts, dlq = (env["NEWSSTREAMS_TOPICS_RAW"], [env["NEWSSTREAMS_TOPICS_ENRICHED"]],
                                           [env["NEWSSTREAMS_TOPICS_PARSED"]], env["NEWSSTREAMS_TOPICS_DLQ"])
        state: dict = {}

        def start_system():
            child = self.start_system(name, prefix, source, finals[0])
            sampler = measure.TreeSampler([child.process.pid]).start()
            state.update(child=child, sampler=sampler)
            return sampler, child.alive

        out = {"name": name, "label": LABELS[name], "articles": n}
        try:
            drain = await measure.measure_drain(self.settings, source, finals, firsts, dlq, articles, start_system,
                                                self.args.timeout, broker_pid=self.broker_pid)
            out["drain"] = dataclasses.asdict(drain)
            child, sampler = state["child"], state["sampler"]
            after_drain = measure.stage_totals(child.metrics()) if child.metrics_port else None
            if after_drain is not None:
                out["stages"] = measure.stage_means(after_drain)
            if drain.rate > 0 and child.alive():
                rate = self.args.load_fraction * drain.rate
                count = max(10, min(n, int(rate * self.args.latency_seconds)))
                paced = measure.keyed_articles(messages, count, f"{prefix}-l")
                latency = await measure.measure_latency(self.settings, source, finals, paced, rate, sampler,
                                                        self.args.latency_grace, child.alive)
                out["latency"] = dataclasses.asdict(latency)
                if child.metrics_port:
                    out["stages_latency_phase"] = measure.stage_means(measure.stage_totals(child.metrics()),
                                                                      after_drain)
            if not child.alive():
                out["error"] = f"{name} exited with {child.process.returncode}"
        except Exception as e:        # one system failing must not lose the others' results
            log.exception("bench: %s failed", name)
            out["error"] = f"{type(e).__name__}: {e}"
            out.setdefault("drain", {"articles": n, "delivered": 0, "timed_out": True})
        finally:
            if "sampler" in state:
                state["sampler"].stop()
            if "child" in state:
                state["child"].stop()
                self.children.remove(state["child"])
        return out

    def start_system(self, name: str, prefix: str, source: str, target: str) -> measure.Child:
        log_path = self.workdir / f"{name}.log"
        if name in PASSTHROUGHS:
            argv = [sys.executable, "-m", "streams.bench.passthrough", name, "--broker", self.settings.bootstrap_servers,
                    "--input", source, "--output", target, "--group", f"{prefix}-group"]
            child = measure.Child.start(name, argv, dict(os.environ), log_path, cwd=REPO)
            self.children.append(child)
            child.wait_ready("ready" if name == "aiokafka" else "Worker ready", timeout=120)
            return child
        port = free_port()
        env = dict(os.environ, **worker_env(self.settings, prefix, name, self.processes),
                   NEWSSTREAMS_METRICS_PORT=str(port), NEWSSTREAMS_METRICS_BIND="127.0.0.1")
        child = measure.Child.start(name, [sys.executable, "-m", "streams", "worker"], env, log_path, cwd=REPO,
                                    metrics_port=port)
        self.children.append(child)
        child.wait_ready("Worker ready", timeout=300)
        return child

    # --- --long: memory over many articles -----------------------------------------------------------

    async def long_run(self, messages, n: int, mode: str = "fast", unseen_words: int = 0) -> dict:
        prefix = f"{self.run_id}-long"
        env = worker_env(self.settings, prefix, mode, self.processes)
        source, finals = env["NEWSSTREAMS_TOPICS_RAW"], [env["NEWSSTREAMS_TOPICS_ENRICHED"], env["NEWSSTREAMS_TOPICS_DLQ"]]
        await ensure_topics(self.settings, finals + [source])
        reader = await measure.Reader(self.settings, finals, keep=False,
                                      fetch_wait_ms=measure.DRAIN_FETCH_WAIT_MS).start()
        child = self.start_system(mode, prefix, source, finals[0])
        chunk = max(100, min(2000, n // 20))
        bound = self.settings.pipeline.dedupe_max_articles     # the worker inherits the same environment
        samples, published, started = [], 0, time.monotonic()
        next_sample, floor = 0, None
        try:
            while True:
                done = reader.count(finals)
                tree = measure.process_tree([child.process.pid])
                tree_rss = sum(r for _c, r in tree.values())
                floor = tree_rss if floor is None else min(floor, tree_rss)
                if done >= next_sample or done >= n:
                    samples.append({"done": done, "elapsed": time.monotonic() - started, "tree_rss": tree_rss,
                                    "tree_floor": floor, "main_rss": tree.get(child.process.pid, (0, 0))[1]})
                    next_sample, floor = done + max(1, n // 20), None
                if done >= n or not child.alive() or time.monotonic() - started > self.args.long_timeout:
                    break
                if published < n and published - done < chunk:
                    batch = measure.keyed_articles(messages, min(chunk, n - published), prefix, unseen_words,
                                                   start=published)
                    await measure.publish_all(self.settings, source, batch)
                    published += len(batch)
                await asyncio.sleep(0.5)
        finally:
            await reader.stop()
            child.stop()
            self.children.remove(child)
        novelty = (f"every article ends with {unseen_words} made-up names that no other article has, so new words "
                   "keep coming as in a live stream (spaCy would keep every new string for good without its memory "
                   "zones, streams/spacy_memory.py)" if unseen_words else "no made-up words were added")
        return {"articles": n, "mode": mode, "unseen_words": unseen_words, "samples": samples,
                "note": f"{samples[-1]['done'] if samples else 0} done in {time.monotonic() - started:.0f} s; "
                        "RSS read from /proc; the near-duplicate index, the one state that grows with the articles, "
                        f"is bounded to {bound:,} articles (pipeline.dedupe_max_articles). The corpus cycles its "
                        f"{len(messages)} texts; {novelty}."}


def worker_env(settings, prefix: str, mode: str, processes: int) -> dict[str, str]:
    """The worker's own topics and consumer group (the names tests/integration/conftest.py Stack.env uses)."""
    return {
        "NEWSSTREAMS_BROKER": settings.bootstrap_servers, "NEWSSTREAMS_APP_ID": f"{prefix}-app",
        "NEWSSTREAMS_TOPICS_RAW": f"{prefix}.raw", "NEWSSTREAMS_TOPICS_PARSED": f"{prefix}.parsed",
        "NEWSSTREAMS_TOPICS_ENRICHED": f"{prefix}.enriched", "NEWSSTREAMS_TOPICS_DLQ": f"{prefix}.dlq",
        "NEWSSTREAMS_TOPICS_CATEGORY_PREFIX": f"{prefix}.category.",
        "NEWSSTREAMS_TOPICS_PARTITIONS": str(settings.topics.partitions),
        "NEWSSTREAMS_PIPELINE_MODE": mode, "NEWSSTREAMS_PIPELINE_PROCESSES": str(processes),
    }


def ratios(results: dict) -> dict:
    rate = {s["name"]: (s.get("drain") or {}).get("rate") for s in results["systems"]}
    p99 = {s["name"]: (s.get("latency") or {}).get("p99") for s in results["systems"]}
    ner = (results.get("ner") or {}).get("rate")
    out = {}
    if rate.get("fast") and rate.get("aiokafka"):
        out["fast_vs_ceiling"] = rate["fast"] / rate["aiokafka"]
    if rate.get("faust") and rate.get("aiokafka"):
        out["faust_vs_ceiling"] = rate["faust"] / rate["aiokafka"]
    if rate.get("faust-batch") and rate.get("aiokafka"):
        out["faust_batch_vs_ceiling"] = rate["faust-batch"] / rate["aiokafka"]
    if rate.get("accurate") and ner:
        out["accurate_vs_ner"] = rate["accurate"] / ner
    cpu = {s["name"]: _cpu_per_article(s.get("drain") or {}) for s in results["systems"]}
    ner_cpu = _cpu_per_article(results.get("ner") or {}, "articles")
    if cpu.get("fast") and cpu.get("aiokafka"):
        out["fast_vs_ceiling_cpu"] = cpu["aiokafka"] / cpu["fast"]
    if cpu.get("accurate") and ner_cpu:
        out["accurate_vs_ner_cpu"] = ner_cpu / cpu["accurate"]
    ner_blis = (results.get("ner_blis") or {}).get("rate")
    if rate.get("accurate") and ner_blis:
        out["accurate_vs_ner_blis"] = rate["accurate"] / ner_blis
    if ner and ner_blis:
        out["ner_vs_ner_blis"] = ner / ner_blis
    if p99.get("fast") is not None:
        out["fast_p99"] = p99["fast"]
    if p99.get("accurate") is not None:
        out["accurate_p99"] = p99["accurate"]
    return out


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput (the lower middle one of an even count), with every run's throughput
    under ``rates`` (in the order measured) so that the report can show the spread."""
    rates = [_run_rate(run) for run in runs]
    order = sorted(range(len(runs)), key=lambda i: rates[i])
    chosen = dict(runs[order[(len(runs) - 1) // 2]])
    chosen["rates"] = rates
    chosen["incomplete_runs"] = sum(bool((run.get("drain") or {}).get("timed_out")) for run in runs)
    return chosen


def _run_rate(run: dict) -> float:
    if "drain" in run:                     # a Kafka system
        return (run.get("drain") or {}).get("rate") or 0.0
    return run.get("rate") or 0.0          # a NER bound


def _cpu_per_article(d: dict, count: str = "delivered") -> float | None:
    """CPU seconds per article: what an article costs, whatever else shares the machine."""
    return d["cpu_seconds"] / d[count] if d.get("cpu_seconds") and d.get(count) else None


def command_line(args) -> str:
    parts = ["newsstreams bench", f"--articles {args.articles}", f"--accurate-articles {args.accurate_articles}",
             f"--load-fraction {args.load_fraction}", f"--latency-seconds {args.latency_seconds:g}"]
    if args.systems != ",".join(SYSTEMS):
        parts.append(f"--systems {args.systems}")
    if args.processes:
        parts.append(f"--processes {args.processes}")
    if args.corpus:
        parts.append("--corpus " + " ".join(args.corpus))
    if args.broker:
        parts.append(f"--broker {args.broker}")
    if args.repeat > 1:
        parts.append(f"--repeat {args.repeat}")
    if args.long:
        parts.append(f"--long {args.long} --long-mode {args.long_mode} --long-unseen-words {args.long_unseen_words}")
    if args.quick:
        parts.append("--quick")
    return " ".join(parts)


def _short(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return path


def main(argv: list[str] | None = None) -> int:
    """``python -m streams.bench`` (the same as ``newsstreams bench`` once the CLI wires it)."""
    from streams.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m streams.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config")
    parser.add_argument("--log-level", dest="log_level", default="info")
    add_bench_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    return run_bench(load_settings(args.config), args)
