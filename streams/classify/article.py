"""EnrichedArticle -> the same record with ``categories``, ``category`` and ``events`` filled in."""
from __future__ import annotations

from streams.classify.events import extract_events
from streams.classify.events.speakers import agree_on_speakers
from streams.classify.events.syntax import Sentence
from streams.classify.topics import classify_topics
from streams.records import EnrichedArticle


def classify_article(record: EnrichedArticle, entity_spans: list[dict],
                     event_sentences: list[Sentence] | None = None) -> EnrichedArticle:
    """IPTC topics (linear model over static MiniLM token vectors) and CAMEO events (parsed candidate sentences) of
    one article. ``event_sentences``: its candidate sentences parsed with the batch's (``parse_event_sentences``);
    parsed here when None."""
    topics = classify_topics(record.title or "", record.text)
    record.categories = topics["categories"]
    record.category = topics["category"]
    record.events = extract_events(record.text, entity_spans, record.locations, event_sentences)
    agree_on_speakers(record.events, record.quotes, entity_spans)       # one speaker a sentence in both fields
    return record
