"""One typed settings object, read once: defaults < YAML file < NEWSSTREAMS_* environment < CLI flags.

The defaults below are the ones documented in ``config/default.yaml`` (a test keeps the two equal).
Environment variables are named after the key path: ``NEWSSTREAMS_BROKER``, ``NEWSSTREAMS_METRICS_PORT``,
``NEWSSTREAMS_PIPELINE_MODE`` ...; their values are parsed as YAML scalars (``4``, ``true``, ``null``).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

ENV_PREFIX = "NEWSSTREAMS_"
CATEGORY_SLUGS = (
    "arts", "conflict", "crime", "disaster", "economy", "education", "environment", "health",
    "human_interest", "labour", "lifestyle", "politics", "religion", "science", "technology",
    "society", "sport", "weather",
)


@dataclass
class Topics:
    raw: str = "articles.raw"
    parsed: str = "articles.parsed"
    enriched: str = "articles.enriched"
    dlq: str = "articles.dlq"
    category_prefix: str = "articles.category."
    partitions: int = 4
    replication_factor: int = 1

    def category(self, slug: str) -> str:
        return f"{self.category_prefix}{slug}"

    def all_names(self) -> list[str]:
        return [self.raw, self.parsed, self.enriched, self.dlq] + [self.category(s) for s in CATEGORY_SLUGS]


@dataclass
class Metrics:
    port: int = 9108
    bind: str = "0.0.0.0"


@dataclass
class Ui:
    port: int = 8808
    bind: str = "127.0.0.1"   # the page has no authentication: loopback unless you put a proxy in front


@dataclass
class EmbeddedBroker:
    port: int = 9092


@dataclass
class Pipeline:
    mode: str = "accurate"
    batch_size: int = 32
    batch_timeout: float = 0.1
    processes: int = 0
    max_message_bytes: int = 5 * 1024 * 1024
    max_text_chars: int = 200_000
    max_json_depth: int = 64
    max_attempts: int = 3
    dlq_payload_bytes: int = 256 * 1024
    shutdown_timeout: float = 30.0
    dedupe_max_articles: int = 20_000    # near-duplicate index bound (~9 KB an article in every worker)

    @property
    def pool_size(self) -> int:
        return self.processes if self.processes > 0 else (os.cpu_count() or 1)


@dataclass
class Kafka:
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)  # never printed
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    fetch_max_wait_ms: int = 100
    session_timeout: float = 60.0        # seconds before the group gives a silent worker's partitions away
    heartbeat_interval: float = 3.0
    rebalance_timeout: float = 60.0


@dataclass
class Settings:
    broker: str | None = None
    app_id: str = "newsstreams"
    log_level: str = "info"
    topics: Topics = field(default_factory=Topics)
    metrics: Metrics = field(default_factory=Metrics)
    ui: Ui = field(default_factory=Ui)
    embedded_broker: EmbeddedBroker = field(default_factory=EmbeddedBroker)
    pipeline: Pipeline = field(default_factory=Pipeline)
    kafka: Kafka = field(default_factory=Kafka)

    @property
    def bootstrap_servers(self) -> str:
        """``host:port[,host:port]`` for aiokafka (the embedded broker's address when none is configured)."""
        return normalize_broker(self.broker) if self.broker else f"127.0.0.1:{self.embedded_broker.port}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def normalize_broker(url: str) -> str:
    """``kafka://h:p,kafka://h2:p`` or ``h:p,h2:p`` -> ``h:p,h2:p``."""
    hosts = []
    for part in url.split(","):
        part = part.strip()
        if "://" in part:
            part = part.split("://", 1)[1]
        part = part.rstrip("/")
        if part:
            hosts.append(part if ":" in part else f"{part}:9092")
    if not hosts:
        raise ValueError(f"no broker address in {url!r}")
    return ",".join(hosts)


def load_settings(config_path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build the settings: defaults, then the YAML file, then the environment, then ``overrides``.

    ``overrides`` uses dotted keys (``{"metrics.port": 0}``); ``None`` values are ignored so that
    unset CLI flags do not mask the environment.
    """
    env = os.environ if env is None else env
    settings = Settings()
    path = config_path or env.get(ENV_PREFIX + "CONFIG")
    if path:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except yaml.YAMLError as e:
            raise ValueError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the configuration must be a mapping")
        _apply_mapping(settings, data, source=str(path))
    for dotted in _all_keys(settings):
        name = ENV_PREFIX + dotted.replace(".", "_").upper()
        if name in env:
            _set(settings, dotted, _env_value(settings, dotted, env[name], name), source=name)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set(settings, dotted, value, source="command line")
    _validate(settings)
    return settings


def _env_value(settings: Settings, dotted: str, text: str, name: str) -> Any:
    """An environment value: text settings (passwords, paths, names) verbatim, others parsed as a YAML scalar."""
    if text == "":
        return None
    *parents, leaf = dotted.split(".")
    target: Any = settings
    for part in parents:
        target = getattr(target, part)
    declared = str(next(f.type for f in dataclasses.fields(target) if f.name == leaf))
    if declared.startswith("str"):                      # "str" or "str | None"
        return None if declared.endswith("None") and text in ("null", "~") else text
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValueError(f"{name}: {text!r} is not a valid value for {dotted}") from None


def _all_keys(obj: Any, prefix: str = "") -> list[str]:
    keys = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            keys += _all_keys(value, prefix + f.name + ".")
        else:
            keys.append(prefix + f.name)
    return keys


def _apply_mapping(settings: Settings, data: Mapping[str, Any], source: str, prefix: str = "") -> None:
    for key, value in data.items():
        dotted = prefix + str(key)
        if isinstance(value, Mapping):
            _apply_mapping(settings, value, source, dotted + ".")
        else:
            _set(settings, dotted, value, source)


def _set(settings: Settings, dotted: str, value: Any, source: str) -> None:
    *parents, leaf = dotted.split(".")
    target: Any = settings
    for name in parents:
        target = getattr(target, name, None)
        if not dataclasses.is_dataclass(target):
            raise ValueError(f"{source}: unknown setting {dotted!r}")
    fields = {f.name: f for f in dataclasses.fields(target)}
    if leaf not in fields or dataclasses.is_dataclass(getattr(target, leaf)):
        raise ValueError(f"{source}: unknown setting {dotted!r}")
    setattr(target, leaf, _coerce(getattr(target, leaf), value, dotted, source,
                                  nullable=str(fields[leaf].type).endswith("None")))


def _coerce(current: Any, value: Any, dotted: str, source: str, nullable: bool = False) -> Any:
    bad = ValueError(f"{source}: {dotted} must be a {type(current).__name__ if current is not None else 'string'}, "
                     f"got {value!r}")
    if value is None:
        if not nullable:                 # only the "X | None" settings may be unset
            raise bad
        return None
    if isinstance(value, (dict, list)):
        raise bad
    if current is None or isinstance(current, str):     # every nullable setting is text
        return str(value)
    try:
        if isinstance(current, bool):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
        if isinstance(value, bool):
            raise bad
        if isinstance(current, int):
            number = float(value) if isinstance(value, float) else int(value)
            if number != int(number):
                raise bad
            return int(number)
        if isinstance(current, float):
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise bad from None


def _validate(s: Settings) -> None:
    if s.pipeline.mode not in ("accurate", "fast"):
        raise ValueError(f"pipeline.mode must be 'accurate' or 'fast', not {s.pipeline.mode!r}")
    if s.topics.partitions < 1:
        raise ValueError("topics.partitions must be at least 1")
    if not 0 <= s.metrics.port <= 65535:
        raise ValueError("metrics.port must be 0..65535")
    if s.pipeline.batch_size < 1:
        raise ValueError("pipeline.batch_size must be at least 1")
