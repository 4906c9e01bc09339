"""One collector interface, many protocols.

A collector turns a :class:`~netargus.model.Device` plus plain credentials into facts and
samples. Protocol modules (``snmp`` today; NETCONF, gNMI... beside it) register a factory in
:data:`COLLECTORS`; the Airflow layer resolves Connection ids into the credential objects
below, so nothing in this package reads Airflow or a secret store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from netargus.model import Device, PollOutcome, PollResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginCredentials:
    """A user name and password from an Airflow Connection (gNMI); the password hidden."""

    login: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class SnmpCredentials:
    """SNMP security settings resolved from an Airflow Connection (secrets hidden from repr)."""

    version: str = "2c"
    community: str = field(default="", repr=False)
    user: str = ""
    auth_protocol: str = "sha"
    auth_key: str = field(default="", repr=False)
    priv_protocol: str = "aes"
    priv_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.version not in ("1", "2c", "3"):
            raise ValueError(f"unsupported SNMP version {self.version!r} (use 1, 2c or 3)")
        if self.version == "3" and not self.user:
            raise ValueError("SNMPv3 credentials need a user name (the connection's login)")
        for what, key in (("auth key", self.auth_key), ("privacy passphrase", self.priv_key)):
            if self.version == "3" and key and len(key) < 8:  # RFC 3414 s11.2
                raise ValueError(f"the SNMPv3 {what} must be at least 8 characters (RFC 3414)")

    @classmethod
    def from_connection(cls, login: str | None, password: str | None,
                        extra: dict[str, Any] | None) -> SnmpCredentials:
        """Build from an Airflow Connection's fields.

        v1/v2c: ``password`` is the community. v3: ``login`` is the user, ``password`` the
        auth key, ``extra`` holds ``version``, ``auth_protocol``, ``priv_protocol`` and
        ``priv_passphrase`` (a name Airflow masks in logs).
        """
        extra = extra or {}
        version = str(extra.get("version", "3" if login else "2c"))
        if version not in ("1", "2", "2c", "3"):
            raise ValueError(f"unsupported SNMP version {version!r} in the connection's extra "
                             "(use 1, 2c or 3)")
        if version in ("1", "2c", "2"):
            return cls(version="1" if version == "1" else "2c", community=password or "")
        return cls(
            version="3",
            user=login or "",
            auth_protocol=str(extra.get("auth_protocol", "sha")),
            auth_key=password or "",
            priv_protocol=str(extra.get("priv_protocol", "aes")),
            priv_key=str(extra.get("priv_passphrase", "")),
        )

    def secrets(self) -> tuple[str, ...]:
        """The secret strings, for scrubbing error texts."""
        return tuple(s for s in (self.community, self.auth_key, self.priv_key) if s)


class CollectError(Exception):
    """Collecting from one device failed; ``outcome`` is what ``poll_status`` records."""

    def __init__(self, outcome: PollOutcome, message: str) -> None:
        super().__init__(message)
        self.outcome = PollOutcome(outcome)


def credentials_for(device: Device, lookup: Callable[[str], Any],
                    conn_id: str | None = None) -> Any:
    """The device's credentials (its SNMP ones unless ``conn_id`` names another Connection);
    a missing or broken connection fails this device only.

    Raises:
        CollectError: internal_failure, naming the connection id (never its content).
    """
    if conn_id is None:
        if device.snmp is None:
            raise CollectError(PollOutcome.INTERNAL_FAILURE, "no snmp settings in the inventory")
        conn_id = device.snmp.credentials
    try:
        creds = lookup(conn_id)
    except Exception as exc:
        raise CollectError(PollOutcome.INTERNAL_FAILURE,
                           f"credentials {conn_id!r}: {exc}") from None
    if isinstance(creds, SnmpCredentials) and device.snmp is not None \
            and conn_id == device.snmp.credentials:
        creds = with_version(creds, device.snmp.version, conn_id)
    return creds


def with_version(creds: SnmpCredentials, version: str, conn_id: str) -> SnmpCredentials:
    """``creds`` for the SNMP version the inventory gives the device (``""``: as the
    connection says). A community serves SNMPv1 and v2c alike, so one connection can serve
    devices of both; a v3 user cannot speak v1/v2c, nor a community v3.

    Raises:
        CollectError: internal_failure, the inventory and the connection disagree.
    """
    if not version or version == creds.version:
        return creds
    if "3" not in (version, creds.version):
        return dataclasses.replace(creds, version=version)
    held = "an SNMPv3 user" if creds.version == "3" else "a community (SNMPv1/v2c)"
    raise CollectError(PollOutcome.INTERNAL_FAILURE,
                       f"the inventory says SNMP version {version}, but connection "
                       f"{conn_id!r} holds {held}")


class Collector(Protocol):
    """What every protocol module provides."""

    name: str

    async def probe(self, device: Device, credentials: Any) -> dict[str, Any]:
        """Read the device's identity (name, description, object id, uptime).

        Raises:
            CollectError: with the outcome to record (timeout, auth_failure, ...).
        """
        ...

    def close(self) -> None:
        """Release sockets and engines."""
        ...


COLLECTORS: dict[str, Callable[[], Collector]] = {}


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in ``text`` by ``***`` (error texts go to logs and ClickHouse)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


async def bounded(coro: Any, seconds: float) -> Any:
    """Await ``coro`` for at most ``seconds``; past that raise a timeout ``CollectError``."""
    try:
        return await asyncio.wait_for(coro, seconds)
    except TimeoutError:
        raise CollectError(PollOutcome.TIMEOUT, f"no answer within {seconds:.1f}s") from None


Judgement = tuple[PollOutcome, str]


async def attempt(device: Device, lookup: Callable[[str], Any],
                  work: Callable[[Any], Awaitable[Judgement]], *, what: str,
                  interval_end: datetime, time_bound: float,
                  rows: Callable[[], int], conn_id: str | None = None,
                  collector: str = "snmp", answered: Callable[[], int] | None = None
                  ) -> PollResult:
    """Run ``work`` for one device and turn whatever happens into its ``poll_status`` row.

    The envelope every collecting job shares: the credentials are looked up (a missing
    connection fails this device only), ``work`` runs within ``time_bound`` and judges its own
    outcome; a collection error after some of what was asked had answered is ``partial``
    (else the error's own outcome: a timeout or auth failure midway is that); any other exception
    is ``internal_failure`` (logged with its traceback, never raised); secrets are scrubbed
    from the error text. Never raises.

    Args:
        device: the device.
        lookup: Connection id -> credentials.
        work: collects into the caller's containers and returns ``(outcome, error text)``.
        what: the job's name for log lines (``poll``, ``enrich``...).
        interval_end: the run's interval end, stamped on the row.
        time_bound: the longest ``work`` may take.
        rows: how many rows ``work`` has collected so far (the row's ``sample_count``).
        conn_id: the Connection to use (default: the device's SNMP one).
        collector: the protocol recorded in the row.
        answered: how many of the things asked for (metric groups, tables) have answered so
            far; default ``rows``. Housekeeping reads (sysUpTime) do not make a poll partial.
    """
    started = time.monotonic()
    secrets: tuple[str, ...] = ()
    try:
        creds = credentials_for(device, lookup, conn_id)
        secrets = creds.secrets()
        status, error = await bounded(work(creds), time_bound)
    except CollectError as exc:
        status = PollOutcome.PARTIAL if (answered or rows)() else exc.outcome
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
                      duration_s=duration, sample_count=rows(), error=error,
                      collector=collector)
