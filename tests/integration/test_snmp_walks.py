"""SNMP walks always end and adapt to the agent (issue 9, section 2).

Against snmpsim replaying recordings (a real agent: SNMPv1 noSuchName at the end of its view,
no Counter64 over v1, IPv6), and a scripted agent for the faults no real agent shows on
purpose (looping, counting up for ever, mishandling GETBULK, stopping halfway). Expected
values come from the recordings, net-snmp's output, or are counted by hand.
"""

import asyncio
import socket
from datetime import UTC, datetime

import pytest
from pysnmp.proto import rfc1902

from netargus.auth import SnmpAuth
from netargus.inventory.file import FileInventory
from netargus.model import Device, SnmpSettings
from netargus.profiles import MetricGroup, load_profiles
from netargus.protocols.snmp.client import SnmpClient
from netargus.settings import profiles_path
from tests.helpers.jobs import discover_snmp, enrich_snmp, poll_snmp
from tests.helpers.snmpagents import Reply, mib_agent, net_snmp, oid, scripted

T = datetime(2026, 11, 1, 12, tzinfo=UTC)
IF_DESCR, IF_TYPE, IF_NUMBER = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3", "1.3.6.1.2.1.2.1.0"


def device(port: int, version: str = "2c", host: str = "127.0.0.1", **snmp) -> Device:
    return Device(name="dut", host=host, snmp=SnmpSettings(
        credentials="c", port=port, version=version, timeout=snmp.pop("timeout", 1),
        retries=snmp.pop("retries", 0), **snmp))


def creds(community: str, version: str = "2c"):
    return SnmpAuth(version=version, community=community)


COMMUNITY = creds("c0mm")  # the scripted agent answers any community


def interface_counters() -> dict[str, MetricGroup]:
    groups = load_profiles(profiles_path()).metric_groups
    return {"interface_counters": groups["interface_counters"]}


def samples_by(report) -> dict[tuple[str, str], object]:
    return {(s.metric, dict(s.labels)["ifIndex"]): s for s in report.samples
            if s.metric != "system.uptime"}


async def walk(dev: Device, community: str, columns: list[str], version: str = "2c", **kw):
    client = SnmpClient()
    try:
        return await client.walk(dev, SnmpAuth(version=version, community=community),
                                    columns, **kw)
    finally:
        client.close()


# ------------------------------------------------------------------ case 06 and SNMPv1 relatives

def test_case06_v1_end_of_view_enrichment(recorded_agents):
    """Case 06: before, network_failure 'agent error noSuchName walking [...]', 0 interfaces."""
    rep = enrich_snmp([device(recorded_agents.port, "1")], creds("v1end", "1"),
                      T, bound=20)
    assert [(r.status.value, r.error) for r in rep.results] == [("ok", "")]
    # net-snmp's snmpwalk -v1 of ifDescr gives the same two rows, then "End of MIB"
    assert net_snmp("snmpwalk", "-v1", "-c", "v1end", f"127.0.0.1:{recorded_agents.port}",
                    IF_DESCR) == ['.1.3.6.1.2.1.2.2.1.2.1 = STRING: "eth0"',
                                  '.1.3.6.1.2.1.2.2.1.2.2 = STRING: "eth1"']
    got = [(i.if_index, i.if_descr, i.if_name, i.if_type, i.speed_mbps, i.mac, i.oper_status)
           for i in rep.rows["interfaces"]]
    assert got == [(1, "eth0", "", 6, 100.0, "00:c0:b7:11:22:33", 1),
                   (2, "eth1", "", 6, 100.0, "00:c0:b7:11:22:34", 2)]


def test_case06_v1_end_of_view_polling(recorded_agents):
    """Case 06: before, network_failure with only system.uptime (1 sample)."""
    rep = poll_snmp([device(recorded_agents.port, "1")],
                    interface_counters(), creds("v1end", "1"), T, bound=20)
    assert [(r.status.value, r.error) for r in rep.results] == [("ok", "")]
    got = {k: (s.value, s.bits) for k, s in samples_by(rep).items()}
    # values from v1end.snmprec; octets from ifInOctets/ifOutOctets (Counter32: v1 has no
    # Counter64 and the agent has no ifXTable), speed from ifSpeed 100000000 bit/s
    assert got == {
        ("interface.in_octets", "1"): (123456, 32), ("interface.in_octets", "2"): (0, 32),
        ("interface.out_octets", "1"): (654321, 32), ("interface.out_octets", "2"): (0, 32),
        ("interface.in_errors", "1"): (1, 32), ("interface.in_errors", "2"): (0, 32),
        ("interface.in_discards", "1"): (3, 32), ("interface.in_discards", "2"): (0, 32),
        ("interface.out_errors", "1"): (0, 32), ("interface.out_errors", "2"): (0, 32),
        ("interface.speed_mbps", "1"): (100.0, 0), ("interface.speed_mbps", "2"): (100.0, 0),
        ("interface.oper_status", "1"): (1.0, 0), ("interface.oper_status", "2"): (2.0, 0),
    }
    uptime = [s.value for s in rep.samples if s.metric == "system.uptime"]
    assert uptime == [86400.0]  # sysUpTime 8640000 ticks


