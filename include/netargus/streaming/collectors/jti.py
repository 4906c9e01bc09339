"""Juniper JTI native sensors over UDP: the listener. It reads the envelope's ``system_id`` to
find the device and forwards the datagram as it came to ``netargus.raw``; a datagram that does
not parse is forwarded keyed by its source address, so the loader dead-letters it with
:mod:`netargus.streaming.decoders.jti`'s reason."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from netargus.streaming.config import Listener
from netargus.streaming.decoders.jti import FORMAT, Undecodable, parse

log = logging.getLogger(__name__)


Emit = Callable[[str, str, bytes], None]


class JtiListener:
    """The UDP socket of one JTI listener, read by a thread until :meth:`stop`."""

    def __init__(self, listener: Listener, emit: Emit, seen: Callable[[str], None]) -> None:
        self.listener, self.emit, self.seen = listener, emit, seen
        self.datagrams = 0
        self.unknown = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 2**20)
        sock.bind((self.listener.bind, self.listener.port))
        sock.settimeout(0.5)
        self._sock = sock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"jti-{self.listener.name}")
        self._thread.start()
        log.info("JTI listener %s on udp %s:%d", self.listener.name, self.listener.bind,
                 self.listener.port)

    def _device(self, payload: bytes, sender: str) -> str | None:
        try:
            system_id = parse(payload).system_id
        except Undecodable:
            return f"unparsed@{sender}"  # forwarded: the loader dead-letters it
        return self.listener.devices.get(system_id.split(":", 1)[0])

    def _run(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                payload, (addr, _) = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            device = self._device(payload, addr)
            if device is None:
                self.unknown += 1
                if self.unknown in (1, 10, 100) or self.unknown % 1000 == 0:
                    log.warning("JTI listener %s: %d datagram(s) from a system it does not "
                                "list (last from %s): dropped", self.listener.name,
                                self.unknown, addr)
                continue
            self.datagrams += 1
            self.seen(device)
            self.emit(device, FORMAT, payload)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        if self._sock:
            self._sock.close()
