"""Other Kafka clients publish raw articles and read the enriched records back: librdkafka through confluent-kafka
(on both brokers) and Debian's kcat with the README's commands as written (on Apache Kafka): the topics are plain
Kafka, not a Faust-only format."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

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


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_kcat_commands() -> list[str]:
    """The kcat lines of the README's "Talking to it with other Kafka clients" block."""
    block = re.search(r"```sh\n(kcat -P .*?)```", README.read_text(), re.S)
    assert block, "the README's kcat block is gone"
    return [line for line in block.group(1).splitlines() if line.startswith("kcat ")]


def as_in_readme(command: str, stack, seed_path: Path) -> str:
    """The README's command for this test's broker, topics and seed file; nothing else changed."""
    return (command.replace("127.0.0.1:9092", stack.broker).replace("articles.", f"{stack.prefix}.")
            .replace("shared/data/seed_article.txt", str(seed_path)))


def kcat_or_fail() -> None:
    if not shutil.which("kcat"):
        pytest.fail("kcat is not installed (Debian package kcat; .ci/run installs it)")


@pytest.mark.brokers("kafka")
def test_the_readmes_kcat_commands_publish_and_read_on_apache_kafka(stack, seed_bytes, tmp_path):
    """Debian's kcat speaks to Apache Kafka only (see the Tansu test below)."""
    kcat_or_fail()
    produce, consume = readme_kcat_commands()
    seed_path = tmp_path / "seed_article.txt"
    seed_path.write_bytes(seed_bytes)
    stack.start_worker()
    published = subprocess.run(as_in_readme(produce, stack, seed_path), shell=True, capture_output=True, text=True,
                               timeout=60)
    assert published.returncode == 0, published.stderr
    assert stack.read(stack.settings.topics.enriched, 1)              # the worker has enriched it
    read = subprocess.run(as_in_readme(consume, stack, seed_path), shell=True, capture_output=True, text=True,
                          timeout=60)
    assert read.returncode == 0, read.stderr
    key, _, value = read.stdout.strip().partition(" ")
    record = orjson.loads(value)
    assert key == "my-id" and record["id"] == "my-id"
    assert record["title"] == "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"


@pytest.mark.brokers("tansu")
def test_debians_kcat_still_cannot_talk_to_tansu(broker):
    """Pins the README's warning (Tansu 0.6.0 fails librdkafka 2.0.2's ApiVersion handshake): if an upgrade of
    either makes this fail, update the README."""
    kcat_or_fail()
    listed = subprocess.run(["kcat", "-L", "-b", broker, "-m", "5"], capture_output=True, text=True, timeout=60)
    assert listed.returncode != 0