def test_v1_noSuchName_ends_only_the_column_at_the_error_index(recorded_agents):
    """Columns past the view's end (ifXTable, ENTITY-MIB) end one by one; the ifTable columns
    asked in the same requests go on to their last row."""
    dev = device(recorded_agents.port, "1")
    ent_descr, if_name = "1.3.6.1.2.1.47.1.1.1.1.2", "1.3.6.1.2.1.31.1.1.1.1"
    result = asyncio.run(walk(dev, "v1end", [ent_descr, IF_DESCR, if_name, IF_TYPE], "1"))
    assert result.problems == []
    assert result.columns == {ent_descr: {}, if_name: {},
                              IF_DESCR: {"1": b"eth0", "2": b"eth1"}, IF_TYPE: {"1": 6, "2": 6}}
    # 1 request with all four, one per column ended by noSuchName, then the last rows
    assert result.requests <= 6


def test_v1_get_of_a_missing_object_keeps_the_others(recorded_agents):
    """RFC 1157: a v1 GET naming an absent object fails the whole PDU with noSuchName."""
    async def run():
        client = SnmpClient()
        try:
            dev = device(recorded_agents.port, "1")
            c = SnmpAuth(version="1", community="v1end")
            return (await client.get(dev, c, ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0",
                                                 "1.3.6.1.2.1.1.3.0"]),
                    await client.probe(dev, c))
        finally:
            client.close()

    values, identity = asyncio.run(run())
    assert values == {"1.3.6.1.2.1.1.5.0": b"ups-v1", "1.3.6.1.2.1.1.2.0": None,
                      "1.3.6.1.2.1.1.3.0": 8640000}
    assert identity == {"sys_descr": "Old UPS card", "sys_object_id": None, "sys_name": "ups-v1",
                        "uptime_seconds": 86400.0}


def test_v1_always_walks_with_getnext():
    mib = {oid(f"{IF_DESCR}.{i}"): rfc1902.OctetString(f"p{i}") for i in (1, 2, 3)}
    mib[oid(IF_NUMBER)] = rfc1902.Integer32(3)
    with scripted(mib_agent(mib)) as agent:
        result = asyncio.run(walk(device(agent.port, "1", walk="bulk"), "c0mm", [IF_DESCR], "1"))
    assert result.columns[IF_DESCR] == {"1": b"p1", "2": b"p2", "3": b"p3"}
    assert agent.count("getbulk") == 0 and agent.count("getnext") == 4


# ------------------------------------------------------------------ agents that never end a column

def looping_mib(rows: int = 3):
    mib = {oid(IF_NUMBER): rfc1902.Integer32(rows), oid("1.3.6.1.2.1.1.3.0"): rfc1902.TimeTicks(1)}
    for i in range(1, rows + 1):
        mib[oid(f"{IF_DESCR}.{i}")] = rfc1902.OctetString(f"port{i}")
        mib[oid(f"{IF_TYPE}.{i}")] = rfc1902.Integer32(6)
    return mib


@pytest.mark.parametrize("quirk, words", [
    # after the last ifDescr the agent answers the same OID again
    (lambda o: (o, rfc1902.OctetString("port3")) if o == oid(f"{IF_DESCR}.3") else None,
     f"agent returned {IF_DESCR}.3 after {IF_DESCR}.3 (OID not increasing)"),
    # ...or goes back to the first row (a wrapping agent)
    (lambda o: (oid(f"{IF_DESCR}.1"), rfc1902.OctetString("port1"))
     if o == oid(f"{IF_DESCR}.3") else None,
     f"agent returned {IF_DESCR}.1 after {IF_DESCR}.3 (OID not increasing)"),
])
@pytest.mark.parametrize("mode", ["bulk", "getnext"])
def test_non_increasing_oid_ends_the_column_at_once(quirk, words, mode):
    with scripted(mib_agent(looping_mib(), quirk)) as agent:
        rep = enrich_snmp([device(agent.port, walk=mode)], COMMUNITY, T,
                          bound=20)
        sent = len(agent.requests)
    (result,) = rep.results
    assert result.status.value == "partial"
    assert f"interfaces: {IF_DESCR}: {words}" in result.error
    assert [(i.if_index, i.if_descr) for i in rep.rows["interfaces"]] == \
        [(1, "port1"), (2, "port2"), (3, "port3")]
    # 1 GET (ifNumber) + the interface walk (GETNEXT: a request per row and one more) + one
    # request for each of the other three tables, which the agent ends at once
    assert sent <= (1 + 4 + 3 if mode == "bulk" else 1 + 6 + 3 * 3)


