"""``SampleColumns``: a batch of samples as columns reads, compares and converts exactly as the
list of the same ``Sample`` objects does (the sink and the stream loader take either)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from netargus.model import Kind, Sample, SampleColumns, Source
from netargus.sink.clickhouse import sample_columns
from netargus.sink.native import driver_columns

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 30, 12, 0, 0, 250_000, tzinfo=UTC)
PORT = (("ifIndex", "1"), ("ifName", "Gi0/1"))


def samples() -> list[Sample]:
    return [
        Sample(ts=T0, device="core1", source="snmp", metric="interface.in_octets",
               value=2**64 - 1, kind="counter", labels=PORT, bits=64),
        Sample(ts=T0, device="core1", source="snmp", metric="interface.in_octets",
               value=2**53 + 1, kind="counter", labels=(("ifIndex", "2"),), bits=64),
        Sample(ts=T0, device="core1", source="gnmi", metric="temperature.celsius",
               value=-3.5, kind="gauge"),
        Sample(ts=datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC), device="edge é",
               source="otlp", metric="requests", value=0.25, kind="counter"),
        Sample(ts=datetime(1970, 1, 1, tzinfo=UTC), device="x", source="my_proto",
               metric="m", value=0, kind="counter", bits=32),
    ]


def test_a_batch_reads_as_the_list_of_its_samples():
    given = samples()
    batch = SampleColumns(given)
    assert len(batch) == 5
    assert batch == given and given == batch and list(batch) == given
    assert batch[0] == given[0] and batch[-1] == given[-1]
    assert batch[1:3] == given[1:3] and isinstance(batch[1:3], SampleColumns)
    assert batch[1].value == 2**53 + 1 and type(batch[1].value) is int
    with pytest.raises(IndexError):
        batch[5]
    assert batch != given[:4] and batch != given[::-1]
    other = SampleColumns()
    other.add(T0, "core1", Source.SNMP, "interface.in_octets", 2**64 - 1, Kind.COUNTER,
              PORT, 64)
    other.extend(batch[1:])
    assert other == batch
    other.append(given[0])
    assert len(other) == 6 and other[5] == given[0]


def _plain(columns: list) -> list:
    return [c.tolist() if isinstance(c, np.ndarray) else list(c)
            for c in driver_columns(columns, use_numpy=False)]


def test_a_batch_and_its_samples_give_the_sink_the_same_columns():
    given = samples()
    from_batch = _plain(sample_columns(SampleColumns(given)))
    assert from_batch == _plain(sample_columns(given))
    ts, ts_ms, device, source, metric, series, keys, values, value, kind, exact, bits = \
        from_batch
    # date -u -d 2026-11-30T12:00:00Z +%s: 1796040000; the DateTime range's two ends
    assert ts == [1_796_040_000, 1_796_040_000, 1_796_040_000, 2**32 - 1, 0]
    assert ts_ms == [250, 250, 250, 0, 0]
    assert device == ["core1", "core1", "core1", "edge é", "x"]
    assert source == ["snmp", "snmp", "gnmi", "otlp", "my_proto"]
    assert series == ["ifIndex=1,ifName=Gi0/1", "ifIndex=2", "", "", ""]
    assert keys == [["ifIndex", "ifName"], ["ifIndex"], [], [], []]
    assert values == [["1", "Gi0/1"], ["2"], [], [], []]
    assert kind == ["counter", "counter", "gauge", "counter", "counter"]
    # exact counters only: a gauge and a fractional counter have no counter_value
    assert exact == [2**64 - 1, 2**53 + 1, None, None, 0]
    assert value == [float(2**64 - 1), float(2**53 + 1), -3.5, 0.25, 0.0]
    assert bits == [64, 64, 0, 0, 32]
