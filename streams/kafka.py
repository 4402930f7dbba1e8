"""Kafka client plumbing shared by the worker and the CLI: security settings, waiting for the broker,
creating the topics, producing and consuming raw bytes (aiokafka)."""
from __future__ import annotations

import asyncio
import logging
import ssl
import time
from typing import AsyncIterator, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (IllegalSaslStateError, KafkaConnectionError, KafkaError, SaslAuthenticationFailed,
                             TopicAlreadyExistsError, UnsupportedSaslMechanismError)

from streams.settings import Settings

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 32 * 1024 * 1024


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    k = settings.kafka
    if "SSL" not in k.security_protocol.upper():
        return None
    ctx = ssl.create_default_context(cafile=k.ssl_cafile)
    if k.ssl_certfile:
        ctx.load_cert_chain(k.ssl_certfile, k.ssl_keyfile)
    return ctx


def client_options(settings: Settings) -> dict:
    """aiokafka keyword arguments for the configured broker and its security (SASL PLAIN/SCRAM, TLS)."""
    k = settings.kafka
    opts: dict = {"bootstrap_servers": settings.bootstrap_servers, "security_protocol": k.security_protocol.upper()}
    ctx = ssl_context(settings)
    if ctx is not None:
        opts["ssl_context"] = ctx
    if k.sasl_mechanism:
        opts.update(sasl_mechanism=k.sasl_mechanism.upper(), sasl_plain_username=k.sasl_username,
                    sasl_plain_password=k.sasl_password)
    return opts


def faust_credentials(settings: Settings):
    """The same security settings as Faust ``broker_credentials`` (None for PLAINTEXT)."""
    import faust

    k = settings.kafka
    ctx = ssl_context(settings)
    if k.sasl_mechanism:
        return faust.SASLCredentials(username=k.sasl_username, password=k.sasl_password,
                                     mechanism=k.sasl_mechanism.upper(), ssl_context=ctx)
    if ctx is not None:
        return faust.SSLCredentials(ctx)
    return None


def refusal_reason(settings: Settings, error: BaseException) -> str:
    """Why a connection attempt failed, in words an operator can act on (never the password)."""
    k = settings.kafka
    if k.sasl_mechanism and isinstance(error, (SaslAuthenticationFailed, UnsupportedSaslMechanismError,
                                               IllegalSaslStateError, KeyError)):
        return f"authentication as {k.sasl_username!r} with {k.sasl_mechanism} refused: check the credentials"
    if k.security_protocol.upper() == "SSL" and not k.ssl_certfile and isinstance(error, KafkaConnectionError):
        # Apache Kafka closes the connection, without a word, to a client that brings no certificate to a
        # listener with ssl.client.auth=required: name the likely cause (aiokafka's own line gives the rest)
        return (f"{type(error).__name__}; if the broker is up and its listener requires client certificates, "
                "set kafka.ssl_certfile and kafka.ssl_keyfile")
    return type(error).__name__


async def wait_for_broker(settings: Settings, timeout: float | None = None, log_every: float = 15.0) -> None:
    """Return once the broker answers a metadata request; log (not flood) while it does not."""
    started = time.monotonic()
    next_log = started            # the first failure is logged at once, then one line every ``log_every`` s
    delay = 0.25
    while True:
        admin = AIOKafkaAdminClient(**client_options(settings), request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            if time.monotonic() - started > 1:
                log.info("broker %s is reachable", settings.bootstrap_servers)
            return
        except (KafkaError, OSError, asyncio.TimeoutError, KeyError) as e:
            # aiokafka 0.14 raises KeyError('v') when a SCRAM server ends the exchange with "e=..." (Tansu does)
            if isinstance(e, KeyError) and not settings.kafka.sasl_mechanism:
                raise
            now = time.monotonic()
            if timeout is not None and now - started > timeout:
                raise KafkaConnectionError(f"broker {settings.bootstrap_servers} unreachable for {timeout:.0f} s") from e
            if now >= next_log:
                log.warning("waiting for broker %s (%s)", settings.bootstrap_servers, refusal_reason(settings, e))
                next_log = now + log_every
        finally:
            try:
                await admin.close()
            except Exception:  # closing a client that never connected
                pass
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


RECORD_OVERHEAD_BYTES = 64 * 1024      # a record batch's header, the record's key and headers, with room to spare


def topic_configs(settings: Settings, name: str) -> dict[str, str]:
    """The per-topic settings the product creates its topics with.

    ``max.message.bytes``: Apache Kafka refuses any batch over the broker's ``message.max.bytes`` (~1 MB by
    default), below the product's own ``pipeline.max_message_bytes`` (5 MiB). ``articles.raw`` takes what the
    worker accepts, so a larger article is refused where it is published, with the producer told why; the
    output topics take what the clients may send (an enriched record is larger than its article). Tansu ignores
    it."""
    limit = settings.pipeline.max_message_bytes if name == settings.topics.raw else MAX_REQUEST_BYTES
    return {"max.message.bytes": str(limit + RECORD_OVERHEAD_BYTES)}


async def ensure_topics(settings: Settings, names: list[str] | None = None) -> list[str]:
    """Create the missing topics with the configured partitions and ``topic_configs`` (before anything produces to
    them: brokers that auto-create topics use their own default count). Returns the names created."""
    names = names or settings.topics.all_names()
    admin = AIOKafkaAdminClient(**client_options(settings), request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(n, settings.topics.partitions, settings.topics.replication_factor,
                                                    topic_configs=topic_configs(settings, n)) for n in missing])
            except TopicAlreadyExistsError:
                pass    # another worker created them first
        return missing
    finally:
        await admin.close()


def producer(settings: Settings, **overrides) -> AIOKafkaProducer:
    opts = dict(client_options(settings), max_request_size=MAX_REQUEST_BYTES, linger_ms=5, acks="all")
    opts.update(overrides)
    return AIOKafkaProducer(**opts)


async def consume(settings: Settings, topic: str, from_beginning: bool,
                  idle_timeout: float | None = None, on_ready: Callable[[], None] | None = None) -> AsyncIterator:
    """Yield the messages of every partition of ``topic`` without joining a consumer group (read-only tail).

    "From now" is the end offset of each partition when reading starts (``on_ready`` is called once every
    partition is positioned), never a timestamp: a record published later with an older timestamp (a backfill
    that sets its own) is shown. A filter on timestamps worked around Tansu 0.6 reporting end offsets short of
    the real end; checked again on Tansu 0.6 and Apache Kafka 4.4 (tests/integration/test_tail.py), neither does.
    """
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False, group_id=None,
                                fetch_max_bytes=MAX_REQUEST_BYTES, max_partition_fetch_bytes=MAX_REQUEST_BYTES,
                                fetch_max_wait_ms=settings.kafka.fetch_max_wait_ms)
    await consumer.start()
    try:
        partitions = None
        while not partitions:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
            for tp in tps:
                await consumer.position(tp)         # resolve the end offsets now, not at the first fetch
        if on_ready is not None:
            on_ready()
        last = time.monotonic()
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            got = False
            for records in batches.values():
                for msg in records:
                    got = True
                    yield msg
            if got:
                last = time.monotonic()
            elif idle_timeout is not None and time.monotonic() - last > idle_timeout:
                return
    finally:
        await consumer.stop()
