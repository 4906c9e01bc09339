"""The one runner every job uses: do this to every device, over a protocol, each in its session.

:func:`run` opens a session per device through the protocol's driver, at most ``concurrency``
at once, and wraps each in the envelope every collecting job shares (:func:`attempt`): the
device's secrets are looked up by Connection id (a missing or broken Connection fails that
device only), the work runs within the protocol's time bound and judges its own outcome, an
error after something answered is ``partial``, any other exception is ``internal_failure``
(logged with its traceback, never raised), secrets are scrubbed from the error text, and the
device gets exactly one ``poll_status`` row. One dead device costs its own time bound and
nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from netargus.model import Device, PollOutcome, PollResult
from netargus.protocols import CollectError, Driver, Judgement, Session, scrub, spoken

log = logging.getLogger(__name__)

T = TypeVar("T")

# (protocol name, Connection id) -> the protocol's auth object (netargus.auth), or raises
Lookup = Callable[[str, str], Any]


@dataclass
class Progress(Generic[T]):
    """What a job has read from one device so far: kept when the device fails halfway.

    ``rows`` counts what goes into ``poll_status.sample_count``; ``answered`` what was asked
    for and answered (metric groups, tables): a failure after some answered is ``partial``,
    a failure after only housekeeping reads (sysUpTime) is the failure itself.
    """

    payload: T
    rows: int = 0
    answered: int = 0


Work = Callable[[Session, Device, Progress[T]], Awaitable[Judgement]]


async def bounded(coro: Awaitable[Any], seconds: float) -> Any:
    """Await ``coro`` for at most ``seconds``; past that raise a timeout ``CollectError``."""
    try:
        return await asyncio.wait_for(coro, seconds)
    except TimeoutError:
        raise CollectError(PollOutcome.TIMEOUT, f"no answer within {seconds:.1f}s") from None


async def attempt(device: Device, driver: Driver, lookup: Lookup, work: Work[T],
                  progress: Progress[T], *, what: str, interval_end: datetime) -> PollResult:
    """Run ``work`` in a session to ``device`` and turn whatever happens into its
    ``poll_status`` row (see the module docstring). Never raises.

    Args:
        device: the device.
        driver: the protocol's driver (it opens the session and knows the time bound).
        lookup: resolves ``(protocol, Connection id)`` into the protocol's auth object.
        work: reads into ``progress`` and returns ``(outcome, error text)``.
        progress: where ``work`` keeps what it read.
        what: the job (``discovery``, ``enrichment``, ``polling``): log lines, time bound.
        interval_end: the run's interval end, stamped on the row.
    """
    started = time.monotonic()
    secrets: tuple[str, ...] = ()

    async def session(auth: Any) -> Judgement:
        async with driver.session(device, auth) as opened:
            return await work(opened, device, progress)

    try:
        conn_id = driver.conn_id(device)
        try:
            auth = lookup(driver.name, conn_id)
        except Exception as exc:
            raise CollectError(PollOutcome.INTERNAL_FAILURE,
                               f"credentials {conn_id!r}: {exc}") from None
        secrets = auth.secrets()
        status, error = await bounded(session(auth), driver.time_bound(device, what))
    except CollectError as exc:
        status = PollOutcome.PARTIAL if progress.answered else exc.outcome
        error = str(exc)
    except Exception as exc:  # a bug must not take the shard down; it is recorded instead
        log.exception("internal error: %s %s", what, device.name)
        status, error = PollOutcome.INTERNAL_FAILURE, f"{type(exc).__name__}: {exc}"
    error = scrub(error, secrets)
    duration = time.monotonic() - started
    if status is not PollOutcome.OK:
        log.warning("%s %s: %s (%s) after %.2fs", what, device.name, status.value, error,
                    duration)
    return PollResult(device=device.name, status=status, interval_end=interval_end,
                      duration_s=duration, sample_count=progress.rows, error=error,
                      source=driver.name)


async def run(devices: Sequence[Device], driver: Driver, lookup: Lookup, work: Work[T],
              new: Callable[[], T], *, what: str, interval_end: datetime, concurrency: int
              ) -> list[tuple[T, PollResult]]:
    """:func:`attempt` ``work`` on every device, at most ``concurrency`` at once; results in
    the devices' order, each with what was read (``new()`` is a device's empty payload)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(device: Device) -> tuple[T, PollResult]:
        progress: Progress[T] = Progress(new())
        async with gate:
            result = await attempt(device, driver, lookup, work, progress, what=what,
                                   interval_end=interval_end)
        return progress.payload, result

    return list(await asyncio.gather(*(one(d) for d in devices)))


def assign(devices: list[Device], available: dict[str, Driver]
           ) -> tuple[dict[str, list[Device]], list[Device]]:
    """Each protocol's devices (those that speak it), and the devices that speak none of the
    installed protocols."""
    out: dict[str, list[Device]] = {name: [] for name in available}
    unspoken = []
    for device in devices:
        names = spoken(device, available)
        for name in names:
            out[name].append(device)
        if not names:
            unspoken.append(device)
    return out, unspoken


def unspoken_result(device: Device, available: dict[str, Driver],
                    interval_end: datetime) -> PollResult:
    """The ``poll_status`` row of a device no installed protocol speaks: its inventory names
    none, or only protocols whose plugin is not installed (``internal_failure``, saying
    which)."""
    named = [p for p in ("snmp", "netconf") if getattr(device, p) is not None]
    named += list(device.protocols)
    what = (f"the inventory gives it {', '.join(named)}, not installed" if named
            else "the inventory gives it no protocol settings")
    return PollResult(device=device.name, status=PollOutcome.INTERNAL_FAILURE,
                      interval_end=interval_end, duration_s=0.0, source="none",
                      error=f"speaks no installed protocol: {what} (installed: "
                            f"{', '.join(available)}; see netargus.protocols)")


async def run_spoken(devices: Sequence[Device], factories: dict[str, Callable[[], Driver]],
                     lookup: Lookup, work: Work[T], new: Callable[[], T], *, what: str,
                     interval_end: datetime, concurrency: int
                     ) -> tuple[list[tuple[T, PollResult]], list[PollResult]]:
    """:func:`run` over every installed protocol each device speaks, protocols side by side;
    also the rows of the devices that speak none (:func:`unspoken_result`)."""
    with Drivers.open(factories) as available:
        by_protocol, unspoken = assign(list(devices), available)
        rows = [unspoken_result(d, available, interval_end) for d in unspoken]
        runs = await asyncio.gather(*(
            run(mine, available[name], lookup, work, new, what=what, interval_end=interval_end,
                concurrency=concurrency)
            for name, mine in by_protocol.items() if mine))
    return [pair for pairs in runs for pair in pairs], rows


@dataclass
class Drivers:
    """The protocols' drivers for one job run, closed together when it ends."""

    drivers: dict[str, Driver] = field(default_factory=dict)

    @classmethod
    def open(cls, factories: dict[str, Callable[[], Driver]]) -> Drivers:
        return cls({name: factory() for name, factory in factories.items()})

    def __enter__(self) -> dict[str, Driver]:
        return self.drivers

    def __exit__(self, *exc: object) -> None:
        for driver in self.drivers.values():
            driver.close()
