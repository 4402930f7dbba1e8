"""Near-duplicates and stories, from the MinHash signature the parse stage computed.

An LSH index (``BANDS`` bands of ``ROWS`` rows) finds earlier articles whose signatures agree on a band;
the estimated Jaccard similarity of 5-word shingles then decides:
  >= DUPLICATE_SIMILARITY -> the same text under another id/URL: ``duplicate_of`` = the earliest one;
  >= STORY_SIMILARITY     -> a rewrite of the same story: the same ``story_id``.
An exact content hash match is always a duplicate. The index lives in any MutableMapping: a dict in tests
and ``newsstreams process``, a changelogged Faust table shared by all workers in the stream.
Verdicts are idempotent: an article seen again (redelivery after a crash) gets its first verdict back.

Entries (JSON values, the table's changelog is json), per article:
  "a:<id>"    -> [signature, content hash, story or null, duplicate_of or null], trailing nulls dropped; the
                 signature is the 64 little-endian uint32 as base64 (342 characters); story null = the id itself
  "h:<hash>"  -> id of the first article with this content hash
  "b<band>"   -> id of the first article with this band: <band> = base64 of the band number (1 byte) and its
                 two rows (8 bytes), 12 characters, lossless (one per band, ``BANDS`` per article)
Entries of the first format ("a:<id>" -> {"sig": 512 hex, "h", "story", "dup"} and "b:<i>:<v1>-<v2>") are still
read: a table recovered from an older changelog gives the same verdicts, and its entries are evicted under the
same bound. Measured sizes: scripts/memory_probe.py index.
"""
from __future__ import annotations

import base64
from collections import deque
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


def packed_similarity(signature: list[int], packed: str) -> float:
    """Estimated Jaccard similarity of a signature and a hex-packed one."""
    other = np.frombuffer(bytes.fromhex(packed), dtype="<u4")
    mine = np.asarray(signature, dtype="<u4")
    return float(np.mean(mine == other)) if len(mine) == len(other) else 0.0


def unpack_signature(packed: str) -> list[int]:
    return np.frombuffer(bytes.fromhex(packed), dtype="<u4").tolist()


