"""The events check set: choose the sentences (a fixed rule), and score the coder against the gold codes.

    python scripts/events_checkset.py select [--out PATH]      # writes the sentences, no codes
    python scripts/events_checkset.py score [--part tune|check|all] [--gold PATH] [--show]

Selection (decided before any coding, never changed after): English sentences of 8-50 words from two pools,
the 250 FakeNewsCorpus articles (`content`, parsed as scraped text) and the English HTML pages of
../shared/data/dev/extraction and dev/dates (parsed by the product's HTML parse stage). From each pool, with
random.Random(SEED): N random sentences, and N "news-like" sentences (one capitalised word that is not the
first word, and "said"/"says" or a word ending in -ed). Near-identical sentences are kept once.

Split: a sentence is in the **tune** part when int(sha1(text), 16) % 3 == 0, else in the **check** part.
Errors are read and the coder tuned on the tune part only; docs/EVENTS.md reports the check part.

Gold codes (tests/classify/data/events_checkset.jsonl) were given by reading the CAMEO codebook 1.1b3, each
sentence coded by two coders who never saw the coder's output, then reconciled; see docs/EVENTS.md.
Scoring is the one in ../shared/data/dev/events/README.md: per sentence, the set of predicted root codes
against the set of gold root codes, micro precision / recall / F1.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = REPO / ".." / "shared" / "data"
GOLD = REPO / "tests" / "classify" / "data" / "events_checkset.jsonl"
SEED = 20
PER_POOL = {"corpus": 70, "pages": 50}      # random and news-like each
NEWSLIKE = re.compile(r"\b(said|says|\w{3,}ed)\b")


def part_of(text: str) -> str:
    return "tune" if int(hashlib.sha1(text.encode()).hexdigest(), 16) % 3 == 0 else "check"


def corpus_articles():
    from streams.errors import BadArticle
    from streams.parse.article import parse_article
    from streams.records import RawArticle

    csv.field_size_limit(10**9)
    with open(SHARED / "fakenewscorpus_sample.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                parsed = parse_article(RawArticle(format="text", text=row["content"]), ingested_at=0.0)
            except BadArticle:
                continue
            yield f"corpus:{row['id']}", parsed


def page_articles():
    from streams.errors import BadArticle
    from streams.parse.article import parse_article
    from streams.parse.html import decode_html
    from streams.records import RawArticle

    seen = set()
    for folder, index in (("extraction", "evaldata.json"), ("dates", "eval_default.json")):
        gold = json.loads((SHARED / "dev" / folder / index).read_text())
        for url, entry in sorted(gold.items()):
            name = entry.get("file")
            path = SHARED / "dev" / folder / "pages" / f"{name}.gz"
            if not name or name in seen or not path.exists():
                continue
            seen.add(name)
            html = decode_html(gzip.decompress(path.read_bytes()))
            try:
                parsed = parse_article(RawArticle(format="html", html=html, url=url), ingested_at=0.0)
            except BadArticle:
                continue
            yield f"page:{folder}/{name}", parsed


def sentences(pool):
    from streams.enrich.tone import sentence_spans

    for source, parsed in pool:
        if parsed.language != "en":
            continue
        for i, (start, end) in enumerate(sentence_spans(parsed.text)):
            text = " ".join(parsed.text[start:end].split())
            if 8 <= len(text.split()) <= 50:
                yield {"id": f"{source}#{i}", "text": text}


def newslike(text: str) -> bool:
    words = text.split()
    return any(w[:1].isupper() for w in words[1:]) and bool(NEWSLIKE.search(text))


def select() -> list[dict]:
    rng = random.Random(SEED)
    chosen, seen = [], set()
    for pool_name, pool in (("corpus", corpus_articles()), ("pages", page_articles())):
        found = list(sentences(pool))
        for kind, candidates in (("random", found), ("newslike", [s for s in found if newslike(s["text"])])):
            taken = 0
            for item in rng.sample(candidates, len(candidates)):
                key = re.sub(r"\W+", " ", item["text"].lower()).strip()
                if key in seen:
                    continue
                seen.add(key)
                chosen.append({**item, "pool": pool_name, "kind": kind, "part": part_of(item["text"])})
                taken += 1
                if taken == PER_POOL[pool_name]:
                    break
    return chosen


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def predicted_roots(text: str) -> set[str]:
    from streams.classify.events import extract_events

    return {event["root"] for event in extract_events(text)}


def score(items: list[dict], predict=predicted_roots, show: bool = False) -> dict:
    tp = fp = fn = 0
    for item in items:
        gold, got = set(item["roots"]), predict(item["text"])
        tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
        if show and gold != got:
            print(f"{item['id']}\n  gold {sorted(gold)} got {sorted(got)}\n  {item['text']}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"sentences": len(items), "gold": tp + fn, "predicted": tp + fp, "tp": tp,
            "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sel = sub.add_parser("select")
    sel.add_argument("--out", type=Path, default=Path("events_checkset_sentences.jsonl"))
    sc = sub.add_parser("score")
    sc.add_argument("--part", choices=("tune", "check", "all"), default="check")
    sc.add_argument("--gold", type=Path, default=GOLD)
    sc.add_argument("--show", action="store_true")
    args = parser.parse_args()
    if args.command == "select":
        chosen = select()
        args.out.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in chosen))
        parts = {p: sum(1 for c in chosen if c["part"] == p) for p in ("tune", "check")}
        print(f"{len(chosen)} sentences -> {args.out} {parts}")
    else:
        items = [g for g in load_gold(args.gold) if args.part == "all" or g["part"] == args.part]
        print(json.dumps({"part": args.part, **score(items, show=args.show)}))


if __name__ == "__main__":
    main()
