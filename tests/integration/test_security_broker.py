"""Kafka security against real authenticating brokers (issues #7, #21): what the worker's SASL/TLS settings do.

1. **Apache Kafka 4.x** (``KafkaBroker``, started by this module, Kafka only): a SASL_SSL listener offering
   SCRAM-SHA-256 and SCRAM-SHA-512, and an SSL listener that requires client certificates, with a CA and
   certificates made by the test (openssl). Users are created with Kafka's own ``kafka-configs``. A worker
   configured only through ``NEWSSTREAMS_KAFKA_*`` logs in with each mechanism, and with a client certificate,
   and processes an article end to end; a wrong password, an unknown CA and a missing client certificate are
   refused, the worker stays up and says why, and no secret appears in logs, argv or /metrics.

2. **Tansu 0.6.0 with ``--authentication``** (a peculiarity of the embedded broker, Tansu only). Found by
   running it: it offers SCRAM-SHA-512, SCRAM-SHA-256 and OAUTHBEARER (no PLAIN); it refuses every request
   before SASL, including AlterUserScramCredentials, so no user can be created on it and no SCRAM login can
   succeed; it has no TLS listener. What it shows: clients without valid credentials are refused, and the
   worker performs the SCRAM handshake as its user, processes nothing and never prints the password.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from streams.broker import EmbeddedBroker, KafkaBroker, find_tansu_binary, free_port, run_kafka_tool
from streams.kafka import client_options
from streams.settings import load_settings

from harness import REPO, Stack, require_engine, wait_for_metrics

pytestmark = pytest.mark.integration

USER = "newsstreams"
PASSWORD = "Kq7-s3cret-Pa55#word-9Zt"          # unique enough to grep for in logs and /metrics
# what a refused connection raises: aiokafka's errors, TLS/socket errors, and KeyError('v') from aiokafka 0.14
# when a SCRAM server (Tansu) ends the exchange with "e=..." instead of a server signature
REFUSED = (KafkaError, OSError, asyncio.TimeoutError, KeyError)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SHORT_GROUP_TIMEOUTS = {"NEWSSTREAMS_KAFKA_SESSION_TIMEOUT": "10", "NEWSSTREAMS_KAFKA_HEARTBEAT_INTERVAL": "1",
                        "NEWSSTREAMS_KAFKA_REBALANCE_TIMEOUT": "10"}


def scram_env(password: str = PASSWORD, protocol: str = "SASL_PLAINTEXT", mechanism: str = "SCRAM-SHA-512",
              **extra: str) -> dict[str, str]:
    """The security settings exactly as an operator sets them: environment variables only."""
    return {"NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL": protocol, "NEWSSTREAMS_KAFKA_SASL_MECHANISM": mechanism,
            "NEWSSTREAMS_KAFKA_SASL_USERNAME": USER, "NEWSSTREAMS_KAFKA_SASL_PASSWORD": password, **extra}


class SecureStack(Stack):
    """A harness ``Stack`` whose workers, publisher and reader all carry the same security environment."""

    def __init__(self, broker: str, tmp: Path, security_env: dict[str, str]):
        super().__init__(broker, tmp, mode="fast")
        self.security_env = security_env

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **self.security_env}


def try_connect(env: dict[str, str], timeout: float = 15) -> Exception | None:
    """Open an admin client with settings built from ``env`` (the worker's code path); None if it got in."""
    async def attempt():
        admin = AIOKafkaAdminClient(**client_options(load_settings(env=env)), request_timeout_ms=5000)
        try:
            await asyncio.wait_for(admin.start(), timeout)
            await asyncio.wait_for(admin.list_topics(), timeout)
            return None
        except REFUSED as e:              # the refusal is the result under test
            return e
        finally:
            try:
                await admin.close()
            except REFUSED:
                pass                      # closing a client that never connected
    return asyncio.run(attempt())


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def text_of(path: Path) -> str:
    """A log file's text without terminal colour codes (Tansu colours its log even into a file)."""
    return ANSI.sub("", path.read_text(errors="replace")) if path.exists() else ""


def started_tansu(broker: EmbeddedBroker, rust_log: str) -> EmbeddedBroker:
    old = os.environ.get("RUST_LOG")
    os.environ["RUST_LOG"] = rust_log        # EmbeddedBroker.start passes RUST_LOG through
    try:
        return broker.start()
    finally:
        if old is None:
            os.environ.pop("RUST_LOG", None)
        else:
            os.environ["RUST_LOG"] = old


# --- 2. Tansu's own authentication (Tansu only) -----------------------------------------------------------------------------

class AuthenticatingTansu(EmbeddedBroker):
    """The embedded broker with ``--authentication`` (memory storage, plaintext listener)."""

    def command(self) -> list[str]:
        return super().command() + ["--authentication"]


@pytest.fixture(scope="module")
def auth_tansu(tmp_path_factory):
    log = tmp_path_factory.mktemp("auth-tansu") / "broker.log"
    # tansu_auth at debug names the mechanism and user of every SASL attempt: the evidence read below
    broker = started_tansu(AuthenticatingTansu(port=free_port(), log_path=log), "tansu_auth=debug,warn")
    yield broker, log
    broker.stop()


def test_tansu_refuses_every_client_without_valid_credentials(auth_tansu):
    broker, log = auth_tansu
    base = {"NEWSSTREAMS_BROKER": broker.address}
    assert try_connect(base) is not None, "a client without SASL got in"
    assert try_connect({**base, **scram_env(mechanism="PLAIN")}) is not None, "SASL PLAIN got in"
    assert try_connect({**base, **scram_env(password="not-the-password")}) is not None, "a wrong password got in"
    tansu_log = text_of(log)
    assert "NotAuthenticated" in tansu_log                                   # the client without SASL
    assert "NoSharedMechanism" in tansu_log                                  # PLAIN is not offered
    assert 'available=["SCRAM-SHA-512", "SCRAM-SHA-256", "OAUTHBEARER"]' in tansu_log


def test_tansu_cannot_create_users_so_scram_never_succeeds(auth_tansu):
    # Pins down the limit that keeps the end-to-end test on the gateway below: if a Tansu upgrade makes this
    # fail, move test_worker_over_tls_and_scram_processes_an_article_end_to_end onto Tansu itself.
    broker, _ = auth_tansu
    created = subprocess.run([find_tansu_binary(), "user", "create", "--broker", f"tcp://{broker.address}",
                              USER, PASSWORD], check=False, capture_output=True, text=True, timeout=30)
    assert created.returncode != 0, "tansu user create worked on an authenticating broker: update this test"
    assert try_connect({"NEWSSTREAMS_BROKER": broker.address, **scram_env()}) is not None


def test_worker_sends_its_scram_credentials_is_refused_and_never_prints_the_password(auth_tansu, tmp_path):
    broker, log = auth_tansu
    stack = SecureStack(broker.address, tmp_path, scram_env())
    handshake = f'auth_id="{USER}" mechanism=Scram512'           # Tansu's debug line for a SCRAM attempt
    before = text_of(log).count(handshake)                         # earlier tests' clients log it too
    worker = stack.start_worker(SHORT_GROUP_TIMEOUTS, wait=False)
    try:
        wait_until(lambda: text_of(log).count(handshake) > before, 60,
                   "the worker's SCRAM-SHA-512 handshake as its user")
        refused = f"authentication as '{USER}' with SCRAM-SHA-512 refused"
        wait_until(lambda: refused in text_of(worker.log) or worker.process.poll() is not None, 60,
                   "the worker to say it cannot get in")
        assert worker.process.poll() is None, f"the worker died:\n{text_of(worker.log)[-3000:]}"
        wait_until(lambda: _serves_metrics(worker), 30, "the worker's /metrics")
        time.sleep(3)                    # a few retries more: it must keep refusing to start, not crash
        assert worker.process.poll() is None, f"the worker died:\n{text_of(worker.log)[-3000:]}"
        metrics, worker_log = worker.metrics(), text_of(worker.log)
        assert "Worker ready" not in worker_log
        assert _articles_total(metrics) == 0
        assert PASSWORD not in worker_log and PASSWORD not in metrics
        assert PASSWORD not in text_of(log)                       # nor did the broker log it
    finally:
        worker.stop(timeout=20)


def _serves_metrics(worker) -> bool:
    try:
        return "newsstreams_articles_total" in worker.metrics()
    except OSError:
        return False


def _articles_total(metrics: str) -> float:
    return sum(float(line.rpartition(" ")[2]) for line in metrics.splitlines()
               if line.startswith("newsstreams_articles_total{"))


# --- 1. Apache Kafka: SASL_SSL with SCRAM users, SSL with client certificates --------------------------------

SCRAM_USERS = {"SCRAM-SHA-256": ("news-sha256", "Kq7-sha256-Pa55#word-4Rx"),
               "SCRAM-SHA-512": ("news-sha512", "Kq7-sha512-Pa55#word-8Vw")}
SECRETS = [password for _, password in SCRAM_USERS.values()]
SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


def openssl(*args) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> dict[str, Path]:
    """A throwaway CA; a server certificate for 127.0.0.1 and a client certificate, both signed by it; and a
    second CA with the same name that signed nothing here (the "unknown CA")."""
    if not shutil.which("openssl"):
        pytest.fail("openssl is needed for the TLS tests (Debian package openssl)")
    f = {n: folder / n for n in ("ca.key", "ca.pem", "other-ca.key", "other-ca.pem", "server.key", "server.csr",
                                 "server.pem", "client.key", "client.csr", "client.pem", "san.cnf", "keystore.pem")}
    f["san.cnf"].write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f[f"{ca}.key"], "-out", f[f"{ca}.pem"],
                "-days", "1", "-subj", "/CN=newsstreams-test-ca")
    for who, subject in (("server", "/CN=127.0.0.1"), ("client", "/CN=newsstreams-worker")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f[f"{who}.key"], "-out", f[f"{who}.csr"],
                "-subj", subject)
        openssl("x509", "-req", "-in", f[f"{who}.csr"], "-CA", f["ca.pem"], "-CAkey", f["ca.key"], "-CAcreateserial",
                "-out", f[f"{who}.pem"], "-days", "1", *(["-extfile", f["san.cnf"]] if who == "server" else []))
    # Kafka reads a PEM keystore: the (unencrypted PKCS#8) private key and its certificate in one file
    f["keystore.pem"].write_text(f["server.key"].read_text() + f["server.pem"].read_text())
    return f


