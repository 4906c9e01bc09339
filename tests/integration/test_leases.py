"""Collector leases in the lab's ClickHouse (``netargus.streaming.leases``): one holder per
shard, renewals only by the holder, release only by the holder; an expired lease is granted
again only once its holder is known to be gone, and a collector that cannot reach ClickHouse
collects on instead of fencing itself (issue 12)."""

from __future__ import annotations

import socket
import time
from dataclasses import replace

from netargus.store import connect
from netargus.streaming.leases import Leases, Renewal
from tests.helpers.wait import wait_until

ALIVE = lambda holder: True  # noqa: E731 (its collector run is queued or running)
GONE = lambda holder: False  # noqa: E731


def events(client, shard: int) -> list[tuple[str, str]]:
    return client.execute("SELECT holder, event FROM stream_leases WHERE shard = %(s)s "
                          "ORDER BY seq", {"s": shard})


def test_a_shard_has_one_holder_and_only_it_renews(migrated_db):
    client = connect(migrated_db)
    leases = Leases(client, ttl=30)
    assert leases.free(2, GONE) == [0, 1]
    leases.grant(0, "run-a", ["r1"], start_within=30)
    assert leases.free(2, GONE) == [1]  # granted and not yet expired: not free
    assert leases.renew(0, "run-a") is True
    assert leases.renew(0, "run-b") is False  # never granted: cannot take the shard
    assert leases.renew(1, "run-a") is False  # holds shard 0, not 1
    assert events(client, 0) == [("run-a", "granted"), ("run-a", "renewed")]
    assert events(client, 1) == []


def test_an_expired_lease_is_granted_again_only_once_its_holder_is_gone(migrated_db):
    """Expiry alone proves nothing (the holder may only be cut off from ClickHouse): the shard
    stays with a holder whose run may be alive, or whose state cannot be learnt."""
    client = connect(migrated_db)
    leases = Leases(client, ttl=1)
    leases.grant(0, "run-a", [], start_within=1)
    wait_until(lambda: leases.free(1, GONE) == [0], 5, "run-a's lease to expire")
    assert leases.free(1, lambda holder: holder == "run-a") == []  # its run still runs

    def unknown(holder: str) -> bool:
        raise ConnectionError("Airflow's API is away")

    assert leases.free(1, unknown) == []
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
    assert leases.free(1, GONE) == []
    leases.release(0, "run-a", detail="lease ended")
    assert events(client, 0) == [("run-a", "granted"), ("run-a", "released")]
    assert leases.free(1, ALIVE) == [0]  # released: free whatever its run does
    assert leases.renew(0, "run-a") is False  # released is released


def test_a_collector_that_cannot_reach_clickhouse_collects_on_past_its_ttl(migrated_db):
    """The lease log is unreachable (a closed port: the real driver gets connection refused)
    for longer than the lease ttl: the renewal keeps saying "go on" and says the log is
    unreachable; once it is reachable again the same holder renews, since nobody was granted
    the shard while its run lived."""
    client = connect(migrated_db)
    leases = Leases(client, ttl=1)
    leases.grant(0, "run-a", [], start_within=1)
    renewal = Renewal(leases, 0, "run-a")
    assert renewal() is True and not renewal.unreachable
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    renewal.leases = Leases(connect(replace(migrated_db, port=closed, connect_timeout=0.5)),
                            ttl=1)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.5:  # 2.5 ttls
        assert renewal() is True and renewal.unreachable
        time.sleep(0.2)
    assert leases.free(1, ALIVE) == []  # expired, but its run is alive
    renewal.leases = leases
    assert renewal() is True and not renewal.unreachable
    assert events(client, 0) == [("run-a", "granted"), ("run-a", "renewed"),
                                 ("run-a", "renewed")]
