"""Articles of clearly different topics each land on their own category topic, and only there."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from harness import metrics_when

pytestmark = pytest.mark.integration
ARTICLES = Path(__file__).parent / "articles"


def test_each_article_lands_on_the_topic_of_its_category(stack, seed_bytes):
    worker = stack.start_worker()
    expected = {"route-sport": "sport", "route-economy": "economy", "route-health": "health",
                "route-weather": "weather", "route-technology": "technology", "route-seed": "conflict"}
    messages = [(path.stem.encode(), path.read_bytes()) for path in sorted(ARTICLES.glob("*.json"))]
    stack.publish([(b"route-seed", seed_bytes)] + messages)
    topics = stack.settings.topics

    enriched = {m.key.decode(): orjson.loads(m.value) for m in stack.read(topics.enriched, len(expected))}
    assert {k: r["category"] for k, r in enriched.items()} == expected

    for key, slug in expected.items():
        routed = stack.read(topics.category(slug), 1, timeout=60)
        assert [m.key.decode() for m in routed] == [key], slug
        record = orjson.loads(routed[0].value)
        assert record["category"] == slug and record["id"] == key     # the topic matches the record's own field
        assert dict(routed[0].headers)["category"] == slug.encode()
    # nothing was routed anywhere else
    assert stack.read(topics.category("crime"), 1, timeout=3) == []

    # counted once the route agent's sends are acknowledged, a moment after they are readable
    wanted = [f'newsstreams_category_total{{category="{slug}"}} 1.0' for slug in expected.values()]
    text = metrics_when(worker, lambda t: all(line in t for line in wanted))
    for line in wanted:
        assert line in text
