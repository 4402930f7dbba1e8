"""The blind topic verdicts on 60 bundled sample articles (docs/TOPICS.md) still point at the right articles."""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from streams.classify.topics import TOPIC_SLUGS

REPO = Path(__file__).resolve().parents[2]
VERDICTS = Path(__file__).with_name("data") / "sample60_topic_verdicts.json"
SAMPLE = REPO / "streams" / "data" / "samples" / "fakenewscorpus_sample.csv"


def test_verdicts_are_the_documented_draw_of_the_bundled_sample_with_valid_slugs():
    csv.field_size_limit(10**9)
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        articles = list(csv.DictReader(f))
    verdicts = json.loads(VERDICTS.read_text(encoding="utf-8"))["verdicts"]
    assert [v["row"] for v in verdicts] == sorted(random.Random(20261203).sample(range(len(articles)), 60))
    for v in verdicts:
        article = articles[v["row"]]
        assert (article["id"], article["title"][:120]) == (v["id"], v["title"])
        assert v["primary"] in TOPIC_SLUGS and v["coder_b"] in TOPIC_SLUGS
        assert v["second"] is None or v["second"] in TOPIC_SLUGS
