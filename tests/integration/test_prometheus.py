"""A real Prometheus server (Debian's `prometheus`) scrapes a running worker and answers PromQL about it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from streams.broker import free_port

pytestmark = pytest.mark.integration
PROMETHEUS = shutil.which("prometheus")


def query(port: int, promql: str) -> list:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    body = json.load(urllib.request.urlopen(url, timeout=5))
    assert body["status"] == "success", body
    return body["data"]["result"]


@pytest.mark.skipif(PROMETHEUS is None and not os.environ.get("CI"), reason="prometheus not installed")
def test_prometheus_scrapes_the_worker_and_counts_its_articles(stack, seed_bytes, fakenews_csv, tmp_path):
    assert PROMETHEUS, "CI installs Debian's prometheus (.ci/run)"
    worker = stack.start_worker()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: newsstreams
    static_configs: [{{targets: ["127.0.0.1:{worker.metrics_port}"]}}]
""")
    port = free_port()
    server = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                               f"--web.listen-address=127.0.0.1:{port}"],
                              stdout=open(tmp_path / "prometheus.log", "wb"), stderr=subprocess.STDOUT)
    try:
        stack.publish([(f"prom-{i}".encode(), seed_bytes) for i in range(3)])
        assert len(stack.read(stack.settings.topics.enriched, 3)) == 3
        deadline, result = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                result = query(port, 'sum(newsstreams_articles_total{stage="classify",outcome=~"ok|duplicate"})')
            except OSError:
                result = []
            if result and float(result[0]["value"][1]) >= 3:
                break
            time.sleep(1)
        assert result and float(result[0]["value"][1]) == 3, result
        assert query(port, 'up{job="newsstreams"}')[0]["value"][1] == "1"
        buckets = query(port, "newsstreams_end_to_end_latency_seconds_count")
        assert float(buckets[0]["value"][1]) == 3
    finally:
        server.terminate()
        server.wait(20)
