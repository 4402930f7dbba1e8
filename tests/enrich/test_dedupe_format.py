"""streams/enrich/dedupe.py: the compact entry format gives the verdicts of the first format, reads entries of
the first format (a table recovered from an older changelog) and keeps them under the bound."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from streams.enrich.dedupe import (BANDS, DUPLICATE_SIMILARITY, MAX_CANDIDATES, ROWS, STORY_SIMILARITY,
                                   DuplicateIndex, Verdict, band_keys, decode_signature, encode_signature)


class FirstFormatIndex:
    """The index as it was written before the compact format (hex signature in a dict, "b:<i>:<v1>-<v2>" band
    keys, no bound): the reference for verdicts, and the writer of old-format entries."""

    def __init__(self, store: dict):
        self.store = store

    @staticmethod
    def bands(signature):
        return [f"b:{i}:" + "-".join(str(v) for v in signature[i * ROWS:(i + 1) * ROWS]) for i in range(BANDS)]

    def check_and_add(self, article_id, content_hash, signature) -> Verdict:
        known = self.store.get("a:" + article_id)
        if known is not None:
            return Verdict(known.get("dup"), known["story"])
        verdict = self._judge(article_id, content_hash, signature)
        self.store["a:" + article_id] = {"sig": np.asarray(signature, dtype="<u4").tobytes().hex(),
                                         "h": content_hash, "story": verdict.story_id, "dup": verdict.duplicate_of}
        self.store.setdefault("h:" + content_hash, article_id)
        for key in self.bands(signature):
            self.store.setdefault(key, article_id)
        return verdict

    def _judge(self, article_id, content_hash, signature) -> Verdict:
        same_text = self.store.get("h:" + content_hash)
        if same_text and same_text != article_id:
            return Verdict(same_text, (self.store.get("a:" + same_text) or {}).get("story", same_text))
        best_id, best_sim, best_story, seen = None, 0.0, None, set()
        for key in self.bands(signature):
            other = self.store.get(key)
            if not other or other == article_id or other in seen:
                continue
            seen.add(other)
            entry = self.store.get("a:" + other)
            if entry is None:
                continue
            sim = float(np.mean(np.frombuffer(bytes.fromhex(entry["sig"]), dtype="<u4")
                                == np.asarray(signature, dtype="<u4")))
            if sim > best_sim:
                best_id, best_sim, best_story = other, sim, entry["story"]
            if len(seen) >= MAX_CANDIDATES:
                break
        if best_id and best_sim >= DUPLICATE_SIMILARITY:
            return Verdict(best_id, best_story)
        if best_id and best_sim >= STORY_SIMILARITY:
            return Verdict(None, best_story)
        return Verdict(None, article_id)


def stream(n: int, seed: int = 3):
    """Articles around 30 stories: copies, near copies (a few of 64 values changed), rewrites, unrelated ones,
    exact repeats of a content hash; ids of different shapes (story ids may differ from the article id)."""
    rng = random.Random(seed)
    bases = [[rng.getrandbits(32) for _ in range(64)] for _ in range(30)]
    out = []
    for i in range(n):
        b = rng.randrange(len(bases))
        signature = list(bases[b])
        changed = rng.choice([0, 0, 4, 10, 20, 30, 40, 64])
        for j in rng.sample(range(64), changed):
            signature[j] = rng.getrandbits(32)
        content_hash = f"{b:064x}" if changed == 0 and rng.random() < 0.5 else f"{rng.getrandbits(256):064x}"
        out.append((rng.choice(["", "u", "https://example.org/news/"]) + str(i), content_hash, signature))
    return out


def test_same_verdicts_as_the_first_format_over_a_mixed_stream():
    articles = stream(600)
    old, new = FirstFormatIndex({}), DuplicateIndex({}, max_articles=10_000)
    verdicts = [(old.check_and_add(*a), new.check_and_add(*a)) for a in articles]
    assert [o for o, _ in verdicts] == [n for _, n in verdicts]
    kinds = {("dup" if o.duplicate_of else "story" if o.story_id != a[0] else "new") for (o, _), a in
             zip(verdicts, articles)}
    assert kinds == {"dup", "story", "new"}                 # the stream exercises every verdict
    assert [new.check_and_add(*a) for a in articles[:50]] == [n for _, n in verdicts[:50]]   # idempotent


def test_entries_are_compact_json():
    index = DuplicateIndex({})
    for a in stream(50):
        index.check_and_add(*a)
    store = index.store
    assert json.loads(json.dumps(store)) == store           # the changelog's json carries every entry
    bands = [k for k in store if k.startswith("b")]
    assert bands and all(len(k) == 13 for k in bands)
    assert len(bands) <= 50 * BANDS
    entries = {k: v for k, v in store.items() if k.startswith("a:")}
    assert len(entries) == 50
    for key, value in entries.items():
        assert isinstance(value, list) and 2 <= len(value) <= 4 and len(value[0]) == 342
        assert value[-1] is not None                         # trailing nulls dropped
        if len(value) > 2:
            assert value[2] != key[2:]                       # a story equal to the id is not written


def test_signature_encoding_is_lossless():
    raw = np.asarray([0, 1, 2 ** 32 - 1] + list(range(61)), dtype="<u4").tobytes()
    assert decode_signature(encode_signature(raw)) == raw
    keys = band_keys(raw)
    assert len(set(keys)) == BANDS                          # the band number is part of the key


def test_a_store_reloaded_from_json_gives_the_same_verdicts():
    """A restart recovers the table from its json changelog: the entries come back as decoded JSON."""
    articles = stream(300)
    first = DuplicateIndex({})
    expected = [first.check_and_add(*a) for a in articles[:200]]
    restarted = DuplicateIndex(json.loads(json.dumps(first.store)))
    assert [restarted.check_and_add(*a) for a in articles[:200]] == expected
    reference = DuplicateIndex(dict(first.store))
    assert [restarted.check_and_add(*a) for a in articles[200:]] == [reference.check_and_add(*a)
                                                                     for a in articles[200:]]


def test_first_format_entries_still_give_their_verdicts():
    """A table written by the first format (an older changelog): the new index judges against it."""
    articles = stream(400)
    old_store: dict = {}
    old = FirstFormatIndex(old_store)
    for a in articles[:250]:
        old.check_and_add(*a)
    upgraded = DuplicateIndex(json.loads(json.dumps(old_store)), max_articles=10_000)
    # articles already judged get their first verdict back; later ones the verdict the first format gives
    assert [upgraded.check_and_add(*a) for a in articles[:250]] == [old.check_and_add(*a) for a in articles[:250]]
    assert [upgraded.check_and_add(*a) for a in articles[250:]] == [old.check_and_add(*a) for a in articles[250:]]
    assert any(k.startswith("b:") for k in upgraded.store) and any(
        k.startswith("b") and not k.startswith("b:") for k in upgraded.store)


def test_first_format_entries_are_evicted_under_the_bound():
    articles = stream(120, seed=5)
    old_store: dict = {}
    old = FirstFormatIndex(old_store)
    for a in articles[:60]:
        old.check_and_add(*a)
    index = DuplicateIndex(old_store, max_articles=40)
    for a in articles[60:]:
        index.check_and_add(*a)
    assert sum(1 for k in old_store if k.startswith("a:")) == 40
    assert not [k for k in old_store if k.startswith("b:")]          # every old band key went with its article
    assert all(isinstance(v, list) for k, v in old_store.items() if k.startswith("a:"))
    live = {k[2:] for k in old_store if k.startswith("a:")}
    assert {v for k, v in old_store.items() if not k.startswith("a:")} <= live
    assert index._legacy_bands == 0                                 # no more lookups of old band keys


@pytest.mark.parametrize("bound", [1, 7])
def test_the_bound_holds_with_the_compact_format(bound):
    index = DuplicateIndex({}, max_articles=bound)
    for a in stream(200, seed=11):
        index.check_and_add(*a)
    articles = [k for k in index.store if k.startswith("a:")]
    assert len(articles) == bound
    assert len(index.store) <= bound * (2 + BANDS)
    live = {k[2:] for k in articles}
    assert {v for k, v in index.store.items() if not k.startswith("a:")} <= live
