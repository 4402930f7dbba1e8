"""Main text and metadata of an HTML page, offline.

``extract_html`` is a pure function: it decodes the page, parses it once with
lxml (no network, no DTD/entity loading), hands copies of the tree to
trafilatura (main text + metadata) and htmldate (publication date), and merges
their answers with what the page states in JSON-LD and ``<meta>`` tags.

Nothing here fetches a URL: both libraries only download when given a URL
string *instead of* a document, so they always receive a parsed tree, and the
``url`` argument is used only as a hint (dates in the path, canonical links).
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura import bare_extraction, load_html

# one byline cleaner for text, HTML and JSON
from streams.parse.authors import clean_authors

__all__ = ["HtmlExtractionError", "decode_html", "extract_html", "clean_authors"]

# Libraries log every discarded page at WARNING; the caller dead-letters instead.
for _noisy in ("trafilatura", "htmldate"):
    logging.getLogger(_noisy).setLevel(logging.ERROR)
log = logging.getLogger(__name__)

# ---------------------------------------------------------------- thresholds
# Every tunable number of this stage, in one place.
MAX_HTML_CHARS = 2_000_000  # longer pages are cut here (largest dev page: 1.4 MB)
MAX_TREE_ELEMENTS = 60_000  # above this, trafilatura runs in its fast mode
MAX_CHARSET_SNIFF_BYTES = 4_096  # where a <meta charset> must appear
MAX_DETECT_BYTES = 100_000  # bytes given to the charset detector
MAX_JSONLD_CHARS = 300_000  # a larger JSON-LD block is ignored
MAX_JSONLD_NODES = 2_000  # objects visited per page in JSON-LD
MIN_MAIN_TEXT_CHARS = 25  # less than this is not an article
EARLIEST_PUBLICATION = date(1995, 1, 1)
FUTURE_DATE_SLACK = timedelta(days=1)  # time zones: "today" elsewhere may be tomorrow here

# trafilatura options kept after measuring on the dev pages (docs/PARSING-HTML.md)
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "favor_precision": False,
    "favor_recall": False,
}

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "blogposting",
    "socialmediaposting",
    "liveblogposting",
    "report",
    "scholarlyarticle",
    "techarticle",
    "posting",
    "discussionforumposting",
    "pressrelease",
}

# <meta> names/properties that state the first publication, strongest first
PUBLISHED_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "dc.date.created",
    "citation_publication_date",
    "publish-date",
    "publish_date",
    "pubdate",
    "article.published",
    "date",
    "dc.date",
)
SECTION_META_KEYS = ("article:section", "og:article:section", "section", "article-section", "parsely-section")
LANGUAGE_META_KEYS = ("content-language", "language", "dc.language", "og:locale", "inlanguage")


CHARSET_IN_META = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:\-]{1,40})""", re.IGNORECASE)
ENCODING_IN_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([a-zA-Z0-9_.:\-]{1,40})""", re.IGNORECASE)
LANGUAGE_TAG = re.compile(r"([a-zA-Z]{2})(?:$|[-_])")
DAY_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")
WHITESPACE = re.compile(r"\s+")

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# browsers read these labels as windows-1252 (WHATWG encoding standard)
WINDOWS_1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii", "us-ascii", "cp819"}


class HtmlExtractionError(ValueError):
    """The page holds no extractable main text; ``reason`` is a short slug for the dead letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- decoding
def declared_charset(raw: bytes) -> str | None:
    """The codec name the page declares (XML declaration or ``<meta charset>``), if Python knows it."""
    head = raw[:MAX_CHARSET_SNIFF_BYTES]
    match = ENCODING_IN_XML_DECL.search(head) or CHARSET_IN_META.search(head)
    if not match:
        return None
    label = match.group(1).decode("ascii", "ignore").lower()
    if label in WINDOWS_1252_ALIASES:
        label = "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(raw: bytes | str) -> str:
    """Text of the page: BOM, then declared charset, then UTF-8, then a detector; never fails."""
    if isinstance(raw, str):
        return raw
    for bom, codec in BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(codec, "replace")
    declared = declared_charset(raw)
    for codec in dict.fromkeys(c for c in (declared, "utf-8") if c):
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    if declared:
        # declared but with stray bytes: keep the declaration, replace the strays
        return raw.decode(declared, "replace")
    return raw.decode(detected_charset(raw), "replace")


