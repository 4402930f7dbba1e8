"""CAMEO-style event coding: sentences in, coded events with actors and place out.

A pure, parser-free coder. Sentences come from spaCy's rule-based
``sentencizer``; triggers come from a hand-written lexicon of verb phrases
(inflected by rule plus an irregular-verb table) and event nouns
(``streams/data/cameo/lexicon.yaml``); codes, names and Goldstein weights from
``streams/data/cameo/codes.yaml``. Negated, modal and hypothetical mentions are
dropped; actors are the noun phrase before (source) and after (target) the
trigger, found with closed-class word lists and the caller's entity spans.

    extract_events(text, entities=(), locations=()) -> [
        {"code": "190", "root": "19", "label": "Fight",
         "code_label": "Use conventional military force",
         "quad_class": 4, "quad_label": "material conflict", "goldstein": -10.0,
         "sentence": "...", "trigger": "downed",
         "actors": {"source": "Al-Qaida-linked militants", "target": "Russian fighter jet"},
         "place": "Idlib"}, ...]
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, Iterable, Sequence

import yaml

from streams.enrich.tone import sentence_spans
from streams.spacy_memory import warm_tokenizer_cache
from streams.textscan import break_long_runs, find_whole

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "cameo"

# --- thresholds, in one place -------------------------------------------------
MAX_TEXT_CHARS = 200_000          # longer input is cut: bounded time on any article
MAX_SENTENCE_TOKENS = 200         # longer "sentences" (tables, lists) are cut
MAX_SENTENCE_CHARS = 50 * MAX_SENTENCE_TOKENS   # what the tokenizer is handed of one sentence: room for 200 tokens
MAX_EVENTS_PER_ARTICLE = 12       # keep only the most salient events
GAP_MAX_TOKENS = 4                # "_" in a pattern spans 0..4 tokens
NEGATION_WINDOW = 4               # tokens before a trigger searched for not/never/no
DENIAL_WINDOW = 8                 # tokens before a trigger searched for deny/denied
MODAL_WINDOW = 4                  # tokens before a trigger searched for could/would/may ("could be used to")
ACTOR_SCAN_TOKENS = 30            # how far actor search walks from the trigger
PLACE_DEFAULT_LABELS = frozenset({"GPE", "LOC", "FAC"})
ACTOR_MODIFIER_LABELS = frozenset({"NORP", "GPE", "ORG", "PERSON"})

# --- closed-class word lists ---------------------------------------------------
DETERMINERS = frozenset("a an the its his her their our my your this these those some any another each every "
                        "both all several many few".split())
PREPOSITIONS = frozenset("of in on at from to by with for near into onto over under across against after before "
                         "during since until around towards toward through between among about via inside outside "
                         "within without upon amid amidst despite per than as like beyond behind along off out "
                         "targeting".split())
CLAUSE_WORDS = frozenset("and or but nor so yet while because although though if unless whether when where which "
                         "who whom whose what that how why then".split())
AUX_WORDS = frozenset("is are was were be been being am has have had having do does did will would shall should can "
                      "could may might must 's 've 'd 'll 're 'm wo ca get got gets".split())
BE_FORMS = frozenset("is are was were be been being am 're got get gets".split())   # not 's: "he's attacked" is has
ADVERBS = frozenset("not n't also reportedly allegedly then now already still just later recently again jointly "
                    "repeatedly never even only more most very much there here too once subsequently eventually "
                    "finally previously earlier apparently reported allegedly partly largely fully newly "
                    "initially immediately quickly heavily brutally deliberately indiscriminately "
                    "reportedly".split())
ASPECT_VERBS = frozenset("began begun begin begins beginning started start starts starting continued continue "
                         "continues continuing managed manage manages tried try tries attempted resumed keep kept "
                         "keeps to".split())
COMMON_VERBS = frozenset("said say says saying told tell tells reported report reports confirmed confirm confirms "
                         "announced added claimed stated noted shows show showed shown stand stands stood posted "
                         "wrote write writes according appeared appear appears seemed seem seems made make makes "
                         "went go goes came come comes saw see sees".split())
NEGATORS = frozenset("not n't never no neither nor without cannot nobody none".split())
DENIALS = frozenset("deny denies denied denying dismissed refuted".split())
MODALS = frozenset("could would might may should must can will shall 'd 'll wo ca".split())
HYPOTHETICAL = frozenset("if unless whether scenario scenarios hypothetical hypothetically imagine suppose "
                         "supposing lest".split())
# "vowed to attack": the attack has not happened; "managed to take back" has.
IRREALIS_GOVERNORS = ("want plan vow threaten intend seek try aim hope prepare promise refuse decline expect pledge "
                      "urge ask offer agree consider propose need wish fail attempt call order warn demand "
                      "plot").split()
IRREALIS_NOUNS = frozenset("plans plan threat threats attempt attempts bid efforts effort intention readiness "
                           "ready willing poised set going able likely order orders call calls".split())
TIME_WORDS = frozenset("monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow tonight "
                       "morning evening night week weekend month year day days weeks months years january february "
                       "march april may june july august september october november december last next this "
                       "earlier".split())
_NP_LEAD_SKIP = DETERMINERS | ADVERBS
RELATIVE_PRONOUNS = frozenset("who which that".split())
PASSIVE_AGENT = "by"
IGNORED = "-"                     # code of lexicon "ignore" phrases: matched, then dropped


@dataclass(frozen=True)
class _Token:
    norm: str         # lower-cased text
    text: str
    start: int        # char offsets in the original text
    end: int
    joined: bool      # attached to the previous word by a hyphen ("Al-Qaida-linked")
    is_punct: bool


@dataclass(frozen=True)
class _Pattern:
    code: str
    kind: str                               # "verbs" | "nouns" | "ignore"
    elements: tuple                         # frozenset of words, or None for a gap
    size: int                               # number of literal elements (longest wins)


@dataclass
class _Match:
    start: int
    end: int                                # exclusive token index
    pattern: _Pattern


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
class _Lexicon:
    by_first: dict                  # first word -> [patterns], longest first
    participles: frozenset
    verb_forms: frozenset           # every inflected verb trigger word (verb-ish for actor search)
    base_forms: frozenset           # verb trigger lemmas (a sentence-initial lemma is an imperative)
    support_forms: frozenset
    governor_forms: frozenset
    codes: dict                     # code -> (name, goldstein)
    roots: dict                     # root -> (name, quad)
    quad_labels: dict
    size: int                       # number of patterns

    @cached_property
    def may_hold_event(self) -> Callable[[str], bool] | None:
        """The sentence prefilter of this lexicon (see :func:`_prefilter_for`), built once."""
        return _prefilter_for(self.by_first)


def _split_words(word: str) -> frozenset:
    return frozenset(w for w in word.split("|") if w)


@lru_cache(maxsize=1)
def load_lexicon() -> _Lexicon:
    """Read codes.yaml and lexicon.yaml once; index patterns by their first word."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    codes_doc = yaml.load((DATA_DIR / "codes.yaml").read_text(encoding="utf-8"), Loader=loader)
    lex_doc = yaml.load((DATA_DIR / "lexicon.yaml").read_text(encoding="utf-8"), Loader=loader)
    irregular = {k: tuple(v) for k, v in (lex_doc.get("irregular") or {}).items()}
    codes = {str(c): (v[0], float(v[1])) for c, v in codes_doc["codes"].items()}
    roots = {str(r): (v[0], int(v[1])) for r, v in codes_doc["roots"].items()}
    by_first: dict[str, list[_Pattern]] = {}
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
            pattern = _Pattern(code, kind, tuple(elements), sum(e is not None for e in elements))
            count += 1
            for first in elements[0]:
                by_first.setdefault(first, []).append(pattern)
    for patterns in by_first.values():
        patterns.sort(key=lambda p: (-p.size, p.kind != "verbs"))   # longest first; verbs win ties
    support = set()
    for lemma in lex_doc.get("support_verbs") or ():
        support |= verb_forms(lemma, irregular)[0]
    governors = set(IRREALIS_NOUNS)
    for lemma in IRREALIS_GOVERNORS:
        governors |= verb_forms(lemma, irregular)[0]
    return _Lexicon(by_first, frozenset(participles), frozenset(all_verb_forms), frozenset(base_forms),
                    frozenset(support),
                    frozenset(governors), codes, roots,
                    {int(k): v for k, v in codes_doc["quad_labels"].items()}, count)


