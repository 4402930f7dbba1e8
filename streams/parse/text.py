"""Scraped plain text (the seed's format) -> title, date, authors, section, source name and clean paragraphs.

    Published: Sun, February 04, 2018          <- date line
    Worldwide | By Victor Meyer                 <- "Section | By Author"
    Backed Free Syrian Army Group Shoots ...    <- title, often repeated
    Backed Free Syrian Army Group Shoots ...
    Al-Qaida-linked militants in Syria ...      <- body paragraphs, with boilerplate mixed in
    More news: Facebook posts $4.2bn profit ... <- injected link (dropped)
    Like this:                                  <- share trailer (dropped)

Header lines are looked for among the first HEADER_LINES lines: date lines, bylines ("By Lisa Haven",
"by Harvey Organ, Harvey Organ Blog:", "news.goldseek.com / By: Jim Willie CB, GoldenJackass.com / 26 December
2017", "Xuan Loc DOAN" under the title), the title (repeated, or standing alone before the body; of a deck and a
title above the body, the title) and boilerplate. When no byline heads the text, the author is taken from notes
that name it ("This article was written by X and originally published at Y", "Older articles by X",
"Contributed by X of Y") and last from an author bio closing the text ("Jason Russell is the contributors editor").
Every removal is returned as (kind, text) in ``dropped``; the parse stage turns the kinds into flags.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from streams.parse.authors import clean_authors, person_name
from streams.parse.boilerplate import boilerplate_kind, split_boilerplate
from streams.parse.dates import normalize_date

# ---------------------------------------------------------------- settings
HEADER_LINES = 10          # header lines (date, byline, title) are looked for among the first lines only
MAX_HEADER_LINE_CHARS = 200
TITLE_MAX_WORDS = 30
TITLE_MAX_CHARS = 250
KICKER_MAX_WORDS = 3       # "CFP Poetry online", "Part I": a short line beside a title is a label, not the title
DECK_MAX_CHARS = 300      # a deck (standfirst) above the title is shorter than this
BODY_MIN_CHARS = 120       # a line this long is body text, whatever it ends with
EMPTY_BYLINE_MAX_CHARS = 60   # a "by ..." header line this short is a byline even when it names no person
BIO_ZONE = 3               # an author bio is looked for in the last paragraphs only
BIO_ROLE_WORDS = ("writer", "editor", "journalist", "columnist", "contributor", "author", "reporter", "correspondent",
                  "blogger", "founder", "director", "professor", "graduate", "analyst", "scholar", "commentator",
                  "publisher", "host", "pastor", "attorney", "economist", "fellow", "cpa", "ceo")

_DATE_LINE = re.compile(r"(?:this (?:article|post|story) was )?(?:published|posted|updated|last updated|date|released)"
                        r"\s*(?:on|at)?\s*[:\-–]?\s*(.{6,80})", re.IGNORECASE)
_BRACKET_DATELINE = re.compile(r"\[\s*([^\]\-–]{6,40}?)\s*[-–]\s*([^\]]{2,60}?)\s*\]")   # [January 24, 2018 - ZurichTimes.net]
_SECTION_BYLINE = re.compile(r"([^|]{1,40}?)\s*\|\s*(by\b.{2,150})", re.IGNORECASE)    # Worldwide | By Victor Meyer
_BYLINE = re.compile(r"(?:written |posted |reported |authored |contributed |received )?by\s*:?\s+(\S.{1,150})", re.IGNORECASE)
_BYLINE_SITE_TAIL = re.compile(r"(.+?),\s*[^,]{2,60}:")                   # "by Harvey Organ, Harvey Organ Blog:"
_VIA_TAIL = re.compile(r"\s+via\s+\S+$", re.IGNORECASE)                  # "Authored by Turd Ferguson via TFMetalsReport.com"
_EMPTY_BYLINE = re.compile(r"posted (?:on\s+)?(?:\S+\s+){0,4}?by\s+\S{1,40}", re.IGNORECASE)   # "Posted on by willyloman"
_SEGMENTS = re.compile(r"\s+[|/]\s+")
_DOMAIN = re.compile(r"(?:[\w-]+\.)+(?:com|org|net|info|news|co\.uk|us|tv)", re.IGNORECASE)
_CAPS_SURNAME = re.compile(r"(?:[A-Z][a-z][\w'’-]*\s+){1,2}[A-Z]{3,}[A-Z'’-]*")        # "Jay SYRMOPOULOS", "Xuan Loc DOAN"
_BARE_DATE = re.compile(r"[A-Za-z]{3,9}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2} [A-Za-z]{3,9}\.? \d{4}|\d{4}-\d{2}-\d{2}")
_ENDS_SENTENCE = re.compile(r"(?<![.…])[.,;]$")     # a title may trail off ("Going On…." is fine)
_ENDS_ABBREVIATION = re.compile(r"(?:\b[A-Z][a-z]{0,3}|(?:[A-Z]\.){1,3}[A-Z])\.$")    # "... Conservative Govt.", "U.S."
_NUMBERED = re.compile(r"\(?\d{1,3}[.)]\s")
_BODY_END = re.compile(r"[.!?\"”’:;…)\]]$")
# Notes naming the author, anywhere after the header, strongest first.
_NOTE_BYLINES = (
    re.compile(r"this (?:article|post|piece|column) was (?:written|authored|originally published|first published)"
               r"(?: and \w+ published)? by ([^,.:;()]{3,60}?)(?:\s+(?:and|at|of|on|for|in)\b|[,.:;(]|$)", re.IGNORECASE),
    re.compile(r"(?:older|more|most recent) articles by ([^,.:;()]{3,60}?):?$", re.IGNORECASE),
    re.compile(r"rss feed for ([^,.:;()]{3,60})$", re.IGNORECASE),
    re.compile(r"contributed by ([^,.:;()]{3,60}?) of\b", re.IGNORECASE),
)
_BIO = re.compile(r"[—–-]?\s*((?:[A-Z][\w'’.-]*\s+){1,3}[A-Z][\w'’.-]*)(?:\s*\(@\w{1,30}\))?(?:,\s*[A-Z]{2,5},)?"
                  r"\s+(?:is|was|has been|has|writes|publishes)\s(.{0,160})")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")     # a regex: str.translate walks every char


@dataclass
class ScrapedText:
    title: str | None = None
    published_at: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    source_name: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)     # kind -> paragraphs (or markers) removed
    removed_chars: int = 0
    dropped: list[tuple[str, str]] = field(default_factory=list)   # (kind, text) of every removal, in order
    header: list[tuple[str, str]] = field(default_factory=list)    # (field, line) of header lines read into fields
    author_source: str | None = None                               # byline | note | bio


def clean_lines(text: str) -> list[str]:
    """Normalised, stripped, non-empty lines: each line of scraped text is one paragraph."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", text)).replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if line:
            lines.append(line)
    return lines


