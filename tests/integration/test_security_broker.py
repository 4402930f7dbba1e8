"""Kafka security against a real authenticating broker (issue #7): what the worker's SASL/TLS settings do on the wire.

Two brokers, each started by this module (never the session broker):

1. **Tansu 0.6.0 with ``--authentication``** (the embedded broker's own auth). Its limits, found by running it:
   it offers SCRAM-SHA-512, SCRAM-SHA-256 and OAUTHBEARER (no PLAIN); it refuses every request before SASL,
   including AlterUserScramCredentials, so no user can be created on it; and its memory/S3 storage answers
   AlterUserScramCredentials "ok" without storing anything (seen with S3 storage: no object written), so no
   SCRAM login can ever succeed. ``--cert``/``--key`` conflict on its command line and ``--cert`` alone still
   serves plaintext. What this broker *can* prove: clients without valid credentials are refused, and a worker
   configured only through ``NEWSSTREAMS_KAFKA_*`` really performs the SCRAM handshake as its user, is refused,
   processes nothing, says why in its log and never prints the password (log, /metrics).

2. **A TLS + SASL/SCRAM-SHA-512 gateway in front of a plaintext Tansu** (``ScramTlsGateway`` below): the test
   terminates TLS with a throwaway CA and checks SCRAM (RFC 5802/7677) itself, then pipes the authenticated
   connection to Tansu, which advertises the gateway's address. The client verifies the server's SCRAM
   signature, so a wrong implementation on either side fails. This is where a worker configured only through
   the environment (SASL_SSL, SCRAM-SHA-512, CA file) processes an article end to end, and where a wrong
   password or an unknown CA is refused. The authentication here is the test's, not Tansu's: it proves the
   client side (aiokafka, Faust, the CLI), not a broker.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import secrets
import shutil
import signal
import ssl
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from streams.broker import EmbeddedBroker, find_tansu_binary, free_port
from streams.kafka import client_options
from streams.settings import load_settings

from harness import REPO, Stack, wait_for_metrics

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


# --- 1. Tansu's own authentication -----------------------------------------------------------------------------

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


# --- 2. TLS + SCRAM at a gateway in front of a plaintext Tansu -------------------------------------------------

API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE = 18, 17, 36
UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED = 33, 58


class ScramServer:
    """The server side of SCRAM-SHA-512 (RFC 5802, RFC 7677) for one connection."""

    def __init__(self, users: dict[str, str], iterations: int = 4096):
        self.users, self.iterations = users, iterations
        self.salt, self.nonce = secrets.token_bytes(16), base64.b64encode(secrets.token_bytes(18)).decode()
        self.first: tuple[str, str, str] | None = None       # client-first-bare, server-first, user

    def step(self, message: bytes) -> tuple[bytes, bool, bool]:
        """One client message -> (reply, authenticated, failed)."""
        text = message.decode()
        if self.first is None:
            bare = text.split(",", 2)[2]                     # drop the gs2 header "n,,"
            fields = dict(part.split("=", 1) for part in bare.split(","))
            server_first = (f"r={fields['r']}{self.nonce},s={base64.b64encode(self.salt).decode()},"
                            f"i={self.iterations}")
            self.first = (bare, server_first, fields["n"])
            return server_first.encode(), False, False
        bare, server_first, user = self.first
        without_proof, _, proof = text.rpartition(",p=")
        password = self.users.get(user)
        if password is None or not without_proof.startswith("c=biws,r=") or self.nonce not in without_proof:
            return b"e=unknown-user", False, True
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(), self.salt, self.iterations)
        client_key = hmac.digest(salted, b"Client Key", "sha512")
        stored_key = hashlib.sha512(client_key).digest()
        auth_message = f"{bare},{server_first},{without_proof}".encode()
        signature = hmac.digest(stored_key, auth_message, "sha512")
        claimed_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
        if not hmac.compare_digest(hashlib.sha512(claimed_key).digest(), stored_key):
            return b"e=invalid-proof", False, True
        server_key = hmac.digest(salted, b"Server Key", "sha512")
        return b"v=" + base64.b64encode(hmac.digest(server_key, auth_message, "sha512")), True, False


class ScramTlsGateway:
    """TLS listener that requires SASL/SCRAM-SHA-512 before piping a connection to a plaintext broker.

    Before authentication only ApiVersions (forwarded), SaslHandshake and SaslAuthenticate are answered;
    anything else closes the connection, as Kafka does. Runs its own event loop in a thread.
    """

    def __init__(self, upstream: tuple[str, int], port: int, context: ssl.SSLContext, users: dict[str, str]):
        self.upstream, self.port, self.context, self.users = upstream, port, context, users
        self.events: list[str] = []          # "ok <user>", "refused <reason>": what the test asserts on
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None

    def start(self) -> ScramTlsGateway:
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self.handle, "127.0.0.1", self.port, ssl=self.context), self.loop).result(10)
        return self

    def stop(self) -> None:
        async def close():
            self.server.close()
            connections = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader = up_writer = None
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            if await self.authenticate(reader, writer, up_reader, up_writer):
                await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    w.close()

    async def authenticate(self, reader, writer, up_reader, up_writer) -> bool:
        scram: ScramServer | None = None
        while True:
            frame = await read_frame(reader)
            api_key, version, correlation = struct.unpack(">hhi", frame[:8])
            body = frame[10 + max(0, struct.unpack(">h", frame[8:10])[0]):]      # after the client id
            if api_key == API_VERSIONS:
                up_writer.write(struct.pack(">i", len(frame)) + frame)
                writer.write(struct.pack(">i", len(reply := await read_frame(up_reader))) + reply)
            elif api_key == SASL_HANDSHAKE:
                mechanism = body[2:2 + struct.unpack(">h", body[:2])[0]].decode()
                scram = ScramServer(self.users) if mechanism == "SCRAM-SHA-512" else None
                error = 0 if scram else UNSUPPORTED_SASL_MECHANISM
                if not scram:
                    self.events.append(f"refused mechanism {mechanism}")
                writer.write(response(correlation, struct.pack(">hi", error, 1) + kafka_string("SCRAM-SHA-512")))
            elif api_key == SASL_AUTHENTICATE and scram is not None:
                token = body[4:4 + struct.unpack(">i", body[:4])[0]]
                reply, done, failed = scram.step(token)
                error, message = (SASL_AUTHENTICATION_FAILED, "Authentication failed") if failed else (0, None)
                payload = struct.pack(">h", error) + kafka_string(message) + struct.pack(">i", len(reply)) + reply
                if version >= 1:
                    payload += struct.pack(">q", 0)                             # session_lifetime_ms
                if failed or done:           # recorded before the client can see the answer
                    self.events.append(f"ok {scram.first[2]}" if done else f"refused {reply.decode()}")
                writer.write(response(correlation, payload))
                if failed or done:
                    await writer.drain()
                    return done
            else:
                self.events.append(f"refused api_key {api_key} before authentication")
                return False
            await writer.drain()


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    return await reader.readexactly(size)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


def response(correlation: int, payload: bytes) -> bytes:
    return struct.pack(">ii", 4 + len(payload), correlation) + payload


def kafka_string(text: str | None) -> bytes:
    if text is None:
        return struct.pack(">h", -1)
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server.key)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    ca_key, ca, key, csr, cert, ext = (folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr",
                                                             "server.pem", "san.cnf"))
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for cmd in (["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "1",
                 "-subj", "/CN=newsstreams-test-ca"],
                ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
                ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
                 "-days", "1", "-extfile", ext]):
        subprocess.run(["openssl", *map(str, cmd)], check=True, capture_output=True, timeout=60)
    return ca, cert, key


@pytest.fixture(scope="module")
def tls_scram_broker(tmp_path_factory):
    """Plaintext Tansu on a private port, advertising the TLS+SCRAM gateway's address; yields the gateway."""
    folder = tmp_path_factory.mktemp("tls-scram")
    ca, cert, key = make_ca_and_server_cert(folder)
    gateway_port = free_port()

    class BehindGateway(EmbeddedBroker):
        def command(self) -> list[str]:
            cmd = super().command()
            cmd[cmd.index("--advertised-listener-url") + 1] = f"tcp://127.0.0.1:{gateway_port}"
            return cmd

    broker = started_tansu(BehindGateway(port=free_port(), log_path=folder / "broker.log"), "warn")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    gateway = ScramTlsGateway(("127.0.0.1", broker.port), gateway_port, context, {USER: PASSWORD}).start()
    gateway.ca = ca
    gateway.address = f"127.0.0.1:{gateway_port}"
    yield gateway
    gateway.stop()
    broker.stop()