# --- tokenisation ----------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _tokenizer():
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    warm_tokenizer_cache(tokenizer)
    return tokenizer


def split_sentences(text: str, may_hold_event: Callable[[str], bool] | None = None) -> list[list[_Token]]:
    """Sentences as token lists with char offsets into ``text``; lines never join.

    Sentences are those of :func:`streams.enrich.tone.sentence_spans` (the split tone, quotes and keywords use,
    computed once per article); words are spaCy's English tokenizer's. ``may_hold_event(sentence)`` False skips
    a sentence without tokenizing it (most sentences hold no trigger).
    """
    # spaCy cannot take lone surrogates; one code point for one keeps every offset (orjson and strict UTF-8
    # keep them out of the stream: this guards the function, called with any str)
    text = _SURROGATE.sub("\ufffd", text[:MAX_TEXT_CHARS])
    text = break_long_runs(text)       # same length; spaCy's tokenizer is quadratic in a run's length
    spans = [(s, e) for s, e in sentence_spans(text)
             if may_hold_event is None or may_hold_event(text[s:e])]
    sentences: list[list[_Token]] = []
    tokenizer = _tokenizer()
    with tokenizer.vocab.memory_zone():         # nothing of spaCy's outlives the block (streams/spacy_memory.py)
        for (offset, _), doc in zip(spans, tokenizer.pipe(text[s:min(e, s + MAX_SENTENCE_CHARS)] for s, e in spans)):
            tokens = _sentence_tokens(doc, offset)
            if tokens:
                sentences.append(tokens)
    return sentences


