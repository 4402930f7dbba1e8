"""Compare topic-classifier features on the TUNE parts only (docs/TOPICS.md, "what the tune half shows").

    .venv/bin/pip install scikit-learn tokenizers safetensors
    .venv/bin/python scripts/build_topic_vectors.py --out build/topic-vectors    # the static vectors
    .venv/bin/python scripts/explore_topic_features.py --vectors build/topic-vectors   # ~3 min

Tune parts (scripts/eval_topics.py holds the check parts, which this never reads):
- AG News even rows (research-only: scored, never trained on);
- HuffPost: the shipped model's training 85 %, index % 10 == 0 as the tune part, the rest for training;
- Wikinews (CC BY 2.5): ids with crc32 % 5 == 0 left out as a future check fifth; single-category rows only.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import zlib
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, recall_score
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_topics import (AG_CLASS_OF_SLUG, AG_CLASSES, DEFAULT_DATA, HUFFPOST_TO_SLUG,  # noqa: E402
                          TOKEN_PATTERN, ag_half, huffpost_holdout, load_ag_news, load_huffpost)



def mean_vectors(texts: list[str], table: np.ndarray, tokenizer: Tokenizer) -> np.ndarray:
    """Normalised mean of the static vectors of each text's WordPiece tokens (zeros for none)."""
    out = np.zeros((len(texts), table.shape[1]), np.float32)
    for i, enc in enumerate(tokenizer.encode_batch(texts, add_special_tokens=False)):
        if enc.ids:
            out[i] = table[enc.ids[:512]].mean(0)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--vectors", type=Path, required=True, help="folder with vectors.npz and tokenizer.json")
    parser.add_argument("--title-weight", type=float, default=0.3)
    args = parser.parse_args()
    table = np.load(args.vectors / "vectors.npz")["vectors"].astype(np.float32)
    tokenizer = Tokenizer.from_file(str(args.vectors / "tokenizer.json"))
    tokenizer.no_truncation()

    def article(titles: list[str], bodies: list[str]) -> np.ndarray:
        a = args.title_weight * mean_vectors(titles, table, tokenizer) + \
            (1 - args.title_weight) * mean_vectors(bodies, table, tokenizer)
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-9)

    rows = load_huffpost(args.data)
    texts = [r["headline"] for r in rows]
    slugs = [HUFFPOST_TO_SLUG[r["category"]] for r in rows]
    train85 = np.sort(huffpost_holdout(rows)[0])
    hp_tune, hp_train = train85[train85 % 10 == 0], train85[train85 % 10 != 0]
    with gzip.open(args.data / "wikinews_politics_economy" / "wikinews_politics_economy.jsonl.gz", "rt") as f:
        wikinews = [r for r in map(json.loads, f)
                    if len(r["categories"]) == 1 and zlib.crc32(r["id"].encode()) % 5 != 0]
    wn_slugs = ["economy" if r["categories"][0] == "Economy_and_business" else "politics" for r in wikinews]
    ag = ag_half(load_ag_news(args.data), check=False)
    ag_true = [c for c, _, _ in ag]

    static_hp = mean_vectors(texts, table, tokenizer)
    static_ag = article([t for _, t, _ in ag], [d for _, _, d in ag])
    static_wn = article([r["title"] for r in wikinews], [r["text"][:2000] for r in wikinews])
    tfidf = TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), min_df=2, max_features=40_000,
                            sublinear_tf=True).fit([texts[i] for i in hp_train])
    tfidf_hp, tfidf_ag = tfidf.transform(texts), tfidf.transform([f"{t}. {d}" for _, t, d in ag])
    y_train = [slugs[i] for i in hp_train]
    centroid = {s: static_hp[[i for i in hp_train if slugs[i] == s]].mean(0) for s in ("economy", "technology")}
    not_tech = np.array([s != "economy" or v @ centroid["technology"] <= v @ centroid["economy"]
                         for v, s in zip(static_wn, wn_slugs)])

    def both(scale: float):
        return (sparse.hstack([tfidf_hp * scale, sparse.csr_matrix(static_hp)]).tocsr(),
                sparse.hstack([tfidf_ag * scale, sparse.csr_matrix(static_ag)]).tocsr())

    runs = [("TF-IDF 1-2 grams", tfidf_hp, tfidf_ag, None, 8.0),
            ("static vectors", static_hp, static_ag, None, 1.0),
            ("static + Wikinews", static_hp, static_ag, (static_wn, wn_slugs), 1.0),
            ("static + Wikinews, tech-near economy dropped", static_hp, static_ag,
             (static_wn[not_tech], [s for s, k in zip(wn_slugs, not_tech) if k]), 1.0),
            ("TF-IDF + static", *both(1.0), None, 4.0),
            ("TF-IDF x 0.5 + static", *both(0.5), None, 4.0)]
    print(f"title weight {args.title_weight}; AG tune n={len(ag)}, HuffPost tune n={len(hp_tune)}")
    for name, hp, agx, extra, c in runs:
        features, labels = hp[hp_train], list(y_train)
        if extra is not None:
            features, labels = np.vstack([features, extra[0]]), labels + list(extra[1])
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(features, labels)
        ag_pred = [AG_CLASS_OF_SLUG[s] for s in model.predict(agx)]
        recall = recall_score(ag_true, ag_pred, labels=list(AG_CLASSES), average=None)
        hp_f1 = f1_score([slugs[i] for i in hp_tune], model.predict(hp[hp_tune]), average="macro")
        print(f"{name:48s} AG tune {f1_score(ag_true, ag_pred, labels=list(AG_CLASSES), average='macro'):.3f} "
              f"recall {' / '.join(f'{r:.2f}' for r in recall)} | HuffPost tune {hp_f1:.3f}", flush=True)


if __name__ == "__main__":
    main()
