"""Which paragraphs of scraped text are boilerplate, and of which kind.

Each kind is a named, anchored pattern over one paragraph (no nested quantifiers: linear time). The kinds
are what the parse stage reports in ``flags`` (``removed:<kind>``) so that nothing disappears silently.
"""
from __future__ import annotations

import re

# A paragraph matching one of these is dropped wherever it stands.
PARAGRAPH_KINDS: dict[str, re.Pattern[str]] = {
    # "Like this:", "Share this:", "Like Loading...", share-button residue
    "share_trailer": re.compile(
        r"(?:like|share|tweet|email|print|pin)(?: this| it)?[:!.]?"
        r"|like loading\W*|loading\W*|click to (?:share|email|print)\b.{0,80}"
        r"|share (?:on|via) (?:facebook|twitter|whatsapp|linkedin|reddit|email)\b.{0,40}"
        r"|(?:facebook|twitter|whatsapp|linkedin|reddit|pinterest|email)(?:\s*[|,/]\s*\w+){1,8}"
        r"|advertisements?|sponsored(?: content)?|continue reading\W*|related(?: posts| articles| stories)?:?",
        re.IGNORECASE),
    # "% of readers think this story is Fact. Add your two cents."
    "reader_poll": re.compile(r"\d{0,3}\s*% of readers think this story is \w+\..{0,40}", re.IGNORECASE),
    # injected links to other stories
    "injected_link": re.compile(
        r"(?:more news|headline|read more|related|also read|read also|see also|recommended|don'?t miss|"
        r"more from [\w .]{1,40}|trending|must read|you may also like|watch)\s*:.{0,300}", re.IGNORECASE),
    # "Featured Image via Getty Images/Drew Angerer", "(Photo: Reuters/...)", "Image credit: ..."
    "image_credit": re.compile(
        r"(?:expand \| collapse\s*)?[(\[]?\s*(?:featured )?(?:image|photo|picture|screenshot|video|graphic)"
        r"(?:s)?(?: credit)?(?:\s*(?:via|by|source|courtesy of)|\s*:).{0,200}", re.IGNORECASE),
    # a paragraph that is only a URL (optionally labelled "Source: http...")
    "bare_url": re.compile(r"(?:[\w .'-]{0,40}:\s*)?(?:https?://|www\.)\S+", re.IGNORECASE),
    # newsletter / subscription prompts
    "newsletter": re.compile(
        r"(?:subscribe|sign up|join)\b.{0,80}\b(?:newsletter|mailing list|for free|free|updates|our list)\b.{0,80}"
        r"|(?:get|receive) (?:the latest|our|free)\b.{0,80}\b(?:inbox|email|newsletter)\b.{0,40}"
        r"|follow us on\b.{0,80}", re.IGNORECASE),
    # "We encourage you to share and republish our reports..." and similar republication notes
    "republish_note": re.compile(
        r"(?:we encourage you to share and republish|this (?:article|content) (?:has been contributed by|may be "
        r"freely reproduced)|republished with permission|copyright ?(?:\(c\)|©)).{0,300}", re.IGNORECASE),
}

# A paragraph matching one of these ends the article: it and everything after it are dropped,
# but only in the last part of the text (so a body that mentions "Share this:" early survives).
TRAILER_START = re.compile(r"(?:like this|share this|related|related posts|you might also like)\s*:?\s*",
                           re.IGNORECASE)
TRAILER_ZONE = 0.6        # a trailer may start only after this share of the paragraphs
MAX_BOILERPLATE_CHARS = 400   # a longer paragraph is never dropped by a paragraph pattern


def boilerplate_kind(paragraph: str) -> str | None:
    """The kind of boilerplate ``paragraph`` is, or None when it is content."""
    p = paragraph.strip()
    if not p or len(p) > MAX_BOILERPLATE_CHARS:
        return None
    for kind, pattern in PARAGRAPH_KINDS.items():
        if pattern.fullmatch(p):
            return kind
    return None


def strip_boilerplate(paragraphs: list[str]) -> tuple[list[str], dict[str, int]]:
    """Drop boilerplate paragraphs and a trailing share/related block.

    Returns the kept paragraphs and ``{kind: paragraphs removed}``.
    """
    removed: dict[str, int] = {}
    cut = len(paragraphs)
    for i in range(int(len(paragraphs) * TRAILER_ZONE), len(paragraphs)):
        if TRAILER_START.fullmatch(paragraphs[i].strip()):
            cut = i
            break
    if cut < len(paragraphs):
        removed["share_trailer"] = len(paragraphs) - cut
    kept = []
    for p in paragraphs[:cut]:
        kind = boilerplate_kind(p)
        if kind is None:
            kept.append(p)
        else:
            removed[kind] = removed.get(kind, 0) + 1
    return kept, removed
