"""``newsstreams bench``: the report's structure (never its timings, which depend on the machine).

The smoke test runs the real thing on the real embedded broker with a tiny corpus: the aiokafka ceiling
(a subprocess, drain + paced latency) and the NER bound (a process pool). Worker start-up costs ~40 s on a
loaded 2-core machine, so the worker rows are checked through ``report.render`` on recorded results instead.
"""
from __future__ import annotations

import argparse

import orjson
import pytest
from prometheus_client import generate_latest

from streams import metrics
from streams.bench import add_bench_arguments, measure, report, run_bench
from streams.settings import load_settings


def bench_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_bench_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_quick_bench_writes_a_report_with_every_section(tmp_path):
    out, raw = tmp_path / "BENCHMARKS.md", tmp_path / "bench.json"
    out.write_text("# Benchmarks\n\nHand-written history that a rerun must keep.\n")
    args = bench_args("--quick", "--systems", "aiokafka,ner,ner-blis,costs", "--processes", "1", "--repeat", "2",
                      "--output", str(out), "--json", str(raw))

    assert run_bench(load_settings(env={}), args) == 0

    results = orjson.loads(raw.read_bytes())
    (ceiling,) = results["systems"]
    assert ceiling["name"] == "aiokafka" and "error" not in ceiling
    assert ceiling["drain"]["delivered"] == ceiling["articles"] == 40
    assert results["rounds"] == 2 and len(ceiling["rates"]) == 2 and ceiling["incomplete_runs"] == 0
    assert ceiling["drain"]["rate"] in ceiling["rates"] and len(results["ner"]["rates"]) == 2
    assert ceiling["drain"]["rate"] > 0 and ceiling["drain"]["peak_rss_bytes"] > 0
    assert ceiling["drain"]["broker_cpu_seconds"] >= 0         # measured (the embedded broker; 10 ms ticks)
    latency = ceiling["latency"]
    assert latency["received"] == latency["sent"] > 0
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert results["ner"]["articles"] > 0 and results["ner"]["rate"] > 0
    ner, plain = results["ner"], results["ner_blis"]          # the model as we load it, and as spaCy does
    assert ner["openblas"] and not plain["openblas"]
    assert ner["articles"] == plain["articles"] and ner["entities"] == plain["entities"] > 0
    assert results["ratios"]["ner_vs_ner_blis"] > 0
    assert results["machine"]["cores"] and results["machine"]["libraries"]["spacy"]
    costs = results["costs"]                                   # (e): once, not per round
    assert costs["articles"] == 12 and costs["rounds"] == 1 and costs["ner_alone"] > 0
    steps = {mode: costs["modes"][mode]["steps"] for mode in ("fast", "accurate")}
    assert steps["accurate"]["ner_mentions"] > 0 and steps["fast"]["ner_mentions"] == 0

    text = out.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written history that a rerun must keep.")
    assert text.count(report.BEGIN) == 1 and text.count(report.END) == 1
    for expected in ("- Command: `newsstreams bench", "--repeat 2", "measured 2 times, in interleaved rounds",
                     "(a) ceiling", "(c) NER bound", "(c') for reference",
                     "### (e) Where an article's CPU goes", "### Against the targets"):
        assert expected in text


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_the_batched_faust_passthrough_delivers_every_article(tmp_path):
    """(b') is a real Faust worker batched as the worker's agents are: as many articles come out as went in."""
    raw = tmp_path / "bench.json"
    args = bench_args("--quick", "--systems", "aiokafka,faust-batch", "--output", str(tmp_path / "B.md"),
                      "--json", str(raw))

    assert run_bench(load_settings(env={}), args) == 0

    results = orjson.loads(raw.read_bytes())
    batched = next(s for s in results["systems"] if s["name"] == "faust-batch")
    assert "error" not in batched and batched["label"].startswith("(b')")
    assert batched["drain"]["delivered"] == batched["articles"] == 40 and not batched["drain"]["timed_out"]
    assert batched["latency"]["received"] == batched["latency"]["sent"] > 0
    assert results["ratios"]["faust_batch_vs_ceiling"] > 0
    assert "(b') Faust agent batched as the worker's / (a) ceiling" in (tmp_path / "B.md").read_text()


def test_a_rerun_replaces_only_the_generated_part(tmp_path):
    path = tmp_path / "B.md"
    path.write_text(f"# B\n\nbefore\n\n{report.BEGIN}\nold numbers\n{report.END}\n\n## Optimisations\n\nafter\n")
    report.write_report(path, f"{report.BEGIN}\nnew numbers\n{report.END}\n")
    text = path.read_text()
    assert "new numbers" in text and "old numbers" not in text
    assert text.index("before") < text.index("new numbers") < text.index("## Optimisations")