@pytest.fixture(scope="module")
def secure_kafka(request, tmp_path_factory):
    require_engine(request.config, "kafka")
    folder = tmp_path_factory.mktemp("secure-kafka")
    certs = make_certificates(folder)
    config = {
        "ssl.keystore.type": "PEM", "ssl.keystore.location": str(certs["keystore.pem"]),
        "ssl.truststore.type": "PEM", "ssl.truststore.location": str(certs["ca.pem"]),
        "listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": SCRAM_LOGIN,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": SCRAM_LOGIN,
        "listener.name.ssl.ssl.client.auth": "required",
    }
    broker = KafkaBroker(data_dir=folder / "kafka", log_path=folder / "kafka.log", config=config,
                         listeners={"SASL_SSL": free_port(), "SSL": free_port()}).start()
    # users created with Kafka's own kafka-configs, the password in a file (never on a command line)
    for mechanism, (user, password) in SCRAM_USERS.items():
        secret = folder / f"{user}.properties"
        secret.write_text(f"{mechanism}=iterations=8192,password={password}\n")   # the file form: no brackets
        created = run_kafka_tool("org.apache.kafka.tools.ConfigCommand", "--bootstrap-server", broker.address,
                                 "--alter", "--entity-type", "users", "--entity-name", user,
                                 "--add-config-file", str(secret))
        assert created.returncode == 0, created.stdout + created.stderr
        secret.unlink()
    yield broker, certs, folder / "kafka.log"
    broker.stop()


