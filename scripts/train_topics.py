"""Train and export the IPTC topic classifier shipped in streams/data/topics/ (development time only).

    .venv/bin/pip install scikit-learn scipy        # training-only dependencies
    .venv/bin/python scripts/build_topic_vectors.py # once: the static token vectors (vectors.npz, vocab.txt)
    .venv/bin/python scripts/train_topics.py        # ~1 min: writes model.npz and model.json
    .venv/bin/python scripts/train_topics.py --tune # figures on the TUNE parts only; exports nothing

Every article is the vector ``streams.classify.topics.article_vector`` gives it (the same function the
worker runs), so training and serving cannot drift apart. Training data, all openly licensed:
1. HuffPost headlines (CC BY 4.0), every row except the frozen check split
   (``scripts/data/huffpost_check_rows.json``), labelled by their section's slug (HUFFPOST_TO_SLUG).
2. The seed examples in ``scripts/data/topic_seeds/`` (this project's own writing, Apache-2.0): news
   ledes written to the IPTC guideline in docs/TOPICS.md for all 18 slugs, the only source for the
   slugs no data set labels (conflict, disaster, labour, weather). Only the examples a blind second
   reading filed under the same slug are used (scripts/data/topic_seeds_second_reading.json: 2,194 of
   2,232 agree). Weight SEED_WEIGHT each.
3. Wikinews articles (CC BY 2.5; ../shared/data/dev/topics/wikinews_politics_economy), single-category
   rows outside the check fifth (crc32(id) % 5 == 0). Their two categories are coarse
   ("Politics and conflicts", "Economy and business"), so a first model (1 + 2) relabels an article
   to another slug its category may contain (RELABEL_TARGETS) when it gives that slug at least
   RELABEL_CONFIDENCE; the second model (1 + 2 + 3) is the one exported.
Two multinomial logistic regressions (balanced class weights) over the 18 slugs on the same rows: one
on the article vector (semantic), one on TF-IDF word 1-2 grams of ``topics.lexical_text`` (lexical).
Their logits are mixed as ``topics.LEXICAL_WEIGHT`` says; the softmax temperature of the mix is fitted
on 3-fold out-of-fold logits of the training rows. AG News is research-only: it is scored
(scripts/eval_topics.py: odd rows check; ``--tune`` here: even rows), never trained on.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, recall_score
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streams.classify import topics  # noqa: E402

SEED = 20240605
DEFAULT_DATA = REPO.parent / "shared" / "data" / "dev" / "topics"
OUT_DIR = REPO / "streams" / "data" / "topics"
SEEDS_DIR = REPO / "scripts" / "data" / "topic_seeds"
SEED_SECOND_READING = REPO / "scripts" / "data" / "topic_seeds_second_reading.json"
HUFFPOST_CHECK_ROWS = REPO / "scripts" / "data" / "huffpost_check_rows.json"

C = 1.0
LEXICAL_C = 8.0
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # words of 2+ letters; digits carry no topic
NGRAM_RANGE = (1, 2)
MIN_DF = 2
MAX_FEATURES = 40_000
SEED_WEIGHT = 5.0
WIKINEWS_WEIGHT = 1.0
RELABEL_CONFIDENCE = 0.6
TEMPERATURE_FOLDS = 3
# Which slugs a Wikinews category may hold besides its own: "Politics and conflicts" covers wars,
# crimes, disasters and strikes too; "Economy and business" the technology industry and labour.
RELABEL_TARGETS = {
    "politics": ("conflict", "crime", "disaster", "labour", "weather"),
    "economy": ("technology", "labour", "crime", "disaster"),
}

HUFFPOST_TO_SLUG = {
    "ARTS": "arts", "ARTS & CULTURE": "arts", "CULTURE & ARTS": "arts", "COMEDY": "arts",
    "ENTERTAINMENT": "arts", "MEDIA": "arts",
    "BUSINESS": "economy", "MONEY": "economy",
    "COLLEGE": "education", "EDUCATION": "education",
    "GREEN": "environment", "ENVIRONMENT": "environment",
    "WELLNESS": "health", "HEALTHY LIVING": "health",
    "WEIRD NEWS": "human_interest", "GOOD NEWS": "human_interest",
    "TRAVEL": "lifestyle", "STYLE & BEAUTY": "lifestyle", "STYLE": "lifestyle",
    "FOOD & DRINK": "lifestyle", "TASTE": "lifestyle", "HOME & LIVING": "lifestyle",
    "WEDDINGS": "lifestyle", "FIFTY": "lifestyle",
    "POLITICS": "politics", "WORLD NEWS": "politics", "WORLDPOST": "politics",
    "THE WORLDPOST": "politics",
    "RELIGION": "religion", "SCIENCE": "science", "TECH": "technology", "SPORTS": "sport",
    "CRIME": "crime",
    "PARENTING": "society", "PARENTS": "society", "QUEER VOICES": "society",
    "BLACK VOICES": "society", "LATINO VOICES": "society", "WOMEN": "society",
    "IMPACT": "society", "DIVORCE": "society",
}
AG_TO_SLUG = {"World": "politics", "Sports": "sport", "Business": "economy", "Sci/Tech": "technology"}
AG_CLASSES = tuple(AG_TO_SLUG)
# For the coarse AG evaluation: which slugs fall inside each AG class.
AG_CLASS_OF_SLUG = {
    "politics": "World", "conflict": "World", "crime": "World", "disaster": "World",
    "religion": "World", "society": "World", "weather": "World", "environment": "World",
    "human_interest": "World", "education": "World",
    "sport": "Sports",
    "economy": "Business", "labour": "Business",
    "technology": "Sci/Tech", "science": "Sci/Tech", "health": "Sci/Tech",
    "arts": "other", "lifestyle": "other",
}


def load_huffpost(data_dir: Path) -> list[dict]:
    with gzip.open(data_dir / "huffpost_news_category_subset.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def clean_ag_text(text: str) -> str:
    """Undo AG News conventions: backslash line breaks and HTML entity remnants."""
    for old, new in (("\\", " "), ("#39;", "'"), (" quot;", '"'), ("quot;", '"'), ("&lt;", "<"),
                     ("&gt;", ">"), ("&amp;", "&"), ("#36;", "$"), ("amp;", "&")):
        text = text.replace(old, new)
    return text


def load_ag_news(data_dir: Path) -> list[tuple[str, str, str]]:
    """(AG class name, title, description) rows."""
    names = [n for n in (data_dir / "ag_news_classes.txt").read_text().splitlines() if n.strip()]
    with gzip.open(data_dir / "ag_news_train_subset.csv.gz", "rt", encoding="utf-8") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    return [(names[int(c) - 1], clean_ag_text(t), clean_ag_text(d)) for c, t, d in rows]


def load_wikinews(data_dir: Path, check: bool) -> list[tuple[str, str, str]]:
    """(slug, title, text) of the single-category Wikinews articles in the check fifth or outside it."""
    path = data_dir / "wikinews_politics_economy" / "wikinews_politics_economy.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [("economy" if r["categories"][0] == "Economy_and_business" else "politics", r["title"], r["text"])
            for r in rows
            if len(r["categories"]) == 1 and (zlib.crc32(r["id"].encode()) % 5 == 0) == check]


def load_seeds(seeds_dir: Path = SEEDS_DIR, agreed_only: bool = True) -> list[dict]:
    """The hand-written seed examples ({"slug", "subject", "title", "text"}, one a line of each part file);
    by default only those the blind second reading (SEED_SECOND_READING) filed under the same slug."""
    second = json.loads(SEED_SECOND_READING.read_text(encoding="utf-8"))["slugs"]
    seeds = []
    for path in sorted(seeds_dir.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
            if line.strip():
                seed = json.loads(line)
                if not agreed_only or second[f"{path.stem}:{n}"] == seed["slug"]:
                    seeds.append(seed)
    return seeds


def huffpost_holdout(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(training, check) row indices. The check rows are frozen in a file: the 15 % the first, TF-IDF
    model held out, so every later model is reported on rows no model has been trained or tuned on."""
    check = np.array(json.loads(HUFFPOST_CHECK_ROWS.read_text(encoding="utf-8"))["rows"])
    return np.setdiff1d(np.arange(len(rows)), check), check


