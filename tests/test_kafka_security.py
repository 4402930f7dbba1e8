"""Kafka security settings reach aiokafka and Faust; secrets never reach logs or /metrics."""
from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import sys

import faust
import pytest
from prometheus_client import generate_latest

from streams.kafka import client_options, faust_credentials
from streams.metrics import init_labels
from streams.settings import load_settings

SECRET = "s3cr3t-Pa55#word"


def sasl_settings(**extra):
    env = {"NEWSSTREAMS_BROKER": "kafka.example:9093", "NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
           "NEWSSTREAMS_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "NEWSSTREAMS_KAFKA_SASL_USERNAME": "newsstreams",
           "NEWSSTREAMS_KAFKA_SASL_PASSWORD": SECRET, **extra}
    return load_settings(env=env)


def test_sasl_scram_over_tls_is_passed_to_aiokafka():
    opts = client_options(sasl_settings())
    assert opts["bootstrap_servers"] == "kafka.example:9093"
    assert opts["security_protocol"] == "SASL_SSL" and opts["sasl_mechanism"] == "SCRAM-SHA-512"
    assert opts["sasl_plain_username"] == "newsstreams" and opts["sasl_plain_password"] == SECRET
    assert isinstance(opts["ssl_context"], ssl.SSLContext)


def test_sasl_plain_and_tls_only_are_passed_to_faust():
    creds = faust_credentials(sasl_settings(NEWSSTREAMS_KAFKA_SASL_MECHANISM="PLAIN"))
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.username == "newsstreams" and creds.password == SECRET and creds.ssl_context is not None
    tls = load_settings(env={"NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL": "SSL"})
    assert isinstance(faust_credentials(tls), faust.SSLCredentials)
    assert faust_credentials(load_settings(env={})) is None


def test_a_ca_file_is_loaded_into_the_tls_context(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    key, cert = tmp_path / "ca.key", tmp_path / "ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=test-ca"], check=True, capture_output=True)
    opts = client_options(load_settings(env={"NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL": "SSL",
                                             "NEWSSTREAMS_KAFKA_SSL_CAFILE": str(cert)}))
    assert any(c.get("subject") == ((("commonName", "test-ca"),),) for c in opts["ssl_context"].get_ca_certs())


def test_the_password_is_not_in_the_settings_repr_logs_or_metrics(caplog):
    settings = sasl_settings()
    assert SECRET not in repr(settings) and SECRET not in repr(settings.kafka)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("newsstreams").info("settings: %s", settings)
    assert SECRET not in caplog.text
    init_labels()
    assert SECRET not in generate_latest().decode()


def test_the_worker_command_line_never_carries_the_password():
    # secrets come from the environment or the config file, never from argv (visible in ps)
    from streams.cli import build_parser

    help_text = build_parser().format_help() + subprocess.run(
        [sys.executable, "-m", "streams", "worker", "--help"], capture_output=True, text=True).stdout
    assert "password" not in help_text.lower()


def test_a_refused_login_is_explained_without_the_password():
    from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed

    from streams.kafka import refusal_reason

    settings = sasl_settings()
    reason = refusal_reason(settings, SaslAuthenticationFailed("bad proof"))
    assert "newsstreams" in reason and "SCRAM-SHA-512" in reason and "refused" in reason and SECRET not in reason
    assert refusal_reason(settings, KafkaConnectionError("down")) == "KafkaConnectionError"
    assert refusal_reason(load_settings(env={}), KeyError("v")) == "KeyError"
    # TLS without SASL and without a client certificate: Kafka closes the connection silently if it needs one
    tls_only = load_settings(env={"NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL": "SSL"})
    assert "set kafka.ssl_certfile and kafka.ssl_keyfile" in refusal_reason(tls_only, KafkaConnectionError("closed"))
