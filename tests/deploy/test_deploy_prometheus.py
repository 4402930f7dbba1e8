"""deploy/prometheus: the scrape configuration, the alert rules and their unit tests pass promtool,
every alert is tested and documented, and the rules select only metrics of the contract."""
from __future__ import annotations

import re

import pytest

from deploy_checks import (
    CONTRACT_METRICS, COMPOSE_FILE, INTERFACES_DOC, OPERATIONS_DOC, PROMETHEUS_DIR, load_yaml,
    promql_metric_names, queryable_series_names, run_promtool,
)

RULES_FILE = PROMETHEUS_DIR / "alerts.rules.yml"
RULES_TEST_FILE = PROMETHEUS_DIR / "alerts_test.yml"
CONFIG_FILE = PROMETHEUS_DIR / "prometheus.yml"


def _rules_files():
    return [p for p in sorted(PROMETHEUS_DIR.iterdir())
            if ("rule" in p.name or "alert" in p.name) and "test" not in p.name]


def _rules_test_files():
    return [p for p in sorted(PROMETHEUS_DIR.iterdir())
            if ("rule" in p.name or "alert" in p.name) and "test" in p.name]


def _alerts() -> list[dict]:
    return [rule for group in load_yaml(RULES_FILE)["groups"] for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize("path", sorted(PROMETHEUS_DIR.glob("*.y*ml")), ids=lambda p: p.name)
def test_every_file_is_yaml_mapping(path):
    assert isinstance(load_yaml(path), dict)


def test_config_passes_promtool_check_config():
    result = run_promtool("check", "config", CONFIG_FILE.name, cwd=PROMETHEUS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", _rules_files(), ids=lambda p: p.name)
def test_rules_pass_promtool_check_rules(path):
    result = run_promtool("check", "rules", path.name, cwd=PROMETHEUS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", _rules_test_files(), ids=lambda p: p.name)
def test_rule_unit_tests_pass(path):
    result = run_promtool("test", "rules", path.name, cwd=PROMETHEUS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_loads_every_rules_file_and_nothing_else():
    config = load_yaml(CONFIG_FILE)
    assert sorted(config["rule_files"]) == sorted(p.name for p in _rules_files())


def test_config_scrapes_both_compose_workers_on_their_metrics_port():
    compose = load_yaml(COMPOSE_FILE)
    jobs = {job["job_name"]: job for job in load_yaml(CONFIG_FILE)["scrape_configs"]}
    targets = {t for sc in jobs["newsstreams"]["static_configs"] for t in sc["targets"]}
    workers = sorted(name for name in compose["services"] if name.startswith("worker"))
    expected = set()
    for name in workers:
        port = compose["services"][name]["environment"]["NEWSSTREAMS_METRICS_PORT"]
        expected.add(f"{name}:{port}")
    assert len(workers) == 2
    assert targets == expected
    assert jobs["newsstreams"].get("metrics_path", "/metrics") == "/metrics"


def test_alerts_cover_what_an_operator_needs():
    exprs = {rule["alert"]: rule["expr"] for rule in _alerts()}
    assert any("up{" in e and "== 0" in e for e in exprs.values()), "worker down"
    assert any("newsstreams_consumer_lag" in e and "delta(" in e for e in exprs.values()), "lag growing"
    assert any("newsstreams_dead_letters_total" in e for e in exprs.values()), "dead-letter rate"
    assert any("newsstreams_articles_total" in e and "== 0" in e for e in exprs.values()), "no throughput"
    assert any("histogram_quantile(0.99" in e and "end_to_end_latency" in e for e in exprs.values()), "p99"


def test_every_alert_has_severity_summary_and_runbook():
    for rule in _alerts():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["runbook"] == f"docs/OPERATIONS.md#{rule['alert'].lower()}"


def test_every_alert_is_unit_tested_firing_and_silent():
    fired, silent = set(), set()
    for path in _rules_test_files():
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {rule["alert"] for rule in _alerts()}
    assert names - fired == set(), "alerts never tested firing"
    assert names - silent == set(), "alerts never tested staying silent"


def test_every_alert_has_a_section_in_the_operations_guide():
    if not OPERATIONS_DOC.exists():
        pytest.fail("docs/OPERATIONS.md is missing")
    headings = {line.lstrip("#").strip().lower()
                for line in OPERATIONS_DOC.read_text(encoding="utf-8").splitlines() if line.startswith("#")}
    missing = [rule["alert"] for rule in _alerts() if rule["alert"].lower() not in headings]
    assert missing == []


def test_rules_select_only_contract_metrics():
    allowed = queryable_series_names()
    for rule in _alerts():
        names = promql_metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= allowed, (rule["alert"], names - allowed)


def test_unit_test_series_are_contract_metrics():
    allowed = queryable_series_names()
    for path in _rules_test_files():
        for case in load_yaml(path)["tests"]:
            for series in case.get("input_series", []):
                assert series["series"].split("{")[0] in allowed, series["series"]


def test_contract_metrics_match_the_interfaces_document():
    if not INTERFACES_DOC.exists():
        pytest.skip("../shared/docs/interfaces.md is absent")
    text = INTERFACES_DOC.read_text(encoding="utf-8")
    metrics_section = text.split("## Metrics", 1)[1]
    documented = set(re.findall(r"`(newsstreams_[a-z_]+)", metrics_section))
    assert documented == set(CONTRACT_METRICS)


@pytest.mark.parametrize("expr, names", [
    ('sum by (stage) (rate(newsstreams_articles_total{stage="parse"}[5m]))', {"newsstreams_articles_total"}),
    ("histogram_quantile(0.99, sum by (le) (rate(x_bucket[$__rate_interval])))", {"x_bucket"}),
    ("a / ignoring (stage) group_left () (sum(b) or vector(0)) > 1e-9", {"a", "b"}),
    ('absent(up{job="newsstreams"}) and on () c offset 5m', {"up", "c"}),
])
def test_promql_metric_names(expr, names):
    assert promql_metric_names(expr) == names


def test_contract_metrics_are_registered_by_the_worker_with_their_types():
    pytest.importorskip("streams.metrics")
    from prometheus_client import REGISTRY

    families = {family.name: family.type for family in REGISTRY.collect()}
    for name, kind in CONTRACT_METRICS.items():
        family = name.removesuffix("_total") if kind == "counter" else name
        assert families.get(family) == kind, name


def test_latency_alert_threshold_is_a_histogram_bucket_bound():
    metrics = pytest.importorskip("streams.metrics")
    expr = next(rule["expr"] for rule in _alerts() if rule["alert"] == "NewsstreamsLatencyP99High")
    threshold = float(re.search(r">\s*([0-9.]+)\s*$", expr.strip()).group(1))
    assert threshold in metrics.END_TO_END._upper_bounds
