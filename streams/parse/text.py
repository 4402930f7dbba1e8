"""Scraped plain text (the seed's format) -> title, date, authors, section, source name and clean paragraphs.

    Published: Sun, February 04, 2018          <- date line
    Worldwide | By Victor Meyer                 <- "Section | By Author"
    Backed Free Syrian Army Group Shoots ...    <- title, often repeated
    Backed Free Syrian Army Group Shoots ...
    Al-Qaida-linked militants in Syria ...      <- body paragraphs, with boilerplate mixed in
    More news: Facebook posts $4.2bn profit ... <- injected link (dropped)
    Like this:                                  <- share trailer (dropped)
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from streams.parse.authors import clean_authors
from streams.parse.boilerplate import boilerplate_kind, strip_boilerplate
from streams.parse.dates import normalize_date

HEADER_LINES = 10          # header lines (date, byline, title) are looked for among the first lines only
TITLE_MAX_WORDS = 30
TITLE_MAX_CHARS = 250
_DATE_LINE = re.compile(r"(?:published|posted|updated|last updated|date|released)\s*(?:on|at)?\s*[:\-–]?\s*(.{6,80})",
                        re.IGNORECASE)
_BRACKET_DATELINE = re.compile(r"\[\s*([^\]\-–]{6,40}?)\s*[-–]\s*([^\]]{2,60}?)\s*\]")   # [January 24, 2018 - ZurichTimes.net]
_SECTION_BYLINE = re.compile(r"([^|]{1,40}?)\s*\|\s*(by\b.{2,150})", re.IGNORECASE)    # Worldwide | By Victor Meyer
_BYLINE = re.compile(r"by\s*:?\s+\S.{1,150}", re.IGNORECASE)
_BARE_DATE = re.compile(r"[A-Za-z]{3,9}\.? \d{1,2},? \d{4}|\d{1,2} [A-Za-z]{3,9}\.? \d{4}|\d{4}-\d{2}-\d{2}")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


@dataclass
class ScrapedText:
    title: str | None = None
    published_at: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    source_name: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)     # kind -> paragraphs removed
    removed_chars: int = 0


def clean_lines(text: str) -> list[str]:
    """Normalised, stripped, non-empty lines: each line of scraped text is one paragraph."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH).replace("\r\n", "\n").replace("\r", "\n")
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
    body_start = _read_header(lines, out)
    body = lines[body_start:]
    if out.title:
        key = _title_key(out.title)
        repeats = [line for line in body if _title_key(line) == key]
        if repeats:
            out.removed["title_repeat"] = len(repeats)
            body = [line for line in body if _title_key(line) != key]
    kept, removed = strip_boilerplate(body)
    for kind, n in removed.items():
        out.removed[kind] = out.removed.get(kind, 0) + n
    out.paragraphs = kept
    out.removed_chars = sum(len(line) for line in lines) - sum(len(p) for p in kept) - (
        len(out.title or "") if out.title else 0)
    return out


def _read_header(lines: list[str], out: ScrapedText) -> int:
    """Consume header lines into ``out``; return the index where the body starts."""
    i = 0
    seen_title_line = None
    while i < min(len(lines), HEADER_LINES):
        line = lines[i]
        if _header_field(line, out):
            i += 1
            continue
        kind = boilerplate_kind(line)
        if kind is not None:                      # poll / injected link before the body: drop, keep looking
            out.removed[kind] = out.removed.get(kind, 0) + 1
            i += 1
            continue
        if out.title is None and _looks_like_title(line) and _title_is_repeated_or_standalone(lines, i):
            out.title = line.rstrip(" :")
            seen_title_line = i
            i += 1
            continue
        if seen_title_line is not None and _title_key(line) == _title_key(out.title or ""):
            out.removed["title_repeat"] = out.removed.get("title_repeat", 0) + 1
            i += 1
            continue
        break
    return i


def _header_field(line: str, out: ScrapedText) -> bool:
    """Fill a date, byline or dateline field of ``out`` from ``line``; False when it is none of them."""
    if len(line) > 200:
        return False
    m = _SECTION_BYLINE.fullmatch(line)
    if m and not out.authors:
        out.section = out.section or m.group(1).strip()
        out.authors = clean_authors(m.group(2))
        return True
    m = _BRACKET_DATELINE.fullmatch(line)
    if m and normalize_date(m.group(1)):
        out.published_at = out.published_at or normalize_date(m.group(1))
        out.source_name = out.source_name or m.group(2).strip()
        return True
    m = _DATE_LINE.fullmatch(line)
    if m and normalize_date(m.group(1).strip()):
        out.published_at = out.published_at or normalize_date(m.group(1).strip())
        return True
    if len(line) <= 40 and _BARE_DATE.search(line) and normalize_date(line):
        out.published_at = out.published_at or normalize_date(line)
        return True
    if _BYLINE.fullmatch(line) and not out.authors:
        authors = clean_authors(line)
        if authors:
            out.authors = authors
            return True
    return False


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return (1 < len(words) <= TITLE_MAX_WORDS and len(line) <= TITLE_MAX_CHARS and line[0].isupper()
            and not line.endswith((".", ",", ";")) and not line.startswith(("http", "www.")))


def _title_is_repeated_or_standalone(lines: list[str], i: int) -> bool:
    """A title candidate: repeated soon after (the seed's pattern), or the first line before a longer body."""
    key = _title_key(lines[i])
    if any(_title_key(line) == key for line in lines[i + 1:i + HEADER_LINES]):
        return True
    rest = lines[i + 1:]
    return i == 0 and len(rest) >= 2 and sum(len(r) for r in rest) > 3 * len(lines[i])


def _title_key(line: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", line.casefold()).split())
