"""Bylines -> clean lists of person names; the one implementation behind scraped text, HTML and JSON input.

"By ANDREW C. MCCARTHY / FAMILY SECURITY MATTERS" -> ["Andrew C. McCarthy"];
"Von Roland Brockmann und Sebastian Drescher" -> ["Roland Brockmann", "Sebastian Drescher"];
"Jane Doe | The Coastal Ledger" with the site name given -> ["Jane Doe"].

A part of a byline is kept when it is shaped like a person's name: words that start with a capital (or short
lowercase particles: "de", "van"), no digits, no e-mail or URL, no organisation word ("News", "Blog",
"Institute"...). Role words ("Staff Writer", "Senior Editor") are dropped around the name.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

# ---------------------------------------------------------------- settings: every word list in one place
MAX_AUTHOR_WORDS = 5          # a longer "name" is a sentence or a tagline
MAX_AUTHOR_CHARS = 60
MAX_PARTICLE_CHARS = 4        # "de", "van", "bin", "della": lowercase words allowed inside a name

# Words that may open a byline and are dropped ("By Jane Doe", "Von ...", "View all posts by ...").
BYLINE_PREFIX = re.compile(
    r"^\s*(?:view all posts by|zeige alle beiträge von|alle beiträge von|more articles by|(?:all )?posts by|"
    r"written by|posted by|authored by|reported by|contributed by|by|von|par|por|di)\b\s*:?\s*", re.IGNORECASE)
# How names are separated inside a byline (also used by scripts/eval_extraction.py to split gold annotations).
AUTHOR_SEPARATORS = re.compile(r"\s*(?:;|,|&|\||/|\band\b|\bund\b|\bet\b|\by\b)\s*", re.IGNORECASE)
DASH_SEPARATORS = re.compile(r"\s+[-\u2013\u2014]\s+|\s*[\u2013\u2014]\s*")   # "Giovani – Liveanddare.com"
# "Greg Hunter’s USAWatchdog.com": the possessive names the site, not a second author
POSSESSIVE_SITE = re.compile(r"[’']s\s+\S*\.(?:com|net|org|info|co\.uk)\S*$", re.IGNORECASE)

# A part holding one of these words is an organisation or a site, never a person.
ORGANISATION_WORDS = frozenset("""
news times post press daily weekly report reports blog blogs media network agency agencies wire journal magazine
online tv radio channel foundation institute center centre group inc ltd llc matters thinker watchdog review
tribune herald gazette observer examiner service services citizen society association university college
committee council department ministry office company corporation bureau party
newsroom redaktion redacción redaccion rédaction editorial platform base culture ticker prism hedge
reuters associated afp ap cnn bbc fox team desk admin administrator unknown user guest gast
""".split())
# Role words dropped around a name ("Jane Doe Staff Writer" -> "Jane Doe"); alone they are no name.
ROLE_WORDS = frozenset("""
staff editor editors contributor contributors correspondent reporter reporters writer writers columnist
senior executive chief managing associate contributing special author authors autor autorin founder president
director photographer photo photos journalist journalists updated published
""".split())
NEWS_AGENCIES = frozenset({"ap", "afp", "reuters", "dpa", "apa", "sda", "kna", "epd", "ansa", "efe", "pa", "upi",
                           "associated press"})
# A trailing word that marks a commenter ("Art Edwards says") or a domain ("Bueltge De").
NOT_A_NAME_ENDINGS = frozenset({"says", "said", "sagt", "schreibt", "writes", "de", "com", "net", "org", "at", "ch",
                                "uk"})
_INITIAL = re.compile(r"[^\W\d_]\.(?:[^\W\d_]\.)*")                      # "C.", "J.J."


def clean_authors(values: Iterable[str] | str | None, site_names: Iterable[str | None] = (), *,
                  min_words: int = 1) -> list[str]:
    """Person names from one or more bylines, deduplicated in order; "By", roles, agencies and sites removed.

    ``site_names``: the site's own names (site name, host name); a part equal to one of them is dropped.
    ``min_words``: 2 for bylines in running text (a lone capitalised word there is rarely a name); the HTML
    extractor passes 1, since its candidates come from author metadata.
    """
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    blocked = {alnum_key(s) for s in site_names if s and alnum_key(s)}
    names: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        for name in names_in_byline(value, blocked, min_words):
            if name.casefold() not in (n.casefold() for n in names):
                names.append(name)
    return names


def names_in_byline(byline: str, blocked: set[str] | frozenset[str] = frozenset(), min_words: int = 1) -> list[str]:
    """The person names of one byline, in order."""
    byline = " ".join(byline.split())[:1000]
    byline = POSSESSIVE_SITE.sub("", BYLINE_PREFIX.sub("", byline.strip().rstrip(":")))
    out = []
    for piece in AUTHOR_SEPARATORS.split(byline):
        for part in DASH_SEPARATORS.split(piece):
            name = person_name(part, blocked, min_words)
            if name:
                out.append(name)
    return out


def alnum_key(text: str) -> str:
    """Lower-cased letters and digits only, to compare "Bueltge De" with "bueltge.de"."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def person_name(text: str, blocked: set[str] | frozenset[str] = frozenset(), min_words: int = 1) -> str | None:
    """``text`` as a clean person name, or None when it is a role, an agency, a site or not a name."""
    # "Text: Jane Doe", "责任编辑：孔德明": the name follows the label
    name = " ".join(text.replace("：", ":").rpartition(":")[2].split()).strip(" \t-–—|·•()[]\"'.,;")
    name = BYLINE_PREFIX.sub("", name)
    lowered = name.casefold()
    if not name or len(name) > MAX_AUTHOR_CHARS or lowered in NEWS_AGENCIES or "admin" in lowered:
        return None
    if alnum_key(name) in blocked:                      # exact only: a personal blog is named after its author
        return None
    if any(ch.isdigit() for ch in name) or "@" in name or "://" in name or "www." in lowered:
        return None
    words = name.split()
    if len(words) > MAX_AUTHOR_WORDS or words[-1].casefold() in NOT_A_NAME_ENDINGS and len(words) > 1:
        return None
    keys = [w.strip(".,").casefold() for w in words]
    if any(k in ORGANISATION_WORDS for k in keys) or keys[0] in ("the", "a", "an", "our", "your", "this"):
        return None
    kept = [w for w, k in zip(words, keys) if k not in ROLE_WORDS]
    if len(kept) < len(words) and len(kept) < 2 or len(kept) < min_words:
        return None
    if any("." in w and not _INITIAL.fullmatch(w) for w in kept):   # "LifeNews.com", "Dr.Who"
        return None
    if not all(_name_word(w) for w in kept) or not kept[0][0].isupper() or not kept[-1][0].isupper():
        return None
    if len(kept) > 1 and name.isupper():                # "ANDREW C. MCCARTHY" -> "Andrew C. McCarthy"
        kept = [_title_word(w) for w in kept]
    else:                                               # "Jay SYRMOPOULOS" -> "Jay Syrmopoulos"; "Jim Willie CB" kept
        kept = [_title_word(w) if w.isupper() and len(w) > 3 else w for w in kept]
    return " ".join(kept)


def _name_word(word: str) -> bool:
    """A capitalised word, an initial, or a short lowercase particle ("de", "van")."""
    if word[0].isupper():
        return all(ch.isalpha() or ch in "'’.-" for ch in word)
    return word.isalpha() and word.islower() and len(word) <= MAX_PARTICLE_CHARS


def _title_word(word: str) -> str:
    if _INITIAL.fullmatch(word):
        return word
    w = "-".join(part.capitalize() for part in word.split("-"))
    if w.startswith("Mc") and len(w) > 2:               # MCCARTHY -> McCarthy
        w = "Mc" + w[2:].capitalize()
    for apostrophe in "'’":                             # O'BRIEN -> O'Brien
        if apostrophe in w:
            head, sep, tail = w.partition(apostrophe)
            w = head + sep + (tail.capitalize() if len(tail) > 1 else tail)
    return w
