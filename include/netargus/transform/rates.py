"""Counters -> rates, with every wrap, reset, reboot and glitch named.

One function, :func:`counter_rate`, turns two readings of the same counter into the rate
between them and the reason it can (or cannot) be trusted. SNMP polling and streaming both go
through it, so the same sequence gives the same rates whatever the protocol, and rates are
reproducible from raw samples (no hidden state beyond the previous reading).

Reasons (the ``rates.reason`` column):

- ``ok``: the counter went up (or stayed); rate = delta / seconds.
- ``wrap32`` / ``wrap64``: the counter went down, and adding 2**32 (2**64) gives a plausible
  delta; the rate uses that delta.
- ``reboot``: the device's uptime went back, so the counter restarted at boot; the rate is
  the current value over the time since boot (never the negative difference).
- ``discontinuity``: the counter went down with no reboot and no plausible wrap (a counter
  reset, ifIndex reuse, a line card swap): no rate can be given (value ``None``).
- ``implausible``: the rate exceeds what the interface can carry: value ``None``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

WRAP32 = 2**32
WRAP64 = 2**64
# A 64-bit counter near its top is the only one that can wrap in practice: at 400 Gbit/s an
# octet counter needs ~11 years to cross 2**64. Below this line a drop is a reset, not a wrap.
WRAP64_ZONE = WRAP64 - 2**60


class Reason(enum.StrEnum):
    OK = "ok"
    WRAP32 = "wrap32"
    WRAP64 = "wrap64"
    REBOOT = "reboot"
    DISCONTINUITY = "discontinuity"
    IMPLAUSIBLE = "implausible"


@dataclass(frozen=True, slots=True)
class Reading:
    """One counter value at ``ts`` (epoch seconds); ``uptime`` is the device's, in seconds."""

    ts: float
    value: float
    uptime: float | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    """The rate between two readings; ``value`` is None when it cannot be trusted."""

    start: float
    end: float
    value: float | None
    reason: Reason


def counter_rate(prev: Reading, cur: Reading, bits: int = 64,
                 max_rate: float | None = None) -> Rate:
    """The per-second rate of a counter between ``prev`` and ``cur``.

    Args:
        prev: the earlier reading.
        cur: the later reading.
        bits: 32 or 64, the counter's width (Counter32 or Counter64).
        max_rate: the most the counter can grow per second (e.g. interface speed in octets/s,
            with a margin); faster growth is ``implausible``. None: no limit known.

    Returns:
        The :class:`Rate`, whose ``value`` is None for ``discontinuity`` and ``implausible``.

    Raises:
        ValueError: ``bits`` is neither 32 nor 64, or ``cur`` is not after ``prev``.
    """
    if bits not in (32, 64):
        raise ValueError(f"bits must be 32 or 64, got {bits}")
    seconds = cur.ts - prev.ts
    if seconds <= 0:
        raise ValueError(f"readings out of order: {prev.ts} then {cur.ts}")

    def judged(delta: float, reason: Reason, over: float = seconds) -> Rate:
        rate = delta / over
        if max_rate is not None and rate > max_rate:
            return Rate(prev.ts, cur.ts, None, Reason.IMPLAUSIBLE)
        return Rate(prev.ts, cur.ts, rate, reason)

    if prev.uptime is not None and cur.uptime is not None and cur.uptime < prev.uptime:
        # rebooted in between: the counter counted from zero since boot
        since_boot = min(cur.uptime, seconds)
        if since_boot <= 0:
            return Rate(prev.ts, cur.ts, None, Reason.DISCONTINUITY)
        return judged(cur.value, Reason.REBOOT, since_boot)
    delta = cur.value - prev.value
    if delta >= 0:
        return judged(delta, Reason.OK)
    if bits == 32 and prev.value < WRAP32:
        wrapped = judged(delta + WRAP32, Reason.WRAP32)
        if wrapped.reason is Reason.WRAP32:
            return wrapped
        return Rate(prev.ts, cur.ts, None, Reason.DISCONTINUITY)
    if bits == 64 and prev.value >= WRAP64_ZONE:
        return judged(delta + WRAP64, Reason.WRAP64)
    return Rate(prev.ts, cur.ts, None, Reason.DISCONTINUITY)


def rates(readings: list[Reading], bits: int = 64, max_rate: float | None = None) -> list[Rate]:
    """Rates between consecutive readings (sorted by time; equal timestamps are skipped)."""
    ordered = sorted(readings, key=lambda r: r.ts)
    out: list[Rate] = []
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        if cur.ts > prev.ts:
            out.append(counter_rate(prev, cur, bits, max_rate))
    return out
