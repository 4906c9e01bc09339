import json
from datetime import UTC, datetime

import pytest

from netargus.stream.codec import Rejected, decode, encode

GOOD = {"ts": "2026-11-01T12:00:00.250Z", "device": "core1", "source": "gnmi",
        "metric": "interface.in_octets", "value": 123, "kind": "counter",
        "labels": {"ifName": "et-0/0/0"}}


def test_one_sample_or_a_list():
    (s,) = decode(json.dumps(GOOD).encode())
    assert (s.ts, s.device, s.source.value, s.value, s.kind.value, s.labels) == (
        datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=UTC), "core1", "gnmi", 123.0,
        "counter", (("ifName", "et-0/0/0"),))
    assert len(decode(json.dumps([GOOD, GOOD]).encode())) == 2
    assert decode(encode(s)) == [s]


@pytest.mark.parametrize("payload, reason", [
    (None, "empty message"),
    (b"\xff\xfe", "not JSON: 'utf-8' codec can't decode"),
    (b'{"ts": ', "not JSON: Expecting value"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "value"}).encode(),
     "sample 0: missing value"),
    (json.dumps([GOOD, 5]).encode(), "sample 1: expected an object, got int"),
    (json.dumps({**GOOD, "source": "telnet"}).encode(), "sample 0: 'telnet' is not a valid"),
    (json.dumps({**GOOD, "ts": "yesterday"}).encode(), "sample 0: Invalid isoformat"),
    (json.dumps({**GOOD, "labels": [1]}).encode(), "sample 0: labels must be an object"),
])
def test_rejects_name_the_reason(payload, reason):
    with pytest.raises(Rejected) as err:
        decode(payload)
    assert str(err.value).startswith(reason), str(err.value)
