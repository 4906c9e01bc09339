"""Cisco MDT gRPC dial-out: the server routers connect to (``/mdt_dialout.gRPCMdtDialout/
MdtDialout``). It reads just the node id to find the device and forwards ``data`` as it came to
``netargus.raw``; a payload that does not parse is forwarded too (keyed ``unparsed@<peer>``), so
the loader dead-letters it with :mod:`netargus.streaming.decoders.mdt`'s reason."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent import futures

import grpc

from netargus.proto.cisco import mdt_dialout_pb2, mdt_dialout_pb2_grpc
from netargus.streaming.config import Listener
from netargus.streaming.decoders.mdt import FORMAT, Undecodable, parse

log = logging.getLogger(__name__)


Emit = Callable[[str, str, bytes], None]


class _Dialout(mdt_dialout_pb2_grpc.gRPCMdtDialoutServicer):
    def __init__(self, listener: Listener, emit: Emit, seen: Callable[[str], None]) -> None:
        self.listener, self.emit, self.seen = listener, emit, seen
        self.messages = 0
        self.unknown = 0

    def MdtDialout(self, request_iterator, context):  # noqa: N802 (the gRPC method name)
        peer = context.peer()
        for args in request_iterator:
            if not args.data:
                continue
            try:
                node = parse(args.data).node_id_str
            except Undecodable:
                node = None  # forwarded anyway: the loader dead-letters it with the reason
            device = self.listener.devices.get(node) if node else f"unparsed@{peer}"
            if device is None:
                self.unknown += 1
                if self.unknown in (1, 10, 100) or self.unknown % 1000 == 0:
                    log.warning("MDT listener %s: %d message(s) from node %r (%s), which it "
                                "does not list: dropped", self.listener.name, self.unknown,
                                node, peer)
                continue
            self.messages += 1
            self.seen(device)
            self.emit(device, FORMAT, args.data)
        return iter(())


class MdtListener:
    """The gRPC dial-out server of one listener; :meth:`start` binds, :meth:`stop` closes."""

    def __init__(self, listener: Listener, emit: Emit, seen: Callable[[str], None]) -> None:
        self.listener = listener
        self.servicer = _Dialout(listener, emit, seen)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        mdt_dialout_pb2_grpc.add_gRPCMdtDialoutServicer_to_server(self.servicer, self.server)

    def start(self) -> None:
        address = f"{self.listener.bind}:{self.listener.port}"
        if not self.server.add_insecure_port(address):
            raise OSError(f"MDT listener {self.listener.name}: cannot bind {address}")
        self.server.start()
        log.info("MDT dial-out listener %s on %s", self.listener.name, address)

    def stop(self) -> None:
        self.server.stop(grace=2).wait()


__all__ = ["MdtListener", "mdt_dialout_pb2"]
