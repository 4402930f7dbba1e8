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
