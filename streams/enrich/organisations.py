"""Organisations the model misses or mislabels, found by the shape of the text around them.

``mark_organisations(text, mentions)`` runs after ``entities.clean_mentions`` (article.find_mentions), in both
modes. Structure only, no list of organisations:

- **Legal-form suffixes**: "Homegate Hospitality Inc", "Jeans Mate Corp", "Gold Fields of South Africa Ltd": the
  capitalised words before Inc / Corp / Ltd / plc / SA / AG / NV / GmbH / Co / LLC / Bancorp ... are a company,
  the suffix included (CoNLL and OntoNotes both keep it). The company's first word(s) alone, where the model
  called them a person or a place, are the company too ("Jones common stock" after "Jones Medical Industries
  Inc"), unless a full person name of the article contains them.
- **Media in apposition**: "the news agency Tanjug", "the official newspaper Granma", "Zycie Warszawy daily
  said", "Interfax news agency said": the name is an organisation, without the apposed noun.
"""
from __future__ import annotations

import re

from streams.data import word_zipf
from streams.enrich.entities import CORRECTIONS, Mention, _SpanSet, _clean_text, full_name_words
from streams.textscan import find_whole_many

COMPANY_WINDOW = 120            # characters before a legal form searched for the company's name
COMMON_PLURAL_ZIPF = 3.5        # a capitalised first word this frequent (and plural) is the sentence, not the name
LEGAL_FORMS = (r"Inc|Incorporated|Corp|Corporation|Ltd|Limited|LLC|L\.L\.C|Plc|PLC|plc|SA|S\.A|AG|NV|N\.V|BV|GmbH|"
               r"SpA|S\.p\.A|AB|ASA|Oyj|KK|Bhd|Co|Cos|Company|Bancorp|Holdings|Group")
_WORD = r"(?:[A-Z][\w'’&-]*\.?|&)"
_FORM = rf"(?:{LEGAL_FORMS})\.?"
_COMPANY = re.compile(
    rf"(?<![\w.])(?P<name>{_WORD}(?: (?:{_WORD}|of|de|du|and|the|für))*?) (?P<form>{_FORM}(?: {_FORM})?)"
    r"(?![\w'’])")
_FORM_WORD = re.compile(rf"(?<=[\w.&] )(?:{LEGAL_FORMS})\b")
# words a capitalised run may start with that are no part of a name: sentence openers, days, months
NOT_NAME_START = frozenset("""The A An On In At For By From With And But Of To As After Before Since Under Its His
Her Their Our This That These Those Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
April May June July August September October November December Shares Analysts Officials""".split())
# "Co" and "Group" are also ordinary words after a name ("Co-op"? no: \w excluded; "Chelsea Group stage"): they
# count only with a second capitalised word before them, or a full stop / comma after
_WEAK_FORMS = frozenset({"Co", "Co.", "Cos", "Cos.", "Company", "Group", "Holdings"})

_MEDIA_NOUN = (r"news agency|press agency|agency|newspaper|daily|weekly|news weekly|news magazine|magazine|"
               r"radio|television|TV|broadcaster|news service")
_MEDIA_WORD = re.compile(rf"\b(?:{_MEDIA_NOUN})\b")
_NAME = r"[A-Z][\w'’.-]*(?: (?:[A-Z][\w'’.-]*|de|di|al|el))*"
_MEDIA_BEFORE = re.compile(rf"\b(?:{_MEDIA_NOUN}) (?P<name>{_NAME})")            # "the news agency Tanjug"
_MEDIA_AFTER = re.compile(rf"(?P<name>{_NAME}) (?:{_MEDIA_NOUN})\b(?= (?:said|says|reported|reports|quoted|"
                          r"quotes|cited|added|wrote|published|carried|\(|,|\.))")  # "Interfax news agency said"


