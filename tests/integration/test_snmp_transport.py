"""SNMPv1/v2c over netargus's own codec and shared sockets (netargus.protocols.snmp.transport):
tries and late answers, answers that match no request, broken answers, and devices that fail
next to healthy ones. The agent is the scripted one of tests.helpers.snmpagents (pysnmp's
codec on the agent side, so every answer was encoded independently of the code under test);
expected values are the agent's MIB.
"""

import asyncio
import socket
import time

import pytest
from pysnmp.proto import rfc1902

from netargus.auth import SnmpAuth
from netargus.model import Device, PollOutcome, SnmpSettings
from netargus.protocols import CollectError
from netargus.protocols.snmp.ber import GET, RESPONSE, encode_oid, integer, message_key, tlv
from netargus.protocols.snmp.client import SnmpClient, resolve
from netargus.protocols.snmp.transport import SnmpTransport, community_request
from tests.helpers.snmpagents import Reply, mib_agent, scripted, with_client

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
MIB = {(1, 3, 6, 1, 2, 1, 2, 2, 1, 2, i): rfc1902.OctetString(f"port{i}".encode())
       for i in range(1, 31)}
EXPECTED = {str(i): f"port{i}".encode() for i in range(1, 31)}
COMMUNITY = SnmpAuth(version="2c", community="c0mm")


def device(port: int, timeout: float = 0.4, retries: int = 1) -> Device:
    return Device(name=f"dut{port}", host="127.0.0.1", snmp=SnmpSettings(
        credentials="c", port=port, timeout=timeout, retries=retries, max_repetitions=10))




def test_a_dropped_try_is_sent_again_with_the_same_request_id():
    answer = mib_agent(MIB)

    def second_try_only(request):
        tries = [r for r in agent.requests if r.oids == request.oids]
        return answer(request) if len(tries) % 2 == 0 else Reply(drop=True)

    with scripted(second_try_only) as agent:
        result = with_client(lambda c: c.walk(device(agent.port), COMMUNITY, [IF_DESCR]))
    assert result.column(IF_DESCR) == EXPECTED and result.problems == []
    ids = [r.request_id for r in agent.requests]
    assert len(ids) == 8 and ids[0::2] == ids[1::2]  # 4 requests (30 rows by 10), each twice
    assert len(set(ids)) == 4


def test_a_late_answer_to_the_first_try_is_taken():
    answer = mib_agent(MIB)

    def late_once(request):
        first = len(agent.requests) == 1
        return Reply(answer(request).var_binds, delay=0.6 if first else 0.0)

    with scripted(late_once) as agent:
        started = time.monotonic()
        values = with_client(lambda c: c.get(device(agent.port, timeout=0.4, retries=3),
                                             COMMUNITY, [f"{IF_DESCR}.7"]))
        took = time.monotonic() - started
    assert values == {f"{IF_DESCR}.7": b"port7"}
    assert len(agent.requests) == 2  # the second try was answered at once, same id
    assert agent.requests[0].request_id == agent.requests[1].request_id
    assert took < 0.6 + 0.4


def test_an_answer_with_another_community_is_not_taken():
    answer = mib_agent(MIB)

    def wrong_community(request):
        return Reply(answer(request).var_binds,
                     mangle=lambda data: data.replace(b"c0mm", b"c0mM", 1))

    with scripted(wrong_community) as agent:
        with pytest.raises(CollectError) as caught:
            with_client(lambda c: c.get(device(agent.port, timeout=0.2, retries=1), COMMUNITY,
                                        [f"{IF_DESCR}.1"]))
    assert caught.value.outcome == PollOutcome.TIMEOUT
    assert str(caught.value) == f"no answer from 127.0.0.1:{agent.port} after 2 tries of 0.2 s"
    assert len(agent.requests) == 2


