"""Fuzz the pure parse and enrich functions with random and hostile input (hypothesis).

What must hold for every input: only ``BadArticle`` (a dead letter with a reason) may escape, and every call
returns within the deadline (conftest: ``FUZZ_DEADLINE_MS``), so no input can crash a pool process or hang
a partition through catastrophic regex backtracking. Hostile shapes: deep JSON/HTML nesting, lines of
100,000+ characters, runs of quotes, brackets, digits and separators, control characters, lone surrogates
(as JSON escapes and as CESU-8 bytes), wrong JSON types in every known field, mutated real articles.
"""
from __future__ import annotations

import gzip
import json
import time
import zlib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from streams.classify.events import extract_events
from streams.enrich.amounts import extract_amounts
from streams.enrich.dates import resolve_dates
from streams.enrich.entities import Mention, clean_mentions, dictionary_mentions
from streams.enrich.keywords import extract_keywords
from streams.enrich.places import find_place_mentions, resolve_places
from streams.enrich.quotes import extract_quotes
from streams.enrich.tone import score_tone, sentence_spans
from streams.errors import REASONS, BadArticle
from streams.parse.envelope import KNOWN_FIELDS, decode_raw
from streams.pipeline import parse_payload
from streams.records import encode
from streams.settings import Pipeline

pytestmark = pytest.mark.timeout(900)   # a hung call (catastrophic backtracking) fails instead of blocking CI

LIMITS = Pipeline()
MAX_CHARS = LIMITS.max_text_chars       # the pipeline never hands longer text to the enrich functions

# Pieces that regexes and tokenisers in this code base care about, and characters that break naive code.
PIECES = [
    '"', "“", "”", "'", "‘", "’", "«", "»", "(", ")", "[", "]", "{", "}", "<", ">", "0", "7", "1,000", "3.5",
    ".", ",", ";", ":", "!", "?", " ", "  ", "\n", "\n\n", "\r\n", "\t", "\x00", "\x07", "\x1b", "\x7f", "\u0085",
    "\u200b", "\u200e", "\u2028", "\ufeff", "\ufffd", "\ud800", "\udfff", "-", "—", "–", "/", "\\", "$", "€", "%",
    "&amp;", "&#0;", "<div>", "</p>", "<script>", "<!--", "-->", "A", "Z", "É", "ß", "İ", "ﬁ", "٣", "𝟗", "😀",
    "Damascus", "Syria", "Mr.", "U.S.", "St.", "de", "al-", "said", "says", "according to", "million", "billion",
    "killed", "five", "hundred", "Monday", "last week", "January 24, 2018", "2018-02-04", "ago", "next",
    "By", "|", "Published:", "The", "UN", "NATO",
]
piece = st.sampled_from(PIECES)
run = st.tuples(st.lists(piece, min_size=1, max_size=4), st.integers(1, 40_000)).map(
    lambda t: ("".join(t[0]) * t[1])[:MAX_CHARS])
hostile_text = st.lists(st.one_of(st.text(max_size=200), piece, run,
                                  st.text(st.characters(codec=None), max_size=50)),   # any code point, surrogates too
                        max_size=12).map(lambda parts: "".join(parts)[:MAX_CHARS])


@pytest.fixture(scope="module")
def seed_text(seed_bytes) -> str:
    return seed_bytes.decode("utf-8")


def mutated(text: str):
    """The real seed article with hostile pieces inserted at random places."""
    return st.lists(st.tuples(st.integers(0, len(text)), st.one_of(piece, run)), max_size=6).map(
        lambda edits: _apply(text, edits))


def _apply(text: str, edits) -> str:
    for pos, insert in sorted(edits, reverse=True):
        text = text[:pos] + insert + text[pos:]
    return text[:MAX_CHARS]


def to_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")     # lone surrogates become invalid UTF-8 (CESU-8) bytes


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**64) | st.floats() | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30)
json_article = st.dictionaries(st.sampled_from(KNOWN_FIELDS + ("extra", "")), json_value, max_size=8)


def nested(depth: int, opener: str, closer: str, inner: str = "1") -> str:
    return opener * depth + inner + closer * depth


deep_json = st.builds(
    lambda depth, kind: '{"text": "x", "a": ' + (nested(depth, "[", "]") if kind else nested(depth, '{"a":', "}"))
    + "}", st.integers(1, 200_000), st.booleans())
deep_html = st.builds(lambda depth, tag: "<html><body>" + nested(depth, f"<{tag}>", f"</{tag}>", "Text. " * 50)
                      + "</body></html>", st.integers(1, 20_000), st.sampled_from(["div", "p", "b", "table"]))


def only_bad_article(fn, *args, **kwargs):
    """Call fn; a BadArticle must carry a known reason; anything else escaping fails the test."""
    try:
        return fn(*args, **kwargs)
    except BadArticle as e:
        assert e.reason in REASONS
        return None


# --- parse ---------------------------------------------------------------------------------------------------

def test_decode_raw_random_bytes(fuzz):
    @given(st.binary(max_size=4096))
    def check(payload):
        only_bad_article(decode_raw, payload, max_bytes=LIMITS.max_message_bytes, max_json_depth=LIMITS.max_json_depth)
    fuzz(check)


def test_decode_raw_hostile_text_and_nesting(fuzz):
    @given(st.one_of(hostile_text, deep_json, deep_html).map(to_bytes))
    def check(payload):
        only_bad_article(decode_raw, payload, max_bytes=LIMITS.max_message_bytes, max_json_depth=LIMITS.max_json_depth)
    fuzz(check)


