"""What the live page is told: Kafka records -> compact, validated "cards", and the rolling counters.

Pure (no Kafka, no HTTP): :func:`article_card` and :func:`dead_letter_card` turn one message value into the
dict the browser receives, or raise :class:`SkippedRecord` with a short reason; :class:`LiveWindow` keeps the
bounded window of recent cards and the counters over the last minutes.

Everything a card holds is plain data (strings, numbers, lists): the browser writes it with ``textContent``
only, so no field is ever interpreted as HTML, whatever the article says.
"""
from __future__ import annotations

import math
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

MAX_RECORD_BYTES = 2 * 1024 * 1024     # larger messages are skipped (counted as too_large)
MAX_TEXT_CHARS = 20_000                # the card shows at most this much of the article text
MAX_FIELD_CHARS = 500                  # titles, names, quotes, sentences
MAX_ITEMS = {"entities": 80, "locations": 40, "quotes": 10, "amounts": 20, "events": 10, "keywords": 12,
             "categories": 5, "authors": 8, "mentions": 6, "flags": 12}
SKIP_REASONS = ("too_large", "invalid_json", "not_an_object", "no_id", "bad_field")


class SkippedRecord(ValueError):
    """A message the page does not show; ``reason`` is one of :data:`SKIP_REASONS`."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


# --- one record -> one card ------------------------------------------------------------------------

def _load(value: bytes | None, max_bytes: int) -> dict:
    if value is None:
        raise SkippedRecord("not_an_object", "empty message (tombstone)")
    if len(value) > max_bytes:
        raise SkippedRecord("too_large", f"{len(value)} bytes > {max_bytes}")
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as e:
        raise SkippedRecord("invalid_json", str(e)[:200]) from None
    if not isinstance(data, dict):
        raise SkippedRecord("not_an_object", type(data).__name__)
    return data


def _text(value: Any, limit: int = MAX_FIELD_CHARS) -> str | None:
    """A string field, clipped; numbers become strings; anything else is dropped."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    s = str(value)
    return s if len(s) <= limit else s[:limit - 1] + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _items(value: Any, name: str) -> list[dict]:
    """The first objects of a list field (non-objects are dropped)."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)][:MAX_ITEMS[name]]


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list):
        return []
    return [s for s in (_text(v) for v in value[:MAX_ITEMS[name]]) if s]


def article_card(value: bytes | None, *, partition: int = 0, offset: int = 0, timestamp_ms: int | None = None,
                 max_bytes: int = MAX_RECORD_BYTES) -> dict:
    """The card for one ``articles.enriched`` message (raises :class:`SkippedRecord` if it cannot be one)."""
    r = _load(value, max_bytes)
    rid = _text(r.get("id"), 200)
    if not rid:
        raise SkippedRecord("no_id", "record without an id")
    source = r.get("source") if isinstance(r.get("source"), dict) else {}
    text = r.get("text") if isinstance(r.get("text"), str) else ""
    tone = r.get("tone") if isinstance(r.get("tone"), dict) else {}
    categories = [{"label": _text(c.get("label"), 40), "score": _number(c.get("score"))}
                  for c in _items(r.get("categories"), "categories")]
    categories = [c for c in categories if c["label"]]
    category = _text(r.get("category"), 40)
    score = next((c["score"] for c in categories if c["label"] == category), None)
    entities = []
    for e in _items(r.get("entities"), "entities"):
        surface, canonical = _text(e.get("text"), 200), _text(e.get("canonical"), 200)
        if surface or canonical:
            entities.append({"text": surface or canonical, "label": _text(e.get("label"), 20) or "MISC",
                             "canonical": canonical or surface, "count": int(_number(e.get("count")) or 1)})
    locations = []
    for p in _items(r.get("locations"), "locations"):
        lat, lon, name = _number(p.get("lat")), _number(p.get("lon")), _text(p.get("name"), 200)
        if name and lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            locations.append({"name": name, "country_code": _text(p.get("country_code"), 3), "lat": lat,
                              "lon": lon, "count": int(_number(p.get("count")) or 1),
                              "mentions": _strings(p.get("mentions"), "mentions")})
    events = [{"code": _text(e.get("code"), 8), "label": _text(e.get("label"), 80),
               "code_label": _text(e.get("code_label"), 120), "quad_label": _text(e.get("quad_label"), 40),
               "goldstein": _number(e.get("goldstein")), "place": _text(e.get("place"), 200),
               "sentence": _text(e.get("sentence"))}
              for e in _items(r.get("events"), "events")]
    pipeline = r.get("pipeline") if isinstance(r.get("pipeline"), dict) else {}
    return {
        "kind": "article",
        "id": rid,
        "title": _text(r.get("title")),
        "url": _text(r.get("url"), 2000),
        "source": {"domain": _text(source.get("domain"), 200), "name": _text(source.get("name"), 200),
                   "reliability": _text(source.get("reliability"), 40)},
        "authors": _strings(r.get("authors"), "authors"),
        "published_at": _text(r.get("published_at"), 40),
        "language": _text(r.get("language"), 8),
        "section": _text(r.get("section"), 200),
        "word_count": int(_number(r.get("word_count")) or 0),
        "text": text[:MAX_TEXT_CHARS],
        "text_truncated": len(text) > MAX_TEXT_CHARS,
        "category": category,
        "score": score,
        "categories": categories,
        "tone": _number(tone.get("compound")),
        "entities": entities,
        "locations": locations,
        "quotes": [{"text": _text(q.get("text"), 1000), "speaker": _text(q.get("speaker"), 200)}
                   for q in _items(r.get("quotes"), "quotes") if _text(q.get("text"))],
        "amounts": [{"text": _text(a.get("text"), 200), "value": _number(a.get("value")),
                     "unit": _text(a.get("unit"), 40), "object": _text(a.get("object"), 200)}
                    for a in _items(r.get("amounts"), "amounts") if _text(a.get("text"))],
        "events": events,
        "keywords": _strings(r.get("keywords"), "keywords"),
        "duplicate_of": _text(r.get("duplicate_of"), 200),
        "story_id": _text(r.get("story_id"), 200),
        "flags": _strings(r.get("flags"), "flags"),
        "mode": _text(pipeline.get("mode"), 20),
        "kafka": {"partition": partition, "offset": offset, "timestamp_ms": timestamp_ms},
    }


def dead_letter_card(value: bytes | None, *, partition: int = 0, offset: int = 0, timestamp_ms: int | None = None,
                     max_bytes: int = MAX_RECORD_BYTES) -> dict:
    """The card for one ``articles.dlq`` message: why it failed and the start of what was sent."""
    r = _load(value, max_bytes)
    return {
        "kind": "dead_letter",
        "stage": _text(r.get("stage"), 20) or "?",
        "reason": _text(r.get("reason"), 40) or "?",
        "error_type": _text(r.get("error_type"), 80),
        "message": _text(r.get("message")),
        "id": _text(r.get("id"), 200),
        "payload_preview": _text(r.get("payload"), 300) if r.get("payload_encoding") != "base64" else "(binary)",
        "payload_bytes": int(_number(r.get("payload_bytes")) or 0),
        "time": _text(r.get("time"), 40),
        "attempts": int(_number(r.get("attempts")) or 1),
        "kafka": {"partition": partition, "offset": offset, "timestamp_ms": timestamp_ms},
    }


def sse_frame(event: str, data: Any) -> bytes:
    """One server-sent event. orjson escapes newlines inside strings, so the JSON is always one ``data:`` line."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


