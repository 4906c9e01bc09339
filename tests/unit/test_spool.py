"""The on-disk spool: order, durability across reopen, torn tails, failures, the budget."""

import json

import pytest

from netargus.sink.spool import HEADER, Spool, SpoolError


def batches(n: int, size: int = 10) -> list[bytes]:
    return [json.dumps({"batch": i, "pad": "x" * size}).encode() for i in range(n)]


def test_replay_in_order_then_empty(tmp_path):
    spool = Spool(tmp_path, segment_bytes=200)  # several segments
    for b in batches(20):
        spool.append(b)
    assert len(list(tmp_path.glob("*.seg"))) > 1
    got: list[bytes] = []
    assert spool.replay(got.append) == 20
    assert got == batches(20)
    assert spool.stats().pending_batches == 0 and not list(tmp_path.glob("*.seg"))


def test_a_failing_writer_stops_replay_and_nothing_is_skipped(tmp_path):
    spool = Spool(tmp_path, segment_bytes=200)
    for b in batches(10):
        spool.append(b)
    got: list[bytes] = []

    def flaky(payload: bytes) -> None:
        if len(got) == 4:
            raise ConnectionError("sink down")
        got.append(payload)

    assert spool.replay(flaky) == 4
    assert spool.stats().pending_batches == 6
    reopened = Spool(tmp_path, segment_bytes=200)  # the cursor is durable
    assert reopened.replay(got.append) == 6
    assert got == batches(10)


def test_a_torn_tail_is_cut_and_earlier_batches_survive(tmp_path):
    spool = Spool(tmp_path)
    for b in batches(3):
        spool.append(b)
    segment = next(tmp_path.glob("*.seg"))
    with open(segment, "ab") as f:  # a crash in the middle of the fourth append
        f.write(HEADER.pack(b"NAS1", 500, 0) + b"partial")
    reopened = Spool(tmp_path)
    got: list[bytes] = []
    reopened.replay(got.append)
    assert got == batches(3)
    reopened.append(b"after")  # appends continue cleanly after the cut
    reopened.replay(got.append)
    assert got[-1] == b"after"


def test_the_budget_drops_oldest_segments_and_counts_them(tmp_path, caplog):
    one = len(batches(1, 100)[0]) + HEADER.size
    spool = Spool(tmp_path, budget_bytes=one * 10, segment_bytes=one * 2)
    for b in batches(30, 100):
        spool.append(b)
    stats = spool.stats()
    assert stats.dropped_batches > 0 and stats.dropped_bytes > 0
    assert stats.pending_batches + stats.dropped_batches == 30
    assert spool.size() <= one * 10
    got: list[bytes] = []
    spool.replay(got.append)
    assert got == batches(30, 100)[stats.dropped_batches:]  # the newest are kept, in order
    assert "DROPPED" in caplog.text
    assert Spool(tmp_path).stats().dropped_batches == stats.dropped_batches  # persisted


def test_a_batch_larger_than_the_budget_is_refused(tmp_path):
    with pytest.raises(SpoolError, match="exceeds the spool budget"):
        Spool(tmp_path, budget_bytes=64).append(b"x" * 100)


def test_sample_codec_round_trips():
    from datetime import UTC, datetime

    from netargus.model import Sample
    from netargus.sink.guarded import decode_samples, encode_samples

    samples = [Sample(ts=datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC), device="r1",
                      source="gnmi", metric="interface.in_octets", value=1.5, kind="counter",
                      labels={"ifName": "et-0/0/0", "queue": "3"}),
               Sample(ts=datetime(2026, 11, 1, tzinfo=UTC), device="r2", source="snmp",
                      metric="cpu.utilization", value=42)]
    assert decode_samples(encode_samples(samples)) == samples
