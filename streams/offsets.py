"""Offset commits that never pass a record no agent handled: three guards around faust-streaming 0.15.3's consumer.

Found on Apache Kafka (tests/integration/test_reliability.py: workers killed, stopped, added). Faust's consumer
has three ways to lose a record, each seen in a run:

1. **Records dropped by position.** Faust remembers the last offset it read per partition and drops any record
   below it. After a seek back (a rebalance, or the re-read below) records still in flight from the old position
   move that mark past the re-read ones, which are then dropped: never processed, never acked.
2. **Invented gaps.** The same jump is recorded as a "gap" (offsets the broker supposedly never returned, as for
   transaction markers), and Faust's commit fills gaps as if they were acked: it commits over the dropped records.
   This lost 10-11 consecutive offsets of one partition after kill -9 (CI, 21 articles in one run).
3. **Records dropped during a rebalance.** A record handed to the agent while the flow is suspended is dropped,
   but its offset counts as read; Faust 0.15.3 checks for a hole at the head of the acked offsets only when the
   committed offset is known and non-zero, and lets a hole of one through (3 to 12 articles lost in 3 of 7 runs).

Here:

- ``guard_offset_commits`` replaces each consumer's read-position memory with one that remembers nothing
  (``NoReadPositions``): no record is dropped for its offset (1) and no gap is inferred (2; Faust's ``_add_gap`` is
  a no-op as well). A record may then be processed twice (at-least-once, as after a crash), never skipped. Gaps
  enter only once verified (below); a record dropped during a rebalance (3) leaves a hole the commit never passes.
- The commit checks the head: nothing is committed while the committed offset (else the partition's first
  offset, as ``auto_offset_reset=earliest`` starts there) is not acked; Faust's own ``_new_offset`` then commits
  the run of consecutive acked offsets.
- ``reread_skipped_offsets`` (an app timer) looks at each partition whose first missing offset (at the head or a
  hole after it) stayed missing for ``HEAD_GAP_SECONDS``. A probe reads the partition at that offset with a
  separate consumer: if the broker holds no record there (a transaction marker, a compacted record), the range up
  to the next record is a verified gap and the commit passes it; if it holds one, the consumer seeks back to it
  and the record is read and processed again (those after it may be processed twice: at-least-once). A partition
  whose last fetched records never reached the agent shows no hole: it counts as stalled when the consumer has
  read past its committed offset and that offset has not moved for ``HEAD_GAP_SECONDS``.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping

log = logging.getLogger(__name__)

HEAD_GAP_SECONDS = 30.0
MAX_GAPS_PER_ROUND = 16     # verified gaps found one after another in one round     # a partition's first unacked offset missing for this long is probed, then read again

# probe(tp, offset) -> the first offset >= ``offset`` the broker holds for tp, or None (nothing there yet / unknown)
Probe = Callable[[object, int], Awaitable[int | None]]


class NoReadPositions(MutableMapping):
    """Faust's per-partition "last read offset", remembering nothing: every fetched record reaches the agent and no
    gap is inferred from a jump in offsets (see the module docstring, 1 and 2)."""

    def __getitem__(self, tp):
        return None

    def __setitem__(self, tp, offset) -> None:
        pass

    def __delitem__(self, tp) -> None:
        pass

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def guard_offset_commits() -> None:
    """Install the guards on faust's Consumer class (idempotent)."""
    from faust.transport import consumer as base

    cls = base.Consumer
    if getattr(cls._new_offset, "__newsstreams__", False):
        return
    original_init, original_new_offset, original_seek = cls.__init__, cls._new_offset, cls.perform_seek

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._read_offset = NoReadPositions()

    async def add_gap(self, tp, offset_from: int, offset_to: int) -> None:
        """Faust infers a gap from any jump in offsets, and its commit fills gaps as if acked: after a seek back,
        records still in flight made a jump and the commit passed the dropped ones. Gaps are only verified ones
        (``reread_skipped_offsets``)."""

    def new_offset(self, tp):
        """The head check and the stall bookkeeping, then Faust's own (verified gaps, the consecutive run, +1)."""
        acked = self._acked[tp]
        if not acked:
            return original_new_offset(self, tp)
        head = self._committed_offset[tp]
        if head is None:
            head = _first_offsets(self).get(tp)
        missing = None if head is None else first_missing(head, acked, self._gap[tp])
        stalls = _stalls(self)
        if missing is None:
            stalls.pop(tp, None)
        elif stalls.get(tp, (None,))[0] != missing:
            stalls[tp] = (missing, time.monotonic())
            log.info("%s[%d]: offset %d is not acknowledged yet; offsets up to %d are: commits stop before it",
                     tp.topic, tp.partition, missing, max(acked))
        if head is None or missing == head:
            return None
        return original_new_offset(self, tp)

    async def perform_seek(self):
        await original_seek(self)
        first = _first_offsets(self)
        first.clear()
        _stalls(self).clear()
        unknown = [tp for tp in self.assignment() if self._committed_offset[tp] is None]
        if unknown:
            first.update(await self.earliest_offsets(*unknown))

    new_offset.__newsstreams__ = True
    cls.__init__ = __init__
    cls._add_gap = add_gap
    cls._new_offset = new_offset
    cls.perform_seek = perform_seek


