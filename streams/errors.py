"""The one place that names what can go wrong with an article, and how it becomes a dead letter.

Stages raise :class:`BadArticle` (a typed, expected rejection with a short machine-readable reason);
agents turn it, or any unexpected exception, into a :class:`DeadLetter` for ``articles.dlq``.
"""
from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

# Reasons are label values of newsstreams_dead_letters_total: keep the set closed (bounded cardinality).
REASONS = (
    "invalid_utf8", "invalid_json", "empty", "not_an_object", "no_text", "too_deep", "too_large",
    "bad_field", "no_main_text", "unexpected_error", "worker_crash", "bad_compression",
)


class BadArticle(ValueError):
    """An input the pipeline rejects on purpose; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, message: str):
        if reason not in REASONS:
            raise ValueError(f"unknown dead-letter reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message


def reason_of(exc: BaseException) -> str:
    """The dead-letter reason for any exception raised by a stage."""
    return exc.reason if isinstance(exc, BadArticle) else "unexpected_error"


@dataclass
class DeadLetter:
    """What lands on ``articles.dlq``: the original payload and why it could not be processed."""
    stage: str
    reason: str
    error_type: str
    message: str
    payload: str
    payload_encoding: str          # "utf-8" or "base64"
    payload_bytes: int             # size of the original payload
    payload_truncated: bool
    payload_sha256: str
    id: str | None = None
    source: dict = field(default_factory=dict)   # topic, partition, offset of the original message
    attempts: int = 1
    time: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def dead_letter(stage: str, exc: BaseException, payload: bytes, *, key: str | None = None,
                source: dict | None = None, max_payload_bytes: int = 256 * 1024, attempts: int = 1) -> DeadLetter:
    """Build the dead letter for ``payload`` that failed in ``stage`` with ``exc``.

    The payload is kept as text when it is UTF-8 and as base64 otherwise; above ``max_payload_bytes`` only its
    head is kept (its size and SHA-256 always are), so a 20 MB poison message cannot make the DLQ unwritable.
    """
    kept = payload[:max_payload_bytes]
    try:
        text, encoding = kept.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        if len(kept) < len(payload) and e.start >= len(kept) - 3:   # cut inside a multi-byte character
            text, encoding = kept[:e.start].decode("utf-8", "replace"), "utf-8"
        else:
            text, encoding = base64.b64encode(kept).decode("ascii"), "base64"
    message = exc.message if isinstance(exc, BadArticle) else f"{type(exc).__name__}: {exc}"
    return DeadLetter(
        stage=stage, reason=reason_of(exc), error_type=type(exc).__name__, message=message[:1000],
        payload=text, payload_encoding=encoding, payload_bytes=len(payload),
        payload_truncated=len(kept) < len(payload), payload_sha256=hashlib.sha256(payload).hexdigest(),
        id=key, source=source or {}, attempts=attempts,
        time=datetime.fromtimestamp(time.time(), timezone.utc).isoformat(timespec="milliseconds"),
    )
