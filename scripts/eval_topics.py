"""Score the shipped topic classifier (``classify_topics``) on fixed check splits it was never tuned on.

    .venv/bin/python scripts/eval_topics.py [--data ../shared/data/dev/topics] [--json out.json]

The splits are fixed rules, decided before any error was read, so that a later model is tuned on one
part and reported on the other:
- AG News (research-only: evaluation, never training): row index odd = check, even = tune. Coarse
  scoring as in docs/TOPICS.md: a predicted slug counts as the AG class that contains it.
- HuffPost: exactly the 15 % that scripts/train_topics.py held out from the shipped model (stratified by
  its weak-relabelled slug, seed 20240605), scored against the section's own slug (no weak relabelling),
  over the 14 slugs that a section maps to. A later model must hold out the same rows.
- The 60 bundled sample articles coded blind (tests/classify/data/sample60_topic_verdicts.json):
  agreement of the primary category with the verdict.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from sklearn.metrics import f1_score, recall_score  # noqa: E402

from streams.classify.topics import classify_topics  # noqa: E402
from train_topics import (AG_CLASS_OF_SLUG, AG_CLASSES, DEFAULT_DATA, HUFFPOST_TO_SLUG, ag_half,  # noqa: E402
                          huffpost_holdout, load_ag_news, load_huffpost)

VERDICTS = REPO / "tests" / "classify" / "data" / "sample60_topic_verdicts.json"
SAMPLE = REPO / "streams" / "data" / "samples" / "fakenewscorpus_sample.csv"


def ag_check(data: Path) -> dict:
    rows = ag_half(load_ag_news(data), check=True)
    true = [c for c, _, _ in rows]
    pred = [AG_CLASS_OF_SLUG[classify_topics(t, d)["category"]] for _, t, d in rows]
    recalls = recall_score(true, pred, labels=list(AG_CLASSES), average=None)
    return {"n": len(rows), "macro_f1": round(f1_score(true, pred, labels=list(AG_CLASSES), average="macro"), 3),
            "recall": {c: round(float(r), 3) for c, r in zip(AG_CLASSES, recalls)}}


def huffpost_check(data: Path) -> dict:
    rows = load_huffpost(data)
    _, held_out = huffpost_holdout(rows)
    true = [HUFFPOST_TO_SLUG[rows[i]["category"]] for i in held_out]
    pred = [classify_topics(rows[i]["headline"], "")["category"] for i in held_out]
    labels = sorted(set(true))
    return {"n": len(true), "labels": len(labels),
            "macro_f1": round(f1_score(true, pred, labels=labels, average="macro"), 3)}


def sample_agreement() -> dict:
    csv.field_size_limit(10**9)
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        articles = list(csv.DictReader(f))
    verdicts = json.loads(VERDICTS.read_text(encoding="utf-8"))["verdicts"]
    wrong = []
    for v in verdicts:
        article = articles[v["row"]]
        got = classify_topics(article["title"], article["content"])["category"]
        if got != v["primary"]:
            wrong.append({"row": v["row"], "title": v["title"][:70], "verdict": v["primary"], "model": got})
    clear = [v for v in verdicts if not v["unclear"]]
    wrong_rows = {w["row"] for w in wrong}
    return {"n": len(verdicts), "agree": len(verdicts) - len(wrong),
            "n_clear": len(clear), "agree_clear": sum(v["row"] not in wrong_rows for v in clear),
            "disagreements": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = {"ag_news_check": ag_check(args.data), "huffpost_check": huffpost_check(args.data),
              "sample60": sample_agreement()}
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
