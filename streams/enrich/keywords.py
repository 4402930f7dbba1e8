"""Keywords of an article: content phrases ranked by frequency x rarity (TF-IDF style).

Candidates are runs of 1-3 content words inside one sentence (never across a line,
a sentence, punctuation or a possessive), plus the named entities when the NER
output is given. Stop words are spaCy's English list; inflected verb forms ("killed",
"advancing") break phrases too. A word's rarity is 7 minus its Zipf frequency in the
shipped English table (wordfreq); a phrase scores its count (doubled when it is also
in the title) times the summed rarity of its words over sqrt(length). Deterministic:
ties break alphabetically.
"""
from __future__ import annotations

import gzip
import math
import re
from bisect import bisect_right
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Iterable

from spacy.lang.en.stop_words import STOP_WORDS

from streams.data import word_zipf
from streams.enrich.tone import sentence_spans

MAX_PHRASE_WORDS = 3
# A multi-word phrase must occur this often unless it is an entity or in the title.
MIN_PHRASE_COUNT = 2
# Longer entity names are cut to this many words.
MAX_ENTITY_WORDS = 5
# Rarity = ZIPF_CEILING - Zipf frequency: "the" (7.7) weighs 0, "airstrikes" (~3) weighs 4.
ZIPF_CEILING = 7.0
# Zipf frequency assumed for words missing from the table (rarer than its last entry).
UNKNOWN_ZIPF = 2.0
# Count multiplier for a candidate also found in the title, and for a named entity.
TITLE_BOOST = 2.0
ENTITY_BOOST = 1.5
# Entity labels that make good keywords (not dates, numbers, money, ordinals).
KEYWORD_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
# Only the first characters are read; keywords of a 100 KB page are in its first part.
MAX_TEXT_CHARS = 50_000

_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+|[^\w\s]")
_POSSESSIVE = re.compile(r"['’]s?$")
_EXTRA_STOP_WORDS = frozenset(
    "said says say told tells according also like just new including percent per cent mr mrs ms dr "
    "via today yesterday tomorrow week weeks month months year years day days time times "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june "
    "july august september october november december ago lot lots thing things way image images "
    "photo video click read share comments comment".split()
)


@lru_cache(maxsize=1)
def _verb_forms() -> frozenset[str]:
    with resources.files("streams.data").joinpath("english_verb_forms.txt.gz").open("rb") as raw:
        with gzip.open(raw, "rt", encoding="utf-8") as lines:
            return frozenset(line.strip() for line in lines)


def is_stop_word(word: str) -> bool:
    """True for a lowercase English function word (spaCy's list plus news filler)."""
    return word in STOP_WORDS or word in _EXTRA_STOP_WORDS


def is_verb_form(word: str) -> bool:
    """True for a lowercase inflected verb form that is never a noun or adjective ("killed")."""
    return word in _verb_forms()


def _rarity(word: str) -> float:
    return max(0.0, ZIPF_CEILING - word_zipf().get(word, UNKNOWN_ZIPF))


def _is_content(word: str) -> bool:
    return (
        len(word) > 1 and word[0].isalpha() and not is_stop_word(word) and not is_verb_form(word)
        and not word.endswith("ly") and "'" not in word and "’" not in word
    )


