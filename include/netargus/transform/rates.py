"""Counters -> rates, judged on all the evidence: every wrap, restart, reset and glitch named.

:func:`judge` turns the readings of one counter series into one :class:`Rate` per reading
(after the first), each with the reason it can (or cannot) be trusted. SNMP polling, NETCONF
and streaming all go through it, so the same sequence gives the same rates whatever the
protocol, and rates are reproducible from raw samples (no state beyond the readings).

Reasons (the ``rates.reason`` column); only the first four carry a value:

- ``ok``: the counter went up (or stayed) at a rate the link can carry; rate = delta / seconds.
- ``wrap32`` / ``wrap64``: the counter went down, and a wrap past 2**32 (2**64) is plausible:
  the wrapped delta is within what the link carries, and within :data:`WRAP_TOLERANCE` times
  the series' rate before or after (a counter counting at its usual pace crossed the top).
- ``over_speed``: faster than the interface's speed (ifSpeed/ifHighSpeed) but within what a
  physical link can carry (``ceiling``). Speeds lie (some vendors report the configured
  bandwidth, small agents say 10 Mbit/s for gigabit ports), so the measured value is kept,
  flagged, once it is confirmed: the series already ran above that speed, or the next reading
  goes on from it. Unconfirmed (the newest reading), it is withheld until the next poll.
- ``reboot``: the device (or its agent, with the counters) restarted in between: no value.
- ``discontinuity``: the counter went down with no plausible wrap (a clear, ifIndex reuse, a
  line card swap), or IF-MIB's ifCounterDiscontinuityTime changed, or the counter's width
  changed: no value; the next rate starts from this reading.
- ``glitch``: one reading stepped back (or jumped) and the next one recovered: no value for
  it, and the next reading is rated against the last good one, over both intervals.
- ``implausible``: faster than any physical link could carry (``ceiling``): no value.

Restarts are told apart with the strongest signal the device gives (see :func:`restart`):
HOST-RESOURCES-MIB hrSystemUptime (the host's own uptime), SNMP-FRAMEWORK-MIB
snmpEngineBoots, and last SNMPv2-MIB sysUpTime. sysUpTime is a 32-bit TimeTicks that rolls
over every 497.1 days (RFC 2578 s7.1.8) and also restarts when only the agent restarts
(RFC 3418), so a lower sysUpTime alone is not a reboot: a rollover is recognised, and
counters that kept rising say the counters (and the device) went on.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

WRAP32 = 2**32
WRAP64 = 2**64
TICKS_WRAP_S = WRAP32 / 100  # a TimeTicks (1/100 s, 32-bit) rolls over after 497.1 days
# A wrap is taken only when the wrapped delta is at most this many times the series' rate
# before or after it: traffic can grow tenfold in one interval, a clear that happens to look
# like a wrap is then still withheld rather than turned into a spike.
WRAP_TOLERANCE = 10
WRAP_SLACK = 1024  # counts an idle counter (rate 0) may still move through a wrap


class Reason(enum.StrEnum):
    OK = "ok"
    WRAP32 = "wrap32"
    WRAP64 = "wrap64"
    REBOOT = "reboot"
    DISCONTINUITY = "discontinuity"
    IMPLAUSIBLE = "implausible"
    GLITCH = "glitch"
    OVER_SPEED = "over_speed"


CLEAN = (Reason.OK, Reason.WRAP32, Reason.WRAP64)  # judged continuous: safe to build on


@dataclass(frozen=True, slots=True)
class Reading:
    """One counter reading and the device's state when it was taken.

    Attributes:
        ts: when it was read, epoch seconds.
        value: the counter, an exact int (a float only for fractional OTLP sums).
        uptime: SNMPv2-MIB sysUpTime at ``ts``, seconds (None: unknown).
        host_uptime: HOST-RESOURCES-MIB hrSystemUptime at ``ts``, seconds.
        engine_boots: SNMP-FRAMEWORK-MIB snmpEngineBoots.
        discontinuity: IF-MIB ifCounterDiscontinuityTime of this counter's row, seconds
            (a TimeStamp: it changes only when the row's counters had a discontinuity).
        limit: the most the counter can grow per second by the interface's speed (e.g.
            ifHighSpeed in octets/s with headroom); None: no speed known.
        bits: the counter's width as the device sent it (32/64); 0: the series' default.
    """

    ts: float
    value: int | float
    uptime: float | None = None
    host_uptime: float | None = None
    engine_boots: int | None = None
    discontinuity: float | None = None
    limit: float | None = None
    bits: int = 0


@dataclass(frozen=True, slots=True)
class Rate:
    """The rate between two readings, per second; ``value`` is None when withheld.

    ``start`` is the reading rated against (the last good one), ``end`` the rated one.
    """

    start: float
    end: float
    value: float | None
    reason: Reason


class Restart(enum.Enum):
    """What happened to the device between two readings, as far as its signals tell."""

    NONE = "none"  # no restart (a sysUpTime rollover included)
    AGENT = "agent"  # the SNMP agent restarted, the host did not: counters may go on
    UNKNOWN = "unknown"  # something restarted; whether the counters did, the counters tell
    REBOOT = "reboot"  # the host restarted: its counters did too


def _reset(before: float | None, after: float | None, seconds: float) -> bool | None:
    """Whether an uptime (32-bit TimeTicks, in seconds) restarted between two readings
    ``seconds`` apart. None: unknown, or a clock that did not move as time did (a frozen
    hrSystemUptime, seen on some agents, says nothing either way).

    A restart leaves the new uptime short of the old one plus the time between the readings,
    and no larger than that time; a rollover at 2**32 ticks (497.1 days) lands where the old
    uptime plus the elapsed time wraps to, and is not a restart.
    """
    if before is None or after is None:
        return None
    slack = 2.0 + 0.01 * seconds  # reading jitter and tick resolution
    if after >= before + seconds - slack:
        return False
    rolled = before + seconds - TICKS_WRAP_S
    if TICKS_WRAP_S - before <= seconds + slack and abs(after - rolled) <= slack:
        return False  # rolled over at 497.1 days and went on counting
    if after <= seconds + slack:
        return True
    return None


def restart(a: Reading, b: Reading) -> Restart:
    """What the device's uptimes and engine boots say happened between ``a`` and ``b``.

    hrSystemUptime is the host's own: a reset is a reboot, and its going on rules a reboot
    out. snmpEngineBoots counts SNMP engine restarts (RFC 3414): unchanged, nothing restarted
    even if sysUpTime went down. sysUpTime alone cannot tell an agent restart from a reboot.
    """
    seconds = b.ts - a.ts
    host = _reset(a.host_uptime, b.host_uptime, seconds)
    if host:
        return Restart.REBOOT
    if a.engine_boots is not None and b.engine_boots is not None:
        agent = b.engine_boots != a.engine_boots
    else:
        agent = bool(_reset(a.uptime, b.uptime, seconds))  # a frozen sysUpTime: no evidence
    if not agent:
        return Restart.NONE
    return Restart.AGENT if host is False else Restart.UNKNOWN


def _width(a: Reading, b: Reading, bits: int) -> int | None:
    wa, wb = a.bits or bits, b.bits or bits
    return wa if wa == wb else None


def _pair(a: Reading, b: Reading, bits: int, ceiling: float | None,
          ref: float | None, after: float | None, pace: float | None = None) -> Rate:
    """Judge ``b`` against ``a`` alone (no lookahead); ``ref``/``after``: the series' rate
    before ``a`` and after ``b`` (None: unknown); ``pace``: the last rate measured before
    ``a``, valued or not (an unconfirmed ``over_speed`` is still how fast it counted), None
    when the interval before ``a`` measured nothing."""
    seconds = b.ts - a.ts
    width = _width(a, b, bits)
    if width is None:
        return Rate(a.ts, b.ts, None, Reason.DISCONTINUITY)  # a 32-bit and a 64-bit counter
    if (a.discontinuity is not None and b.discontinuity is not None
            and a.discontinuity != b.discontinuity):
        return Rate(a.ts, b.ts, None, Reason.DISCONTINUITY)
    happened = restart(a, b)
    if happened is Restart.REBOOT:
        return Rate(a.ts, b.ts, None, Reason.REBOOT)
    delta = b.value - a.value  # exact for int counters
    cap = b.limit if b.limit is not None and b.limit > 0 else None
    if happened is Restart.UNKNOWN:
        # sysUpTime restarts with the agent alone (RFC 3418): counters that kept rising say
        # the device went on, unless they hold no more than the series, at up to ten times
        # its pace before, could have counted since the restart (a counter near zero, or one
        # that restarted and already passed its old value); with no pace known yet, no more
        # than any link could have
        since = max(b.uptime if b.uptime is not None else seconds, 0.0)
        if pace is not None:
            could = WRAP_TOLERANCE * pace * since + WRAP_SLACK
        else:
            could = (ceiling or 0.0) * since + WRAP_SLACK
        if delta < 0 or b.value <= could:
            return Rate(a.ts, b.ts, None, Reason.REBOOT)
    if delta >= 0:
        rate = delta / seconds
        if ceiling is not None and rate > ceiling:
            return Rate(a.ts, b.ts, None, Reason.IMPLAUSIBLE)
        if cap is not None and rate > cap:
            return Rate(a.ts, b.ts, rate, Reason.OVER_SPEED)
        return Rate(a.ts, b.ts, rate, Reason.OK)
    return _wrap(a, b, width, seconds, cap, ceiling, ref, after)


def _wrap(a: Reading, b: Reading, width: int, seconds: float, cap: float | None,
          ceiling: float | None, ref: float | None, after: float | None) -> Rate:
    """A drop: a wrap only if the previous value was near the top and the wrapped delta is
    what the link carries at its usual pace; otherwise a discontinuity."""
    wrapped = b.value - a.value + (WRAP32 if width == 32 else WRAP64)
    if wrapped <= 0:  # a "counter" past its own width: not a wrap
        return Rate(a.ts, b.ts, None, Reason.DISCONTINUITY)
    if cap is not None and ref is not None and ref > cap:
        cap = ceiling  # the series already ran above its stated speed: the speed lies
    bound = cap if cap is not None else ceiling
    known = [r for r in (ref, after) if r is not None]
    if known:
        reach = WRAP_TOLERANCE * max(known) * seconds + WRAP_SLACK
    elif bound is not None:
        reach = bound * seconds
    else:
        reach = (WRAP32 if width == 32 else WRAP64) / 16  # no evidence: only the top 1/16th
    if (wrapped <= reach and b.value <= reach
            and (bound is None or wrapped <= bound * seconds)):
        return Rate(a.ts, b.ts, wrapped / seconds,
                    Reason.WRAP32 if width == 32 else Reason.WRAP64)
    return Rate(a.ts, b.ts, None, Reason.DISCONTINUITY)


def _rise(a: Reading, b: Reading) -> float | None:
    """The plain rate from ``a`` to ``b`` if the counter rose with no restart, else None."""
    if b.value < a.value or restart(a, b) is not Restart.NONE:
        return None
    if a.discontinuity != b.discontinuity and None not in (a.discontinuity, b.discontinuity):
        return None
    return (b.value - a.value) / (b.ts - a.ts)


def judge(readings: Sequence[Reading], bits: int = 64, ceiling: float | None = None
          ) -> list[Rate]:
    """Rates of one counter series: one :class:`Rate` per reading after the first.

    Args:
        readings: the series' readings in time order (a reading at the same time as the one
            before it is skipped).
        bits: the counter's width when a reading does not say (32 or 64).
        ceiling: the most the counter can grow per second on any physical link (e.g. octets
            of 800 Gbit/s); faster is ``implausible``. None: no ceiling.

    Returns:
        Rates in order; a value only for ``ok``, ``wrap32``, ``wrap64`` and confirmed
        ``over_speed`` (see the module docstring for each reason and its source).

    Raises:
        ValueError: ``bits`` is neither 32 nor 64.
    """
    if bits not in (32, 64):
        raise ValueError(f"bits must be 32 or 64, got {bits}")
    series = [r for i, r in enumerate(readings) if i == 0 or r.ts > readings[i - 1].ts]
    out: list[Rate] = []
    if not series:
        return out
    base, ref, pace = series[0], None, None
    for i in range(1, len(series)):
        cur = series[i]
        nxt = series[i + 1] if i + 1 < len(series) else None
        after = _rise(cur, nxt) if nxt is not None else None
        rate = _pair(base, cur, bits, ceiling, ref, after, pace)
        if nxt is not None and _glitch(base, cur, nxt, rate, bits, ceiling, ref):
            out.append(Rate(base.ts, cur.ts, None, Reason.GLITCH))
            continue  # the next reading is rated against the same last good one
        pace = rate.value  # how fast it counted in this interval (None: not measured)
        if rate.reason is Reason.OVER_SPEED:
            confirmed = (ref is not None and cur.limit is not None and ref > cur.limit) or (
                after is not None)
            if not confirmed:  # the newest reading: its next one will tell
                rate = Rate(rate.start, rate.end, None, rate.reason)
        out.append(rate)
        base = cur
        if rate.value is not None:
            ref = rate.value
    return out


def _glitch(base: Reading, cur: Reading, nxt: Reading, rate: Rate, bits: int,
            ceiling: float | None, ref: float | None) -> bool:
    """Whether ``cur`` is one bad reading between ``base`` and ``nxt``: it stepped back (or
    jumped beyond any link and came back down), and ``nxt`` goes on from ``base`` as if it
    never was. A jump over the stated speed alone is no evidence (speeds lie)."""
    if rate.reason in (Reason.OK, Reason.REBOOT):
        return False
    if (None not in (base.discontinuity, cur.discontinuity)
            and base.discontinuity != cur.discontinuity) or restart(base, cur) is not Restart.NONE:
        return False  # the device itself said something happened: not a bad reading
    if cur.value >= base.value and (rate.reason is not Reason.IMPLAUSIBLE
                                    or nxt.value >= cur.value):
        return False
    return _recovers(base, nxt, bits, ceiling, ref)


def _recovers(base: Reading, nxt: Reading, bits: int, ceiling: float | None,
              ref: float | None) -> bool:
    """Whether ``nxt`` goes on from ``base`` as if the reading between them never was: a
    rise with no restart, within what a link carries (the stated speed may lie)."""
    return _pair(base, nxt, bits, ceiling, ref, None).reason in (Reason.OK, Reason.OVER_SPEED)


def counter_rate(prev: Reading, cur: Reading, bits: int = 64, max_rate: float | None = None,
                 ceiling: float | None = None) -> Rate:
    """The rate between two readings alone (no history, no lookahead): :func:`judge` of the
    pair, with ``max_rate`` as the reading's speed limit when it has none.

    Raises:
        ValueError: ``bits`` is neither 32 nor 64, or ``cur`` is not after ``prev``.
    """
    if cur.ts <= prev.ts:
        raise ValueError(f"readings out of order: {prev.ts} then {cur.ts}")
    if max_rate is not None and cur.limit is None:
        cur = Reading(cur.ts, cur.value, cur.uptime, cur.host_uptime, cur.engine_boots,
                      cur.discontinuity, max_rate, cur.bits)
    return judge([prev, cur], bits, ceiling)[0]

