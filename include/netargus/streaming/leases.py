"""Collector leases: which streaming collector run holds which shard, kept in ClickHouse.

The supervisor is the only one that grants (its DAG runs one at a time): it grants a shard
whose holder released it or whose lease expired, and starts a collector run carrying the
grant's holder token. The run renews at each heartbeat while it still is the shard's latest
holder, and stops as soon as it is not (:meth:`Leases.renew` returns False). A run that cannot
renew for a whole lease ``ttl`` stops too (self-fencing), and the supervisor grants only after
the ttl has passed, so two collectors never hold one shard at once. A killed run simply stops
renewing: its shard is granted again once its lease expires.
"""

from __future__ import annotations

import logging
import time
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

    def free(self, shards: int) -> list[int]:
        """Shards no live lease holds."""
        now, latest = _now(), self.latest(shards)
        return [s for s in range(shards) if s not in latest or not latest[s].live(now)]

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


class Renewal:
    """The collector's ``renew`` callback: renews, and fences itself when it cannot."""

    def __init__(self, leases: Leases, shard: int, holder: str, margin: float = 0.0) -> None:
        """``margin``: stop this much before the lease could expire (the time between two
        calls: the collector renews once per heartbeat)."""
        self.leases, self.shard, self.holder, self.margin = leases, shard, holder, margin
        self.last_ok = time.monotonic()

    def __call__(self) -> bool:
        try:
            ok = self.leases.renew(self.shard, self.holder)
        except Exception as exc:  # ClickHouse away: go on while the lease still stands
            left = self.leases.ttl - self.margin - (time.monotonic() - self.last_ok)
            log.warning("cannot renew the lease of shard %d (%s): %.0f s left", self.shard,
                        exc, left)
            return left > 0
        if ok:
            self.last_ok = time.monotonic()
        return ok
