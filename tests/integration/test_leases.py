"""Collector leases in the lab's ClickHouse (``netargus.streaming.leases``): one holder per
shard, renewals only by the holder, release only by the holder, and a collector that cannot
reach ClickHouse fences itself once its lease could have expired."""

from __future__ import annotations

import socket
import time
from dataclasses import replace

from netargus.store import connect
from netargus.streaming.leases import Leases, Renewal
from tests.helpers.wait import wait_until


def events(client, shard: int) -> list[tuple[str, str]]:
    return client.execute("SELECT holder, event FROM stream_leases WHERE shard = %(s)s "
                          "ORDER BY seq", {"s": shard})


def test_a_shard_has_one_holder_and_only_it_renews(migrated_db):
    client = connect(migrated_db)
    leases = Leases(client, ttl=30)
    assert leases.free(2) == [0, 1]
    leases.grant(0, "run-a", ["r1"], start_within=30)
    assert leases.free(2) == [1]  # granted and not yet expired: not free
    assert leases.renew(0, "run-a") is True
    assert leases.renew(0, "run-b") is False  # never granted: cannot take the shard
    assert leases.renew(1, "run-a") is False  # holds shard 0, not 1
    assert events(client, 0) == [("run-a", "granted"), ("run-a", "renewed")]
    assert events(client, 1) == []


def test_a_shard_is_granted_again_only_once_its_lease_expired_and_the_old_holder_stops(
        migrated_db):
    client = connect(migrated_db)
    leases = Leases(client, ttl=1)
    leases.grant(0, "run-a", [], start_within=1)
    wait_until(lambda: leases.free(1) == [0], 5, "run-a's lease to expire")
    leases.grant(0, "run-b", [], start_within=30)
    assert leases.renew(0, "run-a") is False  # the old holder learns it lost the shard
    assert leases.renew(0, "run-b") is True
    assert [e for _, e in events(client, 0)] == ["granted", "granted", "renewed"]


def test_only_the_holder_releases(migrated_db):
    client = connect(migrated_db)
    leases = Leases(client, ttl=30)
    leases.grant(0, "run-a", [], start_within=30)
    leases.release(0, "run-b", detail="not mine")
    assert events(client, 0) == [("run-a", "granted")]
    assert leases.free(1) == []
    leases.release(0, "run-a", detail="lease ended")
    assert events(client, 0) == [("run-a", "granted"), ("run-a", "released")]
    assert leases.free(1) == [0]
    assert leases.renew(0, "run-a") is False  # released is released


def test_a_collector_that_cannot_reach_clickhouse_fences_itself_when_its_ttl_is_spent(
        migrated_db):
    """The lease log is unreachable (a closed port: the real driver gets connection refused):
    the collector goes on while its lease may still stand, then stops."""
    client = connect(migrated_db)
    Leases(client, ttl=3).grant(0, "run-a", [], start_within=3)
    renewal = Renewal(Leases(client, ttl=3), 0, "run-a", margin=1.0)
    assert renewal() is True  # reachable: renewed
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    away = connect(replace(migrated_db, port=closed, connect_timeout=0.5))
    renewal.leases = Leases(away, ttl=3)
    last_ok = renewal.last_ok
    assert renewal() is True  # cannot renew, but 3 - 1 s are not yet spent
    fenced = wait_until(lambda: not renewal() and time.monotonic(), 10,
                        "the collector to fence itself")
    assert 2.0 <= fenced - last_ok < 3.5  # ttl - margin, plus one failed connection at most
    assert events(client, 0) == [("run-a", "granted"), ("run-a", "renewed")]
