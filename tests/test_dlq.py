"""What a dead letter replays as (streams.dlq.replay_target), without a broker. The replay itself runs against
the real broker in tests/integration/test_reliability_dlq.py."""
from __future__ import annotations

import orjson
import pytest

from streams.dlq import LetterRefused, replay_group, replay_target
from streams.errors import BadArticle, dead_letter
from streams.settings import load_settings

SETTINGS = load_settings(env={})


def letter_for(payload: bytes, stage: str = "parse", key: str | None = "a1", max_payload_bytes: int = 1024) -> dict:
    letter = dead_letter(stage, RuntimeError("boom"), payload, key=key, max_payload_bytes=max_payload_bytes)
    return orjson.loads(orjson.dumps(letter.to_dict()))      # as read back from articles.dlq


def test_utf8_payload_goes_back_to_raw_with_its_key():
    assert replay_target(letter_for("Zürich — “quoted”".encode()), SETTINGS) == (
        "articles.raw", b"a1", "Zürich — “quoted”".encode())


def test_base64_payload_is_decoded_to_the_original_bytes():
    payload = b"\xff\xfe\x00 not utf-8 \x80"
    letter = letter_for(payload)
    assert letter["payload_encoding"] == "base64"
    assert replay_target(letter, SETTINGS)[2] == payload


def test_enrich_letters_go_back_to_the_parsed_topic():
    topic, key, payload = replay_target(letter_for(b'{"id": "a1", "text": "x"}', stage="enrich"), SETTINGS)
    assert (topic, key, payload) == ("articles.parsed", b"a1", b'{"id": "a1", "text": "x"}')


def test_a_letter_without_key_replays_without_key():
    assert replay_target(letter_for(b"text", key=None), SETTINGS)[1] is None


@pytest.mark.parametrize("letter, kind", [
    (letter_for(b"x" * 5000, max_payload_bytes=1000), "truncated"),
    ({**letter_for(b"x"), "stage": "route"}, "unknown_stage"),
    ({**letter_for(b"x"), "payload_encoding": "base64", "payload": "%%%"}, "invalid"),
    ({**letter_for(b"x"), "payload_encoding": "rot13"}, "invalid"),
    ({"reason": "invalid_json"}, "invalid"),
    ("not a letter", "invalid"),
])
def test_letters_that_cannot_be_replayed_are_refused_with_a_kind(letter, kind):
    with pytest.raises(LetterRefused) as e:
        replay_target(letter, SETTINGS)
    assert e.value.kind == kind


def test_a_bad_article_letter_round_trips():
    payload = b'{"id": "b1", "text": '
    letter = orjson.loads(orjson.dumps(dead_letter("parse", BadArticle("invalid_json", "bad"), payload,
                                                   key="b1").to_dict()))
    assert replay_target(letter, SETTINGS) == ("articles.raw", b"b1", payload)


def test_each_filter_keeps_its_own_position():
    assert replay_group(SETTINGS, None, None) == "newsstreams-dlq-replay"
    assert replay_group(SETTINGS, ["worker_crash", "unexpected_error"], "enrich") == \
        "newsstreams-dlq-replay-reason=unexpected_error+worker_crash-stage=enrich"
