"""streams/settings.py: defaults < YAML file < NEWSSTREAMS_* environment < command-line overrides."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from streams.settings import CATEGORY_SLUGS, Settings, load_settings, normalize_broker

REPO = Path(__file__).resolve().parents[1]
DEFAULT_YAML = REPO / "config" / "default.yaml"


@pytest.fixture(autouse=True)
def no_newsstreams_env(monkeypatch):
    """Tests that read os.environ must not see the caller's NEWSSTREAMS_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("NEWSSTREAMS_"):
            monkeypatch.delenv(name)


def flatten(mapping: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(text)
    return path


# --- defaults ------------------------------------------------------------------------------------

def test_defaults_equal_config_default_yaml_key_by_key():
    documented = flatten(yaml.safe_load(DEFAULT_YAML.read_text()))
    built_in = flatten(Settings().to_dict())
    assert sorted(documented) == sorted(built_in), "config/default.yaml and Settings list different keys"
    for key, value in built_in.items():
        assert documented[key] == value, f"{key}: default.yaml says {documented[key]!r}, Settings() {value!r}"


def test_loading_default_yaml_changes_nothing():
    assert load_settings(DEFAULT_YAML, env={}) == Settings()


def test_no_config_no_env_gives_the_defaults_and_the_embedded_broker():
    s = load_settings(env={})
    assert s == Settings()
    assert s.bootstrap_servers == "127.0.0.1:9092"
    assert s.topics.all_names()[:4] == ["articles.raw", "articles.parsed", "articles.enriched", "articles.dlq"]
    assert s.topics.all_names()[4:] == [f"articles.category.{slug}" for slug in CATEGORY_SLUGS]


def test_password_is_never_printed():
    s = load_settings(env={"NEWSSTREAMS_KAFKA_SASL_PASSWORD": "hunter2"})
    assert s.kafka.sasl_password == "hunter2"
    assert "hunter2" not in repr(s)


# --- environment ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, text, dotted, expected", [
    ("NEWSSTREAMS_BROKER", "kafka://k1:9093", "broker", "kafka://k1:9093"),
    ("NEWSSTREAMS_APP_ID", "my-workers", "app_id", "my-workers"),
    ("NEWSSTREAMS_METRICS_PORT", "0", "metrics.port", 0),
    ("NEWSSTREAMS_METRICS_BIND", "127.0.0.1", "metrics.bind", "127.0.0.1"),
    ("NEWSSTREAMS_PIPELINE_MODE", "fast", "pipeline.mode", "fast"),
    ("NEWSSTREAMS_TOPICS_PARTITIONS", "8", "topics.partitions", 8),
    ("NEWSSTREAMS_TOPICS_CATEGORY_PREFIX", "news.cat.", "topics.category_prefix", "news.cat."),
    ("NEWSSTREAMS_EMBEDDED_BROKER_PORT", "19092", "embedded_broker.port", 19092),
    ("NEWSSTREAMS_PIPELINE_BATCH_TIMEOUT", "0.5", "pipeline.batch_timeout", 0.5),
    ("NEWSSTREAMS_PIPELINE_SHUTDOWN_TIMEOUT", "5", "pipeline.shutdown_timeout", 5.0),
    ("NEWSSTREAMS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "kafka.security_protocol", "SASL_SSL"),
    ("NEWSSTREAMS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "kafka.sasl_mechanism", "SCRAM-SHA-512"),
    ("NEWSSTREAMS_KAFKA_SASL_USERNAME", "alice", "kafka.sasl_username", "alice"),
])
def test_environment_overrides_each_key(name, text, dotted, expected):
    s = load_settings(env={name: text})
    value = s
    for part in dotted.split("."):
        value = getattr(value, part)
    assert value == expected and type(value) is type(expected)


def test_environment_values_are_yaml_scalars():
    s = load_settings(env={"NEWSSTREAMS_KAFKA_SASL_MECHANISM": "null", "NEWSSTREAMS_PIPELINE_PROCESSES": "2",
                           "NEWSSTREAMS_PIPELINE_BATCH_SIZE": "0x10"})
    assert s.kafka.sasl_mechanism is None
    assert s.pipeline.processes == 2 and s.pipeline.pool_size == 2
    assert s.pipeline.batch_size == 16


def test_empty_environment_value_unsets_a_nullable_setting(tmp_path):
    config = write(tmp_path, "broker: kafka://from-file:9092\n")
    s = load_settings(config, env={"NEWSSTREAMS_BROKER": ""})
    assert s.broker is None and s.bootstrap_servers == "127.0.0.1:9092"


def test_os_environ_is_read_by_default(monkeypatch):
    monkeypatch.setenv("NEWSSTREAMS_METRICS_PORT", "9999")
    monkeypatch.setenv("NEWSSTREAMS_BROKER", "h1:1,h2:2")
    s = load_settings()
    assert s.metrics.port == 9999 and s.bootstrap_servers == "h1:1,h2:2"


def test_unrelated_newsstreams_variables_are_ignored():
    # NEWSSTREAMS_TANSU_BIN and NEWSSTREAMS_CONFIG are read elsewhere; they are not settings keys
    assert load_settings(env={"NEWSSTREAMS_TANSU_BIN": "/bin/tansu", "NEWSSTREAMS_NOT_A_KEY": "1"}) == Settings()


@pytest.mark.parametrize("name, dotted, text", [
    ("NEWSSTREAMS_KAFKA_SASL_PASSWORD", "kafka.sasl_password", "#s3cret"),     # YAML: a comment -> None
    ("NEWSSTREAMS_KAFKA_SASL_PASSWORD", "kafka.sasl_password", "12:30"),       # YAML 1.1: sexagesimal 750
    ("NEWSSTREAMS_KAFKA_SASL_PASSWORD", "kafka.sasl_password", "on"),          # YAML 1.1: True
    ("NEWSSTREAMS_KAFKA_SASL_PASSWORD", "kafka.sasl_password", "[abc"),        # YAML: a parse error
    ("NEWSSTREAMS_APP_ID", "app_id", "0123"),                                  # "83"
    ("NEWSSTREAMS_KAFKA_SSL_CAFILE", "kafka.ssl_cafile", "/etc/ssl/ca: prod.pem"),   # YAML: a mapping
])
def test_string_settings_from_the_environment_are_taken_verbatim(name, dotted, text):
    """A password, user name or path is text: it must not be reinterpreted as a YAML number, bool or comment."""
    s = load_settings(env={name: text})
    value = s
    for part in dotted.split("."):
        value = getattr(value, part)
    assert value == text


# --- file, environment and command line together ----------------------------------------------

def test_precedence_defaults_file_environment_command_line(tmp_path):
    config = write(tmp_path, "metrics:\n  port: 1000\n  bind: 127.0.0.2\npipeline:\n  mode: fast\n  batch_size: 7\n")
    s = load_settings(config, env={"NEWSSTREAMS_METRICS_PORT": "2000", "NEWSSTREAMS_PIPELINE_BATCH_SIZE": "8"},
                      overrides={"metrics.port": 3000, "pipeline.mode": None})
    assert s.metrics.port == 3000            # command line beats environment and file
    assert s.pipeline.batch_size == 8        # environment beats file
    assert s.metrics.bind == "127.0.0.2"     # file beats defaults
    assert s.pipeline.mode == "fast"         # an unset flag (None) does not mask the file
    assert s.topics.partitions == 4          # untouched default


def test_config_path_from_newsstreams_config(tmp_path):
    config = write(tmp_path, "topics:\n  partitions: 12\n")
    assert load_settings(env={"NEWSSTREAMS_CONFIG": str(config)}).topics.partitions == 12


def test_an_empty_config_file_is_the_defaults(tmp_path):
    assert load_settings(write(tmp_path, "# nothing\n"), env={}) == Settings()


def test_command_line_overrides_are_coerced_to_the_setting_type():
    s = load_settings(env={}, overrides={"metrics.port": "0", "pipeline.batch_timeout": "1"})
    assert s.metrics.port == 0 and s.pipeline.batch_timeout == 1.0
    assert isinstance(s.pipeline.batch_timeout, float)


# --- what is refused -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("nope: 1\n", ["unknown setting", "'nope'"]),
    ("metrics:\n  nope: 1\n", ["unknown setting", "'metrics.nope'"]),
    ("metrics: 5\n", ["unknown setting", "'metrics'"]),
    ("topics:\n  raw:\n    name: x\n", ["unknown setting", "'topics.raw.name'"]),
    ("metrics:\n  port: lots\n", ["metrics.port", "int", "'lots'"]),
    ("pipeline:\n  batch_timeout: soon\n", ["pipeline.batch_timeout", "float", "'soon'"]),
    ("- a\n- b\n", ["must be a mapping"]),
])
def test_bad_config_files_are_refused_naming_the_file_and_the_key(tmp_path, text, words):
    config = write(tmp_path, text)
    with pytest.raises(ValueError) as e:
        load_settings(config, env={})
    message = str(e.value)
    assert str(config) in message
    for word in words:
        assert word in message


