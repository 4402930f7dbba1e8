"""Hostile raw payloads: compressed articles, decompression bombs, corrupt streams, entity tricks.

Scrapers store pages gzipped, so a raw message may be gzip or zlib data as a whole: it is inflated once, never
beyond ``pipeline.max_message_bytes`` (the limit of a plain message), and a bomb is a ``too_large`` dead letter.
"""
from __future__ import annotations

import gzip
import resource
import struct
import time
import tracemalloc
import zlib
from dataclasses import asdict
from pathlib import Path

import orjson
import pytest

from streams.errors import BadArticle
from streams.parse.envelope import decode_raw, inflate_payload
from streams.pipeline import Item, parse_batch, parse_payload
from streams.settings import Pipeline

FIXTURES = Path(__file__).parent / "fixtures"
LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_json_depth": 64}


def gzip_bomb(inflated_mib: int) -> bytes:
    """A valid gzip stream of ``inflated_mib`` MiB of zeros (~1 KB per MiB), built without ever holding them:
    one 1 MiB deflate block ended by a full flush (byte-aligned, no history) is repeated as is."""
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(inflated_mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    final_empty_block = b"\x03\x00"
    return header + block * inflated_mib + final_empty_block + struct.pack("<II", crc, (inflated_mib << 20) % 2**32)


def rejected(payload: bytes, **limits) -> BadArticle:
    with pytest.raises(BadArticle) as e:
        decode_raw(payload, **{**LIMITS, **limits})
    return e.value


def parsed_fields(payload: bytes) -> dict:
    record = asdict(parse_payload(payload, ingested_at=1.0, limits=Pipeline(), key="k1"))
    record.pop("pipeline")       # timings
    return record


# --- compressed articles parse like plain ones ----------------------------------------------------------------

@pytest.mark.parametrize("compress", [gzip.compress, zlib.compress, lambda b: zlib.compress(b, 1),
                                      lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])],
                         ids=["gzip", "zlib", "zlib-level1", "gzip-two-members"])
def test_a_compressed_text_article_parses_like_the_plain_one(seed_bytes, compress):
    assert parsed_fields(compress(seed_bytes)) == parsed_fields(seed_bytes)


def test_a_gzipped_html_page_and_a_gzipped_json_article_parse_like_the_plain_ones(seed_bytes):
    page = (FIXTURES / "news_article.html").read_bytes()
    assert decode_raw(gzip.compress(page), **LIMITS).format == "html"
    assert parsed_fields(gzip.compress(page)) == parsed_fields(page)
    article = orjson.dumps({"id": "g1", "title": "A title", "text": seed_bytes.decode()})
    assert parsed_fields(gzip.compress(article)) == parsed_fields(article)


def test_text_that_merely_opens_like_a_zlib_header_stays_text():
    raw = decode_raw("x\u0680 is not compressed, it is a sentence about x^2 and more words".encode(), **LIMITS)
    assert raw.format == "text" and raw.text.startswith("x\u0680")
    assert decode_raw(b"x^2 grows faster than x, the teacher said in class", **LIMITS).text.startswith("x^2")


# --- bombs ------------------------------------------------------------------------------------------------------

def test_the_bomb_builder_makes_a_real_gzip_stream():
    bomb = gzip_bomb(3)
    assert gzip.decompress(bomb) == bytes(3 << 20)


def test_a_1_gib_gzip_bomb_is_too_large_fast_and_with_bounded_memory():
    bomb = gzip_bomb(1024)
    assert len(bomb) < LIMITS["max_bytes"]          # passes the size check of the compressed message
    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = rejected(bomb)
        took = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.reason == "too_large"
    assert "decompression bomb" in error.message and "gzip" in error.message
    assert took < 2.0, f"{took:.2f} s: the bomb was inflated further than the limit"
    assert peak < 3 * LIMITS["max_bytes"], f"peak {peak / 2**20:.1f} MiB traced while rejecting the bomb"