def ag_half(rows: list, check: bool) -> list:
    """The AG News check half (odd row index) or tune half (even): fixed before any error was read."""
    return [r for i, r in enumerate(rows) if i % 2 == int(check)]


def vectors(pairs: list[tuple[str, str]]) -> np.ndarray:
    static = topics.load_static_vectors()
    return np.array([topics.article_vector(title, text, static) for title, text in pairs])


def fit(features: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(features, labels,
                                                                               sample_weight=weights)


@dataclass
class Mixed:
    """The semantic and the lexical model, scored the way ``streams.classify.topics`` mixes them."""

    semantic: LogisticRegression
    vectorizer: TfidfVectorizer
    lexical: LogisticRegression

    @property
    def classes_(self) -> np.ndarray:
        return self.semantic.classes_

    def decision_function(self, features: np.ndarray, texts: list[str]) -> np.ndarray:
        return ((1 - topics.LEXICAL_WEIGHT) * self.semantic.decision_function(features)
                + topics.LEXICAL_WEIGHT * self.lexical.decision_function(self.vectorizer.transform(texts)))

    def predict(self, features: np.ndarray, texts: list[str]) -> np.ndarray:
        return self.classes_[self.decision_function(features, texts).argmax(axis=1)]


def fit_mixed(features: np.ndarray, texts: list[str], labels: np.ndarray, weights: np.ndarray) -> Mixed:
    vectorizer = TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=NGRAM_RANGE, min_df=MIN_DF,
                                 max_features=MAX_FEATURES, sublinear_tf=True, dtype=np.float64)
    lexical = LogisticRegression(C=LEXICAL_C, max_iter=5000, class_weight="balanced").fit(
        vectorizer.fit_transform(texts), labels, sample_weight=weights)
    mixed = Mixed(fit(features, labels, weights), vectorizer, lexical)
    assert list(mixed.lexical.classes_) == list(mixed.classes_)
    return mixed


