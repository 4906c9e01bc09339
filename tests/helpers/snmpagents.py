"""SNMP agents for tests: snmpsim replaying recordings (IPv4 and IPv6), and a scripted agent
for the faults no real agent can be made to show on purpose.

snmpsim is a real agent: it answers GET, GETNEXT and GETBULK over v1 and v2c from a
``.snmprec`` recording (community = file name), with SNMPv1's noSuchName at the end of the
view and without Counter64 over v1. The scripted agent speaks the same wire protocol (pysnmp's
message codec) but answers from a Python function, so a test can make it loop, count upwards
for ever, or refuse GETBULK, and count what the manager sent.
"""

from __future__ import annotations

import bz2
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1905

from tests.helpers.wait import wait_until

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "snmp"
NO_MIBS = {"MIBS": "", "MIBDIRS": "/nonexistent"}


def end_process(process: subprocess.Popen | None) -> None:
    """SIGTERM ``process`` if it runs, SIGKILL it after 10 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def with_client(work: Callable[[Any], Any]) -> Any:
    """``await work(client)`` with a fresh SnmpClient in a new event loop, closed after."""
    import asyncio

    from netargus.protocols.snmp.client import SnmpClient

    async def main() -> Any:
        client = SnmpClient()
        try:
            return await work(client)
        finally:
            client.close()
    return asyncio.run(main())


def offset_port(base: int) -> int:
    """A port moved by the test lab's offset (``NETARGUS_TEST_PORT_OFFSET``, default 10000),
    so checkouts running tests at once do not collide."""
    return base + int(os.environ.get("NETARGUS_TEST_PORT_OFFSET", "10000"))


def net_snmp(tool: str, *args: str, timeout: float = 30) -> list[str]:
    """Run a net-snmp tool (``snmpwalk``, ``snmpbulkwalk``, ``snmpget``) with numeric output
    and no MIB files; its output lines."""
    out = subprocess.run([tool, "-On", *args], capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, **NO_MIBS}, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{tool} {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.splitlines()


@dataclass
class SnmpSim:
    """snmpsim serving every ``*.snmprec`` (or ``.snmprec.bz2``, decompressed first) of the
    given folders on 127.0.0.1 and [::1] at ``port``; communities are the file names, and a
    contract case's folder name for its ``<case>/input.snmprec``."""

    sources: list[Path]
    port: int
    engine: list[str] = field(default_factory=list)  # --v3-engine-id=... and its --v3-user
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="snmpsim-")))
    process: subprocess.Popen | None = None

    def start(self) -> SnmpSim:
        data, cache = self.root / "data", self.root / "cache"
        data.mkdir(parents=True, exist_ok=True)
        cache.mkdir(exist_ok=True)
        communities = []
        for folder in self.sources:
            for src in sorted(folder.iterdir()):
                if src.name.endswith(".snmprec"):
                    shutil.copy(src, data / src.name)
                elif src.name.endswith(".snmprec.bz2"):
                    (data / src.name[:-4]).write_bytes(bz2.decompress(src.read_bytes()))
                elif (src / "input.snmprec").is_file():  # a contract case: <case>/input
                    shutil.copy(src / "input.snmprec", data / f"{src.name}.snmprec")
                    communities.append(src.name)
                    continue
                else:
                    continue
                communities.append(src.name.split(".snmprec")[0])
        responder = Path(sys.executable).with_name("snmpsim-command-responder")
        log = open(self.root / "snmpsim.log", "wb")  # noqa: SIM115 (closed by the child's exit)
        self.process = subprocess.Popen(
            [str(responder), f"--cache-dir={cache}", "--log-level=error", *self.engine,
             f"--data-dir={data}", f"--agent-udpv4-endpoint=127.0.0.1:{self.port}",
             f"--agent-udpv6-endpoint=[::1]:{self.port}"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"})
        try:
            for community in communities:  # indexing is per recording, on first use
                wait_until(lambda c=community: self._answers(c), 120,
                           f"snmpsim on port {self.port} serving {community!r}", interval=0.3)
        except TimeoutError:
            self.stop()
            raise
        return self

    def _answers(self, community: str) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError("snmpsim exited: "
                               + (self.root / "snmpsim.log").read_text(errors="replace"))
        for address in (f"127.0.0.1:{self.port}", f"udp6:[::1]:{self.port}"):
            try:
                net_snmp("snmpgetnext", "-v2c", "-c", community, "-t", "1", "-r", "0",
                         address, "1.3.6", timeout=10)
            except (RuntimeError, subprocess.TimeoutExpired):
                return False
        return True

    def stop(self) -> None:
        """Stop exactly the process this object started, and remove its folder."""
        end_process(self.process)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 user as net-snmp's ``createUser`` takes it (protocols in its spelling:
    MD5, SHA, SHA-256, SHA-512; DES, AES) and the matching netargus credentials."""

    name: str
    auth: str
    auth_key: str
    priv: str = ""
    priv_key: str = ""

    def creds(self, **wrong: str) -> Any:
        from netargus.auth import SnmpAuth
        names = {"MD5": "md5", "SHA": "sha", "SHA-224": "sha224", "SHA-256": "sha256",
                 "SHA-384": "sha384", "SHA-512": "sha512", "DES": "des", "AES": "aes"}
        return SnmpAuth(version="3", user=wrong.get("user", self.name),
                        auth_protocol=names[self.auth],
                        auth_key=wrong.get("auth_key", self.auth_key),
                        priv_protocol=names.get(self.priv, "aes"),
                        priv_key=wrong.get("priv_key", self.priv_key))

    def net_snmp_args(self) -> list[str]:
        level = ["-l", "authPriv", "-x", self.priv, "-X", self.priv_key] if self.priv \
            else ["-l", "authNoPriv"]
        return ["-v3", "-u", self.name, "-a", self.auth, "-A", self.auth_key, *level]


@dataclass
class NetSnmpAgent:
    """Debian's ``snmpd`` (net-snmp) on 127.0.0.1:``port`` with SNMPv3 ``users`` and the
    host's own MIB-II (interfaces, system), its engine ID and boots kept in ``root`` so a
    :meth:`restart` is the same agent booted once more."""

    port: int
    users: list[V3User]
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="snmpd-")))
    process: subprocess.Popen | None = None

    def start(self) -> NetSnmpAgent:
        conf = self.root / "snmpd.conf"
        lines = [f"agentaddress udp:127.0.0.1:{self.port}", "rocommunity netargus 127.0.0.1"]
        for u in self.users:
            lines.append(f"createUser {u.name} {u.auth} {u.auth_key}"
                         + (f" {u.priv} {u.priv_key}" if u.priv else ""))
            lines.append(f"rouser {u.name} {'priv' if u.priv else 'auth'}")
        conf.write_text("\n".join(lines) + "\n")
        (self.root / "persist").mkdir(exist_ok=True)
        log = open(self.root / "snmpd.log", "ab")  # noqa: SIM115 (closed by the child's exit)
        persist = self.root / "persist"  # read back at start: the engine ID, boots, users
        self.process = subprocess.Popen(
            ["/usr/sbin/snmpd", "-f", "-Lo", "-I", "-smux,mteTrigger,mteTriggerConf"],
            stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **NO_MIBS, "SNMPCONFPATH": f"{self.root}:{persist}",
                 "SNMP_PERSISTENT_DIR": str(persist)})
        wait_until(self._answers, 30, f"snmpd on port {self.port}", interval=0.2)
        return self

    def _answers(self) -> bool:
        try:
            net_snmp("snmpget", "-v2c", "-c", "netargus", "-t", "1", "-r", "0",
                     f"127.0.0.1:{self.port}", "1.3.6.1.2.1.1.3.0", timeout=10)
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        return True

    def restart(self) -> None:
        """Stop and start again: snmpEngineBoots goes up by one, the engine ID stays."""
        end_process(self.process)
        self.start()

    def stop(self) -> None:
        """Stop exactly the process this object started, and remove its folder."""
        end_process(self.process)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass(frozen=True)
class Request:
    """One request the scripted agent received."""

    version: int  # 0 = SNMPv1, 1 = SNMPv2c
    pdu: str  # "get", "getnext" or "getbulk"
    oids: tuple[tuple[int, ...], ...]
    max_repetitions: int = 0
    request_id: int = 0


@dataclass
class Reply:
    """What the scripted agent answers: variable bindings, or an error-status and index;
    ``drop`` answers nothing (the manager times out); ``delay`` answers that many seconds
    late; ``mangle`` rewrites the encoded answer (a wrong community, broken octets) and
    ``before`` are datagrams sent ahead of it (strays, garbage)."""

    var_binds: list[tuple[tuple[int, ...], Any]] = field(default_factory=list)
    error_status: int = 0
    error_index: int = 0
    drop: bool = False
    delay: float = 0.0
    mangle: Callable[[bytes], bytes] | None = None
    before: list[bytes] = field(default_factory=list)


class ScriptedAgent:
    """An SNMP v1/v2c agent on 127.0.0.1 (an ephemeral port) that answers every request with
    ``respond(request)``, in a thread, and keeps every request in ``requests``."""

    def __init__(self, respond: Callable[[Request], Reply]) -> None:
        self.respond = respond
        self.requests: list[Request] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ScriptedAgent:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def count(self, pdu: str) -> int:
        return sum(1 for r in self.requests if r.pdu == pdu)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            reply, answer = self._answer(data)
            if answer is None:
                continue
            for stray in reply.before:
                self.sock.sendto(stray, peer)
            if reply.delay:
                threading.Timer(reply.delay, self._send, (answer, peer)).start()
            else:
                self.sock.sendto(answer, peer)

    def _send(self, answer: bytes, peer: Any) -> None:
        if not self._stop.is_set():
            self.sock.sendto(answer, peer)

    def _answer(self, data: bytes) -> tuple[Reply, bytes | None]:
        version = int(api.decodeMessageVersion(data))
        proto = api.PROTOCOL_MODULES[version]
        message, _ = decoder.decode(data, asn1Spec=proto.Message())
        pdu = proto.apiMessage.get_pdu(message)
        if pdu.isSameTypeWith(proto.GetRequestPDU()):
            kind = "get"
        elif pdu.isSameTypeWith(proto.GetNextRequestPDU()):
            kind = "getnext"
        elif version == 1 and pdu.isSameTypeWith(api.v2c.GetBulkRequestPDU()):
            kind = "getbulk"
        else:
            return Reply(), None
        oids = tuple(tuple(oid) for oid, _ in proto.apiPDU.get_varbinds(pdu))
        reps = int(api.v2c.apiBulkPDU.get_max_repetitions(pdu)) if kind == "getbulk" else 0
        request = Request(version, kind, oids, reps, int(proto.apiPDU.get_request_id(pdu)))
        self.requests.append(request)
        reply = self.respond(request)
        if reply.drop:
            return reply, None
        response = proto.apiMessage.get_response(message)
        rsp_pdu = proto.apiMessage.get_pdu(response)
        if reply.error_status:
            proto.apiPDU.set_varbinds(rsp_pdu, [(oid, proto.Null("")) for oid in oids])
            proto.apiPDU.set_error_status(rsp_pdu, reply.error_status)
            proto.apiPDU.set_error_index(rsp_pdu, reply.error_index)
        else:
            proto.apiPDU.set_varbinds(rsp_pdu, reply.var_binds)
        answer = encoder.encode(response)
        return reply, (reply.mangle(answer) if reply.mangle else answer)


@contextmanager
def scripted(respond: Callable[[Request], Reply]) -> Iterator[ScriptedAgent]:
    """A :class:`ScriptedAgent` running for the ``with`` block."""
    with ScriptedAgent(respond) as agent:
        yield agent


Mib = dict[tuple[int, ...], Any]
Quirk = Callable[[tuple[int, ...]], "tuple[tuple[int, ...], Any] | None"]


def mib_agent(mib: Mib, quirk: Quirk | None = None, refuse_bulk: bool = False
              ) -> Callable[[Request], Reply]:
    """Answers as a correct agent serving ``mib`` would (GET, GETNEXT, GETBULK; SNMPv1's
    noSuchName and SNMPv2's endOfMibView at the end), except where ``quirk(oid)`` returns a
    binding: that is then what follows ``oid``. ``refuse_bulk`` drops every GETBULK."""
    order = sorted(mib)

    def successor(oid: tuple[int, ...]) -> tuple[tuple[int, ...], Any] | None:
        if quirk is not None and (forced := quirk(oid)) is not None:
            return forced
        for candidate in order:  # small MIBs: a scan is clear enough
            if candidate > oid:
                return candidate, mib[candidate]
        return None

    def respond(request: Request) -> Reply:
        if request.pdu == "get":
            missing = [i for i, oid in enumerate(request.oids, 1) if oid not in mib]
            if missing and request.version == 0:
                return Reply(error_status=2, error_index=missing[0])
            return Reply([(oid, mib.get(oid, rfc1905.NoSuchObject(""))) for oid in request.oids])
        if request.pdu == "getbulk" and refuse_bulk:
            return Reply(drop=True)
        rows = max(1, request.max_repetitions) if request.pdu == "getbulk" else 1
        cursors = list(request.oids)
        out: list[tuple[tuple[int, ...], Any]] = []
        for _ in range(rows):
            for i, cursor in enumerate(cursors):
                found = successor(cursor)
                if found is None:
                    if request.version == 0:
                        return Reply(error_status=2, error_index=i + 1)
                    out.append((cursor, rfc1905.EndOfMibView("")))
                    continue
                out.append(found)
                cursors[i] = found[0]
        return Reply(out)

    return respond


def oid(text: str) -> tuple[int, ...]:
    """``"1.3.6.1"`` -> ``(1, 3, 6, 1)``."""
    return tuple(int(p) for p in text.split("."))