def first_missing(head: int, acked, gaps) -> int | None:
    """The first offset from ``head`` on that is neither acked nor inside a verified gap, if any offset after it is
    acked (a hole); None when everything up to the highest acked offset is accounted for."""
    expected = head
    for offset in sorted(set(acked)):
        while offset > expected:
            inside = gaps.at(expected) if gaps else ()
            if not inside:
                return expected
            expected = max(interval.end for interval in inside)
        if offset == expected:
            expected += 1
    return None


def _first_offsets(consumer) -> dict:
    if not hasattr(consumer, "_newsstreams_first_offsets"):
        consumer._newsstreams_first_offsets = {}
    return consumer._newsstreams_first_offsets


def _stalls(consumer) -> dict:
    """tp -> (first missing offset, monotonic time it was first seen missing)."""
    if not hasattr(consumer, "_newsstreams_stalls"):
        consumer._newsstreams_stalls = {}
    return consumer._newsstreams_stalls


async def reread_skipped_offsets(consumer, probe: Probe, now: float | None = None) -> list[tuple]:
    """For each assigned partition whose first missing offset stayed missing for ``HEAD_GAP_SECONDS``: a verified
    gap when the broker holds nothing there, else a seek back to it. Returns (tp, offset, "gap" | "seek") for each."""
    now = time.monotonic() if now is None else now
    done = []
    stalls = _stalls(consumer)
    assignment = consumer.assignment()
    await _find_tail_stalls(consumer, assignment, stalls, now)
    for tp, (offset, since) in list(stalls.items()):
        if tp not in assignment:
            stalls.pop(tp, None)
            continue
        if now - since < HEAD_GAP_SECONDS:
            continue
        try:
            present = await probe(tp, offset)
        except Exception as e:          # broker trouble: try again next round
            log.warning("%s[%d]: could not read offset %d to check it (%s); next round", tp.topic, tp.partition,
                        offset, e)
            continue
        if present is None:
            continue
        stalls.pop(tp, None)
        for _ in range(MAX_GAPS_PER_ROUND):
            if present is None or present <= offset:
                break
            log.info("%s[%d]: offsets %d-%d hold no record (transaction markers or compaction): not waited for",
                     tp.topic, tp.partition, offset, present - 1)
            consumer._gap[tp].addi(offset, present)
            consumer._gap[tp].merge_overlaps()
            done.append((tp, offset, "gap"))
            # the next hole, if any, is probed now: one marker per transaction, not one round (30 s) each
            acked = consumer._acked[tp]
            following = first_missing(present, acked, consumer._gap[tp]) if acked else None
            if following is None:
                break
            try:
                offset, present = following, await probe(tp, following)
            except Exception:
                break
        else:
            continue
        if present is None or present > offset:
            continue                                # only gaps this round (or the next probe failed)
        log.warning("%s[%d]: offset %d was fetched but never reached the agent (a rebalance race in Faust); "
                    "reading from it again", tp.topic, tp.partition, offset)
        await consumer.seek(tp, offset)
        done.append((tp, offset, "seek"))
    return done


async def _find_tail_stalls(consumer, assignment, stalls: dict, now: float) -> None:
    """A partition whose last fetched records never reached the agent has no acked offset after them, so no hole
    shows: it is stalled when the consumer has read past its committed offset and that offset has not moved for
    ``HEAD_GAP_SECONDS`` (the records in an agent's batch take seconds, not that)."""
    progress = _progress(consumer)
    acks_enabled = getattr(getattr(consumer, "app", None), "topics", None)
    for tp in assignment:
        if acks_enabled is not None and not acks_enabled.acks_enabled_for(tp.topic):
            continue
        committed = consumer._committed_offset[tp]
        if committed is None:
            committed = _first_offsets(consumer).get(tp)
        if committed is None or tp in stalls:
            continue
        try:
            position = await consumer.position(tp)
        except Exception:           # being revoked, or the broker is away: next round
            continue
        if position is None or position <= committed:
            progress.pop(tp, None)
            continue
        seen, since = progress.get(tp, (None, now))
        if seen != committed:
            progress[tp] = (committed, now)
        elif now - since >= HEAD_GAP_SECONDS:
            acked = consumer._acked[tp]
            missing = first_missing(committed, list(acked) + [position], consumer._gap[tp]) if acked else committed
            stalls[tp] = (committed if missing is None else missing, since)
            progress.pop(tp, None)


def _progress(consumer) -> dict:
    """tp -> (committed offset last seen, monotonic time it was first seen)."""
    if not hasattr(consumer, "_newsstreams_progress"):
        consumer._newsstreams_progress = {}
    return consumer._newsstreams_progress


def broker_probe(settings, timeout: float = 10.0) -> Probe:
    """A probe that reads one partition at an offset with its own short-lived consumer (no group, no commits)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from streams.kafka import MAX_REQUEST_BYTES, client_options

    async def probe(tp, offset: int) -> int | None:
        consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False, group_id=None,
                                    max_partition_fetch_bytes=MAX_REQUEST_BYTES, fetch_max_bytes=MAX_REQUEST_BYTES)
        await consumer.start()
        try:
            part = TopicPartition(tp.topic, tp.partition)
            consumer.assign([part])
            consumer.seek(part, offset)
            batch = await consumer.getmany(part, timeout_ms=int(timeout * 1000), max_records=1)
            records = batch.get(part) or []
            return records[0].offset if records else None
        finally:
            await consumer.stop()
    return probe