@pytest.mark.parametrize("mode, max_requests", [("bulk", 3), ("getnext", 26)])
def test_an_agent_counting_up_for_ever_is_bounded_by_the_table_size(mode, max_requests):
    """After ifDescr.3 the agent makes up ifDescr.4, .5 ... for ever. ifNumber says 3: the
    column stops at 2 x 3 + 16 = 22 rows, a few requests, never thousands."""
    def forever(o):
        if o[:len(oid(IF_DESCR))] == oid(IF_DESCR) and o >= oid(f"{IF_DESCR}.3"):
            return o[:-1] + (o[-1] + 1,), rfc1902.OctetString("ghost")
        return None

    with scripted(mib_agent(looping_mib(), forever)) as agent:
        rep = poll_snmp(
            [device(agent.port, walk=mode)],
            {"g": MetricGroup.model_validate({"table": {
                "index_label": "ifIndex", "rows_oid": IF_NUMBER, "labels": {"descr": IF_DESCR},
                "columns": [{"oid": IF_TYPE, "metric": "interface.type"}]}})},
            COMMUNITY, T, bound=20)
        walk_requests = agent.count(mode.replace("bulk", "getbulk"))
    (result,) = rep.results
    assert result.status.value == "partial"
    assert f"g: {IF_DESCR}: more than 22 rows (about 3 expected)" in result.error
    assert walk_requests <= max_requests
    assert sorted(dict(s.labels)["ifIndex"] for s in rep.samples if s.metric == "interface.type") \
        == ["1", "2", "3"]


# ------------------------------------------------------------------ per-device walk settings

def test_getnext_walk_for_an_agent_that_drops_getbulk():
    mib = looping_mib()
    with scripted(mib_agent(mib, refuse_bulk=True)) as agent:
        bulk = enrich_snmp([device(agent.port, timeout=0.3)], COMMUNITY, T,
                           bound=20)
        agent.requests.clear()
        plain = enrich_snmp([device(agent.port, walk="getnext")], COMMUNITY, T,
                            bound=20)
        assert agent.count("getbulk") == 0
    assert bulk.results[0].status.value == "timeout"
    assert plain.results[0].status.value == "ok"
    assert [i.if_descr for i in plain.rows["interfaces"]] == ["port1", "port2", "port3"]


def test_max_repetitions_per_device_from_the_inventory(tmp_path):
    path = tmp_path / "inventory.yaml"
    with scripted(mib_agent(looping_mib(40))) as agent:
        path.write_text(f"""
defaults: {{host: 127.0.0.1, snmp: {{port: {agent.port}, version: 2c, credentials: c}}}}
groups:
  slow: {{snmp: {{max_repetitions: 7, timeout: 1, retries: 0}}}}
devices:
  - {{name: small-agent, groups: [slow]}}
""")
        (dev,) = FileInventory(path).load()
        result = asyncio.run(walk(dev, "c0mm", [IF_DESCR]))
        reps = {r.max_repetitions for r in agent.requests if r.pdu == "getbulk"}
    assert (dev.snmp.max_repetitions, dev.snmp.walk) == (7, "bulk")
    assert reps == {7}
    assert len(result.columns[IF_DESCR]) == 40 and result.requests == 6  # 7 rows a time


def test_too_big_halves_max_repetitions():
    def too_big_over_5(request):
        if request.pdu == "getbulk" and request.max_repetitions > 5:
            return Reply(error_status=1)  # tooBig
        return inner(request)

    inner = mib_agent(looping_mib(12))
    with scripted(too_big_over_5) as agent:
        result = asyncio.run(walk(device(agent.port), "c0mm", [IF_DESCR]))
        reps = [r.max_repetitions for r in agent.requests]
    assert reps[:4] == [25, 12, 6, 3] and set(reps[3:]) == {3}
    assert len(result.columns[IF_DESCR]) == 12 and result.problems == []


