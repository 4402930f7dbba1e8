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
from streams.pool import StagePool
from streams.settings import Settings

log = logging.getLogger(__name__)
LOOP_LAG_INTERVAL = 0.5
LAG_INTERVAL = 5.0


HEAD_GAP_SECONDS = 30.0     # a partition's oldest unacked offset missing for this long is read again


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

    @app.timer(interval=HEAD_GAP_SECONDS / 2)
    async def reread_skipped():
        if not app.rebalancing:
            await reread_skipped_offsets(app.consumer)

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


def guard_offset_commits() -> None:
    """Never let Faust commit past an offset that no agent acknowledged.

    Found on Apache Kafka (tests/integration/test_reliability.py, two workers, one stopping): after a rebalance,
    records fetched in the old generation, or while the app's flow was still suspended, are skipped by the stream
    without being processed or acked, and are not fetched again. faust-streaming 0.15.3's
    ``Consumer._new_offset`` only checks for a hole at the head of the acked offsets when the partition's
    committed offset is known and non-zero, and then lets a hole of one through; after a rebalance (the committed
    offset is forgotten) or on a partition never committed, it committed over the skipped records: 3 to 12
    articles lost in 3 of 7 runs. Here:

    - the head check always runs: against the committed offset, else the partition's first offset (read from
      the broker when the partition is assigned, as ``auto_offset_reset=earliest`` starts there), and a hole of
      one counts;
    - ``reread_skipped_offsets`` (an app timer) seeks a partition whose head stayed missing for
      ``HEAD_GAP_SECONDS`` back to it, so the skipped records are fetched and processed again (the ones after
      them may be processed twice: at-least-once, as after a crash).
    """
    from faust.transport import consumer as base

    cls = base.Consumer
    if getattr(cls._new_offset, "__newsstreams__", False):
        return
    original_new_offset, original_seek = cls._new_offset, cls.perform_seek

    def new_offset(self, tp):
        """The head check, then Faust's own (gap filling, the run of consecutive acked offsets, its +1)."""
        acked = self._acked[tp]
        if acked:
            head = self._committed_offset[tp]
            if head is None:
                head = _first_offsets(self).get(tp)
            # a head offset the broker never returned (transaction marker, compaction) is a gap Faust fills itself
            if head is None or (min(acked) > head and not self._gap[tp].overlaps(head)):
                if tp not in _head_gaps(self):
                    _head_gaps(self)[tp] = time.monotonic()
                    log.info("%s[%d]: holding offset commits at %s: offsets from %d on are acknowledged, not before",
                             tp.topic, tp.partition, head, min(acked))
                return None
            _head_gaps(self).pop(tp, None)
        return original_new_offset(self, tp)

    async def perform_seek(self):
        await original_seek(self)
        first = _first_offsets(self)
        first.clear()
        _head_gaps(self).clear()
        unknown = [tp for tp in self.assignment() if self._committed_offset[tp] is None]
        if unknown:
            first.update(await self.earliest_offsets(*unknown))

    new_offset.__newsstreams__ = True
    cls._new_offset = new_offset
    cls.perform_seek = perform_seek


def _first_offsets(consumer) -> dict:
    if not hasattr(consumer, "_newsstreams_first_offsets"):
        consumer._newsstreams_first_offsets = {}
    return consumer._newsstreams_first_offsets


def _head_gaps(consumer) -> dict:
    if not hasattr(consumer, "_newsstreams_head_gaps"):
        consumer._newsstreams_head_gaps = {}
    return consumer._newsstreams_head_gaps


async def reread_skipped_offsets(consumer, now: float | None = None) -> list:
    """Seek each assigned partition whose oldest unacked offset has been missing for ``HEAD_GAP_SECONDS`` back to
    it (see ``guard_offset_commits``). Returns the (partition, offset) pairs it sought."""
    now = time.monotonic() if now is None else now
    sought = []
    assignment = consumer.assignment()
    for tp, since in list(_head_gaps(consumer).items()):
        if tp not in assignment:
            _head_gaps(consumer).pop(tp, None)
            continue
        if now - since < HEAD_GAP_SECONDS:
            continue
        offset = consumer._committed_offset[tp]
        if offset is None:
            offset = _first_offsets(consumer).get(tp)
        if offset is None:
            continue
        log.warning("%s[%d]: offsets from %d were fetched but never reached the agent (a rebalance race in Faust); "
                    "reading them again", tp.topic, tp.partition, offset)
        _head_gaps(consumer).pop(tp, None)
        await consumer.seek(tp, offset)
        sought.append((tp, offset))
    return sought


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
