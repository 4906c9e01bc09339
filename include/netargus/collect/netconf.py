"""NETCONF over SSH (ncclient): capabilities, ``<get>`` with subtree or XPath filters, and a
mapping from YANG lists to samples.

A :class:`YangList` says which list of a reply becomes rows (``interfaces-state/interface``),
which of its leaves become labels (list keys) and which become metrics (counter or gauge,
enumerations through a table). :data:`IETF_INTERFACES` is the built-in one for the interface
statistics of ``ietf-interfaces``; its metric names are the SNMP ones, so the same rate code
and tables serve both. Errors become the same outcomes as SNMP's (:func:`judge`): a refused
login is ``auth_failure``, a closed port ``network_failure``, no answer ``timeout``, and an
``<rpc-error>`` carries the server's error-tag.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from lxml import etree

from netargus.collect import CollectError, Judgement, attempt
from netargus.model import (
    Device,
    DeviceFacts,
    Interface,
    Kind,
    PollOutcome,
    PollResult,
    Sample,
    Source,
)
from netargus.streaming.decoders.names import OPEN_CONFIG_LEAVES, OPER_STATUS

log = logging.getLogger(__name__)
logging.getLogger("ncclient").setLevel(logging.WARNING)  # it logs every RPC at INFO/DEBUG

IETF_INTERFACES_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"


@dataclass(frozen=True)
class NetconfCredentials:
    """SSH login for NETCONF from an Airflow Connection (secrets hidden from repr).

    ``host_key`` is the server's public key (base64, as in ``known_hosts``); without it the
    host key is verified against ``~/.ssh/known_hosts`` unless ``verify_host_key`` is off.
    """

    username: str
    password: str = field(default="", repr=False)
    private_key: str = field(default="", repr=False)  # PEM text
    key_file: str = ""
    host_key: str = ""
    verify_host_key: bool = True

    def secrets(self) -> tuple[str, ...]:
        """The secret strings, for scrubbing error texts."""
        return tuple(s for s in (self.password, self.private_key) if s)

    @classmethod
    def from_connection(cls, login: str | None, password: str | None,
                        extra: dict[str, Any] | None) -> NetconfCredentials:
        """From an SSH-style Connection: login, password, and in extra ``key_file`` or
        ``private_key``, ``host_key``, ``no_host_key_check`` (the SSH provider's names)."""
        extra = extra or {}
        if not login:
            raise ValueError("NETCONF credentials need a login")
        return cls(username=login, password=password or "",
                   private_key=str(extra.get("private_key", "")),
                   key_file=str(extra.get("key_file", "")),
                   host_key=str(extra.get("host_key", "")),
                   verify_host_key=str(extra.get("no_host_key_check", "false")).lower()
                   not in ("true", "1", "yes"))


class NetconfFailure(CollectError):
    """Talking to a device over NETCONF failed; ``outcome`` is the ``poll_status`` to record."""


def judge(exc: BaseException) -> NetconfFailure:
    """The outcome of an ncclient / SSH error (the message names no secret)."""
    from ncclient.operations.errors import TimeoutExpiredError
    from ncclient.operations.rpc import RPCError
    from ncclient.transport.errors import AuthenticationError, SSHError

    if isinstance(exc, NetconfFailure):
        return exc
    if isinstance(exc, AuthenticationError):
        return NetconfFailure(PollOutcome.AUTH_FAILURE, "SSH authentication failed")
    if isinstance(exc, RPCError):
        return NetconfFailure(PollOutcome.PARTIAL,
                              f"rpc-error {exc.tag or '?'}: {exc.message or exc}".strip())
    if isinstance(exc, (TimeoutExpiredError, socket.timeout, TimeoutError)):
        return NetconfFailure(PollOutcome.TIMEOUT, f"no answer in time: {exc}")
    if isinstance(exc, (SSHError, OSError)):
        text = str(exc)
        if "host key" in text.lower() or "Unknown host key" in text:
            return NetconfFailure(PollOutcome.AUTH_FAILURE, f"SSH host key not trusted: {text}")
        return NetconfFailure(PollOutcome.NETWORK_FAILURE, text or type(exc).__name__)
    return NetconfFailure(PollOutcome.INTERNAL_FAILURE, f"{type(exc).__name__}: {exc}")


def modules(capabilities: list[str]) -> dict[str, str]:
    """YANG module -> revision, from the ``?module=...&revision=...`` capabilities."""
    out = {}
    for cap in capabilities:
        _, _, query = cap.partition("?")
        params = parse_qs(query)
        if "module" in params:
            out[params["module"][0]] = params.get("revision", [""])[0]
    return dict(sorted(out.items()))


class NetconfClient:
    """One NETCONF session (a context manager)."""

    def __init__(self, host: str, port: int, credentials: NetconfCredentials,
                 timeout: float = 10.0) -> None:
        self.host, self.port, self.credentials, self.timeout = host, port, credentials, timeout
        self._manager: Any = None

    def __enter__(self) -> NetconfClient:
        from ncclient import manager

        c = self.credentials
        with self._key_file() as key_file:
            try:
                self._manager = manager.connect(
                    host=self.host, port=self.port, username=c.username,
                    password=c.password or None, key_filename=key_file,
                    hostkey_verify=c.verify_host_key, hostkey_b64=c.host_key or None,
                    allow_agent=False, look_for_keys=False, timeout=self.timeout)
            except Exception as exc:
                raise judge(exc) from None
        self._manager.timeout = self.timeout
        return self

    @contextlib.contextmanager
    def _key_file(self) -> Iterator[str | None]:
        """The private key as a file for ncclient (a mode-600 temp file, removed after)."""
        c = self.credentials
        if c.key_file or not c.private_key:
            yield c.key_file or None
            return
        fd, path = tempfile.mkstemp(prefix="netargus-key-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(c.private_key)
            yield path
        finally:
            os.unlink(path)

    def __exit__(self, *exc: object) -> None:
        if self._manager is not None:
            with contextlib.suppress(Exception):
                self._manager.close_session()

    def capabilities(self) -> list[str]:
        return sorted(self._manager.server_capabilities)

    def get(self, subtree: str | None = None, xpath: str | None = None) -> etree._Element:
        """``<get>`` with a subtree or XPath filter; returns the ``<data>`` element."""
        flt = ("subtree", subtree) if subtree else ("xpath", xpath) if xpath else None
        try:
            reply = self._manager.get(filter=flt)
        except Exception as exc:
            raise judge(exc) from None
        return reply.data_ele


# ---------------------------------------------------------------------------- YANG -> samples

@dataclass(frozen=True)
class YangLeaf:
    path: str          # relative to the list entry, local names: "statistics/in-octets"
    metric: str
    kind: Kind = Kind.GAUGE
    enum: tuple[tuple[str, float], ...] = ()  # for enumerations: value -> number


@dataclass(frozen=True)
class YangList:
    """Which list entries become rows, their labels (keys) and their metrics."""

    subtree: str | None            # the <get> filter
    xpath: str | None
    entry: str                     # path of the list from <data>: "interfaces-state/interface"
    keys: tuple[tuple[str, str], ...]  # leaf -> label
    leaves: tuple[YangLeaf, ...]

    @classmethod
    def of(cls, spec: Any) -> YangList:
        """From a profile's ``netconf`` section (:class:`netargus.profiles.NetconfMetrics`)."""
        return cls(subtree=spec.subtree, xpath=spec.xpath, entry=spec.list,
                   keys=tuple(spec.keys.items()),
                   leaves=tuple(YangLeaf(leaf.path, leaf.metric, Kind(leaf.kind),
                                         tuple(leaf.enum.items())) for leaf in spec.leaves))


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _find(element: etree._Element, path: str) -> list[etree._Element]:
    """Elements under ``element`` along ``path`` of local names (namespaces ignored)."""
    level = [element]
    for name in path.strip("/").split("/"):
        level = [c for e in level for c in e if _local(c.tag) == name]
    return level


def extract(data: etree._Element, spec: YangList, device: str, ts: datetime,
            source: Source = Source.NETCONF) -> list[Sample]:
    """The samples ``spec`` takes from a ``<data>`` element."""
    out = []
    for entry in _find(data, spec.entry):
        labels = {}
        for leaf, label in spec.keys:
            found = _find(entry, leaf)
            if found and found[0].text is not None:
                labels[label] = found[0].text.strip()
        for leaf in spec.leaves:
            found = _find(entry, leaf.path)
            if not found or found[0].text is None:
                continue
            text = found[0].text.strip()
            if leaf.enum:
                value = dict(leaf.enum).get(text)
                if value is None:
                    continue
            else:
                try:
                    value = float(text)
                except ValueError:
                    continue
            out.append(Sample(ts=ts, device=device, source=source, metric=leaf.metric,
                              value=value, kind=leaf.kind, labels=labels))
    return out


_IF_STATUS = tuple((name.lower().replace("_", "-"), float(n)) for name, n in OPER_STATUS.items())
_COUNTERS = ("in-octets", "in-unicast-pkts", "in-broadcast-pkts", "in-multicast-pkts",
             "in-discards", "in-errors", "out-octets", "out-unicast-pkts", "out-broadcast-pkts",
             "out-multicast-pkts", "out-discards", "out-errors")

IETF_INTERFACES = YangList(
    subtree=f'<interfaces-state xmlns="{IETF_INTERFACES_NS}"/>', xpath=None,
    entry="interfaces-state/interface", keys=(("name", "ifName"), ("if-index", "ifIndex")),
    leaves=(*(YangLeaf(f"statistics/{leaf}", *OPEN_CONFIG_LEAVES[("interfaces", leaf)])
              for leaf in _COUNTERS),
            YangLeaf("oper-status", "interface.oper_status", Kind.GAUGE, _IF_STATUS),
            YangLeaf("admin-status", "interface.admin_status", Kind.GAUGE, _IF_STATUS),
            YangLeaf("speed", "interface.speed_bps")))


# ---------------------------------------------------------------------------- per-device jobs

IETF_SYSTEM_NS = "urn:ietf:params:xml:ns:yang:ietf-system"
SESSION_BOUND = 6  # a session (connect, hello, a few <get>s) gets this many RPC timeouts
SYSTEM_STATE = f'<system-state xmlns="{IETF_SYSTEM_NS}"/>'
NETCONF_VENDORS = {"junos": "juniper", "ios-xr": "cisco", "ios xr": "cisco", "ios-xe": "cisco",
                   "nx-os": "cisco", "eos": "arista", "sr os": "nokia", "vrp": "huawei"}


def run_each(devices: list[Device], lookup: Callable[[str], NetconfCredentials],
             job: Callable[[Device, NetconfClient], Any], interval_end: datetime, *,
             what: str, concurrency: int = 8) -> list[tuple[Any, PollResult]]:
    """Run ``job(device, client)`` in one NETCONF session per device, ``concurrency`` at a
    time, inside the envelope every collecting job shares (:func:`netargus.collect.attempt`:
    credentials, a time bound, the outcome, secrets scrubbed, one ``poll_status`` row with
    ``collector="netconf"``). ``job`` returns ``(payload, rows)`` or raises
    :class:`NetconfFailure`; a :class:`PartialPoll` keeps the samples it carries."""

    async def all_devices() -> list[tuple[Any, PollResult]]:
        gate = asyncio.Semaphore(concurrency)
        return list(await asyncio.gather(*(one(d, gate) for d in devices)))

    async def one(device: Device, gate: asyncio.Semaphore) -> tuple[Any, PollResult]:
        assert device.netconf is not None
        target = device.netconf
        got: list[Any] = [None, 0]  # payload, rows

        def session(creds: NetconfCredentials) -> Judgement:
            try:
                with NetconfClient(device.host, target.port, creds,
                                   timeout=target.timeout) as nc:
                    got[:] = job(device, nc)
            except PartialPoll as exc:  # some groups refused: keep what the others gave
                got[:] = [exc.samples, len(exc.samples)]
                raise
            return PollOutcome.OK, ""

        async with gate:  # ncclient blocks: each session runs in a worker thread
            result = await attempt(
                device, lookup, lambda creds: asyncio.to_thread(session, creds), what=what,
                interval_end=interval_end, time_bound=SESSION_BOUND * target.timeout,
                rows=lambda: got[1], conn_id=target.credentials, collector="netconf")
        return got[0], result

    return asyncio.run(all_devices()) if devices else []


def discover(device: Device, nc: NetconfClient, observed_at: datetime
             ) -> tuple[tuple[DeviceFacts, list[tuple[str, str, str]]], int]:
    """Facts and capabilities (module, revision, capability URI) of one device."""
    caps = nc.capabilities()
    mods = modules(caps)
    leaves: dict[str, str] = {}
    if "ietf-system" in mods:
        with contextlib.suppress(NetconfFailure):  # optional: the capabilities are the point
            for e in nc.get(subtree=SYSTEM_STATE).iter():
                if isinstance(e.tag, str) and len(e) == 0 and e.text:
                    leaves.setdefault(_local(e.tag), e.text.strip())
    # ietf-system's platform container, else what yuma123's system-state extension says
    os_name = leaves.get("os-name") or leaves.get("sysname", "")
    release = leaves.get("os-release") or leaves.get("release", "")
    facts = DeviceFacts(
        device=device.name, host=device.host, observed_at=observed_at,
        sys_name=leaves.get("hostname") or leaves.get("nodename", ""), site=device.site,
        role=device.role, sys_descr=" ".join(v for v in (os_name, release,
                                                         leaves.get("machine", "")) if v),
        vendor=NETCONF_VENDORS.get(os_name.lower(), "unknown"), platform=os_name.lower(),
        protocols=("netconf",))
    rows = [(m, r, next((c for c in caps if f"module={m}" in c), "")) for m, r in mods.items()]
    return (facts, rows), len(rows)


OPENCONFIG_INTERFACES_NS = "http://openconfig.net/yang/interfaces"
# where each model keeps an interface's leaves: (filter, list path, leaf path inside an entry)
INTERFACE_MODELS = {
    "ietf-interfaces": (IETF_INTERFACES.subtree, IETF_INTERFACES.entry, ""),
    "openconfig-interfaces": (f'<interfaces xmlns="{OPENCONFIG_INTERFACES_NS}"/>',
                              "interfaces/interface", "state"),
}
# the leaf names of each model -> the interfaces table's fields
_LEAF_NAMES = {"if-index": "ifindex", "phys-address": "mac-address"}


def interface_rows(device: Device, nc: NetconfClient, observed_at: datetime
                   ) -> tuple[list[Interface], int]:
    """Interfaces as ``interfaces`` rows (``source = "netconf"``), from ``ietf-interfaces``
    or else ``openconfig-interfaces``, whichever the device announces. Without an if-index
    leaf the row's index is a stable hash of the name."""
    mods = modules(nc.capabilities())
    model = next((m for m in INTERFACE_MODELS if m in mods), "ietf-interfaces")
    subtree, entry, inner = INTERFACE_MODELS[model]
    out = [interface_row(device.name, observed_at, e if not inner else _find(e, inner)[0])
           for e in _find(nc.get(subtree=subtree), entry) if not inner or _find(e, inner)]
    return out, len(out)


def interface_row(device: str, observed_at: datetime, element: etree._Element) -> Interface:
    """One interface from its leaves (ietf-interfaces or OpenConfig names; statuses in either
    case)."""
    leaf = {_local(c.tag): (c.text or "").strip() for c in element if len(c) == 0}
    for ietf, oc in _LEAF_NAMES.items():
        leaf.setdefault(ietf, leaf.get(oc, ""))
    status = dict(_IF_STATUS)
    name = leaf.get("name", "")
    index = int(leaf["if-index"]) if leaf.get("if-index", "").isdigit() else \
        zlib.crc32(name.encode()) & 0x7FFFFFFF
    # ietf-interfaces speed is gauge64 bit/s; agents put 2**64-ish there for "unknown"
    # (netconfd sends 18446744073708551616), which no interface runs at
    bps = int(leaf["speed"]) if leaf.get("speed", "").isdigit() else 0
    speed = bps / 1e6 if bps < 2**63 else 0.0
    return Interface(device=device, if_index=index, observed_at=observed_at, if_name=name,
                     if_descr=leaf.get("description", ""),
                     if_type=IANA_IF_TYPES.get(leaf.get("type", "").split(":")[-1], 0),
                     speed_mbps=speed,
                     admin_status=int(status.get(leaf.get("admin-status", "").lower(), 0)),
                     oper_status=int(status.get(leaf.get("oper-status", "").lower()
                                                .replace("_", "-"), 0)),
                     mac=leaf.get("phys-address", ""), source="netconf")


IANA_IF_TYPES = {"ethernetCsmacd": 6, "softwareLoopback": 24, "ieee8023adLag": 161,
                 "l2vlan": 135, "tunnel": 131, "other": 1}


def poll(device: Device, nc: NetconfClient, groups: list[YangList], ts_now: Callable[[], datetime]
         ) -> tuple[list[Sample], int]:
    """The samples of ``groups`` (one ``<get>`` each). A group the server refuses is an
    ``rpc-error``: the others still count, and the device is then ``partial``."""
    samples: list[Sample] = []
    errors = []
    for spec in groups:
        try:
            data = nc.get(subtree=spec.subtree, xpath=spec.xpath)
        except NetconfFailure as exc:
            if exc.outcome != PollOutcome.PARTIAL:
                raise
            errors.append(str(exc))
            continue
        samples += extract(data, spec, device.name, ts_now())  # stamped at the response
    if errors:
        raise PartialPoll(samples, "; ".join(errors))
    return samples, len(samples)


class PartialPoll(NetconfFailure):
    """Some groups answered, some were refused: keep the samples, record the rpc-errors."""

    def __init__(self, samples: list[Sample], message: str) -> None:
        super().__init__(PollOutcome.PARTIAL if samples else PollOutcome.MISSING_METRICS,
                         message)
        self.samples = samples
