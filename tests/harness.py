"""The Kafka test harness: one embedded broker (Tansu) per test session, real worker processes, real clients.

Each test gets its own topic names and consumer group (``stack``), so tests sharing the broker never see
each other's messages. No Kafka is mocked here.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from streams.broker import EmbeddedBroker, free_port
from streams.kafka import consume, ensure_topics, producer
from streams.settings import load_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    log = tmp_path_factory.mktemp("broker") / "broker.log"
    b = EmbeddedBroker(port=free_port(), log_path=log).start()
    yield b.address
    b.stop()


@dataclass
class Worker:
    process: subprocess.Popen
    metrics_port: int
    log: Path

    def metrics(self) -> str:
        return urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()

    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@dataclass
class Stack:
    """A test's own topics and consumer group on the shared broker, and the workers it started."""
    broker: str
    tmp: Path
    prefix: str = field(default_factory=lambda: "t" + uuid.uuid4().hex[:8])
    workers: list[Worker] = field(default_factory=list)
    mode: str = "accurate"

    @property
    def env(self) -> dict[str, str]:
        return {
            "NEWSSTREAMS_BROKER": self.broker, "NEWSSTREAMS_APP_ID": f"{self.prefix}-app",
            "NEWSSTREAMS_TOPICS_RAW": f"{self.prefix}.raw", "NEWSSTREAMS_TOPICS_PARSED": f"{self.prefix}.parsed",
            "NEWSSTREAMS_TOPICS_ENRICHED": f"{self.prefix}.enriched", "NEWSSTREAMS_TOPICS_DLQ": f"{self.prefix}.dlq",
            "NEWSSTREAMS_TOPICS_CATEGORY_PREFIX": f"{self.prefix}.category.",
            "NEWSSTREAMS_PIPELINE_MODE": self.mode, "NEWSSTREAMS_PIPELINE_PROCESSES": "2",
        }

    @property
    def settings(self):
        return load_settings(env=self.env)

    def start_worker(self, extra_env: dict | None = None, wait: bool = True) -> Worker:
        port = free_port()
        log = self.tmp / f"worker-{len(self.workers)}.log"
        env = dict(os.environ, **self.env, **(extra_env or {}))
        proc = subprocess.Popen([sys.executable, "-m", "streams", "worker", "--metrics-port", str(port)],
                                cwd=REPO, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        worker = Worker(proc, port, log)
        self.workers.append(worker)
        if wait:
            wait_for_metrics(worker)
        return worker

    def publish(self, messages: list[tuple[bytes | None, bytes]], topic: str | None = None) -> None:
        asyncio.run(_publish(self.settings, topic or self.settings.topics.raw, messages))

    def read(self, topic: str, n: int, timeout: float = 180) -> list:
        """The first ``n`` messages of ``topic`` (fewer if ``timeout`` passes first, or every worker died)."""
        return asyncio.run(_read(self.settings, topic, n, timeout, self.workers))


def wait_for_metrics(worker: Worker, timeout: float = 120) -> None:
    """Until the worker serves /metrics and Faust says it is ready; fail at once if it dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise AssertionError(f"worker exited with {worker.process.returncode}:\n{worker.log.read_text()[-3000:]}")
        try:
            if "newsstreams_articles_total" in worker.metrics() and "Worker ready" in worker.log.read_text(errors="replace"):
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"worker not ready in time:\n{worker.log.read_text(errors='replace')[-3000:]}")


def metrics_when(worker: Worker, settled, timeout: float = 30) -> str:
    """The worker's /metrics text once ``settled(text)`` holds, else the last one read after ``timeout`` (for the
    caller's asserts to show what was missing). Counters move after the broker acknowledged the outputs, a moment
    after a reader can see them, and the route agent counts a step later still: poll, never sleep-and-hope."""
    deadline = time.monotonic() + timeout
    while True:
        text = worker.metrics()
        if settled(text) or time.monotonic() >= deadline:
            return text
        time.sleep(0.3)


async def _publish(settings, topic, messages):
    await ensure_topics(settings)
    prod = producer(settings)
    await prod.start()
    try:
        futures = [await prod.send(topic, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await prod.stop()


async def _read(settings, topic, n, timeout, workers=()):
    await ensure_topics(settings, [topic])
    out = []

    async def collect():
        async for msg in consume(settings, topic, from_beginning=True):
            out.append(msg)
            if len(out) >= n:
                return

    async def watch():
        while not workers or any(w.process.poll() is None for w in workers):
            await asyncio.sleep(0.5)

    task, watcher = asyncio.ensure_future(collect()), asyncio.ensure_future(watch())
    await asyncio.wait([task, watcher], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for t in (task, watcher):
        t.cancel()
    if workers and all(w.process.poll() is not None for w in workers):
        raise AssertionError("every worker died:\n" + workers[-1].log.read_text(errors="replace")[-3000:])
    return out


@pytest.fixture
def stack(broker, tmp_path):
    s = Stack(broker, tmp_path)
    yield s
    for w in s.workers:
        w.stop()