def relabel(model: LogisticRegression, features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's label, or the slug ``model`` gives it with at least RELABEL_CONFIDENCE when that slug
    is one RELABEL_TARGETS allows for the row's label."""
    proba = model.predict_proba(features)
    best = model.classes_[proba.argmax(axis=1)]
    allowed = np.array([b in RELABEL_TARGETS.get(y, ()) for b, y in zip(best, labels)])
    return np.where(allowed & (proba.max(axis=1) >= RELABEL_CONFIDENCE), best, labels)


def fit_temperature(logits: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    """Softmax temperature minimising the weighted negative log-likelihood of out-of-fold logits."""
    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -float(np.average(logp[np.arange(len(y)), y], weights=weights))
    return float(minimize_scalar(nll, bounds=(0.05, 5.0), method="bounded").x)


def train(data: Path, exclude_huffpost: np.ndarray) -> tuple[Mixed, float, dict]:
    """The two-stage mixed model and its temperature, on everything but the check splits (and
    ``exclude_huffpost``)."""
    huffpost = load_huffpost(data)
    train_rows = np.setdiff1d(huffpost_holdout(huffpost)[0], exclude_huffpost)
    seeds = load_seeds()
    wikinews = load_wikinews(data, check=False)
    pairs = ([(huffpost[i]["headline"], "") for i in train_rows] + [(s["title"], s["text"]) for s in seeds]
             + [(t, x) for _, t, x in wikinews])
    features = vectors(pairs)
    texts = [topics.lexical_text(t, x) for t, x in pairs]
    y_huffpost = np.array([HUFFPOST_TO_SLUG[huffpost[i]["category"]] for i in train_rows])
    y_seeds = np.array([s["slug"] for s in seeds])
    y_wikinews = np.array([s for s, _, _ in wikinews])
    weights = np.concatenate([np.ones(len(y_huffpost)), np.full(len(y_seeds), SEED_WEIGHT),
                              np.full(len(y_wikinews), WIKINEWS_WEIGHT)])
    first_rows = len(y_huffpost) + len(y_seeds)

    # Stage 1 (semantic model, no Wikinews) relabels Wikinews; stage 2 is the shipped mixed model.
    first = fit(features[:first_rows], np.concatenate([y_huffpost, y_seeds]), weights[:first_rows])
    y_relabelled = relabel(first, features[first_rows:], y_wikinews)
    labels = np.concatenate([y_huffpost, y_seeds, y_relabelled])
    model = fit_mixed(features, texts, labels, weights)
    assert sorted(model.classes_) == sorted(topics.TOPIC_SLUGS), model.classes_

    oof = np.zeros((len(labels), len(model.classes_)))
    folds = StratifiedKFold(TEMPERATURE_FOLDS, shuffle=True, random_state=SEED)
    for fold_train, fold_val in folds.split(features, labels):
        fold = fit_mixed(features[fold_train], [texts[i] for i in fold_train], labels[fold_train],
                         weights[fold_train])
        oof[fold_val] = fold.decision_function(features[fold_val], [texts[i] for i in fold_val])
    temperature = fit_temperature(oof, np.searchsorted(model.classes_, labels), weights)
    summary = {
        "huffpost_rows": len(y_huffpost), "seed_rows": len(y_seeds), "wikinews_rows": len(y_wikinews),
        "wikinews_relabelled": {f"{a}->{b}": n for (a, b), n in
                                Counter(zip(y_wikinews, y_relabelled)).most_common() if a != b},
        "label_counts": dict(sorted(Counter(labels).items())),
        "lexical_terms": len(model.vectorizer.vocabulary_),
    }
    return model, temperature, summary


def export(model: Mixed, temperature: float, summary: dict, out_dir: Path) -> None:
    terms = model.vectorizer.get_feature_names_out()
    np.savez_compressed(out_dir / "model.npz",
                        coef=model.semantic.coef_.astype(np.float32),
                        intercept=model.semantic.intercept_.astype(np.float32),
                        terms=np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
                        idf=model.vectorizer.idf_.astype(np.float32),
                        lexical_coef=model.lexical.coef_.astype(np.float32),
                        lexical_intercept=model.lexical.intercept_.astype(np.float32))
    config = {
        "labels": [str(c) for c in model.classes_],
        "temperature": round(temperature, 6),
        "lexical_weight": topics.LEXICAL_WEIGHT,
        "token_pattern": TOKEN_PATTERN, "ngram_range": list(NGRAM_RANGE), "lowercase": True,
        "sublinear_tf": True, "norm": "l2", "smooth_idf": True,
        "representation": "semantic: streams.classify.topics.article_vector over static all-MiniLM-L6-v2 token "
                          "vectors (vectors.npz, vocab.txt; scripts/build_topic_vectors.py); lexical: TF-IDF of "
                          "streams.classify.topics.lexical_text",
        "trained_on": "HuffPost News Category subset (CC BY 4.0) without the check rows; "
                      "scripts/data/topic_seeds (project's own, Apache-2.0); Wikinews (CC BY 2.5) without the "
                      "check fifth, relabelled by a first model",
        "C": C, "lexical_C": LEXICAL_C, "min_df": MIN_DF, "max_features": MAX_FEATURES,
        "seed_weight": SEED_WEIGHT, "wikinews_weight": WIKINEWS_WEIGHT,
        "relabel_confidence": RELABEL_CONFIDENCE, "training": summary,
        "evidence_stop_words": sorted(ENGLISH_STOP_WORDS),
    }
    (out_dir / "model.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")


def tune_report(model: Mixed, data: Path, huffpost_tune: np.ndarray) -> None:
    """Macro-F1 on the tune parts: AG News even rows (coarse), HuffPost tune rows (section slugs)."""
    ag = ag_half(load_ag_news(data), check=False)
    ag_true = [c for c, _, _ in ag]
    pairs = [(t, d) for _, t, d in ag]
    ag_slugs = model.predict(vectors(pairs), [topics.lexical_text(t, d) for t, d in pairs])
    ag_pred = [AG_CLASS_OF_SLUG[s] for s in ag_slugs]
    recall = recall_score(ag_true, ag_pred, labels=list(AG_CLASSES), average=None)
    huffpost = load_huffpost(data)
    hp_true = [HUFFPOST_TO_SLUG[huffpost[i]["category"]] for i in huffpost_tune]
    pairs = [(huffpost[i]["headline"], "") for i in huffpost_tune]
    hp_pred = model.predict(vectors(pairs), [topics.lexical_text(t, d) for t, d in pairs])
    print(f"AG tune half (n={len(ag)}): macro-F1 "
          f"{f1_score(ag_true, ag_pred, labels=list(AG_CLASSES), average='macro'):.3f}, recall "
          + ", ".join(f"{c} {r:.2f}" for c, r in zip(AG_CLASSES, recall)))
    print(f"HuffPost tune part (n={len(hp_true)}): macro-F1 "
          f"{f1_score(hp_true, hp_pred, labels=sorted(set(hp_true)), average='macro'):.3f}")
    for name in AG_CLASSES:
        print(f"  AG {name} -> {dict(Counter(s for c, s in zip(ag_true, ag_slugs) if c == name).most_common(6))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--tune", action="store_true",
                        help="hold out the HuffPost tune part (a tenth of the training rows), report the tune "
                             "parts, export nothing")
    args = parser.parse_args()
    train_rows = huffpost_holdout(load_huffpost(args.data))[0]
    huffpost_tune = train_rows[train_rows % 10 == 0] if args.tune else np.array([], dtype=int)
    model, temperature, summary = train(args.data, huffpost_tune)
    print(json.dumps(summary, indent=1))
    print(f"temperature {temperature:.3f}")
    if args.tune:
        tune_report(model, args.data, huffpost_tune)
        return
    export(model, temperature, summary, args.out)
    print(f"wrote {args.out / 'model.npz'} and model.json; score it: .venv/bin/python scripts/eval_topics.py")


if __name__ == "__main__":
    main()
