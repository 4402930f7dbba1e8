"""The two reference systems of ``newsstreams bench``: copy every message of one topic to another, nothing else.

    python -m streams.bench.passthrough aiokafka --broker H:P --input T --output T2 --group G
    python -m streams.bench.passthrough faust    --broker H:P --input T --output T2 --group G
    python -m streams.bench.passthrough faust-batch --broker H:P --input T --output T2 --group G

``aiokafka`` is the ceiling: one consumer, one producer, batches of up to 1000 sent without awaiting each,
the batch's acknowledgements gathered before its offsets are committed (the same at-least-once contract as
the worker). ``faust`` is the plain agent a Faust tutorial would write: ``async for``, ``await topic.send``.
``faust-batch`` is the copy written as the worker's agents are (batches, sends gathered, the worker's settings).
Each runs in its own process so that its CPU and memory are measured apart from the load generator.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile

from streams.kafka import MAX_REQUEST_BYTES, client_options, producer
from streams.settings import load_settings

BATCH = 1000


async def aiokafka_passthrough(settings, source: str, target: str, group: str) -> None:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(source, **client_options(settings), group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_bytes=MAX_REQUEST_BYTES,
                                max_partition_fetch_bytes=MAX_REQUEST_BYTES,
                                fetch_max_wait_ms=int(os.environ.get("NEWSSTREAMS_BENCH_FETCH_MAX_WAIT_MS", 500)))
    prod = producer(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await prod.start()
    await consumer.start()
    print("ready", flush=True)
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=BATCH)
            futures = [await prod.send(target, m.value, key=m.key)
                       for records in batches.values() for m in records]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await prod.stop()


def faust_passthrough(settings, source: str, target: str, group: str) -> int:
    import faust

    app = faust.App(group, broker=",".join(f"kafka://{h}" for h in settings.bootstrap_servers.split(",")),
                    key_serializer="raw", value_serializer="raw", web_enabled=False,
                    topic_partitions=settings.topics.partitions, consumer_auto_offset_reset="earliest",
                    datadir=tempfile.mkdtemp(prefix="newsstreams-bench-faust-"))
    src, dst = app.topic(source), app.topic(target)

    @app.agent(src)
    async def passthrough(stream):
        async for key, value in stream.items():
            await dst.send(key=key, value=value)

    return _run_worker(app)


def faust_batch_passthrough(settings, source: str, target: str, group: str) -> int:
    """The same copy written as the worker's agents are: ``take_events`` batches, every send of a batch issued
    before any acknowledgement is awaited, the acknowledgements gathered before the next batch (which acks the
    batch's offsets), and the worker's Faust settings (streams/app.py). What Faust itself lets the worker reach."""
    from streams.app import faust_app, fit_producer_buffer

    batch, within = settings.pipeline.batch_size, settings.pipeline.batch_timeout
    app = faust_app(group, settings, datadir=tempfile.mkdtemp(prefix="newsstreams-bench-faust-"))
    src = app.topic(source)

    @app.agent(src, concurrency=1)
    async def passthrough(stream):
        fit_producer_buffer(app, batch)
        async for events in stream.take_events(batch, within=within):
            futures = [await app.producer.send(target, e.message.key, e.message.value, None, None, None)
                       for e in events]
            await asyncio.gather(*futures)

    return _run_worker(app)


def _run_worker(app) -> int:
    """Run a Faust worker for ``app`` on a loop of its own until it is stopped (SIGTERM); its exit code."""
    import faust

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    worker = faust.Worker(app, loglevel="info", loop=loop, redirect_stdouts=False, override_logging=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.bench.passthrough")
    parser.add_argument("kind", choices=("aiokafka", "faust", "faust-batch"))
    parser.add_argument("--broker", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    settings = load_settings(overrides={"broker": args.broker})
    if args.kind == "aiokafka":
        asyncio.run(aiokafka_passthrough(settings, args.input, args.output, args.group))
        return 0
    if args.kind == "faust-batch":
        return faust_batch_passthrough(settings, args.input, args.output, args.group)
    return faust_passthrough(settings, args.input, args.output, args.group)


if __name__ == "__main__":
    sys.exit(main())
