"""SNMPv3 (USM) on netargus's own codec against net-snmp's snmpd: every authentication and
privacy protocol it serves, wrong keys and users, and an agent that restarts (its boots go up
and netargus's idea of its clock is out of the time window). Expected values are what net-snmp's
own tools read from the same agent with the same user.
"""

import asyncio

import pytest

from netargus.auth import SnmpAuth
from netargus.model import Device, PollOutcome, SnmpSettings
from netargus.protocols import CollectError
from netargus.protocols.snmp.usm import speaks
from tests.helpers.snmpagents import (
    FIXTURES,
    NetSnmpAgent,
    SnmpSim,
    V3User,
    net_snmp,
    offset_port,
    with_client,
)

USERS = [
    V3User("md5des", "MD5", "md5-auth-key", "DES", "des-priv-key"),
    V3User("shaaes", "SHA", "sha1-auth-key", "AES", "aes-priv-key1"),
    V3User("sha224aes", "SHA-224", "sha224-auth-key", "AES", "aes-priv-key2"),
    V3User("sha256aes", "SHA-256", "sha256-auth-key", "AES", "aes-priv-key3"),
    V3User("sha384auth", "SHA-384", "sha384-auth-key"),
    V3User("sha512auth", "SHA-512", "sha512-auth-key"),
]
IF_DESCR, IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.10"
SYS_NAME, ENGINE_ID, ENGINE_BOOTS = ("1.3.6.1.2.1.1.5.0", "1.3.6.1.6.3.10.2.1.1.0",
                                     "1.3.6.1.6.3.10.2.1.2.0")


@pytest.fixture(scope="module")
def agent():
    running = NetSnmpAgent(offset_port(1190), USERS).start()
    yield running
    running.stop()


def device(agent) -> Device:
    return Device(name="snmpd", host="127.0.0.1", snmp=SnmpSettings(
        credentials="c", port=agent.port, version="3", timeout=2, retries=1,
        max_repetitions=3))


def net_snmp_walk(agent, user: V3User, column: str) -> dict[str, str]:
    lines = net_snmp("snmpbulkwalk", "-Oqn", *user.net_snmp_args(),
                     f"127.0.0.1:{agent.port}", column)
    return {line.split(" ", 1)[0].removeprefix(f".{column}."): line.split(" ", 1)[1]
            for line in lines}




@pytest.mark.parametrize("user", USERS, ids=[u.name for u in USERS])
def test_every_protocol_reads_what_net_snmp_reads(agent, user):
    assert speaks(user.creds())
    descr = net_snmp_walk(agent, user, IF_DESCR)
    name = net_snmp("snmpget", "-Oqv", *user.net_snmp_args(), f"127.0.0.1:{agent.port}",
                    SYS_NAME)[0]

    async def read(client):
        values = await client.get(device(agent), user.creds(), [SYS_NAME])
        walked = await client.walk(device(agent), user.creds(), [IF_DESCR, IF_IN_OCTETS])
        return values, walked

    values, walked = with_client(read)
    assert values == {SYS_NAME: name.strip('"').encode()}
    assert {k: f'"{v.decode()}"' for k, v in walked.column(IF_DESCR).items()} == descr
    assert set(walked.column(IF_IN_OCTETS)) == set(descr) and walked.problems == []
    assert walked.requests >= 2  # three rows a request: the walk went on past one answer


@pytest.mark.parametrize("wrong,outcome,words", [
    ({"auth_key": "not-the-auth-key"}, PollOutcome.AUTH_FAILURE,
     "the agent reported wrong digest (authentication key) (1.3.6.1.6.3.15.1.1.5.0)"),
    ({"user": "nobody"}, PollOutcome.AUTH_FAILURE,
     "the agent reported unknown user name (1.3.6.1.6.3.15.1.1.3.0)"),
    # snmpd drops what it cannot decrypt without a Report: the request times out
    ({"priv_key": "not-the-priv-key"}, PollOutcome.TIMEOUT, "after 2 tries of 2 s"),
])
def test_wrong_credentials_say_what_is_wrong_and_leak_no_key(agent, wrong, outcome, words):
    creds = USERS[1].creds(**wrong)
    with pytest.raises(CollectError) as caught:
        with_client(lambda c: c.get(device(agent), creds, [SYS_NAME]))
    assert caught.value.outcome == outcome
    assert words in str(caught.value)
    for secret in (creds.auth_key, creds.priv_key):
        assert secret not in str(caught.value)