def sasl_ssl_env(certs, mechanism: str, password: str | None = None) -> dict[str, str]:
    user, right = SCRAM_USERS[mechanism]
    return {"NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "NEWSSTREAMS_KAFKA_SASL_MECHANISM": mechanism,
            "NEWSSTREAMS_KAFKA_SASL_USERNAME": user, "NEWSSTREAMS_KAFKA_SASL_PASSWORD": password or right,
            "NEWSSTREAMS_KAFKA_SSL_CAFILE": str(certs["ca.pem"])}


def ssl_env(certs, client_certificate: bool = True, ca: str = "ca.pem") -> dict[str, str]:
    env = {"NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL": "SSL", "NEWSSTREAMS_KAFKA_SSL_CAFILE": str(certs[ca])}
    if client_certificate:
        env.update(NEWSSTREAMS_KAFKA_SSL_CERTFILE=str(certs["client.pem"]),
                   NEWSSTREAMS_KAFKA_SSL_KEYFILE=str(certs["client.key"]))
    return env


def command_lines(worker) -> str:
    """The argv of the worker and of every process in its session (the process pool), as ps would show them."""
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getsid(int(proc.name)) == worker.process.pid:
                    out.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                pass
    return "\n".join(out)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def run_end_to_end(stack: SecureStack, seed_bytes: bytes, tmp_path: Path) -> None:
    worker = stack.start_worker(SHORT_GROUP_TIMEOUTS, wait=False)
    try:
        wait_for_metrics(worker, timeout=180)
        argv = command_lines(worker)
        article = tmp_path / "seed_article.txt"
        article.write_bytes(seed_bytes)
        # published with the CLI, configured by the same environment variables as the worker
        published = subprocess.run([sys.executable, "-m", "streams", "publish", str(article)], cwd=REPO,
                                   env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=120,
                                   check=False)
        assert published.returncode == 0, published.stdout + published.stderr
        records = [orjson.loads(m.value) for m in stack.read(stack.settings.topics.enriched, 1, timeout=120)]
        assert len(records) == 1, f"nothing enriched:\n{text_of(worker.log)[-3000:]}"
        assert records[0]["title"] == "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"
        assert "streams worker" in argv
        assert_no_secret(text_of(worker.log), worker.metrics(), argv, published.stdout + published.stderr)
    finally:
        assert worker.stop(sig=signal.SIGTERM, timeout=30) == 0