def detected_charset(raw: bytes) -> str:
    """Best guess for undeclared, non-UTF-8 bytes (windows-1252 when the detector has none)."""
    from charset_normalizer import from_bytes  # htmldate's own dependency

    best = from_bytes(raw[:MAX_DETECT_BYTES]).best()
    return best.encoding if best is not None else "cp1252"


def parse_html(text: str) -> HtmlElement:
    """lxml tree of the page, parsed without network or entity loading; raises HtmlExtractionError.

    trafilatura's loader (the one its own string input goes through) strips control characters,
    works around a libxml2 DOCTYPE bug and parses UTF-8 bytes with an lxml HTMLParser, whose
    defaults load no DTD and touch no network. It downloads nothing (unlike htmldate's loader).
    """
    text = text[:MAX_HTML_CHARS]
    if not text.strip():
        raise HtmlExtractionError("empty_page")
    tree = load_html(text)
    if tree is None or len(tree) == 0:
        raise HtmlExtractionError("unparseable_html")
    return tree


# ---------------------------------------------------------------- page-stated metadata
def meta_values(tree: HtmlElement) -> dict[str, list[str]]:
    """``<meta>`` contents keyed by lower-cased name/property/itemprop/http-equiv, in page order."""
    values: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content") or meta.get("datetime")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                values.setdefault(key.strip().lower(), []).append(content.strip())
    return values


def jsonld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's ``application/ld+json`` blocks (``@graph`` flattened), bounded."""
    visited = 0
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        payload = (script.text or "").strip()
        if not payload or len(payload) > MAX_JSONLD_CHARS:
            continue
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        stack = [data]
        while stack and visited < MAX_JSONLD_NODES:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                visited += 1
                yield node
                graph = node.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))
                main = node.get("mainEntity")
                if isinstance(main, (dict, list)):
                    stack.append(main)


def jsonld_types(node: dict[str, Any]) -> set[str]:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {k.lower() for k in kinds if isinstance(k, str)}


