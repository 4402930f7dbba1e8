"""The live view's HTTP side without Kafka: the page and its headers, the geometry, the event stream, /metrics."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import orjson
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from streams.settings import load_settings
from streams.ui.scrape import WorkerRates, worker_counters
from streams.ui.server import STATIC, LiveHub, create_app

from .test_view import enriched


def msg(record, offset=0):
    value = record if isinstance(record, bytes) else orjson.dumps(record)
    return SimpleNamespace(value=value, partition=0, offset=offset, timestamp=None)


async def read_event(stream) -> tuple[str, dict]:
    """The next ``event:``/``data:`` pair of a server-sent event stream (comments and retry lines skipped)."""
    event = None
    while True:
        line = (await asyncio.wait_for(stream.readline(), 5)).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: "):
            return event, orjson.loads(line[len("data: "):])


async def client_for(hub: LiveHub) -> TestClient:
    client = TestClient(TestServer(create_app(hub)))
    await client.start_server()
    return client


async def test_page_is_served_with_a_policy_that_forbids_inline_script():
    client = await client_for(LiveHub(load_settings(env={})))
    try:
        resp = await client.get("/")
        body = await resp.text()
        assert resp.status == 200 and "<script src=\"/static/app.js\"" in body
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        js = await (await client.get("/static/app.js")).text()
        # the page writes record data with textContent/setAttribute only
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in js
    finally:
        await client.close()


def test_world_geometry_is_bundled_and_names_its_source():
    world = orjson.loads((STATIC / "world.json").read_bytes())
    assert "Natural Earth" in world["source"] and "ISC" in world["licence"]
    syria = next(c for c in world["countries"] if c["iso"] == "SY")
    assert syria["name"] == "Syria" and syria["d"].startswith("M")
    assert len(world["countries"]) > 150 and (STATIC / "world.json").stat().st_size < 200_000


async def test_events_start_with_a_snapshot_then_push_each_record():
    hub = LiveHub(load_settings(env={}))
    hub.add_messages("article", [msg(enriched(id="before"))])
    client = await client_for(hub)
    try:
        resp = await client.get("/events")
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        event, snap = await read_event(resp.content)
        assert event == "snapshot" and [c["id"] for c in snap["cards"]] == ["before"]
        assert snap["stats"]["topic_names"]["enriched"] == "articles.enriched"
        hub.add_messages("article", [msg(b"broken"), msg(enriched(id="after", text="<script>x()</script>"))])
        event, card = await read_event(resp.content)
        assert (event, card["id"], card["text"]) == ("article", "after", "<script>x()</script>")
        hub.add_messages("dead_letter", [msg({"stage": "parse", "reason": "empty", "payload": ""})])
        event, card = await read_event(resp.content)
        assert (event, card["reason"]) == ("dead_letter", "empty")
        state = await (await client.get("/api/state")).json()
        assert state["stats"]["skipped"] == {"article:invalid_json": 1}
        assert [c["id"] for c in state["cards"]] == ["after", "before"]
    finally:
        await client.close()


async def test_a_page_that_cannot_keep_up_is_dropped_not_buffered_forever():
    hub = LiveHub(load_settings(env={}))
    client = hub.subscribe()
    for i in range(client.queue.maxsize + 10):
        hub.broadcast(b"data: x\n\n")
    assert client.dropped and client not in hub.clients and client.queue.qsize() == client.queue.maxsize


def test_worker_counters_read_a_real_prometheus_exposition():
    registry = CollectorRegistry()
    articles = Counter("newsstreams_articles", "", ["stage", "outcome"], registry=registry)
    dead = Counter("newsstreams_dead_letters", "", ["stage", "reason"], registry=registry)
    cats = Counter("newsstreams_category", "", ["category"], registry=registry)
    rate = Gauge("newsstreams_throughput_articles_per_second", "", ["stage"], registry=registry)
    articles.labels("parse", "ok").inc(5)
    articles.labels("parse", "dead_letter").inc(2)
    articles.labels("enrich", "ok").inc(3)
    articles.labels("enrich", "duplicate").inc(2)
    articles.labels("classify", "ok").inc(5)
    dead.labels("parse", "empty").inc(2)
    cats.labels("conflict").inc(4)
    cats.labels("sport").inc(0)
    rate.labels("classify").set(0.5)
    counters = worker_counters(generate_latest(registry).decode())
    assert counters["enriched_sent"] == 5 and counters["dead_letters_sent"] == 2
    assert counters["dead_letters"] == [["parse", "empty", 2.0]]
    assert counters["categories"] == {"conflict": 4.0}
    assert counters["throughput"] == {"classify": 0.5}
    assert counters["articles"]["enrich"] == {"ok": 3.0, "duplicate": 2.0}


def test_worker_rates_are_counter_deltas_over_time_and_survive_a_restart():
    now = [0.0]
    rates = WorkerRates(window=60, clock=lambda: now[0])

    def scrape(n):
        return {"articles": {"parse": {"ok": n}, "enrich": {"ok": n}, "classify": {"ok": n}, "route": {"ok": n}}}

    assert rates.add(scrape(0))["parse"] == 0.0
    now[0] = 10
    assert rates.add(scrape(20))["classify"] == 2.0
    now[0] = 20
    assert rates.add(scrape(5))["classify"] == 0.0      # counters went back: a new worker, start again
    now[0] = 30
    assert rates.add(scrape(15))["route"] == 1.0
