"""streams.app.guard_offset_commits: Faust never commits past an offset no agent acknowledged (found on Kafka).

The patched ``Consumer._new_offset`` is called on a stand-in holding the same bookkeeping Faust keeps (acked offsets,
gaps, committed offsets); ``reread_skipped_offsets`` on a stand-in that records its seeks.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace

import pytest
from faust.transport import consumer as faust_consumer
from faust.types import TP
from intervaltree import IntervalTree

from streams.app import HEAD_GAP_SECONDS, guard_offset_commits, reread_skipped_offsets

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


def test_offsets_the_broker_never_returned_still_count_as_done(consumer):
    consumer._committed_offset[TOPIC] = 10
    consumer._gap[TOPIC].addi(12, 14)                   # 12 and 13 do not exist (a transaction marker, compaction)
    acked(consumer, 10, 11, 14)
    assert new_offset(consumer) == 15


def test_a_head_missing_for_long_is_read_again_from_it(consumer):
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 11)
    assert new_offset(consumer) is None
    since = consumer._newsstreams_head_gaps[TOPIC]
    assert asyncio.run(reread_skipped_offsets(consumer, now=since + HEAD_GAP_SECONDS / 2)) == []
    assert asyncio.run(reread_skipped_offsets(consumer, now=since + HEAD_GAP_SECONDS + 1)) == [(TOPIC, 10)]
    assert consumer.sought == [(TOPIC, 10)] and TOPIC not in consumer._newsstreams_head_gaps


def test_a_partition_no_longer_assigned_is_left_alone(consumer):
    consumer._committed_offset[TOPIC] = 10
    acked(consumer, 11)
    new_offset(consumer)
    consumer.assignment = lambda: set()
    since = consumer._newsstreams_head_gaps[TOPIC]
    assert asyncio.run(reread_skipped_offsets(consumer, now=since + HEAD_GAP_SECONDS + 1)) == []
    assert consumer.sought == []


def test_a_head_offset_the_broker_never_returned_is_not_a_hole(consumer):
    consumer._committed_offset[TOPIC] = 10
    consumer._gap[TOPIC].addi(10, 12)                   # 10 and 11 do not exist
    acked(consumer, 12, 13)
    assert new_offset(consumer) == 14
