"""Dockerfile and .dockerignore: slim Python 3.11 base, non-root, the files it copies exist and are
not ignored, the settings it sets are real keys, and its health check works against a live /metrics."""
from __future__ import annotations

import fnmatch
import http.server
import json
import re
import socket
import subprocess
import sys
import threading
import tomllib

import pytest

from deploy_checks import DOCKERFILE, ENV_PREFIX, REPO, default_config, settings_env_names


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line.strip())
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in logical]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def _env(stage) -> dict[str, str]:
    env = {}
    for op, args in stage:
        if op == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", args)))
    return env


def test_every_stage_is_python_3_11_slim():
    args = dict(re.match(r"(\w+)=(\S+)", a).groups() for op, a in _instructions() if op == "ARG" and "=" in a)
    bases = [a.split()[0] for op, a in _instructions() if op == "FROM"]
    resolved = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], b) for b in bases]
    assert resolved and set(resolved) == {"python:3.11-slim"}


def test_runs_as_a_non_root_user():
    users = [a for op, a in _final_stage() if op == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_exposes_the_configured_metrics_port():
    config = default_config()
    exposed = [a for op, a in _final_stage() if op == "EXPOSE"]
    assert exposed == [str(config["metrics"]["port"])]
    assert _env(_final_stage())["NEWSSTREAMS_METRICS_PORT"] == str(config["metrics"]["port"])


def test_default_command_is_the_worker_of_the_console_script():
    cmd = [json.loads(a) for op, a in _final_stage() if op == "CMD"]
    assert cmd[-1] == ["newsstreams", "worker"]
    assert not any(op == "ENTRYPOINT" for op, _ in _final_stage())
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "newsstreams" in scripts


def test_installs_the_project_with_pip():
    runs = " ".join(a for op, a in _instructions() if op == "RUN")
    assert re.search(r"pip install \.(\s|$)", runs)
    assert "en_core_web_sm" in runs, "the build should prove the spaCy model is inside"


def test_environment_variables_are_settings_keys():
    known = settings_env_names(default_config())
    for name in _env(_final_stage()):
        if name.startswith(ENV_PREFIX):
            assert name in known, name


def test_config_path_points_to_the_copied_default_config():
    copies = [a.split() for op, a in _final_stage() if op == "COPY" and not a.startswith("--from")]
    destinations = {args[-1]: args[0] for args in copies}
    config_path = _env(_final_stage())["NEWSSTREAMS_CONFIG"]
    assert destinations[config_path] == "config/default.yaml"


def test_copied_files_exist_and_are_not_docker_ignored():
    ignore = [p.strip() for p in (REPO / ".dockerignore").read_text().splitlines()
              if p.strip() and not p.startswith("#")]
    for op, args in _instructions():
        if op != "COPY" or args.startswith("--from"):
            continue
        for source in [a for a in args.split() if not a.startswith("--")][:-1]:
            assert (REPO / source).exists(), f"COPY {source}: no such file"
            parts = source.rstrip("/").split("/")
            prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            ignored = [p for p in ignore if any(fnmatch.fnmatch(prefix, p) for prefix in prefixes)]
            assert not ignored, f"COPY {source} is excluded by .dockerignore {ignored}"


def _healthcheck_command() -> list[str]:
    healthchecks = [a for op, a in _final_stage() if op == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    command = json.loads(healthchecks[0].split("CMD", 1)[1])
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


class _MetricsHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        status = 200 if self.path == "/metrics" else 404
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"newsstreams_build_info{version=\"0\"} 1\n")

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthcheck_passes_while_metrics_answer_and_fails_without():
    command = _healthcheck_command()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MetricsHandler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        healthy = subprocess.run(command, env={"NEWSSTREAMS_METRICS_PORT": str(port)}, capture_output=True, timeout=20)
    finally:
        server.shutdown()
        server.server_close()
    assert healthy.returncode == 0, healthy.stderr
    unhealthy = subprocess.run(command, env={"NEWSSTREAMS_METRICS_PORT": str(_free_port())}, capture_output=True,
                               timeout=20)
    assert unhealthy.returncode != 0


@pytest.mark.parametrize("option", ["--interval", "--timeout", "--start-period", "--retries"])
def test_healthcheck_sets_its_timing(option):
    healthcheck = next(a for op, a in _final_stage() if op == "HEALTHCHECK")
    assert option in healthcheck