def test_bad_environment_value_names_the_variable():
    expected = r"NEWSSTREAMS_TOPICS_PARTITIONS: topics\.partitions must be an? int, got 'many'"
    with pytest.raises(ValueError, match=expected):
        load_settings(env={"NEWSSTREAMS_TOPICS_PARTITIONS": "many"})


def test_unknown_command_line_key_is_refused():
    with pytest.raises(ValueError, match=r"command line: unknown setting 'metrics\.nope'"):
        load_settings(env={}, overrides={"metrics.nope": 1})


@pytest.mark.parametrize("env, words", [
    ({"NEWSSTREAMS_PIPELINE_MODE": "turbo"}, "pipeline.mode must be 'accurate' or 'fast'"),
    ({"NEWSSTREAMS_TOPICS_PARTITIONS": "0"}, "topics.partitions must be at least 1"),
    ({"NEWSSTREAMS_METRICS_PORT": "70000"}, "metrics.port must be 0..65535"),
    ({"NEWSSTREAMS_METRICS_PORT": "-1"}, "metrics.port must be 0..65535"),
    ({"NEWSSTREAMS_PIPELINE_BATCH_SIZE": "0"}, "pipeline.batch_size must be at least 1"),
])
def test_out_of_range_values_are_refused(env, words):
    with pytest.raises(ValueError, match=words.replace(".", r"\.")):
        load_settings(env=env)


