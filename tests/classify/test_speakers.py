"""The events and quotes stages name one speaker a sentence (streams/classify/events/speakers.py)."""
from __future__ import annotations

from streams.classify.article import classify_article
from streams.classify.events.speakers import agree_on_speakers
from streams.enrich.article import enrich_article, find_mentions
from streams.records import ParsedArticle

TEXT = ("Maria Lopez, the port authority's chief executive, spoke to reporters in Rijeka on Monday.\n\n"
        "\"The new terminal will double what the port can handle within three years,\" she said.")


def enriched_and_classified(text):
    article = ParsedArticle(id="s1", url=None, source={"domain": None}, title=None, authors=[], section=None,
                            published_at=None, language="en", text=text, word_count=len(text.split()),
                            content_hash="h", signature=[], flags=[], pipeline={}, extra={})
    record, spans = enrich_article(article, find_mentions([text], "accurate")[0])
    return classify_article(record, spans)


def test_a_pronoun_speaker_of_a_statement_takes_the_quote_stage_resolved_name():
    record = enriched_and_classified(TEXT)
    statements = [e for e in record.events if e["root"] == "01" and "she said" in e["sentence"]]
    assert statements, record.events
    assert statements[0]["source_actor"]["name"] == "Maria Lopez"
    assert statements[0]["actors"]["source"] == "Maria Lopez"
    assert [q["speaker"] for q in record.quotes] == ["Maria Lopez"]


def event(sentence, name, canonical=None, root="01"):
    return {"root": root, "sentence": sentence, "actors": {"source": name, "target": None},
            "source_actor": {"name": name, "canonical": canonical or name, "country_code": None, "role": None}}


def test_a_named_event_speaker_is_given_to_the_quote():
    sentence = "\"We will open the terminal in May,\" the port's director Ivan Horvat said."
    events, quotes = [event(sentence, "Ivan Horvat")], [{"text": "We will open the terminal in May", "speaker": None}]
    agree_on_speakers(events, quotes, [])
    assert quotes[0]["speaker"] == "Ivan Horvat"


def test_two_names_of_one_person_are_both_kept_and_other_events_are_left_alone():
    sentence = "\"We will open the terminal in May,\" Horvat said, as the strike began."
    quotes = [{"text": "We will open the terminal in May", "speaker": "Director Ivan Horvat"}]
    said = event(sentence, "Horvat", "Ivan Horvat")
    strike = event(sentence, "dockers", root="14")
    agree_on_speakers([said, strike], quotes, [])
    assert quotes[0]["speaker"] == "Director Ivan Horvat"
    assert said["source_actor"]["canonical"] == "Ivan Horvat"
    assert strike["source_actor"]["name"] == "dockers"


def test_a_quote_of_another_sentence_changes_nothing():
    events = [event("He said the talks would resume.", "he")]
    agree_on_speakers(events, [{"text": "We will open the terminal in May", "speaker": "Ivan Horvat"}], [])
    assert events[0]["source_actor"]["name"] == "he"
