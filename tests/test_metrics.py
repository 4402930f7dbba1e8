"""streams/metrics.py: the moving rate, the counting helpers, and an exposition that promtool accepts."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import urllib.request

import pytest
from prometheus_client import REGISTRY, generate_latest

from streams import __version__, metrics
from streams.errors import REASONS
from streams.metrics import OUTCOMES, STAGES, RateTracker, init_labels
from streams.settings import CATEGORY_SLUGS

PROMTOOL = shutil.which("promtool") or ("/usr/bin/promtool" if os.path.exists("/usr/bin/promtool") else None)


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def sample(name: str, **labels) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


@pytest.fixture
def promtool():
    if PROMTOOL is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing on CI (.ci/run installs the Debian package 'prometheus')")
        pytest.skip("promtool not installed")
    return PROMTOOL


# --- RateTracker ---------------------------------------------------------------------------------

def test_rate_before_the_window_fills_is_over_the_elapsed_time():
    clock = FakeClock(1000.0)
    rates = RateTracker(window=60, clock=clock)
    for _ in range(10):
        rates.add("parse")
    clock.now = 1005.0
    assert rates.rate("parse") == pytest.approx(10 / 5)


def test_rate_is_never_divided_by_less_than_one_second():
    clock = FakeClock(1000.0)
    rates = RateTracker(window=60, clock=clock)
    rates.add("parse", 7)
    clock.now = 1000.2
    assert rates.rate("parse") == pytest.approx(7.0)


def test_steady_rate_over_a_full_window():
    clock = FakeClock(1000.0)
    rates = RateTracker(window=60, clock=clock)
    for second in range(180):                      # 5 articles a second for three minutes
        clock.now = 1000.0 + second + 0.5
        rates.add("enrich", 5)
    clock.now = 1180.0
    assert rates.rate("enrich") == pytest.approx(5.0, rel=0.05)


def test_old_events_leave_the_window():
    clock = FakeClock(1000.0)
    rates = RateTracker(window=60, clock=clock)
    rates.add("classify", 100)
    clock.now = 1030.0
    assert rates.rate("classify") == pytest.approx(100 / 30)
    clock.now = 1061.0
    assert rates.rate("classify") == 0.0
    assert len(rates.buckets["classify"]) == 0     # bounded memory: evicted, not just ignored


def test_events_in_one_second_share_a_bucket_and_stages_are_separate():
    clock = FakeClock(1000.0)
    rates = RateTracker(window=60, clock=clock)
    for i in range(50):
        clock.now = 1000.0 + i / 100
        rates.add("parse")
    rates.add("route", 3)
    assert len(rates.buckets["parse"]) == 1
    clock.now = 1010.0
    assert rates.rate("parse") == pytest.approx(5.0)
    assert rates.rate("route") == pytest.approx(0.3)
    assert rates.rate("enrich") == 0.0


def test_publish_sets_the_throughput_gauge_of_every_stage():
    clock = FakeClock(1000.0)
    rates = RateTracker(window=60, clock=clock)
    rates.add("parse", 20)
    clock.now = 1010.0
    rates.publish()
    assert sample("newsstreams_throughput_articles_per_second", stage="parse") == pytest.approx(2.0)
    for stage in ("enrich", "classify", "route"):
        assert sample("newsstreams_throughput_articles_per_second", stage=stage) == 0.0


# --- counting helpers ----------------------------------------------------------------------------

def test_count_ok_duplicate_dead_letter_and_error():
    before = {(s, o): sample("newsstreams_articles_total", stage=s, outcome=o) for s in STAGES for o in OUTCOMES}
    dead_before = sample("newsstreams_dead_letters_total", stage="parse", reason="invalid_json")
    retries_before = sample("newsstreams_retries_total", stage="enrich")
    count_before = sample("newsstreams_stage_duration_seconds_count", stage="parse")
    rates = RateTracker(clock=FakeClock())

    metrics.count_ok("parse", 0.004, rates=rates)
    metrics.count_ok("classify", duplicate=True)
    metrics.count_dead_letter("parse", "invalid_json")
    metrics.count_error("enrich")

    def delta(stage, outcome):
        return sample("newsstreams_articles_total", stage=stage, outcome=outcome) - before[(stage, outcome)]

    assert delta("parse", "ok") == 1 and delta("classify", "duplicate") == 1 and delta("classify", "ok") == 0
    assert delta("parse", "dead_letter") == 1 and delta("enrich", "error") == 1
    assert sample("newsstreams_dead_letters_total", stage="parse", reason="invalid_json") - dead_before == 1
    assert sample("newsstreams_retries_total", stage="enrich") - retries_before == 1
    assert sample("newsstreams_stage_duration_seconds_count", stage="parse") - count_before == 1
    assert sum(n for _, n in rates.buckets["parse"]) == 1


# --- exposition ----------------------------------------------------------------------------------

def test_init_labels_exposes_every_known_series_at_zero():
    init_labels()
    assert sample("newsstreams_build_info", version=__version__) == 1
    for stage in STAGES:
        for outcome in OUTCOMES:
            assert REGISTRY.get_sample_value("newsstreams_articles_total", {"stage": stage, "outcome": outcome}) \
                is not None
        assert REGISTRY.get_sample_value("newsstreams_stage_duration_seconds_count", {"stage": stage}) is not None
    for reason in REASONS:
        assert REGISTRY.get_sample_value("newsstreams_dead_letters_total", {"stage": "parse", "reason": reason}) \
            is not None
    for slug in CATEGORY_SLUGS:
        assert REGISTRY.get_sample_value("newsstreams_category_total", {"category": slug}) is not None


def test_interface_metrics_have_their_types():
    init_labels()
    text = generate_latest(REGISTRY).decode()
    for name, kind in [("newsstreams_articles_total", "counter"), ("newsstreams_dead_letters_total", "counter"),
                       ("newsstreams_category_total", "counter"),
                       ("newsstreams_stage_duration_seconds", "histogram"),
                       ("newsstreams_end_to_end_latency_seconds", "histogram"),
                       ("newsstreams_throughput_articles_per_second", "gauge"),
                       ("newsstreams_consumer_lag", "gauge"), ("newsstreams_event_loop_lag_seconds", "gauge"),
                       ("newsstreams_build_info", "gauge")]:
        assert f"# TYPE {name} {kind}\n" in text, name
        assert f"# HELP {name} " in text, name


def test_exposition_passes_promtool_check_metrics(promtool):
    init_labels()
    # some real observations too, so histograms and gauges carry values
    metrics.count_ok("parse", 0.01)
    metrics.count_dead_letter("enrich", "no_text")
    metrics.END_TO_END.observe(1.5)
    metrics.CONSUMER_LAG.labels(topic="articles.raw", partition="0").set(3)
    metrics.EVENT_LOOP_LAG.set(0.002)
    metrics.BATCH_SIZE.labels(stage="parse").observe(8)
    exposition = generate_latest(REGISTRY)
    result = subprocess.run([promtool, "check", "metrics"], input=exposition, capture_output=True, timeout=30)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert not (result.stdout + result.stderr).strip(), (result.stdout + result.stderr).decode()   # no lint hints


def test_serve_metrics_serves_the_registry_over_http():
    assert metrics.serve_metrics(0, "127.0.0.1") is None       # port 0: no endpoint
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    server = metrics.serve_metrics(port, "127.0.0.1")
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'newsstreams_build_info{version="%s"} 1.0' % __version__ in body
    assert 'newsstreams_articles_total{outcome="ok",stage="parse"}' in body