def _sentence_tokens(doc, offset: int) -> list[_Token]:
    """The words of one tokenized sentence, as plain strings and offsets into the article (``offset``: where the
    sentence starts); a "-" glued to both neighbours joins them."""
    tokens: list[_Token] = []
    joined_next = False
    for tok in doc:
        if tok.is_space:
            continue
        glued = tok.text == "-" and tok.i > 0 and not doc[tok.i - 1].whitespace_ and not tok.whitespace_
        if glued:
            joined_next = True
            continue
        tokens.append(_Token(tok.lower_, tok.text, offset + tok.idx, offset + tok.idx + len(tok.text),
                             joined_next, tok.is_punct))
        joined_next = False
        if len(tokens) >= MAX_SENTENCE_TOKENS:
            break
    return tokens


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _trigger_prefilter(lexicon: "_Lexicon") -> Callable[[str], bool] | None:
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

def _match_at(tokens: Sequence[_Token], i: int, elements: tuple) -> int | None:
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


def find_triggers(tokens: Sequence[_Token], lexicon: _Lexicon) -> list[_Match]:
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
                options.append(_Match(i, end, pattern))
        # most literal words, then the noun reading after a determiner, then the widest span
        found = max(options, key=lambda m: (m.pattern.size, prefer_noun == (m.pattern.kind == "nouns"), m.end),
                    default=None)
        if found:
            matches.append(found)
            i = found.end
        else:
            i += 1
    return matches


# --- negation, modality --------------------------------------------------------------

def _window_before(tokens: Sequence[_Token], i: int, size: int, stop_at_punct: bool = True) -> list[str]:
    words = []
    for j in range(i - 1, max(-1, i - 1 - size), -1):
        if stop_at_punct and tokens[j].norm in {",", ";", ":", "(", ")"}:
            break
        words.append(tokens[j].norm)
    return words


def is_irrealis(tokens: Sequence[_Token], i: int, lexicon: _Lexicon) -> bool:
    """True when the trigger at i is negated, denied, modal, hypothetical or an unrealised purpose."""
    if tokens[-1].norm == "?":
        return True
    if NEGATORS.intersection(_window_before(tokens, i, NEGATION_WINDOW)):
        return True
    if DENIALS.intersection(_window_before(tokens, i, DENIAL_WINDOW, stop_at_punct=False)):
        return True
    if MODALS.intersection(_window_before(tokens, i, MODAL_WINDOW)):
        return True
    if any(t.norm in HYPOTHETICAL for t in tokens[:i]):
        return True
    j = i - 1
    while j >= 0 and tokens[j].norm in ADVERBS:
        j -= 1
    if j >= 1 and tokens[j].norm == "to":
        k = j - 1
        while k >= 0 and tokens[k].norm in ADVERBS:
            k -= 1
        if k >= 0 and tokens[k].norm in lexicon.governor_forms:
            return True
    return False


