"""The Faust app: its topics, its table and its agents; the whole wiring on one page.

    articles.raw --parse--> articles.parsed --enrich+classify--> articles.enriched --route--> articles.category.<slug>
                       \\                                  \\
                        +--> articles.dlq                  +--> articles.dlq

Agents are thin: take a batch of events, hand it to the StageRunner (streams.agents), loop. Each agent has
concurrency 1 (more can commit past in-flight messages, faust-streaming #606); parallelism comes from the
process pool inside a batch and from more workers (Kafka splits the partitions).
"""
from __future__ import annotations

import asyncio
import logging
import time

import faust

from streams import metrics
from streams.agents import StageRunner
from streams.kafka import MAX_REQUEST_BYTES, faust_credentials
from streams.offsets import HEAD_GAP_SECONDS, broker_probe, guard_offset_commits, reread_skipped_offsets
from streams.pool import StagePool
from streams.settings import Settings

log = logging.getLogger(__name__)
LOOP_LAG_INTERVAL = 0.5
LAG_INTERVAL = 5.0
MAX_POLL_RECORDS_PER_BATCH = 2      # records per consumer poll, in batches of the pipeline



def faust_app(app_id: str, settings: Settings, **extra) -> faust.App:
    """A Faust app with the worker's settings, its consumers' fetch wait bounded (also the bench's (b')) and its
    offset commits guarded (``guard_offset_commits``)."""
    bound_fetch_wait(settings.kafka.fetch_max_wait_ms)
    guard_offset_commits()
    p = settings.pipeline
    return faust.App(
        app_id,
        broker=",".join(f"kafka://{h}" for h in settings.bootstrap_servers.split(",")),
        broker_credentials=faust_credentials(settings),
        key_serializer="raw", value_serializer="raw",     # orjson in the pipeline, not Faust's codecs
        web_enabled=False,                                 # /metrics is served by prometheus-client
        topic_partitions=settings.topics.partitions,
        topic_replication_factor=settings.topics.replication_factor,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        producer_max_request_size=MAX_REQUEST_BYTES,
        consumer_max_fetch_size=MAX_REQUEST_BYTES,
        producer_acks=-1,
        producer_linger=0.005,
        stream_buffer_maxsize=max(4 * p.batch_size, 256),
        # records fetched before a rebalance are still handed over after it, and fetched again from the committed
        # offset (streams/offsets.py: no record is dropped for its offset); a small poll bounds those repeats
        broker_max_poll_records=MAX_POLL_RECORDS_PER_BATCH * p.batch_size,
        worker_redirect_stdouts=False,
        broker_session_timeout=settings.kafka.session_timeout,
        broker_heartbeat_interval=settings.kafka.heartbeat_interval,
        broker_rebalance_timeout=settings.kafka.rebalance_timeout,
        # Faust's check kills the worker when a changelog's committed offset is above the broker's highwater: it
        # happens with the in-memory global table after a rebalance or a broker restart (faust-streaming #158,
        # #283; seen in tests/integration/test_reliability.py). The table is rebuilt from its changelog anyway.
        recovery_consistency_check=False,
        **extra,
    )


def fit_producer_buffer(app: faust.App, batch_size: int) -> None:
    """An article writes at most two records to the index's changelog (its entry, the tombstone of the entry it
    evicts); Faust's producer buffer (100 messages) must hold a batch's, or the stream waits."""
    app.producer.buffer.max_messages = max(100, batch_size * 4)


