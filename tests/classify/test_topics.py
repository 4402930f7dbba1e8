"""Behaviour of the IPTC topic classifier (streams.classify.topics)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from streams.classify import topics
from streams.classify.topics import (
    SECONDARY_SCORE_THRESHOLD,
    TOPIC_SLUGS,
    article_tokens,
    article_vector,
    classify_topics,
    label_scores,
    load_topic_model,
)
from streams.classify.wordpiece import normalise, pre_tokenise

SEED_ARTICLE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seed_article.txt"

# Our own short articles, one clear topic each (not used in training).
CLEAR_ARTICLES = {
    "sport/tennis final": (
        "Nadal beats Djokovic in five-set final to win the title",
        "Rafael Nadal won the championship on Sunday after beating Novak Djokovic in a five-set "
        "final that lasted almost five hours. The Spaniard broke serve twice in the deciding set "
        "and sealed the match with an ace. It is his 14th title at the tournament. Djokovic, the "
        "top seed, said his opponent had played the best tennis of the season, and the crowd gave "
        "both players a standing ovation after the final point.",
    ),
    "economy/markets": (
        "Shares slide as oil prices jump and investors fear recession",
        "Stock markets fell sharply on Monday as oil prices jumped to their highest level in a "
        "decade and investors worried that rising costs would push the economy into recession. "
        "The main index lost 3 percent, with banks and airlines among the biggest losers, while "
        "bond yields rose. Analysts said the central bank was likely to raise interest rates again "
        "to curb inflation, which would squeeze company profits and consumer spending.",
    ),
    "health/flu": (
        "Hospitals struggle as flu cases surge",
        "Hospitals across the country are under pressure as flu cases surge, with emergency "
        "departments treating twice as many patients as last winter. Doctors urged elderly people "
        "and those with chronic illness to get the flu vaccine. Health officials said the virus "
        "strain this year causes more severe symptoms and that several wards had been closed to "
        "stop the infection spreading.",
    ),
    "technology/security patch": (
        "Microsoft releases software update to fix security flaw",
        "Microsoft released an emergency software update for Windows on Tuesday to fix a security "
        "flaw that hackers were using to take control of computers. The company urged users to "
        "install the patch immediately. The bug affects the operating system's network code and "
        "could let attackers run malicious programs remotely over the internet. Security "
        "researchers said millions of devices were still running the vulnerable version.",
    ),
    "weather/forecast": (
        "Heavy rain and strong winds expected as cold front moves in",
        "Forecasters warned of heavy rain and strong winds on Thursday as a cold front moves in "
        "from the west. The weather service expects up to 50 millimetres of rain in the hills and "
        "gusts of 80 km/h along the coast, with temperatures falling to around 8 degrees. Showers "
        "will clear by the weekend, when it will turn sunny but chilly, with frost possible at "
        "night.",
    ),
    # The three kinds issue 19 asks to pin: a match report, an earnings report, an interview about a president.
    "sport/match report": (
        "Late penalty gives Rovers a 2-1 win over City",
        "Rovers came from behind to beat City 2-1 on Saturday, with their captain converting a penalty in "
        "the 89th minute after the home side's goalkeeper brought down the striker. City had led through a "
        "header before half-time, but the visitors dominated the second half and equalised with a "
        "long-range shot. The win lifts Rovers to third in the table, two points behind the leaders.",
    ),
    "economy/earnings report": (
        "Retailer's quarterly profit rises 12% on strong holiday sales",
        "The supermarket chain reported a 12 percent rise in third-quarter net profit on Thursday, helped "
        "by strong holiday sales and lower fuel costs. Revenue grew 6 percent to $14.2 billion, beating "
        "analysts' forecasts, and the company raised its full-year earnings guidance. Its shares rose 4 "
        "percent in early trading, and the board announced a higher quarterly dividend.",
    ),
    "politics/interview about a president": (
        "Former adviser: 'The president does not listen to anyone'",
        "In an interview on Sunday, a former national security adviser said the president ignored the "
        "advice of his cabinet and made foreign-policy decisions on impulse. 'He does not listen to "
        "anyone, not even his own party,' she said. She criticised the administration's handling of the "
        "trade talks and said Congress should hold hearings. The White House dismissed her remarks.",
    ),
    "disaster/floods": (
        "Floods kill dozens as rivers burst their banks",
        "Floods have killed at least 40 people and forced more than 100,000 from their homes after "
        "days of torrential rain caused rivers to burst their banks. Rescuers used boats to reach "
        "villagers trapped on rooftops, and a landslide buried several houses. The government "
        "declared a state of emergency and sent troops to help with the evacuation. The death "
        "toll is expected to rise as floodwaters recede.",
    ),
}


def expected_slug(name: str) -> str:
    return name.split("/")[0]


def read_seed() -> tuple[str, str]:
    lines = [line for line in SEED_ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[2], "\n".join(lines[3:])


def words_of(text: str) -> set[str]:
    """The article's words as the classifier sees them (lowercased, accents stripped)."""
    return set(pre_tokenise(normalise(text)))


