"""Which paragraphs of scraped text are boilerplate, and of which kind: every rule of it in one settings place.

Each kind is a named pattern matched against one whole paragraph (``fullmatch``, no nested quantifiers over
overlapping classes: linear time, and never run on a paragraph longer than its kind's limit). The kinds are
what the parse stage reports in ``flags`` (``removed:<kind>``) so that nothing disappears silently.

Measured on the 250 FakeNewsCorpus rows with ``scripts/eval_scraped.py`` (docs/PARSING-TEXT.md). Kinds:

- share_trailer   "Like this:", "Share this:", share-button residue, "Spread the word! LIKE and SHARE ..."
- reader_poll     "% of readers think this story is Fact. Add your two cents."
- injected_link   links to other stories: "More news: ...", "Headline: ...", "Read Also ...", "Related: ..."
- read_more       link stubs: "Continue reading →", "READ MORE", "Read More @ Site.com", "... Click Here!"
- image_credit    "Featured Image via ...", "Photo Credit: ...", captions ending "( REUTERS/Name )"
- source_link     "Source: http...", "Source: Infowars", "(Source: PIB/...)", "Credit to ...", "Courtesy of ..."
- bare_url        a paragraph that is a URL or a domain, or "Label: URL" ("Obama Iran Deal: http://...")
- contact         "Email: sales@...", "Tel: +1 ...", "Twitter: https://..."
- newsletter      "Subscribe to Canada Free Press for FREE", "Follow us on Twitter", "Like us on Facebook."
- republish_note  "We encourage you to share and republish ...", "This article has been contributed by ...",
                  "The post X appeared first on Y.", "Originally published at ...", copyright lines
- site_footer     comment policies, "Filed under: ...", "Older articles by ...", "Before It's News ©"
- advertisement   "Advertisements", "Sponsored", and the "Continued below..." ad marker cut out of a paragraph
- site_repeated   a paragraph known verbatim from many articles of one site (SITE_REPEATED below)
- related_links   a trailing "Related Posts:" / "Related articles" block (it and what follows)
"""
from __future__ import annotations

import re
import unicodedata

# ---------------------------------------------------------------- limits
MAX_BOILERPLATE_CHARS = 400    # a longer paragraph is never dropped by a paragraph pattern ...
KIND_MAX_CHARS = {             # ... except by a kind whose pattern opens with a fixed, unmistakable phrase
    "site_footer": 900, "republish_note": 900, "share_trailer": 900, "newsletter": 600,
}
TRAILER_ZONE = 0.6             # a trailer may start only after this share of the paragraphs

_URL = r"(?:https?://|www\.)\S+"
_DOMAIN = r"(?:[\w-]+\.)+(?:com|org|net|info|news|co\.uk|us|tv)\b/?"
_LEAD = r"[-–—•*>\s]{0,3}"     # list dash or bullet before a link line ("- See more at: ...")
_ONE_SENTENCE = r"(?:[^.!?]|[.!?]\S){0,160}[.!]?"   # one short sentence (a dot inside "blog.NORML.org" is fine)

