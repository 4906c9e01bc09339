"""The Native encoder (``netargus.sink.native``) writes, for every type it takes, the very bytes
clickhouse-driver's own column writers write for the same values (the reference: the driver
is what the server has been reading from netargus all along)."""

from __future__ import annotations

import numpy as np
import pytest
from clickhouse_driver import Client
from clickhouse_driver.bufferedwriter import BufferedSocketWriter
from clickhouse_driver.columns.service import write_column
from clickhouse_driver.context import Context

from netargus.sink import native

pytestmark = pytest.mark.unit

ENUM = "Enum8('counter' = 1, 'gauge' = 2)"


class Sink:
    """What the driver's socket writer sends to: the bytes, kept."""

    def __init__(self) -> None:
        self.data = bytearray()

    def sendall(self, data: bytes) -> None:
        self.data += data


def driver(type_name: str, values: list) -> bytes:
    context = Context()
    context.client_settings = Client("localhost").client_settings
    context.settings = {}
    sink = Sink()
    buf = BufferedSocketWriter(sink, 1 << 16)
    write_column(context, "c", type_name, list(values), buf)  # it rewrites enum items in place
    buf.flush()
    return bytes(sink.data)


@pytest.mark.parametrize(("type_name", "values"), [
    ("UInt8", [0, 1, 255]),
    ("UInt16", [0, 999, 65535]),
    ("UInt32", [0, 1_796_055_561, 2**32 - 1]),
    ("UInt64", [0, 2**63, 2**64 - 1]),
    ("Int64", [-(2**63), -1, 2**63 - 1]),
    ("Float64", [0.0, -1.5, 1e300, float("inf")]),
    ("DateTime('UTC')", [0, 1_796_055_561, 2**32 - 1]),
    ("String", ["", "Gi0/1", "Gi0/1", "température", "日本語", "x" * 300, ""]),
    ("Array(String)", [[], ["ifIndex", "ifName"], ["ifIndex", "ifName"], [""], ["ß" * 200]]),
    (ENUM, ["gauge", "counter", "counter", "gauge"]),
    ("Nullable(UInt64)", [None, 0, 2**64 - 1, None, 12345678901234567890]),
    ("Nullable(Float64)", [1.5, None]),
])
def test_each_type_encodes_as_the_driver_does(type_name, values):
    assert native.encode(type_name, values) == driver(type_name, values)
    as_array = np.empty(len(values), dtype=object)
    as_array[:] = values
    assert native.encode(type_name, as_array) == driver(type_name, values)


def test_numbers_from_numpy_arrays_keep_their_values():
    ts = np.array([0, 1_796_055_561, 2**32 - 1], dtype=np.uint32)
    assert native.encode("DateTime('UTC')", ts) == driver("DateTime('UTC')", ts.tolist())


def test_a_shared_label_list_is_encoded_once_and_repeated_in_order():
    a, b = ["ifIndex", "ifName"], ["ifIndex"]
    rows = [a, b, a, a, b]
    assert native.encode("Array(String)", rows) == driver("Array(String)", rows)


def test_an_unknown_enum_name_and_an_unsupported_type_are_refused():
    with pytest.raises(ValueError, match="'rate' is not a value of Enum8"):
        native.encode(ENUM, ["gauge", "rate"])
    with pytest.raises(native.Unsupported):
        native.encode("LowCardinality(String)", ["a"])
    with pytest.raises(native.Unsupported):
        native.encode("Nullable(String)", ["a"])


def test_a_nullable_given_as_values_and_mask_encodes_as_the_driver_does():
    """The sink's form of ``counter_value``: the samples' values and a mask of the exact
    counters; what is masked out (gauges, fractional counters) is NULL whatever it holds."""
    values = [2**64 - 1, -3.5, 7, 0.25, 2**53 + 1]
    present = np.array([True, False, True, False, True])
    expected = [2**64 - 1, None, 7, None, 2**53 + 1]
    column = native.Nullable(values, present)
    assert native.encode("Nullable(UInt64)", column) == driver("Nullable(UInt64)", expected)
    assert native.encode("Nullable(UInt64)", column[1:4]) == driver("Nullable(UInt64)",
                                                                    expected[1:4])
    assert native.driver_columns([column], use_numpy=False) == [expected]
    assert native.driver_columns([column], use_numpy=True)[0].tolist() == expected