def test_stray_datagrams_are_dropped_and_the_answer_still_taken():
    answer = mib_agent(MIB)
    strays = [b"", b"\x00garbage", b"\x30\x03\x02\x01\x07",
              bytes.fromhex("300e020101040463306d6d"  # a response to a request never sent
                            "a203020100")]

    def with_strays(request):
        return Reply(answer(request).var_binds, before=strays)

    async def walk_and_count(client):
        result = await client.walk(device(agent.port), COMMUNITY, [IF_DESCR])
        return result, sum(t.result().dropped for t in client.transports.values())

    with scripted(with_strays) as agent:
        result, dropped = with_client(walk_and_count)
    assert result.column(IF_DESCR) == EXPECTED and result.problems == []
    assert dropped == 4 * len(strays)


def test_broken_variable_bindings_fail_the_request_at_once_with_the_reason():
    answer = mib_agent(MIB)

    def broken(request):  # the value's tag rewritten to one no SNMP type has
        return Reply(answer(request).var_binds,
                     mangle=lambda data: data.replace(b"\x04\x05port1", b"\x99\x05port1"))

    with scripted(broken) as agent:
        started = time.monotonic()
        with pytest.raises(CollectError) as caught:
            with_client(lambda c: c.get(device(agent.port, timeout=5), COMMUNITY,
                                        [f"{IF_DESCR}.1"]))
    assert time.monotonic() - started < 2
    assert caught.value.outcome == PollOutcome.NETWORK_FAILURE
    assert str(caught.value) == "undecodable answer from 127.0.0.1: unknown value type 0x99"


def test_failing_devices_do_not_fail_their_neighbours():
    """Twelve devices walked at once over the shared socket: four answer, one answers broken
    octets, one never answers, one answers with another community, the rest answer late."""
    answer = mib_agent(MIB)
    kinds = ["ok"] * 4 + ["broken", "silent", "community"] + ["late"] * 5

    def agent_for(kind):
        def respond(request):
            if kind == "silent":
                return Reply(drop=True)
            binds = answer(request).var_binds
            if kind == "broken":
                return Reply(binds, mangle=lambda d: d[:-3])
            if kind == "community":
                return Reply(binds, mangle=lambda d: d.replace(b"c0mm", b"xxxx", 1))
            return Reply(binds, delay=0.3 if kind == "late" else 0.0)
        return respond

    agents = [scripted(agent_for(k)) for k in kinds]
    running = [a.__enter__() for a in agents]
    try:
        async def walk_all(client):
            return await asyncio.gather(
                *(client.walk(device(a.port, timeout=0.5, retries=1), COMMUNITY, [IF_DESCR])
                  for a in running), return_exceptions=True)
        results = with_client(walk_all)
    finally:
        for a in agents:
            a.__exit__(None, None, None)
    outcomes = {}
    for kind, result in zip(kinds, results, strict=True):
        if isinstance(result, CollectError):
            outcomes.setdefault(kind, set()).add(result.outcome)
        else:
            assert result.column(IF_DESCR) == EXPECTED and result.problems == [], kind
            outcomes.setdefault(kind, set()).add("rows")
    assert outcomes == {"ok": {"rows"}, "late": {"rows"},
                        "broken": {PollOutcome.NETWORK_FAILURE},
                        "silent": {PollOutcome.TIMEOUT}, "community": {PollOutcome.TIMEOUT}}


def test_an_answer_read_in_the_same_loop_turn_as_its_timeout_is_taken():
    """A busy loop (thousands of devices on two cores) finds the answer readable and the
    try's timer expired in one turn: the answer counts (found in review: it was dropped)."""
    agent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    agent.bind(("127.0.0.1", 0))

    def answer_then_block():
        data, peer = agent.recvfrom(65535)
        _, request_id = message_key(data)
        agent.sendto(encode_response(request_id), peer)
        time.sleep(0.4)  # the loop is busy past the try's deadline

    async def main():
        transport = await SnmpTransport.open(socket.AF_INET)
        try:
            asyncio.get_running_loop().call_later(0.05, answer_then_block)
            return await community_request(transport, agent.getsockname(), 1, b"public", GET,
                                           ["1.3.6.1.2.1.1.3.0"], timeout=0.2, retries=0)
        finally:
            transport.close()

    try:
        response = asyncio.run(main())
    finally:
        agent.close()
    assert response.var_binds == [((1, 3, 6, 1, 2, 1, 1, 3, 0), 5)]