# A paragraph matching one of these is dropped wherever it stands (first matching kind wins).
PARAGRAPH_KINDS: dict[str, re.Pattern[str]] = {
    "share_trailer": re.compile(
        r"(?:like|share|tweet|email|print|pin)(?: this| it)?[:!.]?"
        r"|like this:? like loading\W*(?:related)?|like loading\W*|loading\W*"
        r"|click to (?:share|email|print)\b.{0,80}"
        r"|share (?:on|via) (?:facebook|twitter|whatsapp|linkedin|reddit|email)\b.{0,40}"
        r"|(?:facebook|twitter|whatsapp|linkedin|reddit|pinterest|google\+?|tumblr|telegram|more)"
        r"(?:\s*[|,/]\s*\w+){0,8}"
        r"|spread the word\b.{0,300}"
        r"|(?:please )?(?:like|share|tweet|forward|repost)\b.{0,30}\bthis (?:article|post|story|page|video)\b.{0,300}"
        r"|if (?:for some reason )?you (?:actually )?liked this (?:post|article)\b.{0,800}",
        re.IGNORECASE),
    "reader_poll": re.compile(r"\d{0,3}\s*% of readers think this story is \w+\..{0,40}", re.IGNORECASE),
    "injected_link": re.compile(
        _LEAD + r"(?:more news|headline|read more|related|also read|read also|see also|recommended|don'?t miss|"
        r"more from [\w .]{1,40}|trending|must read|you may also like|watch|see more at|for more information,? see)"
        r"\s*:.{0,300}"
        r"|read also\b.{0,200}|see more at\b.{0,200}", re.IGNORECASE),
    "read_more": re.compile(
        r"[\[(]?(?:continue reading|read more|read the rest|read full (?:article|story)|view this article"
        r"|more)\W{0,4}"
        r"|(?:read more|continue reading)\s*(?:@|\bat\b|\bon\b|\bhere\b).{0,200}"
        r"|.{0,160}\bclick here(?: now)?\W{0,4}|click here (?:for|to)\b.{0,120}", re.IGNORECASE),
    "image_credit": re.compile(
        r"(?:expand \| collapse\s*)?[(\[]?\s*(?:featured )?(?:image|photo|picture|screenshot|video|graphic)"
        r"s?(?: credits?)?(?:\s*(?:via|by|source|courtesy of)|\s*:).{0,200}"
        r"|(?:photo |image )?credits?\s*:.{0,200}|royalty free (?:photo|image)s?"
        r"|[^()\n]{0,250}\(\s*(?-i:[A-Z]{2,})[\w .&-]{0,28}/[^()\n]{1,80}\)",   # "... ( REUTERS/Jonathan Ernst )"
        re.IGNORECASE),
    "source_link": re.compile(
        r"[(\[]?\s*(?:video )?sources?\s*:.{0,200}|sources?:?|credit to [\w .'’-]{1,60}"
        r"|courtesy of [\w .'’-]{1,60}", re.IGNORECASE),
    "bare_url": re.compile(
        _LEAD + r"(?:[\w .'’()\[\]-]{0,60}[:–—]\s*)?" + _URL + r"(?:\s+[–—|-]\s+[^\n]{0,60})?"
        r"|[(\[]?" + _DOMAIN + r"[)\]]?", re.IGNORECASE),
    "contact": re.compile(
        r"(?:e-?mail|tel|telephone|phone|fax|skype|website|web|visit blog|investor|contact)\s*:\s*\S.{0,100}"
        r"|(?:e-?mail|tel)\s*[–-]\s*\S{1,80}", re.IGNORECASE),
    "newsletter": re.compile(
        r"(?:subscribe|sign up|join)\b.{0,80}\b(?:newsletter|mailing list|for free|free|updates|our list)\b.{0,80}"
        r"|(?:get|receive) (?:the latest|our|free)\b.{0,80}\b(?:inbox|email|newsletter)\b.{0,40}"
        r"|(?:subscribe to (?:my|our)|follow (?:us|me)\b|follow @\w+|follow the [\w .]{1,40} on"
        r"|like us on|join us on|check (?:me|us) out on)\b.{0,160}", re.IGNORECASE),
    "republish_note": re.compile(
        r"(?:we encourage you to share and republish|this (?:article|content) (?:has been contributed by|may be "
        r"freely reproduced)|republished with permission|copyright\s*(?:\(c\)|©|\d{4})).{0,800}"
        r"|(?:delivered by|contributed by|originally (?:published|posted|appeared) (?:at|on|in|by)"
        r"|this (?:article|post|piece|column|story) (?:was |is )?(?:first |originally )?"
        r"(?:ran|run|published|posted|appeared|produced|written)"
        r"|a version of this (?:article|piece|post|column) (?:also )?(?:appeared|ran))\b" + _ONE_SENTENCE +
        r"|(?:the|this) post .{1,300} appeared first on .{1,120}"
        r"|.{1,300} is a post from .{1,120}", re.IGNORECASE),
    "site_footer": re.compile(
        r"(?:please adhere to our commenting policy|comment policy\s*:|all posts are opinions meant to foster"
        r"|filed under\s*:|tagged\s*:|posted in\s*:|see an error in this article|if you would like to write an op-ed"
        r"|rss feed for|older articles by|(?:most )?recent articles by|more articles by|important: newsmax tv"
        r"|for more places to find newsmax|bin note\s*:).{0,900}"
        r"|before it'?s news\s*©?|people powered news\s*®?|you are here\.?|<\s*!\s*[-–]{1,2}.{0,200}|[-–]{1,2}>",
        re.IGNORECASE),
    "advertisement": re.compile(r"advertisements?|sponsored(?: content| links?)?|continued below\W{0,4}",
                                re.IGNORECASE),
}

# Cut out of a paragraph, the rest kept: CFP's "Continued below... " marks where an ad was.
INLINE_MARKERS: dict[str, re.Pattern[str]] = {
    "advertisement": re.compile(r"^continued below\s*(?:\.{3}|…)\s*", re.IGNORECASE),
}