@pytest.mark.skipif(not SEED_ARTICLE.exists(), reason="shared seed article absent")
def test_seed_article_is_conflict_with_war_words_as_evidence():
    title, body = read_seed()
    result = classify_topics(title, body)
    assert result["category"] == "conflict"
    assert result["categories"][0]["score"] > 0.4
    assert {"army", "kills", "jet", "rebels", "shoots", "military"} & set(result["categories"][0]["evidence"])


@pytest.mark.parametrize("name", sorted(CLEAR_ARTICLES))
def test_clear_articles_get_their_topic(name):
    title, body = CLEAR_ARTICLES[name]
    result = classify_topics(title, body)
    assert result["category"] == expected_slug(name), result
    assert result["categories"][0]["score"] > 0.4


@pytest.mark.parametrize("name", sorted(CLEAR_ARTICLES))
def test_the_body_alone_keeps_the_topic(name):
    # (A headline alone is weaker: docs/TOPICS.md, "Weak spots", lists two of these titles that miss.)
    _, body = CLEAR_ARTICLES[name]
    assert classify_topics("", body)["category"] == expected_slug(name)


def test_headline_alone_is_classified():
    assert classify_topics("Striker scores twice as United win the league title", "")["category"] == "sport"
    assert classify_topics("", "Earthquake kills 200, rescuers search the rubble for survivors.")[
        "category"] == "disaster"


@pytest.mark.parametrize("name", sorted(CLEAR_ARTICLES))
def test_scores_are_probabilities_sorted_and_thresholded(name):
    model = load_topic_model()
    title, body = CLEAR_ARTICLES[name]
    scores = topics.article_scores(title, body)
    assert scores.shape == (len(TOPIC_SLUGS),)
    assert np.all(scores >= 0) and np.all(scores <= 1)
    assert scores.sum() == pytest.approx(1.0)

    categories = classify_topics(title, body)["categories"]
    listed = [c["score"] for c in categories]
    assert listed == sorted(listed, reverse=True)
    assert all(s >= SECONDARY_SCORE_THRESHOLD for s in listed[1:])
    assert {c["label"] for c in categories} <= set(TOPIC_SLUGS)
    unlisted = set(model.labels) - {c["label"] for c in categories}
    assert all(scores[model.labels.index(label)] < SECONDARY_SCORE_THRESHOLD for label in unlisted)


def test_an_article_between_two_topics_lists_both():
    result = classify_topics(
        "Striking nurses march on parliament as hospital waiting lists grow",
        "Thousands of nurses on strike over pay marched to parliament on Wednesday, as the union said "
        "hospital waiting lists had reached a record and wards were closing for lack of staff. Patients' "
        "groups warned that cancer treatments were being delayed.")
    labels = [c["label"] for c in result["categories"]]
    assert {"labour", "health"} <= set(labels), result


def test_evidence_words_come_from_the_article_and_favour_the_label():
    model = load_topic_model()
    for title, body in CLEAR_ARTICLES.values():
        words = words_of(title + "\n" + body)
        for category in classify_topics(title, body)["categories"]:
            assert category["evidence"], category
            assert set(category["evidence"]) <= words
            assert not set(category["evidence"]) & model.evidence_stop_words
            # The words pushed the label up: the article without them scores it lower.
            k = model.labels.index(category["label"])
            pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, category["evidence"])) + r")\b", re.I)
            without = topics.article_scores(pattern.sub(" ", title), pattern.sub(" ", body))[k]
            assert without < topics.article_scores(title, body)[k], category


def test_evidence_differs_by_label_and_names_topic_words():
    title, body = CLEAR_ARTICLES["weather/forecast"]
    evidence = classify_topics(title, body)["categories"][0]["evidence"]
    assert {"rain", "forecasters", "weather", "frost", "sunny", "showers", "winds"} & set(evidence)
    sport = classify_topics(*CLEAR_ARTICLES["sport/match report"])["categories"][0]["evidence"]
    assert not set(sport) & set(evidence)


@pytest.mark.parametrize("title,text", [("", ""), ("   ", "\n\n"), ("", "\x00\x01")])
def test_empty_input_gives_the_priors_and_no_evidence(title, text):
    model = load_topic_model()
    result = classify_topics(title, text)
    assert result["category"] in TOPIC_SLUGS
    assert result["categories"][0]["label"] == result["category"]
    assert all(c["evidence"] == [] for c in result["categories"])
    priors = label_scores(np.zeros(model.coef.shape[1]), {}, model)
    assert result["categories"][0]["score"] == pytest.approx(priors.max(), abs=1e-4)


@pytest.mark.parametrize("title,text", [("1234 5678", "---"), ("", "2018 | 5 | 7")])
def test_numbers_and_punctuation_give_a_label_without_evidence_words(title, text):
    result = classify_topics(title, text)
    assert result["category"] in TOPIC_SLUGS
    assert all(c["evidence"] == [] for c in result["categories"])