def test_clients_with_a_wrong_password_or_an_unknown_ca_are_refused(tls_scram_broker, tmp_path):
    gateway = tls_scram_broker
    base = {"NEWSSTREAMS_BROKER": gateway.address}
    right = scram_env(protocol="SASL_SSL", NEWSSTREAMS_KAFKA_SSL_CAFILE=str(gateway.ca))
    assert try_connect({**base, **right}) is None, f"the right credentials were refused: {gateway.events}"
    assert f"ok {USER}" in gateway.events

    assert try_connect({**base, **right, "NEWSSTREAMS_KAFKA_SASL_PASSWORD": "not-the-password"}) is not None
    assert "refused e=invalid-proof" in gateway.events

    other_ca, _, _ = make_ca_and_server_cert(tmp_path)          # same subject, different key: not trusted
    refused = try_connect({**base, **right, "NEWSSTREAMS_KAFKA_SSL_CAFILE": str(other_ca)})
    assert refused is not None, "a server certificate from an untrusted CA was accepted"


def test_worker_with_a_wrong_password_processes_nothing_and_says_why(tls_scram_broker, tmp_path):
    gateway = tls_scram_broker
    wrong = "Wr0ng-Pa55word-for-the-log-check"
    env = scram_env(password=wrong, protocol="SASL_SSL", NEWSSTREAMS_KAFKA_SSL_CAFILE=str(gateway.ca))
    worker = SecureStack(gateway.address, tmp_path, env).start_worker(SHORT_GROUP_TIMEOUTS, wait=False)
    try:
        wait_until(lambda: "SaslAuthenticationFailed" in text_of(worker.log) or worker.process.poll() is not None,
                   60, "the worker to report the refused authentication")
        wait_until(lambda: "waiting for broker" in text_of(worker.log) and _serves_metrics(worker), 30,
                   "the worker to wait for the broker with its /metrics up")
        assert worker.process.poll() is None, f"the worker died:\n{text_of(worker.log)[-3000:]}"
        metrics, worker_log = worker.metrics(), text_of(worker.log)
        assert "Worker ready" not in worker_log and _articles_total(metrics) == 0
        assert wrong not in worker_log and wrong not in metrics
        assert "refused e=invalid-proof" in gateway.events
    finally:
        worker.stop(timeout=20)