# Paragraphs seen verbatim in several different articles of the same site in the FakeNewsCorpus sample
# (``scripts/eval_scraped.py --mine``), reviewed by hand: promos, sign-offs and wrong-page scrapes. A
# per-article parser cannot see cross-article repetition, so it is shipped as this list.
SITE_REPEATED_TEXT = (
    "How To Easily Understand The Difference Between The Day Of Christ And The Day Of Lord In The End Times",
    "Is There Something Else Going-On Many of Us have Speculated with the Help of 'Q-Anon?' +Videos",
    "These People Are A Danger To Themselves And Others! Wake Up!!!!!!",
    "ARE YOU COMPLETELY PREPARED?",
    "IT’S THE MOST IMPORTANT PREP YOU CAN DO !",
    "A REDNECK’S GUIDE TO REVERSING THEIR CONTROL OF YOUR BRAIN",
    "Guest writer for Wake Up World",
)
SITE_REPEATED_PREFIXES = (          # long repeated paragraphs, known by their opening words
    "The Bible tells us that every human has sinned and fallen short of the glory of God",
    "I am a mother of four in my mid 30",
    "OM Times is a leading voice of the Conscious Community",
    "This is a MUST SEE alternative video site with uncensored videos",
    "An Exclusive You Have To See: The Last Frontier of Free Press Is Here!",
)

# A paragraph matching this ends the article: it and everything after it are dropped, but only in the
# last part of the text (so a body that mentions "Share this:" early survives). kind by the opening word.
TRAILER_START = re.compile(
    r"(?:like this|share this|related|related posts|related articles|related stories|you might also like)"
    r"\s*:?\s*(?:like loading\W*)?(?:related)?", re.IGNORECASE)
TRAILER_KINDS = (("related", "related_links"), ("you might", "related_links"), ("", "share_trailer"))

_PUNCT = re.compile(r"[^\w]+")


def paragraph_key(paragraph: str) -> str:
    """Casefolded words only: the key known paragraphs and repeats are compared on."""
    return " ".join(_PUNCT.sub(" ", unicodedata.normalize("NFKC", paragraph).casefold()).split())


_REPEATED_KEYS = frozenset(paragraph_key(p) for p in SITE_REPEATED_TEXT)
_REPEATED_PREFIXES = tuple(paragraph_key(p) for p in SITE_REPEATED_PREFIXES)


def boilerplate_kind(paragraph: str) -> str | None:
    """The kind of boilerplate ``paragraph`` is, or None when it is content."""
    p = paragraph.strip()
    if not p:
        return None
    if len(p) <= 2_000:
        key = paragraph_key(p)
        if key in _REPEATED_KEYS or key.startswith(_REPEATED_PREFIXES):
            return "site_repeated"
    for kind, pattern in PARAGRAPH_KINDS.items():
        if len(p) <= KIND_MAX_CHARS.get(kind, MAX_BOILERPLATE_CHARS) and pattern.fullmatch(p):
            return kind
    return None


def trailer_kind(paragraph: str) -> str | None:
    """The kind of trailer block ``paragraph`` opens ("Like this:", "Related Posts:"), or None."""
    p = paragraph.strip()
    if len(p) > 60 or not TRAILER_START.fullmatch(p):
        return None
    low = p.casefold()
    return next(kind for start, kind in TRAILER_KINDS if low.startswith(start))


def strip_inline_markers(paragraph: str) -> tuple[str, list[tuple[str, str]]]:
    """``paragraph`` without the ad markers cut into it, and the (kind, text) cut out."""
    cut = []
    for kind, pattern in INLINE_MARKERS.items():
        m = pattern.search(paragraph)
        if m and m.end() < len(paragraph):
            cut.append((kind, m.group(0)))
            paragraph = paragraph[:m.start()] + paragraph[m.end():]
    return paragraph, cut


def strip_boilerplate(paragraphs: list[str]) -> tuple[list[str], dict[str, int]]:
    """Drop boilerplate paragraphs and a trailing share/related block.

    Returns the kept paragraphs and ``{kind: paragraphs removed}``.
    """
    kept, dropped = split_boilerplate(paragraphs)
    removed: dict[str, int] = {}
    for kind, _ in dropped:
        removed[kind] = removed.get(kind, 0) + 1
    return kept, removed


def split_boilerplate(paragraphs: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The kept paragraphs, and every removal as (kind, text) in order."""
    dropped: list[tuple[str, str]] = []
    cut = len(paragraphs)
    for i in range(int(len(paragraphs) * TRAILER_ZONE), len(paragraphs)):
        kind = trailer_kind(paragraphs[i])
        if kind:
            cut = i
            dropped += [(kind, p) for p in paragraphs[i:]]
            break
    kept: list[str] = []
    for p in paragraphs[:cut]:
        kind = boilerplate_kind(p)
        if kind is not None:
            dropped.append((kind, p))
            continue
        p, markers = strip_inline_markers(p)
        dropped += markers
        kept.append(p)
    return kept, dropped