def encode_signature(raw: bytes) -> str:
    """The signature's 256 bytes as unpadded base64 (342 characters) for the index entries."""
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def decode_signature(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def band_keys(raw: bytes) -> list[str]:
    """One key per band: "b" + base64(band number, the band's rows as 4-byte little-endian values)."""
    width = ROWS * 4
    return ["b" + base64.b64encode(bytes((i,)) + raw[i * width:(i + 1) * width]).decode("ascii")
            for i in range(BANDS)]


def legacy_band_keys(signature: list[int]) -> list[str]:
    """Band keys of the first entry format ("b:<i>:<v1>-<v2>"), still read from older changelogs."""
    return [f"b:{i}:" + "-".join(str(v) for v in signature[i * ROWS:(i + 1) * ROWS]) for i in range(BANDS)]


@dataclass(frozen=True, slots=True)
class Entry:
    """An article's entry, from either format."""
    raw: bytes                 # the signature, 64 little-endian uint32
    content_hash: str | None
    story_id: str
    duplicate_of: str | None
    legacy: bool


def encode_entry(raw: bytes, content_hash: str, article_id: str, verdict: Verdict) -> list:
    value = [encode_signature(raw), content_hash,
             None if verdict.story_id == article_id else verdict.story_id, verdict.duplicate_of]
    while value[-1] is None:
        value.pop()
    return value


def decode_entry(article_id: str, value: Any) -> Entry | None:
    if isinstance(value, list) and value:
        value = value + [None] * (4 - len(value))
        return Entry(decode_signature(value[0]), value[1], value[2] or article_id, value[3], legacy=False)
    if isinstance(value, dict) and "sig" in value:
        return Entry(bytes.fromhex(value["sig"]), value.get("h"), value.get("story") or article_id,
                     value.get("dup"), legacy=True)
    return None


class DuplicateIndex:
    def __init__(self, store: MutableMapping[str, Any], max_articles: int = MAX_ARTICLES):
        self.store = store
        self.max_articles = max_articles
        self._order: deque[str] = deque()     # article ids in the index, oldest first
        self._seeded = False
        self._legacy_bands = 0                # first-format band keys seen in the store (looked up while > 0)

    def check_and_add(self, article_id: str, content_hash: str, signature: list[int]) -> Verdict:
        self._seed()
        known = decode_entry(article_id, self.store.get("a:" + article_id))
        if known is not None:
            return Verdict(known.duplicate_of, known.story_id)
        mine = np.asarray(signature, dtype="<u4")
        verdict = self._judge(article_id, content_hash, signature, mine)
        self._add(article_id, content_hash, mine.tobytes(), verdict)
        return verdict

    def _seed(self) -> None:
        """Entries already in the store (recovered from the changelog after a restart, or written by another
        worker) count toward the bound too; their age is unknown, so they go first."""
        if self._seeded:
            return
        self._seeded = True
        keys = [k for k in list(self.store.keys()) if isinstance(k, str)]
        self._order.extend(k[2:] for k in keys if k.startswith("a:"))
        self._legacy_bands = sum(1 for k in keys if k.startswith("b:"))

    def _band_candidates(self, signature: list[int], raw: bytes) -> list[str]:
        if not self._legacy_bands:
            return band_keys(raw)
        keys = []
        for key, legacy in zip(band_keys(raw), legacy_band_keys(signature)):
            keys += [key, legacy]
        return keys

    def _judge(self, article_id: str, content_hash: str, signature: list[int], mine: np.ndarray) -> Verdict:
        same_text = self.store.get("h:" + content_hash)
        if same_text and same_text != article_id:
            first = decode_entry(same_text, self.store.get("a:" + same_text))
            return Verdict(same_text, first.story_id if first else same_text)
        best_id, best_sim, best_story = None, 0.0, None
        seen = set()
        for key in self._band_candidates(signature, mine.tobytes()):
            other = self.store.get(key)
            if not other or other == article_id or other in seen:
                continue
            seen.add(other)
            entry = decode_entry(other, self.store.get("a:" + other))
            if entry is None:
                continue
            theirs = np.frombuffer(entry.raw, dtype="<u4")
            sim = float(np.mean(mine == theirs)) if len(theirs) == len(mine) else 0.0
            if sim > best_sim:
                best_id, best_sim, best_story = other, sim, entry.story_id
            if len(seen) >= MAX_CANDIDATES:
                break
        if best_id and best_sim >= DUPLICATE_SIMILARITY:
            return Verdict(best_id, best_story)
        if best_id and best_sim >= STORY_SIMILARITY:
            return Verdict(None, best_story)
        return Verdict(None, article_id)

    def _add(self, article_id: str, content_hash: str, raw: bytes, verdict: Verdict) -> None:
        self.store["a:" + article_id] = encode_entry(raw, content_hash, article_id, verdict)
        if self.store.get("h:" + content_hash) is None:
            self.store["h:" + content_hash] = article_id
        if self._legacy_bands:     # a band still kept under its first-format key is taken: one owner per band
            taken = [self.store.get(k) is not None for k in legacy_band_keys(np.frombuffer(raw, "<u4").tolist())]
        else:
            taken = [False] * BANDS
        for key, legacy_taken in zip(band_keys(raw), taken):
            if not legacy_taken and self.store.get(key) is None:   # the earliest article keeps the band
                self.store[key] = article_id
        self._order.append(article_id)
        while len(self._order) > self.max_articles:
            self._forget(self._order.popleft())

    def _forget(self, article_id: str) -> None:
        """Remove an article and the keys that point to it (a band kept by a newer article stays)."""
        entry = decode_entry(article_id, self.store.pop("a:" + article_id, None))
        if entry is None:
            return
        if entry.legacy:
            keys = legacy_band_keys(np.frombuffer(entry.raw, dtype="<u4").tolist())
        else:
            keys = band_keys(entry.raw)
        if entry.content_hash:
            keys.append("h:" + entry.content_hash)
        for key in keys:
            if self.store.get(key) == article_id:
                self.store.pop(key, None)
                if entry.legacy and key.startswith("b:"):
                    self._legacy_bands = max(0, self._legacy_bands - 1)
