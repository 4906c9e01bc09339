"""The demux in front of a sink: partial deliveries, the retry pause, and the raw-message codec."""

import pytest

from netargus.sink.guarded import Guarded, Undelivered
from netargus.sink.spool import Spool
from netargus.streaming.raw import RawMessage, decode_messages, encode_messages


def ints(data: bytes) -> list[int]:
    return [int(x) for x in data.decode().split(",")]


def enc(items) -> bytes:
    return ",".join(map(str, items)).encode()


class FlakySink:
    """Takes what it is given unless told to refuse all or part (a stand-in for Kafka)."""

    def __init__(self) -> None:
        self.got: list[int] = []
        self.refuse_all = False
        self.refuse: set[int] = set()

    def write(self, items):
        if self.refuse_all:
            raise ConnectionError("broker down")
        taken = [i for i in items if i not in self.refuse]
        self.got += taken
        if len(taken) < len(items):
            raise Undelivered([i for i in items if i in self.refuse], "timed out")


def test_only_the_undelivered_part_is_spooled_and_replayed_in_order(tmp_path):
    sink = FlakySink()
    guarded = Guarded(sink.write, Spool(tmp_path), enc, ints, retry_after=0)
    sink.refuse = {2, 3}
    assert guarded.write([1, 2, 3, 4]) == "spooled"
    assert sink.got == [1, 4]
    sink.refuse = set()
    assert guarded.write([5]) == "written"  # the spool is replayed first: order is kept
    assert sink.got == [1, 4, 2, 3, 5]
    assert not guarded.spool.has_pending()


def test_after_a_failure_batches_go_straight_to_the_spool_for_a_while(tmp_path):
    sink = FlakySink()
    guarded = Guarded(sink.write, Spool(tmp_path), enc, ints, retry_after=3600)
    sink.refuse_all = True
    assert guarded.write([1]) == "spooled"
    sink.refuse_all = False  # back, but the guard waits retry_after before trying again
    assert guarded.write([2]) == "spooled"
    assert guarded.drain() == 0 and sink.got == []
    guarded._down_until = 0  # the pause is over
    assert guarded.drain() == 2
    assert sink.got == [1, 2]


@pytest.mark.parametrize("payload", [b"", b"\x00\xff binary", "ünï".encode()])
def test_raw_messages_survive_the_spool_codec(payload):
    msgs = [RawMessage("sw1", "gnmi", payload), RawMessage("mx1", "jti", b"x")]
    assert decode_messages(encode_messages(msgs)) == msgs