def test_none_is_treated_as_empty():
    assert classify_topics(None, None)["category"] in TOPIC_SLUGS  # type: ignore[arg-type]


def test_model_is_loaded_once_and_fits_in_the_package():
    assert load_topic_model() is load_topic_model()
    size = sum(p.stat().st_size for p in topics.MODEL_DIR.glob("*") if p.suffix in (".npz", ".txt", ".json"))
    assert size < 10_000_000
    model = load_topic_model()
    assert sorted(model.labels) == sorted(TOPIC_SLUGS)
    static = model.static
    assert static.vectors.dtype == np.int8 and static.vectors.shape[0] == len(static.wordpiece.vocabulary)
    assert model.coef.shape == (len(TOPIC_SLUGS), static.vectors.shape[1])
    assert model.lexical_coef.shape == (len(TOPIC_SLUGS), len(model.terms))


def test_article_vector_is_the_normalised_mix_of_title_and_body_means():
    """Recomputed here from the token ids: mean of the title's token vectors and mean of the body's,
    each unit length, mixed TITLE_WEIGHT : 1 - TITLE_WEIGHT, unit length."""
    static = load_topic_model().static
    title, body = CLEAR_ARTICLES["technology/security patch"]

    def unit_mean(text: str) -> np.ndarray:
        ids = np.array(static.wordpiece.ids(text))
        mean = (static.vectors[ids].astype(np.float64) * static.scales[ids, None]).mean(axis=0)
        return mean / np.linalg.norm(mean)

    mixed = topics.TITLE_WEIGHT * unit_mean(title) + (1 - topics.TITLE_WEIGHT) * unit_mean(body)
    np.testing.assert_allclose(article_vector(title, body), mixed / np.linalg.norm(mixed), atol=1e-9)
    np.testing.assert_allclose(article_vector(title, ""), unit_mean(title), atol=1e-9)
    tokens = article_tokens(title, body, static)
    assert len(tokens.ids) == len(tokens.words) == len(tokens.weights)
    np.testing.assert_allclose(tokens.weights @ (static.vectors[tokens.ids] * static.scales[tokens.ids, None]),
                               tokens.vector, atol=1e-6)


def test_only_the_start_of_a_long_body_is_read():
    title, body = CLEAR_ARTICLES["sport/match report"]
    filler = " ".join(["The council met on Tuesday to discuss the budget."] * 400)
    np.testing.assert_allclose(article_vector(title, body[:40] + filler),
                               article_vector(title, (body[:40] + filler)[:topics.BODY_CHARS]), atol=1e-12)


def test_only_the_start_of_a_long_body_is_read_by_the_lexical_model_too():
    model = load_topic_model()
    title, body = CLEAR_ARTICLES["economy/earnings report"]
    long_body = body + " The striker scored a hat-trick in the cup final." * 200
    assert topics.lexical_text(title, long_body) == topics.lexical_text(title, long_body[:topics.BODY_CHARS])
    assert topics.tfidf_vector(topics.lexical_text(title, long_body), model)


def test_scores_equal_sklearn_with_the_mixed_logits_and_the_temperature():
    """The numpy scorer equals scikit-learn's TfidfVectorizer + two LogisticRegressions rebuilt from the
    exported arrays: logits mixed (1 - LEXICAL_WEIGHT) : LEXICAL_WEIGHT, divided by the temperature."""
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    model = load_topic_model()
    vectorizer = TfidfVectorizer(vocabulary=model.terms, token_pattern=model.token_pattern.pattern,
                                 ngram_range=model.ngram_range, sublinear_tf=True, lowercase=True)
    vectorizer.fit(["placeholder"])
    vectorizer.idf_ = model.idf

    def classifier(coef: np.ndarray, intercept: np.ndarray) -> LogisticRegression:
        lr = LogisticRegression()
        lr.classes_, lr.coef_, lr.intercept_ = np.array(model.labels), coef, intercept
        return lr

    semantic = classifier(model.coef, model.intercept)
    lexical = classifier(model.lexical_coef, model.lexical_intercept)
    pairs = list(CLEAR_ARTICLES.values()) + [("Rebels shoot down a jet over Idlib", ""), ("", ""),
                                              ("Ünïcödé café 2024 x", "the the the new new york york")]
    texts = [topics.lexical_text(t, b) for t, b in pairs]
    X = vectorizer.transform(texts)
    V = np.array([article_vector(t, b) for t, b in pairs])
    logits = ((1 - topics.LEXICAL_WEIGHT) * semantic.decision_function(V)
              + topics.LEXICAL_WEIGHT * lexical.decision_function(X)) / model.temperature
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    for row, (text, (title, body)) in enumerate(zip(texts, pairs)):
        ours = topics.tfidf_vector(text, model)
        dense = np.zeros(len(model.terms))
        dense[list(ours)] = list(ours.values())
        np.testing.assert_allclose(dense, X[row].toarray().ravel(), atol=1e-12)
        np.testing.assert_allclose(topics.article_scores(title, body), expected[row], atol=1e-9)
