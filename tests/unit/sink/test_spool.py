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


def test_spool_codecs_keep_every_field_of_samples_and_poll_results():
    """The demo's outage: replayed polls lost ``bits`` (a counter's width), and every rate
    around them was judged a discontinuity (a 32-bit reading next to one of no width). Every
    field is set to a non-default value here, and the check fails if a field is added to
    Sample or PollResult that this fixture does not set."""
    from dataclasses import fields
    from datetime import UTC, datetime

    from netargus.model import PollResult, Sample
    from netargus.sink.guarded import PollBatch, decode_polls, encode_polls

    sample = Sample(ts=datetime(2026, 11, 30, 18, 28, 5, 250000, tzinfo=UTC), device="r1",
                    source="snmp", metric="interface.in_octets", value=4_293_760_731,
                    kind="counter", labels={"ifIndex": "1", "ifName": "Fa0/1"}, bits=32)
    result = PollResult(device="r1", status="partial",
                        interval_end=datetime(2026, 11, 30, 18, 28, tzinfo=UTC),
                        duration_s=1.25, sample_count=1, error="cpu: no data",
                        source="netconf")
    plain = (Sample(ts=sample.ts, device="d", source="gnmi", metric="m", value=0.0),
             PollResult(device="d", status="ok", interval_end=result.interval_end,
                        duration_s=0.0))
    for given, default in zip((sample, result), plain, strict=True):
        unset = [f.name for f in fields(given) if f.name not in ("ts", "interval_end")
                 and getattr(given, f.name) == getattr(default, f.name)]
        assert unset == [], f"set these in the fixture: {unset}"
    batch = PollBatch("polling_interfaces", "scheduled__2026-11-30T18:28", [sample], [result])
    assert decode_polls(encode_polls([batch])) == [batch]


# ------------------------------------------------------------------ damage and exact budgets
# The record format, from the module docstring: magic (4 bytes) | payload length (4) | crc32 (4)
# | payload. Every payload below is 20 bytes, so every record is 12 + 20 = 32 bytes, and a
# 96-byte segment_bytes closes a segment after exactly 3 records (a segment takes appends
# until it is at least segment_bytes long).
RECORD = 4 + 4 + 4 + 20


def payload(i: int) -> bytes:
    return f"batch {i:02d}".ljust(20).encode()


def filled(tmp_path, n: int, **kwargs) -> tuple[Spool, list]:
    spool = Spool(tmp_path, segment_bytes=3 * RECORD, **kwargs)
    for i in range(n):
        spool.append(payload(i))
    return spool, sorted(tmp_path.glob("*.seg"))


