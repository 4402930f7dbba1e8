"""A process pool for the CPU-heavy stages, so the event loop (Kafka I/O, heartbeats, metrics) never blocks.

Each pool process loads the models once (``warm_up``). A batch is split into one chunk per process; the
chunks run in parallel and come back in order. A process that dies (OOM, segfault) breaks the executor:
the pool is replaced and the caller retries the batch's items.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
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

    def _restart(self) -> None:
        POOL_RESTARTS.inc()
        log.error("a pool process died; starting a new pool")
        old, self.executor = self.executor, None
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        self.start()

    async def map_chunks(self, fn: Callable[..., list[R]], items: Sequence[T], *args) -> list[R]:
        if not items:
            return []
        loop = asyncio.get_running_loop()
        n = min(self.size, len(items))
        step = -(-len(items) // n)
        chunks = [list(items[i:i + step]) for i in range(0, len(items), step)]
        try:
            results = await asyncio.gather(*(loop.run_in_executor(self.executor, fn, c, *args) for c in chunks))
        except BrokenProcessPool:
            await loop.run_in_executor(None, self._restart)
            raise PoolCrashed("a pool process died during the batch") from None
        return [r for chunk in results for r in chunk]


def _noop() -> None:
    return None