def test_report_shows_worker_stages_ratios_and_memory():
    drain = {"articles": 100, "delivered": 100, "dead_letters": 0, "seconds": 10.0, "rate": 10.0,
             "cpu_seconds": 15.0, "peak_rss_bytes": 900 * 2**20, "timed_out": False}
    latency = {"offered_rate": 5.0, "sent": 50, "received": 50, "p50": 0.4, "p95": 0.8, "p99": 0.9, "max": 1.0}
    results = {
        "date": "2026-01-01 00:00 UTC", "command": "newsstreams bench --quick", "note": "noisy", "broker": "embedded",
        "partitions": 4, "processes": 2, "fraction": 0.5, "load_before": [1.0, 1.0, 1.0], "corpus": "sample",
        "machine": report.machine_description(),
        "systems": [
            {"name": "aiokafka", "label": "(a) ceiling", "articles": 100,
             "drain": dict(drain, rate=1000.0, main_cpu_seconds=0.5),
             "latency": latency},
            {"name": "fast", "label": "(d) fast", "articles": 100, "drain": dict(drain, broker_cpu_seconds=0.3),
             "latency": latency,
             "stages": {"parse": 0.01, "enrich": 0.05, "classify": 0.03, "route": 0.0001}},
        ],
        "ner": {"articles": 100, "processes": 2, "batch_size": 16, "rate": 20.0, "cpu_seconds": 9.0,
                "peak_rss_bytes": 2**28},
        "ner_blis": {"articles": 100, "processes": 2, "batch_size": 16, "rate": 12.5, "cpu_seconds": 15.0,
                     "peak_rss_bytes": 2**28},
        "ratios": {"fast_vs_ceiling": 0.01, "fast_p99": 0.9, "ner_vs_ner_blis": 1.6},
        "long": {"articles": 1000, "mode": "fast", "note": "n", "samples": [
            {"done": 0, "elapsed": 0.0, "tree_rss": 2**30, "main_rss": 2**28},
            {"done": 500, "elapsed": 9.6, "tree_rss": 2**30 + 2**27, "tree_floor": 2**30, "main_rss": 2**28}]},
    }
    text = report.render(results)
    assert "| (d) fast | 100 | 10.0 | 0.01x | 5.0 | 400 ms | 800 ms | 900 ms | 50/50 | 150.0 | 3.0 | 900 MB |" in text
    assert "| 50/50 | 150.0 (5.0) | – | 900 MB |" in text      # the main process' share in brackets, when measured
    assert "| (d) fast | 10 ms | 50 ms | 30 ms | 0.1 ms | 90 ms | 45 % |" in text
    assert "| fast mode / (a) ceiling, throughput | 0.01x | >= 0.5x | **no** |" in text
    assert "| fast mode p99 latency at the offered load | 900 ms | < 1 s | yes |" in text
    assert "### Resident memory over 1000 articles (fast mode worker)" in text
    assert "| 0 | 0 s | 1024 MB | – | 256 MB |" in text            # a report from before the lowest reading
    assert "| 500 | 10 s | 1152 MB | 1024 MB | 256 MB |" in text
    assert ("| (c') for reference: the same pipe as spaCy loads it by default (cython-blis), 2 processes, nlp.pipe "
            "batch 16, no Kafka | 100 | 12.5 | – | – | – | – | – | – | 150.0 | – | 256 MB |") in text
    assert "| (c) / (c'): what the OpenBLAS matrix products give the model alone | 1.60x | – | – |" in text


def test_stage_means_come_from_the_workers_histogram():
    before = measure.stage_totals(generate_latest().decode())
    for seconds in (0.01, 0.03):
        metrics.STAGE_DURATION.labels(stage="parse").observe(seconds)
    means = measure.stage_means(measure.stage_totals(generate_latest().decode()), before)
    assert means["parse"] == pytest.approx(0.02)


def test_articles_get_unique_ids_that_are_their_keys():
    from streams.inputs import Message

    messages = [Message(None, b"Some scraped text.", "a.txt"), Message(b"7", b'{"id": "7", "text": "x"}', "b.json")]
    articles = measure.keyed_articles(messages, 5, "p")
    assert [k for k, _ in articles] == [b"p-0", b"p-1", b"p-2", b"p-3", b"p-4"]
    assert [orjson.loads(v)["id"] for _, v in articles] == ["p-0", "p-1", "p-2", "p-3", "p-4"]
    assert orjson.loads(articles[2][1]) == {"id": "p-2", "text": "Some scraped text."}


def test_long_run_articles_carry_made_up_names_of_their_own():
    from streams.inputs import Message

    messages = [Message(None, b"Some scraped text.", "a.txt"), Message(None, b"<html><body><p>x</p></body></html>", "b"),
                Message(None, b'{"content": "c"}', "c.json")]
    articles = [orjson.loads(v) for _, v in measure.keyed_articles(messages, 6, "p", unseen_words=3, start=10)]
    assert [a["id"] for a in articles] == [f"p-{i}" for i in range(10, 16)]
    assert articles[2]["text"] == "Some scraped text.\n\nReporting by " + ", ".join(measure.unseen_names(12, 3)) + "."
    assert articles[0]["html"].endswith(f"<p>Reporting by {', '.join(measure.unseen_names(10, 3))}.</p></body></html>")
    assert articles[1]["content"].startswith("c\n\nReporting by ")
    names = [n for i in range(2000) for n in measure.unseen_names(i, 10)]
    assert len(set(names)) == len(names) == 20_000
    assert all(n.isalpha() and n[0].isupper() and n[1:].islower() for n in names)


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert [measure.percentile(values, q) for q in (50, 95, 99)] == [50.0, 95.0, 99.0]
    assert measure.percentile([], 50) is None


def test_the_median_run_is_reported_with_the_spread_of_all_runs():
    from streams.bench import median_run

    runs = [{"name": "fast", "drain": {"rate": r, "delivered": 10}} for r in (80.0, 100.0, 60.0)]
    chosen = median_run(runs)
    assert chosen["drain"]["rate"] == 80.0 and chosen["rates"] == [80.0, 100.0, 60.0]
    assert chosen["incomplete_runs"] == 0
    assert median_run(runs[:2])["drain"]["rate"] == 80.0              # an even count: the lower middle run
    bounds = [{"rate": 30.0}, {"rate": 20.0}]                          # NER bounds have their rate at the top
    assert median_run(bounds)["rate"] == 20.0
    timed_out = runs + [{"name": "fast", "drain": {"rate": 0.0, "timed_out": True}}]
    assert median_run(timed_out)["incomplete_runs"] == 1
    assert report._spread(chosen) == " (60.0–100.0)" and report._spread({"rates": [5.0]}) == ""
