"""IPTC top-level topic classification of one article (pure, numpy only at run time).

The model is a TF-IDF (word unigrams + bigrams, sublinear tf, l2) multinomial logistic
regression trained by ``scripts/train_topics.py`` and exported to ``streams/data/topics/``
as plain arrays; the vectoriser and the scoring are re-implemented here so that scikit-learn
is not needed at run time (``tests/classify/test_topics.py`` checks both give the same numbers).

Public API: ``classify_topics(title, text) -> {"category": slug, "categories": [...]}``.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "topics"
MODEL_WEIGHTS = MODEL_DIR / "model.npz"
MODEL_CONFIG = MODEL_DIR / "model.json"

TOPIC_SLUGS = (
    "arts", "conflict", "crime", "disaster", "economy", "education", "environment", "health",
    "human_interest", "labour", "lifestyle", "politics", "religion", "science", "technology",
    "society", "sport", "weather",
)

# --- every threshold of the stage, in one place -------------------------------------------
# The model learnt from headlines, so a full article is scored the way it was taught: the title
# and each sentence of the first BODY_CHARS characters of the body are scored as headlines, and
# the article's score is TITLE_WEIGHT x the title's + (1 - TITLE_WEIGHT) x the sentences' mean.
TITLE_WEIGHT = 0.3
BODY_CHARS = 3000
# Sentences with fewer known terms than this carry too little to vote ("Like this:").
MIN_SENTENCE_TERMS = 3
# A label other than the primary one is listed when its calibrated score reaches this.
SECONDARY_SCORE_THRESHOLD = 0.12
# How many of the article's words/phrases are given as evidence for each listed label.
EVIDENCE_TERMS = 6

SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class TopicModel:
    """The exported linear model: vocabulary, idf, coefficients and calibration temperature."""

    token_pattern: re.Pattern[str]
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    terms: tuple[str, ...]
    idf: np.ndarray  # (n_features,)
    coef: np.ndarray  # (n_labels, n_features)
    intercept: np.ndarray  # (n_labels,)
    labels: tuple[str, ...]
    temperature: float
    evidence_stop_words: frozenset[str]  # function words never shown as evidence on their own


@lru_cache(maxsize=1)
def load_topic_model(model_dir: Path | None = None) -> TopicModel:
    """Load the shipped model (or the one in ``model_dir``) once per process, on first use."""
    model_dir = model_dir or MODEL_DIR
    config = json.loads((model_dir / MODEL_CONFIG.name).read_text(encoding="utf-8"))
    with np.load(model_dir / MODEL_WEIGHTS.name) as arrays:
        terms = tuple(arrays["terms"].tobytes().decode("utf-8").split("\n"))
        idf = arrays["idf"].astype(np.float64)
        coef = arrays["coef"].astype(np.float64)
        intercept = arrays["intercept"].astype(np.float64)
    return TopicModel(
        token_pattern=re.compile(config["token_pattern"]),
        ngram_range=tuple(config["ngram_range"]),
        vocabulary={term: i for i, term in enumerate(terms)},
        terms=terms,
        idf=idf,
        coef=coef,
        intercept=intercept,
        labels=tuple(config["labels"]),
        temperature=float(config["temperature"]),
        evidence_stop_words=frozenset(config.get("evidence_stop_words", ())),
    )


def extract_ngrams(text: str, model: TopicModel) -> list[str]:
    """The word n-grams of ``text`` exactly as scikit-learn's word analyzer yields them."""
    tokens = model.token_pattern.findall(text.lower())
    low, high = model.ngram_range
    if high == 1:
        return tokens
    ngrams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        ngrams.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)))))
    return ngrams


