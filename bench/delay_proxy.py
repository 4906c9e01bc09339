"""A UDP proxy that delays every datagram by a fixed time each way (a stand-in for netem,
whose qdisc this kernel lacks). ``python -m bench.delay_proxy LISTEN_BASE TARGET_BASE COUNT MS``
forwards 127.0.0.1:LISTEN_BASE+i to 127.0.0.1:TARGET_BASE+i, delaying both directions."""

from __future__ import annotations

import asyncio
import sys


class Upstream(asyncio.DatagramProtocol):
    """One client's socket towards the agent; replies go back to the client, delayed."""

    def __init__(self, front: asyncio.DatagramTransport, client: tuple, delay: float) -> None:
        self.front, self.client, self.delay = front, client, delay
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        asyncio.get_running_loop().call_later(self.delay, self.front.sendto, data, self.client)


class Front(asyncio.DatagramProtocol):
    def __init__(self, target: tuple, delay: float) -> None:
        self.target, self.delay = target, delay
        self.upstreams: dict[tuple, Upstream] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        asyncio.get_running_loop().create_task(self._forward(data, addr))

    async def _forward(self, data: bytes, addr: tuple) -> None:
        loop = asyncio.get_running_loop()
        up = self.upstreams.get(addr)
        if up is None:
            assert self.transport is not None
            _, up = await loop.create_datagram_endpoint(
                lambda: Upstream(self.transport, addr, self.delay), remote_addr=self.target)
            self.upstreams[addr] = up
        loop.call_later(self.delay, up.transport.sendto, data)


async def main(listen: int, target: int, count: int, delay_ms: float) -> None:
    loop = asyncio.get_running_loop()
    for i in range(count):
        await loop.create_datagram_endpoint(
            lambda i=i: Front(("127.0.0.1", target + i), delay_ms / 1000),
            local_addr=("127.0.0.1", listen + i))
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*(int(a) for a in sys.argv[1:4]), float(sys.argv[4])))
