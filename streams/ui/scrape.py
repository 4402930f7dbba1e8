"""The worker's own counters, read from its ``/metrics`` (Prometheus text), for the page to show beside its own.

:func:`worker_counters` is pure (text in, dict out); :class:`WorkerRates` turns successive scrapes into
articles per second per stage over the last minute, from the same counters Prometheus' ``rate()`` would use.
"""
from __future__ import annotations

import time
from collections import deque

from prometheus_client.parser import text_string_to_metric_families

STAGES = ("parse", "enrich", "classify", "route")


def worker_counters(text: str) -> dict:
    """``newsstreams_*`` counters of one scrape: articles by stage/outcome, dead letters, categories, throughput."""
    out: dict = {"articles": {}, "dead_letters": [], "categories": {}, "throughput": {}, "build": None}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = s.labels
            if s.name == "newsstreams_articles_total":
                out["articles"].setdefault(labels.get("stage", "?"), {})[labels.get("outcome", "?")] = s.value
            elif s.name == "newsstreams_dead_letters_total" and s.value:
                out["dead_letters"].append([labels.get("stage", "?"), labels.get("reason", "?"), s.value])
            elif s.name == "newsstreams_category_total" and s.value:
                out["categories"][labels.get("category", "?")] = s.value
            elif s.name == "newsstreams_throughput_articles_per_second":
                out["throughput"][labels.get("stage", "?")] = s.value
            elif s.name == "newsstreams_build_info":
                out["build"] = labels.get("version")
    articles = out["articles"]
    # what the worker wrote to the topics the page reads: an enriched record per classify ok,
    # a dead letter per dead_letter outcome of parse or enrich
    out["enriched_sent"] = articles.get("classify", {}).get("ok", 0.0)
    out["dead_letters_sent"] = sum(v for _, _, v in out["dead_letters"])
    out["dead_letters"].sort(key=lambda row: -row[2])
    return out


def stage_totals(counters: dict) -> dict[str, float]:
    """Articles that left each stage (every outcome but ``error``, which is retried and counted again)."""
    return {stage: sum(v for outcome, v in counters["articles"].get(stage, {}).items() if outcome != "error")
            for stage in STAGES}


class WorkerRates:
    """Articles per second per stage over the last ``window`` seconds, from successive scrapes."""

    def __init__(self, window: float = 60.0, clock=time.monotonic):
        self.window = window
        self.clock = clock
        self.samples: deque[tuple[float, dict[str, float]]] = deque()

    def add(self, counters: dict) -> dict[str, float]:
        now = self.clock()
        totals = stage_totals(counters)
        if self.samples and any(totals[s] < self.samples[-1][1][s] for s in STAGES):
            self.samples.clear()          # the worker restarted: its counters began again at zero
        self.samples.append((now, totals))
        while len(self.samples) > 2 and self.samples[1][0] <= now - self.window:
            self.samples.popleft()
        first_t, first = self.samples[0]
        span = now - first_t
        if span <= 0:
            return {s: 0.0 for s in STAGES}
        return {s: round((totals[s] - first[s]) / span, 3) for s in STAGES}
