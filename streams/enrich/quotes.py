"""Direct quotations in an article and who said them.

A linear scan pairs quotation marks line by line (straight and curly doubles, and
single quotes when they open after a space and close before a non-letter); the
speaker comes from the sentence around the quote: `X said "..."`, `"...," said X`,
`"...," X said`, `according to X`, then from the NER entities (a pronoun resolves to
the last PERSON before the quote; a sentence with a speech verb but no subject
phrase takes its nearest PERSON/ORG), then from the previous quote of the same line.
"""
from __future__ import annotations

import bisect
import re
from typing import Iterable

from streams.enrich.tone import sentence_spans

# Quotes of 1-3 words are scare quotes or titles, not statements.
MIN_QUOTE_WORDS = 4
# A speaker phrase longer than this is a clause, not a name or description.
MAX_SPEAKER_WORDS = 10
# How far around a quote (chars) the attribution is looked for, within its sentence.
ATTRIBUTION_WINDOW = 300
# Share of capitalised words above which a quoted span is a title ("The Art of War").
TITLE_CASE_SHARE = 0.8

_SPEECH_VERBS = (
    "said|says|say|told|tells|added|adds|stated|states|explained|explains|wrote|writes|"
    "declared|announced|noted|notes|insisted|insists|warned|warns|claimed|claims|argued|"
    "argues|asked|asks|replied|continued|tweeted|posted|commented|remarked|urged|"
    "acknowledged|admitted|confirmed|denied|recalled|saying|quoted"
)
_QUOTE_CHARS = re.compile(r"[\"“”„«»‘’']")
_OPEN_DOUBLE, _CLOSE_DOUBLE = "“„«", "”»"
_VERB_RE = re.compile(rf"\b(?:{_SPEECH_VERBS})\b", re.IGNORECASE)
_SAID_X = re.compile(rf"^[\s,—–-]*(?:{_SPEECH_VERBS})\s+([^,;:!?\"“”()]{{1,100}})", re.IGNORECASE)
_X_SAID = re.compile(rf"^[\s,—–-]*([^,.;:!?\"“”()]{{1,100}}?)\s+(?:{_SPEECH_VERBS})\b", re.IGNORECASE)
_ACCORDING_TO = re.compile(r"\baccording to\s+([^,.;:!?\"“”()]{1,100})", re.IGNORECASE)
# Time and circumstance phrases that follow a speaker ("said Smith on Monday").
_SPEAKER_TAIL = re.compile(
    r"\s+(?:on|after|before|during|when|while|as|last|this|yesterday|earlier|today|in an? (?:interview|statement))\b.*$",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[,;:()—–\"“”]")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_TRAILING = " \t,;:"
_LEADING_FILLER = frozenset("and but then so while as also later".split())
_ASIDE = re.compile(r"^\s*(?:|(?:who|which|whose|in|on|after|before|during|when|while|as|last|this|yesterday|earlier|today)\b.*)$", re.IGNORECASE | re.DOTALL)
_TITLE_SMALL_WORDS = frozenset("a an the of and or in on at to for by with from".split())
_TRAILING_FILLER = frozenset(
    "has had have is was were also later reportedly then once previously has previously "
    "quoted as been on in at".split()
)
_REJECTED_SPEAKER_START = frozenset("that this it there what which who whom where when if".split())
_PRONOUNS = frozenset("he she they we i you it".split())
_SPEAKER_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE"})


def extract_quotes(text: str, entities: Iterable[dict] = ()) -> list[dict]:
    """[{"text": quoted words, "speaker": str | None}] in order of appearance."""
    entities = sorted((e for e in entities if e.get("label") in _SPEAKER_LABELS), key=lambda e: e["start"])
    sentences = sentence_spans(text)
    quotes, seen = [], set()
    previous_line_end, previous_speaker = -1, None
    for start, end, line_end in _quote_spans(text):
        quoted = text[start:end].strip().rstrip(_TRAILING).strip()
        if not _is_statement(quoted):
            continue
        sentence_start, sentence_end = _enclosing_sentence(sentences, start - 1, end)
        speaker = _speaker_from_text(text, start - 1, end + 1, sentence_start, sentence_end)
        speaker = _resolve_with_entities(text, speaker, entities, start, end, sentence_start, sentence_end)
        if speaker is None and previous_line_end == line_end:
            speaker = previous_speaker
        previous_line_end, previous_speaker = line_end, speaker
        key = (quoted, speaker)
        if key not in seen:
            seen.add(key)
            quotes.append({"text": quoted, "speaker": speaker})
    return quotes


def _quote_spans(text: str):
    """Yield (start, end, line_end) of the inside of each quotation, line by line.

    A double quote left open at the end of its line runs to the end of that line
    (the news convention for a quote continuing into the next paragraph).
    """
    open_double = open_single = None
    line_end = text.find("\n")
    line_end = len(text) if line_end < 0 else line_end
    for mark in _QUOTE_CHARS.finditer(text):
        pos, char = mark.start(), mark.group()
        if pos > line_end:
            if open_double is not None and line_end - open_double > 1:
                yield open_double, line_end, line_end
            open_double = open_single = None
            line_end = text.find("\n", pos)
            line_end = len(text) if line_end < 0 else line_end
        before = text[pos - 1] if pos else " "
        after = text[pos + 1] if pos + 1 < len(text) else " "
        if char == '"':
            if open_double is None:
                open_double, open_single = pos + 1, None
            else:
                yield open_double, pos, line_end
                open_double = None
        elif char in _OPEN_DOUBLE:
            open_double, open_single = pos + 1, None
        elif char in _CLOSE_DOUBLE:
            if open_double is not None:
                yield open_double, pos, line_end
                open_double = None
        elif open_double is None:  # single quotes, only outside a double quotation
            if open_single is None:
                if char in "‘'" and (before.isspace() or before in "([—–") and after.isalnum():
                    open_single = pos + 1
            elif char in "’'" and not before.isspace() and not after.isalpha():
                yield open_single, pos, line_end
                open_single = None
    if open_double is not None and line_end - open_double > 1:
        yield open_double, line_end, line_end


def _is_statement(quoted: str) -> bool:
    words = _WORD.findall(quoted)
    if len(words) < MIN_QUOTE_WORDS:
        return False
    content = [word for word in words if word.lower() not in _TITLE_SMALL_WORDS] or words
    capitalised = sum(word[0].isupper() for word in content)
    return capitalised / len(content) < TITLE_CASE_SHARE


def _enclosing_sentence(sentences: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The span from the sentence holding `start` to the one holding `end` (binary search)."""
    first = bisect.bisect_right(sentences, (start, len_max := 1 << 62)) - 1
    last = bisect.bisect_right(sentences, (end, len_max)) - 1
    first_start = sentences[first][0] if first >= 0 and sentences[first][1] > start else start
    last_end = sentences[last][1] if last >= 0 else end
    return min(first_start, start), max(last_end, end)


def _speaker_from_text(text: str, quote_open: int, quote_close: int, sentence_start: int, sentence_end: int):
    before = text[max(sentence_start, quote_open - ATTRIBUTION_WINDOW):quote_open]
    after = text[quote_close:min(sentence_end, quote_close + ATTRIBUTION_WINDOW)]
    verbs = list(_VERB_RE.finditer(before))
    if verbs:
        # The subject is the clause before the verb, or the one before an inserted
        # aside ("Smith, in an interview, said").
        for segment in _CLAUSE_BREAK.split(before[:verbs[-1].start()])[::-1][:3]:
            speaker = _clean_speaker(segment)
            if speaker:
                return speaker
            if not _ASIDE.match(segment):
                break
    for pattern in (_SAID_X, _X_SAID):
        match = pattern.match(after)
        if match:
            speaker = _clean_speaker(match.group(1))
            if speaker:
                return speaker
    for context in (before, after):
        match = _ACCORDING_TO.search(context)
        if match:
            return _clean_speaker(match.group(1))
    return None


def _clean_speaker(phrase: str) -> str | None:
    words = _SPEAKER_TAIL.sub("", phrase).rstrip(". ").split()
    while words and words[0].lower() in _LEADING_FILLER:
        words.pop(0)
    while words and words[-1].lower() in _TRAILING_FILLER:
        words.pop()
    if not words or len(words) > MAX_SPEAKER_WORDS or words[0].lower() in _REJECTED_SPEAKER_START:
        return None
    if not any(ch.isalpha() for ch in words[0]):
        return None
    if len(words) > 1 and words[0].lower() in _PRONOUNS:
        return None  # "He also shared ...": a clause, not a name
    return " ".join(words)


def _resolve_with_entities(text, speaker, entities, start, end, sentence_start, sentence_end):
    """Replace a pronoun by the last PERSON before the quote; fill a missing speaker
    from the nearest PERSON/ORG of a sentence that has a speech verb."""
    if speaker is not None and speaker.lower() not in _PRONOUNS:
        return speaker
    if speaker is not None:
        wanted = ("PERSON",) if speaker.lower() in ("he", "she", "i") else ("PERSON", "ORG")
        previous = [e for e in entities if e["end"] <= start and e["label"] in wanted]
        return previous[-1]["text"] if previous else None
    outside = text[sentence_start:start] + " " + text[end:sentence_end]
    if not _VERB_RE.search(outside):
        return None
    nearby = [
        e for e in entities
        if e["label"] in ("PERSON", "ORG") and sentence_start <= e["start"] and e["end"] <= sentence_end
        and not (start <= e["start"] < end)
    ]
    if not nearby:
        return None
    return min(nearby, key=lambda e: min(abs(e["start"] - end), abs(e["end"] - start)))["text"]
