"""(e) Where an article's CPU goes: every step of the pipeline timed on its own, in one process, no Kafka.

The Kafka systems of the bench say how fast; this says why. It parses a set of distinct articles, then enriches
and classifies them in batches of 16 (as the pool does), with each function that ``enrich_article``,
``find_mentions`` and ``classify_article`` call timed on its own: exclusive CPU time, so a step called inside another
(geocoding inside the relabelling of mentions) counts once, for itself. In accurate mode it also times spaCy's NER
pipe alone over the same texts, the work of the NER bound (c), so that the report can set the CPU the 0.9x target
leaves beside the model against what the other steps take (one pass, as (c) makes).

    python -m streams.bench.costs [--mode fast accurate] [--rounds 3] [--articles N] [PATH ...]

CPU time (``time.process_time``), best of ``--rounds``: it moves less with the machine's load than wall time does.
The timing wraps the module attributes the pipeline calls and puts them back afterwards; the pipeline's code is not
changed for it.
"""
from __future__ import annotations

import argparse
import importlib
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import orjson

# (module, attribute, what it does): every function the batch path calls that does an extractor's work. A step the
# mode does not use stays at 0 (fast mode never calls the NER model, accurate mode never the dictionaries).
STEPS = (
    ("streams.enrich.article", "ner_mentions",
     "NER: spaCy over the batch (memory zones, case restoration, corrections)"),
    ("streams.enrich.article", "dictionary_mentions", "names from the bundled dictionaries (fast mode's NER)"),
    ("streams.enrich.article", "find_place_mentions", "place names from the gazetteer (fast mode's NER)"),
    ("streams.pipeline", "find_mentions", "mentions: cleaning and relabelling"),
    ("streams.enrich.article", "resolve_places", "places: geocoding"),
    ("streams.enrich.article", "resolve_dates", "dates"),
    ("streams.enrich.article", "extract_quotes", "quotes (and the shared sentence split, which its first caller pays)"),
    ("streams.enrich.article", "extract_amounts", "amounts"),
    ("streams.enrich.article", "score_tone", "tone (VADER)"),
    ("streams.enrich.article", "extract_keywords", "keywords"),
    ("streams.classify.article", "classify_topics", "topics"),
    ("streams.pipeline", "parse_event_sentences", "events: parsing the candidate sentences (one pass a batch)"),
    ("streams.classify.article", "extract_events", "events: coding the parsed sentences"),
)
BATCH = 16            # articles an enrich call gets, as the pool's chunks


class StepTimer:
    """Exclusive CPU seconds of wrapped functions: a wrapped call inside another is taken out of the outer one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._inner: list[float] = []        # per open call: CPU seconds of the wrapped calls made inside it

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            self._inner.append(0.0)
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.process_time() - started
                self.seconds[name] += elapsed - self._inner.pop()
                if self._inner:
                    self._inner[-1] += elapsed
        timed.__wrapped__ = fn
        return timed


@contextmanager
def timed_steps(timer: StepTimer, steps=STEPS):
    """Within the block, each (module, attribute) of ``steps`` is ``timer``-wrapped; put back afterwards. An attribute
    that no longer exists raises AttributeError: the list must follow the pipeline (tests/test_bench.py checks)."""
    originals = []
    try:
        for module_name, attr, _ in steps:
            module = importlib.import_module(module_name)
            original = getattr(module, attr)
            originals.append((module, attr, original))
            setattr(module, attr, timer.wrap(attr, original))
        yield timer
    finally:
        for module, attr, original in reversed(originals):
            setattr(module, attr, original)


def measure_costs(values: list[bytes], modes=("fast", "accurate"), rounds: int = 3) -> dict:
    """Per-article CPU of each step over the raw messages ``values`` (best of ``rounds``, the round with the lowest
    enrich + classify total), and of spaCy's NER pipe alone (one pass) when accurate mode is among ``modes``."""
    from streams.pipeline import Item, enrich_batch, parse_batch
    from streams.settings import Pipeline

    limits = Pipeline()
    items = [Item(value=v, timestamp=time.time()) for v in values]
    parsed = [o.value for o in parse_batch(items, limits) if o.ok]     # untimed: loads what parsing loads lazily
    parse_s = _best(rounds, lambda: parse_batch(items, limits))
    n = len(parsed)
    batches = [[Item(value=v) for v in parsed[i:i + BATCH]] for i in range(0, n, BATCH)]
    out: dict = {"articles": n, "messages": len(values), "rounds": rounds, "modes": {}, "ner_alone": None}
    for mode in modes:
        for batch in batches:               # untimed: loads the models and tables, fills the caches, as in a worker
            enrich_batch(batch, mode, limits)
        best = None
        for _ in range(rounds):
            timer = StepTimer()
            with timed_steps(timer):
                started = time.process_time()
                for batch in batches:
                    enrich_batch(batch, mode, limits)
                total = time.process_time() - started
            if best is None or total < best[0]:
                best = (total, dict(timer.seconds))
        total, steps = best if best else (0.0, {})
        per = 1000 / max(1, n)
        # CPU milliseconds an article: parsing, each step, the rest of enrich + classify (JSON in and out, building
        # the records), and enrich + classify in all
        out["modes"][mode] = {"mode": mode, "parse": 1000 * parse_s / max(1, len(values)),
                              "steps": {attr: steps.get(attr, 0.0) * per for _, attr, _ in STEPS},
                              "rest": (total - sum(steps.values())) * per, "total": total * per}
    if "accurate" in modes and parsed:
        from streams.enrich.entities import load_ner_model

        out["ner_alone"] = ner_pipe_ms(load_ner_model(), [orjson.loads(v)["text"] for v in parsed])
    return out


def ner_pipe_ms(nlp, texts: list[str]) -> float:
    """CPU milliseconds an article of spaCy's pipe over ``texts``, in one pass, as the bound (c) makes one: from a
    second pass over the same texts on, spaCy's tokenizer would find every chunk in its cache (which the pipeline's
    memory zones never let it fill), flattering the bound."""
    started = time.process_time()
    for _ in nlp.pipe(texts, batch_size=BATCH):
        pass
    return 1000 * (time.process_time() - started) / max(1, len(texts))


def _best(rounds: int, fn) -> float:
    times = []
    for _ in range(max(1, rounds)):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return min(times)


def labels() -> dict[str, str]:
    return {attr: label for _, attr, label in STEPS}


def main(argv: list[str] | None = None) -> None:
    from streams.inputs import read_messages

    parser = argparse.ArgumentParser(prog="python -m streams.bench.costs", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=[str(Path(__file__).resolve().parents[1] / "data" / "samples")])
    parser.add_argument("--mode", nargs="+", default=["fast", "accurate"], choices=("fast", "accurate"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--articles", type=int, default=0, help="first N messages only (0: all)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args(argv)
    values = [m.value for m in read_messages(args.paths)]
    if args.articles:
        values = values[:args.articles]
    result = measure_costs(values, tuple(args.mode), args.rounds)
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return
    from streams.bench.report import render_costs

    print("\n".join(render_costs(result)))


if __name__ == "__main__":
    main()
