"""What the live page is sent for a record: the card's fields, its bounds, escaping, and bad records counted."""
from __future__ import annotations

from types import SimpleNamespace

import orjson
import pytest

from streams.ui.view import (
    MAX_ITEMS,
    MAX_TEXT_CHARS,
    LiveWindow,
    RollingCounts,
    SkippedRecord,
    article_card,
    dead_letter_card,
    ingest,
    sse_frame,
)


def enriched(**over) -> dict:
    """A record shaped like the seed article's enriched output (keys of the interfaces contract)."""
    record = {
        "id": "c8d008e4a7886efaa3d62", "url": None,
        "source": {"domain": "example.com", "name": "Example", "reliability": "reliable"},
        "title": "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot", "authors": ["Victor Meyer"],
        "section": "Worldwide", "published_at": "2018-02-04", "language": "en",
        "text": "Al-Qaida-linked militants in Syria downed a Russian fighter jet over Idlib.", "word_count": 12,
        "content_hash": "0" * 64,
        "entities": [{"text": "Syria", "label": "GPE", "canonical": "Syria", "count": 5},
                     {"text": "US", "label": "GPE", "canonical": "United States", "count": 3}],
        "locations": [{"name": "Syria", "country_code": "SY", "lat": 35.0, "lon": 38.0, "geonameid": 163843,
                       "count": 5, "mentions": ["Syria"]},
                      {"name": "Idlib", "country_code": "SY", "lat": 35.86, "lon": 36.61, "geonameid": 1,
                       "count": 2, "mentions": ["Idlib"]}],
        "dates": [], "quotes": [{"text": "the cornerstone", "speaker": "a source"}],
        "amounts": [{"text": "killed five civilians", "value": 5, "unit": None, "object": "civilians"}],
        "tone": {"compound": -0.19, "positive": 0.04, "negative": 0.09, "neutral": 0.87},
        "keywords": ["syria", "pilot"],
        "categories": [{"label": "conflict", "score": 0.55, "evidence": ["army"]},
                       {"label": "politics", "score": 0.25, "evidence": []}],
        "category": "conflict",
        "events": [{"code": "190", "label": "Fight", "code_label": "Use conventional military force",
                    "quad_class": 4, "quad_label": "material conflict", "goldstein": -10.0,
                    "sentence": "militants downed a jet", "place": "Idlib"}],
        "duplicate_of": None, "story_id": "c8d008e4a7886efaa3d62", "flags": [],
        "pipeline": {"version": "0.1.0", "mode": "accurate"}, "extra": {},
    }
    record.update(over)
    return record


def msg(record, partition=0, offset=0, timestamp=None):
    value = record if isinstance(record, (bytes, type(None))) else orjson.dumps(record)
    return SimpleNamespace(value=value, partition=partition, offset=offset, timestamp=timestamp)


def test_card_carries_what_the_page_shows():
    card = article_card(orjson.dumps(enriched()), partition=2, offset=7, timestamp_ms=1_700_000_000_000)
    assert card["kind"] == "article" and card["id"] == "c8d008e4a7886efaa3d62"
    assert card["title"].startswith("Backed Free Syrian Army")
    assert card["source"] == {"domain": "example.com", "name": "Example", "reliability": "reliable"}
    assert (card["category"], card["score"], card["tone"]) == ("conflict", 0.55, -0.19)
    assert card["entities"][1] == {"text": "US", "label": "GPE", "canonical": "United States", "count": 3}
    assert [(p["name"], p["lat"], p["lon"]) for p in card["locations"]] == [("Syria", 35.0, 38.0), ("Idlib", 35.86, 36.61)]
    assert card["quotes"] == [{"text": "the cornerstone", "speaker": "a source"}]
    assert card["amounts"][0]["value"] == 5.0
    assert card["events"][0]["code"] == "190" and card["events"][0]["place"] == "Idlib"
    assert card["kafka"] == {"partition": 2, "offset": 7, "timestamp_ms": 1_700_000_000_000}
    assert "content_hash" not in card and "pipeline" not in card      # only what the page uses


def test_card_is_bounded_whatever_the_record_holds():
    many = [{"text": f"E{i}", "label": "ORG", "canonical": f"E{i}", "count": 1} for i in range(1000)]
    card = article_card(orjson.dumps(enriched(text="x" * (MAX_TEXT_CHARS * 3), entities=many, title="t" * 10_000)))
    assert len(card["text"]) == MAX_TEXT_CHARS and card["text_truncated"] is True
    assert len(card["entities"]) == MAX_ITEMS["entities"]
    assert len(card["title"]) <= 500
    assert len(orjson.dumps(card)) < 64 * 1024