def flip(path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_the_record_size_is_what_the_format_says(tmp_path):
    assert HEADER.size == 12 and len(payload(7)) == 20
    _, (first, second) = filled(tmp_path, 6)
    assert (first.stat().st_size, second.stat().st_size) == (96, 96)
    assert first.read_bytes()[:4] == b"NAS1"


def test_a_flipped_byte_in_an_older_segment_costs_that_batch_alone(tmp_path, caplog):
    _, (first, _) = filled(tmp_path, 6)
    flip(first, RECORD + 12 + 3)  # inside batch 01's payload: its crc32 no longer matches
    spool = Spool(tmp_path, segment_bytes=3 * RECORD)
    assert first.stat().st_size == 96  # not a torn tail: nothing is cut on open
    before = spool.stats()
    assert (before.pending_batches, before.pending_bytes) == (5, 5 * RECORD)
    assert (before.dropped_batches, before.dropped_bytes) == (0, 0)  # not passed yet
    got: list[bytes] = []
    assert spool.replay(got.append) == 5
    assert got == [payload(i) for i in (0, 2, 3, 4, 5)]
    after = spool.stats()
    assert (after.pending_batches, after.pending_bytes) == (0, 0)
    assert (after.dropped_batches, after.dropped_bytes) == (1, RECORD)
    assert f"DROPPED 32 damaged bytes (a checksum or header that does not match) at byte 32 " \
           f"of segment {first.name}; total dropped: 1 batches" in caplog.text
    assert Spool(tmp_path).stats().dropped_batches == 1  # persisted
    assert list(tmp_path.glob("*.seg")) == []


def test_a_flipped_byte_mid_way_through_the_last_segment_keeps_the_batches_after_it(tmp_path):
    _, (_, last) = filled(tmp_path, 6)
    flip(last, RECORD + 12)  # batch 04's payload, with batch 05 (acknowledged) after it
    spool = Spool(tmp_path, segment_bytes=3 * RECORD)
    assert last.stat().st_size == 96
    got: list[bytes] = []
    assert spool.replay(got.append) == 5
    assert got == [payload(i) for i in (0, 1, 2, 3, 5)]
    stats = spool.stats()
    assert (stats.dropped_batches, stats.dropped_bytes) == (1, RECORD)


def test_a_checksum_failing_at_the_very_end_is_a_torn_append_and_is_cut(tmp_path, caplog):
    _, (_, last) = filled(tmp_path, 6)
    flip(last, 2 * RECORD + 12 + 19)  # the last byte of the last record (batch 05)
    spool = Spool(tmp_path, segment_bytes=3 * RECORD)
    assert last.stat().st_size == 2 * RECORD  # cut on open, as the module documents
    assert f"cutting a torn record at byte 64 of {last.name}" in caplog.text
    stats = spool.stats()
    assert (stats.pending_batches, stats.pending_bytes) == (5, 5 * RECORD)
    got: list[bytes] = []
    assert spool.replay(got.append) == 5
    assert got == [payload(i) for i in range(5)]
    assert (spool.stats().dropped_batches, spool.stats().dropped_bytes) == (0, 0)


def test_a_wrong_magic_costs_that_record_alone(tmp_path):
    _, (first, _) = filled(tmp_path, 6)
    data = first.read_bytes()
    first.write_bytes(b"XXXX" + data[4:])  # batch 00's header
    spool = Spool(tmp_path, segment_bytes=3 * RECORD)
    got: list[bytes] = []
    assert spool.replay(got.append) == 5
    assert got == [payload(i) for i in (1, 2, 3, 4, 5)]
    stats = spool.stats()
    assert (stats.dropped_batches, stats.dropped_bytes) == (1, RECORD)


def test_a_header_with_a_wrong_length_costs_that_record_alone(tmp_path):
    _, (first, _) = filled(tmp_path, 6)
    data = bytearray(first.read_bytes())
    data[RECORD + 4:RECORD + 8] = (1000).to_bytes(4, "big")  # batch 01 claims 1000 bytes
    first.write_bytes(bytes(data))
    spool = Spool(tmp_path, segment_bytes=3 * RECORD)
    got: list[bytes] = []
    assert spool.replay(got.append) == 5
    assert got == [payload(i) for i in (0, 2, 3, 4, 5)]
    stats = spool.stats()
    assert (stats.dropped_batches, stats.dropped_bytes) == (1, RECORD)


def test_a_segment_that_is_no_spool_segment_at_all_is_counted_not_skipped(tmp_path, caplog):
    _, (first, _) = filled(tmp_path, 6)
    first.write_bytes(bytes(96))  # zeroed (three records' worth): no header to read anywhere
    spool = Spool(tmp_path, segment_bytes=3 * RECORD)
    assert spool.stats().pending_batches == 3
    got: list[bytes] = []
    assert spool.replay(got.append) == 3
    assert got == [payload(i) for i in (3, 4, 5)]
    # how many batches a span without a readable header held cannot be known: it counts as one
    stats = spool.stats()
    assert (stats.dropped_batches, stats.dropped_bytes) == (1, 96)
    assert f"DROPPED 96 damaged bytes (a checksum or header that does not match) at byte 0 " \
           f"of segment {first.name}" in caplog.text


def test_a_budget_exceeded_by_one_record_drops_the_whole_oldest_segment(tmp_path, caplog):
    # budget 7 records: batches 00-06 fill it (segments 00-02, 03-05, 06); batch 07 would make
    # 256 > 224 bytes, so the oldest segment goes whole (3 batches, 96 bytes), though 32 bytes
    # would have been enough, and batch 07 joins batch 06's segment
    spool, segments = filled(tmp_path, 8, budget_bytes=7 * RECORD)
    assert len(segments) == 2 and spool.size() == 5 * RECORD
    stats = spool.stats()
    assert (stats.pending_batches, stats.pending_bytes) == (5, 5 * RECORD)
    assert (stats.dropped_batches, stats.dropped_bytes) == (3, 3 * RECORD)
    assert "DROPPED 3 batches (96 bytes) of segment" in caplog.text
    got: list[bytes] = []
    assert spool.replay(got.append) == 5
    assert got == [payload(i) for i in range(3, 8)]


def test_a_budget_drop_counts_only_what_was_not_replayed_of_the_oldest_segment(tmp_path, caplog):
    spool, _ = filled(tmp_path, 8, budget_bytes=7 * RECORD)  # segments 03-05, 06-07 (above)
    got: list[bytes] = []

    def one_then_down(data: bytes) -> None:
        if got:
            raise ConnectionError("sink down")
        got.append(data)

    assert spool.replay(one_then_down) == 1  # batch 03 delivered: the cursor is 32 bytes in
    assert got == [payload(3)]
    assert spool.stats().pending_batches == 4
    caplog.clear()
    # 08 fills segment 06-08 (192 bytes in all), 09 starts a new one (224), 10 needs room: the
    # oldest segment (03-05) goes, but batch 03 was delivered: 2 batches, 96 - 32 = 64 bytes
    for i in (8, 9, 10):
        spool.append(payload(i))
    assert "DROPPED 2 batches (64 bytes) of segment" in caplog.text
    assert "total dropped: 5 batches" in caplog.text
    assert len(list(tmp_path.glob("*.seg"))) == 2 and spool.size() == 5 * RECORD
    stats = spool.stats()
    assert (stats.pending_batches, stats.pending_bytes) == (5, 5 * RECORD)
    assert (stats.dropped_batches, stats.dropped_bytes) == (5, 3 * RECORD + 2 * RECORD)
    rest: list[bytes] = []
    assert spool.replay(rest.append) == 5
    assert rest == [payload(i) for i in range(6, 11)]
