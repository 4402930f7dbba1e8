"""deploy/grafana: provisioning points at the compose Prometheus and the dashboard folder, and the
dashboard's queries are valid PromQL over the contract's metrics, with the panels an operator expects."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from deploy_checks import (
    COMPOSE_FILE, GRAFANA_DIR, PROMETHEUS_DIR, load_yaml, promql_metric_names, queryable_series_names,
    run_promtool,
)

DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
# Grafana's built-in variables and the dashboard's own, replaced by values Prometheus accepts
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}


def _dashboard() -> dict:
    assert DASHBOARDS, "no dashboard JSON in deploy/grafana/dashboards"
    return json.loads(DASHBOARDS[0].read_text(encoding="utf-8"))


def _targets(dashboard: dict):
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel, target


def _as_prometheus_query(expr: str, variables: list[str]) -> str:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    for name in variables:
        expr = expr.replace(f"${name}", ".*")
    assert "$" not in expr, f"unknown variable in {expr!r}"
    return expr


def _compose_mounts(service: str) -> dict[str, str]:
    """container path -> host path of the bind mounts of a compose service."""
    mounts = {}
    for volume in load_yaml(COMPOSE_FILE)["services"][service]["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            mounts[target] = source
    return mounts


@pytest.mark.parametrize("path", sorted(GRAFANA_DIR.rglob("*.yml")), ids=lambda p: p.name)
def test_provisioning_files_are_yaml_with_api_version_1(path):
    assert load_yaml(path)["apiVersion"] == 1


def test_datasource_is_the_compose_prometheus():
    datasources = load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert [d["type"] for d in datasources] == ["prometheus"]
    compose = load_yaml(COMPOSE_FILE)
    host_port = compose["services"]["prometheus"]["ports"][0].split(":")[-1]
    assert datasources[0]["url"] == f"http://prometheus:{host_port}"
    scrape_interval = load_yaml(PROMETHEUS_DIR / "prometheus.yml")["global"]["scrape_interval"]
    assert datasources[0]["jsonData"]["timeInterval"] == scrape_interval


def test_dashboard_provider_path_is_where_compose_mounts_the_dashboards():
    providers = load_yaml(GRAFANA_DIR / "provisioning" / "dashboards" / "newsstreams.yml")["providers"]
    mounts = _compose_mounts("grafana")
    for provider in providers:
        host_dir = mounts[provider["options"]["path"]]
        assert (COMPOSE_FILE.parent / host_dir).resolve() == (GRAFANA_DIR / "dashboards").resolve()
    assert (COMPOSE_FILE.parent / mounts["/etc/grafana/provisioning"]).resolve() == (GRAFANA_DIR / "provisioning").resolve()


def test_compose_home_dashboard_exists():
    env = load_yaml(COMPOSE_FILE)["services"]["grafana"]["environment"]
    home = env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    mounts = _compose_mounts("grafana")
    folder, name = home.rsplit("/", 1)
    assert (COMPOSE_FILE.parent / mounts[folder] / name).is_file()


def test_dashboard_identity_and_unique_panel_ids():
    dashboard = _dashboard()
    assert dashboard["uid"] and dashboard["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_panels_do_not_overlap_and_fit_the_grid():
    occupied = set()
    for panel in _dashboard()["panels"]:
        pos = panel["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, panel["title"]
        cells = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells


def test_every_query_uses_the_datasource_variable():
    dashboard = _dashboard()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for panel, target in _targets(dashboard):
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_dashboard_queries_select_only_contract_metrics():
    allowed = queryable_series_names()
    dashboard = _dashboard()
    queries = [t["expr"] for _, t in _targets(dashboard)]
    queries += [v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    for expr in queries:
        if expr.startswith("label_values("):
            expr = expr[len("label_values("):].rsplit(",", 1)[0]
        names = promql_metric_names(expr)
        assert names and names <= allowed, (expr, names - allowed)


def test_dashboard_queries_are_valid_promql(tmp_path):
    dashboard = _dashboard()
    variables = [v["name"] for v in dashboard["templating"]["list"]]
    rules = [{"record": f"dashboard:panel{panel['id']}:{target['refId'].lower()}",
              "expr": _as_prometheus_query(target["expr"], variables)}
             for panel, target in _targets(dashboard)]
    rules_file = tmp_path / "dashboard_queries.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run_promtool("check", "rules", rules_file.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_shows_what_an_operator_expects():
    exprs = " ".join(t["expr"] for _, t in _targets(_dashboard()))
    assert re.search(r"sum by \(stage\) \(newsstreams_throughput_articles_per_second", exprs), "throughput per stage"
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (le) (rate(newsstreams_end_to_end_latency_seconds_bucket" in exprs
    assert "newsstreams_consumer_lag" in exprs
    assert re.search(r"sum by \(stage, reason\) \(rate\(newsstreams_dead_letters_total", exprs), "dead letters by reason"
    assert re.search(r"sum by \(category\) \(rate\(newsstreams_category_total", exprs), "categories over time"
    assert "newsstreams_event_loop_lag_seconds" in exprs
    assert "newsstreams_build_info" in exprs
