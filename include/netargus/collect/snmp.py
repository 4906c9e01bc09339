"""SNMP collection over pysnmp 7's asyncio API (v1, v2c, v3 authPriv).

One :class:`SnmpCollector` talks to many devices concurrently from as few ``SnmpEngine``s as
correctness allows (one for every community, one per SNMPv3 key set; an engine per host is a
known slowdown, worst for v3). MIB lookup is off
and OIDs are numeric: IF-MIB, ENTITY-MIB and friends are not bundled with pysnmp and fetching
them fails offline, so netargus names OIDs itself.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
)
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.proto import errind, rfc1902
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from netargus.collect import COLLECTORS, CollectError, SnmpCredentials, scrub
from netargus.model import Device, PollOutcome

T = TypeVar("T")
R = TypeVar("R")

SYSTEM_OIDS = {
    "sys_descr": "1.3.6.1.2.1.1.1.0",
    "sys_object_id": "1.3.6.1.2.1.1.2.0",
    "sys_uptime": "1.3.6.1.2.1.1.3.0",
    "sys_name": "1.3.6.1.2.1.1.5.0",
}

AUTH_PROTOCOLS = {
    "md5": usm.USM_AUTH_HMAC96_MD5,
    "sha": usm.USM_AUTH_HMAC96_SHA,
    "sha224": usm.USM_AUTH_HMAC128_SHA224,
    "sha256": usm.USM_AUTH_HMAC192_SHA256,
    "sha384": usm.USM_AUTH_HMAC256_SHA384,
    "sha512": usm.USM_AUTH_HMAC384_SHA512,
    "none": usm.USM_AUTH_NONE,
}
PRIV_PROTOCOLS = {
    "aes": usm.USM_PRIV_CFB128_AES,
    "aes128": usm.USM_PRIV_CFB128_AES,
    "aes192": usm.USM_PRIV_CFB192_AES,
    "aes256": usm.USM_PRIV_CFB256_AES,
    "des": usm.USM_PRIV_CBC56_DES,
    "3des": usm.USM_PRIV_CBC168_3DES,
    "none": usm.USM_PRIV_NONE,
}

AUTH_ERRORS = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.UnknownSecurityName,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
    errind.DecryptionError,
    errind.UnsupportedSecurityLevel,
    errind.UnknownCommunityName,
    errind.NoAuthentication,
)


def security_data(creds: SnmpCredentials) -> CommunityData | UsmUserData:
    """pysnmp's security parameters for ``creds``.

    Raises:
        CollectError: an unknown auth or privacy protocol name (auth_failure).
    """
    if creds.version in ("1", "2c"):
        return CommunityData(creds.community, mpModel=0 if creds.version == "1" else 1)
    try:
        auth = AUTH_PROTOCOLS[creds.auth_protocol.lower()]
        priv = PRIV_PROTOCOLS[creds.priv_protocol.lower()]
    except KeyError as exc:
        raise CollectError(PollOutcome.AUTH_FAILURE, f"unsupported SNMPv3 protocol {exc}") from None
    return UsmUserData(
        creds.user,
        authKey=creds.auth_key or None,
        privKey=creds.priv_key or None,
        authProtocol=auth if creds.auth_key else usm.USM_AUTH_NONE,
        privProtocol=priv if creds.priv_key else usm.USM_PRIV_NONE,
    )


def octets_to_text(raw: bytes) -> str:
    """An OCTET STRING as text when it is text, else as colon-separated hex.

    ``b"Gi0/1"`` -> ``"Gi0/1"``; a MAC ``b"\x00\x1b!\xaa\xbb\xcc"`` -> ``"00:1b:21:aa:bb:cc"``
    (bytes below 0x80 decode as UTF-8 too, so decoding alone cannot tell). Trailing NULs, which
    some agents append to strings, are dropped.
    """
    trimmed = raw.rstrip(b"\x00")
    try:
        text = trimmed.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex(":")
    if all(ch.isprintable() or ch in "\t\r\n" for ch in text):
        return text
    return raw.hex(":")


def to_python(value: Any) -> Any:
    """A pysnmp value as plain Python: str for text and OIDs, int for numbers, None if absent."""
    if isinstance(value, NoSuchObject | NoSuchInstance | EndOfMibView):
        return None
    if isinstance(value, rfc1902.ObjectIdentifier):
        return str(value)
    if isinstance(value, rfc1902.OctetString):
        return octets_to_text(bytes(value))
    if isinstance(value, rfc1902.IpAddress):
        return value.prettyPrint()
    try:
        return int(value)
    except (TypeError, ValueError):
        return value.prettyPrint()


def _outcome(indication: Any) -> PollOutcome:
    if isinstance(indication, errind.RequestTimedOut):
        return PollOutcome.TIMEOUT
    if isinstance(indication, AUTH_ERRORS):
        return PollOutcome.AUTH_FAILURE
    return PollOutcome.NETWORK_FAILURE


def engine_key(creds: SnmpCredentials) -> str:
    """Which engine serves ``creds``: one for all communities, one per distinct v3 key set."""
    if creds.version != "3":
        return ""
    parts = (creds.user, creds.auth_protocol, creds.auth_key, creds.priv_protocol, creds.priv_key)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class SnmpCollector:
    """SNMP requests to many devices from few engines, inside one asyncio loop.

    pysnmp keys an engine's USM users by user name and swaps the keys in place when another
    key set for the same name comes along, so concurrent requests with two key sets for one
    user (a wrong key on one device, or per-region keys) would race. Each distinct v3 key set
    therefore gets its own engine; communities all share one. Deployments have a handful.
    """

    name = "snmp"

    def __init__(self) -> None:
        self.engines: dict[str, SnmpEngine] = {}

    def engine_for(self, creds: SnmpCredentials) -> SnmpEngine:
        key = engine_key(creds)
        if key not in self.engines:
            self.engines[key] = SnmpEngine()
        return self.engines[key]

    async def _target(self, device: Device) -> UdpTransportTarget:
        assert device.snmp is not None
        try:
            return await UdpTransportTarget.create(
                (device.host, device.snmp.port),
                timeout=device.snmp.timeout,
                retries=device.snmp.retries,
            )
        except Exception as exc:  # resolver and socket errors, which pysnmp wraps in its own
            raise CollectError(PollOutcome.NETWORK_FAILURE,
                               f"cannot reach {device.host}:{device.snmp.port}: {exc}") from None

    async def get(self, device: Device, creds: SnmpCredentials, oids: list[str]) -> dict[str, Any]:
        """GET ``oids`` from ``device``; absent objects map to ``None``.

        SNMP carries no observation time: stamp values when this returns, not before the
        call (a first SNMPv3 request spends a round trip on engine discovery first).

        Raises:
            CollectError: timeout, auth_failure or network_failure, with the agent's reason.
        """
        if device.snmp is None:
            raise CollectError(PollOutcome.INTERNAL_FAILURE, f"{device.name} has no SNMP settings")
        target = await self._target(device)
        indication, status, index, var_binds = await get_cmd(
            self.engine_for(creds),
            security_data(creds),
            target,
            ContextData(contextName=device.snmp.context),
            *(ObjectType(ObjectIdentity(oid)) for oid in oids),
            lookupMib=False,
        )
        if indication:
            raise CollectError(_outcome(indication), scrub(str(indication), creds.secrets()))
        if status:
            where = oids[int(index) - 1] if index and int(index) <= len(oids) else "?"
            raise CollectError(PollOutcome.NETWORK_FAILURE,
                               f"agent error {status.prettyPrint()} at {where}")
        return {str(oid): to_python(value) for oid, value in var_binds}

    async def walk(self, device: Device, creds: SnmpCredentials, columns: list[str],
                   max_repetitions: int = 25, max_requests: int = 10_000
                   ) -> dict[str, dict[str, Any]]:
        """Walk table ``columns`` together with GETBULK: ``{column: {index: value}}``.

        All columns still in progress travel in one request, as ``snmpbulkwalk`` of a table
        would, and a column stops where the agent leaves its subtree, reports the end of the
        MIB, or stops advancing (a broken agent cannot loop us).

        Raises:
            CollectError: as :meth:`get`.
        """
        if device.snmp is None:
            raise CollectError(PollOutcome.INTERNAL_FAILURE, f"{device.name} has no SNMP settings")
        engine, auth = self.engine_for(creds), security_data(creds)
        target = await self._target(device)
        context = ContextData(contextName=device.snmp.context)
        table: dict[str, dict[str, Any]] = {c: {} for c in columns}
        cursor = {c: c for c in columns}
        active = list(columns)
        for _ in range(max_requests):
            if not active:
                break
            indication, status, index, var_binds = await bulk_cmd(
                engine, auth, target, context, 0, max_repetitions,
                *(ObjectType(ObjectIdentity(cursor[c])) for c in active), lookupMib=False)
            if indication:
                raise CollectError(_outcome(indication), scrub(str(indication), creds.secrets()))
            if status:
                raise CollectError(PollOutcome.NETWORK_FAILURE,
                                   f"agent error {status.prettyPrint()} walking {active}")
            done: set[str] = set()
            advanced: set[str] = set()
            for i, (oid, value) in enumerate(var_binds):  # row-major: row r, column i % n
                column = active[i % len(active)]
                if column in done:
                    continue
                text = str(oid)
                if isinstance(value, EndOfMibView) or not text.startswith(column + "."):
                    done.add(column)
                    continue
                if text != cursor[column]:
                    advanced.add(column)
                    cursor[column] = text
                    table[column][text[len(column) + 1:]] = to_python(value)
            active = [c for c in active if c not in done and c in advanced]
        return table

    async def probe(self, device: Device, creds: SnmpCredentials) -> dict[str, Any]:
        """Read sysName, sysDescr, sysObjectID and sysUpTime (seconds) from ``device``."""
        values = await self.get(device, creds, list(SYSTEM_OIDS.values()))
        out = {key: values.get(oid) for key, oid in SYSTEM_OIDS.items()}
        if all(v is None for v in out.values()):
            raise CollectError(PollOutcome.MISSING_METRICS,
                               "the agent answered but has no system group")
        ticks = out.pop("sys_uptime")
        out["uptime_seconds"] = (ticks or 0) / 100.0
        return out

    def close(self) -> None:
        """Close every engine's sockets."""
        for engine in self.engines.values():
            engine.close_dispatcher()
        self.engines.clear()


async def for_each_device(items: list[T], work: Callable[[SnmpCollector, T], Awaitable[R]],
                          concurrency: int) -> list[R]:
    """Run ``work(collector, item)`` for every item, at most ``concurrency`` at once, sharing
    one :class:`SnmpCollector` that is closed at the end. Results keep the items' order."""
    collector = SnmpCollector()
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> R:
        async with gate:
            return await work(collector, item)

    try:
        return list(await asyncio.gather(*(one(i) for i in items)))
    finally:
        collector.close()


COLLECTORS["snmp"] = SnmpCollector
