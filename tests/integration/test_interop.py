"""Another Kafka client implementation (librdkafka, via confluent-kafka) publishes raw articles and reads the
enriched records back from the embedded broker: the topics are plain Kafka, not a Faust-only format."""
from __future__ import annotations

import time

import orjson
import pytest

confluent_kafka = pytest.importorskip("confluent_kafka")
pytestmark = pytest.mark.integration


def test_librdkafka_client_publishes_and_reads_enriched(stack, seed_bytes):
    stack.start_worker()
    topics = stack.settings.topics
    producer = confluent_kafka.Producer({"bootstrap.servers": stack.broker})
    producer.produce(topics.raw, key=b"rdk-seed", value=seed_bytes)
    producer.produce(topics.raw, key=b"rdk-json", value=orjson.dumps({
        "id": "rdk-json", "url": "https://example.org/floods", "title": "Floods hit Jakarta",
        "text": "Heavy rain flooded Jakarta on Monday, officials said. Thousands of residents were evacuated."}))
    assert producer.flush(30) == 0

    consumer = confluent_kafka.Consumer({"bootstrap.servers": stack.broker, "group.id": f"{stack.prefix}-rdk",
                                         "enable.auto.commit": False})
    metadata = consumer.list_topics(topics.enriched, timeout=10)
    consumer.assign([confluent_kafka.TopicPartition(topics.enriched, p, confluent_kafka.OFFSET_BEGINNING)
                     for p in metadata.topics[topics.enriched].partitions])
    records, deadline = {}, time.monotonic() + 180
    while len(records) < 2 and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and not msg.error():
            records[msg.key().decode()] = orjson.loads(msg.value())
    consumer.close()

    assert set(records) == {"rdk-seed", "rdk-json"}     # the message key is the id of an article without one
    seed = records["rdk-seed"]
    assert seed["id"] == "rdk-seed" and seed["published_at"] == "2018-02-04"
    assert seed["title"] == "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"
    flood = records["rdk-json"]
    assert flood["id"] == "rdk-json" and flood["source"]["domain"] == "example.org"
    assert any(loc["name"] == "Jakarta" and loc["country_code"] == "ID" for loc in flood["locations"])