# --- actors ----------------------------------------------------------------------------

class _Sentence:
    """Token classes for one sentence: which tokens can sit inside a noun phrase."""

    def __init__(self, tokens: Sequence[_Token], entities: Sequence[dict], lexicon: _Lexicon):
        self.tokens = tokens
        self.lexicon = lexicon
        self.entity_of = [self._entity_at(t, entities) for t in tokens]

    @staticmethod
    def _entity_at(token: _Token, entities: Sequence[dict]) -> dict | None:
        for ent in entities:
            if ent["start"] <= token.start and token.end <= ent["end"]:
                return ent
        return None

    def is_verbish(self, j: int) -> bool:
        t = self.tokens[j]
        if t.joined or self.entity_of[j] or (j > 0 and t.text[:1].isupper()):   # Title-Case headline words
            return False
        return (t.norm in COMMON_VERBS or t.norm in AUX_WORDS or t.norm in self.lexicon.verb_forms
                or (t.norm.endswith("ed") and len(t.norm) > 4 and t.text.islower()))

    def is_possessive(self, j: int) -> bool:
        """"'s" before a noun ("Russia's foreign ministry"), not the contracted "is"/"has"."""
        if self.tokens[j].norm not in {"'s", "’s"} or j + 1 >= len(self.tokens):
            return False
        nxt = self.tokens[j + 1]
        return nxt.text.isalpha() and not (nxt.norm in DETERMINERS or nxt.norm in ADVERBS or self.is_verbish(j + 1))

    def is_np(self, j: int) -> bool:
        t = self.tokens[j]
        if self.entity_of[j] or (t.joined and not t.is_punct) or self.is_possessive(j):
            return True
        if t.is_punct:
            return False
        if t.norm in DETERMINERS or t.norm in PREPOSITIONS or t.norm in CLAUSE_WORDS or t.norm in ADVERBS:
            return False
        if t.norm in ASPECT_VERBS or t.norm in MODALS:
            return False
        return not self.is_verbish(j)

    def np_left(self, end: int) -> tuple[int, int] | None:
        """The noun-phrase run ending at token ``end`` (inclusive), as [start, end]."""
        if end < 0 or not self.is_np(end):
            return None
        start = end
        while start - 1 >= 0 and self.is_np(start - 1) and end - start < ACTOR_SCAN_TOKENS:
            start -= 1
        return start, end

    def np_right(self, begin: int) -> tuple[int, int] | None:
        j = begin
        while j < len(self.tokens) and self.tokens[j].norm in _NP_LEAD_SKIP:
            j += 1
        if j >= len(self.tokens) or not self.is_np(j):
            return None
        end = j
        while end + 1 < len(self.tokens) and self.is_np(end + 1) and end - j < ACTOR_SCAN_TOKENS:
            end += 1
        # "one of its fighter jets": keep "of" chains together
        if end + 2 < len(self.tokens) and self.tokens[end + 1].norm == "of":
            tail = self.np_right(end + 2)
            if tail:
                end = tail[1]
        return j, end

    def text_of(self, span: tuple[int, int] | None, source_text: str) -> str | None:
        if span is None:
            return None
        s, e = span
        while s <= e and (self.tokens[s].norm in DETERMINERS or self.tokens[s].is_punct):
            s += 1
        while e >= s and self.tokens[e].is_punct:          # "the site's" -> "site"
            e -= 1
        if s > e:
            return None
        ents = {id(self.entity_of[k]) for k in range(s, e + 1)}
        if len(ents) == 1 and self.entity_of[s] and self.entity_of[s].get("label") in {"DATE", "TIME", "CARDINAL"}:
            return None
        if all(self.tokens[k].norm in TIME_WORDS or self.tokens[k].norm.isdigit() for k in range(s, e + 1)):
            return None                                   # "on Sunday", "in 2015": when, not who
        return source_text[self.tokens[s].start:self.tokens[e].end]

    def _skip_left(self, j: int) -> int:
        while j >= 0 and (self.tokens[j].norm in ADVERBS or self.tokens[j].norm in AUX_WORDS
                          or self.tokens[j].norm in ASPECT_VERBS or self.tokens[j].norm in MODALS):
            j -= 1
        return j

    def subject(self, i: int, depth: int = 0) -> tuple[int, int] | None:
        """The noun phrase acting as subject of the verb at token i."""
        j = self._skip_left(i - 1)
        if j < 0 or depth > 3:
            return None
        t = self.tokens[j].norm
        if t in RELATIVE_PRONOUNS:                       # "X, who attended", "strikes ... which killed"
            j -= 1
            while j >= 0 and self.tokens[j].is_punct:
                j -= 1
            return self._head_of_chain(j)
        if t in {"and", "but", "then"}:                  # "X downed a jet and killed its pilot"
            for k in range(j - 1, max(-1, j - ACTOR_SCAN_TOKENS), -1):
                if self.tokens[k].is_punct and self.tokens[k].norm in {";", ":"}:
                    return None
                if self.is_verbish(k) and self.tokens[k].norm not in AUX_WORDS:
                    return self.subject(k, depth + 1)
            return None
        return self._head_of_chain(j)

    def _head_of_chain(self, j: int) -> tuple[int, int] | None:
        """Walk left over "NP prep NP" chains to the head NP ("militants in Syria" -> militants)."""
        span = self.np_left(j)
        steps = 0
        while span and steps < 4:
            k = span[0] - 1
            while k >= 0 and self.tokens[k].norm in DETERMINERS:
                k -= 1
            if k >= 1 and self.tokens[k].norm in {"and", "&"} and self.is_np(k - 1):   # "Israel and Hamas"
                prev = self.np_left(k - 1)
                span = (prev[0], span[1])
                steps += 1
                continue
            if k >= 1 and self.tokens[k].norm in PREPOSITIONS and self.tokens[k].norm not in {"than", "as"}:
                prev = self.np_left(k - 1)
                if prev is None:
                    break
                if self.tokens[k].norm == "of":
                    span = (prev[0], span[1])
                else:
                    span = prev
                steps += 1
                continue
            break
        return span

    def object(self, end: int, noun: bool) -> tuple[int, int] | None:
        """The noun phrase after the trigger (via with/on/against for verbs; on/against for nouns)."""
        j = end
        allowed = {"against", "on", "targeting"} if noun else {"with", "on", "against", "at", "upon", "to"}
        if j < len(self.tokens) and self.tokens[j].norm in allowed:
            j += 1
        elif noun:
            return None
        return self.np_right(j)

    def agent(self, end: int) -> tuple[int, int] | None:
        """The "by X" phrase of a passive trigger."""
        for j in range(end, min(len(self.tokens), end + 4)):
            if self.tokens[j].norm == PASSIVE_AGENT:
                return self.np_right(j + 1)
        return None

    def is_passive(self, i: int) -> bool:
        if self.tokens[i].norm not in self.lexicon.participles:
            return False
        j = i - 1
        while j >= 0 and self.tokens[j].norm in ADVERBS:
            j -= 1
        return j >= 0 and self.tokens[j].norm in BE_FORMS

    def modifier_entity(self, i: int) -> tuple[int, int] | None:
        """An actor entity inside the noun phrase just before a noun trigger ("Russian air strikes")."""
        for j in range(i - 1, max(-1, i - 4), -1):
            ent = self.entity_of[j]
            if ent and ent.get("label") in ACTOR_MODIFIER_LABELS:
                k = j
                while k - 1 >= 0 and self.entity_of[k - 1] is ent:
                    k -= 1
                return k, j
            if not self.is_np(j):
                return None
        return None

    def support_verb(self, i: int) -> int | None:
        """Index of a support verb governing the noun trigger at i ("attended the meeting")."""
        j = i - 1
        while j >= 0 and (self.is_np(j) or self.tokens[j].norm in DETERMINERS) and i - j < 6:
            j -= 1
        if j >= 0 and self.tokens[j].norm == "out":            # "carried out airstrikes"
            j -= 1
        if j >= 0 and self.tokens[j].norm in self.lexicon.support_forms:
            return j
        return None


