"""Shared facts and helpers of the deploy/ tests: paths, the metrics contract, PromQL metric names,
settings keys from config/default.yaml, and running promtool."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
GRAFANA_DIR = DEPLOY / "grafana"
K8S_DIR = DEPLOY / "k8s"
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DEFAULT_CONFIG = REPO / "config" / "default.yaml"
OPERATIONS_DOC = REPO / "docs" / "OPERATIONS.md"
INTERFACES_DOC = REPO.parent / "shared" / "docs" / "interfaces.md"
ENV_PREFIX = "NEWSSTREAMS_"

# The metrics of the contract (../shared/docs/interfaces.md) and their Prometheus types.
CONTRACT_METRICS = {
    "newsstreams_articles_total": "counter",
    "newsstreams_dead_letters_total": "counter",
    "newsstreams_category_total": "counter",
    "newsstreams_stage_duration_seconds": "histogram",
    "newsstreams_end_to_end_latency_seconds": "histogram",
    "newsstreams_throughput_articles_per_second": "gauge",
    "newsstreams_consumer_lag": "gauge",
    "newsstreams_event_loop_lag_seconds": "gauge",
    "newsstreams_build_info": "gauge",
}
# Series produced by Prometheus itself.
PROMETHEUS_SERIES = {"up"}

# The category slugs of the contract; articles.category.<slug> topics.
CATEGORY_SLUGS = (
    "arts", "conflict", "crime", "disaster", "economy", "education", "environment", "health",
    "human_interest", "labour", "lifestyle", "politics", "religion", "science", "technology",
    "society", "sport", "weather",
)


def queryable_series_names() -> set[str]:
    """Every series name PromQL may select: histograms as _bucket/_sum/_count, the rest as named."""
    names = set(PROMETHEUS_SERIES)
    for name, kind in CONTRACT_METRICS.items():
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        else:
            names.add(name)
    return names


_PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "by", "without", "on",
                 "ignoring", "group_left", "group_right", "atan2"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")


def promql_metric_names(expr: str) -> set[str]:
    """The metric names selected by a PromQL expression (functions, keywords and labels left out)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGES.sub("", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        token = match.group()
        if text[match.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if token.lower() in _PROMQL_WORDS:
            continue
        names.add(token)
    return names


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def default_config() -> dict:
    """config/default.yaml as a dict; skips the calling test when the file is not there yet."""
    if not DEFAULT_CONFIG.exists():
        pytest.skip("config/default.yaml is absent")
    return load_yaml(DEFAULT_CONFIG)


def _flatten(mapping: dict, prefix: str = "") -> dict[str, object]:
    flat = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def settings_env_names(config: dict) -> dict[str, str]:
    """NEWSSTREAMS_<SECTION>_<KEY> -> dotted key, for every key of the configuration."""
    names = {ENV_PREFIX + dotted.replace(".", "_").upper(): dotted for dotted in _flatten(config)}
    names[ENV_PREFIX + "CONFIG"] = "(path of the configuration file)"
    return names


def expected_topics(config: dict) -> list[str]:
    topics = config["topics"]
    return [topics["raw"], topics["parsed"], topics["enriched"], topics["dlq"]] + [
        f"{topics['category_prefix']}{slug}" for slug in CATEGORY_SLUGS
    ]


def promtool() -> str:
    """Path of promtool; fails under CI (where .ci/run installs it) and skips elsewhere."""
    path = shutil.which("promtool")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("promtool is not installed (Debian package `prometheus`); CI must install it")
    pytest.skip("promtool is not installed (apt-get install prometheus)")


def run_promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=60)
