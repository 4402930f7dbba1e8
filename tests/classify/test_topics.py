"""Behaviour of the IPTC topic classifier (streams.classify.topics)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streams.classify import topics
from streams.classify.topics import (
    SECONDARY_SCORE_THRESHOLD,
    TOPIC_SLUGS,
    classify_topics,
    label_scores,
    load_topic_model,
    tfidf_vector,
)

SEED_ARTICLE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seed_article.txt"

# Our own short articles, one clear topic each (not used in training).
CLEAR_ARTICLES = {
    "sport": (
        "Nadal beats Djokovic in five-set final to win the title",
        "Rafael Nadal won the championship on Sunday after beating Novak Djokovic in a five-set "
        "final that lasted almost five hours. The Spaniard broke serve twice in the deciding set "
        "and sealed the match with an ace. It is his 14th title at the tournament. Djokovic, the "
        "top seed, said his opponent had played the best tennis of the season, and the crowd gave "
        "both players a standing ovation after the final point.",
    ),
    "economy": (
        "Shares slide as oil prices jump and investors fear recession",
        "Stock markets fell sharply on Monday as oil prices jumped to their highest level in a "
        "decade and investors worried that rising costs would push the economy into recession. "
        "The main index lost 3 percent, with banks and airlines among the biggest losers, while "
        "bond yields rose. Analysts said the central bank was likely to raise interest rates again "
        "to curb inflation, which would squeeze company profits and consumer spending.",
    ),
    "health": (
        "Hospitals struggle as flu cases surge",
        "Hospitals across the country are under pressure as flu cases surge, with emergency "
        "departments treating twice as many patients as last winter. Doctors urged elderly people "
        "and those with chronic illness to get the flu vaccine. Health officials said the virus "
        "strain this year causes more severe symptoms and that several wards had been closed to "
        "stop the infection spreading.",
    ),
    "technology": (
        "Microsoft releases software update to fix security flaw",
        "Microsoft released an emergency software update for Windows on Tuesday to fix a security "
        "flaw that hackers were using to take control of computers. The company urged users to "
        "install the patch immediately. The bug affects the operating system's network code and "
        "could let attackers run malicious programs remotely over the internet. Security "
        "researchers said millions of devices were still running the vulnerable version.",
    ),
    "weather": (
        "Heavy rain and strong winds expected as cold front moves in",
        "Forecasters warned of heavy rain and strong winds on Thursday as a cold front moves in "
        "from the west. The weather service expects up to 50 millimetres of rain in the hills and "
        "gusts of 80 km/h along the coast, with temperatures falling to around 8 degrees. Showers "
        "will clear by the weekend, when it will turn sunny but chilly, with frost possible at "
        "night.",
    ),
    "disaster": (
        "Floods kill dozens as rivers burst their banks",
        "Floods have killed at least 40 people and forced more than 100,000 from their homes after "
        "days of torrential rain caused rivers to burst their banks. Rescuers used boats to reach "
        "villagers trapped on rooftops, and a landslide buried several houses. The government "
        "declared a state of emergency and sent troops to help with the evacuation. The death "
        "toll is expected to rise as floodwaters recede.",
    ),
}


def read_seed() -> tuple[str, str]:
    lines = [line for line in SEED_ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[2], "\n".join(lines[3:])


def tokens_of(text: str) -> list[str]:
    return load_topic_model().token_pattern.findall(text.lower())


@pytest.mark.skipif(not SEED_ARTICLE.exists(), reason="shared seed article absent")
def test_seed_article_is_conflict_with_politics_second():
    title, body = read_seed()
    result = classify_topics(title, body)
    assert result["category"] == "conflict"
    assert [c["label"] for c in result["categories"]][:2] == ["conflict", "politics"]
    conflict_evidence = result["categories"][0]["evidence"]
    assert any(term in conflict_evidence for term in ("shoots down", "army", "kills"))


@pytest.mark.parametrize("expected", sorted(CLEAR_ARTICLES))
def test_clear_articles_get_their_topic(expected):
    title, body = CLEAR_ARTICLES[expected]
    result = classify_topics(title, body)
    assert result["category"] == expected, result
    assert result["categories"][0]["score"] > 0.5


def test_headline_alone_is_classified():
    assert classify_topics("Striker scores twice as United win the league title", "")["category"] == "sport"
    assert classify_topics("", "Earthquake kills 200, rescuers search the rubble for survivors.")[
        "category"] == "disaster"
    # A body of fragments too short to vote one by one is still read as a whole.
    assert classify_topics("", "Snow. Sleet. Frost.")["category"] == "weather"


@pytest.mark.parametrize("expected", sorted(CLEAR_ARTICLES))
def test_scores_are_probabilities_sorted_and_thresholded(expected):
    model = load_topic_model()
    title, body = CLEAR_ARTICLES[expected]
    passages = topics.weighted_passages(title, body, model)
    scores = topics.article_scores(passages, model)
    assert scores.shape == (len(TOPIC_SLUGS),)
    assert np.all(scores >= 0) and np.all(scores <= 1)
    assert scores.sum() == pytest.approx(1.0)

    categories = classify_topics(title, body)["categories"]
    listed = [c["score"] for c in categories]
    assert listed == sorted(listed, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in listed)
    assert all(s >= SECONDARY_SCORE_THRESHOLD for s in listed[1:])
    assert {c["label"] for c in categories} <= set(TOPIC_SLUGS)
    unlisted = set(model.labels) - {c["label"] for c in categories}
    assert all(scores[model.labels.index(label)] < SECONDARY_SCORE_THRESHOLD for label in unlisted)


def test_evidence_comes_from_the_article():
    for title, body in CLEAR_ARTICLES.values():
        article_tokens = " " + " ".join(tokens_of(title + "\n" + body)) + " "
        for category in classify_topics(title, body)["categories"]:
            assert category["evidence"], category
            for phrase in category["evidence"]:
                assert f" {phrase} " in article_tokens, phrase


def test_evidence_differs_by_label_and_names_topic_words():
    title, body = CLEAR_ARTICLES["weather"]
    evidence = classify_topics(title, body)["categories"][0]["evidence"]
    assert {"rain", "forecasters", "weather", "frost", "sunny"} & set(evidence)


@pytest.mark.parametrize("title,text", [("", ""), ("   ", "\n\n"), ("1234 5678", "---"), ("", "2018 | 5 | 7")])
def test_empty_or_wordless_input_gives_one_label_without_evidence(title, text):
    result = classify_topics(title, text)
    assert result["category"] in TOPIC_SLUGS
    assert len(result["categories"]) >= 1
    assert result["categories"][0]["label"] == result["category"]
    assert all(c["evidence"] == [] for c in result["categories"])


def test_none_is_treated_as_empty():
    assert classify_topics(None, None)["category"] in TOPIC_SLUGS  # type: ignore[arg-type]


def test_model_is_loaded_once_and_small():
    assert load_topic_model() is load_topic_model()
    size = sum(p.stat().st_size for p in topics.MODEL_DIR.glob("model.*"))
    assert size < 5_000_000
    assert sorted(load_topic_model().labels) == sorted(TOPIC_SLUGS)


def test_numpy_scoring_equals_sklearn():
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    model = load_topic_model()
    vectorizer = TfidfVectorizer(vocabulary=model.terms, token_pattern=model.token_pattern.pattern,
                                 ngram_range=model.ngram_range, sublinear_tf=True, lowercase=True)
    vectorizer.fit(["placeholder"])
    vectorizer.idf_ = model.idf
    classifier = LogisticRegression()
    classifier.classes_ = np.array(model.labels)
    classifier.coef_ = model.coef
    classifier.intercept_ = model.intercept

    texts = [body for _, body in CLEAR_ARTICLES.values()] + [
        title for title, _ in CLEAR_ARTICLES.values()] + [
        "Rebels shoot down a Russian jet over Idlib, killing the pilot", "", "Ünïcödé café 2024 x",
        "the the the new new york york"]
    X = vectorizer.transform(texts)
    logits = classifier.decision_function(X) / model.temperature
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    for row, text in enumerate(texts):
        ours = tfidf_vector(text, model)
        dense = np.zeros(len(model.terms))
        dense[list(ours)] = list(ours.values())
        np.testing.assert_allclose(dense, X[row].toarray().ravel(), atol=1e-12)
        np.testing.assert_allclose(label_scores(ours, model), expected[row], atol=1e-9)
    # Without the temperature the scores are sklearn's own predict_proba.
    np.testing.assert_allclose(
        classifier.predict_proba(X[:1]).ravel(),
        np.exp(logits[0] * model.temperature - (logits[0] * model.temperature).max())
        / np.exp(logits[0] * model.temperature - (logits[0] * model.temperature).max()).sum(),
        atol=1e-9)
