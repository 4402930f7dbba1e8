"""Publication dates in whatever form scrapers give them -> ISO 8601 (a date, or a date-time with offset)."""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_HAS_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_DATEPARSER_SETTINGS = {"PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "MDY", "STRICT_PARSING": False,
                        "REQUIRE_PARTS": ["day", "month", "year"], "PARSERS": ["absolute-time", "custom-formats"]}
MIN_YEAR, MAX_YEAR = 1900, 2100


@lru_cache(maxsize=4096)
def normalize_date(value: str | None) -> str | None:
    """"Sun, February 04, 2018" -> "2018-02-04"; "2018-02-04T10:00:00Z" -> "2018-02-04T10:00:00+00:00";
    None when the value holds no complete date (day, month and year)."""
    if not value or not value.strip() or len(value) > 200:
        return None
    value = value.strip()
    if _ISO.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return _iso(parsed, has_time=len(value) > 10)
    if not _HAS_YEAR.search(value):
        return None
    import dateparser  # slow to import: only when a non-ISO date is met

    parsed = dateparser.parse(value, languages=["en"], settings=_DATEPARSER_SETTINGS)
    if parsed is None:
        return None
    return _iso(parsed, has_time=bool(_HAS_TIME.search(value)))


def _iso(parsed: datetime, has_time: bool) -> str | None:
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    if not has_time:
        return date(parsed.year, parsed.month, parsed.day).isoformat()
    return parsed.isoformat(timespec="seconds")
