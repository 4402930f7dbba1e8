"""The live page in a real headless Chromium, against the real broker and a real worker (accurate mode).

Publishes the seed and sample articles (one carrying ``<script>`` in its text and an ``onerror`` in its title),
and checks what a person would see: the cards, Syria's places on the map, the category filter, nothing run.
Needs Debian's ``chromium`` and ``chromium-driver`` and Selenium; skipped without them only outside CI.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import sys
import threading
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from streams.ui import serve_ui

from streams.broker import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
REPO = Path(__file__).resolve().parents[2]
ARTIFACT = REPO / "test-artifacts" / "ui.png"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1600,1250")

SAMPLES = [
    {"id": "ui-script-test", "url": "https://www.reuters.com/world/ui-script-test", "source": "reuters.com",
     "title": "Parliament debates <img src=x onerror=\"window.__pwned=2\"> election law", "published_at": "2024-05-02",
     "text": "The parliament in Berlin debated the new election law on Thursday, and the opposition said the "
             "government was rushing the vote.\n\nA campaign website was found to contain "
             "<script>window.__pwned=1</script> in its comments, officials in Berlin said.\n\nChancellor Olaf "
             "Scholz said the reform would be passed before the summer, and the Bundestag will vote next week."},
    {"id": "ui-sport-test", "source": "bbc.co.uk", "title": "Arsenal beat Chelsea 3-1 to go top of the Premier League",
     "published_at": "2024-05-04",
     "text": "Arsenal beat Chelsea 3-1 at the Emirates Stadium in London on Saturday to go top of the Premier League "
             "table.\n\nBukayo Saka scored twice in the first half and Martin Odegaard added a third goal after the "
             "break, while the visitors replied late through Cole Palmer.\n\n\"We played with courage and the fans "
             "were incredible,\" said Arsenal manager Mikel Arteta after the match. The striker missed a penalty, "
             "and the goalkeeper made five saves in the second half of the football game."},
    {"id": "ui-economy-test", "source": "ft.com", "title": "Bank of Japan raises interest rates as inflation climbs",
     "published_at": "2024-03-19",
     "text": "The Bank of Japan raised interest rates for the first time in 17 years on Tuesday, ending its negative "
             "rate policy as inflation in Japan stayed above its 2 percent target.\n\nThe yen weakened against the "
             "dollar and shares in Tokyo rose 1.2 percent after the decision, as investors bet that further "
             "increases would be slow.\n\nGovernor Kazuo Ueda said the central bank would keep buying government "
             "bonds, and economists expect wages and consumer prices to keep rising this year."},
]


def browser_or_skip():
    """A headless Chromium driven by Selenium, or a skip (outside CI only) saying what is missing."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    missing = [name for name, ok in (("chromium", chromium), ("chromium-driver", driver), ("selenium", webdriver))
               if not ok]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI; missing: {', '.join(missing)}")
        pytest.skip(f"missing: {', '.join(missing)}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


class UIThread:
    """serve_ui on its own event loop in a thread, stopped by cancelling it."""

    def __init__(self, settings, metrics_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.loop = asyncio.new_event_loop()
        self.task = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(settings, metrics_url), daemon=True)

    def _run(self, settings, metrics_url):
        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(serve_ui(settings, self.port, "127.0.0.1", metrics_url))
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        except BaseException as e:  # noqa: BLE001  surfaced by start() / the test
            self.error = e

    def start(self) -> UIThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.error:
                raise self.error
            try:
                state = orjson.loads(urllib.request.urlopen(self.url + "healthz", timeout=2).read())
                if state["consumer"] == "live":
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the live view did not start")

    def state(self) -> dict:
        return orjson.loads(urllib.request.urlopen(self.url + "api/state", timeout=5).read())

    def stop(self):
        if self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(15)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_live_view_shows_the_stream_in_a_real_browser(stack, seed_bytes):
    browser = browser_or_skip()
    ARTIFACT.parent.mkdir(exist_ok=True)
    ui = None
    try:
        worker = stack.start_worker()
        ui = UIThread(stack.settings, f"http://127.0.0.1:{worker.metrics_port}/metrics").start()
        browser.get(ui.url)
        wait_for(lambda: "consumer: live" in browser.find_element("id", "status").text, 30, "the page to connect")

        # published after the page is open: the cards must arrive live, pushed by the server
        stack.publish([(b"seed", seed_bytes)] + [(s["id"].encode(), orjson.dumps(s)) for s in SAMPLES]
                      + [(b"bad", b"{not json at all")])
        # a broken and a huge record straight onto the enriched topic: skipped and counted, page unharmed
        stack.publish([(b"junk", b"\xff\xfe not json"), (b"huge", b'{"id": "huge", "text": "' + b"a" * 3_000_000 + b'"}')],
                      topic=stack.settings.topics.enriched)

        def cards():
            return {c.get_attribute("data-id"): c for c in browser.find_elements("css selector", "#feed .card")}

        wait_for(lambda: len(cards()) >= 4, 300, "four cards")
        found = cards()
        assert {"ui-script-test", "ui-sport-test", "ui-economy-test"} <= set(found)
        seed = next(c for c in found.values() if "Russian Jet" in c.text)
        assert seed.get_attribute("data-category") == "conflict"

        # Syria's places on the map
        places = wait_for(lambda: {c.get_attribute("data-name") for c in browser.find_elements("css selector", "#places circle")}
                          >= {"Syria", "Idlib"} and browser.find_elements("css selector", "#places circle"), 10, "places")
        assert {"Syria", "Idlib", "Damascus"} <= {p.get_attribute("data-name") for p in places}
        assert browser.find_elements("css selector", '#countries path.has-news[data-iso="SY"]')

        # the <script> in the text and the onerror in the title are shown as text and never run
        evil = found["ui-script-test"]
        assert "<script>window.__pwned=1</script>" in evil.find_element("css selector", ".text").get_attribute("textContent")
        assert 'onerror="window.__pwned=2"' in evil.find_element("css selector", ".title").text
        assert browser.execute_script("return typeof window.__pwned") == "undefined"
        assert not browser.find_elements("css selector", "#feed script, #feed img")

        # entities highlighted with canonical name and count on hover
        us = seed.find_element("css selector", 'mark.ent[data-canonical="United States"]')
        assert "United States" in us.get_attribute("title") and "mentions" in us.get_attribute("title")

        # the category filter hides and shows cards
        from selenium.webdriver.support.ui import Select

        category = Select(browser.find_element("id", "f-category"))
        category.select_by_value("sport")
        visible = {c.get_attribute("data-id") for c in browser.find_elements("css selector", "#feed .card:not([hidden])")}
        assert visible == {"ui-sport-test"}
        assert not found["ui-economy-test"].is_displayed() and found["ui-sport-test"].is_displayed()
        category.select_by_value("")
        assert all(c.is_displayed() for c in cards().values())

        # the counters agree with the worker's /metrics and with the topic's offsets. The worker counts a
        # category when its route agent has read the record back from articles.enriched, a step after
        # classify counted it as sent: wait for both, or the scrape can fall between them.
        def settled():
            s = ui.state()["stats"]
            worker = s["worker"] or {}
            return s if (worker.get("enriched_sent") == 4 and sum(worker.get("categories", {}).values()) == 4
                         and worker.get("dead_letters_sent") == 1 and s["rolling"]["dead_letters"] == 1) else None
        try:
            stats = wait_for(settled, 30, "the worker's counters")
        except AssertionError:
            raise AssertionError(orjson.dumps(ui.state()["stats"], option=orjson.OPT_INDENT_2).decode()) from None
        assert stats["skipped"] == {"article:invalid_json": 1, "article:too_large": 1}
        assert stats["seen"]["articles"] == stats["worker"]["enriched_sent"] == 4     # page = classify ok
        assert {c: n for c, n in stats["rolling"]["categories"]} == stats["worker"]["categories"]
        assert stats["rolling"]["articles"] == 4
        wait_for(lambda: "1 counted by the worker" in browser.find_element("id", "dlq-summary").text, 10,
                 "the dead letter on the page")

        browser.execute_script("window.scrollTo(0, 0)")
        time.sleep(0.5)
        browser.save_screenshot(str(ARTIFACT))
    finally:
        if sys.exc_info()[0] is not None:
            browser.save_screenshot(str(ARTIFACT.with_name("ui-failure.png")))
        browser.quit()
        if ui is not None:
            ui.stop()
