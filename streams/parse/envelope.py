"""Raw message bytes -> :class:`RawArticle`: which format it is, and whether it is acceptable at all.

A message of ``articles.raw`` is a JSON object, HTML, or plain scraped text, UTF-8 encoded, possibly
gzip- or zlib-compressed as a whole (scrapers store gzipped pages). Compressed payloads are inflated once,
never beyond the size limit of a plain message, so a decompression bomb costs at most that much memory.
Everything that cannot be an article raises :class:`BadArticle` with a reason from streams.errors.REASONS.
"""
from __future__ import annotations

import re
import zlib
from typing import Any

import orjson

from streams.errors import BadArticle
from streams.records import RawArticle

KNOWN_FIELDS = ("id", "url", "source", "title", "authors", "published_at", "section", "language",
                "text", "html", "content")
# optional BOM, XML declaration (XHTML) and comments, then a tag only a page opens with
# The comments' repetition is possessive (*+): each comment ends at its first "-->" and is never re-split, so a
# run of comments costs linear time (a plain * re-tried every split of "<!---->" x 40: 2^40 steps, found by fuzzing).
_HTML_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml\b[^>]{0,200}\?>\s*)?(?:<!--.*?-->\s*)*+"
                         rb"<(?:!doctype\s+html|html|head|body|article|div|p|main|meta|title)\b",
                         re.IGNORECASE | re.DOTALL)
_BOM = "\ufeff"
GZIP_MAGIC = b"\x1f\x8b"
# deflate with a 32 KiB window at the four levels zlib writes: what every zlib encoder produces in practice
ZLIB_HEADERS = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")
MAX_GZIP_MEMBERS = 16    # concatenated gzip members (bgzip, appended logs) inflated, at most


def decode_raw(payload: bytes | None, *, max_bytes: int, max_json_depth: int) -> RawArticle:
    """Decode one raw message. Raises BadArticle: empty, too_large, bad_compression, invalid_utf8,
    invalid_json, too_deep, not_an_object, bad_field, no_text."""
    if not payload or not payload.strip():
        raise BadArticle("empty", "empty message")
    if len(payload) > max_bytes:
        raise BadArticle("too_large", f"message of {len(payload)} bytes exceeds the limit of {max_bytes}")
    payload = inflate_payload(payload, max_bytes=max_bytes)
    if not payload.strip():
        raise BadArticle("empty", "compressed message of nothing")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadArticle("invalid_utf8", f"not UTF-8 at byte {e.start}: {e.reason}") from None
    stripped = text.lstrip().lstrip(_BOM).lstrip()
    if stripped.startswith("{"):
        return _from_json(_load_json(stripped), max_json_depth)
    if stripped.startswith("["):
        # "[January 24, 2018 - ZurichTimes.net]" opens real scraped text: only valid JSON is rejected here.
        try:
            value = orjson.loads(stripped)
        except orjson.JSONDecodeError as e:
            if _too_deep(e):
                raise BadArticle("too_deep", "JSON nested deeper than the parser allows") from None
        else:
            raise BadArticle("not_an_object", f"a JSON {type(value).__name__}, not an object")
    if _HTML_START.match(payload[:4096]):
        return RawArticle(format="html", html=stripped)
    return RawArticle(format="text", text=stripped)


def inflate_payload(payload: bytes, *, max_bytes: int) -> bytes:
    """``payload`` itself if it is not gzip/zlib data, else its inflated bytes, never more than ``max_bytes``.

    Raises BadArticle: too_large (inflates beyond ``max_bytes``: a decompression bomb; inflating stops there),
    bad_compression (truncated or corrupt stream, data after it, or compressed twice). Text that merely opens
    like a zlib header ("x^...") and does not inflate is returned unchanged.
    """
    if payload.startswith(GZIP_MAGIC):
        kind, wbits = "gzip", 16 + zlib.MAX_WBITS
    elif payload[:2] in ZLIB_HEADERS:
        kind, wbits = "zlib", zlib.MAX_WBITS
    else:
        return payload
    try:
        inflated = _inflate(payload, wbits, kind, max_bytes)
    except BadArticle as e:
        if kind == "zlib" and e.reason == "bad_compression" and _is_utf8(payload):
            return payload
        raise
    if inflated.startswith(GZIP_MAGIC) or (inflated[:2] in ZLIB_HEADERS and not _is_utf8(inflated)):
        raise BadArticle("bad_compression", f"{kind} data holding compressed data again: inflated once only")
    return inflated


