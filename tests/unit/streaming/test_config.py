"""The streaming file: validation with file and line, and stable shards."""

import pytest

from netargus.config import ConfigError
from netargus.inventory import shard_of
from netargus.streaming.config import load_streaming

GOOD = """
shards: 3
heartbeat_seconds: 10
sensor_groups:
  oc: [{path: /interfaces/interface/state/counters, interval: 5}]
gnmi:
  - {device: sw1, address: "10.0.0.1:57400", sensor_groups: [oc], credentials: gnmi_ro}
listeners:
  - {name: jti-a, protocol: jti, port: 50000, devices: {mx1: mx1, mx2: mx2}}
"""


def test_the_bundled_file_is_valid():
    cfg = load_streaming()
    assert cfg.gnmi and cfg.listeners and cfg.raw_topic == "netargus.raw"


def test_targets_are_sharded_by_a_stable_hash_of_their_id(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD)
    cfg = load_streaming(path)
    assert [t.id for t in cfg.targets()] == ["gnmi:sw1", "listener:jti-a"]
    for shard in range(3):
        assert [t.id for t in cfg.shard_targets(shard)] == [
            t.id for t in cfg.targets() if shard_of(t.id, 3) == shard]
    assert cfg.devices() == ["mx1", "mx2", "sw1"]
    assert [p.interval for p in cfg.paths(cfg.gnmi[0])] == [5]


@pytest.mark.parametrize(("change", "message"), [
    ("sensor_groups: [oc]", "unknown sensor group 'nope'"),
    ('address: "10.0.0.1:57400"', "address: String should match pattern"),
    ("protocol: jti", "protocol: Input should be 'mdt' or 'jti'"),
])
def test_errors_name_the_file_line_and_field(tmp_path, change, message):
    bad = {"sensor_groups: [oc]": "sensor_groups: [nope]",
           'address: "10.0.0.1:57400"': "address: 10.0.0.1",
           "protocol: jti": "protocol: netflow"}[change]
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace(change, bad))
    with pytest.raises(ConfigError, match=message) as err:
        load_streaming(path)
    assert str(err.value).startswith(f"{path}:")


def test_an_mqtt_target_has_a_fixed_client_id_and_is_checked(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "mqtt:\n  - {name: ts, broker: 'mq:1883', credentials: mqtt_ro}\n"
                    "  - {name: pb, broker: 'mq:1883', topic: t/pb, format: pb, "
                    "client_id: bridge-7}\n")
    cfg = load_streaming(path)
    assert [(t.id, t.topic, t.format, t.client) for t in cfg.mqtt] == [
        ("mqtt:ts", "timeseries", "json", "netargus-ts"), ("mqtt:pb", "t/pb", "pb", "bridge-7")]
    assert cfg.devices() == ["mx1", "mx2", "sw1"]  # an MQTT topic names no device list
    path.write_text(GOOD + "mqtt:\n  - {name: ts, broker: mq, format: avro}\n")
    with pytest.raises(ConfigError, match=r"s.yaml:\d+: mqtt\[0\]\.broker: String should match"):
        load_streaming(path)
