"""IPTC top-level topic classification of one article (pure, numpy only at run time).

Two linear models over the 18 slugs, trained by ``scripts/train_topics.py`` on openly licensed data
only, read the title and the start of the body:
- semantic: the article as one 256-dimensional vector, the mean of the static token vectors of its
  title and the mean of those of its body, each normalised, mixed TITLE_WEIGHT : 1 - TITLE_WEIGHT.
  The token vectors are all-MiniLM-L6-v2 distilled the Model2Vec way (every WordPiece token through
  the transformer once, PCA to 256 dimensions, frequency weighting; ``scripts/build_topic_vectors.py``),
  stored as int8 with one scale per token;
- lexical: TF-IDF over word unigrams and bigrams (sublinear tf, l2), as scikit-learn computes it.
Their logits are mixed 1 - LEXICAL_WEIGHT : LEXICAL_WEIGHT (the semantic model carries to news
unlike the training data; the lexical one adds the exact vocabulary) and a softmax temperature fitted
on out-of-fold rows makes the scores calibrated probabilities.

Public API: ``classify_topics(title, text) -> {"category": slug, "categories": [...]}``;
``article_vector(title, text)`` is the representation (the training script uses it too).
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

from streams.classify.wordpiece import WordPiece, normalise

MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "topics"

TOPIC_SLUGS = (
    "arts", "conflict", "crime", "disaster", "economy", "education", "environment", "health",
    "human_interest", "labour", "lifestyle", "politics", "religion", "science", "technology",
    "society", "sport", "weather",
)

# --- every threshold of the stage, in one place -------------------------------------------
# The title's share of the article vector (the rest is the body's); measured on tune parts only.
TITLE_WEIGHT = 0.3
# How much of the body is read: its first BODY_CHARS characters, at most BODY_TOKENS tokens.
BODY_CHARS = 3000
BODY_TOKENS = 512
# The lexical (TF-IDF) model's share of the mixed logits; measured on tune parts only (docs/TOPICS.md).
LEXICAL_WEIGHT = 0.4
# A label other than the primary one is listed when its calibrated score reaches this.
SECONDARY_SCORE_THRESHOLD = 0.12
# How many of the article's words are given as evidence for each listed label.
EVIDENCE_TERMS = 6


@dataclass(frozen=True)
class StaticVectors:
    """The tokeniser and its int8 token vectors: what an article vector is made of."""

    wordpiece: WordPiece
    vectors: np.ndarray  # (vocabulary, dims) int8
    scales: np.ndarray  # (vocabulary,) float32: a token's vector is vectors[i] * scales[i]


@dataclass(frozen=True)
class TopicModel:
    """The static vectors and the two exported linear models."""

    static: StaticVectors
    coef: np.ndarray  # (n_labels, dims)
    intercept: np.ndarray  # (n_labels,)
    token_pattern: re.Pattern[str]  # the lexical model's words
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]  # term -> column of the lexical model
    terms: tuple[str, ...]
    term_words: tuple[tuple[str, ...], ...]  # each term's words as the tokeniser writes them (for evidence)
    idf: np.ndarray  # (n_terms,)
    lexical_coef: np.ndarray  # (n_labels, n_terms)
    lexical_intercept: np.ndarray  # (n_labels,)
    labels: tuple[str, ...]
    temperature: float
    evidence_stop_words: frozenset[str]  # function words never shown as evidence


@lru_cache(maxsize=1)
def load_static_vectors(model_dir: Path | None = None) -> StaticVectors:
    """Load the shipped vocabulary and token vectors (or those in ``model_dir``) once per process."""
    model_dir = model_dir or MODEL_DIR
    with np.load(model_dir / "vectors.npz") as arrays:
        vectors, scales = arrays["vectors"], arrays["scales"].astype(np.float32)
    return StaticVectors(WordPiece.from_vocab_file(model_dir / "vocab.txt"), vectors, scales)


@lru_cache(maxsize=1)
def load_topic_model(model_dir: Path | None = None) -> TopicModel:
    """Load the shipped model (or the one in ``model_dir``) once per process, on first use."""
    model_dir = model_dir or MODEL_DIR
    config = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    with np.load(model_dir / "model.npz") as arrays:
        coef, intercept = arrays["coef"].astype(np.float64), arrays["intercept"].astype(np.float64)
        terms = tuple(arrays["terms"].tobytes().decode("utf-8").split("\n"))
        idf = arrays["idf"].astype(np.float64)
        lexical_coef = arrays["lexical_coef"].astype(np.float64)
        lexical_intercept = arrays["lexical_intercept"].astype(np.float64)
    return TopicModel(
        static=load_static_vectors(model_dir),
        coef=coef,
        intercept=intercept,
        token_pattern=re.compile(config["token_pattern"]),
        ngram_range=tuple(config["ngram_range"]),
        vocabulary={term: i for i, term in enumerate(terms)},
        terms=terms,
        term_words=tuple(tuple(normalise(term).split(" ")) for term in terms),
        idf=idf,
        lexical_coef=lexical_coef,
        lexical_intercept=lexical_intercept,
        labels=tuple(config["labels"]),
        temperature=float(config["temperature"]),
        evidence_stop_words=frozenset(config["evidence_stop_words"]),
    )


@dataclass(frozen=True)
class ArticleTokens:
    """The tokens an article vector is made of, dequantised once: their vectors, each token's weight
    in the article vector, and the word each token came from (for evidence)."""

    ids: np.ndarray  # (n,) int: the tokens, title's then body's
    matrix: np.ndarray  # (n, dims) float64: their vectors
    weights: np.ndarray  # (n,) float64: vector = weights @ matrix
    words: tuple[str, ...]  # (n,): the word of each token
    distinct_words: tuple[str, ...]  # each word once, in order of first use
    word_of_token: np.ndarray  # (n,) int: index into ``distinct_words``
    vector: np.ndarray  # (dims,) float64, unit length; all zeros when the article has no token


def token_vectors(ids: np.ndarray, static: StaticVectors) -> np.ndarray:
    """Float vectors of the tokens ``ids`` (dequantised rows)."""
    return static.vectors[ids].astype(np.float64) * static.scales[ids, None]


def part_tokens(text: str, static: StaticVectors, max_tokens: int) -> tuple[list[int], list[str]]:
    """Token ids of ``text`` (at most ``max_tokens``) and the word each one belongs to."""
    ids: list[int] = []
    words: list[str] = []
    for word, word_ids in static.wordpiece.tokenize(text):
        ids.extend(word_ids)
        words.extend([word] * len(word_ids))
        if len(ids) >= max_tokens:
            break
    return ids[:max_tokens], words[:max_tokens]


def article_tokens(title: str, text: str, static: StaticVectors) -> ArticleTokens:
    """Title and body each averaged and normalised, then mixed TITLE_WEIGHT : 1 - TITLE_WEIGHT
    (a missing part leaves all the weight to the other), as per-token weights."""
    parts = [(TITLE_WEIGHT, *part_tokens(title or "", static, BODY_TOKENS)),
             (1.0 - TITLE_WEIGHT, *part_tokens((text or "")[:BODY_CHARS], static, BODY_TOKENS))]
    parts = [(share, np.asarray(ids, dtype=np.int64), words) for share, ids, words in parts if ids]
    parts = [(share, ids, token_vectors(ids, static), words) for share, ids, words in parts]
    parts = [(share, ids, matrix, words, float(np.linalg.norm(matrix.mean(axis=0))))
             for share, ids, matrix, words in parts]
    parts = [part for part in parts if part[4] > 0.0]
    if not parts:
        dims = static.vectors.shape[1]
        return ArticleTokens(np.zeros(0, np.int64), np.zeros((0, dims)), np.zeros(0), (), (),
                             np.zeros(0, np.int64), np.zeros(dims))
    total_share = sum(part[0] for part in parts)
    ids = np.concatenate([part[1] for part in parts])
    matrix = np.vstack([part[2] for part in parts])
    weights = np.concatenate([np.full(len(part[1]), part[0] / total_share / (len(part[1]) * part[4]))
                              for part in parts])
    vector = weights @ matrix
    norm = float(np.linalg.norm(vector))
    words = tuple(w for part in parts for w in part[3])
    index: dict[str, int] = {}
    word_of_token = np.fromiter((index.setdefault(w, len(index)) for w in words), dtype=np.int64, count=len(words))
    return ArticleTokens(ids, matrix, weights / norm, words, tuple(index), word_of_token, vector / norm)


def article_vector(title: str, text: str, static: StaticVectors | None = None) -> np.ndarray:
    """The article's unit vector (zeros when it has no token): what the semantic model scores."""
    return article_tokens(title, text, static or load_static_vectors()).vector


