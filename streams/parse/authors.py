"""Bylines -> clean lists of person names ("By ANDREW C. MCCARTHY / FAMILY SECURITY MATTERS" -> ["Andrew C. McCarthy"])."""
from __future__ import annotations

import re

_BY = re.compile(r"^\s*(?:written\s+|posted\s+|reported\s+)?by\s*:?\s*", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\s&\s|\sand\s|\s/\s|\||\u2013|\u2014|\s-\s)\s*", re.IGNORECASE)
_POSSESSIVE_SITE = re.compile(r"[’']s\s+\S*\.(?:com|net|org|info|co\.uk)\S*$", re.IGNORECASE)
# Words that mark a part of a byline as a role or an organisation rather than a person.
NOT_A_PERSON = frozenset("""
staff editor editors editorial columnist contributor contributors correspondent reporter reporters writer
writers senior executive chief managing associate news times post press daily weekly report reports blog
media network agency wire team desk admin administrator guest author authors journal magazine online tv radio
channel foundation institute center centre group inc ltd llc matters thinker watchdog review tribune herald
gazette observer service services citizen journalist journalists founder president director photographer
reuters associated afp ap cnn bbc fox
""".split())
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.-]*|[a-z]{1,3}|[A-Z]\.?)$")   # "McCarthy", "de", "C."


def clean_authors(values: list[str] | str | None) -> list[str]:
    """Person names from one or more bylines, deduplicated in order; roles, sites and "By" removed."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    names: list[str] = []
    for value in values:
        for name in _names_in(value):
            if name.casefold() not in (n.casefold() for n in names):
                names.append(name)
    return names


def _names_in(byline: str) -> list[str]:
    byline = _BY.sub("", byline.strip().rstrip(":"))
    byline = _POSSESSIVE_SITE.sub("", byline)
    out = []
    for part in _SPLIT.split(byline):
        part = part.strip(" .:;,'\"()[]")
        part = re.sub(r"^(?:by\s+)", "", part, flags=re.IGNORECASE)
        name = _as_person_name(part)
        if name:
            out.append(name)
    return out


def _as_person_name(part: str) -> str | None:
    words = part.split()
    if not 2 <= len(words) <= 5:
        return None
    if any(w.strip(".,").casefold() in NOT_A_PERSON for w in words):
        return None
    if any(ch.isdigit() for ch in part) or "@" in part or "." in part.replace(". ", " ").rstrip(".").split()[-1]:
        return None
    if part.isupper():                                   # "ANDREW C. MCCARTHY"
        words = [_title_word(w) for w in words]
    if not all(_NAME_WORD.match(w) for w in words) or not words[0][0].isupper() or not words[-1][0].isupper():
        return None
    return " ".join(words)


def _title_word(word: str) -> str:
    w = word.capitalize()
    if w.startswith("Mc") and len(w) > 2:               # MCCARTHY -> McCarthy
        w = "Mc" + w[2:].capitalize()
    if "'" in w or "’" in w:                              # O'BRIEN -> O'Brien
        head, sep, tail = w.partition("'" if "'" in w else "’")
        w = head + sep + tail.capitalize()
    return w
