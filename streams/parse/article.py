"""RawArticle -> ParsedArticle: the parse stage as one pure function.

Given fields (JSON input) win over extracted ones; what was removed is said in ``flags``.
"""
from __future__ import annotations

from streams import __version__
from streams.errors import BadArticle
from streams.parse.authors import clean_authors
from streams.parse.dates import normalize_date
from streams.parse.identity import (article_id, canonical_url, content_hash, detect_language, domain_of,
                                    minhash_signature)
from streams.parse.text import clean_lines, parse_scraped_text
from streams.records import ParsedArticle, RawArticle

MIN_WORDS = 3      # fewer words than this is not an article


def parse_article(raw: RawArticle, *, ingested_at: float, max_text_chars: int = 200_000,
                  key: str | None = None) -> ParsedArticle:
    """Parse one decoded raw article; ``key`` is its Kafka message key. Raises BadArticle (no_text, no_main_text)."""
    flags: list[str] = []
    title = section = published = source_name = language = canonical = None
    authors: list[str] = []
    if raw.format == "html" or (raw.html and not raw.text):
        from streams.parse.html import HtmlExtractionError, extract_html

        try:
            page = extract_html(raw.html or "", url=raw.url)
        except HtmlExtractionError as e:
            raise BadArticle("no_main_text", f"no main text in the HTML page: {e}") from None
        title, authors, published = page.get("title"), page.get("authors") or [], page.get("published_at")
        source_name, language, section = page.get("sitename"), page.get("language"), page.get("section")
        canonical = page.get("canonical_url")
        paragraphs = clean_lines(page.get("text") or "")
        removed_chars = (page.get("removed") or {}).get("boilerplate_chars", 0)
        if removed_chars:
            flags.append("removed:html_boilerplate")
    else:
        scraped = parse_scraped_text(raw.text or "")
        title, authors, published = scraped.title, scraped.authors, scraped.published_at
        section, source_name, paragraphs = scraped.section, scraped.source_name, scraped.paragraphs
        flags += [f"removed:{kind}" for kind in sorted(scraped.removed)]

    text = "\n\n".join(paragraphs)
    if len(text.split()) < MIN_WORDS and raw.text:
        # The header and boilerplate rules took every line (e.g. a scrape that is one injected headline): an
        # article is never lost to them; keep what was given, and say so.
        given = "\n\n".join(clean_lines(raw.text))
        if len(given.split()) >= MIN_WORDS:
            text = given
            flags.append("no_body_found")
    if len(text) > max_text_chars:
        text = text[:max_text_chars].rsplit(" ", 1)[0]
        flags.append("text_truncated")
    if len(text.split()) < MIN_WORDS:
        raise BadArticle("no_text", f"fewer than {MIN_WORDS} words of text after parsing")

    # Given fields win over extracted ones.
    title = _given(raw.title) or title
    authors = clean_authors(raw.authors) or authors if raw.authors else authors
    published = normalize_date(raw.published_at) or published if raw.published_at else published
    if raw.published_at and not normalize_date(raw.published_at):
        flags.append("unparsed_published_at")
    section = _given(raw.section) or section
    language = _given(raw.language) or detect_language(text) or language
    url = _given(raw.url) or canonical
    domain = domain_of(url, raw.source) or domain_of(None, source_name)
    source_name = (raw.source if raw.source and raw.source != domain else None) or source_name
    text_hash = content_hash(text)
    return ParsedArticle(
        id=article_id(raw.id or _given(key), canonical_url(url), text_hash),
        url=url,
        source={"domain": domain, "name": source_name},
        title=title,
        authors=authors,
        section=section,
        published_at=published,
        language=language.lower()[:2] if language else None,
        text=text,
        word_count=len(text.split()),
        content_hash=text_hash,
        signature=minhash_signature(text),
        flags=flags,
        extra=raw.extra,
        pipeline={"version": __version__, "ingested_at": ingested_at, "input_format": raw.format, "stage_ms": {}},
    )


def _given(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
