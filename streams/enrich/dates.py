"""Dates an article mentions, normalised and resolved against its publication date.

One precompiled pattern finds the candidate phrases (month names, weekdays, "yesterday",
"last week", "two days ago", ISO dates, years after a preposition); dateparser reads
each one with RELATIVE_BASE = the publication date, so the date arithmetic is its.
The precision the text gives decides the form: YYYY-MM-DD (a day), YYYY-Www (a week,
ISO 8601), YYYY-MM (a month), YYYY (a year).

A bare weekday means the most recent such day on or before publication ("Saturday" in
an article of Sunday 2018-02-04 is 2018-02-03; "Sunday" is the day itself, as wire
copy uses it), or the next one when its clause speaks of the future ("will meet on Monday").
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from streams.parse.dates import MAX_YEAR, MIN_YEAR

from dateparser.date import DateDataParser

# Distinct candidate phrases resolved per article: bounds the cost of adversarial text.
MAX_DATE_CANDIDATES = 100
# How many characters before a weekday are read for a future-tense marker.
FUTURE_CONTEXT_CHARS = 60

_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)")
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_NUMBER = r"(?:\d{1,3}|[Aa]n?|[Oo]ne|[Tt]wo|[Tt]hree|[Ff]our|[Ff]ive|[Ss]ix|[Ss]even|[Ee]ight|[Nn]ine|[Tt]en|[Ee]leven|[Tt]welve)"
_UNIT = r"(?:days?|weeks?|months?|years?)"
# Every character a candidate phrase can start with (the first characters of the alternatives below): checked
# first, it halves the cost of the scan, which otherwise tries every alternative at every word boundary.
_FIRST_CHARS = "0-9AaBbDdEeFfIiJLlMmNnOoPpSsTtUuWYy"
_CANDIDATE = re.compile(
    rf"""\b(?=[{_FIRST_CHARS}])(?:
      (?P<dmy>(?:[Oo]n\ )?(?:{_WEEKDAY},?\ )?(?:the\ )?{_DAY}\ (?:of\ )?{_MONTH}(?:,?\ {_YEAR})?)(?!\d)
    | (?P<mdy>(?:[Oo]n\ )?(?:{_WEEKDAY},?\ )?{_MONTH}\ {_DAY}(?:,?\ {_YEAR})?)(?!\d)
    | (?P<my>{_MONTH},?\ {_YEAR})
    | (?:[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ff]rom|[Ee]arly|[Ll]ate|[Mm]id-?)\ (?P<month>{_MONTH})\b(?!\ \d)
    | (?P<rel_month>(?:[Ll]ast|[Nn]ext|[Tt]his)\ {_MONTH})\b
    | (?P<iso>\d{{4}}-[01]\d-[0-3]\d)\b
    | (?P<weekday>(?:(?:[Oo]n|[Ll]ast|[Nn]ext|[Tt]his|[Tt]his\ past)\ )?{_WEEKDAY})\b
    | (?P<deictic>[Yy]esterday|[Tt]oday|[Tt]onight|[Tt]omorrow)\b
    | (?P<relative>(?:[Ll]ast|[Nn]ext|[Tt]his|[Ee]arlier\ this|[Ll]ater\ this|[Pp]ast)\ (?:week(?:end)?|month|year))\b
    | (?P<ago>{_NUMBER}\ {_UNIT}\ ago)\b
    | (?:[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ff]rom|[Bb]efore|[Aa]fter|[Oo]f)\ (?P<year>{_YEAR})\b(?![-/]\d)
    )""",
    re.VERBOSE,
)
_HAS_YEAR = re.compile(rf"\b{_YEAR}\b")
_FUTURE = re.compile(r"\b(?:will|'ll|shall|is due|are due|scheduled|expected to|plans? to|set to|upcoming|next)\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[.!?;\n]")
_ON = re.compile(r"^(?:[Oo]n|[Ee]arlier|[Ll]ater) ")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def resolve_dates(text: str, published_at: str | None) -> list[dict]:
    """[{"text": phrase as written, "resolved": "YYYY-MM-DD" | "YYYY-Www" | "YYYY-MM" | "YYYY" | None}].

    Relative phrases resolve only when `published_at` (ISO date or datetime) is given;
    entries are deduplicated on the resolved value (on the phrase when unresolved).
    """
    base = _parse_published(published_at)
    dates, seen, parsed = [], set(), 0
    for match in _CANDIDATE.finditer(text):
        kind = match.lastgroup
        phrase = match.group(kind)
        future = kind == "weekday" and _speaks_of_future(text, match.start())
        if parsed >= MAX_DATE_CANDIDATES:
            break
        needs_base = kind not in ("iso", "year") and not _HAS_YEAR.search(phrase)
        resolved = None
        if base is not None or not needs_base:
            parsed += 1
            resolved = _resolve(_ON.sub("", phrase), base if needs_base else None, future, kind == "weekday")
        key = resolved or phrase.lower()
        if key not in seen:
            seen.add(key)
            dates.append({"text": phrase, "resolved": resolved})
    return dates


def _parse_published(published_at: str | None) -> dt.date | None:
    """The publication day, or None when absent, unparsable or outside the years news can be from."""
    if not published_at:
        return None
    try:
        day = dt.datetime.fromisoformat(published_at.strip().replace("Z", "+00:00")).date()
    except ValueError:
        try:
            day = dt.date.fromisoformat(published_at.strip()[:10])
        except ValueError:
            return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None   # 0001-01-01 minus a week overflows


def _speaks_of_future(text: str, start: int) -> bool:
    context = text[max(0, start - FUTURE_CONTEXT_CHARS):start]
    context = _CLAUSE_BREAK.split(context)[-1]
    return bool(_FUTURE.search(context))


@lru_cache(maxsize=4096)
def _resolve(phrase: str, base: dt.date | None, future: bool, weekday: bool) -> str | None:
    """Normalised date of `phrase` relative to `base` (cached: phrases repeat across articles)."""
    lower = phrase.lower()
    if weekday and lower in _WEEKDAYS and base is not None:
        # dateparser sends a bare weekday a full week back when it is the base's weekday.
        delta = (_WEEKDAYS.index(lower) - base.weekday()) % 7
        day = base + dt.timedelta(days=delta) if future and delta else base - dt.timedelta(days=(-delta) % 7)
        return day.isoformat()
    settings = {"PREFER_DATES_FROM": "future" if future else "past", "RETURN_TIME_AS_PERIOD": True,
                "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": []}
    if base is not None:
        settings["RELATIVE_BASE"] = dt.datetime.combine(base, dt.time(12))
    parser = DateDataParser(languages=["en"], settings=settings)
    lower = lower.replace("earlier this", "this").replace("later this", "this").replace("this past", "last")
    data = parser.get_date_data(lower.replace("past", "last"))
    if data.date_obj is None:
        return None
    date = data.date_obj.date()
    if data.period == "week":
        year, week, _ = date.isocalendar()
        return f"{year}-W{week:02d}"
    if data.period == "month":
        return date.strftime("%Y-%m")
    if data.period == "year":
        return date.strftime("%Y")
    return date.isoformat()
