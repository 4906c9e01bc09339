"""SNMP requests (v1, v2c, v3 authPriv; over IPv4 or IPv6) to many devices at once.

SNMPv1/v2c, and SNMPv3 with the protocols :mod:`.usm` speaks, go over netargus's own message
codec (:mod:`.ber`, :mod:`.usm`) and one shared UDP socket per address family
(:mod:`.transport`): decoding straight into plain values is what makes a table walk cheap
(pysnmp's pyasn1 objects cost about 50 times the work per value). SNMPv3 with AES-192/256 or
3DES goes over pysnmp 7's asyncio API, from as few ``SnmpEngine``s as correctness allows (one
per SNMPv3 key set; an engine per host is a known slowdown). MIB lookup is off
and OIDs are numeric: IF-MIB, ENTITY-MIB and friends are not bundled with pysnmp and fetching
them fails offline, so netargus names OIDs itself.

Values come back undecoded (:mod:`netargus.protocols.snmp.values`): the caller knows each
column's meaning and decodes it (:mod:`netargus.protocols.snmp.text`). Walks are bounded and
adapt to the agent (:mod:`netargus.protocols.snmp.walk`).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    next_cmd,
)
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.proto import errind

from netargus.auth import SnmpAuth
from netargus.model import Device, PollOutcome, SnmpSettings
from netargus.protocols import CollectError, scrub
from netargus.protocols.snmp.ber import GET, GETBULK, GETNEXT, VERSIONS, BerError, Oid
from netargus.protocols.snmp.text import display_text
from netargus.protocols.snmp.transport import RequestTimedOut, SnmpTransport, community_request
from netargus.protocols.snmp.usm import Usm, speaks
from netargus.protocols.snmp.values import END_OF_MIB_VIEW, walked
from netargus.protocols.snmp.walk import DEFAULT_EXPECTED_ROWS, TableWalk, WalkResult

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


def security_data(creds: SnmpAuth) -> CommunityData | UsmUserData:
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


async def resolve(host: str, port: int) -> tuple[socket.AddressFamily, str]:
    """The address family and address to reach ``host`` at.

    An IPv4 or IPv6 literal (``192.0.2.1``, ``2001:db8::1``, ``[::1]``) is used as it is; a
    name is resolved, preferring IPv4 when it has both (as net-snmp's default ``udp:``
    transport does), IPv6 when it has only AAAA records. An IPv4-mapped IPv6 literal
    (``::ffff:192.0.2.1``) is reached over IPv4.

    Raises:
        OSError: the name does not resolve (``socket.gaierror``).
    """
    literal = host.strip().removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return socket.AF_INET, str(address.ipv4_mapped)  # ::ffff:a.b.c.d is IPv4
        return (socket.AF_INET6 if address.version == 6 else socket.AF_INET), str(address)
    found = await asyncio.get_running_loop().getaddrinfo(literal, port, type=socket.SOCK_DGRAM)
    for family in (socket.AF_INET, socket.AF_INET6):
        for fam, _, _, _, sockaddr in found:
            if fam == family:
                return family, str(sockaddr[0])
    raise socket.gaierror(f"{host}: no IPv4 or IPv6 address")


def _outcome(indication: Any) -> PollOutcome:
    if isinstance(indication, errind.RequestTimedOut):
        return PollOutcome.TIMEOUT
    if isinstance(indication, AUTH_ERRORS):
        return PollOutcome.AUTH_FAILURE
    return PollOutcome.NETWORK_FAILURE


def engine_key(creds: SnmpAuth) -> str:
    """Which engine serves ``creds``: one for all communities, one per distinct v3 key set."""
    if creds.version != "3":
        return ""
    parts = (creds.user, creds.auth_protocol, creds.auth_key, creds.priv_protocol, creds.priv_key)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class SnmpClient:
    """SNMP requests to many devices from few engines, inside one asyncio loop.

    pysnmp keys an engine's USM users by user name and swaps the keys in place when another
    key set for the same name comes along, so concurrent requests with two key sets for one
    user (a wrong key on one device, or per-region keys) would race. Each distinct v3 key set
    therefore gets its own engine; communities all share one. Deployments have a handful.
    """

    name = "snmp"

    def __init__(self) -> None:
        self.engines: dict[str, SnmpEngine] = {}
        self.transports: dict[socket.AddressFamily, asyncio.Future[SnmpTransport]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.usm = Usm()

    @staticmethod
    def _settings(device: Device) -> SnmpSettings:
        if device.snmp is None:
            raise CollectError(PollOutcome.INTERNAL_FAILURE, f"{device.name} has no SNMP settings")
        return device.snmp

    def engine_for(self, creds: SnmpAuth) -> SnmpEngine:
        key = engine_key(creds)
        if key not in self.engines:
            self.engines[key] = SnmpEngine()
        return self.engines[key]

    async def _address(self, device: Device) -> tuple[socket.AddressFamily, tuple[str, int]]:
        """Where ``device`` is reached (:func:`resolve`), as ``(family, (address, port))``.

        Raises:
            CollectError: network_failure, the name does not resolve.
        """
        port = self._settings(device).port
        try:
            family, address = await resolve(device.host, port)
        except OSError as exc:
            raise CollectError(PollOutcome.NETWORK_FAILURE,
                               f"cannot reach {device.host}:{port}: {exc}") from None
        return family, (address, port)

    async def _target(self, device: Device) -> UdpTransportTarget | Udp6TransportTarget:
        """pysnmp's transport target for ``device`` (the SNMPv3 protocols it still serves)."""
        snmp = self._settings(device)
        family, address = await self._address(device)
        transport = Udp6TransportTarget if family == socket.AF_INET6 else UdpTransportTarget
        try:
            return await transport.create(address, timeout=snmp.timeout, retries=snmp.retries)
        except Exception as exc:  # socket errors, which pysnmp wraps in its own
            raise CollectError(PollOutcome.NETWORK_FAILURE,
                               f"cannot reach {device.host}:{snmp.port}: {exc}") from None

    async def _transport(self, family: socket.AddressFamily) -> SnmpTransport:
        """The shared socket of ``family`` in the running loop (opened at first use; a client
        used from a new event loop opens new ones)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._close_transports()
            self._loop = loop
        opening = self.transports.get(family)
        if opening is None or opening.cancelled():
            opening = self.transports[family] = asyncio.ensure_future(
                SnmpTransport.open(family))
        try:  # shielded: a caller cancelled while it opens must not cancel it for the others
            return await asyncio.shield(opening)
        except OSError as exc:
            self.transports.pop(family, None)
            raise CollectError(PollOutcome.NETWORK_FAILURE,
                               f"cannot open an SNMP socket: {exc}") from None

    async def _request(self, device: Device, creds: SnmpAuth, pdu: int,
                       oids: list[str] | list[Oid], repetitions: int = 0
                       ) -> tuple[str, int, list[tuple[Any, Any]]]:
        """One GET, GETNEXT or GETBULK (``pdu`` as in :mod:`.ber`) to ``device``.

        SNMPv1/v2c, and SNMPv3 with the protocols :mod:`.usm` speaks, go over netargus's own
        codec and shared sockets (:mod:`.transport`); other SNMPv3 privacy protocols (AES-192/
        256, 3DES) over pysnmp.

        Returns:
            ``(error_name, error_index, var_binds)``: ``error_name`` is ``""`` for noError,
            else RFC 3416's name (``tooBig``); ``var_binds`` are ``(oid, value)`` with ``oid``
            a tuple of arcs, values plain and endOfMibView as ``END_OF_MIB_VIEW``.

        Raises:
            CollectError: timeout (no answer to any try), auth_failure (SNMPv3 rejected) or
                network_failure (unreachable, undecodable answer), secrets scrubbed.
        """
        snmp = self._settings(device)
        if creds.version != "3" or speaks(creds):
            family, address = await self._address(device)
            transport = await self._transport(family)
            try:
                if creds.version == "3":
                    response = await self.usm.request(
                        transport, address, creds, snmp.context, pdu, oids,
                        timeout=snmp.timeout, retries=snmp.retries, max_repetitions=repetitions)
                else:
                    response = await community_request(
                        transport, address, VERSIONS[creds.version], creds.community.encode(),
                        pdu, oids, timeout=snmp.timeout, retries=snmp.retries,
                        max_repetitions=repetitions)
            except RequestTimedOut as exc:
                raise CollectError(PollOutcome.TIMEOUT, str(exc)) from None
            except BerError as exc:
                raise CollectError(PollOutcome.NETWORK_FAILURE,
                                   f"undecodable answer from {device.host}: {exc}") from None
            except OSError as exc:
                raise CollectError(PollOutcome.NETWORK_FAILURE,
                                   f"cannot reach {device.host}:{snmp.port}: {exc}") from None
            name = response.error_name if response.error_status else ""
            return name, response.error_index, response.var_binds
        target = await self._target(device)
        request = [ObjectType(ObjectIdentity(o if isinstance(o, str) else ".".join(map(str, o))))
                   for o in oids]  # pysnmp takes dotted text
        args = (self.engine_for(creds), security_data(creds), target,
                ContextData(contextName=snmp.context))
        if pdu == GETBULK:
            answer = await bulk_cmd(*args, 0, repetitions, *request, lookupMib=False)
        else:
            answer = await (get_cmd if pdu == GET else next_cmd)(*args, *request, lookupMib=False)
        indication, status, index, var_binds = answer
        if indication:
            raise CollectError(_outcome(indication), scrub(str(indication), creds.secrets()))
        return ((status.prettyPrint() if status else ""), int(index),
                [(tuple(oid), walked(value)) for oid, value in var_binds])

    async def get(self, device: Device, creds: SnmpAuth, oids: list[str]) -> dict[str, Any]:
        """GET ``oids`` from ``device``: ``{oid: value}``, values undecoded as
        :mod:`~netargus.protocols.snmp.values` gives them (``bytes`` for OCTET STRINGs,
        :class:`~netargus.protocols.snmp.values.Counter64` ...); absent objects map to ``None``.

        An SNMPv1 agent answers a GET naming an object it lacks with ``noSuchName`` for the
        whole PDU (RFC 1157 §4.1.2): that object maps to ``None`` and the others are asked
        again, as SNMPv2's noSuchObject would have said.

        SNMP carries no observation time: stamp values when this returns, not before the
        call (a first SNMPv3 request spends a round trip on engine discovery first).

        Raises:
            CollectError: timeout, auth_failure or network_failure, with the agent's reason.
        """
        out: dict[str, Any] = {}
        pending = [oid.strip().lstrip(".") for oid in oids]
        while pending:
            status, at, var_binds = await self._request(device, creds, GET, pending)
            if status:
                if status == "noSuchName" and 1 <= at <= len(pending):
                    out[pending.pop(at - 1)] = None
                    continue
                where = pending[at - 1] if 1 <= at <= len(pending) else "?"
                raise CollectError(PollOutcome.NETWORK_FAILURE,
                                   f"agent error {status} at {where}")
            for oid, value in var_binds:
                out[".".join(map(str, oid))] = None if value is END_OF_MIB_VIEW else value
            break
        return out

    async def walk(self, device: Device, creds: SnmpAuth, columns: list[str], *,
                   expected_rows: int | None = None) -> WalkResult:
        """Walk table ``columns`` together; always ends (see :mod:`netargus.protocols.snmp.walk`).

        SNMPv2c/v3 use GETBULK with the device's ``max_repetitions`` (halved when the agent
        answers tooBig), unless the device is set to ``walk: getnext``; SNMPv1 has no GETBULK
        (RFC 1157) and always uses GETNEXT.

        Args:
            device: the device (its ``snmp`` settings choose GETBULK/GETNEXT and repetitions).
            creds: its credentials.
            columns: column OIDs, e.g. ``1.3.6.1.2.1.2.2.1.2`` (ifDescr).
            expected_rows: the table's expected size (ifNumber for IF-MIB tables), which
                bounds the walk; default ``DEFAULT_EXPECTED_ROWS``.

        Returns:
            A :class:`~netargus.protocols.snmp.walk.WalkResult`: ``columns`` as
            ``{column: {index: value}}`` (values undecoded, as :meth:`get`), and the
            ``problems`` of columns that ended early (non-increasing OIDs, too many rows, an
            error at the column, no answer halfway), which callers report as ``partial``.

        Raises:
            CollectError: as :meth:`get`, when no row was read yet and the agent does not
                answer, answers something undecodable or an error-status that names no column
                (after some rows, these end the walk with problems and the rows are kept).
        """
        snmp = self._settings(device)
        state = TableWalk(columns, DEFAULT_EXPECTED_ROWS if expected_rows is None
                          else expected_rows)
        bulk = creds.version != "1" and snmp.walk == "bulk"
        repetitions = snmp.max_repetitions
        while sent := state.request():
            cursors = [state.cursor_arcs(c) for c in sent]
            read = any(state.result.columns.values())
            try:
                status, index, var_binds = await self._request(
                    device, creds, GETBULK if bulk else GETNEXT, cursors, repetitions)
            except CollectError as exc:
                if read:  # halfway: keep what was read
                    how = "no answer" if exc.outcome == PollOutcome.TIMEOUT else "stopped"
                    for column in list(state.active):
                        state.end(column, f"{how} after {len(state.result.column(column))}"
                                          f" rows ({exc})")
                    break
                raise
            if status:
                if status == "tooBig" and bulk and repetitions > 1:
                    repetitions = max(1, repetitions // 2)
                    continue
                if not state.take_error(sent, status, index):
                    if not read:
                        raise CollectError(PollOutcome.NETWORK_FAILURE,
                                           f"agent error {status} walking {sent}")
                    state.stop(f"agent error {status}")  # halfway: keep what was read
                continue
            state.take(sent, var_binds)
        return state.result

    async def probe(self, device: Device, creds: SnmpAuth) -> dict[str, Any]:
        """Read sysName and sysDescr (text: DisplayString, decoded with the device's charset),
        sysObjectID (dotted) and sysUpTime (``uptime_seconds``) from ``device``; absent ones
        are ``None``.

        Raises:
            CollectError: as :meth:`get`; missing_metrics when the agent has no system group.
        """
        snmp = self._settings(device)
        values = await self.get(device, creds, list(SYSTEM_OIDS.values()))
        out = {key: values.get(oid) for key, oid in SYSTEM_OIDS.items()}
        if all(v is None for v in out.values()):
            raise CollectError(PollOutcome.MISSING_METRICS,
                               "the agent answered but has no system group")
        for key in ("sys_descr", "sys_name"):
            if out[key] is not None:
                out[key] = display_text(out[key], snmp.charset)
        if out["sys_object_id"] is not None:
            out["sys_object_id"] = str(out["sys_object_id"])
        ticks = out.pop("sys_uptime")
        out["uptime_seconds"] = (ticks if isinstance(ticks, int) else 0) / 100.0
        return out

    def _close_transports(self) -> None:
        openings, self.transports = list(self.transports.values()), {}
        for opening in openings:
            if opening.done() and not opening.cancelled() and opening.exception() is None:
                opening.result().close()
            elif not opening.get_loop().is_closed():
                opening.cancel()

    def close(self) -> None:
        """Close every socket: the shared SNMPv1/v2c ones and every engine's."""
        self._close_transports()
        for engine in self.engines.values():
            engine.close_dispatcher()
        self.engines.clear()
