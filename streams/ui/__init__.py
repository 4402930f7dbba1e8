"""The live web view of ``articles.enriched``: ``serve_ui`` (async, until cancelled) and ``run_ui`` (blocking).

view.py turns records into cards and keeps the counters; scrape.py reads the worker's /metrics;
server.py is the consumer, the page and the server-sent events; static/ is the page itself (plain JS, no build).
"""
from streams.ui.server import run_ui, serve_ui

__all__ = ["run_ui", "serve_ui"]