# --- places ---------------------------------------------------------------------------

def _place_mentions(text: str, entities: Sequence[dict], locations: Sequence[dict]) -> list[tuple[int, int, str]]:
    """(start, end, place name) for every location mention: resolved locations first, then place entities."""
    name_of: dict[str, str] = {}
    for loc in locations:
        name = loc.get("name")
        if not name:
            continue
        for form in {*(loc.get("mentions") or ()), name}:
            if form and len(form) >= 2:
                name_of.setdefault(form, name)
    found: set[tuple[int, int, str]] = set()
    for form, name in name_of.items():
        for start, end in find_whole(text, form):
            found.add((start, end, name))
    covered = {(s, e) for s, e, _ in found}
    for ent in entities:
        if ent.get("label") in PLACE_DEFAULT_LABELS and (ent["start"], ent["end"]) not in covered:
            surface = ent.get("text") or text[ent["start"]:ent["end"]]
            name = name_of.get(surface) or name_of.get(ent.get("canonical") or "") or ent.get("canonical") or surface
            found.add((ent["start"], ent["end"], name))
    return sorted(found)


def _place_for(trigger_start: int, sent_start: int, sent_end: int, mentions: Sequence[tuple[int, int, str]],
               exclude: Iterable[tuple[int, int]]) -> str | None:
    inside = [m for m in mentions if sent_start <= m[0] and m[1] <= sent_end
              and not any(s <= m[0] and m[1] <= e for s, e in exclude)]
    after = [m for m in inside if m[0] >= trigger_start]
    if after:
        return after[0][2]
    before = [m for m in inside if m[0] < trigger_start]
    return before[-1][2] if before else None


