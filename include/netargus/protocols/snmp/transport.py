"""SNMP requests over UDP from one socket per address family, for every device at once.

A request is sent, and sent again with the same id after each ``timeout`` until ``retries``
are spent (so a late answer to an earlier try still counts, as with net-snmp's ``-t``/``-r``).
An answer is matched to its request by the id in its header (the request-id of SNMPv1/v2c,
msgID of SNMPv3: :func:`~.ber.message_key`), then handed to the request's own ``accept``,
which decodes and verifies it: SNMPv1/v2c answers must carry the same version and community
(RFC 3416 §4.1 leaves matching to the request-id; agents on multi-homed routers often answer
from another address, so the source address is not checked), SNMPv3 answers must verify
(:mod:`.usm`). Ids are unique among the requests in flight.

Datagrams that are not SNMP, answer no request in flight (late answers to a request that has
given up, strays) or that ``accept`` drops are counted in :attr:`SnmpTransport.dropped` and
otherwise ignored. An answer whose header names a request in flight but whose rest is broken
or cut short fails that request at once with the decoding error, rather than leaving it to
time out.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from netargus.protocols.snmp.ber import (
    RESPONSE,
    BerError,
    Oid,
    Response,
    decode_response,
    encode_request,
    message_key,
)

log = logging.getLogger(__name__)
RECEIVE_BUFFER = 4 * 1024 * 1024  # octets asked of SO_RCVBUF: bursts of bulk answers queue here
T = TypeVar("T")


class RequestTimedOut(TimeoutError):
    """No answer after every try."""


class Dropped(Exception):
    """A datagram that names a request in flight but is not its answer (another community, a
    digest that does not verify): ignored, the request goes on waiting."""


@dataclass(slots=True)
class _Waiting:
    accept: Callable[[bytes], Any]
    future: asyncio.Future[Any]


class SnmpTransport(asyncio.DatagramProtocol):
    """One UDP socket (IPv4 or IPv6) carrying SNMP requests; open with :meth:`open`."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.sock: socket.socket | None = None
        self.waiting: dict[int, _Waiting] = {}
        self.dropped = 0
        self._next_id = random.randrange(1, 2**31 - 1)

    @classmethod
    async def open(cls, family: socket.AddressFamily) -> SnmpTransport:
        """A transport bound to an ephemeral port of ``family`` (``AF_INET`` or ``AF_INET6``).

        Raises:
            OSError: the socket cannot be made (no IPv6 on this host ...).
        """
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        protocol = cls()
        protocol.sock = sock
        await asyncio.get_running_loop().create_datagram_endpoint(lambda: protocol, sock=sock)
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is no subclass

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            _, key = message_key(data)
        except BerError as exc:
            self._drop(addr, exc)
            return
        waiting = self.waiting.get(key)
        if waiting is None or waiting.future.done():
            self._drop(addr, "no request in flight has its id")
            return
        try:
            answer = waiting.accept(data)
        except Dropped as exc:
            self._drop(addr, exc)
        except (BerError, ValueError) as exc:
            waiting.future.set_exception(exc)
        except Exception as exc:  # a decoder bug: the request fails with it, not by timeout
            log.exception("decoding an SNMP answer from %s failed", addr[0])
            waiting.future.set_exception(BerError(f"undecodable answer ({exc!r})"))
        else:
            waiting.future.set_result(answer)

    def _drop(self, addr: tuple[str | int, ...], why: object) -> None:
        self.dropped += 1
        log.debug("dropped a datagram from %s: %s", addr[0], why)

    def error_received(self, exc: Exception) -> None:
        log.debug("SNMP socket error: %s", exc)

    def _request_id(self) -> int:
        while True:
            self._next_id = self._next_id % (2**31 - 1) + 1
            if self._next_id not in self.waiting:
                return self._next_id

    async def request(self, address: tuple[str, int], build: Callable[[int], bytes],
                      accept: Callable[[bytes], T], *, timeout: float, retries: int) -> T:
        """Send ``build(id)`` to ``address`` and wait for the answer ``accept`` takes.

        Args:
            address: ``(ip, port)``, an address literal of this transport's family.
            build: the message for an id (request-id or msgID), built once for every try.
            accept: decodes and verifies an answer carrying the id; raises :class:`Dropped`
                for a datagram to ignore, :class:`~.ber.BerError` for a broken answer.
            timeout: seconds to wait after each try; retries: tries after the first.

        Raises:
            RequestTimedOut: no answer to any try.
            BerError: the answer could not be decoded.
            OSError: the request could not be sent.
        """
        request_id = self._request_id()
        payload = build(request_id)
        waiting = _Waiting(accept, asyncio.get_running_loop().create_future())
        self.waiting[request_id] = waiting
        try:
            for _ in range(retries + 1):
                if self.transport is None or self.sock is None:
                    break  # closed meanwhile: no answer can come
                try:  # straight to the socket, so that an unroutable address raises here
                    self.sock.sendto(payload, address)
                except (BlockingIOError, InterruptedError):  # its buffer is full: queue it
                    self.transport.sendto(payload, address)
                try:  # shielded: an answer read in the same loop turn as the timer still counts
                    async with asyncio.timeout(timeout):
                        return cast(T, await asyncio.shield(waiting.future))
                except TimeoutError:
                    if waiting.future.done():
                        return cast(T, waiting.future.result())
            raise RequestTimedOut(f"no answer from {address[0]}:{address[1]} after "
                                  f"{retries + 1} tries of {timeout:g} s")
        finally:
            del self.waiting[request_id]
            if not waiting.future.done():
                waiting.future.cancel()

    def close(self) -> None:
        """Close the socket; requests in flight time out. Safe from outside the transport's
        event loop, and after that loop has closed (a client used from a new loop)."""
        transport, self.transport = self.transport, None
        if transport is None:
            return
        try:
            transport.close()
        except RuntimeError:  # its loop is closed: close the socket itself
            if self.sock is not None:
                self.sock.close()


async def community_request(transport: SnmpTransport, address: tuple[str, int], version: int,
                            community: bytes, pdu: int, oids: list[Oid] | list[str], *,
                            timeout: float, retries: int, max_repetitions: int = 0
                            ) -> Response:
    """An SNMPv1 (``version`` 0) or v2c (1) request over ``transport``; arguments as
    :func:`~.ber.encode_request` and :meth:`SnmpTransport.request`, which says what it
    raises."""
    def build(request_id: int) -> bytes:
        return encode_request(version, community, pdu, request_id, oids,
                              max_repetitions=max_repetitions)

    def accept(data: bytes) -> Response:
        try:
            response = decode_response(data)
        except BerError as exc:
            if exc.community != community:
                raise Dropped(f"undecodable, and not for community of this request: {exc}"
                              ) from None
            raise
        if response.version != version or response.community != community:
            raise Dropped("another version or community")
        if response.pdu != RESPONSE:  # an echo of the request, a trap: not an answer
            raise Dropped(f"a PDU of type 0x{response.pdu:02x}, not a Response")
        return response

    return await transport.request(address, build, accept, timeout=timeout, retries=retries)
