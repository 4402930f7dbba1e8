"""deploy/k8s: the manifests parse, have the expected kinds, their selectors match the pod labels,
replicas equal the partitions, ports and settings agree with config/ and the image."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from deploy_checks import DOCKERFILE, ENV_PREFIX, K8S_DIR, default_config, settings_env_names

EXPECTED_KINDS = {
    "configmap.yaml": "ConfigMap",
    "deployment.yaml": "Deployment",
    "service.yaml": "Service",
    "pdb.yaml": "PodDisruptionBudget",
    "secret.example.yaml": "Secret",
    "kustomization.yaml": "Kustomization",
}


def _manifest(name: str) -> dict:
    documents = [d for d in yaml.safe_load_all((K8S_DIR / name).read_text(encoding="utf-8")) if d]
    assert len(documents) == 1, name
    return documents[0]


@pytest.fixture(scope="module")
def deployment() -> dict:
    return _manifest("deployment.yaml")


def _container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _cpu(value: str) -> float:
    return float(value[:-1]) / 1000 if str(value).endswith("m") else float(value)


def _bytes(value: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", str(value)).groups()
    return int(float(number) * units.get(unit, 1))


def test_every_file_is_a_known_manifest_of_the_expected_kind():
    files = sorted(p.name for p in K8S_DIR.glob("*.y*ml"))
    assert files == sorted(EXPECTED_KINDS)
    for name, kind in EXPECTED_KINDS.items():
        manifest = _manifest(name)
        assert manifest["kind"] == kind, name
        assert manifest["apiVersion"], name


def test_kustomization_lists_every_manifest_but_the_secret_example():
    resources = _manifest("kustomization.yaml")["resources"]
    expected = set(EXPECTED_KINDS) - {"kustomization.yaml", "secret.example.yaml"}
    assert set(resources) == expected


def test_selectors_match_the_pod_labels(deployment):
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "deployment": deployment["spec"]["selector"]["matchLabels"],
        "service": _manifest("service.yaml")["spec"]["selector"],
        "pdb": _manifest("pdb.yaml")["spec"]["selector"]["matchLabels"],
    }
    for spread in deployment["spec"]["template"]["spec"].get("topologySpreadConstraints", []):
        selectors["spread"] = spread["labelSelector"]["matchLabels"]
    for owner, selector in selectors.items():
        assert selector and selector.items() <= pod_labels.items(), owner


def test_replicas_equal_partitions(deployment):
    partitions = int(_manifest("configmap.yaml")["data"]["NEWSSTREAMS_TOPICS_PARTITIONS"])
    assert deployment["spec"]["replicas"] == partitions == default_config()["topics"]["partitions"]


def test_pdb_keeps_most_workers_up(deployment):
    spec = _manifest("pdb.yaml")["spec"]
    assert spec.get("maxUnavailable") == 1 or spec.get("minAvailable", 0) >= deployment["spec"]["replicas"] - 1


def test_configmap_keys_are_settings_keys():
    known = settings_env_names(default_config())
    for name in _manifest("configmap.yaml")["data"]:
        assert name in known, name


def test_configmap_loads_into_the_settings():
    settings_module = pytest.importorskip("streams.settings")
    data = _manifest("configmap.yaml")["data"]
    settings = settings_module.load_settings(env=data)
    assert settings.metrics.port == int(data["NEWSSTREAMS_METRICS_PORT"])
    assert settings.pipeline.processes >= 1, "0 would size the pool from the node's cores"


def test_metrics_port_agrees_everywhere(deployment):
    port = int(_manifest("configmap.yaml")["data"]["NEWSSTREAMS_METRICS_PORT"])
    container = _container(deployment)
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named["metrics"] == port
    service = _manifest("service.yaml")
    assert service["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert int(service["metadata"]["annotations"]["prometheus.io/port"]) == port
    assert service["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["metrics"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/metrics", "port": "metrics"}, probe


def test_pods_are_not_scraped_twice(deployment):
    annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
    assert not any(key.startswith("prometheus.io/") for key in annotations)


def test_resources_are_set_and_requests_fit_limits(deployment):
    resources = _container(deployment)["resources"]
    assert _cpu(resources["requests"]["cpu"]) <= _cpu(resources["limits"]["cpu"])
    assert _bytes(resources["requests"]["memory"]) <= _bytes(resources["limits"]["memory"])
    processes = int(_manifest("configmap.yaml")["data"]["NEWSSTREAMS_PIPELINE_PROCESSES"])
    assert processes <= _cpu(resources["limits"]["cpu"])
    assert "re-sized from the benchmark" in (K8S_DIR / "deployment.yaml").read_text().replace("RE-SIZED", "re-sized")


def test_pod_runs_as_the_image_user_with_a_writable_workdir(deployment):
    pod = deployment["spec"]["template"]["spec"]
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    image_uid = int(re.findall(r"^USER (\d+)", dockerfile, re.M)[-1])
    workdir = re.findall(r"^WORKDIR (\S+)", dockerfile, re.M)[-1]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == image_uid
    container = _container(deployment)
    if container["securityContext"].get("readOnlyRootFilesystem"):
        assert workdir in {m["mountPath"] for m in container["volumeMounts"]}


def test_grace_period_exceeds_the_shutdown_timeout(deployment):
    data = _manifest("configmap.yaml")["data"]
    timeout = float(data.get("NEWSSTREAMS_PIPELINE_SHUTDOWN_TIMEOUT", default_config()["pipeline"]["shutdown_timeout"]))
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > timeout


def test_container_reads_the_configmap_and_the_optional_secret(deployment):
    sources = _container(deployment)["envFrom"]
    assert sources[0]["configMapRef"]["name"] == _manifest("configmap.yaml")["metadata"]["name"]
    secret_ref = sources[-1]["secretRef"]  # last, so that its values win over the ConfigMap's
    assert secret_ref["name"] == _manifest("secret.example.yaml")["metadata"]["name"]
    assert secret_ref["optional"] is True


def test_secret_example_holds_placeholders_only():
    secret = _manifest("secret.example.yaml")
    known = settings_env_names(default_config())
    assert "data" not in secret, "examples use stringData, never encoded values"
    for key, value in secret["stringData"].items():
        assert key.startswith(ENV_PREFIX) and key in known, key
        if "PASSWORD" in key or "USERNAME" in key:
            assert value == "CHANGE-ME", key


def test_kustomize_renders_the_manifests():
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed")
    result = subprocess.run([kubectl, "kustomize", str(K8S_DIR)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(result.stdout) if d)
    assert kinds == ["ConfigMap", "Deployment", "PodDisruptionBudget", "Service"]
    namespace = _manifest("kustomization.yaml")["namespace"]
    assert all(d["metadata"]["namespace"] == namespace for d in yaml.safe_load_all(result.stdout) if d)