def test_an_agent_that_restarted_is_resynchronised(agent):
    """The client keeps the agent's engine boots and time from its first request; the agent
    restarts (boots + 1), so the next request is outside the time window and draws a
    usmStatsNotInTimeWindows Report (RFC 3414 §3.2 step 7), after which it is answered."""
    user = USERS[3]

    def boots() -> int:
        return int(net_snmp("snmpget", "-Oqv", *user.net_snmp_args(),
                            f"127.0.0.1:{agent.port}", ENGINE_BOOTS)[0])

    async def across_restart(client):
        first = await client.get(device(agent), user.creds(), [ENGINE_BOOTS])
        peer = client.usm.peers[("127.0.0.1", agent.port)]
        known = peer.boots
        await asyncio.to_thread(agent.restart)
        second = await client.get(device(agent), user.creds(), [ENGINE_BOOTS])
        return first, known, second, client.usm

    before = boots()
    first, known, second, usm = with_client(across_restart)
    assert first[ENGINE_BOOTS] == known == before
    peer = usm.peers[("127.0.0.1", agent.port)]
    assert second[ENGINE_BOOTS] == peer.boots == before + 1 == boots()
    assert (usm.discoveries, usm.resynchronisations) == (1, 1)


def test_an_agent_replaced_by_another_engine_is_discovered_again():
    """Another agent (a new snmpEngineID: a replaced supervisor card, a re-imaged box) comes
    up at an address the client knows: it answers usmStatsUnknownEngineIDs, the client
    discovers the new engine and the request is answered."""
    user = USERS[1]
    first = NetSnmpAgent(offset_port(1191), [user]).start()
    try:
        async def across_replacement(client):
            await client.get(device(first), user.creds(), [SYS_NAME])
            old = client.usm.peers[("127.0.0.1", first.port)].engine_id
            await asyncio.to_thread(first.stop)
            second = await asyncio.to_thread(NetSnmpAgent(first.port, [user]).start)
            try:
                values = await client.get(device(second), user.creds(), [ENGINE_ID])
            finally:
                await asyncio.to_thread(second.stop)
            return old, values[ENGINE_ID], client.usm

        old, new, usm = with_client(across_replacement)
    finally:
        first.stop()
    assert old != new == usm.peers[("127.0.0.1", first.port)].engine_id
    assert (usm.discoveries, usm.resynchronisations) == (2, 0)


def test_aes_256_goes_through_pysnmp(tmp_path):
    """AES-256 (Reeder key extension, as Cisco's) is not in the own codec: the client sends it
    through pysnmp. The agent is snmpsim with an AES-256 user serving recording ``if64``
    (context ``if64``); the expected values are net-snmp's SNMPv2c read of the same
    recording."""
    source = tmp_path / "rec"
    source.mkdir()
    (source / "if64.snmprec").write_bytes((FIXTURES / "if64.snmprec").read_bytes())
    creds = SnmpAuth(version="3", user="ops256", auth_protocol="sha", auth_key="auth-key-256",
                     priv_protocol="aes256", priv_key="priv-key-256")
    assert not speaks(creds)
    sim = SnmpSim([source], offset_port(1192), engine=[
        "--v3-engine-id=8000000001020399", "--v3-user=ops256", "--v3-auth-key=auth-key-256",
        "--v3-auth-proto=SHA", "--v3-priv-key=priv-key-256", "--v3-priv-proto=AES256"]).start()
    try:
        expected = {line.split(" ", 1)[0].removeprefix(f".{IF_DESCR}."): line.split(" ", 1)[1]
                    for line in net_snmp("snmpbulkwalk", "-Oqn", "-v2c", "-c", "if64",
                                         f"127.0.0.1:{sim.port}", IF_DESCR)}
        dev = Device(name="sim", host="127.0.0.1", snmp=SnmpSettings(
            credentials="c", port=sim.port, version="3", context="if64", timeout=2))
        walked = with_client(lambda c: c.walk(dev, creds, [IF_DESCR]))
    finally:
        sim.stop()
    assert len(expected) >= 2
    assert {k: f'"{v.decode()}"' for k, v in walked.column(IF_DESCR).items()} == expected
