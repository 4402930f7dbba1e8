"""Tone of an article: VADER scored sentence by sentence, then averaged.

Also home of `sentence_spans`, the sentence splitter the other text extractors share
(quotes, keywords, and the events of the classify stage).
"""
from __future__ import annotations

import re
import string
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Sentences longer than this are cut before scoring: VADER gains nothing past a few
# hundred words and a 100 KB run-on "sentence" must not stall the stream.
MAX_SENTENCE_CHARS = 2_000
# Only the first sentences are scored; news tone is set early and this bounds the cost.
MAX_TONE_SENTENCES = 400

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and an
# uppercase letter, digit or opening quote/bracket (up to two: '“(2) A'), or a period that glues two words
# ("time.Comments"); lines always end a sentence.
# The lookbehind and possessive quantifiers keep a 100 KB run of "!!!" linear.
_SENTENCE_END = re.compile(
    r"(?<![.!?])[.!?]++[\"'”’)\]]*+(?=[ \t]++[\"'“‘(\[]{0,2}[A-Z0-9])"
    r"|(?<=[a-z][a-z])\.(?=[A-Z][a-z])"     # "at any time.Comments": scraped text glued at a sentence end
)
_LINE = re.compile(r"[^\n]+")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]{0,8})\.$")
_HAS_LETTER = re.compile(r"[^\W\d_]")
# Periods after these do not end a sentence (titles, initials, months, "U.S.").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt cmdr adm gov sen rep st jr sr rev hon pres "
    "inc ltd co corp bros vs etc no nos fig jan feb mar apr jun jul aug sep sept oct nov dec "
    "u.s u.k u.n e.g i.e a.m p.m d.c u.s.a".split()
)


@lru_cache(maxsize=8)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) character offsets of the sentences of `text`, never crossing a line break.

    Tone, quotes, keywords and events all split the same body: the last few results are kept (lru_cache), so an
    article is split once.
    """
    return tuple(_sentence_spans(text))


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start = line.start()
        body = line.group()
        for end in _SENTENCE_END.finditer(body):
            word = _WORD_BEFORE.search(body, max(0, end.start() - 10), end.start() + 1)
            if word and end.group()[0] == "." and (
                word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1
            ):
                continue
            _append_stripped(spans, text, start, line.start() + end.end())
            start = line.start() + end.end()
        _append_stripped(spans, text, start, line.end())
    return spans


def _append_stripped(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


# What VADER returns for a sentence none of whose words is in its lexicon (a quarter of news sentences).
_NEUTRAL = {"neg": 0.0, "neu": 1.0, "pos": 0.0, "compound": 0.0}


def _surely_neutral(sentence: str, lexicon: dict) -> bool:
    """True if VADER would score ``sentence`` as _NEUTRAL: ASCII (no emoji for VADER to spell out) and no word,
    as written or stripped of punctuation, in its lexicon. Boosters, negations and "but" only change the valence
    of lexicon words, so without one every word scores 0. Saves VADER's per-character and per-word Python loops."""
    if not sentence.isascii():
        return False
    for word in sentence.split():
        lower = word.lower()
        if lower in lexicon or lower.strip(string.punctuation) in lexicon:
            return False
    return True


def score_tone(text: str) -> dict:
    """{"compound", "positive", "negative", "neutral"} of `text`.

    compound is the mean of VADER's per-sentence compound scores (-1..1): VADER's
    whole-text compound saturates towards +-1 on any long text (the seed scores -0.98
    as a whole), while the sentence mean keeps articles comparable. positive/negative/
    neutral are VADER's proportions averaged over sentences weighted by their length.
    A text without any sentence is neutral.
    """
    analyzer = _analyzer()
    compounds, weights = [], []
    proportions = {"pos": 0.0, "neg": 0.0, "neu": 0.0}
    for start, end in sentence_spans(text)[:MAX_TONE_SENTENCES]:
        sentence = text[start:min(end, start + MAX_SENTENCE_CHARS)]
        if not _HAS_LETTER.search(sentence):
            continue
        scores = _NEUTRAL if _surely_neutral(sentence, analyzer.lexicon) else analyzer.polarity_scores(sentence)
        weight = len(sentence.split())
        compounds.append(scores["compound"])
        weights.append(weight)
        for key in proportions:
            proportions[key] += scores[key] * weight
    if not compounds:
        return {"compound": 0.0, "positive": 0.0, "negative": 0.0, "neutral": 1.0}
    total = sum(weights)
    return {
        "compound": round(sum(compounds) / len(compounds), 4),
        "positive": round(proportions["pos"] / total, 4),
        "negative": round(proportions["neg"] / total, 4),
        "neutral": round(proportions["neu"] / total, 4),
    }