def parse_scraped_text(text: str) -> ScrapedText:
    """Split scraped text into its header fields and its clean body paragraphs."""
    lines = clean_lines(text)
    out = ScrapedText()
    body = _read_header(lines, out)
    if out.title:
        body = _drop_title_repeats(body, out)
    body = _drop_deck_repeats(body, out)
    if not out.authors:
        _authors_from_notes(lines, out)
    kept, dropped = split_boilerplate(body)
    out.dropped += dropped
    if not out.authors:
        _author_from_bio(kept, out)
    for kind, _ in out.dropped:
        out.removed[kind] = out.removed.get(kind, 0) + 1
    out.paragraphs = kept
    out.removed_chars = sum(len(t) for _, t in out.dropped)
    return out


# ---------------------------------------------------------------- header
def _read_header(lines: list[str], out: ScrapedText) -> list[str]:
    """Consume header lines into ``out``; return the body lines (a deck standing above the title included)."""
    i, lead = 0, []
    limit = min(len(lines), HEADER_LINES)
    while i < limit:
        line = lines[i]
        if _header_field(line, out):
            i += 1
            continue
        kind = boilerplate_kind(line)
        if kind is not None:                      # poll / injected link before the body: drop, keep looking
            out.dropped.append((kind, line))
            i += 1
            continue
        if out.title is not None and _is_title_repeat(line, out.title):
            out.dropped.append(("title_repeat", line))
            i += 1
            continue
        if out.title is None and i > 0 and _deck_then_title(lines, i):
            lead.append(line)                     # a deck above the title (CFP): kept as the first paragraph
            out.header.append(("deck", line))
            out.title = lines[i + 1].rstrip(" :")
            i += 2
            continue
        if out.title is None and _looks_like_title(line):
            chosen = _title_choice(lines, i)
            if chosen is not None:
                title_at, other_at, other_role = chosen
                out.title = lines[title_at].rstrip(" :")
                if other_role == "kicker":
                    out.section = out.section or lines[other_at]
                    out.header.append(("section", lines[other_at]))
                elif other_role == "deck":
                    lead.append(lines[other_at])
                    out.header.append(("deck", lines[other_at]))
                i = max(title_at, other_at if other_role == "kicker" else title_at) + 1
                continue
        break
    return lead + lines[i:]


