"""The walk's bookkeeping (netargus.protocols.snmp.walk), fed plain answers by hand; and
pysnmp values made plain (the SNMPv3 path)."""

from pysnmp.proto import rfc1902
from pysnmp.proto.rfc1905 import EndOfMibView

from netargus.protocols.snmp.values import END_OF_MIB_VIEW, Counter32, Counter64, plain, walked
from netargus.protocols.snmp.walk import TableWalk, row_limit

A, B = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3"


def test_two_columns_row_major_until_both_leave():
    walk = TableWalk([A, B, A])  # a duplicate is walked once
    assert walk.request() == [A, B]
    walk.take([A, B], [(f"{A}.1", b"eth0"), (f"{B}.1", 6),
                       (f"{A}.2", b"eth1"), (f"{B}.2", 6),
                       (f"{B}.1", 6),  # A's 3rd repetition: left A
                       ("1.3.6.1.2.1.2.2.1.4.1", 1500)])
    assert walk.done and walk.result.problems == []
    assert walk.result.columns == {A: {"1": b"eth0", "2": b"eth1"}, B: {"1": 6, "2": 6}}
    assert walk.result.requests == 1


def test_end_of_mib_view_ends_a_column_normally():
    walk = TableWalk([A])
    walk.request()
    walk.take([A], [(f"{A}.1", b"x"), (f"{A}.1", END_OF_MIB_VIEW)])
    assert walk.done and walk.result.problems == [] and walk.result.columns[A] == {"1": b"x"}


def test_a_column_that_does_not_advance_ends_with_a_problem():
    walk = TableWalk([A, B])
    walk.request()
    walk.take([A, B], [(f"{A}.7", 1), (f"{B}.7", 1)])
    assert walk.cursor(A) == f"{A}.7"
    walk.request()
    walk.take([A, B], [(f"{A}.7", 1), (f"{B}.8", 2)])
    assert [str(p) for p in walk.result.problems] == \
        [f"{A}: agent returned {A}.7 after {A}.7 (OID not increasing)"]
    assert walk.active == [B] and walk.request() == [B]
    walk.take([B], [(f"{B}.3", 2)])  # went back
    assert walk.done
    assert str(walk.result.problems[1]) == f"{B}: agent returned {B}.3 after {B}.8 (OID not " \
                                           "increasing)"


def test_rows_are_bounded_by_the_expected_size():
    assert row_limit(3) == 22 and row_limit(0) == 16
    walk = TableWalk([A], expected_rows=3)
    walk.request()
    walk.take([A], [(f"{A}.{i}", i) for i in range(1, 40)])
    assert walk.done and len(walk.result.columns[A]) == 22
    assert str(walk.result.problems[0]) == f"{A}: more than 22 rows (about 3 expected)"


def test_requests_are_bounded_even_when_every_answer_holds_one_row():
    walk = TableWalk([A], expected_rows=2)
    sent = 0
    while walk.request():
        sent += 1
        if sent > 1000:
            break
        # an agent that hands out one row per answer and whose row count never ends
        walk.take([A], [(f"{A}.{sent}", 0)])
    assert sent == 20 and walk.done  # row_limit(2) = 20 rows, one per request


def test_a_truncated_answer_asks_again_for_what_it_left_out():
    walk = TableWalk([A, B])
    walk.request()
    walk.take([A, B], [(f"{A}.1", 1)])  # B got nothing this time
    assert walk.active == [A, B] and walk.cursor(B) == B
    walk.request()
    walk.take([A, B], [])  # nothing at all: the walk ends rather than asking for ever
    assert walk.done
    assert {str(p) for p in walk.result.problems} == {
        f"{A}: the agent's answer held no value for the columns asked",
        f"{B}: the agent's answer held no value for the columns asked"}


def test_v1_no_such_name_ends_the_column_at_the_error_index_only():
    walk = TableWalk([A, "1.3.6.1.2.1.31.1.1.1.6", B])
    sent = walk.request()
    assert walk.take_error(sent, "noSuchName", 2)
    assert walk.active == [A, B] and walk.result.problems == []
    assert not walk.take_error(walk.request(), "noSuchName", 0)  # names no column
    assert not walk.take_error([A, B], "tooBig", 3)
    assert walk.take_error([A, B], "genErr", 1)
    assert [str(p) for p in walk.result.problems] == [f"{A}: agent error genErr after {A}"]


def test_plain_values_keep_the_wire_type():
    assert plain(rfc1902.Counter32(5)) == 5 and type(plain(rfc1902.Counter32(5))) is Counter32
    assert type(plain(rfc1902.Counter64(2**64 - 1))) is Counter64
    assert plain(rfc1902.Counter64(2**64 - 1)).bits == 64
    assert plain(rfc1902.OctetString(b"a\x00")) == b"a\x00"
    assert plain(rfc1902.ObjectIdentifier("1.3.6.1")) == "1.3.6.1"
    assert str(plain(rfc1902.IpAddress("192.0.2.1"))) == "192.0.2.1"
    assert plain(EndOfMibView("")) is None and walked(EndOfMibView("")) is END_OF_MIB_VIEW
    assert walked(rfc1902.Counter32(7)) == 7 and type(walked(rfc1902.Counter32(7))) is Counter32
