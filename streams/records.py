"""Typed records of the pipeline and their JSON codec (orjson).

raw bytes --decode_raw--> RawArticle --parse--> ParsedArticle --enrich+classify--> EnrichedArticle

``ParsedArticle`` travels on ``articles.parsed``; ``EnrichedArticle`` on ``articles.enriched`` and the
category topics. Its keys are the contract of interfaces.md; the JSON Schema is streams/schema/enriched.schema.json.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import orjson


@dataclass(slots=True)
class RawArticle:
    """A message of ``articles.raw`` decoded into what its producer said; nothing derived yet."""
    format: str                      # "json" | "text" | "html"
    id: str | None = None
    url: str | None = None
    source: str | None = None        # a domain or a site name
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    section: str | None = None
    language: str | None = None
    text: str | None = None          # plain (scraped) text
    html: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ParsedArticle:
    """One clean, identified article: the output of the parse stage."""
    id: str
    url: str | None
    source: dict[str, Any]           # {"domain": str|None, "name": str|None}
    title: str | None
    authors: list[str]
    section: str | None
    published_at: str | None         # ISO 8601 date or date-time
    language: str | None             # ISO 639-1
    text: str                        # clean paragraphs separated by blank lines
    word_count: int
    content_hash: str                # sha256 of the normalised text
    signature: list[int]             # MinHash of word shingles, for near-duplicate search
    flags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    pipeline: dict[str, Any] = field(default_factory=dict)   # version, ingested_at, stage_ms


@dataclass(slots=True)
class EnrichedArticle:
    """THE output record (interfaces.md): every key always present."""
    id: str
    url: str | None
    source: dict[str, Any]           # {"domain", "name", "reliability"}
    title: str | None
    authors: list[str]
    section: str | None
    published_at: str | None
    language: str | None
    text: str
    word_count: int
    content_hash: str
    entities: list[dict] = field(default_factory=list)
    locations: list[dict] = field(default_factory=list)
    dates: list[dict] = field(default_factory=list)
    quotes: list[dict] = field(default_factory=list)
    amounts: list[dict] = field(default_factory=list)
    tone: dict[str, float] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    category: str | None = None
    events: list[dict] = field(default_factory=list)
    duplicate_of: str | None = None
    story_id: str | None = None
    flags: list[str] = field(default_factory=list)
    pipeline: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def encode(record: Any) -> bytes:
    """Record (dataclass or dict) -> UTF-8 JSON bytes."""
    return orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY)


def decode_parsed(payload: bytes) -> ParsedArticle:
    return _from_dict(ParsedArticle, orjson.loads(payload))


def decode_enriched(payload: bytes) -> EnrichedArticle:
    return _from_dict(EnrichedArticle, orjson.loads(payload))


def _from_dict(cls: type, data: dict) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})
