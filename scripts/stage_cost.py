"""CPU milliseconds per article of the pipeline's stages, in one process, no Kafka: what an optimisation of the
extractors changes, measured without the broker's and the machine's noise (CPU time, not wall time).

    python scripts/stage_cost.py [--mode fast|accurate] [--rounds 3] [PATH ...]

Parses the corpus (default: the bundled FakeNewsCorpus sample), then enriches and classifies it in batches of 16
(as the pool does), and prints the best of ``--rounds`` for each stage. With ``--mode accurate`` it also times
spaCy's NER pipe alone over the same texts: the bound accurate mode is judged against.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import orjson

from streams.inputs import read_messages
from streams.pipeline import Item, enrich_batch, parse_batch
from streams.settings import Pipeline

REPO = Path(__file__).resolve().parents[1]


def best_of(rounds: int, fn) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=[str(REPO / "streams" / "data" / "samples")])
    parser.add_argument("--mode", default="fast", choices=("fast", "accurate"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    limits = Pipeline()
    items = [Item(value=m.value, timestamp=time.time()) for m in read_messages(args.paths)]
    parsed = [o for o in parse_batch(items, limits) if o.ok]
    enrich_batch([Item(value=o.value) for o in parsed[:4]], args.mode, limits)      # load models, warm caches
    n = len(parsed)
    parse_s = best_of(args.rounds, lambda: parse_batch(items, limits))
    batches = [[Item(value=o.value) for o in parsed[i:i + 16]] for i in range(0, n, 16)]
    enrich_s = best_of(args.rounds, lambda: [enrich_batch(b, args.mode, limits) for b in batches])
    line = (f"{args.mode}: {n} articles; CPU ms/article: parse {1000 * parse_s / len(items):.1f}, "
            f"enrich+classify {1000 * enrich_s / n:.1f}, total {1000 * (parse_s / len(items) + enrich_s / n):.1f}")
    if args.mode == "accurate":
        from streams.enrich.entities import load_ner_model

        nlp = load_ner_model()
        texts = [orjson.loads(o.value)["text"] for o in parsed]
        ner_s = best_of(args.rounds, lambda: list(nlp.pipe(texts, batch_size=16)))
        line += f"; NER pipe alone {1000 * ner_s / n:.1f} (ratio {ner_s / (parse_s * n / len(items) + enrich_s):.2f})"
    print(line)


if __name__ == "__main__":
    main()