def first_string(value: Any) -> str | None:
    """The first non-empty string in a JSON-LD value (string, list, or object with ``name``)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        for item in value:
            found = first_string(item)
            if found:
                return found
    if isinstance(value, dict):
        return first_string(value.get("name"))
    return None


def page_stated_metadata(tree: HtmlElement) -> dict[str, Any]:
    """Publication datetimes, section and language as stated in JSON-LD and meta tags."""
    metas = meta_values(tree)
    article_dates: list[str] = []
    other_dates: list[str] = []
    section = language = None
    for node in jsonld_objects(tree):
        kinds = jsonld_types(node)
        published = first_string(node.get("datePublished")) or first_string(node.get("dateCreated"))
        is_article = bool(kinds & ARTICLE_TYPES) or any(k.endswith("article") for k in kinds)
        if published:
            (article_dates if is_article else other_dates).append(published)
        if is_article:
            section = section or first_string(node.get("articleSection"))
            language = language or first_string(node.get("inLanguage"))
    meta_dates = [v for key in PUBLISHED_META_KEYS for v in metas.get(key, [])]
    meta_dates += [t.get("datetime") for t in tree.xpath('//time[@itemprop="datePublished"][@datetime]')]
    section = section or next((v[0] for k in SECTION_META_KEYS if (v := metas.get(k))), None)
    return {
        "article_dates": article_dates,
        "meta_dates": meta_dates,
        "other_dates": other_dates,
        "section": section,
        "metas": metas,
        "jsonld_language": language,
    }


# ---------------------------------------------------------------- dates
def parsed_datetime(value: str | None) -> datetime | None:
    """A datetime from an ISO-like string (date only gives midnight), or None if unreadable/implausible."""
    if not value:
        return None
    value = value.strip()
    if not DAY_PREFIX.match(value):
        return None
    try:
        when = datetime.fromisoformat(value.replace(" ", "T", 1) if len(value) > 10 else value[:10])
    except ValueError:
        try:
            when = datetime.fromisoformat(value[:10])
        except ValueError:
            return None
    if not EARLIEST_PUBLICATION <= when.date() <= date.today() + FUTURE_DATE_SLACK:
        return None
    return when


def iso_publication(stated: list[str]) -> str | None:
    """The first stated value that reads as a date, as ``YYYY-MM-DD`` or a full ISO datetime."""
    for value in stated:
        when = parsed_datetime(value)
        if when is None:
            continue
        if len(value.strip()) > 10 and (when.hour or when.minute or when.second or when.tzinfo):
            return when.isoformat()
        return when.date().isoformat()
    return None


def htmldate_params(url: str | None, original: bool = True) -> dict[str, Any]:
    """htmldate options: original (or, ``original=False``, htmldate's own default: the latest trusted) date,
    extensive search, no future dates."""
    return {
        "extensive_search": True,
        "original_date": original,
        "url": url,
        "max_date": (date.today() + FUTURE_DATE_SLACK).isoformat(),
    }


_URL_DAY = re.compile(r"(?<!\d)(\d{4})[/_-]?(\d{2})[/_-]?(\d{2})(?!\d)")


def plain_htmldate_day(tree: HtmlElement, url: str | None) -> str | None:
    """htmldate's own answer (not the original-date search) on the parsed page: the cross-check of
    :func:`publication_date`. htmldate copies the tree before it prunes it."""
    try:
        return find_date(tree, **htmldate_params(url, original=False))
    except Exception:            # noqa: BLE001 - a date library's failure on a page must not lose the article
        log.debug("htmldate failed", exc_info=True)
        return None


def _cross_check_day(tree: HtmlElement, url: str | None, stated: dict[str, Any], original_day: str | None) -> str | None:
    """htmldate's own answer where :func:`publication_date` needs it: not when the page's markup or URL already
    names the original day (that day stands whatever the cross-check says; most news pages: one htmldate run)."""
    if original_day is not None and _page_states_day(stated, url, original_day):
        return None
    return plain_htmldate_day(tree, url)


def _page_states_day(stated: dict[str, Any], url: str | None, day: str) -> bool:
    """Whether the page's publication markup (JSON-LD, meta, <time itemprop>) or its URL names ``day``."""
    for value in stated["article_dates"] + stated["meta_dates"]:
        when = parsed_datetime(value)
        if when is not None and when.date().isoformat() == day:
            return True
    return any("-".join(m.groups()) == day for m in _URL_DAY.finditer(url or ""))


def publication_date(stated: dict[str, Any], original_day: str | None, plain_day: str | None = None,
                     url: str | None = None) -> str | None:
    """Original publication date: htmldate's day, with the time of day when the page states it.

    ``original_day`` is htmldate asked for the original (first) date, ``plain_day`` htmldate as it comes (None:
    not run). When they disagree, the original date is taken only where the page's publication markup or its URL
    names that day; otherwise htmldate's own answer (issue 22: the original-date search won on the dev pages
    and lost on unseen ones, where it picks old dates from the text). htmldate measured better than trusting
    JSON-LD/meta first: stated UTC datetimes often fall on the next day for the publisher (docs/PARSING-HTML.md).
    The stated values give the time when they name the same day, and the date when htmldate finds none.
    """
    day = original_day
    if plain_day is not None and plain_day != original_day and (
            original_day is None or not _page_states_day(stated, url, original_day)):
        day = plain_day
    values = stated["article_dates"] + stated["meta_dates"] + stated["other_dates"]
    if day is None:
        return iso_publication(values)
    for value in values:
        when = parsed_datetime(value)
        if when is not None and when.date().isoformat() == day and len(value.strip()) > 10:
            return iso_publication([value])
    return day


# ---------------------------------------------------------------- text and small fields
def paragraphs(text: str | None) -> str:
    """trafilatura's line-per-block text as clean paragraphs separated by a blank line."""
    if not text:
        return ""
    # NFC, as trafilatura's own text output: downstream matching sees one form of each letter
    blocks = (WHITESPACE.sub(" ", line).strip() for line in unicodedata.normalize("NFC", text).splitlines())
    return "\n\n".join(b for b in blocks if b)


def visible_text_chars(tree: HtmlElement) -> int:
    """Characters of text a reader could see in the body (scripts and styles excluded)."""
    texts = tree.xpath(
        "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
    )
    return sum(len(" ".join(t.split())) for t in texts)


def page_language(tree: HtmlElement, stated: dict[str, Any]) -> str | None:
    """ISO 639-1 code from ``<html lang>``, meta tags or JSON-LD ``inLanguage``."""
    metas = stated["metas"]
    candidates = [tree.get("lang"), tree.get("xml:lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    body = tree.find("body")
    candidates.append(body.get("lang") if body is not None else None)
    candidates += [v[0] for key in LANGUAGE_META_KEYS if (v := metas.get(key))]
    candidates.append(stated["jsonld_language"])
    for candidate in candidates:
        match = LANGUAGE_TAG.match(candidate.strip()) if candidate else None
        if match:
            return match.group(1).lower()
    return None


def canonical_link(tree: HtmlElement, url: str | None, metas: dict[str, list[str]]) -> str | None:
    """The page's own canonical URL (``<link rel=canonical>``, then ``og:url``), made absolute."""
    hrefs = [
        link.get("href")
        for link in tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href")
    ]
    hrefs += metas.get("og:url", [])
    for href in hrefs:
        absolute = urljoin(url, href.strip()) if url else href.strip()
        if urlsplit(absolute).scheme in ("http", "https") and urlsplit(absolute).netloc:
            return absolute
    return None


def clean_field(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = WHITESPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()
    return value or None


# ---------------------------------------------------------------- main entry
def extract_html(html: str | bytes, url: str | None = None) -> dict[str, Any]:
    """Main text and metadata of one HTML page.

    Returns ``{title, authors[], published_at, text, sitename, canonical_url, language, description,
    section, removed{boilerplate_chars}}``; ``text`` is paragraphs separated by ``"\\n\\n"``.
    Raises HtmlExtractionError (a ValueError) with a short reason when there is no main text.
    """
    if not html:
        raise HtmlExtractionError("empty_page")
    tree = parse_html(decode_html(html))
    stated = page_stated_metadata(tree)
    huge = sum(1 for _ in tree.iter()) > MAX_TREE_ELEMENTS
    document = bare_extraction(
        tree,  # trafilatura copies a given tree before cleaning it
        url=url,
        with_metadata=True,
        fast=huge,
        # trafilatura runs htmldate on the tree (with the page's canonical URL when it states one)
        date_extraction_params=htmldate_params(url),
        **TRAFILATURA_OPTIONS,
    )
    text = paragraphs(document.text if document is not None else None)
    if len(text) < MIN_MAIN_TEXT_CHARS:
        raise HtmlExtractionError("no_main_text")

    sitename = clean_field(document.sitename)
    hostname = clean_field(document.hostname)
    section = clean_field(stated["section"]) or next(iter(document.categories or []), None)
    return {
        "title": clean_field(document.title),
        "authors": clean_authors(document.author, (sitename, hostname)),
        "published_at": publication_date(stated, document.date, _cross_check_day(tree, url, stated, document.date),
                                         url),
        "text": text,
        "sitename": sitename,
        "canonical_url": canonical_link(tree, url, stated["metas"]),
        "language": page_language(tree, stated),
        "description": clean_field(document.description),
        "section": clean_field(section),
        "removed": {"boilerplate_chars": max(0, visible_text_chars(tree) - len(text))},
    }
