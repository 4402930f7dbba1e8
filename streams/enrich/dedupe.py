"""Near-duplicates and stories, from the MinHash signature the parse stage computed.

An LSH index (``BANDS`` bands of ``ROWS`` rows) finds earlier articles whose signatures agree on a band;
the estimated Jaccard similarity of 5-word shingles then decides:
  >= DUPLICATE_SIMILARITY -> the same text under another id/URL: ``duplicate_of`` = the earliest one;
  >= STORY_SIMILARITY     -> a rewrite of the same story: the same ``story_id``.
An exact content hash match is always a duplicate. The index lives in any MutableMapping: a dict in tests
and ``newsstreams process``, a changelogged Faust table shared by all workers in the stream.
Verdicts are idempotent: an article seen again (redelivery after a crash) gets its first verdict back.
"""
from __future__ import annotations

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
MAX_ARTICLES = 100_000       # articles this index keeps; older ones are forgotten (bounded memory)


@dataclass(frozen=True, slots=True)
class Verdict:
    duplicate_of: str | None
    story_id: str


def pack_signature(signature: list[int]) -> str:
    """64 uint32 values -> 512 hex characters: ~0.6 KB an entry instead of ~2.5 KB for a list of ints."""
    return np.asarray(signature, dtype="<u4").tobytes().hex()


def packed_similarity(signature: list[int], packed: str) -> float:
    """Estimated Jaccard similarity of a signature and a packed one."""
    other = np.frombuffer(bytes.fromhex(packed), dtype="<u4")
    mine = np.asarray(signature, dtype="<u4")
    return float(np.mean(mine == other)) if len(mine) == len(other) else 0.0


def unpack_signature(packed: str) -> list[int]:
    return np.frombuffer(bytes.fromhex(packed), dtype="<u4").tolist()


def band_keys(signature: list[int]) -> list[str]:
    return [f"b:{i}:" + "-".join(str(v) for v in signature[i * ROWS:(i + 1) * ROWS]) for i in range(BANDS)]


class DuplicateIndex:
    def __init__(self, store: MutableMapping[str, Any], max_articles: int = MAX_ARTICLES):
        self.store = store
        self.max_articles = max_articles
        self._order: deque[str] = deque()     # article ids in the index, oldest first
        self._seeded = False

    def check_and_add(self, article_id: str, content_hash: str, signature: list[int]) -> Verdict:
        known = self.store.get("a:" + article_id)
        if known is not None:
            return Verdict(known.get("dup"), known["story"])
        verdict = self._judge(article_id, content_hash, signature)
        self._add(article_id, content_hash, signature, verdict)
        return verdict

    def _judge(self, article_id: str, content_hash: str, signature: list[int]) -> Verdict:
        same_text = self.store.get("h:" + content_hash)
        if same_text and same_text != article_id:
            first = self.store.get("a:" + same_text) or {}
            return Verdict(same_text, first.get("story", same_text))
        best_id, best_sim, best_story = None, 0.0, None
        seen = set()
        for key in band_keys(signature):
            other = self.store.get(key)
            if not other or other == article_id or other in seen:
                continue
            seen.add(other)
            entry = self.store.get("a:" + other)
            if entry is None:
                continue
            sim = packed_similarity(signature, entry["sig"])
            if sim > best_sim:
                best_id, best_sim, best_story = other, sim, entry["story"]
            if len(seen) >= MAX_CANDIDATES:
                break
        if best_id and best_sim >= DUPLICATE_SIMILARITY:
            return Verdict(best_id, best_story)
        if best_id and best_sim >= STORY_SIMILARITY:
            return Verdict(None, best_story)
        return Verdict(None, article_id)

    def _add(self, article_id: str, content_hash: str, signature: list[int], verdict: Verdict) -> None:
        self.store["a:" + article_id] = {"sig": pack_signature(signature), "h": content_hash,
                                         "story": verdict.story_id, "dup": verdict.duplicate_of}
        if self.store.get("h:" + content_hash) is None:
            self.store["h:" + content_hash] = article_id
        for key in band_keys(signature):
            if self.store.get(key) is None:   # the earliest article keeps the band
                self.store[key] = article_id
        self._remember(article_id)

    def _remember(self, article_id: str) -> None:
        if not self._seeded:
            # Entries already in the store (recovered from the changelog after a restart, or written by another
            # worker) count toward the bound too; their age is unknown, so they go first.
            self._seeded = True
            self._order.extend(k[2:] for k in list(self.store.keys()) if k.startswith("a:") and k[2:] != article_id)
        self._order.append(article_id)
        while len(self._order) > self.max_articles:
            self._forget(self._order.popleft())

    def _forget(self, article_id: str) -> None:
        """Remove an article and the keys that point to it (a band kept by a newer article stays)."""
        entry = self.store.pop("a:" + article_id, None)
        if not entry:
            return
        keys = band_keys(unpack_signature(entry["sig"])) + (["h:" + entry["h"]] if entry.get("h") else [])
        for key in keys:
            if self.store.get(key) == article_id:
                self.store.pop(key, None)