def encode_response(request_id: int, pdu: int = RESPONSE) -> bytes:
    """A v2c answer (community ``public``) with sysUpTime.0 = 5 ticks."""
    binds = tlv(0x30, tlv(0x30, tlv(6, encode_oid("1.3.6.1.2.1.1.3.0")) + tlv(0x43, b"\x05")))
    return tlv(0x30, integer(1) + tlv(4, b"public")
               + tlv(pdu, integer(request_id) + integer(0) + integer(0) + binds))


def test_an_echo_of_the_request_is_not_its_answer():
    """A reflector (udp/7, a looping middlebox) sends the request back: same request-id and
    community, but a GetRequest is no Response; the request times out."""
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))
    echo.settimeout(2)

    async def main(client):
        task = asyncio.ensure_future(client.get(device(echo.getsockname()[1], timeout=0.5,
                                                       retries=0), COMMUNITY,
                                                ["1.3.6.1.2.1.1.3.0"]))
        data, peer = await asyncio.to_thread(echo.recvfrom, 65535)
        echo.sendto(data, peer)
        return await task

    try:
        with pytest.raises(CollectError) as caught:
            with_client(main)
    finally:
        echo.close()
    assert caught.value.outcome == PollOutcome.TIMEOUT


def test_a_caller_cancelled_while_the_socket_opens_does_not_fail_the_others():
    async def main():
        client = SnmpClient()
        try:
            first = asyncio.ensure_future(client._transport(socket.AF_INET))
            second = asyncio.ensure_future(client._transport(socket.AF_INET))
            await asyncio.sleep(0)
            first.cancel()
            shared = await second
            return first.cancelled(), shared, await client._transport(socket.AF_INET)
        finally:
            client.close()

    cancelled, shared, later = asyncio.run(main())
    assert cancelled and shared is later


def test_one_client_serves_one_event_loop_after_another():
    answer = mib_agent(MIB)
    with scripted(answer) as agent:
        client = SnmpClient()
        try:
            for _ in range(2):  # as two Airflow tasks in one worker process would
                values = asyncio.run(client.get(device(agent.port), COMMUNITY,
                                                [f"{IF_DESCR}.3"]))
                assert values == {f"{IF_DESCR}.3": b"port3"}
        finally:
            client.close()


@pytest.mark.parametrize("host,expected", [("::ffff:127.0.0.1", "127.0.0.1"),
                                           ("[::ffff:192.0.2.7]", "192.0.2.7")])
def test_an_ipv4_mapped_ipv6_literal_is_reached_over_ipv4(host, expected):
    assert asyncio.run(resolve(host, 161)) == (socket.AF_INET, expected)


def test_a_destination_the_host_cannot_send_to_is_a_network_failure_at_once():
    """The limited broadcast address without SO_BROADCAST: sendto fails (EACCES), and the
    device fails with that reason, not after its tries time out."""
    started = time.monotonic()
    with pytest.raises(CollectError) as caught:
        with_client(lambda c: c.get(Device(name="bcast", host="255.255.255.255", snmp=SnmpSettings(
            credentials="c", timeout=2, retries=2)), COMMUNITY, ["1.3.6.1.2.1.1.3.0"]))
    assert caught.value.outcome == PollOutcome.NETWORK_FAILURE
    assert "cannot reach 255.255.255.255:161" in str(caught.value)
    assert time.monotonic() - started < 1


def test_a_broken_answer_halfway_keeps_the_rows_read_before_it():
    answer = mib_agent(MIB)

    def broken_second(request):
        reply = answer(request)
        if len(agent.requests) == 2:
            return Reply(reply.var_binds, mangle=lambda d: d[:-3])
        return reply

    with scripted(broken_second) as agent:
        result = with_client(lambda c: c.walk(device(agent.port), COMMUNITY, [IF_DESCR]))
    assert result.column(IF_DESCR) == {str(i): f"port{i}".encode() for i in range(1, 11)}
    (problem,) = result.problems
    assert str(problem).startswith(f"{IF_DESCR}: stopped after 10 rows (undecodable answer "
                                   "from 127.0.0.1: PDU cut short")
