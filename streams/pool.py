"""A process pool for the CPU-heavy stages, so the event loop (Kafka I/O, heartbeats, metrics) never blocks.

Each pool process loads the models once (``warm_up``). A batch is split into one chunk per process, balanced
by the items' sizes; the chunks run in parallel and the results come back in the items' order. A process that
dies (OOM, segfault) breaks the executor: the pool is replaced (once, whichever stage saw it) and the caller
retries the batch's items.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Sequence, TypeVar

from streams.metrics import POOL_RESTARTS

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


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

    async def map_chunks(self, fn: Callable[..., list[R]], items: Sequence[T], *args,
                         weight: Callable[[T], float] = lambda item: 1.0) -> list[R]:
        """``fn(chunk, *args)`` for one chunk per process; results in the order of ``items``.

        Chunks are balanced by ``weight`` (e.g. the message size: a long article costs more), so that no process
        sits idle while another finishes a chunk of long articles.
        """
        if not items:
            return []
        loop = asyncio.get_running_loop()
        order = balanced_chunks([weight(item) for item in items], min(self.size, len(items)))
        chunks = [[items[i] for i in chunk] for chunk in order]
        executor = self.executor
        try:
            results = await asyncio.gather(*(loop.run_in_executor(executor, fn, c, *args) for c in chunks))
        except BrokenProcessPool:
            await loop.run_in_executor(None, self._restart, executor)
            raise PoolCrashed("a pool process died during the batch") from None
        out: list = [None] * len(items)
        for chunk, chunk_results in zip(order, results):
            for i, result in zip(chunk, chunk_results):
                out[i] = result
        return out


def balanced_chunks(weights: Sequence[float], n: int) -> list[list[int]]:
    """Indices of ``weights`` split into ``n`` non-empty chunks of nearly equal total weight (heaviest first onto
    the lightest chunk); each chunk keeps the original order."""
    n = max(1, min(n, len(weights)))
    chunks: list[list[int]] = [[] for _ in range(n)]
    totals = [0.0] * n
    for i in sorted(range(len(weights)), key=lambda k: -weights[k]):
        lightest = min(range(n), key=lambda c: (totals[c], len(chunks[c])))
        chunks[lightest].append(i)
        totals[lightest] += weights[i]
    return [sorted(chunk) for chunk in chunks if chunk]


def _noop() -> None:
    return None