@pytest.mark.parametrize("env", [
    {"NEWSSTREAMS_TOPICS_PARTITIONS": "2.5"},     # silently truncated to 2 today
    {"NEWSSTREAMS_METRICS_PORT": "true"},         # silently becomes port 1 today
    {"NEWSSTREAMS_METRICS_PORT": "null"},         # None, then a TypeError in validation today
    {"NEWSSTREAMS_PIPELINE_PROCESSES": ""},       # None, then a TypeError in pool_size today
])
def test_values_of_the_wrong_type_are_refused_with_a_value_error(env):
    """A bad value must stop start-up with a ValueError naming the key (the CLI prints it), never be
    silently converted, and never surface later as a TypeError."""
    [(name, _)] = env.items()
    with pytest.raises(ValueError, match=name):
        _ = load_settings(env=env).pipeline.pool_size    # a None here would be a TypeError at pool start


@pytest.mark.parametrize("text", ["log_level: [debug, info]\n", "kafka:\n  sasl_username: {name: x}\n",
                                  "metrics:\n  port: null\n"])
def test_config_values_of_the_wrong_shape_are_refused(tmp_path, text):
    """Lists and mappings are not strings (today: silently str()-ed or kept as is); null only for nullable keys."""
    with pytest.raises(ValueError, match="settings.yaml"):
        _ = load_settings(write(tmp_path, text), env={}).pipeline.pool_size


def test_invalid_yaml_file_is_a_value_error_naming_the_file(tmp_path):
    """The CLI turns ValueError/OSError into 'newsstreams: <message>' and exit 2; anything else is a traceback."""
    config = write(tmp_path, "metrics: [1\n")
    with pytest.raises(ValueError, match="settings.yaml"):
        load_settings(config, env={})


def test_missing_config_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        load_settings(tmp_path / "absent.yaml", env={})


# --- broker addresses ----------------------------------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    ("kafka://h:1", "h:1"),
    ("h:1", "h:1"),
    ("kafka://h:1,h2:2", "h:1,h2:2"),
    ("kafka://h:1,kafka://h2:2", "h:1,h2:2"),
    (" h:1 , h2:2 ", "h:1,h2:2"),
    ("kafka://h:1/", "h:1"),
    ("broker-0", "broker-0:9092"),
    ("h:1,,h2:2,", "h:1,h2:2"),
])
def test_normalize_broker(given, expected):
    assert normalize_broker(given) == expected


@pytest.mark.parametrize("given", ["", ",", "kafka://", " , "])
def test_normalize_broker_refuses_an_empty_address(given):
    with pytest.raises(ValueError, match="no broker address"):
        normalize_broker(given)


def test_bootstrap_servers_uses_the_configured_broker():
    s = load_settings(env={"NEWSSTREAMS_BROKER": "kafka://a:1,kafka://b:2"})
    assert s.bootstrap_servers == "a:1,b:2"
    s = load_settings(env={"NEWSSTREAMS_EMBEDDED_BROKER_PORT": "19999"})
    assert s.bootstrap_servers == "127.0.0.1:19999"


def test_settings_round_trip_through_to_dict():
    s = load_settings(env={"NEWSSTREAMS_PIPELINE_MODE": "fast"})
    d = s.to_dict()
    assert d["pipeline"]["mode"] == "fast" and d["kafka"]["sasl_password"] is None
    assert [f.name for f in dataclasses.fields(Settings)] == list(d)