def test_a_zlib_bomb_and_a_bomb_just_over_the_limit_are_too_large():
    zlib_bomb = zlib.compress(bytes(6 << 20), 9)
    assert rejected(zlib_bomb).reason == "too_large"
    just_over = gzip.compress(b"a" * (LIMITS["max_bytes"] + 1))
    assert rejected(just_over).reason == "too_large"
    exactly = b"word " * (LIMITS["max_bytes"] // 5)
    assert inflate_payload(gzip.compress(exactly), max_bytes=LIMITS["max_bytes"]) == exactly


def test_a_bomb_in_a_batch_is_a_dead_letter_saying_so_and_the_batch_goes_on(seed_bytes):
    items = [Item(value=gzip_bomb(64), key="bomb"), Item(value=gzip.compress(seed_bytes), key="good")]
    bomb, good = parse_batch(items, Pipeline())
    assert good.ok
    assert not bomb.ok and bomb.reason == "too_large"
    letter = orjson.loads(bomb.value)
    assert letter["reason"] == "too_large" and "decompression bomb" in letter["message"]
    assert letter["payload_encoding"] == "base64" and letter["payload_bytes"] == len(items[0].value)


# --- corrupt, truncated, nested -------------------------------------------------------------------------------

def test_truncated_and_corrupt_gzip_are_rejected_with_a_reason(seed_bytes):
    packed = gzip.compress(seed_bytes)
    cases = {
        "truncated": packed[: len(packed) // 2],
        "header only": packed[:10],
        "bad crc": packed[:-8] + b"\0\0\0\0" + packed[-4:],
        "garbage deflate": packed[:10] + b"\xff" * 200,
        "trailing garbage": packed + b"not gzip",
    }
    for name, payload in cases.items():
        error = rejected(payload)
        assert error.reason == "bad_compression", (name, error.reason, error.message)
    assert "truncated" in rejected(cases["truncated"]).message


def test_corrupt_zlib_is_rejected_with_a_reason(seed_bytes):
    packed = zlib.compress(seed_bytes)
    assert rejected(packed[: len(packed) // 2]).reason == "bad_compression"
    assert rejected(packed[:2] + b"\xff\xfe" * 50).reason == "bad_compression"


def test_nested_gzip_is_inflated_once_only():
    nested_bomb = gzip.compress(gzip_bomb(1024))     # 1 MiB outside, 1 GiB inside
    started = time.perf_counter()
    error = rejected(nested_bomb)
    assert error.reason == "bad_compression" and "once" in error.message
    assert time.perf_counter() - started < 2.0
    assert rejected(gzip.compress(gzip.compress(b"plain words of an article"))).reason == "bad_compression"
    assert rejected(gzip.compress(zlib.compress(b"plain words of an article"))).reason == "bad_compression"


def test_compressed_nothing_is_empty():
    assert rejected(gzip.compress(b"")).reason == "empty"
    assert rejected(gzip.compress(b"  \n ")).reason == "empty"


def test_xhtml_with_an_xml_declaration_or_a_bom_is_html():
    assert decode_raw((FIXTURES / "entity_trick.html").read_bytes(), **LIMITS).format == "html"
    assert decode_raw(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\n<!-- c -->\n<html><p>x</p></html>',
                      **LIMITS).format == "html"
    assert decode_raw(b"<?xml version='1.0'?><note>not a page</note>", **LIMITS).format == "text"


# --- DTD entities through the whole parse stage ---------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE html [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
 <!ENTITY passwd SYSTEM "file:///etc/passwd">
]>
<html><head><title>Council publishes annual budget</title></head><body><article>
<h1>Council publishes annual budget</h1>
<p>The council published its annual budget on Monday, setting out spending on schools and roads. &lol9; &passwd;</p>
<p>Officials said the plan keeps council tax flat while adding money for road repairs and two new libraries.</p>
<p>Opposition members said they would study the figures closely before the vote planned for next month.</p>
</article></body></html>
"""


@pytest.mark.parametrize("wrap", [lambda b: b, gzip.compress, lambda b: orjson.dumps({"html": b.decode()})],
                         ids=["html", "gzipped-html", "json-html"])
def test_billion_laughs_and_an_external_entity_neither_expand_nor_read_a_file(wrap):
    assert decode_raw(wrap(BILLION_LAUGHS), **LIMITS).format == "html"     # the HTML path, not text
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    parsed = parse_payload(wrap(BILLION_LAUGHS), ingested_at=1.0, limits=Pipeline(), key="laughs")
    took = time.perf_counter() - started
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert "The council published its annual budget on Monday" in parsed.text
    assert "lollol" not in parsed.text and "lollol" not in (parsed.title or "")
    assert "root:" not in parsed.text and "/bin/" not in parsed.text and "nologin" not in parsed.text
    assert len(parsed.text) < 2000
    assert took < 10 and grown_mib < 200, (took, grown_mib)


@pytest.mark.timeout(30)
def test_a_run_of_html_comments_is_read_in_linear_time():
    """Found by the fuzz suite: the page-start pattern re-split a run of comments every possible way ("<!---->" x 40
    took 2^40 steps, a stalled pool process). Each comment now ends at its first "-->"."""
    for tail, expected in ((b"Plain text after the comments.", "text"), (b"<html><p>A page.</p></html>", "html")):
        payload = b"<!---->" * 30 + b" <!-- a -- comment --> " * 150 + tail     # within the 4 KiB looked at
        started = time.perf_counter()
        assert decode_raw(payload, **LIMITS).format == expected
        assert time.perf_counter() - started < 2          # a guard against minutes, not a speed measurement