def lexical_text(title: str, text: str) -> str:
    """What the lexical model reads: the title, then the start of the body."""
    return f"{title or ''}\n{(text or '')[:BODY_CHARS]}"


def extract_ngrams(text: str, model: TopicModel) -> list[str]:
    """The word n-grams of ``text`` exactly as scikit-learn's word analyzer yields them."""
    tokens = model.token_pattern.findall(text.lower())
    low, high = model.ngram_range
    ngrams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        ngrams.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)))))
    return ngrams


def tfidf_vector(text: str, model: TopicModel) -> dict[int, float]:
    """Sparse TF-IDF vector of ``text`` (sublinear tf, smooth idf, l2 norm) as {column: value}:
    one row of the fitted ``TfidfVectorizer.transform``; empty when no known term occurs."""
    counts = Counter(j for j in map(model.vocabulary.get, extract_ngrams(text, model)) if j is not None)
    weights = {j: (1.0 + math.log(tf)) * model.idf[j] for j, tf in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {j: w / norm for j, w in weights.items()} if norm > 0 else {}


def lexical_logits(vector: dict[int, float], model: TopicModel) -> np.ndarray:
    logits = model.lexical_intercept.copy()
    if vector:
        index = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
        values = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
        logits += model.lexical_coef[:, index] @ values
    return logits


def label_scores(vector: np.ndarray, lexical: dict[int, float], model: TopicModel) -> np.ndarray:
    """Calibrated probability of every label: softmax of the mixed logits over the temperature,
    (1 - LEXICAL_WEIGHT) x (coef @ vector + intercept) + LEXICAL_WEIGHT x lexical logits.
    A zero vector and an empty TF-IDF vector (no word) give the priors (intercepts only)."""
    logits = ((1.0 - LEXICAL_WEIGHT) * (model.coef @ vector + model.intercept)
              + LEXICAL_WEIGHT * lexical_logits(lexical, model))
    scaled = logits / model.temperature
    exp = np.exp(scaled - scaled.max())
    return exp / exp.sum()


def article_scores(title: str, text: str, model: TopicModel | None = None) -> np.ndarray:
    """The 18 calibrated scores of an article, in ``model.labels`` order."""
    model = model or load_topic_model()
    return label_scores(article_vector(title, text, model.static), tfidf_vector(lexical_text(title, text), model),
                        model)


@dataclass(frozen=True)
class LexicalTerms:
    """An article's TF-IDF terms as arrays, and the words they are made of (for evidence): term
    ``term_of_pair[i]`` holds word ``words[word_of_pair[i]]``, one pair per word of a term."""

    columns: np.ndarray  # (m,) int: the terms' columns in the lexical model
    values: np.ndarray  # (m,) float64: their TF-IDF values
    words: tuple[str, ...]
    term_of_pair: np.ndarray  # (p,) int: index into ``columns``
    word_of_pair: np.ndarray  # (p,) int: index into ``words``
    share_of_pair: np.ndarray  # (p,) float64: 1 / the term's number of words


def lexical_terms(lexical: dict[int, float], model: TopicModel) -> LexicalTerms:
    columns = np.fromiter(lexical.keys(), dtype=np.int64, count=len(lexical))
    values = np.fromiter(lexical.values(), dtype=np.float64, count=len(lexical))
    index: dict[str, int] = {}
    pairs = []
    for position, column in enumerate(columns):
        words = model.term_words[column]
        pairs.extend((position, index.setdefault(word, len(index)), 1.0 / len(words)) for word in words)
    term_of_pair, word_of_pair, share_of_pair = (np.array(x) for x in zip(*pairs)) if pairs else (
        np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return LexicalTerms(columns, values, tuple(index), term_of_pair, word_of_pair, share_of_pair)


def label_evidence(tokens: ArticleTokens, terms: LexicalTerms, label_index: int, model: TopicModel) -> list[str]:
    """The article's words that pushed ``label_index`` up most against the other labels, in both
    models: a token's weight x its vector's dot product with the label's coefficients minus the
    labels' mean, and a term's TF-IDF value x its coefficient minus the labels' mean (a word pair's
    share split between its words), mixed as the logits are and summed by word. Function words,
    numbers and one-letter words are not shown."""
    by_word: dict[str, float] = {}
    if len(tokens.weights):
        direction = model.coef[label_index] - model.coef.mean(axis=0)
        semantic = np.bincount(tokens.word_of_token, minlength=len(tokens.distinct_words),
                               weights=(1.0 - LEXICAL_WEIGHT) * tokens.weights * (tokens.matrix @ direction))
        by_word = dict(zip(tokens.distinct_words, semantic.tolist()))
    if len(terms.columns):
        direction = (model.lexical_coef[label_index, terms.columns]
                     - model.lexical_coef[:, terms.columns].mean(axis=0))
        per_term = LEXICAL_WEIGHT * terms.values * direction
        lexical = np.bincount(terms.word_of_pair, minlength=len(terms.words),
                              weights=per_term[terms.term_of_pair] * terms.share_of_pair)
        for word, value in zip(terms.words, lexical.tolist()):
            by_word[word] = by_word.get(word, 0.0) + value
    ranked = sorted(by_word.items(), key=lambda item: -item[1])
    return [word for word, value in ranked
            if value > 0 and len(word) > 1 and word.isalpha() and word not in model.evidence_stop_words
            ][:EVIDENCE_TERMS]


def classify_topics(title: str, text: str) -> dict:
    """Classify one article into the IPTC top-level topic slugs.

    In: the article title and body text (either may be empty). Out:
    ``{"category": slug, "categories": [{"label", "score", "evidence"}...]}`` where
    ``categories`` lists every label whose calibrated score in [0, 1] reaches
    SECONDARY_SCORE_THRESHOLD, best first, and always the primary label; ``evidence`` holds
    this article's words that pushed that label up most (lowercased, accents stripped). With no
    word at all the scores are the model's priors and evidence lists are empty.
    """
    model = load_topic_model()
    tokens = article_tokens(title, text, model.static)
    lexical = tfidf_vector(lexical_text(title, text), model)
    scores = label_scores(tokens.vector, lexical, model)
    terms = lexical_terms(lexical, model)
    order = np.argsort(-scores, kind="stable")
    chosen = [int(order[0])] + [int(k) for k in order[1:] if scores[k] >= SECONDARY_SCORE_THRESHOLD]
    categories = [
        {
            "label": model.labels[k],
            "score": round(float(scores[k]), 4),
            "evidence": label_evidence(tokens, terms, k, model),
        }
        for k in chosen
    ]
    return {"category": categories[0]["label"], "categories": categories}
