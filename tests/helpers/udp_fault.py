"""A UDP proxy in front of a real SNMP agent that misbehaves on cue: it forwards the first
requests faithfully, then drops or corrupts the rest, so a poll can fail halfway (a timeout
or an authentication failure after the agent had already answered)."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# what to do with the n-th request (0-based): "forward", "drop" or "corrupt"
Policy = Callable[[int], str]


def _corrupt(data: bytes) -> bytes:
    """Flip a bit near the end (inside the scoped PDU): an authenticated message no longer
    matches its digest, so a v3 agent answers with a wrongDigest report."""
    out = bytearray(data)
    out[-3] ^= 0x01
    return bytes(out)


@contextmanager
def udp_fault_proxy(target: tuple[str, int], policy: Policy) -> Iterator[tuple[int, list[str]]]:
    """Run the proxy on a free loopback port; yields (port, log of actions taken)."""
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", 0))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.connect(target)
    log: list[str] = []
    stop = threading.Event()
    client: list[tuple] = []

    def run() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([front, up], [], [], 0.1)
            for sock in ready:
                if sock is front:
                    data, addr = front.recvfrom(65535)
                    client[:] = [addr]
                    action = policy(len(log))
                    log.append(action)
                    if action == "forward":
                        up.send(data)
                    elif action == "corrupt":
                        up.send(_corrupt(data))
                else:
                    data = up.recv(65535)
                    if client:
                        front.sendto(data, client[0])

    thread = threading.Thread(target=run, daemon=True, name="udp-fault-proxy")
    thread.start()
    try:
        yield front.getsockname()[1], log
    finally:
        stop.set()
        thread.join(2)
        front.close()
        up.close()