def tfidf_vector(text: str, model: TopicModel) -> dict[int, float]:
    """Sparse TF-IDF vector of ``text`` (sublinear tf, smooth idf, l2 norm) as {feature: value}.

    Equals one row of the fitted ``TfidfVectorizer.transform``; empty when no known term occurs.
    """
    counts = Counter([j for j in map(model.vocabulary.get, extract_ngrams(text, model)) if j is not None])
    weights = {j: (1.0 + math.log(tf)) * model.idf[j] for j, tf in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {j: w / norm for j, w in weights.items()} if norm > 0 else {}


def label_scores(vector: dict[int, float], model: TopicModel) -> np.ndarray:
    """Calibrated probability of every label for one TF-IDF vector (softmax of logits / T).

    Equals the fitted sklearn model's ``predict_proba`` re-scaled by the temperature; an empty
    vector gives the priors (intercepts only).
    """
    logits = model.intercept.copy()
    if vector:
        index = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
        values = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
        logits += model.coef[:, index] @ values
    scaled = logits / model.temperature
    scaled -= scaled.max()
    exp = np.exp(scaled)
    return exp / exp.sum()


def split_body_sentences(text: str) -> list[str]:
    """Sentences (and lines) of the first BODY_CHARS characters of ``text``."""
    return [s for s in SENTENCE_BREAK.split((text or "")[:BODY_CHARS]) if s.strip()]


def weighted_passages(title: str, text: str, model: TopicModel) -> list[tuple[float, dict[int, float]]]:
    """(weight, TF-IDF vector) of the title and of each informative body sentence; weights sum to 1."""
    title_vec = tfidf_vector(title or "", model)
    sentence_vecs = [v for v in (tfidf_vector(s, model) for s in split_body_sentences(text))
                     if len(v) >= MIN_SENTENCE_TERMS]
    if not sentence_vecs:  # only short fragments: score the start of the body as one passage
        body_vec = tfidf_vector((text or "")[:BODY_CHARS], model)
        sentence_vecs = [body_vec] if body_vec else []
    if not sentence_vecs:
        return [(1.0, title_vec)] if title_vec else []
    body_weight = (1.0 - TITLE_WEIGHT) if title_vec else 1.0
    passages = [(TITLE_WEIGHT, title_vec)] if title_vec else []
    passages.extend((body_weight / len(sentence_vecs), v) for v in sentence_vecs)
    return passages


def article_scores(passages: list[tuple[float, dict[int, float]]], model: TopicModel) -> np.ndarray:
    """Weighted mean of the passages' calibrated label probabilities (priors when none)."""
    if not passages:
        return label_scores({}, model)
    return sum(weight * label_scores(vector, model) for weight, vector in passages)


def article_vector(passages: list[tuple[float, dict[int, float]]]) -> dict[int, float]:
    """Weighted mean of the passages' vectors: how much each term of the article counted."""
    mean: dict[int, float] = {}
    for weight, vector in passages:
        for j, w in vector.items():
            mean[j] = mean.get(j, 0.0) + weight * w
    return mean


def label_evidence(vector: dict[int, float], label_index: int, model: TopicModel) -> list[str]:
    """The article's terms that pushed ``label_index`` up most. Terms made only of function
    words, and terms overlapping one already chosen, are skipped so the list stays readable."""
    if not vector:
        return []
    index = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
    values = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
    contributions = model.coef[label_index, index] * values
    chosen: list[str] = []
    for k in np.argsort(-contributions, kind="stable"):
        if contributions[k] <= 0 or len(chosen) == EVIDENCE_TERMS:
            break
        term = model.terms[index[k]]
        if all(word in model.evidence_stop_words for word in term.split(" ")):
            continue
        if any(term in phrase.split(" ") or phrase in term.split(" ") for phrase in chosen):
            continue
        chosen.append(term)
    return chosen


def classify_topics(title: str, text: str) -> dict:
    """Classify one article into the IPTC top-level topic slugs.

    In: the article title and body text (either may be empty). Out:
    ``{"category": slug, "categories": [{"label", "score", "evidence"}...]}`` where
    ``categories`` lists every label whose calibrated score in [0, 1] reaches
    SECONDARY_SCORE_THRESHOLD, best first, and always the primary label; ``evidence`` holds
    this article's words/phrases that contributed most to that label. With no known word at
    all the scores are the model's priors (intercepts only) and evidence lists are empty.
    """
    model = load_topic_model()
    passages = weighted_passages(title, text, model)
    scores = article_scores(passages, model)
    vector = article_vector(passages)
    order = np.argsort(-scores, kind="stable")
    chosen = [int(order[0])] + [int(k) for k in order[1:] if scores[k] >= SECONDARY_SCORE_THRESHOLD]
    categories = [
        {
            "label": model.labels[k],
            "score": round(float(scores[k]), 4),
            "evidence": label_evidence(vector, k, model),
        }
        for k in chosen
    ]
    return {"category": categories[0]["label"], "categories": categories}
