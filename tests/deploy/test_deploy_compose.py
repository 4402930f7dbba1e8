"""docker-compose.yml: valid against the Compose Specification's JSON schema, every referenced file
exists, and ports, topics and NEWSSTREAMS_* variables agree with config/default.yaml and the settings."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from deploy_checks import (
    COMPOSE_FILE, ENV_PREFIX, PROMETHEUS_DIR, REPO, default_config, expected_topics, load_yaml,
    settings_env_names,
)

SCHEMA_FILE = Path(__file__).parent / "schemas" / "compose-spec.json"
WORKERS = ("worker-1", "worker-2")


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE_FILE)


def _schema_errors(document: dict) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_is_valid_against_the_compose_spec_schema(compose):
    assert _schema_errors(compose) == []


def test_schema_rejects_a_misspelt_health_condition(compose):
    broken = json.loads(json.dumps(compose))
    broken["services"]["worker-1"]["depends_on"]["kafka"]["condition"] = "service_heathy"
    assert _schema_errors(broken)


def test_interpolations_have_defaults_and_shell_dollars_are_escaped():
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    unescaped = re.sub(r"\$\$", "", text)
    for match in re.finditer(r"\$(\{[^}]*\}|\w+)", unescaped):
        assert re.fullmatch(r"\{[A-Z_][A-Z0-9_]*:-[^}]*\}", match.group(1)), (
            f"{match.group()} needs a default (${{VAR:-value}}) or $$ escaping")


def test_services_of_the_demo(compose):
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana")
    for name in WORKERS:
        assert services[name]["command"] == ["newsstreams", "worker"]
        assert services[name]["build"]["context"] == "."


def test_kafka_runs_in_kraft_mode(compose):
    env = compose["services"]["kafka"]["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = env["KAFKA_NODE_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{node_id}@kafka:")
    assert "ZOOKEEPER" not in " ".join(env)
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners) <= set(protocols)
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners


def test_workers_reach_the_advertised_internal_listener(compose):
    env = compose["services"]["kafka"]["environment"]
    advertised = {item.split("://")[1] for item in env["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    for name in WORKERS + ("publisher",):
        broker = compose["services"][name]["environment"]["NEWSSTREAMS_BROKER"]
        assert broker in advertised
    host_listeners = [a for a in advertised if a.startswith("localhost:")]
    published = {p.split(":")[0] for p in compose["services"]["kafka"]["ports"]}
    assert {a.split(":")[1] for a in host_listeners} <= published


def test_depends_on_names_existing_services_with_health_checks(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            if rule["condition"] == "service_healthy":
                has_check = "healthcheck" in services[dependency] or services[dependency].get("build")
                assert has_check, f"{dependency} has no health check ({name} waits for it)"
            if rule["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", dependency
    for name in WORKERS:
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["kafka-topics"]["condition"] == "service_completed_successfully"


def test_bind_mounts_and_build_files_exist(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name}: {source}"
        if "build" in service:
            assert (REPO / service["build"]["context"] / service["build"].get("dockerfile", "Dockerfile")).is_file()


def test_prometheus_mounts_its_config_and_every_rules_file(compose):
    mounted = {Path(v.split(":")[0]).name for v in compose["services"]["prometheus"]["volumes"] if v.startswith("./")}
    rule_files = load_yaml(PROMETHEUS_DIR / "prometheus.yml")["rule_files"]
    assert {"prometheus.yml", *rule_files} <= mounted


def test_host_ports_are_distinct_and_workers_publish_their_metrics_port(compose):
    host_ports = [p.split(":")[0] for s in compose["services"].values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports))
    for name in WORKERS:
        service = compose["services"][name]
        metrics_port = service["environment"]["NEWSSTREAMS_METRICS_PORT"]
        assert [p.split(":")[1] for p in service["ports"]] == [metrics_port]
        assert f":{metrics_port}/metrics" in " ".join(service["healthcheck"]["test"])


def test_worker_variables_are_settings_keys():
    config = default_config()
    known = settings_env_names(config)
    compose = load_yaml(COMPOSE_FILE)
    for name in WORKERS + ("publisher",):
        for variable in compose["services"][name]["environment"]:
            assert variable.startswith(ENV_PREFIX), variable
            assert variable in known, f"{name}: {variable} is not a key of config/default.yaml"


def test_worker_environment_loads_into_the_settings(compose):
    settings_module = pytest.importorskip("streams.settings")
    env = {k: str(v) for k, v in compose["services"]["worker-1"]["environment"].items()}
    settings = settings_module.load_settings(env=env)
    assert settings.bootstrap_servers == "kafka:9092"
    assert settings.metrics.port == int(compose["services"]["worker-1"]["ports"][0].split(":")[1])
    assert settings.topics.partitions == int(compose["services"]["kafka-topics"]["environment"]["PARTITIONS"])


def test_topic_creation_matches_the_configured_topics(compose):
    config = default_config()
    env = compose["services"]["kafka-topics"]["environment"]
    assert env["TOPICS"].split() == expected_topics(config)
    assert int(env["PARTITIONS"]) == config["topics"]["partitions"]
    assert int(compose["services"]["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"]) == config["topics"]["partitions"]
    script = compose["services"]["kafka-topics"]["command"][0]
    assert "--if-not-exists" in script and "$$TOPICS" in script and "$$PARTITIONS" in script


def test_topic_names_agree_with_the_settings_module():
    settings_module = pytest.importorskip("streams.settings")
    assert expected_topics(default_config()) == settings_module.Settings().topics.all_names()


def test_demo_articles_are_raw_json_input():
    compose = load_yaml(COMPOSE_FILE)
    publisher = compose["services"]["publisher"]
    source, target = publisher["volumes"][0].split(":")[:2]
    assert publisher["command"][-1] == target
    files = sorted((REPO / source).glob("*.jsonl"))
    assert files
    for line in files[0].read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        assert article["id"] and len(article["text"].split()) > 50