def test_worker_over_tls_and_scram_processes_an_article_end_to_end(tls_scram_broker, tmp_path, seed_bytes):
    gateway = tls_scram_broker
    env = scram_env(protocol="SASL_SSL", NEWSSTREAMS_KAFKA_SSL_CAFILE=str(gateway.ca))
    stack = SecureStack(gateway.address, tmp_path, env)
    started = time.monotonic()
    worker = stack.start_worker(SHORT_GROUP_TIMEOUTS, wait=False)
    try:
        wait_for_metrics(worker, timeout=180)
        ready = time.monotonic() - started
        article = tmp_path / "seed_article.txt"
        article.write_bytes(seed_bytes)
        # published with the CLI, configured by the same environment variables as the worker
        published = subprocess.run([sys.executable, "-m", "streams", "publish", str(article)], cwd=REPO,
                                   env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=120,
                                   check=False)
        assert published.returncode == 0, published.stdout + published.stderr
        sent = time.monotonic()
        records = [orjson.loads(m.value) for m in stack.read(stack.settings.topics.enriched, 1, timeout=120)]
        assert len(records) == 1, f"nothing enriched:\n{text_of(worker.log)[-3000:]}"
        assert records[0]["title"] == "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"
        print(f"\n[security] worker ready over TLS+SCRAM in {ready:.1f} s; article enriched "
              f"{time.monotonic() - sent:.1f} s after publish; gateway logins: "
              f"{sum(e.startswith('ok ') for e in gateway.events)}", flush=True)
        assert sum(e == f"ok {USER}" for e in gateway.events) >= 3      # worker admin, Faust clients, CLI
        assert not any(e.startswith("refused") and "invalid-proof" not in e for e in gateway.events)
        metrics, worker_log = worker.metrics(), text_of(worker.log)
        assert PASSWORD not in worker_log and PASSWORD not in metrics
        assert PASSWORD not in published.stdout + published.stderr
    finally:
        worker.stop(sig=signal.SIGTERM, timeout=30)
