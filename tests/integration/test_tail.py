"""``newsstreams tail`` from now on, on both brokers: only what is published after it starts, whatever its timestamp."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import orjson
import pytest

from streams.kafka import ensure_topics, producer

from harness import REPO

pytestmark = pytest.mark.integration
DAY_MS = 24 * 3600 * 1000


async def publish(settings, topic: str, values: list[bytes], timestamp_ms: int | None = None,
                  key: bytes | None = None) -> None:
    """Each value keyed by itself (spread over partitions) unless one ``key`` is given for all."""
    prod = producer(settings)
    await prod.start()
    try:
        for value in values:
            await prod.send_and_wait(topic, value, key=key or value, timestamp_ms=timestamp_ms)
    finally:
        await prod.stop()


def test_tail_from_now_shows_exactly_what_comes_after_it_started(stack, tmp_path):
    """Records already there are not shown; a record published afterwards with a timestamp a day old (a backfill
    that keeps the article's time) is."""
    settings, topic = stack.settings, f"{stack.prefix}.tailed"
    asyncio.run(ensure_topics(settings, [topic]))
    asyncio.run(publish(settings, topic, [orjson.dumps({"n": i}) for i in range(40)]))
    err = tmp_path / "tail.err"
    with open(err, "wb") as stderr:
        tail = subprocess.Popen([sys.executable, "-m", "streams", "tail", "--topic", topic, "--json", "--max", "2",
                                 "--timeout", "120"], cwd=REPO, env={**os.environ, **stack.env},
                                stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        deadline = time.monotonic() + 60
        while f"reading {topic} from now on" not in err.read_text() and time.monotonic() < deadline:
            assert tail.poll() is None, err.read_text()
            time.sleep(0.2)
        assert f"reading {topic} from now on" in err.read_text(), err.read_text()
        # One key for both, so they share a partition: order is only defined within one.
        asyncio.run(publish(settings, topic, [b'{"n": "new"}'], key=b"after"))
        asyncio.run(publish(settings, topic, [b'{"n": "backfill"}'], timestamp_ms=int(time.time() * 1000) - DAY_MS,
                            key=b"after"))
        out, _ = tail.communicate(timeout=120)
    finally:
        if tail.poll() is None:
            tail.kill()
    assert tail.returncode == 0, err.read_text()
    assert [orjson.loads(line)["n"] for line in out.splitlines()] == ["new", "backfill"]