# --- the window and the rolling counters -----------------------------------------------------------

@dataclass
class RollingCounts:
    """Counts per key over the last ``window`` seconds, in ``bucket`` -second buckets keyed by event time.

    Each family (``articles``, ``categories``, ``entities`` ...) keeps at most ``max_keys`` distinct keys per
    bucket, so memory stays bounded whatever the records contain.
    """
    window: int = 300
    bucket: int = 5
    max_keys: int = 2000
    buckets: dict[int, dict[str, Counter]] = field(default_factory=dict)

    def add(self, when: float, family: str, key: Any = "", n: int = 1) -> None:
        start = int(when // self.bucket) * self.bucket
        counter = self.buckets.setdefault(start, {}).setdefault(family, Counter())
        if key in counter or len(counter) < self.max_keys:
            counter[key] += n

    def prune(self, now: float) -> None:
        oldest = now - self.window
        for start in [s for s in self.buckets if s + self.bucket <= oldest]:
            del self.buckets[start]

    def total(self, family: str, now: float, seconds: int | None = None) -> Counter:
        """The counts of ``family`` over the last ``seconds`` (default: the whole window)."""
        oldest = now - (seconds or self.window)
        out: Counter = Counter()
        for start, families in self.buckets.items():
            if start + self.bucket > oldest and family in families:
                out.update(families[family])
        return out


class LiveWindow:
    """The recent cards (bounded, newest first), recent dead letters and rolling counters since start."""

    def __init__(self, max_cards: int = 200, max_dead_letters: int = 100, window_seconds: int = 300,
                 clock=time.time):
        self.max_cards = max_cards
        self.cards: OrderedDict[str, dict] = OrderedDict()     # id -> card, oldest first
        self.dead_letters: deque[dict] = deque(maxlen=max_dead_letters)
        self.rolling = RollingCounts(window=window_seconds)
        self.clock = clock
        self.seen = Counter()              # articles, dead_letters, redelivered
        self.skipped = Counter()           # reason -> messages the page did not show

    def add_article(self, card: dict) -> None:
        self.seen["articles"] += 1
        if card["id"] in self.cards:
            self.seen["redelivered"] += 1      # at-least-once: same id again; show it once, newest
            del self.cards[card["id"]]
        self.cards[card["id"]] = card
        while len(self.cards) > self.max_cards:
            self.cards.popitem(last=False)
        when = self._when(card)
        self.rolling.add(when, "articles")
        if card["duplicate_of"]:
            self.rolling.add(when, "duplicates")
        self.rolling.add(when, "categories", card["category"] or "(none)")
        self.rolling.add(when, "languages", card["language"] or "?")
        self.rolling.add(when, "reliability", card["source"]["reliability"] or "unrated")
        for e in card["entities"]:
            self.rolling.add(when, "entities", (e["canonical"], e["label"]))
        for p in card["locations"]:
            self.rolling.add(when, "places", (p["name"], p["country_code"], p["lat"], p["lon"]))

    def add_dead_letter(self, card: dict) -> None:
        self.seen["dead_letters"] += 1
        self.dead_letters.appendleft(card)
        self.rolling.add(self._when(card), "dead_letters", (card["stage"], card["reason"]))

    def skip(self, topic_kind: str, reason: str) -> None:
        self.skipped[f"{topic_kind}:{reason}"] += 1

    def _when(self, card: dict) -> float:
        ts = card["kafka"].get("timestamp_ms")
        now = self.clock()
        return min(ts / 1000.0, now) if isinstance(ts, (int, float)) and ts > 0 else now

    def snapshot(self) -> dict:
        """What a newly connected page receives: every card of the window (newest first) and the counters."""
        return {"cards": list(reversed(self.cards.values())), "dead_letters": list(self.dead_letters),
                "stats": self.stats()}

    def stats(self, top: int = 12) -> dict:
        now = self.clock()
        self.rolling.prune(now)
        r = self.rolling

        def ranked(counter: Counter, n: int = top) -> list:
            return [[*(k if isinstance(k, tuple) else (k,)), v] for k, v in counter.most_common(n)]

        return {
            "window_seconds": r.window,
            "seen": dict(self.seen),
            "skipped": dict(self.skipped),
            "cards": len(self.cards),
            "max_cards": self.max_cards,
            "rolling": {
                "articles": sum(r.total("articles", now).values()),
                "duplicates": sum(r.total("duplicates", now).values()),
                "dead_letters": sum(r.total("dead_letters", now).values()),
                "articles_per_second_1m": round(sum(r.total("articles", now, 60).values()) / 60, 3),
                "dead_letters_per_second_1m": round(sum(r.total("dead_letters", now, 60).values()) / 60, 3),
                "categories": ranked(r.total("categories", now), 20),
                "languages": ranked(r.total("languages", now)),
                "reliability": ranked(r.total("reliability", now)),
                "entities": ranked(r.total("entities", now)),
                "places": ranked(r.total("places", now)),
                "dead_letter_reasons": ranked(r.total("dead_letters", now), 20),
            },
        }


def ingest(window: LiveWindow, kind: str, messages: Iterable[Any], max_bytes: int = MAX_RECORD_BYTES) -> list[dict]:
    """Add Kafka messages (``.value .partition .offset .timestamp``) of ``kind`` ("article" or "dead_letter") to
    ``window``; return the cards added. Bad records are counted in ``window.skipped``, never raised."""
    build, add = ((article_card, window.add_article) if kind == "article"
                  else (dead_letter_card, window.add_dead_letter))
    added = []
    for m in messages:
        try:
            card = build(m.value, partition=m.partition, offset=m.offset, timestamp_ms=m.timestamp,
                         max_bytes=max_bytes)
        except SkippedRecord as e:
            window.skip(kind, e.reason)
            continue
        add(card)
        added.append(card)
    return added
