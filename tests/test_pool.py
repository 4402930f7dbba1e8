"""streams/pool.py: chunks run in pool processes and come back in order; a dead process is replaced.

The functions below run inside spawned pool processes, which import this module by name (``test_pool``)
to find them: keep its top-level imports light (the pipeline is imported inside the tests that need it).
"""
from __future__ import annotations

import os

import pytest

import streams.pool
from streams.metrics import POOL_RESTARTS
from streams.pool import PoolCrashed, StagePool
from streams.settings import Pipeline

pytestmark = pytest.mark.timeout(180)
LIMITS = Pipeline()


def light_warm_up(mode: str) -> None:
    """Pool initializer that loads no models, to keep the crash tests fast."""


def exit_abruptly(chunk: list) -> list:
    os._exit(70)          # what an OOM kill or a segfault looks like to the executor


def tag_with_pid(chunk: list, tag: str) -> list:
    return [(tag, x, os.getpid()) for x in chunk]


@pytest.fixture
def light_pool(monkeypatch):
    """Pools whose processes skip the model warm-up: a real spawned process costs ~5 s (more on a busy machine)
    with it; the batch functions still import and run the real pipeline inside the pool process."""
    monkeypatch.setattr(streams.pool, "warm_up", light_warm_up)
    pools = []

    def make(size: int) -> StagePool:
        pools.append(StagePool(size, "fast").start())
        return pools[-1]
    yield make
    for pool in pools:
        pool.stop()


async def test_a_pool_process_parses_a_batch_in_order(light_pool, seed_bytes):
    from streams.pipeline import Item, parse_batch
    from streams.records import decode_parsed

    pool = light_pool(1)
    items = [Item(seed_bytes, key="a"), Item(b"", key="b"), Item(b'{"text": "Paris is in France, they said."}',
                                                                 key="c"), Item(b"{", key="d")]
    parsed = await pool.map_chunks(parse_batch, items, LIMITS)
    assert [o.key for o in parsed] == ["a", "b", "c", "d"]
    assert [o.ok for o in parsed] == [True, False, True, False]
    assert [o.reason for o in parsed] == [None, "empty", None, "invalid_json"]
    assert decode_parsed(parsed[0].value).title.startswith("Backed Free Syrian Army")


async def test_an_empty_batch_needs_no_process():
    from streams.pipeline import parse_batch

    assert await StagePool(1, "fast").map_chunks(parse_batch, [], LIMITS) == []     # never started


def test_warm_up_runs_the_pipeline_of_its_mode():
    """The pool initializer (run here in-process: the models are already loaded by other tests)."""
    import logging

    root = logging.getLogger()
    level = root.level
    try:
        streams.pool.warm_up("fast")
        assert root.level == logging.WARNING          # pool processes log warnings and up only
    finally:
        root.setLevel(level)


async def test_chunks_over_several_processes_come_back_in_order(light_pool):
    pool = light_pool(2)
    out = await pool.map_chunks(tag_with_pid, list(range(7)), "x")
    assert [x for _, x, _ in out] == list(range(7))
    assert all(pid != os.getpid() for _, _, pid in out)


async def test_a_dead_process_raises_pool_crashed_and_the_pool_works_again(light_pool):
    pool = light_pool(1)
    [(_, _, pid_before)] = await pool.map_chunks(tag_with_pid, [0], "before")
    restarts = POOL_RESTARTS._value.get()

    with pytest.raises(PoolCrashed):
        await pool.map_chunks(exit_abruptly, [1, 2, 3])

    assert POOL_RESTARTS._value.get() == restarts + 1
    out = await pool.map_chunks(tag_with_pid, [4, 5], "after")
    assert [(t, x) for t, x, _ in out] == [("after", 4), ("after", 5)]
    assert out[0][2] != pid_before                          # a new process
    pool.stop()
    pool.stop()                                             # stopping twice is harmless
    assert pool.executor is None


def test_balanced_chunks_even_out_the_weights_and_keep_the_order():
    from streams.pool import balanced_chunks

    weights = [9000, 100, 200, 8000, 150, 300, 120, 7000]       # three long articles among short ones
    chunks = balanced_chunks(weights, 2)
    assert sorted(i for c in chunks for i in c) == list(range(len(weights)))
    assert all(c == sorted(c) for c in chunks)
    totals = sorted(sum(weights[i] for i in c) for c in chunks)
    assert totals == [9870, 15000]                               # contiguous halves: 7570 and 17300
    assert balanced_chunks([1, 1, 1], 5) == [[0], [1], [2]]       # never an empty chunk
    assert balanced_chunks([], 2) == []


async def test_weighted_chunks_still_come_back_in_order(light_pool):
    pool = light_pool(2)
    out = await pool.map_chunks(tag_with_pid, list(range(9)), "w", weight=lambda x: 100 if x in (0, 1) else 1)
    assert [x for _, x, _ in out] == list(range(9))


async def test_two_stages_seeing_one_crash_restart_the_pool_once(light_pool):
    """The parse and enrich agents share the pool: both see it break, one replaces it, both go on."""
    import asyncio

    pool = light_pool(2)
    restarts = POOL_RESTARTS._value.get()
    results = await asyncio.gather(pool.map_chunks(exit_abruptly, [1, 2]), pool.map_chunks(exit_abruptly, [3, 4]),
                                   return_exceptions=True)
    assert all(isinstance(r, PoolCrashed) for r in results)
    assert POOL_RESTARTS._value.get() == restarts + 1
    assert pool.executor is not None
    out = await pool.map_chunks(tag_with_pid, [5, 6], "after")
    assert [x for _, x, _ in out] == [5, 6] and all(pid != os.getpid() for _, _, pid in out)


class FailingPool:
    """A pool whose every call fails the way a pickling error would: not a crash, not an article's fault."""
    size = 2
    calls = 0

    async def map_chunks(self, fn, items, *args, weight=None):
        self.calls += 1
        raise TypeError("cannot pickle 'generator' object")


async def test_a_failing_pool_call_becomes_dead_letters_after_the_attempts_never_an_exception():
    import orjson

    from streams.agents import StageRunner
    from streams.pipeline import Item, parse_batch
    from streams.settings import load_settings

    settings = load_settings(env={"NEWSSTREAMS_PIPELINE_MAX_ATTEMPTS": "3"})
    pool = FailingPool()
    runner = StageRunner(settings, pool, producer=None, dedupe_store={})
    items = [Item(value=b"An article.", key="a1"), Item(value=b"Another.", key="a2")]
    outcomes = await runner._run("parse", parse_batch, items, settings.pipeline)
    assert [o.ok for o in outcomes] == [False, False]
    assert [o.reason for o in outcomes] == ["unexpected_error", "unexpected_error"]
    letters = [orjson.loads(o.value) for o in outcomes]
    assert [letter["id"] for letter in letters] == ["a1", "a2"] and all(letter["attempts"] == 3 for letter in letters)
    assert all(letter["stage"] == "parse" and letter["payload"] for letter in letters)
    assert pool.calls == 1 + 2 * 2           # the batch, then two more attempts for each item