@pytest.mark.parametrize("mechanism", sorted(SCRAM_USERS))
def test_worker_logs_in_with_scram_over_tls_and_processes_an_article(secure_kafka, mechanism, tmp_path,
                                                                    seed_bytes):
    broker, certs, broker_log = secure_kafka
    stack = SecureStack(broker.listener_address("SASL_SSL"), tmp_path, sasl_ssl_env(certs, mechanism))
    run_end_to_end(stack, seed_bytes, tmp_path)
    assert_no_secret(text_of(broker_log))


def test_worker_with_a_client_certificate_processes_an_article(secure_kafka, tmp_path, seed_bytes):
    broker, certs, _ = secure_kafka
    run_end_to_end(SecureStack(broker.listener_address("SSL"), tmp_path, ssl_env(certs)), seed_bytes, tmp_path)


def test_clients_with_the_wrong_secret_ca_or_no_certificate_are_refused(secure_kafka):
    broker, certs, _ = secure_kafka
    sasl = {"NEWSSTREAMS_BROKER": broker.listener_address("SASL_SSL")}
    tls = {"NEWSSTREAMS_BROKER": broker.listener_address("SSL")}
    assert try_connect({**sasl, **sasl_ssl_env(certs, "SCRAM-SHA-256")}) is None
    assert try_connect({**sasl, **sasl_ssl_env(certs, "SCRAM-SHA-256", password="not-the-password")}) is not None
    # a user exists for one mechanism only: SCRAM-SHA-512 with the SHA-256 user's name and password is refused
    user, password = SCRAM_USERS["SCRAM-SHA-256"]
    assert try_connect({**sasl, **sasl_ssl_env(certs, "SCRAM-SHA-512"), "NEWSSTREAMS_KAFKA_SASL_USERNAME": user,
                        "NEWSSTREAMS_KAFKA_SASL_PASSWORD": password}) is not None
    assert try_connect({**sasl, **sasl_ssl_env(certs, "SCRAM-SHA-256"),
                        "NEWSSTREAMS_KAFKA_SSL_CAFILE": str(certs["other-ca.pem"])}) is not None
    assert try_connect({**tls, **ssl_env(certs)}) is None
    assert try_connect({**tls, **ssl_env(certs, client_certificate=False)}) is not None
    assert try_connect({**tls, **ssl_env(certs, ca="other-ca.pem")}) is not None
    assert try_connect({**tls, "NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}) is not None


REFUSALS = {
    # case: (listener, environment, what the worker's log says)
    "wrong-password": ("SASL_SSL", lambda c: sasl_ssl_env(c, "SCRAM-SHA-512", password="Wr0ng-Pa55word-for-logs"),
                       "SaslAuthenticationFailed"),
    "unknown-ca": ("SASL_SSL", lambda c: {**sasl_ssl_env(c, "SCRAM-SHA-256"),
                                          "NEWSSTREAMS_KAFKA_SSL_CAFILE": str(c["other-ca.pem"])},
                   "CERTIFICATE_VERIFY_FAILED"),
    "no-client-certificate": ("SSL", lambda c: ssl_env(c, client_certificate=False),
                              "listener requires client certificates, set kafka.ssl_certfile"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_worker_stays_up_says_why_and_processes_nothing(secure_kafka, case, tmp_path):
    broker, certs, _ = secure_kafka
    listener, make_env, reason = REFUSALS[case]
    env = make_env(certs)
    worker = SecureStack(broker.listener_address(listener), tmp_path, env).start_worker(SHORT_GROUP_TIMEOUTS,
                                                                                       wait=False)
    try:
        wait_until(lambda: reason in text_of(worker.log) or worker.process.poll() is not None, 60,
                   f"the worker to say why it is refused ({reason})")
        wait_until(lambda: "waiting for broker" in text_of(worker.log) and _serves_metrics(worker), 30,
                   "the worker to wait for the broker with its /metrics up")
        assert worker.process.poll() is None, f"the worker died:\n{text_of(worker.log)[-3000:]}"
        metrics, worker_log = worker.metrics(), text_of(worker.log)
        assert "Worker ready" not in worker_log and _articles_total(metrics) == 0
        wrong = env.get("NEWSSTREAMS_KAFKA_SASL_PASSWORD", "")
        for text in (worker_log, metrics, command_lines(worker)):
            assert_no_secret(text)
            assert not wrong or wrong not in text
    finally:
        worker.stop(timeout=20)