def _key(words: tuple[str, ...]) -> tuple[str, ...]:
    """Phrase key that merges simple plurals ("airstrikes" / "airstrike")."""
    last = words[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return words[:-1] + (last,)


def _phrases(text: str, blocked: list[tuple[int, int]]) -> list[tuple[str, ...]]:
    """Every 1-3 word run of content words of every sentence of `text`, lowercased, in reading order (of each run:
    its single words, then its pairs, then its triples)."""
    inside = _inside_any(blocked) if blocked else None
    phrases: list[tuple[str, ...]] = []
    for start, end in sentence_spans(text):
        run: list[str] = []
        for token in _TOKEN.finditer(text, start, end):
            lower, content, possessive = _word_info(token.group())
            if content and (inside is None or not inside(token.start())):
                run.append(lower)
                if not possessive:
                    continue
            if run:
                _add_ngrams(run, phrases)
                run = []
        if run:
            _add_ngrams(run, phrases)
    return phrases


@lru_cache(maxsize=50_000)          # bounded: ~10 MB at most
def _word_info(word: str) -> tuple[str, bool, bool]:
    """(lowercased word without a possessive, is it a content word?, had it a possessive?): words repeat, so
    this is cached."""
    lower = _POSSESSIVE.sub("", word.lower()) if word[0].isalpha() else ""
    return lower, bool(lower) and _is_content(lower), lower != word.lower()


def _inside_any(spans: list[tuple[int, int]]):
    """position -> True if it falls inside one of the (start, end) spans (merged, then bisected)."""
    starts: list[int] = []
    ends: list[int] = []
    for s, e in sorted(spans):
        if ends and s <= ends[-1]:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)

    def inside(pos: int) -> bool:
        i = bisect_right(starts, pos) - 1
        return i >= 0 and pos < ends[i]
    return inside


def _add_ngrams(run: list[str], phrases: list[tuple[str, ...]]) -> None:
    phrases.extend((word,) for word in run)
    for n in range(2, min(MAX_PHRASE_WORDS, len(run)) + 1):
        phrases.extend(zip(*(run[i:] for i in range(n))))


def extract_keywords(text: str, title: str = "", entities: Iterable[dict] = (), k: int = 10) -> list[str]:
    """The k best keywords of the article, lowercased, best first."""
    text = text[:MAX_TEXT_CHARS]
    entities = [e for e in entities if e.get("label") in KEYWORD_LABELS and e.get("end", 0) <= len(text)]
    counts: dict[tuple[str, ...], int] = {}
    surface: dict[tuple[str, ...], tuple[str, ...]] = {}
    spans = [(e["start"], e["end"]) for e in entities]
    for phrase, count in Counter(_phrases(text, spans)).items():    # in order of first occurrence
        key = _key(phrase)
        counts[key] = counts.get(key, 0) + count
        surface.setdefault(key, phrase)
    entity_keys = set()
    for entity in entities:
        words = [w for w in (_POSSESSIVE.sub("", t.lower()) for t in _TOKEN.findall(entity["text"])) if w[:1].isalpha()]
        while words and is_stop_word(words[0]):
            words.pop(0)
        while words and is_stop_word(words[-1]):
            words.pop()
        if not words:
            continue
        key = _key(tuple(words[:MAX_ENTITY_WORDS]))
        counts[key] = counts.get(key, 0) + 1
        surface.setdefault(key, words)
        entity_keys.add(key)
    # "Palau" after "Luis Palau": a lone surname counts for the full name.
    for key in [k for k in entity_keys if len(k) == 1]:
        longer = sorted(k for k in entity_keys if len(k) > 1 and k[-1] == key[0])
        if len(longer) == 1:
            counts[longer[0]] += counts.pop(key)
            entity_keys.discard(key)
    title_keys = {_key(p) for p in _phrases(title, [])}
    title_text = " " + " ".join(_TOKEN.findall(title.lower())) + " "
    scored = []
    for key, count in counts.items():
        in_title = key in title_keys or (key in entity_keys and f" {' '.join(surface[key])} " in title_text)
        if key not in entity_keys and not in_title and (
            (len(key) > 1 and count < MIN_PHRASE_COUNT) or (len(key) == 1 and key[0].endswith("ed"))
        ):
            continue  # one-off word runs and lone participles ("shared") are rarely keywords
        weight = count * (TITLE_BOOST if in_title else 1.0)
        if key in entity_keys:
            weight *= ENTITY_BOOST
        rarity = sum(_rarity(w) for w in surface[key])
        scored.append((-weight * rarity / math.sqrt(len(key)), " ".join(surface[key]), key))
    scored.sort()
    chosen: list[tuple[str, ...]] = []
    keywords: list[str] = []
    for score, phrase, key in scored:
        if len(keywords) >= k or score >= 0:
            break
        if any(_contains(other, key) or _contains(key, other) for other in chosen):
            continue
        chosen.append(key)
        keywords.append(phrase)
    return keywords


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return n <= len(longer) and any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))
