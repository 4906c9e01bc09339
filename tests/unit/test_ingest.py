"""The ingestion service's own logic without a network: judging a request's series against a
token, the rate bucket, tokens' form and scope, and the forwarder's batching and spooling (its
sink here is a function that accepts or refuses, standing in for Kafka; the real broker is in
tests/integration/test_ingest_rest.py)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from netargus.ingest.app import UNPARSED, Bucket, Refused, judge
from netargus.ingest.config import IngestConfig
from netargus.ingest.forward import Forwarder, Full
from netargus.ingest.tokens import TOKEN, Token, TokenCache, digest, token_id
from netargus.sink.guarded import Guarded
from netargus.sink.spool import Spool
from netargus.streaming.raw import RawMessage, decode_messages, encode_messages
from tests.helpers.wait import wait_until

CONFIG = IngestConfig()
ANY = Token("0000abcd", "any", "d")


def message(device: str, metric: str = "t", n: int = 1) -> dict:
    return {"metric": metric, "tagset": {"device": device}, "type": "tdouble",
            "values": [[f"2026-11-30T12:00:{i:02d}", i] for i in range(n)]}


def test_a_request_s_valid_series_are_grouped_by_device_and_format():
    items = [message("a", n=2), message("b"), {"metric": "x", "points": [[1764504000, 1]],
                                               "host": "a"}, message("a", "u")]
    parsed = judge(items, ANY, CONFIG)
    assert (parsed.samples, parsed.series, parsed.errors) == (5, 4, [])
    got = [(m.device, m.format, json.loads(m.payload), m.headers) for m in parsed.messages]
    assert got == [("a", "tsorage", [items[0], items[3]], (("source", "rest"),)),
                   ("b", "tsorage", [items[1]], (("source", "rest"),)),
                   ("a", "datadog", [items[2]], (("source", "rest"),))]


def test_invalid_series_are_forwarded_alone_for_the_loader_to_dead_letter():
    bad, nameless = message("a", n=1), {"metric": "t", "tagset": {}, "type": "tdouble",
                                        "values": [["2026-11-30T12:00:00", 1]]}
    bad["values"][0][1] = "x"
    parsed = judge([message("a"), bad, nameless, 7], ANY, CONFIG)
    assert parsed.errors == [
        "series[1]: values[0][1]: must be a number, got str 'x'",
        "series[2]: no device: none of the tags device, host, hostname, host.name, "
        "service.name is set (ingest.yaml device_tags)",
        "series[3]: a message must be an object, got int"]
    assert [(m.device, json.loads(m.payload)) for m in parsed.messages] == [
        ("a", [message("a")]), ("a", bad), (UNPARSED, nameless), (UNPARSED, 7)]


def test_a_series_outside_the_token_s_scope_refuses_the_whole_request():
    token = Token("0000abcd", "scoped", "d", devices=("br-",), metrics=("cpu.",))
    assert judge([message("br-1", "cpu.util")], token, CONFIG).series == 1
    with pytest.raises(Refused) as err:
        judge([message("br-1", "cpu.util"), message("core-1", "cpu.util")], token, CONFIG)
    assert (err.value.status, err.value.detail) == (
        403, "series[1]: device 'core-1' is outside this token's devices (br-); nothing of "
             "this request was kept")


def test_the_bucket_lets_a_burst_through_then_says_how_long_to_wait():
    bucket = Bucket(rate=100, burst=500)
    assert bucket.take(500) == 0.0
    wait = bucket.take(200)
    assert 1.9 < wait <= 2.0  # 200 samples at 100/s
    assert bucket.take(0) == 0.0


def test_tokens_have_a_loggable_id_and_only_their_digest_is_kept():
    text = "nat_1234abcd_" + "A" * 43
    assert TOKEN.match(text) and token_id(text) == "1234abcd"
    assert token_id("nat_1234abcd_short") is None and token_id("Bearer x") is None
    assert digest(text) == hashlib.sha256(text.encode()).hexdigest()
    public = Token("1234abcd", "n", digest(text), ("a",), (), 5.0,
                   datetime(2026, 11, 30, tzinfo=UTC)).public()
    assert public == {"id": "1234abcd", "name": "n", "devices": ["a"], "metrics": [],
                      "rate": 5.0, "created_at": "2026-11-30T00:00:00+00:00",
                      "revoked_at": None}


def test_the_token_cache_serves_the_last_known_tokens_through_a_store_outage(tmp_path):
    text = "nat_1234abcd_" + "B" * 43
    live = [Token("1234abcd", "n", digest(text))]
    state = {"up": True}

    def load() -> list[Token]:
        if not state["up"]:
            raise ConnectionRefusedError("ClickHouse is down")
        return live

    cache = TokenCache(load, tmp_path / "tokens.json")
    assert cache.update() and cache.check(text) == live[0]
    state["up"] = False
    assert not cache.update() and cache.check(text) == live[0]
    assert cache.error == "ConnectionRefusedError: ClickHouse is down"
    restarted = TokenCache(load, tmp_path / "tokens.json")
    restarted._read_file()  # a restart while the store is down: the file's tokens
    assert restarted.check(text) is not None and restarted.check("nat_x") is None
    assert text not in (tmp_path / "tokens.json").read_text()


def test_the_forwarder_batches_requests_and_spools_what_the_sink_refuses(tmp_path):
    sent: list[list[RawMessage]] = []
    state = {"up": True}

    def write(messages):
        if not state["up"]:
            raise ConnectionError("broker down")
        sent.append(list(messages))

    spool = Spool(tmp_path / "spool", budget_bytes=14000)
    forwarder = Forwarder(Guarded(write, spool, encode_messages, decode_messages,
                                  retry_after=0.0), drain_every=0.05)
    one = [RawMessage("a", "tsorage", b"[1]")]
    futures = [forwarder.submit(one) for _ in range(5)]  # queued before the thread starts
    forwarder.start()
    assert [f.result(5) for f in futures] == ["written"] * 5
    assert len(sent) == 1 and len(sent[0]) == 5  # one batch for five requests
    state["up"] = False
    assert forwarder.submit(one).result(5) == "spooled" and spool.has_pending()
    big = [RawMessage("a", "tsorage", b"x" * 4000)]
    assert [forwarder.submit(big).result(5) for _ in range(2)] == ["spooled"] * 2
    with pytest.raises(Full):  # the spool would pass its budget: refused, nothing dropped
        forwarder.submit(big).result(5)
    assert spool.stats().dropped_batches == 0
    state["up"] = True
    wait_until(lambda: not spool.has_pending(), 5, "the forwarder to replay its spool idle")
    assert [m.payload[:3] for batch in sent[1:] for m in batch][:1] == [b"[1]"]
    forwarder.stop()