def _inflate(payload: bytes, wbits: int, kind: str, max_bytes: int) -> bytes:
    out, rest = [], payload
    size = 0
    for _ in range(MAX_GZIP_MEMBERS):
        inflater = zlib.decompressobj(wbits)
        try:
            # max_length bounds the output: a 1 GB bomb stops after max_bytes + 1 bytes, in memory and in time
            chunk = inflater.decompress(rest, max_bytes - size + 1)
        except zlib.error as e:
            raise BadArticle("bad_compression", f"corrupt {kind} data: {e}") from None
        size += len(chunk)
        if size > max_bytes:
            raise BadArticle("too_large", f"decompression bomb: {len(payload)} bytes of {kind} data inflate beyond "
                                          f"the limit of {max_bytes} bytes (stopped there)")
        out.append(chunk)
        if not inflater.eof:
            raise BadArticle("bad_compression", f"truncated {kind} data: the stream ends before its end marker")
        rest = inflater.unused_data
        if not rest.strip(b"\x00"):        # trailing zero padding is tolerated, as gzip(1) does
            return b"".join(out)
        if kind != "gzip" or not rest.startswith(GZIP_MAGIC):
            raise BadArticle("bad_compression", f"{len(rest)} bytes of other data after the {kind} stream")
    raise BadArticle("bad_compression", f"more than {MAX_GZIP_MEMBERS} concatenated gzip members")


def _is_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _load_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        if _too_deep(e):
            raise BadArticle("too_deep", "JSON nested deeper than the parser allows") from None
        raise BadArticle("invalid_json", f"invalid JSON: {e}") from None


def json_depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def _from_json(obj: Any, max_depth: int) -> RawArticle:
    if not isinstance(obj, dict):
        raise BadArticle("not_an_object", f"a JSON {type(obj).__name__}, not an object")
    if json_depth(obj) > max_depth:
        raise BadArticle("too_deep", f"JSON nested deeper than {max_depth} levels")
    raw = RawArticle(format="json", extra={k: v for k, v in obj.items() if k not in KNOWN_FIELDS})
    for name in ("id",):
        value = obj.get(name)
        if value is not None:
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise BadArticle("bad_field", f"'{name}' must be a string or an integer")
            raw.id = str(value).strip() or None
    for name in ("url", "title", "published_at", "section", "language", "text", "html", "content"):
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise BadArticle("bad_field", f"'{name}' must be a string, not {type(value).__name__}")
        if name == "content":   # FakeNewsCorpus and many scrapers: plain text, sometimes HTML
            if value.strip() and not (raw.text or raw.html):
                if _HTML_START.match(value[:4096].encode("utf-8", "ignore")):
                    raw.html = value
                else:
                    raw.text = value
            continue
        setattr(raw, name, value)
    raw.source = _source_of(obj.get("source"))
    raw.authors = _authors_of(obj.get("authors"))
    if not ((raw.text and raw.text.strip()) or (raw.html and raw.html.strip())):
        raise BadArticle("no_text", "JSON object without text, html or content")
    raw.format = "html" if raw.html and not (raw.text and raw.text.strip()) else "json"
    return raw


def _source_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("domain") or value.get("name")
    if not isinstance(value, str):
        raise BadArticle("bad_field", "'source' must be a string or an object with domain/name")
    return value.strip() or None


def _authors_of(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return [a for a in value if a.strip()]
    raise BadArticle("bad_field", "'authors' must be a string or a list of strings")


def _too_deep(error: Exception) -> bool:
    message = str(error).lower()
    return "depth limit" in message or "recursion" in message
