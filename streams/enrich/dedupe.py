"""Near-duplicates and stories, from the MinHash signature the parse stage computed.

An LSH index (``BANDS`` bands of ``ROWS`` rows) finds earlier articles whose signatures agree on a band;
the estimated Jaccard similarity of 5-word shingles then decides:
  >= DUPLICATE_SIMILARITY -> the same text under another id/URL: ``duplicate_of`` = the earliest one;
  >= STORY_SIMILARITY     -> a rewrite of the same story: the same ``story_id``.
An exact content hash match is always a duplicate. Verdicts are idempotent: an article seen again (redelivery
after a crash) gets its first verdict back.

What is shared and what is local: the store (any MutableMapping: a dict in tests and ``newsstreams process``, a
changelogged Faust table shared by all workers in the stream) holds one entry per article,
  "a:<id>" -> [signature, content hash, story or null, duplicate_of or null], trailing nulls dropped; the
              signature is the 64 little-endian uint32 as base64 (342 characters); story null = the id itself,
so an article costs one changelog record (and one tombstone when it is forgotten). The band and hash lookups are
derived from those entries in each process (``observe`` is fed the table's changelog events, so entries other
workers write are indexed as they arrive). Keys of earlier formats ("h:<hash>", band keys, a dict-valued "a:"
entry) are read or deleted on start. Measured sizes: scripts/memory_probe.py index.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, MutableMapping

import numpy as np

from streams.parse.identity import SIGNATURE_PERMUTATIONS

BANDS = 32           # 32 x 2 rows: a pair at similarity 0.4 shares a band with p > 0.99 (16 x 4: 0.34)
ROWS = SIGNATURE_PERMUTATIONS // BANDS
DUPLICATE_SIMILARITY = 0.8
STORY_SIMILARITY = 0.4
MAX_CANDIDATES = 20          # candidates verified per article (a hot band cannot make it quadratic)
MAX_ARTICLES = 20_000        # articles this index keeps; older ones are forgotten (pipeline.dedupe_max_articles)


@dataclass(frozen=True, slots=True)
class Verdict:
    duplicate_of: str | None
    story_id: str


def pack_signature(signature: list[int]) -> str:
    """64 uint32 values -> 512 hex characters (the ``signature`` header of articles.parsed)."""
    return np.asarray(signature, dtype="<u4").tobytes().hex()


def unpack_signature(packed: str) -> list[int]:
    return np.frombuffer(bytes.fromhex(packed), dtype="<u4").tolist()


def encode_signature(raw: bytes) -> str:
    """The signature's 256 bytes as unpadded base64 (342 characters) for the index entries."""
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def decode_signature(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def bands(raw: bytes) -> list[bytes]:
    """One lookup key per band: the band's rows as bytes (band ``i`` is looked up in the ``i``-th table)."""
    width = ROWS * 4
    return [raw[i * width:(i + 1) * width] for i in range(BANDS)]


@dataclass(frozen=True, slots=True)
class Entry:
    """An article's entry in the store."""
    raw: bytes                 # the signature, 64 little-endian uint32
    content_hash: str | None
    story_id: str
    duplicate_of: str | None


def encode_entry(raw: bytes, content_hash: str, article_id: str, verdict: Verdict) -> list:
    value = [encode_signature(raw), content_hash,
             None if verdict.story_id == article_id else verdict.story_id, verdict.duplicate_of]
    while value[-1] is None:
        value.pop()
    return value


def decode_entry(article_id: str, value: Any) -> Entry | None:
    """The entry, or None for a value that is not one (the changelog is a topic: anyone can write to it)."""
    try:
        if isinstance(value, list) and value:
            value = value + [None] * (4 - len(value))
            entry = Entry(decode_signature(value[0]), value[1], value[2] or article_id, value[3])
        elif isinstance(value, dict) and "sig" in value:    # the first format: {"sig": 512 hex, "h", "story", "dup"}
            entry = Entry(bytes.fromhex(value["sig"]), value.get("h"), value.get("story") or article_id,
                          value.get("dup"))
        else:
            return None
    except (TypeError, ValueError, AttributeError):          # binascii.Error is a ValueError
        return None
    if len(entry.raw) != SIGNATURE_PERMUTATIONS * 4 or not all(
            v is None or isinstance(v, str) for v in (entry.content_hash, entry.story_id, entry.duplicate_of)):
        return None
    return entry


class DuplicateIndex:
    def __init__(self, store: MutableMapping[str, Any], max_articles: int = MAX_ARTICLES):
        self.store = store
        self.max_articles = max_articles
        self._known: dict[str, tuple[bytes, str | None]] = {}   # id -> (signature, content hash), oldest first
        self._bands: list[dict[bytes, str]] = [{} for _ in range(BANDS)]   # band rows -> earliest article id
        self._hashes: dict[str, str] = {}         # content hash -> earliest article id
        self._seeded = False

    def check_and_add(self, article_id: str, content_hash: str, signature: list[int]) -> Verdict:
        self._seed()
        known = decode_entry(article_id, self.store.get("a:" + article_id))
        if known is not None:
            return Verdict(known.duplicate_of, known.story_id)
        raw = np.asarray(signature, dtype="<u4").tobytes()
        verdict = self._judge(article_id, content_hash, raw)
        entry = encode_entry(raw, content_hash, article_id, verdict)
        self.store["a:" + article_id] = entry
        self._index(article_id, raw, content_hash)
        while len(self._known) > self.max_articles:
            self._forget(next(iter(self._known)))
        return verdict

    def observe(self, key: Any, value: Any) -> None:
        """An entry written or deleted by any worker (a changelog event of the shared table; ours come back too).
        Entries from elsewhere are indexed as they arrive; a deleted one is unindexed. The bound is enforced
        by ``check_and_add`` only, so that an echo of our own write cannot evict anything."""
        if not isinstance(key, str) or not key.startswith("a:"):
            return
        article_id = key[2:]
        if value is None:
            self._unindex(article_id)
        elif article_id not in self._known and (entry := decode_entry(article_id, value)) is not None:
            self._index(article_id, entry.raw, entry.content_hash)

    def _seed(self) -> None:
        """At first use, index the entries already in the store (recovered from the changelog after a restart, or
        written by other workers), in the store's order (the changelog's, so oldest first); delete the keys of
        earlier formats, which nothing reads any more."""
        if self._seeded:
            return
        self._seeded = True
        for key in list(self.store.keys()):
            if isinstance(key, str) and key.startswith("a:"):
                self.observe(key, self.store.get(key))
            else:
                self.store.pop(key, None)

    def _index(self, article_id: str, raw: bytes, content_hash: str | None) -> None:
        self._known[article_id] = (raw, content_hash)
        for table, band in zip(self._bands, bands(raw)):
            table.setdefault(band, article_id)            # the earliest article keeps the band
        if content_hash:
            self._hashes.setdefault(content_hash, article_id)

    def _unindex(self, article_id: str) -> None:
        known = self._known.pop(article_id, None)
        if known is None:
            return
        raw, content_hash = known
        for table, band in zip(self._bands, bands(raw)):
            if table.get(band) == article_id:
                del table[band]
        if content_hash and self._hashes.get(content_hash) == article_id:
            del self._hashes[content_hash]

    def _forget(self, article_id: str) -> None:
        self._unindex(article_id)
        self.store.pop("a:" + article_id, None)

    def _judge(self, article_id: str, content_hash: str, raw: bytes) -> Verdict:
        same_text = self._hashes.get(content_hash)
        if same_text and same_text != article_id:
            first = decode_entry(same_text, self.store.get("a:" + same_text))
            return Verdict(same_text, first.story_id if first else same_text)
        mine = np.frombuffer(raw, dtype="<u4")
        best_id, best_sim = None, 0.0
        seen = set()
        for table, band in zip(self._bands, bands(raw)):
            other = table.get(band)
            if not other or other == article_id or other in seen:
                continue
            seen.add(other)
            theirs = np.frombuffer(self._known[other][0], dtype="<u4")
            sim = float(np.mean(mine == theirs)) if len(theirs) == len(mine) else 0.0
            if sim > best_sim:
                best_id, best_sim = other, sim
            if len(seen) >= MAX_CANDIDATES:
                break
        if best_id is None or best_sim < STORY_SIMILARITY:
            return Verdict(None, article_id)
        entry = decode_entry(best_id, self.store.get("a:" + best_id))
        story = entry.story_id if entry else best_id
        return Verdict(best_id if best_sim >= DUPLICATE_SIMILARITY else None, story)