def create_app(settings: Settings, pool: StagePool) -> faust.App:
    p = settings.pipeline
    app = faust_app(settings.app_id, settings)
    t = settings.topics
    raw = app.topic(t.raw, partitions=t.partitions)
    parsed = app.topic(t.parsed, partitions=t.partitions)
    enriched = app.topic(t.enriched, partitions=t.partitions)

    async def on_dedupe_record(event) -> None:
        """Every record of the index's changelog (ours come back too) is shown to the index, which keeps its band
        lookups in memory beside the table."""
        try:
            get_runner().dedupe.observe(event.key, None if event.message.value is None else event.value)
        except Exception:   # noqa: BLE001 - raised here, it would stop Faust's recovery service and the worker
            log.exception("near-duplicate index: changelog record %r not indexed", event.key)

    # The near-duplicate index's entries, shared by every worker: a global table reads all of its changelog.
    # One partition and recovery_buffer_size=1 as Faust's GlobalTable docstring advises for several workers;
    # use_partitioner: writes need no current event (we write from a batch) and no co-partitioning.
    dedupe_table = app.GlobalTable(f"{settings.app_id}-dedupe", default=None, partitions=1, recovery_buffer_size=1,
                                   use_partitioner=True, on_changelog_event=on_dedupe_record,
                                   schema=faust.Schema(key_serializer="json", value_serializer="json"))

    runner: StageRunner | None = None

    def get_runner() -> StageRunner:
        nonlocal runner
        if runner is None:
            runner = StageRunner(settings, pool, app.producer, dedupe_table)
            fit_producer_buffer(app, p.batch_size)
        return runner

    @app.agent(raw, name="parse", concurrency=1)
    async def parse_agent(stream):
        async for events in stream.take_events(p.batch_size, within=p.batch_timeout):
            await get_runner().parse_events(events)

    @app.agent(parsed, name="enrich", concurrency=1)
    async def enrich_agent(stream):
        async for events in stream.take_events(p.batch_size, within=p.batch_timeout):
            await get_runner().enrich_events(events)

    @app.agent(enriched, name="route", concurrency=1)
    async def route_agent(stream):
        async for events in stream.take_events(max(p.batch_size, 64), within=p.batch_timeout):
            await get_runner().route_events(events)

    @app.timer(interval=1.0)
    async def publish_rates():
        get_runner().rates.publish()

    probe = broker_probe(settings)

    @app.timer(interval=HEAD_GAP_SECONDS / 2)
    async def reread_skipped():
        if not app.rebalancing:
            await reread_skipped_offsets(app.consumer, probe)

    @app.timer(interval=LAG_INTERVAL)
    async def measure_consumer_lag():
        consumer = app.consumer
        for tp in consumer.assignment():
            try:
                position = await consumer.position(tp)
                highwater = consumer.highwater(tp)
            except Exception:   # partition being revoked; next round
                continue
            if position is not None and highwater is not None:
                metrics.CONSUMER_LAG.labels(topic=tp.topic, partition=str(tp.partition)).set(
                    max(0, highwater - position))

    @app.task
    async def measure_event_loop_lag():
        while True:
            expected = time.perf_counter() + LOOP_LAG_INTERVAL
            await asyncio.sleep(LOOP_LAG_INTERVAL)
            metrics.EVENT_LOOP_LAG.set(max(0.0, time.perf_counter() - expected))

    return app


def bound_fetch_wait(wait_ms: int) -> None:
    """Make Faust's consumers wait at most ``wait_ms`` for data per fetch.

    faust-streaming 0.15 hard-codes ``fetch_max_wait_ms=1500`` when it builds its aiokafka consumer. Apache
    Kafka answers a fetch as soon as data is there, but the embedded broker (Tansu 0.6) holds every fetch for the
    full wait, which added ~1.5 s to each of the three hops (measured by ``newsstreams bench``). aiokafka reads
    the value when the consumer starts, so it is set on the consumer right after Faust creates it.
    """
    from faust.transport.drivers import aiokafka as driver

    thread = driver.AIOKafkaConsumerThread
    original = getattr(thread._create_worker_consumer, "__wrapped__", thread._create_worker_consumer)

    def create_worker_consumer(self, transport):
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = wait_ms
        return consumer

    create_worker_consumer.__wrapped__ = original
    thread._create_worker_consumer = create_worker_consumer