def test_parse_payload_json_articles_with_any_field_types(fuzz):
    @given(json_article, st.booleans())
    def check(obj, ascii_escapes):
        # json.dumps escapes lone surrogates as \\udXXX; orjson would refuse to write them at all
        payload = json.dumps(obj, ensure_ascii=ascii_escapes).encode("utf-8", "surrogatepass")
        parsed = only_bad_article(parse_payload, payload, ingested_at=time.time(), limits=LIMITS)
        if parsed is not None:
            encode(parsed)      # parse_batch encodes outside its try: this must not raise either
    fuzz(check)


def test_parse_payload_hostile_scraped_text(fuzz, seed_text):
    @given(st.one_of(hostile_text, mutated(seed_text)).map(to_bytes))
    def check(payload):
        only_bad_article(parse_payload, payload, ingested_at=time.time(), limits=LIMITS)
    fuzz(check)


def test_parse_payload_hostile_html(fuzz):
    @given(st.one_of(deep_html, hostile_text.map(lambda t: f"<html><head><title>{t[:300]}</title></head>"
                                                          f"<body><article><p>{t}</p></article></body></html>")))
    def check(html):
        only_bad_article(parse_payload, to_bytes(html), ingested_at=time.time(), limits=LIMITS)
    fuzz(check)


def compressed(data: bytes, kind: int, cut: int, flip: int, twice: bool) -> bytes:
    """gzip or zlib of ``data`` (sometimes compressed twice), sometimes truncated or with one byte flipped."""
    pack = gzip.compress if kind == 0 else zlib.compress
    out = pack(data)
    if twice:
        out = pack(out)
    if cut:
        out = out[:max(2, len(out) - cut)]
    if flip and len(out) > 2:
        i = 2 + flip % (len(out) - 2)
        out = out[:i] + bytes([out[i] ^ 0x5A]) + out[i + 1:]
    return out


def test_decode_raw_compressed_payloads(fuzz):
    """Compressed payloads: inflated once and bounded, or a dead letter (too_large, bad_compression, ...)."""
    small = Pipeline(max_message_bytes=20_000)
    payload = st.one_of(st.binary(max_size=3000), hostile_text.map(to_bytes), st.integers(1, 5).map(
        lambda n: b"\x00" * (30_000 * n)))       # inflates past the (lowered) limit: a small bomb
    @given(payload, st.integers(0, 1), st.integers(0, 40), st.integers(0, 5000), st.booleans())
    def check(data, kind, cut, flip, twice):
        raw = compressed(data, kind, cut, flip, twice)
        decoded = only_bad_article(decode_raw, raw, max_bytes=small.max_message_bytes,
                                   max_json_depth=small.max_json_depth)
        if decoded is not None:
            assert len((decoded.text or "") + (decoded.html or "")) <= small.max_message_bytes
    fuzz(check)


# --- enrich: every text function the enrich stage calls -----------------------------------------------------

any_text = st.one_of(hostile_text, st.text(max_size=2000))


def test_quotes(fuzz, seed_text):
    @given(st.one_of(any_text, mutated(seed_text)))
    def check(text):
        only_bad_article(extract_quotes, text, [])
    fuzz(check)


def test_amounts(fuzz, seed_text):
    @given(st.one_of(any_text, mutated(seed_text)))
    def check(text):
        only_bad_article(extract_amounts, text)
    fuzz(check)


def test_dates(fuzz, seed_text):
    @given(st.one_of(any_text, mutated(seed_text)),
           st.one_of(st.none(), st.sampled_from(["2018-02-04", "2018-02-04T10:00:00Z", "0001-01-01", "9999-12-31"]),
                     st.text(max_size=30)))
    @example("Troops entered the town on Saturday.", "0001-01-01")     # found by this test: OverflowError
    @example("They will vote next Monday.", "9999-12-31")
    def check(text, published_at):
        only_bad_article(resolve_dates, text, published_at)
    fuzz(check)


def test_tone(fuzz, seed_text):
    @given(st.one_of(any_text, mutated(seed_text)))
    def check(text):
        only_bad_article(sentence_spans, text)
        only_bad_article(score_tone, text)
    fuzz(check)


def test_keywords(fuzz, seed_text):
    @given(st.one_of(any_text, mutated(seed_text)), st.text(max_size=300))
    def check(text, title):
        only_bad_article(extract_keywords, text, title, [])
    fuzz(check)


def test_places(fuzz, seed_text):
    @given(st.one_of(any_text, mutated(seed_text)))
    def check(text):
        mentions = only_bad_article(find_place_mentions, text)
        if mentions:
            only_bad_article(resolve_places, mentions, text)
    fuzz(check)


def test_entities_clean_mentions(fuzz, seed_text):
    mention = st.builds(Mention, any_text.map(lambda t: t[:500]),
                        st.sampled_from(["PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "DATE"]),
                        st.integers(-5, 10_000), st.integers(-5, 10_000))

    @given(st.lists(mention, max_size=30), st.one_of(any_text, mutated(seed_text)))
    def check(mentions, text):
        only_bad_article(clean_mentions, mentions, lambda name: len(name) % 2 == 0)
        found = only_bad_article(dictionary_mentions, text, [])
        if found:
            only_bad_article(clean_mentions, found)
    fuzz(check)


# --- classify ----------------------------------------------------------------------------------------------

def test_events(fuzz, seed_text):
    @given(st.one_of(any_text, mutated(seed_text)))
    @example("Troops attacked \ud800 the town.")       # found by this test: spaCy's tokenizer raised on a surrogate
    @example("Militants downed a fighter " + "'" * 40_000)  # found by this test: 260 s (quadratic tokenizer)
    @example("Militants downed a fighter " + "ago3.5Published:" * 12_000)     # and this one: 13 s
    @example('Militants downed a fighter jet, the army said "' + '"!".' * 42_000)  # and this one: 16 s
    def check(text):
        only_bad_article(extract_events, text, [], [])
    fuzz(check)
