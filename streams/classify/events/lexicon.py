"""The CAMEO trigger lexicon (streams/data/cameo/): verb and noun patterns, their inflections, and matching.

Patterns are matched on lower-cased token texts; a verb pattern's first word matches every inflection of its
lemma (rules plus the irregular table). ``may_hold_event`` is a cheap word test run before a sentence is parsed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, Sequence

import yaml

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "cameo"
GAP_MAX_TOKENS = 4                # "_" in a pattern spans 0..4 tokens
IGNORED = "-"                     # code of lexicon "ignore" phrases: matched, then dropped
DETERMINERS = frozenset("a an the its his her their our my your this these those some any another each every "
                        "both all several many few".split())

@dataclass(frozen=True)
class Pattern:
    code: str
    kind: str                               # "verbs" | "nouns" | "ignore"
    elements: tuple                         # frozenset of words, or None for a gap
    size: int                               # number of literal elements (longest wins)


@dataclass
class Match:
    start: int
    end: int                                # exclusive token index
    pattern: Pattern


# --- lexicon -------------------------------------------------------------------

def _third_person(lemma: str) -> str:
    if lemma.endswith(("s", "x", "z", "ch", "sh", "o")):
        return lemma + "es"
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        return lemma[:-1] + "ies"
    return lemma + "s"


def _regular_past(lemma: str) -> str:
    if lemma.endswith("e"):
        return lemma + "d"
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        return lemma[:-1] + "ied"
    return lemma + "ed"


def _present_participle(lemma: str, past: str) -> str:
    if lemma.endswith("ie"):
        return lemma[:-2] + "ying"
    if lemma.endswith("e") and not lemma.endswith(("ee", "ye", "oe")):
        return lemma[:-1] + "ing"
    stem = past[:-2] if past.endswith("ed") else ""
    if len(stem) > len(lemma) and stem[-1] == stem[-2]:      # kidnapped -> kidnapping
        return stem + "ing"
    return lemma + "ing"


def verb_forms(lemma: str, irregular: dict, past_only: bool = False) -> tuple[set[str], set[str]]:
    """All inflections of a verb lemma, and its past participles (for passive detection)."""
    past, participle = irregular.get(lemma, (_regular_past(lemma), _regular_past(lemma)))
    participles = {participle}
    forms = {past, participle, _present_participle(lemma, past)}
    if not past_only:
        forms |= {lemma, _third_person(lemma)}
    return forms, participles


def noun_forms(word: str) -> set[str]:
    """A noun and its plural."""
    if word.endswith("s"):
        return {word}
    return {word, _third_person(word) if not word.endswith("o") else word + "s"}


@dataclass(frozen=True)
class Lexicon:
    by_first: dict                  # first word -> [patterns], longest first
    participles: frozenset
    verb_forms: frozenset           # every inflected verb trigger word (verb-ish for actor search)
    base_forms: frozenset           # verb trigger lemmas (a sentence-initial lemma is an imperative)
    support_forms: frozenset
    irregular: dict                 # lemma -> (past, participle)
    codes: dict                     # code -> (name, goldstein)
    roots: dict                     # root -> (name, quad)
    quad_labels: dict
    size: int                       # number of patterns

    def forms(self, lemmas: str) -> frozenset:
        """Every inflection of the space-separated verb lemmas (for word classes such as "say tell state")."""
        out: set[str] = set()
        for lemma in lemmas.split():
            out |= verb_forms(lemma, self.irregular)[0]
        return frozenset(out)

    @cached_property
    def may_hold_event(self) -> Callable[[str], bool] | None:
        """The sentence prefilter of this lexicon (see :func:`_prefilter_for`), built once."""
        return _prefilter_for(self.by_first)


def _split_words(word: str) -> frozenset:
    return frozenset(w for w in word.split("|") if w)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Read codes.yaml and lexicon.yaml once; index patterns by their first word."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    codes_doc = yaml.load((DATA_DIR / "codes.yaml").read_text(encoding="utf-8"), Loader=loader)
    lex_doc = yaml.load((DATA_DIR / "lexicon.yaml").read_text(encoding="utf-8"), Loader=loader)
    irregular = {k: tuple(v) for k, v in (lex_doc.get("irregular") or {}).items()}
    codes = {str(c): (v[0], float(v[1])) for c, v in codes_doc["codes"].items()}
    roots = {str(r): (v[0], int(v[1])) for r, v in codes_doc["roots"].items()}
    by_first: dict[str, list[Pattern]] = {}
    participles: set[str] = set()
    all_verb_forms: set[str] = set()
    base_forms: set[str] = set()
    count = 0
    sections = [("verbs", code, phrases) for code, phrases in (lex_doc.get("verbs") or {}).items()]
    sections += [("nouns", code, phrases) for code, phrases in (lex_doc.get("nouns") or {}).items()]
    sections.append(("ignore", IGNORED, lex_doc.get("ignore") or []))
    for kind, code, phrases in sections:
        code = str(code)
        if code not in codes and kind != "ignore":
            raise ValueError(f"lexicon code {code} missing from codes.yaml")
        for phrase in phrases:
            words = phrase.lower().split()
            elements: list = []
            for pos, word in enumerate(words):
                if "~" in word.rstrip("~"):
                    raise ValueError(f"lexicon pattern {phrase!r}: '~' goes at the end of the word, for all its forms")
                if word == "_":
                    elements.append(None)
                elif kind == "verbs" and pos == 0:
                    forms: set[str] = set()
                    for alt in _split_words(word.rstrip("~")):
                        base_forms.add(alt)
                        f, p = verb_forms(alt, irregular, past_only=word.endswith("~"))
                        forms |= f
                        participles |= p
                    all_verb_forms |= forms
                    elements.append(frozenset(forms))
                elif pos == len(words) - 1:                 # last word: also its plural
                    elements.append(frozenset(f for alt in _split_words(word) for f in noun_forms(alt)))
                else:
                    elements.append(_split_words(word))
            pattern = Pattern(code, kind, tuple(elements), sum(e is not None for e in elements))
            count += 1
            for first in elements[0]:
                by_first.setdefault(first, []).append(pattern)
    for patterns in by_first.values():
        patterns.sort(key=lambda p: (-p.size, p.kind != "verbs"))   # longest first; verbs win ties
    support = set()
    for lemma in lex_doc.get("support_verbs") or ():
        support |= verb_forms(lemma, irregular)[0]
    return Lexicon(by_first, frozenset(participles), frozenset(all_verb_forms), frozenset(base_forms),
                    frozenset(support), irregular, codes, roots,
                    {int(k): v for k, v in codes_doc["quad_labels"].items()}, count)




_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _trigger_prefilter(lexicon: Lexicon) -> Callable[[str], bool] | None:
    """A cheap test that a sentence may hold a trigger: some pattern's first word is in it, and so is one
    alternative of each of that pattern's other words (None: cannot tell, tokenize every sentence)."""
    return lexicon.may_hold_event


