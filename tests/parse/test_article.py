"""streams/parse/article.py: RawArticle -> ParsedArticle; given fields win, extra is carried, HTML is extracted."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import streams.parse.html
from streams.errors import BadArticle
from streams.parse.article import parse_article
from streams.parse.envelope import decode_raw
from streams.parse.identity import content_hash, minhash_signature

FIXTURES = Path(__file__).parent / "fixtures"
LIMITS = dict(max_bytes=10_000_000, max_json_depth=64)


def parse(payload: bytes | dict, **kwargs):
    if isinstance(payload, dict):
        payload = orjson.dumps(payload)
    return parse_article(decode_raw(payload, **LIMITS), ingested_at=1700000000.0, **kwargs)


# --- scraped text --------------------------------------------------------------------------------

def test_seed_text_is_parsed(seed_bytes):
    p = parse(seed_bytes)
    assert p.title == "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"
    assert (p.authors, p.section, p.published_at, p.language) == (["Victor Meyer"], "Worldwide", "2018-02-04", "en")
    assert p.text.startswith("Al-Qaida-linked militants") and p.title not in p.text     # title once, not in the body
    assert "More news:" not in p.text                                                   # injected link removed
    assert "removed:injected_link" in p.flags
    assert p.word_count == len(p.text.split())
    assert p.content_hash == content_hash(p.text) and p.signature == minhash_signature(p.text)
    assert p.id == "c" + p.content_hash[:20] and p.url is None
    assert p.pipeline == {"version": p.pipeline["version"], "ingested_at": 1700000000.0, "input_format": "text",
                          "stage_ms": {}}


def test_too_little_text_is_no_text():
    with pytest.raises(BadArticle) as e:
        parse(b"Two words")
    assert e.value.reason == "no_text"


# --- JSON: given fields win, extra is carried ----------------------------------------------------

def test_json_given_fields_win_over_extracted_ones(seed_bytes):
    p = parse({"id": "given-1", "url": "https://www.example.com/world/jet?utm_source=tw", "source": "example.com",
               "title": "Given Title", "authors": ["Jane Roe"], "published_at": "2018-02-05T08:00:00Z",
               "section": "World", "language": "fr", "text": seed_bytes.decode()})
    assert p.id == "given-1"
    assert p.title == "Given Title"                       # not the text's headline
    assert p.authors == ["Jane Roe"]                      # not the text's "By Victor Meyer"
    assert p.section == "World"                           # not "Worldwide"
    assert p.published_at.startswith("2018-02-05")        # not the text's date line
    assert p.language == "fr"                             # not the detected "en"
    assert p.url == "https://www.example.com/world/jet?utm_source=tw"      # the URL as given
    assert p.source == {"domain": "example.com", "name": None}
    assert p.pipeline["input_format"] == "json"


def test_json_without_given_fields_falls_back_to_the_extracted_ones(seed_bytes):
    p = parse({"text": seed_bytes.decode()})
    assert (p.title, p.authors, p.section, p.published_at) == (
        "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot", ["Victor Meyer"], "Worldwide",
        "2018-02-04")


def test_blank_given_fields_do_not_erase_extracted_ones(seed_bytes):
    p = parse({"title": "   ", "section": "", "text": seed_bytes.decode()})
    assert p.title.startswith("Backed Free Syrian") and p.section == "Worldwide"


def test_an_unparsable_given_date_is_flagged_and_the_extracted_one_kept(seed_bytes):
    p = parse({"published_at": "sometime soon-ish", "text": seed_bytes.decode()})
    assert p.published_at == "2018-02-04" and "unparsed_published_at" in p.flags


def test_extra_fields_are_carried_untouched():
    extra = {"feed": {"name": "wire", "rank": 3}, "tags": ["a", "b"], "score": 0.5, "flag": None}
    p = parse({"id": "x", "text": "Three words here and more.", **extra})
    assert p.extra == extra


def test_url_gives_the_id_and_the_domain():
    a = parse({"url": "https://www.example.com/a/?utm_source=x", "text": "Some article text is here."})
    b = parse({"url": "https://example.com/a", "text": "Other text, same page."})
    assert a.id == b.id and a.id.startswith("u")
    assert a.source["domain"] == "example.com"


def test_source_name_that_is_not_a_domain_is_kept_as_the_name():
    p = parse({"source": "The Coastal Ledger", "text": "Some article text is here."})
    assert p.source == {"domain": None, "name": "The Coastal Ledger"}


def test_the_message_key_is_the_id_when_the_json_has_none():
    raw = decode_raw(orjson.dumps({"text": "Some article text is here."}), **LIMITS)
    assert parse_article(raw, ingested_at=0.0, key="kafka-key").id == "kafka-key"
    raw = decode_raw(orjson.dumps({"id": "json-id", "text": "Some article text is here."}), **LIMITS)
    assert parse_article(raw, ingested_at=0.0, key="kafka-key").id == "json-id"


# --- HTML ----------------------------------------------------------------------------------------

def test_html_is_routed_to_extract_html(monkeypatch):
    calls = []
    real = streams.parse.html.extract_html

    def spy(html, url=None):
        calls.append((html[:15], url))
        return real(html, url=url)

    monkeypatch.setattr(streams.parse.html, "extract_html", spy)
    page = (FIXTURES / "news_article.html").read_text(encoding="utf-8")
    p = parse({"url": "https://ledger.example/harbour", "html": page})
    assert calls == [(page[:15], "https://ledger.example/harbour")]
    assert p.pipeline["input_format"] == "html"


def test_html_page_metadata(monkeypatch):
    p = parse((FIXTURES / "news_article.html").read_bytes())
    assert p.title == "Harbour bridge reopens after repairs"
    assert p.authors == ["Jane Doe", "John Smith"]
    assert p.published_at.startswith("2023-03-14")
    assert p.source["name"] == "The Coastal Ledger" and p.language == "en"
    assert "removed:html_boilerplate" in p.flags
    assert "<" not in p.text and p.word_count > 50


def test_json_content_holding_html_is_extracted():
    page = (FIXTURES / "news_article.html").read_text(encoding="utf-8")
    p = parse({"id": "h1", "content": page, "title": "Given wins"})
    assert p.title == "Given wins" and p.authors == ["Jane Doe", "John Smith"]


def test_html_without_main_text_is_no_main_text():
    with pytest.raises(BadArticle) as e:
        parse((FIXTURES / "no_text.html").read_bytes())
    assert e.value.reason == "no_main_text"


def test_json_html_field_without_main_text_is_no_main_text():
    with pytest.raises(BadArticle) as e:
        parse({"html": "<html><body><nav>Home | About</nav></body></html>"})
    assert e.value.reason == "no_main_text"


# --- limits --------------------------------------------------------------------------------------

def test_long_text_is_truncated_at_a_word_and_flagged(seed_bytes):
    full = parse(seed_bytes)
    p = parse(seed_bytes, max_text_chars=500)
    assert "text_truncated" in p.flags and "text_truncated" not in full.flags
    assert len(p.text) <= 500 and full.text.startswith(p.text)
    assert full.text[len(p.text)] in " \n"                            # cut between words
    assert p.word_count == len(p.text.split())
    assert p.content_hash == content_hash(p.text)


def test_text_at_the_limit_is_not_truncated(seed_bytes):
    full = parse(seed_bytes)
    p = parse(seed_bytes, max_text_chars=len(full.text))
    assert p.text == full.text and "text_truncated" not in p.flags
