import orjson
import pytest

from streams.errors import BadArticle
from streams.parse.envelope import decode_raw, json_depth

LIMITS = dict(max_bytes=1_000_000, max_json_depth=64)


@pytest.mark.parametrize("payload, reason", [
    (b"", "empty"),
    (b"   \n\t ", "empty"),
    (b"\xff\xfe\x00garbage", "invalid_utf8"),
    (b'{"id": "b1", "text": ', "invalid_json"),
    (b"[1,2,3]", "not_an_object"),
    (b'{"id": "b5", "title": ""}', "no_text"),
    (b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "too_deep"),
    (b"[" * 5000 + b"]" * 5000, "too_deep"),
    (b"x" * 1_000_001, "too_large"),
    (b'{"text": 42}', "bad_field"),
    (b'{"text": "a b c", "authors": {"x": 1}}', "bad_field"),
])
def test_bad_payloads_are_rejected_with_their_reason(payload, reason):
    with pytest.raises(BadArticle) as e:
        decode_raw(payload, **LIMITS)
    assert e.value.reason == reason


def test_moderately_nested_json_beyond_the_limit_is_too_deep():
    nested = {"text": "some words here", "meta": {}}
    node = nested["meta"]
    for _ in range(70):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(BadArticle) as e:
        decode_raw(orjson.dumps(nested), **LIMITS)
    assert e.value.reason == "too_deep"
    assert json_depth(nested) > 64


def test_json_fields_and_extra_are_carried():
    raw = decode_raw(orjson.dumps({"id": 7, "url": "https://x.org/a", "title": "T", "authors": "By Jane Roe",
                                   "text": "Body text here.", "lang_hint": "en", "score": [1, 2]}), **LIMITS)
    assert raw.format == "json" and raw.id == "7" and raw.url == "https://x.org/a"
    assert raw.authors == ["By Jane Roe"] and raw.text == "Body text here."
    assert raw.extra == {"lang_hint": "en", "score": [1, 2]}


def test_content_field_is_text_or_html():
    assert decode_raw(b'{"content": "plain words here"}', **LIMITS).text == "plain words here"
    raw = decode_raw(b'{"content": "<html><body><p>x</p></body></html>"}', **LIMITS)
    assert raw.format == "html" and raw.html.startswith("<html>")


def test_text_opening_with_a_bracketed_dateline_is_text_not_json():
    raw = decode_raw(b"[January 24, 2018 - ZurichTimes.net]\n\nSome body text follows here.", **LIMITS)
    assert raw.format == "text" and raw.text.startswith("[January 24")


def test_html_is_recognised():
    assert decode_raw(b"<!DOCTYPE html><html><body>Hi there you</body></html>", **LIMITS).format == "html"
    assert decode_raw(b"  <html lang='en'><p>x</p></html>", **LIMITS).format == "html"
    assert decode_raw(b"<3 is a heart, said nobody", **LIMITS).format == "text"
