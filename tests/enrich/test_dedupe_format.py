"""streams/enrich/dedupe.py: what the shared store holds (one compact entry per article), that the verdicts are
those of the first format, which kept every band in the store, and how workers learn each other's entries from
the changelog (``observe``)."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from streams.enrich.dedupe import (BANDS, DUPLICATE_SIMILARITY, MAX_CANDIDATES, ROWS, STORY_SIMILARITY,
                                   DuplicateIndex, Verdict, decode_signature, encode_signature)


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


class Changelog(dict):
    """A store that records what it would write to a Faust table's changelog: (key, value), None = tombstone."""

    def __init__(self, *args):
        super().__init__(*args)
        self.records: list = []

    def __setitem__(self, key, value):
        self.records.append((key, value))
        super().__setitem__(key, value)

    def pop(self, key, *default):
        if key in self:
            self.records.append((key, None))
        return super().pop(key, *default)


def test_an_article_costs_one_changelog_record_and_one_tombstone():
    store = Changelog()
    index = DuplicateIndex(store, max_articles=100)
    articles = stream(150)
    for a in articles:
        index.check_and_add(*a)
    writes = [k for k, v in store.records if v is not None]
    tombstones = [k for k, v in store.records if v is None]
    assert writes == ["a:" + a[0] for a in articles]
    assert tombstones == ["a:" + a[0] for a in articles[:50]]     # the oldest, in order
    assert len(store) == 100


def test_entries_are_compact_json():
    index = DuplicateIndex({})
    for a in stream(50):
        index.check_and_add(*a)
    store = index.store
    assert json.loads(json.dumps(store)) == store           # the changelog's json carries every entry
    assert len(store) == 50 and all(k.startswith("a:") for k in store)
    for key, value in store.items():
        assert isinstance(value, list) and 2 <= len(value) <= 4 and len(value[0]) == 342
        assert value[-1] is not None                         # trailing nulls dropped
        if len(value) > 2:
            assert value[2] != key[2:]                       # a story equal to the id is not written


def test_signature_encoding_is_lossless():
    raw = np.asarray([0, 1, 2 ** 32 - 1] + list(range(61)), dtype="<u4").tobytes()
    assert decode_signature(encode_signature(raw)) == raw


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


def test_workers_learn_each_others_entries_from_the_changelog():
    """Two workers, each with its own copy of the table, fed the shared changelog (as Faust's GlobalTable does):
    together they give the verdicts of one index over the whole stream."""
    articles = stream(400, seed=7)
    stores = [Changelog(), Changelog()]
    workers = [DuplicateIndex(stores[0]), DuplicateIndex(stores[1])]
    single = DuplicateIndex({})
    for n, a in enumerate(articles):
        me = n % 2
        mine = workers[me].check_and_add(*a)
        assert mine == single.check_and_add(*a), n
        for key, value in stores[me].records:            # the changelog reaches both copies, the writer's too
            for store, worker in zip(stores, workers):
                worker.observe(key, value)
                if value is None:
                    store.pop(key, None)
                else:
                    dict.__setitem__(store, key, value)
        stores[me].records.clear()
    assert len(workers[0]._known) == len(workers[1]._known) == len(articles)


def test_a_deleted_entry_is_unindexed_and_an_echo_evicts_nothing():
    articles = stream(30, seed=9)
    index = DuplicateIndex({}, max_articles=20)
    for a in articles[:20]:
        index.check_and_add(*a)
    for key, value in list(index.store.items()):       # our own writes echoed back: nothing changes
        index.observe(key, value)
    assert len(index._known) == 20 and len(index.store) == 20
    gone = articles[0][0]
    index.observe("a:" + gone, None)                   # another worker forgot it
    assert gone not in index._known
    assert all(gone not in table.values() for table in index._bands) and gone not in index._hashes.values()
    index.observe("h:whatever", "x")                   # keys that are not entries are ignored
    assert len(index._known) == 19


def test_first_format_entries_give_their_verdicts_and_old_keys_are_deleted():
    """A table written by the first format (an older changelog): its entries are read, its band and hash keys
    deleted at the first article."""
    articles = stream(400)
    old_store: dict = {}
    old = FirstFormatIndex(old_store)
    for a in articles[:250]:
        old.check_and_add(*a)
    assert any(k.startswith(("b:", "h:")) for k in old_store)
    upgraded = DuplicateIndex(json.loads(json.dumps(old_store)), max_articles=10_000)
    # articles already judged get their first verdict back; later ones the verdict the first format gives
    assert [upgraded.check_and_add(*a) for a in articles[:250]] == [old.check_and_add(*a) for a in articles[:250]]
    assert [upgraded.check_and_add(*a) for a in articles[250:]] == [old.check_and_add(*a) for a in articles[250:]]
    assert all(k.startswith("a:") for k in upgraded.store)


@pytest.mark.parametrize("bound", [1, 7])
def test_the_bound_holds(bound):
    index = DuplicateIndex({}, max_articles=bound)
    for a in stream(200, seed=11):
        index.check_and_add(*a)
    assert len(index.store) == len(index._known) == bound
    assert sum(len(table) for table in index._bands) <= bound * BANDS and len(index._hashes) <= bound
    live = set(index._known)
    assert {owner for table in index._bands for owner in table.values()} <= live


@pytest.mark.parametrize("value", [["!!not base64"], [123], ["AAAA"], "a string", 42, {"sig": "zz"}, [None],
                                   [encode_signature(bytes(256)), 7], {"nothing": 1}])
def test_a_value_that_is_no_entry_is_ignored_not_raised(value):
    """The changelog is a topic anyone can write to: Faust's recovery loop calls observe, which must never raise."""
    index = DuplicateIndex({"a:bad": value})
    index.observe("a:other", value)
    assert "other" not in index._known
    assert index.check_and_add("new", "h1", list(range(64))) == Verdict(None, "new")
    assert "bad" not in index._known
    assert index.check_and_add("bad", "h2", list(range(64))) == Verdict("new", "new")   # judged afresh