def _title_choice(lines: list[str], i: int) -> tuple[int, int, str] | None:
    """Where the title is, given a title-like line at ``i``: (title index, other index, "kicker"|"deck"|"")."""
    key = _title_key(lines[i])
    if any(_title_key(line) == key for line in lines[i + 1:i + HEADER_LINES]):
        return i, i, ""
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    if nxt is None:
        return None
    if (_looks_like_title(nxt) and not _is_header_or_boilerplate(nxt) and i + 2 < len(lines)
            and _after_title_ok(lines[i + 2])):
        # two title-like lines above the body: a kicker and the title, or a deck and the title
        wi, wj = len(lines[i].split()), len(nxt.split())
        if wi <= KICKER_MAX_WORDS:                   # "CFP Poetry online" / "Migraine Nightmare"
            return i + 1, i, "kicker"
        if wj <= KICKER_MAX_WORDS < wi:
            return i, i, ""
        if len(nxt) < len(lines[i]):
            return i + 1, i, "deck"
        return i, i, ""
    rest = lines[i + 1:]
    if _after_title_ok(nxt) and sum(len(r) for r in rest) > 3 * len(lines[i]):
        return i, i, ""
    return None


def _deck_then_title(lines: list[str], i: int) -> bool:
    """A sentence-like deck under the site's header lines, then a title, then the body (canadafreepress.com)."""
    return (i + 2 < len(lines) and not _looks_like_title(lines[i]) and len(lines[i]) <= DECK_MAX_CHARS
            and _looks_like_title(lines[i + 1]) and not _is_header_or_boilerplate(lines[i + 1])
            and _is_body(lines[i + 2]) and not _is_header_or_boilerplate(lines[i]))


def _after_title_ok(line: str) -> bool:
    """What may follow a title: body text, a header line or boilerplate (not another short line: a list)."""
    return _is_body(line) or _is_header_or_boilerplate(line)


def _is_body(line: str) -> bool:
    return len(line) >= BODY_MIN_CHARS or (len(line.split()) >= 6 and bool(_BODY_END.search(line)))


def _is_header_or_boilerplate(line: str) -> bool:
    return _header_field(line, ScrapedText(title="?")) or boilerplate_kind(line) is not None


def _header_field(line: str, out: ScrapedText) -> bool:
    """Fill a date, byline or dateline field of ``out`` from ``line``; False when it is none of them."""
    if len(line) > MAX_HEADER_LINE_CHARS:
        return False
    m = _SECTION_BYLINE.fullmatch(line)
    if m and not out.authors and not normalize_date(m.group(1).strip()):
        authors = _byline_names(m.group(2))
        if authors:
            out.section = out.section or m.group(1).strip()
            out.authors, out.author_source = authors, "byline"
            out.header.append(("section+byline", line))
            return True
    m = _BRACKET_DATELINE.fullmatch(line)
    if m and normalize_date(m.group(1)):
        out.published_at = out.published_at or normalize_date(m.group(1))
        out.source_name = out.source_name or m.group(2).strip()
        out.header.append(("dateline", line))
        return True
    m = _DATE_LINE.fullmatch(line)
    if m and normalize_date(m.group(1).strip()):
        out.published_at = out.published_at or normalize_date(m.group(1).strip())
        out.header.append(("date", line))
        return True
    if len(line) <= 40 and _BARE_DATE.search(line) and normalize_date(line):
        out.published_at = out.published_at or normalize_date(line)
        out.header.append(("date", line))
        return True
    if _segmented_header(line, out):
        return True
    if not out.authors and _BYLINE.fullmatch(line):
        authors, date = _byline_with_date(line)
        if authors:
            out.authors, out.author_source = authors, "byline"
            out.published_at = out.published_at or date
            out.header.append(("byline", line))
            return True
        if len(line) <= EMPTY_BYLINE_MAX_CHARS and not line.endswith((".", "?", "!")):
            out.dropped.append(("empty_byline", line))   # "by Giovani – Liveanddare.com": a byline, no full name
            return True
    if not out.authors and out.title and len(line) <= 60 and (
            _CAPS_SURNAME.fullmatch(line) or line.isupper() and " / " in line):
        authors = clean_authors(_SEGMENTS.split(line)[0], min_words=2)   # "PETER KORZUN / STRATEGIC CULTURE"
        if authors:
            out.authors, out.author_source = authors, "byline"
            out.header.append(("byline", line))
            return True
    if _EMPTY_BYLINE.fullmatch(line):
        names = _byline_names(line[line.casefold().rfind("by ") + 3:])
        if names and not out.authors:
            out.authors, out.author_source = names, "byline"
            out.header.append(("byline", line))
        else:
            out.dropped.append(("empty_byline", line))
        return True
    return False


