"""One contract, every request/response protocol (napalm's model): each registered protocol's
session replays its recorded cases and must give exactly the rows the recordings hold.

A case is ``tests/fixtures/<protocol>/<case>/``: the recorded input and ``expected.json``
(``discover``: fields of the ``devices`` row; ``tables``: the protocol's own discovery
tables; ``dimensions``: rows per table, fields without ``device``/``observed_at``;
``poll``: samples per metric group of the shipped profiles, as ``metric``, ``labels``,
``value``, ``kind`` and, where given, ``bits``). Each folder's ``expect.py`` derives the
expected values from the inputs with the standard library alone, never with netargus.

How each protocol replays its recordings (:data:`REPLAYS`):
- ``snmp``: snmpsim serves ``input.snmprec`` (community = the case's name); the session is
  the real SNMP driver's, over UDP;
- ``netconf``: the recorded ``<hello>`` capabilities and ``<get>`` replies answer through a
  replay client in place of the SSH transport (mocked: no NETCONF server can serve a recorded
  reply; the lab's netconfd is exercised by ``tests/integration/test_netconf.py``); a ``<get>``
  with no recording answers as a server refusing the filter would;
- ``http_json`` (the example plugin, ``tests/plugins``): a real HTTP server serves
  ``system.json``, ``interfaces.json`` and ``metrics.json``.
Adding a protocol means adding its module, its registry line, its recordings and its line in
:data:`REPLAYS`; :func:`test_every_protocol_has_recorded_cases` fails until they exist.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import importlib.util
import json
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from netargus import protocols
from netargus.auth import LoginAuth, SnmpAuth
from netargus.model import Device, PollOutcome, SnmpSettings
from netargus.profiles import MetricGroup, load_profiles
from netargus.protocols import BUILT_IN, Session, drivers
from netargus.protocols.netconf.client import NetconfFailure
from netargus.protocols.netconf.driver import NetconfSession
from netargus.protocols.snmp.driver import SnmpDriver
from netargus.settings import profiles_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "netargus_http_json.py"
T = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
Opener = Callable[[Path, Any], AbstractAsyncContextManager[Session]]


@asynccontextmanager
async def snmp_case(case: Path, agents: Any) -> AsyncIterator[Session]:
    driver = SnmpDriver()
    device = Device(name=case.name, host="127.0.0.1", snmp=SnmpSettings(
        credentials="contract", port=agents.port, version="2c", timeout=2, retries=1))
    try:
        async with driver.session(device, SnmpAuth(version="2c", community=case.name)) as s:
            yield s
    finally:
        driver.close()


@dataclasses.dataclass
class ReplayedNetconf:
    """A NETCONF client answering from a case's recordings: ``capabilities.txt`` and one
    ``get-<top element>.xml`` per ``<get>`` subtree filter."""

    case: Path

    def capabilities(self) -> list[str]:
        return sorted((self.case / "capabilities.txt").read_text().split())

    def get(self, subtree: str | None = None, xpath: str | None = None) -> etree._Element:
        top = etree.QName(etree.fromstring(subtree)).localname if subtree else "xpath"
        recorded = self.case / f"get-{top}.xml"
        if not recorded.is_file():
            raise NetconfFailure(PollOutcome.PARTIAL, f"rpc-error operation-failed: no {top}")
        reply = etree.fromstring(recorded.read_bytes())
        return reply.find("{urn:ietf:params:xml:ns:netconf:base:1.0}data")


@asynccontextmanager
async def netconf_case(case: Path, agents: Any) -> AsyncIterator[Session]:
    yield NetconfSession(ReplayedNetconf(case), Device(name=case.name, host="192.0.2.1"))


@contextmanager
def http_server(case: Path) -> Iterator[int]:
    routes = {f"/{p.stem}": p.read_bytes() for p in case.glob("*.json") if p.stem != "expected"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = routes.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@functools.cache
def example_plugin() -> Any:
    """The example plugin's module, loaded from its file; the registration it makes when
    imported is undone (the contract runs its driver directly, other tests see the
    built-in protocols only)."""
    spec = importlib.util.spec_from_file_location("contract_http_json", PLUGIN)
    assert spec is not None and spec.loader is not None
    plugin = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = plugin  # dataclasses look their module up
    registered = dict(protocols._REGISTERED)
    try:
        spec.loader.exec_module(plugin)
    finally:
        protocols._REGISTERED.clear()
        protocols._REGISTERED.update(registered)
    return plugin


@asynccontextmanager
async def http_json_case(case: Path, agents: Any) -> AsyncIterator[Session]:
    plugin = example_plugin()
    with http_server(case) as port:
        device = Device(name=case.name, host="127.0.0.1",
                        protocols={"http_json": {"port": port, "credentials": "c"}})
        async with plugin.HttpJsonDriver().session(device, LoginAuth("u", "p")) as s:
            yield s


REPLAYS: dict[str, Opener] = {"snmp": snmp_case, "netconf": netconf_case,
                              "http_json": http_json_case}
CASES = sorted(c for protocol in REPLAYS for c in (FIXTURES / protocol).glob("*/expected.json"))


def groups(case: Path) -> dict[str, MetricGroup]:
    """The shipped profiles' metric groups, and the case's own (``groups.yaml``) if it has
    them (a plugin's groups are not shipped)."""
    own = case / "groups.yaml"
    return load_profiles(own if own.is_file() else profiles_path()).metric_groups


def fields(row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    data = row if isinstance(row, dict) else dataclasses.asdict(row)
    return {k: data[k] for k in wanted}


def sample_row(sample: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    row = {"metric": sample.metric, "labels": dict(sample.labels), "value": sample.value,
           "kind": sample.kind.value, "bits": sample.bits}
    return {k: row[k] for k in wanted}


def test_every_protocol_has_recorded_cases():
    """Every built-in protocol, and the example plugin, replays at least one case."""
    assert set(BUILT_IN) <= set(drivers())
    for protocol in [*drivers(), "http_json"]:
        assert protocol in REPLAYS, f"{protocol}: no replay in tests/contract"
        assert list((FIXTURES / protocol).glob("*/expected.json")), f"{protocol}: no cases"


@pytest.mark.parametrize("protocol", ["snmp", "netconf"])
def test_expected_values_are_what_the_recordings_say(protocol):
    """The committed expected.json files are what ``expect.py`` derives from the inputs."""
    spec = importlib.util.spec_from_file_location(f"expect_{protocol}",
                                                  FIXTURES / protocol / "expect.py")
    assert spec is not None and spec.loader is not None
    expect = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(expect)
    cases = sorted(p.parent.name for p in (FIXTURES / protocol).glob("*/expected.json"))
    assert cases
    for case in cases:
        committed = json.loads((FIXTURES / protocol / case / "expected.json").read_text())
        assert committed == json.loads(json.dumps(expect.expected(case))), case


async def replay(open_session: Opener, case: Path, agents: Any, expected: dict) -> dict:
    got: dict[str, Any] = {"poll": {}}
    async with open_session(case, agents) as session:
        found = await session.discover(T)
        got["discover"] = fields(found.facts, expected["discover"])
        got["tables"] = {t: [fields(r, rows[0]) for r in found.tables.get(t, [])]
                         for t, rows in expected.get("tables", {}).items()}
        got["dimensions"] = {}
        async for read in session.dimensions(T):
            assert not read.problems, read.problems
            assert all(r.observed_at == T and r.device == case.name for r in read.rows)
            wanted = (expected["dimensions"].get(read.table) or [{"device": ""}])[0]
            got["dimensions"][read.table] = [fields(r, wanted) for r in read.rows]
        for name in expected["poll"]:
            result = await session.poll(name, groups(case)[name])
            assert not result.problems, result.problems
            assert all(s.device == case.name for s in result.samples)
            wanted = expected["poll"][name][0]
            got["poll"][name] = [sample_row(s, wanted) for s in result.samples]
    return got


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.parent.name}/{c.parent.name}"
                                             for c in CASES])
def test_a_recorded_case_replays_exactly(case: Path, request):
    protocol, folder = case.parent.parent.name, case.parent
    agents = request.getfixturevalue("recorded_agents") if protocol == "snmp" else None
    expected = json.loads(case.read_text())
    got = asyncio.run(replay(REPLAYS[protocol], folder, agents, expected))
    assert got["discover"] == expected["discover"]
    assert got["tables"] == expected.get("tables", {})
    for table, rows in got["dimensions"].items():  # a table not in expected must be empty
        assert rows == expected["dimensions"].get(table, []), table
    assert set(expected["dimensions"]) <= set(got["dimensions"])
    for name, samples in expected["poll"].items():
        assert len(got["poll"][name]) == len(samples), name
        assert got["poll"][name] == samples, name
    # a JSON number's type is part of the contract: counters stay integers (exact above 2**53)
    for name, samples in expected["poll"].items():
        assert [type(s["value"]) for s in got["poll"][name]] == \
            [type(s["value"]) for s in samples], name