# --- events ------------------------------------------------------------------------------

def _char_span(sent: _Sentence, span: tuple[int, int] | None) -> tuple[int, int] | None:
    return None if span is None else (sent.tokens[span[0]].start, sent.tokens[span[1]].end)


def _event(code: str, lexicon: _Lexicon) -> dict:
    root = code[:2]
    root_name, quad = lexicon.roots[root]
    name, goldstein = lexicon.codes[code]
    return {"code": code, "root": root, "label": root_name, "code_label": name, "quad_class": quad,
            "quad_label": lexicon.quad_labels[quad], "goldstein": goldstein}


# codes whose pattern names the object inside it ("release _ hostages", "expel _ ambassador")
_GAP_OBJECT_ROOTS = frozenset({"08", "16", "17", "18"})

# killing verbs whose subject is an attack noun ("35 airstrikes ... which killed five civilians")
# are folded into that attack instead of standing as an event of their own.
_ABSORBABLE_CODES = frozenset({"1823", "190"})
_ABSORBING_ROOTS = frozenset({"18", "19", "20"})


def events_in_sentence(tokens: Sequence[_Token], text: str, entities: Sequence[dict],
                       mentions: Sequence[tuple[int, int, str]], lexicon: _Lexicon) -> list[dict]:
    """Coded events of one sentence: at most one per code."""
    sent = _Sentence(tokens, entities, lexicon)
    sent_start, sent_end = tokens[0].start, tokens[-1].end
    sentence_text = text[sent_start:sent_end]
    candidates = []
    for match in find_triggers(tokens, lexicon):
        i, end, pattern = match.start, match.end, match.pattern
        if pattern.kind == "ignore" or is_irrealis(tokens, i, lexicon):
            continue
        if i == 0 and pattern.kind == "verbs" and tokens[0].norm in lexicon.base_forms:
            continue                                      # imperative: "Visit our website", "Meet the team"
        noun = pattern.kind == "nouns"
        if noun:
            support = sent.support_verb(i)
            if support is not None and is_irrealis(tokens, support, lexicon):
                continue
            source = sent.modifier_entity(i) or sent.agent(end)
            if source is None and support is not None:
                source = sent.subject(support)
            target = sent.object(end, noun=True)
            target_chars = _char_span(sent, target)
            if target_chars and any(s <= target_chars[0] and target_chars[1] <= e for s, e, _ in mentions):
                target = None                        # "airstrikes on Saraqeb": a place, not a target
        elif sent.is_passive(i):
            source, target = sent.agent(end), sent.subject(i)
        else:
            source, target = sent.subject(i), sent.object(end, noun=False)
            if (source is None and candidates and i > 0
                    and tokens[i - 1].norm == ","):      # "Troops opened fire, killing 12"; "X Downs Jet, Kills Pilot"
                source = candidates[-1][1]
        if not noun and None in pattern.elements and pattern.code[:2] in _GAP_OBJECT_ROOTS:
            inner = sent.np_right(i + 1)                  # "expelled the Canadian ambassador"
            if inner and inner[0] < end:
                target = (inner[0], min(inner[1], end - 1))
        candidates.append((match, source, target))

    events: dict[str, dict] = {}
    for match, source, target in candidates:
        code = match.pattern.code
        src_chars = _char_span(sent, source)
        if code in _ABSORBABLE_CODES and src_chars:
            host = next((e for e in events.values() if e["root"] in _ABSORBING_ROOTS and e["_noun"]
                         and src_chars[0] <= e["_start"] < src_chars[1]), None)
            if host is not None:
                if host["actors"]["target"] is None:
                    host["actors"]["target"] = sent.text_of(target, text)
                continue
        if code in events:
            continue
        event = _event(code, lexicon)
        event.update({
            "sentence": sentence_text,
            "trigger": text[tokens[match.start].start:tokens[match.end - 1].end],
            "actors": {"source": sent.text_of(source, text), "target": sent.text_of(target, text)},
            "place": _place_for(tokens[match.start].start, sent_start, sent_end, mentions,
                                [src_chars] if src_chars else []),
            "_noun": match.pattern.kind == "nouns", "_start": tokens[match.start].start,
        })
        if event["actors"]["target"] == event["actors"]["source"]:
            event["actors"]["target"] = None
        events[code] = event
    return list(events.values())