def test_card_drops_malformed_fields_instead_of_failing():
    card = article_card(orjson.dumps(enriched(
        source="not an object", entities=[1, "x", {"label": "GPE"}], tone=None, categories="conflict",
        locations=[{"name": "Nowhere", "lat": 999, "lon": 0}, {"name": "NaN", "lat": "35", "lon": 1}],
        title={"nested": True}, quotes=[{"text": None}])))
    assert card["source"] == {"domain": None, "name": None, "reliability": None}
    assert card["entities"] == [] and card["locations"] == [] and card["quotes"] == []
    assert card["tone"] is None and card["categories"] == [] and card["title"] is None


@pytest.mark.parametrize("value, reason", [
    (b"{not json", "invalid_json"), (b"[1, 2]", "not_an_object"), (None, "not_an_object"),
    (orjson.dumps({"title": "no id"}), "no_id"), (b'{"id": "x", "text": "' + b"a" * 3_000_000 + b'"}', "too_large"),
])
def test_bad_records_are_refused_with_a_reason(value, reason):
    with pytest.raises(SkippedRecord) as e:
        article_card(value)
    assert e.value.reason == reason


def test_ingest_counts_bad_records_and_keeps_going():
    window = LiveWindow()
    added = ingest(window, "article", [msg(b"{oops"), msg(enriched()), msg(b"x" * 10, offset=2),
                                       msg(enriched(id="second"))], max_bytes=4)
    assert added == []     # every record is over 4 bytes
    added = ingest(window, "article", [msg(b"{oops"), msg(enriched()), msg(None), msg(enriched(id="second"))])
    assert [c["id"] for c in added] == ["c8d008e4a7886efaa3d62", "second"]
    assert window.skipped == {"article:too_large": 4, "article:invalid_json": 1, "article:not_an_object": 1}


def test_script_in_a_record_is_data_in_one_sse_event():
    evil = "<script>window.__pwned=1</script>\n\ndata: {\"injected\": true}\n\nevent: article"
    card = article_card(orjson.dumps(enriched(text=evil, title="<img src=x onerror=alert(1)>")))
    frame = sse_frame("article", card)
    lines = frame.decode().split("\n")
    # exactly one event with one data line: newlines in the text cannot start a new field or event
    assert lines[0] == "event: article" and lines[1].startswith("data: ") and lines[2:] == ["", ""]
    sent = orjson.loads(lines[1][len("data: "):])
    assert sent["text"] == evil and sent["title"] == "<img src=x onerror=alert(1)>"   # verbatim, as text


def test_window_is_bounded_newest_first_and_shows_a_redelivery_once():
    window = LiveWindow(max_cards=3, clock=lambda: 1000.0)
    for i in range(5):
        window.add_article(article_card(orjson.dumps(enriched(id=f"a{i}")), timestamp_ms=999_000))
    window.add_article(article_card(orjson.dumps(enriched(id="a3")), timestamp_ms=999_500))
    snap = window.snapshot()
    assert [c["id"] for c in snap["cards"]] == ["a3", "a4", "a2"]
    assert snap["stats"]["seen"] == {"articles": 6, "redelivered": 1}


def test_rolling_counters_cover_the_last_minutes_only():
    now = [10_000.0]
    window = LiveWindow(window_seconds=300, clock=lambda: now[0])
    old = article_card(orjson.dumps(enriched(id="old", category="sport")), timestamp_ms=(now[0] - 1000) * 1000)
    new = article_card(orjson.dumps(enriched(id="new")), timestamp_ms=(now[0] - 30) * 1000)
    window.add_article(old)
    window.add_article(new)
    window.add_dead_letter(dead_letter_card(orjson.dumps({"stage": "parse", "reason": "empty", "payload": ""}),
                                            timestamp_ms=(now[0] - 10) * 1000))
    r = window.stats()["rolling"]
    assert r["articles"] == 1 and r["categories"] == [["conflict", 1]]
    assert r["articles_per_second_1m"] == round(1 / 60, 3)
    assert r["dead_letter_reasons"] == [["parse", "empty", 1]]
    assert ["Syria", "SY", 35.0, 38.0, 1] in r["places"]
    assert ["United States", "GPE", 1] in r["entities"]
    now[0] += 400
    assert window.stats()["rolling"]["articles"] == 0


def test_rolling_counts_cap_distinct_keys_per_bucket():
    counts = RollingCounts(max_keys=10)
    for i in range(1000):
        counts.add(100.0, "entities", f"e{i}")
    counts.add(100.0, "entities", "e0")
    total = counts.total("entities", 101.0)
    assert len(total) == 10 and total["e0"] == 2


def test_dead_letter_card_shows_the_reason_not_binary_payloads():
    dl = {"stage": "parse", "reason": "invalid_utf8", "error_type": "BadArticle", "message": "not UTF-8",
          "payload": "//79", "payload_encoding": "base64", "payload_bytes": 3, "id": None, "time": "2024-01-01T00:00:00Z"}
    card = dead_letter_card(orjson.dumps(dl))
    assert (card["stage"], card["reason"], card["payload_preview"]) == ("parse", "invalid_utf8", "(binary)")
    with pytest.raises(SkippedRecord):
        dead_letter_card(b"not json")
