"""Text scanning the extractors share.

- Whole-word occurrences of literal phrases, without a regular expression per phrase. The extractors look up
  names they found elsewhere in the article ("Port Arthur" everywhere in the body). A regex per name
  (``(?<!\\w)NAME(?!\\w)``) misses ``re``'s small compile cache for almost every article, so compiling cost more
  than matching; ``str.find`` with the same boundary test gives the same matches.
- ``break_long_runs``: what spaCy's tokenizer is handed, so that no input makes it quadratic.
"""
from __future__ import annotations

import re
from typing import Iterable

MAX_RUN = 200                # characters without a space that a tokenizer is handed at most (most URLs fit)
_LONG_RUN = re.compile(r"\S{%d,}" % (MAX_RUN + 1))
# A run of punctuation and symbols only is all affixes to spaCy, the costliest kind: cut much shorter.
MAX_SYMBOL_RUN = 20
_LONG_SYMBOL_RUN = re.compile(r"[^\w\s]{%d,}" % (MAX_SYMBOL_RUN + 1))


def is_word_char(ch: str) -> bool:
    """What ``\\w`` matches in a ``str`` regular expression: letters, digits (any script) and the underscore."""
    return ch.isalnum() or ch == "_"


def find_whole(text: str, phrase: str, not_after: str = "") -> list[tuple[int, int]]:
    """(start, end) of every occurrence of ``phrase`` not preceded nor followed by a word character, left to
    right, non-overlapping (as ``re.finditer`` would give). ``not_after``: more characters that must not precede
    it (e.g. "." so that "Georgia" in "S.Georgia" is not taken)."""
    found: list[tuple[int, int]] = []
    for start, end in _all_whole(text, phrase, not_after):
        if not found or start >= found[-1][1]:
            found.append((start, end))
    return found


def find_whole_many(text: str, phrases: Iterable[str]) -> list[tuple[str, int, int]]:
    """(phrase, start, end) of whole-word occurrences of any of ``phrases``, left to right; where several start at
    one position the longest wins, and matches never overlap (what one regex alternation, longest first, gives)."""
    hits = sorted((start, -(end - start), phrase, end)
                  for phrase in set(phrases) for start, end in _all_whole(text, phrase))
    out, last_end = [], 0
    for start, _, phrase, end in hits:
        if start >= last_end:
            out.append((phrase, start, end))
            last_end = end
    return out


def _all_whole(text: str, phrase: str, not_after: str = "") -> list[tuple[int, int]]:
    """Every whole-word occurrence of ``phrase``, overlapping ones too (the callers choose among them)."""
    if not phrase:
        return []
    found, size, at = [], len(phrase), text.find(phrase)
    while at >= 0:
        end = at + size
        before = text[at - 1] if at else ""
        if (not before or not (is_word_char(before) or before in not_after)) \
                and (end >= len(text) or not is_word_char(text[end])):
            found.append((at, end))
        at = text.find(phrase, at + 1)
    return found


def break_long_runs(text: str) -> str:
    """``text`` with a space in place of every (MAX_RUN + 1)-th character of a run of more than MAX_RUN
    non-space characters, and of every (MAX_SYMBOL_RUN + 1)-th of a run of more than MAX_SYMBOL_RUN
    punctuation or symbol characters: the same length, so every offset still points into the original.

    spaCy's tokenizer splits affixes off a run one at a time, copying the rest each time: quadratic in the run's
    length. 8,000 apostrophes took 5 s, 40,000 about two minutes; 64,000 characters of "ago3.5Published:" 1.5 s.
    Cut at 200 characters (most URLs keep their one token), the worst case is a few seconds for a 200,000-character
    text, linear in its length.
    """
    if len(text) > MAX_SYMBOL_RUN and _LONG_SYMBOL_RUN.search(text):
        text = _LONG_SYMBOL_RUN.sub(lambda run: _spaced(run, MAX_SYMBOL_RUN), text)
    if len(text) <= MAX_RUN or not _LONG_RUN.search(text):
        return text
    return _LONG_RUN.sub(lambda run: _spaced(run, MAX_RUN), text)


def _spaced(run: re.Match, size: int) -> str:
    """The run with a space in place of every (size + 1)-th character."""
    chars = run.group()
    return " ".join(chars[i:i + size] for i in range(0, len(chars), size + 1))
