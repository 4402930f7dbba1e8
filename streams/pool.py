"""A process pool for the CPU-heavy stages, so the event loop (Kafka I/O, heartbeats, metrics) never blocks.

Each pool process loads the models once (``warm_up``). A batch is cut into a few contiguous chunks per process,
of nearly equal total size; all are queued at once, a process takes the next chunk when it is free, and the
results come back chunk by chunk in the items' order (``map_in_order``), so that the caller can send one chunk's
outputs while the processes work on the next ones. A process that dies (OOM, segfault) breaks the executor: the
pool is replaced (once, whichever stage saw it) and the caller retries the items not yet returned.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from bisect import bisect_left
from itertools import accumulate
from typing import AsyncIterator, Callable, Sequence, TypeVar

from streams.metrics import POOL_RESTARTS

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
# Chunks a batch is cut into, per pool process. One chunk a process leaves the pool idle while the agent sends the
# batch's outputs and waits for the broker; two let a process start on the next chunk while the outputs of the
# previous one are sent (docs/BENCHMARKS.md, session 7), at the cost of smaller NER batches (8 instead of 16 of a
# 32-article batch on 2 cores: the same speed, measured) and one more round trip to a process per chunk.
CHUNKS_PER_PROCESS = 2


class PoolCrashed(RuntimeError):
    """A pool process died while working on a batch; the pool has been replaced."""


def warm_up(mode: str) -> None:
    """Load every model of ``mode`` in this process (pool initializer), so the first batch is not slow."""
    import logging as _logging

    _logging.getLogger().setLevel(_logging.WARNING)
    from streams.pipeline import process_payload

    sample = (b"Published: Sun, February 04, 2018\nWorld | By A Writer\n\nRussian jets struck Idlib in Syria on "
              b"Saturday, killing five civilians, the Syrian Observatory for Human Rights said.\n\n"
              b"\"It was terrible,\" a witness said.")
    process_payload(sample, mode=mode)


class StagePool:
    """``await pool.map_chunks(fn, items, *args)`` runs ``fn(chunk, *args)`` in the pool, one chunk per process."""

    def __init__(self, size: int, mode: str):
        self.size = max(1, size)
        self.mode = mode
        self.executor: ProcessPoolExecutor | None = None
        self._restart_lock = threading.Lock()

    def start(self) -> "StagePool":
        # spawn, not fork: the parent runs threads (metrics server, Kafka clients) that fork would copy mid-state.
        self.executor = ProcessPoolExecutor(max_workers=self.size, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=warm_up, initargs=(self.mode,))
        # start every process now and wait for its models: the worker is ready when this returns
        for f in [self.executor.submit(_noop) for _ in range(self.size)]:
            f.result()
        return self

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def _restart(self, broken: ProcessPoolExecutor | None) -> None:
        """Replace the broken executor, once: the parse and enrich stages share the pool and both see it break."""
        with self._restart_lock:
            if self.executor is not broken:       # another stage already replaced it
                return
            POOL_RESTARTS.inc()
            log.error("a pool process died; starting a new pool")
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            self.start()

    async def map_in_order(self, fn: Callable[..., list[R]], items: Sequence[T], *args,
                           weight: Callable[[T], float] = lambda item: 1.0,
                           chunks_per_process: int = CHUNKS_PER_PROCESS) -> AsyncIterator[tuple[int, list[R]]]:
        """``(start, fn(items[start:end], *args))`` for contiguous chunks of ``items``, in order, each as soon as
        it and every chunk before it are done.

        All chunks are queued at once: while the caller handles one chunk's results, the processes go on with the
        next. Chunks are cut by ``weight`` (e.g. the message size: a long article costs more), so that they take
        about as long. A dead process raises :class:`PoolCrashed` (after the pool is replaced) at the first chunk
        not yet returned: the caller knows which items came back, and retries the rest.
        """
        if not items:
            return
        loop = asyncio.get_running_loop()
        bounds = contiguous_chunks([weight(item) for item in items], self.size * max(1, chunks_per_process))
        executor = self.executor
        futures = [loop.run_in_executor(executor, fn, list(items[start:end]), *args) for start, end in bounds]
        try:
            for (start, _), future in zip(bounds, futures):
                try:
                    results = await future
                except BrokenProcessPool:
                    await loop.run_in_executor(None, self._restart, executor)
                    raise PoolCrashed("a pool process died during the batch") from None
                yield start, results
        finally:            # the caller stopped early, or a chunk failed: the others are not waited for
            for future in futures:
                if not future.done():
                    future.cancel()
                elif not future.cancelled():
                    future.exception()      # retrieved, so that asyncio does not log it as never retrieved

    async def map_chunks(self, fn: Callable[..., list[R]], items: Sequence[T], *args,
                         weight: Callable[[T], float] = lambda item: 1.0) -> list[R]:
        """``fn`` over all of ``items`` in the pool (see :meth:`map_in_order`); the results in the items' order."""
        out: list[R] = []
        async for _, results in self.map_in_order(fn, items, *args, weight=weight):
            out.extend(results)
        return out


def contiguous_chunks(weights: Sequence[float], n: int) -> list[tuple[int, int]]:
    """``(start, end)`` of at most ``n`` non-empty contiguous chunks of ``weights``, of nearly equal total weight:
    each cut falls on the item boundary nearest to a multiple of total / n."""
    n = max(1, min(n, len(weights)))
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1.0] * len(weights)
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    bounds, start = [], 0
    for k in range(1, n):
        target = total * k / n
        end = bisect_left(cumulative, target) + 1           # items[start:end] reach the target ...
        if end - 1 > start and cumulative[end - 1] - target > target - cumulative[end - 2]:
            end -= 1                                        # ... or stop one short, whichever is nearer
        end = min(max(end, start + 1), len(weights) - (n - k))   # every chunk keeps at least one item
        bounds.append((start, end))
        start = end
    bounds.append((start, len(weights)))
    return bounds


def _noop() -> None:
    return None