def company_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, first words) of every "Name + legal form" in the text."""
    out: list[tuple[int, int, str]] = []
    for lo, hi in _windows(text, _FORM_WORD, COMPANY_WINDOW, 12):
        for m in _COMPANY.finditer(text, lo, hi):
            if out and m.start() < out[-1][1]:
                continue
            words, form = m.group("name").split(" "), m.group("form")
            skip = 0
            while skip < len(words) and (words[skip].rstrip(".") in NOT_NAME_START or not words[skip][:1].isupper()
                                         or skip == 0 and _common_plural(words[0]) and len(words) > 2):
                skip += 1
            words = words[skip:]
            if not words or form.split()[0] in _WEAK_FORMS and len(words) < 2 or len(" ".join(words)) <= 2:
                continue
            start = m.start("name") + sum(len(w) + 1 for w in m.group("name").split(" ")[:skip])
            out.append((start, m.end("form"), words[0]))
    return out


def _windows(text: str, hint: re.Pattern[str], before: int, after: int) -> list[tuple[int, int]]:
    """Text windows around each match of ``hint``: from ``before`` characters ahead of it (cut at a space) to
    ``after`` characters past it, merged where they overlap. The name regexes are costly: they run only there."""
    windows: list[tuple[int, int]] = []
    for f in hint.finditer(text):
        lo = text.find(" ", f.start() - before) + 1 if f.start() > before else 0
        hi = min(len(text), f.end() + after)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return windows


def _common_plural(word: str) -> bool:
    """"Miners", "Shares", "Workers": a frequent English plural, not how a company's name starts ("Miners of X Ltd")."""
    return word.endswith("s") and word_zipf().get(word.lower(), 0.0) >= COMMON_PLURAL_ZIPF


def media_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for lo, hi in _windows(text, _MEDIA_WORD, COMPANY_WINDOW, COMPANY_WINDOW):
        for pattern in (_MEDIA_BEFORE, _MEDIA_AFTER):
            for m in pattern.finditer(text, lo, hi):
                name = m.group("name")
                if name.split()[0] in NOT_NAME_START or name.split()[0] in ("State", "Official") \
                        or (m.start("name"), m.end("name")) in spans:
                    continue
                spans.append((m.start("name"), m.end("name")))
    return spans


def mark_organisations(text: str, mentions: list[Mention]) -> list[Mention]:
    """Mentions with companies (legal-form suffix) and media (apposition) as ORG, added where the model missed
    them; a model span inside or across such a name gives way to it. Sorted by start."""
    if not isinstance(text, str) or not text or not CORRECTIONS["organisations"]:
        return mentions
    companies = company_spans(text)
    found = [(s, e) for s, e, _ in companies] + media_spans(text)
    if not found:
        return mentions
    found = sorted(set(found), key=lambda se: (se[0], -se[1]))
    person_words = full_name_words(mentions)
    keep: list[tuple[int, int]] = []
    for s, e in found:                                       # leftmost, then longest; no overlaps
        if not any(ks < e and s < ke for ks, ke in keep):
            keep.append((s, e))
    exact = {(m.start, m.end): m for m in mentions}
    for s, e in keep:
        if (s, e) in exact:                                   # the model's own span: keep its canonical ("SANA")
            exact[s, e].label = "ORG"
    drop = {id(m) for m in mentions for s, e in keep if m.start < e and s < m.end and (s, e) not in exact}
    mentions = [m for m in mentions if id(m) not in drop]
    for s, e in keep:
        if (s, e) not in exact:
            name = _clean_text(text[s:e])
            mentions.append(Mention(name, "ORG", s, e, name))
    # the company's first word alone, where the model called it a person or a place
    short = {first for _, _, first in companies
             if len(first) > 2 and first.casefold() not in person_words and first[:1].isupper()}
    for m in mentions:
        if m.text in short and m.label in ("PERSON", "GPE", "LOC"):
            m.label, m.canonical = "ORG", m.text
    if short:
        spans = _SpanSet(mentions)
        for name, s, e in find_whole_many(text, short):
            if spans.free(s, e) and _followed_by_company_word(text, e):
                mentions.append(Mention(name, "ORG", s, e, name))
                spans.add(s, e)
    mentions.sort(key=lambda m: m.start)
    return mentions


_COMPANY_CONTEXT = re.compile(r"^(?:'s|’s)?\s*(?:shares?|stock|common|board|executives?|spokes\w+|said it|says it)\b")


def _followed_by_company_word(text: str, end: int) -> bool:
    return bool(_COMPANY_CONTEXT.match(text[end:end + 24].lstrip()))