def _prefilter_for(by_first: dict) -> Callable[[str], bool] | None:
    if not all(_WORD.fullmatch(w) for w in by_first):
        return None
    # per first word: for each of its patterns, the alternatives of every other literal element that a word
    # search can see (an element with a non-word form, e.g. "n't" or "u.s.", is not required: cannot tell)
    required = {first: [tuple(el for el in p.elements[1:] if el is not None and all(_WORD.fullmatch(w) for w in el))
                        for p in patterns]
                for first, patterns in by_first.items()}

    firsts = frozenset(required)    # a set, not the dict: set & dict walks the whole dict (~900 words) every call

    def may_hold_event(sentence: str) -> bool:
        lowered = sentence.lower()
        words = set(_WORD.findall(lowered))
        if "'" in lowered or "’" in lowered:    # spaCy splits "don't" into "do" + "n't", "Iran's" into "iran" + "'s"
            for word in [w for w in words if "'" in w or "’" in w]:
                head = re.split("['’]", word, maxsplit=1)[0]
                words.update((head, head[:-1]) if head.endswith("n") else (head,))
        for first in words & firsts:
            if any(all(not alternatives.isdisjoint(words) for alternatives in others) for others in required[first]):
                return True
        return False
    return may_hold_event


# --- trigger matching -------------------------------------------------------------

def _match_at(tokens: Sequence, i: int, elements: tuple) -> int | None:
    """End index if ``elements`` match from token i, else None (gaps try shortest first)."""
    if not elements:
        return i
    head, rest = elements[0], elements[1:]
    if head is None:
        for skip in range(GAP_MAX_TOKENS + 1):
            if i + skip > len(tokens):
                break
            if any(t.is_punct for t in tokens[i:i + skip]):
                break
            end = _match_at(tokens, i + skip, rest)
            if end is not None:
                return end
        return None
    if i < len(tokens) and tokens[i].norm in head:
        return _match_at(tokens, i + 1, rest)
    return None


def find_triggers(tokens: Sequence, lexicon: Lexicon) -> list[Match]:
    """Longest non-overlapping lexicon matches, left to right."""
    matches, i = [], 0
    while i < len(tokens):
        # after a determiner a word like "bombing" is the noun, elsewhere the verb
        prefer_noun = i > 0 and (tokens[i - 1].norm in DETERMINERS or tokens[i - 1].norm in {"'s", "’s"})
        options = []
        for pattern in lexicon.by_first.get(tokens[i].norm, ()):
            if options and pattern.size < options[0].pattern.size:
                break                                    # patterns are sorted longest first
            end = _match_at(tokens, i, pattern.elements)
            if end is not None:
                options.append(Match(i, end, pattern))
        # most literal words, then the noun reading after a determiner, then the widest span
        found = max(options, key=lambda m: (m.pattern.size, prefer_noun == (m.pattern.kind == "nouns"), m.end),
                    default=None)
        if found:
            matches.append(found)
            i = found.end
        else:
            i += 1
    return matches

