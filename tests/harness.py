"""The Kafka test harness: real brokers, real worker processes, real clients. No Kafka is mocked here.

Every test that takes ``broker`` (or ``stack``) runs once per broker engine chosen with ``--brokers``
(``tansu``, ``kafka`` or ``tansu,kafka``; ``make test`` runs both): the embedded Tansu (memory storage) and a
real Apache Kafka 4.x in KRaft mode (``streams.broker.KafkaBroker``, jars from ``make kafka``). One broker of
each engine serves the whole session; each test gets its own topic names and consumer group (``stack``), so
tests sharing a broker never see each other's messages. A test about one broker's peculiarity says so with
``@pytest.mark.brokers("kafka")`` (or ``"tansu"``) and names the peculiarity in its docstring.
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

from streams.broker import EmbeddedBroker, KafkaBroker, free_port
from streams.kafka import consume, ensure_topics, producer
from streams.settings import load_settings

REPO = Path(__file__).resolve().parents[1]


ENGINES = ("tansu", "kafka")


def selected_engines(config) -> list[str]:
    chosen = [e.strip() for e in config.getoption("brokers").split(",") if e.strip()]
    unknown = sorted(set(chosen) - set(ENGINES))
    if unknown or not chosen:
        raise pytest.UsageError(f"--brokers takes a comma-separated list of {', '.join(ENGINES)}; got {unknown}")
    return chosen


def require_engine(config, engine: str) -> None:
    """Skip a test that starts a broker of its own engine when ``--brokers`` did not choose that engine."""
    if engine not in selected_engines(config):
        pytest.skip(f"needs {engine}: --brokers {engine} (make test runs it)")


def parametrize_engines(metafunc) -> None:
    """Run a test that uses ``broker`` once per selected engine, less those its ``brokers`` marker leaves out."""
    if "broker" not in metafunc.fixturenames:
        return
    engines = selected_engines(metafunc.config)
    marker = metafunc.definition.get_closest_marker("brokers")
    if marker is not None:
        engines = [e for e in engines if e in marker.args]
    if engines:
        metafunc.parametrize("broker", engines, indirect=True, scope="session")
    else:
        metafunc.parametrize("broker", [pytest.param("none", marks=pytest.mark.skip(
            reason=f"needs the {' or '.join(marker.args)} broker, not selected with --brokers"))],
            indirect=True, scope="session")


def start_engine(engine: str, folder: Path):
    if engine == "kafka":
        return KafkaBroker(data_dir=folder / "data", log_path=folder / "broker.log").start()
    return EmbeddedBroker(port=free_port(), log_path=folder / "broker.log").start()


@pytest.fixture(scope="session")
def broker(request, tmp_path_factory):
    """The address of the session's broker of one engine (the test's parameter: ``tansu`` or ``kafka``)."""
    b = start_engine(request.param, tmp_path_factory.mktemp(f"broker-{request.param}"))
    yield b.address
    b.stop()


@pytest.fixture
def broker_engine(request, broker) -> str:
    """Which engine ``broker`` is, for the few asserts that differ between them."""
    return request.node.callspec.params["broker"]


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
