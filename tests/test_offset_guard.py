"""streams.offsets: Faust never commits past an offset no agent handled, and never drops a fetched record (found on
Kafka, tests/integration/test_reliability.py).

The patched ``Consumer._new_offset`` is called on a stand-in holding the same bookkeeping Faust keeps (acked offsets,
gaps, committed offsets); ``reread_skipped_offsets`` on a stand-in that records its seeks, with a stand-in probe
(the real probe is exercised on a broker in tests/integration/test_offsets_broker.py).
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace

import pytest
from faust.transport import consumer as faust_consumer
from faust.types import TP
from intervaltree import IntervalTree

from streams.offsets import HEAD_GAP_SECONDS, NoReadPositions, first_missing, guard_offset_commits, \
    reread_skipped_offsets

TOPIC = TP("articles.parsed", 0)


@pytest.fixture
def consumer():
    guard_offset_commits()
    stand_in = SimpleNamespace(_acked=defaultdict(list), _acked_index=defaultdict(set), _gap=defaultdict(IntervalTree),
                               _committed_offset=defaultdict(lambda: None), sought=[])
    stand_in.assignment = lambda: {TOPIC}

    async def seek(tp, offset):
        stand_in.sought.append((tp, offset))
    stand_in.seek = seek
    return stand_in


def acked(consumer, *offsets):
    consumer._acked[TOPIC].extend(offsets)
    consumer._acked_index[TOPIC].update(offsets)


def new_offset(consumer):
    return faust_consumer.Consumer._new_offset(consumer, TOPIC)


def probe_answering(answer):
    asked = []

    async def probe(tp, offset):
        asked.append((tp, offset))
        if isinstance(answer, Exception):
            raise answer
        return answer
    probe.asked = asked
    return probe


def stalled_since(consumer) -> float:
    return consumer._newsstreams_stalls[TOPIC][1]


# --- the commit ------------------------------------------------------------------------------------------------

def test_contiguous_acks_from_the_committed_offset_are_committed(consumer):
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 12, 10, 11, 14)
    assert new_offset(consumer) == 13                  # 10, 11, 12 done; 13 is not
    assert consumer._acked[TOPIC] == [14]


def test_a_hole_of_one_at_the_head_is_not_committed_over(consumer):
    """Faust 0.15.3 let exactly this through (``min(acked) - committed > 1``)."""
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 11, 12)
    assert new_offset(consumer) is None
    assert consumer._acked[TOPIC] == [11, 12]           # kept for when 10 arrives
    acked(consumer, 10)
    assert new_offset(consumer) == 13


def test_without_a_committed_offset_the_partitions_first_offset_is_the_head(consumer):
    """After a rebalance Faust forgets the committed offset; on a new partition there is none. Faust then
    committed whatever was acked; records skipped at the head were lost."""
    consumer._newsstreams_first_offsets = {TOPIC: 0}
    acked(consumer, 3, 4, 5)
    assert new_offset(consumer) is None
    acked(consumer, 0, 1, 2)
    assert new_offset(consumer) == 6


def test_an_unknown_head_commits_nothing(consumer):
    acked(consumer, 7, 8)
    assert new_offset(consumer) is None


def test_verified_gaps_count_as_done(consumer):
    consumer._committed_offset[TOPIC] = 10
    consumer._gap[TOPIC].addi(12, 14)                   # 12 and 13 hold no record (checked by the probe)
    acked(consumer, 10, 11, 14)
    assert new_offset(consumer) == 15


def test_a_head_offset_inside_a_verified_gap_is_not_a_hole(consumer):
    consumer._committed_offset[TOPIC] = 10
    consumer._gap[TOPIC].addi(10, 12)
    acked(consumer, 12, 13)
    assert new_offset(consumer) == 14


def test_first_missing_walks_acks_and_gaps():
    gaps = IntervalTree()
    gaps.addi(5, 7)
    assert first_missing(3, [3, 4, 7, 8], gaps) is None           # 5 and 6 are a verified gap
    assert first_missing(3, [3, 4, 8], gaps) == 7
    assert first_missing(3, [4, 5], IntervalTree()) == 3
    assert first_missing(3, [3, 3, 4], IntervalTree()) is None      # an offset acked twice (re-read)
    assert first_missing(3, [1, 2, 3], IntervalTree()) is None      # acks below the head (a re-read) are done


# --- no record dropped, no gap invented ------------------------------------------------------------------------

def test_faust_records_no_gap_of_its_own(consumer):
    """Faust recorded any jump in fetched offsets as a gap and its commit filled gaps as if acked: after a seek back,
    records still in flight made such a jump and the commit passed the records dropped meanwhile (10-11 articles
    of one partition lost after kill -9, in CI). Only gaps the probe verified count."""
    asyncio.run(faust_consumer.Consumer._add_gap(consumer, TOPIC, 12, 20))
    assert not consumer._gap[TOPIC]
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 10, 11, 21)
    assert new_offset(consumer) == 12


def test_faust_consumers_remember_no_read_position():
    """Faust drops a fetched record whose offset is below the last one it read: after a seek back, records still in
    flight moved that mark past the re-read ones, which were dropped and never processed."""
    import faust

    guard_offset_commits()
    positions = faust.App("offset-guard-test", broker="kafka://127.0.0.1:1").consumer._read_offset
    assert isinstance(positions, NoReadPositions)
    positions[TOPIC] = 41
    assert positions[TOPIC] is None and len(positions) == 0 and list(positions) == []
    del positions[TOPIC]
    assert positions.pop(TOPIC, None) is None


# --- a stall: probed, then a verified gap or a re-read -----------------------------------------------------------

def test_a_missing_head_is_probed_after_a_while_and_read_again(consumer):
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 11)
    assert new_offset(consumer) is None
    since = stalled_since(consumer)
    probe = probe_answering(10)                          # the broker holds a record at 10: it was skipped
    assert asyncio.run(reread_skipped_offsets(consumer, probe, now=since + HEAD_GAP_SECONDS / 2)) == []
    assert probe.asked == []
    assert asyncio.run(reread_skipped_offsets(consumer, probe, now=since + HEAD_GAP_SECONDS + 1)) == \
        [(TOPIC, 10, "seek")]
    assert consumer.sought == [(TOPIC, 10)] and TOPIC not in consumer._newsstreams_stalls


def test_a_hole_after_the_head_commits_up_to_it_then_is_read_again(consumer):
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 10, 11, 13, 14)
    assert new_offset(consumer) == 12                    # the run before the hole
    assert consumer._newsstreams_stalls[TOPIC][0] == 12
    result = asyncio.run(reread_skipped_offsets(consumer, probe_answering(12),
                                                now=stalled_since(consumer) + HEAD_GAP_SECONDS + 1))
    assert result == [(TOPIC, 12, "seek")]


def test_offsets_without_records_become_a_verified_gap_and_the_commit_passes_them(consumer):
    """A transactional producer leaves a marker at one offset per transaction: no record is ever fetched there."""
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 10, 11, 14, 15)
    assert new_offset(consumer) == 12
    consumer._committed_offset[TOPIC] = 12
    assert new_offset(consumer) is None                  # 12 and 13 missing at the head
    result = asyncio.run(reread_skipped_offsets(consumer, probe_answering(14),
                                                now=stalled_since(consumer) + HEAD_GAP_SECONDS + 1))
    assert result == [(TOPIC, 12, "gap")] and consumer.sought == []
    assert new_offset(consumer) == 16


def test_a_probe_that_fails_or_finds_nothing_leaves_the_stall_for_the_next_round(consumer):
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 11)
    new_offset(consumer)
    late = stalled_since(consumer) + HEAD_GAP_SECONDS + 1
    for answer in (OSError("broker down"), None):
        assert asyncio.run(reread_skipped_offsets(consumer, probe_answering(answer), now=late)) == []
        assert TOPIC in consumer._newsstreams_stalls and consumer.sought == []


def test_a_partition_no_longer_assigned_is_left_alone(consumer):
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 11)
    new_offset(consumer)
    consumer.assignment = lambda: set()
    probe = probe_answering(10)
    assert asyncio.run(reread_skipped_offsets(consumer, probe, now=stalled_since(consumer) + HEAD_GAP_SECONDS + 1)) \
        == []
    assert consumer.sought == [] and probe.asked == []


def test_several_holes_without_records_are_verified_in_one_round(consumer):
    """One marker per transaction: each would otherwise cost a round of ``HEAD_GAP_SECONDS``."""
    consumer._committed_offset[TOPIC] = 0
    acked(consumer, 0, 1, 3, 4, 6, 7)                    # 2 and 5 are markers
    assert new_offset(consumer) == 2
    consumer._committed_offset[TOPIC] = 2
    new_offset(consumer)
    answers = {2: 3, 5: 6}

    async def probe(tp, offset):
        return answers[offset]
    result = asyncio.run(reread_skipped_offsets(consumer, probe, now=stalled_since(consumer) + HEAD_GAP_SECONDS + 1))
    assert result == [(TOPIC, 2, "gap"), (TOPIC, 5, "gap")] and consumer.sought == []
    assert new_offset(consumer) == 8
