"""Collector leases: which streaming collector run holds which shard, kept in ClickHouse.

The supervisor is the only one that grants (its DAG runs one at a time): it grants a shard
whose holder released it, or whose lease expired AND whose holder is known to be gone, and
starts a collector run carrying the grant's holder token. The run renews at each heartbeat
while it still is the shard's latest holder, and stops as soon as it is not
(:meth:`Leases.renew` returns False).

The lease log lives in the store, so a store outage must not end collection (issue 12: a
2-minute ClickHouse outage made both collectors fence themselves and lost what devices pushed
until new leases were granted). Hence:

* a holder that cannot reach the lease log goes on collecting (into Kafka, or its spool) for
  as long as it cannot, and holds its shard past its lease's end until it can release it;
* an expired lease is not evidence enough that its holder is gone (it may just not reach the
  store): the supervisor also asks ``alive(holder)``, in Airflow whether the holder's
  collector run is still queued or running. A run whose worker died is failed by the
  scheduler (heartbeat timeout) and its process is ended by its own supervisor when it cannot
  heartbeat, so "run not alive" means "process gone". Only then is the shard granted again,
  so two collectors never hold one shard at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from netargus.store import epoch

log = logging.getLogger(__name__)

LATEST = """
SELECT shard, argMax(holder, seq), argMax(event, seq), toUInt32(argMax(expires, seq))
FROM stream_leases WHERE shard < %(shards)s GROUP BY shard
"""
COLUMNS = "shard, seq, holder, event, at, expires, targets, detail"

Alive = Callable[[str], bool]
"""Whether a holder (its collector run) may still be running; raising counts as yes."""


@dataclass(frozen=True)
class Lease:
    shard: int
    holder: str
    event: str
    expires: datetime

    def live(self, now: datetime) -> bool:
        return self.event != "released" and self.expires > now


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Leases:
    """The lease log (table ``stream_leases``) through a clickhouse-driver client."""

    def __init__(self, client: Any, ttl: float) -> None:
        self.client = client
        self.ttl = ttl

    def _append(self, shard: int, holder: str, event: str, expires: datetime,
                targets: list[str] | None = None, detail: str = "") -> None:
        self.client.execute(f"INSERT INTO stream_leases ({COLUMNS}) VALUES",
                            [[shard, time.time_ns(), holder, event, epoch(_now()), epoch(expires),
                              targets or [], detail]])

    def latest(self, shards: int) -> dict[int, Lease]:
        return {s: Lease(s, h, e, datetime.fromtimestamp(x, UTC)) for s, h, e, x in
                self.client.execute(LATEST, {"shards": shards})}

    def free(self, shards: int, alive: Alive) -> list[int]:
        """Shards of ``range(shards)`` nobody holds: never granted, released, or expired with a
        holder that ``alive`` says is gone (see the module docstring)."""
        now, latest = _now(), self.latest(shards)
        return [s for s in range(shards) if s not in latest or latest[s].event == "released"
                or (not latest[s].live(now) and not _may_be_alive(alive, latest[s].holder))]

    def grant(self, shard: int, holder: str, targets: list[str], start_within: float) -> None:
        """Give ``shard`` to ``holder``, which has ``start_within`` seconds to renew."""
        self._append(shard, holder, "granted", _now() + timedelta(seconds=start_within),
                     targets)

    def holds(self, shard: int, holder: str) -> bool:
        lease = self.latest(shard + 1).get(shard)
        return lease is not None and lease.holder == holder and lease.event != "released"

    def renew(self, shard: int, holder: str) -> bool:
        """Extend ``holder``'s lease by ``ttl``; False when another holder has the shard."""
        if not self.holds(shard, holder):
            return False
        self._append(shard, holder, "renewed", _now() + timedelta(seconds=self.ttl))
        return True

    def release(self, shard: int, holder: str, detail: str = "") -> None:
        if self.holds(shard, holder):
            self._append(shard, holder, "released", _now(), detail=detail)


def _may_be_alive(alive: Alive, holder: str) -> bool:
    try:
        return bool(alive(holder))
    except Exception as exc:  # no answer is no evidence that it is gone
        log.warning("cannot tell whether %s still runs (%s): its shard stays with it", holder,
                    exc)
        return True


class Renewal:
    """The collector's ``renew`` callback: True while this holder may go on.

    False only when the lease log says another holder has the shard. While the log cannot be
    reached it answers True (the supervisor cannot grant the shard to anyone while this run is
    alive) and :attr:`unreachable` says so, which keeps the collector holding its shard past
    its lease's end until it can release it.
    """

    def __init__(self, leases: Leases, shard: int, holder: str) -> None:
        self.leases, self.shard, self.holder = leases, shard, holder
        self.last_ok = time.monotonic()
        self.unreachable_since: float | None = None

    @property
    def unreachable(self) -> bool:
        """Whether the last renewal could not reach the lease log."""
        return self.unreachable_since is not None

    def hold_on(self) -> bool:
        """Asked at the lease's end: renew now, and True while the lease log is unreachable
        (the shard cannot be handed over yet: keep holding it)."""
        self()
        return self.unreachable

    def __call__(self) -> bool:
        try:
            ok = self.leases.renew(self.shard, self.holder)
        except Exception as exc:  # the store is away: go on collecting (module docstring)
            now = time.monotonic()
            if self.unreachable_since is None:
                self.unreachable_since = now
            log.warning("cannot renew the lease of shard %d (%s): collecting on, unrenewed "
                        "for %.0f s", self.shard, exc, now - self.last_ok)
            return True
        if self.unreachable_since is not None:
            log.info("lease log of shard %d reachable again after %.0f s", self.shard,
                     time.monotonic() - self.unreachable_since)
            self.unreachable_since = None
        if ok:
            self.last_ok = time.monotonic()
        return ok
