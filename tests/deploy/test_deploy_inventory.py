"""Every file under deploy/ is one that a test of tests/deploy/ checks: a new file needs a new test."""
from __future__ import annotations

from deploy_checks import DEPLOY

CHECKED = {
    "demo/README.md": "test_deploy_compose (documents the publisher's folder)",
    "demo/articles.jsonl": "test_deploy_compose.test_demo_articles_are_raw_json_input",
    "grafana/dashboards/newsstreams.json": "test_deploy_grafana",
    "grafana/provisioning/dashboards/newsstreams.yml": "test_deploy_grafana",
    "grafana/provisioning/datasources/prometheus.yml": "test_deploy_grafana",
    "kafka/pom.xml": "tests/test_broker.py (its version) and every test on Apache Kafka (make kafka resolves it)",
    "k8s/configmap.yaml": "test_deploy_k8s",
    "k8s/deployment.yaml": "test_deploy_k8s",
    "k8s/kustomization.yaml": "test_deploy_k8s",
    "k8s/pdb.yaml": "test_deploy_k8s",
    "k8s/secret.example.yaml": "test_deploy_k8s",
    "k8s/service.yaml": "test_deploy_k8s",
    "prometheus/alerts.rules.yml": "test_deploy_prometheus",
    "prometheus/alerts_test.yml": "test_deploy_prometheus",
    "prometheus/prometheus.yml": "test_deploy_prometheus",
}


def test_every_deploy_file_is_checked():
    present = {str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert present == set(CHECKED)


def test_demo_readme_names_the_publisher_and_licence():
    text = (DEPLOY / "demo" / "README.md").read_text(encoding="utf-8")
    assert "publisher" in text and "Licence" in text