def _segmented_header(line: str, out: ScrapedText) -> bool:
    """"news.goldseek.com / By: Jim Willie CB, GoldenJackass.com / 26 December 2017": every segment a field."""
    segments = _SEGMENTS.split(line)
    if len(segments) < 2:
        return False
    date = source = None
    authors: list[str] = []
    for seg in segments:
        if normalize_date(seg) and _BARE_DATE.search(seg):
            date = date or normalize_date(seg)
        elif _DOMAIN.fullmatch(seg):
            source = source or seg
        elif _BYLINE.fullmatch(seg) and _byline_names(seg):
            authors = authors or _byline_names(seg)
        else:
            return False
    if not authors and not date:
        return False
    if authors and not out.authors:
        out.authors, out.author_source = authors, "byline"
    out.published_at = out.published_at or date
    out.source_name = out.source_name or source
    out.header.append(("byline+date" if authors and date else "byline" if authors else "date", line))
    return True


def _byline_with_date(line: str) -> tuple[list[str], str | None]:
    """"By Pam Martens and Russ Martens: April 4, 2016" -> (names, "2016-04-04"); the date is optional."""
    for sep in (":", ",", " - ", " – "):
        start = line.find(sep)
        while start > 0:
            tail = line[start + len(sep):].strip()
            if len(tail) <= 40 and _BARE_DATE.search(tail) and normalize_date(tail):
                return _byline_names(line[:start]), normalize_date(tail)
            start = line.find(sep, start + 1)
    return _byline_names(line), None


def _byline_names(byline: str) -> list[str]:
    """Names of a byline; "by NAME, SITE:" names the site after the comma; "... via Site.com" names a site."""
    byline = _VIA_TAIL.sub("", byline.strip())
    m = _BYLINE_SITE_TAIL.fullmatch(byline)
    if m:
        byline = m.group(1)
    return clean_authors(byline, min_words=2)


def _looks_like_title(line: str) -> bool:
    words = line.split()
    first = next((ch for ch in line if ch.isalnum()), "")        # "‘Obama won ...’", "5 Scandalous Reasons ..."
    return (1 < len(words) <= TITLE_MAX_WORDS and len(line) <= TITLE_MAX_CHARS and (first.isupper() or first.isdigit())
            and (not _ENDS_SENTENCE.search(line) or bool(_ENDS_ABBREVIATION.search(line)))
            and not line.startswith(("http", "www.")) and not _NUMBERED.match(line))


def _is_title_repeat(line: str, title: str) -> bool:
    """The title again; a line ending with a comma or semicolon is running text that starts like the title
    (a poem's first line under its title) and is kept."""
    return _title_key(line) == _title_key(title) and not line.endswith((",", ";"))


def _title_key(line: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", line.casefold()).split())


def _drop_deck_repeats(body: list[str], out: ScrapedText) -> list[str]:
    """The deck kept above the body is often repeated inside it (canadafreepress.com): keep the first copy."""
    decks = {_title_key(line) for field_name, line in out.header if field_name == "deck"}
    if not decks:
        return body
    kept = body[:1]
    for line in body[1:]:
        if _title_key(line) in decks:
            out.dropped.append(("deck_repeat", line))
        else:
            kept.append(line)
    return kept


def _drop_title_repeats(body: list[str], out: ScrapedText) -> list[str]:
    """Drop the title repeated in the body; a byline or date right under a repeat near the top is read too."""
    kept = []
    after_repeat = False
    for n, line in enumerate(body):
        if _is_title_repeat(line, out.title or ""):
            out.dropped.append(("title_repeat", line))
            after_repeat = n < HEADER_LINES
            continue
        if after_repeat and _header_field(line, out):
            continue
        after_repeat = False
        kept.append(line)
    return kept


# ---------------------------------------------------------------- authors named away from the header
def _authors_from_notes(body: list[str], out: ScrapedText) -> None:
    for pattern in _NOTE_BYLINES:
        for line in body:
            if len(line) > MAX_HEADER_LINE_CHARS:
                continue
            m = pattern.match(line)
            if m:
                names = clean_authors(m.group(1).strip(), min_words=2)
                if names:
                    out.authors, out.author_source = names, "note"
                    return


def _author_from_bio(paragraphs: list[str], out: ScrapedText) -> None:
    """"Jason Russell is the contributors editor for the Washington Examiner." closing the text."""
    for p in paragraphs[-BIO_ZONE:]:
        m = _BIO.match(p)
        if not m:
            continue
        rest = m.group(2).casefold()
        if not any(re.search(rf"\b{w}", rest) for w in BIO_ROLE_WORDS):
            continue
        name = person_name(m.group(1), min_words=2)
        if name:
            out.authors, out.author_source = [name], "bio"
            return
