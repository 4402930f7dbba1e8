"""Score the shipped topic classifier (``classify_topics``) on fixed check splits it was never tuned on.

    .venv/bin/python scripts/eval_topics.py [--data ../shared/data/dev/topics] [--json out.json] [--baseline]

``--baseline`` scores, on the same items, the plain alternative the shipped model has to beat: scikit-learn's
LogisticRegression (balanced classes, C=1) on the same static article vectors, trained on the HuffPost
training rows alone (no seed examples, no Wikinews, no lexical model).

The splits are fixed rules, decided before any error was read, so that a later model is tuned on one
part and reported on the other:
- AG News (research-only: evaluation, never training): row index odd = check, even = tune. Coarse
  scoring as in docs/TOPICS.md: a predicted slug counts as the AG class that contains it.
- HuffPost: the frozen check rows (scripts/data/huffpost_check_rows.json: the 15 % the first, TF-IDF model
  held out), scored against the section's own slug over the 14 slugs that a section maps to. No model
  trains on them.
- Wikinews (CC BY 2.5): the check fifth (crc32(id) % 5 == 0) of the single-category articles, politics
  vs economy; a predicted slug counts as politics when it is politics or conflict (the Wikinews category
  is "Politics and conflicts") and as economy when it is economy, labour or technology.
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

from streams.classify import topics  # noqa: E402
from train_topics import (AG_CLASS_OF_SLUG, AG_CLASSES, DEFAULT_DATA, HUFFPOST_TO_SLUG, ag_half, fit,  # noqa: E402
                          huffpost_holdout, load_ag_news, load_huffpost, load_wikinews, vectors)

TUNE_LABELS = REPO / "tests" / "classify" / "data" / "sample190_topic_tune_labels.json"
VERDICTS = REPO / "tests" / "classify" / "data" / "sample60_topic_verdicts.json"
SAMPLE = REPO / "streams" / "data" / "samples" / "fakenewscorpus_sample.csv"


def shipped(title: str, text: str) -> str:
    return topics.classify_topics(title, text)["category"]


def plain_baseline(data: Path):
    """The plain alternative: the semantic model's logistic regression (train_topics.fit) on the static
    article vectors of the HuffPost training rows alone."""
    import numpy as np

    rows = load_huffpost(data)
    train_rows = huffpost_holdout(rows)[0]
    model = fit(vectors([(rows[i]["headline"], "") for i in train_rows]),
                np.array([HUFFPOST_TO_SLUG[rows[i]["category"]] for i in train_rows]), np.ones(len(train_rows)))
    return lambda title, text: str(model.predict(vectors([(title, text)]))[0])


def ag_check(data: Path, predict) -> dict:
    rows = ag_half(load_ag_news(data), check=True)
    true = [c for c, _, _ in rows]
    pred = [AG_CLASS_OF_SLUG[predict(t, d)] for _, t, d in rows]
    recalls = recall_score(true, pred, labels=list(AG_CLASSES), average=None)
    return {"n": len(rows), "macro_f1": round(f1_score(true, pred, labels=list(AG_CLASSES), average="macro"), 3),
            "recall": {c: round(float(r), 3) for c, r in zip(AG_CLASSES, recalls)}}


def huffpost_check(data: Path, predict) -> dict:
    rows = load_huffpost(data)
    _, held_out = huffpost_holdout(rows)
    true = [HUFFPOST_TO_SLUG[rows[i]["category"]] for i in held_out]
    pred = [predict(rows[i]["headline"], "") for i in held_out]
    labels = sorted(set(true))
    return {"n": len(true), "labels": len(labels),
            "macro_f1": round(f1_score(true, pred, labels=labels, average="macro"), 3)}


WIKINEWS_CLASS_OF_SLUG = {"politics": "politics", "conflict": "politics",
                          "economy": "economy", "labour": "economy", "technology": "economy"}


def wikinews_check(data: Path, predict) -> dict:
    rows = load_wikinews(data, check=True)
    true = [s for s, _, _ in rows]
    pred = [WIKINEWS_CLASS_OF_SLUG.get(predict(t, x), "other") for _, t, x in rows]
    recalls = recall_score(true, pred, labels=["politics", "economy"], average=None)
    return {"n": len(rows), "accuracy": round(sum(a == b for a, b in zip(true, pred)) / len(rows), 3),
            "recall": {"politics": round(float(recalls[0]), 3), "economy": round(float(recalls[1]), 3)}}


def sample_articles() -> list[dict]:
    """The 250 bundled FakeNewsCorpus rows, in file order (verdict and label files point at these rows)."""
    csv.field_size_limit(10**9)
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def sample_agreement(predict) -> dict:
    articles = sample_articles()
    verdicts = json.loads(VERDICTS.read_text(encoding="utf-8"))["verdicts"]
    wrong = []
    for v in verdicts:
        article = articles[v["row"]]
        got = predict(article["title"], article["content"])
        if got != v["primary"]:
            wrong.append({"row": v["row"], "title": v["title"][:70], "verdict": v["primary"], "model": got})
    clear = [v for v in verdicts if not v["unclear"]]
    wrong_rows = {w["row"] for w in wrong}
    return {"n": len(verdicts), "agree": len(verdicts) - len(wrong),
            "n_clear": len(clear), "agree_clear": sum(v["row"] not in wrong_rows for v in clear),
            "disagreements": wrong}


def sample_tune_agreement(predict) -> dict:
    """The other 190 sample articles (one coder): the TUNE part for full articles, printed on request only."""
    articles = sample_articles()
    labels = json.loads(TUNE_LABELS.read_text(encoding="utf-8"))["labels"]
    agree = [predict(articles[r["row"]]["title"], articles[r["row"]]["content"]) == r["primary"] for r in labels]
    return {"n": len(labels), "agree": sum(agree),
            "n_clear": sum(not r["unclear"] for r in labels),
            "agree_clear": sum(a for a, r in zip(agree, labels) if not r["unclear"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--baseline", action="store_true", help="score the plain alternative instead (needs sklearn)")
    parser.add_argument("--tune-sample", action="store_true",
                        help="also score the 190 other sample articles (a tune part: for reading errors, not a result)")
    args = parser.parse_args()
    predict = plain_baseline(args.data) if args.baseline else shipped
    report = {"model": "plain baseline" if args.baseline else "shipped",
              "ag_news_check": ag_check(args.data, predict), "huffpost_check": huffpost_check(args.data, predict),
              "wikinews_check": wikinews_check(args.data, predict), "sample60": sample_agreement(predict)}
    if args.tune_sample:
        report["sample190_tune"] = sample_tune_agreement(predict)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
