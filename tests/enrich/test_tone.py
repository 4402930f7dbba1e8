import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from streams.enrich.tone import score_tone, sentence_spans

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seed_article.txt"


def test_seed_article_is_negative():
    if not SEED.exists():
        pytest.skip("shared seed article absent")
    tone = score_tone(SEED.read_text(encoding="utf-8"))
    assert tone["compound"] < -0.05
    assert tone["negative"] > tone["positive"]
    assert abs(tone["positive"] + tone["negative"] + tone["neutral"] - 1) < 0.01


def test_positive_and_neutral_texts():
    assert score_tone("The festival was a wonderful success. Everyone loved the happy music.")["compound"] > 0.5
    assert score_tone("The committee meets in Geneva.")["compound"] == 0.0


def test_empty_text_is_neutral():
    assert score_tone("") == {"compound": 0.0, "positive": 0.0, "negative": 0.0, "neutral": 1.0}


def test_sentence_mean_does_not_saturate_like_whole_text():
    text = " ".join(["Two people were killed in the attack."] + ["The market opened at nine."] * 20)
    assert -0.2 < score_tone(text)["compound"] < 0


def test_sentences_split_on_lines_and_stops_but_not_abbreviations():
    text = "Mr. Smith met Gen. Jones in the U.S. capital. They talked!\nNew line here"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Mr. Smith met Gen. Jones in the U.S. capital.", "They talked!", "New line here"]


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_gives_scores_in_range(text):
    tone = score_tone(text)
    assert -1 <= tone["compound"] <= 1
    assert all(0 <= tone[k] <= 1 for k in ("positive", "negative", "neutral"))


def test_100kb_is_fast():
    for text in ("bad " * 25_000, "Good. " * 17_000, "!" * 100_000):
        start = time.perf_counter()
        score_tone(text)
        assert time.perf_counter() - start < 10.0


def test_the_neutral_shortcut_agrees_with_vader_on_real_sentences(seed_bytes, fakenews_csv):
    import csv

    from streams.enrich.tone import _NEUTRAL, _analyzer, _surely_neutral, sentence_spans

    analyzer = _analyzer()
    csv.field_size_limit(10**9)
    with fakenews_csv.open(encoding="utf-8") as handle:
        texts = [seed_bytes.decode()] + [row["content"] or "" for row, _ in zip(csv.DictReader(handle), range(60))]
    sentences = [t[s:e] for t in texts for s, e in sentence_spans(t)] + [
        "The meeting took place in Geneva on Tuesday.", "Officials said (in a statement) the talks were good.",
        "It was not bad.", "Prices rose :)", "Sales rose 5% 🙂", "The SHIPMENT arrived."]
    shortcut = [s for s in sentences if _surely_neutral(s, analyzer.lexicon)]
    assert "The meeting took place in Geneva on Tuesday." in shortcut
    assert not {"Officials said (in a statement) the talks were good.", "It was not bad.", "Prices rose :)",
                "Sales rose 5% 🙂"} & set(shortcut)
    assert len(shortcut) > 100          # a real share of news sentences takes the shortcut
    for sentence in shortcut:
        assert analyzer.polarity_scores(sentence) == _NEUTRAL, sentence
