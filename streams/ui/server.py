"""The live view's server: its own Kafka consumer of ``articles.enriched`` and ``articles.dlq``, one page, and
server-sent events (``/events``) that push each new card and, every two seconds, the counters.

The consumer joins no consumer group (``group_id=None`` + ``assign``): it never takes partitions from the
workers and commits nothing. On start it reads back the last ``backfill`` records of each partition, so the page
is not empty when the stream is quiet.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from importlib import resources
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

from streams.settings import Settings
from streams.ui.scrape import WorkerRates, worker_counters
from streams.ui.view import MAX_RECORD_BYTES, LiveWindow, ingest, sse_frame

log = logging.getLogger(__name__)
STATS_EVERY = 2.0            # seconds between two "stats" events (and two /metrics scrapes)
CLIENT_QUEUE = 2000          # frames buffered per page; a page that falls further behind is disconnected
KEEPALIVE = 15.0
STATIC = Path(str(resources.files("streams.ui").joinpath("static")))
SECURITY_HEADERS = {
    # nothing but our own files, no inline script: a record can never become code (defence in depth:
    # the page writes every field with textContent anyway)
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _Client:
    def __init__(self):
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(CLIENT_QUEUE)
        self.dropped = False


class LiveHub:
    """The window of recent records and the pages connected to it."""

    def __init__(self, settings: Settings, window: LiveWindow | None = None, metrics_url: str | None = None):
        self.settings = settings
        self.window = window or LiveWindow()
        self.metrics_url = metrics_url
        self.clients: set[_Client] = set()
        self.consumer_state = "starting"
        self.topics: dict[str, dict] = {}         # name -> {"records": n, "partitions": p} from Kafka offsets
        self.worker: dict | None = None
        self.worker_rates = WorkerRates()

    # --- records in ---
    def add_messages(self, kind: str, messages) -> None:
        for card in ingest(self.window, kind, messages):
            self.broadcast(sse_frame(kind, card))

    # --- pages out ---
    def subscribe(self) -> _Client:
        client = _Client()
        self.clients.add(client)
        return client

    def unsubscribe(self, client: _Client) -> None:
        self.clients.discard(client)

    def broadcast(self, frame: bytes | None) -> None:
        for client in list(self.clients):
            try:
                client.queue.put_nowait(frame)
            except asyncio.QueueFull:       # a page that cannot keep up reconnects and gets a fresh snapshot
                client.dropped = True
                self.clients.discard(client)

    def close_all(self) -> None:
        for client in list(self.clients):
            client.dropped = True
            with contextlib.suppress(asyncio.QueueFull):
                client.queue.put_nowait(None)
        self.clients.clear()

    def stats(self) -> dict:
        s = self.window.stats()
        s.update(consumer=self.consumer_state, broker=self.settings.bootstrap_servers, topics=self.topics,
                 worker=self.worker, now=time.time(),
                 topic_names={"enriched": self.settings.topics.enriched, "dlq": self.settings.topics.dlq})
        return s

    def snapshot(self) -> dict:
        snap = self.window.snapshot()
        snap["stats"] = self.stats()
        return snap


HUB = web.AppKey("hub", LiveHub)


# --- Kafka -----------------------------------------------------------------------------------------

async def follow_topics(hub: LiveHub, backfill: int = 200, max_bytes: int = MAX_RECORD_BYTES) -> None:
    """Feed ``hub`` from the enriched and dead-letter topics until cancelled; reconnect after broker errors."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from streams.kafka import (
        MAX_REQUEST_BYTES,
        client_options,
        ensure_topics,
        wait_for_broker,
    )

    settings = hub.settings
    kinds = {settings.topics.enriched: "article", settings.topics.dlq: "dead_letter"}
    delay = 1.0
    while True:
        consumer = None
        try:
            hub.consumer_state = "waiting for the broker"
            await wait_for_broker(settings)
            await ensure_topics(settings, list(kinds))
            consumer = AIOKafkaConsumer(**client_options(settings), group_id=None, enable_auto_commit=False,
                                        fetch_max_bytes=MAX_REQUEST_BYTES, max_partition_fetch_bytes=MAX_REQUEST_BYTES)
            await consumer.start()
            tps = []
            for topic in kinds:
                partitions = consumer.partitions_for_topic(topic)
                while not partitions:
                    await consumer._client.force_metadata_update()
                    await asyncio.sleep(0.2)
                    partitions = consumer.partitions_for_topic(topic)
                tps += [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            begins, ends = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
            for tp in tps:
                consumer.seek(tp, max(begins[tp], ends[tp] - backfill))
            hub.consumer_state = "live"
            delay = 1.0
            last_offsets = 0.0
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                for tp, messages in batches.items():
                    hub.add_messages(kinds[tp.topic], messages)
                if time.monotonic() - last_offsets >= STATS_EVERY:
                    last_offsets = time.monotonic()
                    begins, ends = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
                    hub.topics = {topic: {"records": sum(ends[tp] - begins[tp] for tp in tps if tp.topic == topic),
                                          "partitions": sum(1 for tp in tps if tp.topic == topic)}
                                  for topic in kinds}
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001  broker gone, topic deleted ...: say so on the page and start again
            hub.consumer_state = f"reconnecting ({type(e).__name__})"
            log.warning("live view consumer: %s: %s; retrying in %.0f s", type(e).__name__, e, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)
        finally:
            if consumer is not None:
                with contextlib.suppress(Exception):
                    await consumer.stop()


async def publish_stats(hub: LiveHub) -> None:
    """Every STATS_EVERY seconds: scrape the worker's /metrics (if given) and push the counters to the pages."""
    async with ClientSession(timeout=ClientTimeout(total=STATS_EVERY)) as session:
        while True:
            if hub.metrics_url:
                try:
                    async with session.get(hub.metrics_url) as resp:
                        resp.raise_for_status()
                        counters = worker_counters(await resp.text())
                    counters["rates"] = hub.worker_rates.add(counters)
                    hub.worker = dict(counters, url=hub.metrics_url, up=True)
                except Exception as e:  # noqa: BLE001  the worker may be starting or gone: show it, keep going
                    hub.worker = {"url": hub.metrics_url, "up": False, "error": f"{type(e).__name__}: {e}"[:200]}
            hub.broadcast(sse_frame("stats", hub.stats()))
            await asyncio.sleep(STATS_EVERY)


# --- HTTP ------------------------------------------------------------------------------------------

@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    return response


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def state(request: web.Request) -> web.Response:
    return web.json_response(request.app[HUB].snapshot(), dumps=_dumps)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"consumer": request.app[HUB].consumer_state})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: a ``snapshot`` first, then ``article``, ``dead_letter`` and ``stats`` events."""
    hub: LiveHub = request.app[HUB]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    client = hub.subscribe()
    try:
        await response.write(b"retry: 2000\n\n" + sse_frame("snapshot", hub.snapshot()))
        while not client.dropped or not client.queue.empty():
            try:
                frame = await asyncio.wait_for(client.queue.get(), KEEPALIVE)
            except TimeoutError:
                frame = b": keepalive\n\n"
            if frame is None:
                break
            await response.write(frame)
    except (ConnectionResetError, ConnectionError):
        pass            # the page went away
    finally:
        hub.unsubscribe(client)
    return response


def _dumps(obj) -> str:
    import orjson

    return orjson.dumps(obj).decode()


def create_app(hub: LiveHub) -> web.Application:
    """The aiohttp application for ``hub`` (no background tasks: :func:`serve_ui` starts those)."""
    app = web.Application(middlewares=[security_headers])
    app[HUB] = hub
    app.router.add_get("/", index)
    app.router.add_get("/events", events)
    app.router.add_get("/api/state", state)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", STATIC)

    async def on_shutdown(app):
        app[HUB].close_all()

    app.on_shutdown.append(on_shutdown)
    return app


async def serve_ui(settings: Settings, port: int, bind: str, metrics_url: str | None = None, *,
                   backfill: int = 200, max_cards: int = 200) -> None:
    """Serve the live view on ``bind:port`` until cancelled (the consumer and the page stop with it)."""
    hub = LiveHub(settings, LiveWindow(max_cards=max_cards), metrics_url)
    runner = web.AppRunner(create_app(hub), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    tasks: list[asyncio.Task] = []
    try:
        await web.TCPSite(runner, bind, port).start()
        shown = "127.0.0.1" if bind in ("0.0.0.0", "", "::") else bind
        log.info("live view on http://%s:%d/ (reading %s and %s on %s)", shown, port, settings.topics.enriched,
                 settings.topics.dlq, settings.bootstrap_servers)
        tasks = [asyncio.create_task(follow_topics(hub, backfill)), asyncio.create_task(publish_stats(hub))]
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        hub.close_all()
        await runner.cleanup()


def run_ui(settings: Settings, port: int, bind: str, metrics_url: str | None = None) -> int:
    """Serve the live view in the foreground until Ctrl-C or SIGTERM; returns the exit code."""
    shown = "127.0.0.1" if bind in ("0.0.0.0", "", "::") else bind
    print(f"live view on http://{shown}:{port}/ ; Ctrl-C stops it", flush=True)

    async def main() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve_ui(settings, port, bind, metrics_url)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except OSError as e:            # the port is taken, the address is wrong
        print(f"newsstreams ui: {e}", flush=True)
        return 1
    return 0