def test_an_agent_that_stops_answering_halfway_keeps_what_was_read():
    inner = mib_agent(looping_mib(10))

    def then_silent(request):
        return inner(request) if len(agent.requests) <= 1 else Reply(drop=True)

    with scripted(then_silent) as agent:
        result = asyncio.run(walk(device(agent.port, max_repetitions=4, timeout=0.3),
                                  "c0mm", [IF_DESCR, IF_TYPE]))
    assert list(result.columns[IF_DESCR]) == ["1", "2", "3", "4"]
    silence = f"no answer from 127.0.0.1:{agent.port} after 1 tries of 0.3 s"
    assert [str(p) for p in result.problems] == [
        f"{IF_DESCR}: no answer after 4 rows ({silence})",
        f"{IF_TYPE}: no answer after 4 rows ({silence})"]
    assert len(agent.requests) == 2  # retries 0: the unanswered request was tried once


# ------------------------------------------------------------------ IPv6

@pytest.mark.parametrize("host", ["::1", "[::1]", "0:0:0:0:0:0:0:1"])
def test_ipv6_literals(recorded_agents, host):
    """Before: network_failure 'Bad IPv4/UDP transport address ... Address family for
    hostname not supported'. snmpsim listens on [::1] too."""
    rep = poll_snmp([device(recorded_agents.port, host=host)],
                    interface_counters(), creds("v1end"), T, bound=20)
    assert [(r.status.value, r.error) for r in rep.results] == [("ok", "")]
    assert samples_by(rep)[("interface.in_octets", "1")].value == 123456
    discovered = discover_snmp([device(recorded_agents.port, host=host)],
                               creds("v1end"), T)
    assert [(f.sys_name, f.sys_descr) for f in discovered.facts] == [("ups-v1", "Old UPS card")]
    # net-snmp reads the same agent over udp6
    assert net_snmp("snmpget", "-v2c", "-c", "v1end", f"udp6:[::1]:{recorded_agents.port}",
                    "1.3.6.1.2.1.2.2.1.10.1") == [".1.3.6.1.2.1.2.2.1.10.1 = Counter32: 123456"]


def test_a_name_with_only_an_aaaa_record(recorded_agents, monkeypatch):
    """This machine's /etc/hosts has no IPv6-only name, so the resolver answers for one name
    (v6only.test -> ::1, no A record); the agent behind it is the real one on [::1]."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host == "v6only.test":
            if family not in (0, socket.AF_INET6):
                raise socket.gaierror(socket.EAI_NONAME, "no A record")
            return [(socket.AF_INET6, socket.SOCK_DGRAM, 17, "", ("::1", port, 0, 0))]
        return real(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    dev = device(recorded_agents.port, host="v6only.test")
    rep = enrich_snmp([dev], creds("v1end"), T, bound=20)
    assert [(r.status.value, r.error) for r in rep.results] == [("ok", "")]
    assert [i.if_descr for i in rep.rows["interfaces"]] == ["eth0", "eth1"]


def test_an_unresolvable_name_is_a_network_failure():
    rep = enrich_snmp([device(161, host="no-such-host.invalid")], COMMUNITY, T,
                      bound=20)
    assert rep.results[0].status.value == "network_failure"
    assert "cannot reach no-such-host.invalid:161" in rep.results[0].error


@pytest.mark.parametrize("status, outcome, words", [
    (2, "ok", ""),  # noSuchName from a v2c agent (some answer like v1 at the end of the view)
    (5, "partial", f"{IF_DESCR}: agent error genErr after {IF_DESCR}.3"),
])
def test_an_error_at_the_column_past_its_last_row(status, outcome, words):
    """A v2c agent that answers a request past ifDescr's last row with an error-status whose
    index names that column: the column ends there, the others go on."""
    inner = mib_agent(looping_mib())

    def at_the_end(request):
        if oid(f"{IF_DESCR}.3") in request.oids:
            return Reply(error_status=status, error_index=request.oids.index(
                oid(f"{IF_DESCR}.3")) + 1)
        return inner(request)

    with scripted(at_the_end) as agent:
        rep = enrich_snmp([device(agent.port, walk="getnext")], COMMUNITY, T,
                          bound=20)
    (result,) = rep.results
    assert (result.status.value, result.error) == (outcome, f"interfaces: {words}" if words
                                                   else "")
    assert [(i.if_index, i.if_descr, i.if_type) for i in rep.rows["interfaces"]] == \
        [(1, "port1", 6), (2, "port2", 6), (3, "port3", 6)]