def _salience(event: dict) -> float:
    material = 2.0 if event["quad_class"] in (2, 4) else 0.0
    return abs(event["goldstein"]) + material


def select_salient(events: Sequence[dict], limit: int = MAX_EVENTS_PER_ARTICLE) -> list[int]:
    """Indices of the events to keep: the best of every root code first, then the rest by salience."""
    order = sorted(range(len(events)), key=lambda k: (-_salience(events[k]), k))
    chosen, roots = [], set()
    for k in order:
        if events[k]["root"] not in roots:
            roots.add(events[k]["root"])
            chosen.append(k)
    chosen += [k for k in order if k not in set(chosen)]
    return chosen[:limit]


def extract_events(text: str, entities: Sequence[dict] = (), locations: Sequence[dict] = ()) -> list[dict]:
    """CAMEO events in ``text``, in reading order, at most ``MAX_EVENTS_PER_ARTICLE``.

    ``entities``: [{"text","label","start","end","canonical"}] char spans in ``text``;
    ``locations``: [{"name","country_code","lat","lon","mentions":[...]}]. Both optional.
    Each event: {"code","root","label","code_label","quad_class","quad_label","goldstein",
    "sentence","trigger","actors":{"source","target"},"place"}.
    """
    if not text or not text.strip():
        return []
    lexicon = load_lexicon()
    text = text[:MAX_TEXT_CHARS]
    entities = [e for e in entities if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)]
    mentions = _place_mentions(text, entities, locations)
    entities.sort(key=lambda e: e["start"])
    starts = [e["start"] for e in entities]
    found: list[dict] = []
    seen_sentences: set[str] = set()
    for tokens in split_sentences(text, _trigger_prefilter(lexicon)):
        sentence_text = text[tokens[0].start:tokens[-1].end]
        if sentence_text in seen_sentences:          # repeated headline / pull quote
            continue
        seen_sentences.add(sentence_text)
        first, last = bisect_left(starts, tokens[0].start), bisect_left(starts, tokens[-1].end)
        ents = [e for e in entities[first:last] if e["end"] <= tokens[-1].end]
        found.extend(events_in_sentence(tokens, text, ents, mentions, lexicon))
    kept = [found[k] for k in sorted(select_salient(found))]
    for event in kept:
        event.pop("_noun", None)
        event.pop("_start", None)
    return kept
