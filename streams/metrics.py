"""Every metric of newsstreams, defined once (Prometheus conventions: base units, ``_total``, ``_seconds``).

Labels take values from closed sets only (stages, outcomes, reasons, category slugs, topic-partitions),
never from article data. Counts made in pool processes are returned to the parent, which records them here.
"""
from __future__ import annotations

import time
from collections import deque

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from streams import __version__
from streams.errors import REASONS
from streams.settings import CATEGORY_SLUGS

STAGES = ("parse", "enrich", "classify", "route")
OUTCOMES = ("ok", "error", "duplicate", "dead_letter")
RATE_WINDOW_SECONDS = 60

ARTICLES = Counter("newsstreams_articles", "Articles processed, by stage and outcome.", ["stage", "outcome"])
DEAD_LETTERS = Counter("newsstreams_dead_letters", "Messages sent to the dead-letter topic, by stage and reason.",
                       ["stage", "reason"])
CATEGORIES = Counter("newsstreams_category", "Enriched articles routed, by primary category.", ["category"])
RETRIES = Counter("newsstreams_retries", "Articles retried after an unexpected error or a pool crash.", ["stage"])
POOL_RESTARTS = Counter("newsstreams_pool_restarts", "Process pools replaced after a worker process died.")
STAGE_DURATION = Histogram(
    "newsstreams_stage_duration_seconds", "Processing time of one article in a stage.", ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
END_TO_END = Histogram(
    "newsstreams_end_to_end_latency_seconds",
    "Time from the raw message's Kafka timestamp to its enriched record being acknowledged by the broker.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0))
BATCH_SIZE = Histogram("newsstreams_batch_size", "Messages per batch handed to the process pool.", ["stage"],
                       buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
THROUGHPUT = Gauge("newsstreams_throughput_articles_per_second",
                   f"Articles per second through each stage, moving average over the last {RATE_WINDOW_SECONDS} s.",
                   ["stage"])
CONSUMER_LAG = Gauge("newsstreams_consumer_lag",
                     "Messages not yet consumed by this worker, per assigned topic-partition (high watermark - position).",
                     ["topic", "partition"])
EVENT_LOOP_LAG = Gauge("newsstreams_event_loop_lag_seconds",
                       "How late the event loop ran a timer: above a few tens of ms, something blocks it.")
BUILD_INFO = Gauge("newsstreams_build_info", "Version of the running newsstreams (value is always 1).", ["version"])


def init_labels() -> None:
    """Expose every known series from the start (at zero), so rates and alerts see them before the first event."""
    BUILD_INFO.labels(version=__version__).set(1)
    for stage in STAGES:
        THROUGHPUT.labels(stage=stage).set(0)
        STAGE_DURATION.labels(stage=stage)
        for outcome in OUTCOMES:
            ARTICLES.labels(stage=stage, outcome=outcome)
    for stage in ("parse", "enrich"):
        for reason in REASONS:
            DEAD_LETTERS.labels(stage=stage, reason=reason)
    for slug in CATEGORY_SLUGS:
        CATEGORIES.labels(category=slug)


def serve_metrics(port: int, bind: str):
    """Serve /metrics from a thread (it keeps answering even if the event loop is busy); None when port is 0."""
    init_labels()
    if not port:
        return None
    server, _thread = start_http_server(port, addr=bind)
    return server


class RateTracker:
    """Moving rate of events per stage over the last ``window`` seconds, in one-second buckets."""

    def __init__(self, window: int = RATE_WINDOW_SECONDS, clock=time.monotonic):
        self.window = window
        self.clock = clock
        self.started = clock()
        self.buckets: dict[str, deque] = {}

    def add(self, stage: str, n: int = 1) -> None:
        second = int(self.clock())
        q = self.buckets.setdefault(stage, deque())
        if q and q[-1][0] == second:
            q[-1][1] += n
        else:
            q.append([second, n])

    def rate(self, stage: str) -> float:
        now = self.clock()
        q = self.buckets.get(stage, deque())
        while q and q[0][0] <= now - self.window:
            q.popleft()
        span = min(self.window, max(1.0, now - self.started))
        return sum(n for _, n in q) / span

    def publish(self) -> None:
        for stage in STAGES:
            THROUGHPUT.labels(stage=stage).set(self.rate(stage))


def count_ok(stage: str, seconds: float | None = None, *, duplicate: bool = False,
             rates: RateTracker | None = None) -> None:
    """One article passed ``stage`` (taking ``seconds``); a near-duplicate is counted as such, not as ok."""
    ARTICLES.labels(stage=stage, outcome="duplicate" if duplicate else "ok").inc()
    if seconds is not None:
        STAGE_DURATION.labels(stage=stage).observe(seconds)
    if rates is not None:
        rates.add(stage)


def count_dead_letter(stage: str, reason: str) -> None:
    """One message of ``stage`` went to the dead-letter topic for ``reason``."""
    ARTICLES.labels(stage=stage, outcome="dead_letter").inc()
    DEAD_LETTERS.labels(stage=stage, reason=reason).inc()


def count_error(stage: str) -> None:
    """An attempt failed unexpectedly and will be retried."""
    ARTICLES.labels(stage=stage, outcome="error").inc()
    RETRIES.labels(stage=stage).inc()
