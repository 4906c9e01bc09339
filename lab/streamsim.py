"""Streaming telemetry simulators: gNMI targets, Cisco MDT dial-out routers, Juniper JTI exporters.

Each simulated device is a lab device whose SNMP recording supplies its interfaces: the same
ifIndex and ifName, and counters that advance at the same rate (:func:`lab.recordings.
octet_rate`) as its SNMP agent's, so a streamed rate and a polled rate of one interface agree.
They speak the real protocols over real sockets, with the same protos the collectors use:

* gNMI: a gRPC ``gNMI.Subscribe`` server per device (TLS, username/password metadata) that
  streams SAMPLE notifications of ``/interfaces/interface/state/counters`` and ON_CHANGE
  ``oper-status``;
* MDT: a router that dials out to the listener and streams kvGPB ``Telemetry`` messages of
  IOS XR generic counters, redialling with backoff when the collector is away;
* JTI: an exporter sending ``TelemetryStream`` interface-sensor datagrams over UDP.

:class:`Tally` counts the samples each device sent, so tests can check that exactly those
arrived. Run standalone for the lab: ``python -m lab.streamsim --streaming FILE ...``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import threading
import time
from collections import Counter
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from lab.recordings import interfaces, octet_rate
from netargus.proto.cisco import mdt_dialout_pb2, mdt_dialout_pb2_grpc, telemetry_bis_pb2
from netargus.proto.juniper import port_pb2, telemetry_top_pb2
from netargus.streaming.config import GnmiTarget, Listener, StreamingConfig, load_streaming
from netargus.streaming.decoders.gnmi import parse_path

log = logging.getLogger("lab.streamsim")

PACKET = 500  # octets per packet, to derive packet counters from octet counters
GNMI_COUNTERS = ("in-octets", "out-octets", "in-unicast-pkts", "out-unicast-pkts",
                 "in-errors", "out-errors", "in-discards", "out-discards")
MDT_COUNTERS = ("bytes-received", "bytes-sent", "packets-received", "packets-sent",
                "input-errors", "output-errors", "input-drops", "output-drops")
XR_PATH = ("Cisco-IOS-XR-infra-statsd-oper:infra-statistics/interfaces/interface/latest/"
           "generic-counters")


@dataclass(frozen=True)
class Interface:
    index: int
    name: str
    in0: int
    out0: int
    in_rate: int
    out_rate: int


class SimDevice:
    """A device's interfaces and their counters at any moment."""

    def __init__(self, name: str, limit: int = 16, recording: str | None = None) -> None:
        """``recording``: the lab device whose interfaces it has (default: ``name``)."""
        self.name = name
        self.t0 = time.time()
        self.interfaces = [Interface(i, n, a, b, octet_rate(name, str(i), "in"),
                                     octet_rate(name, str(i), "out"))
                           for i, n, a, b in interfaces(recording or name, limit)]

    def counters(self, now: float) -> list[tuple[Interface, dict[str, int]]]:
        dt = now - self.t0
        out = []
        for i in self.interfaces:
            in_oct, out_oct = i.in0 + int(i.in_rate * dt), i.out0 + int(i.out_rate * dt)
            out.append((i, {"in_octets": in_oct, "out_octets": out_oct,
                            "in_pkts": in_oct // PACKET, "out_pkts": out_oct // PACKET,
                            "in_errors": 0, "out_errors": 0, "in_discards": 0,
                            "out_discards": 0}))
        return out


class Tally:
    """Samples and messages sent, per device (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: Counter[str] = Counter()
        self.messages: Counter[str] = Counter()
        self._times: list[tuple[str, int, int]] = []  # (device, sample time in ms, samples)

    def add(self, device: str, samples: int, ts_ms: int) -> None:
        with self._lock:
            self.samples[device] += samples
            self.messages[device] += 1
            self._times.append((device, ts_ms, samples))

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.samples)

    def spans(self) -> dict[str, float]:
        """Seconds between each device's first and last sample time."""
        first: dict[str, int] = {}
        last: dict[str, int] = {}
        with self._lock:
            for device, ts, _ in self._times:
                first[device] = min(first.get(device, ts), ts)
                last[device] = max(last.get(device, ts), ts)
        return {d: (last[d] - first[d]) / 1000 for d in first}

    def between(self, start_ms: int, end_ms: int) -> dict[str, int]:
        """Samples per device whose time is in ``[start_ms, end_ms)`` (epoch milliseconds)."""
        out: Counter[str] = Counter()
        with self._lock:
            for device, ts, n in self._times:
                if start_ms <= ts < end_ms:
                    out[device] += n
        return dict(out)


# ---------------------------------------------------------------------------------- gNMI

class GnmiTargetSim(gnmi_pb2_grpc.gNMIServicer):
    def __init__(self, device: SimDevice, tally: Tally, login: tuple[str, str] | None,
                 stop: threading.Event) -> None:
        self.device, self.tally, self.login, self.stop = device, tally, login, stop
        self.silent = threading.Event()  # tests: the target stops sending, keeps the stream

    def _notification(self, prefix: str, updates: list[tuple[str, gnmi_pb2.TypedValue]]
                      ) -> gnmi_pb2.SubscribeResponse:
        ns = time.time_ns()
        note = gnmi_pb2.Notification(timestamp=ns, prefix=parse_path(prefix),
                                     update=[gnmi_pb2.Update(path=parse_path(leaf), val=v)
                                             for leaf, v in updates])
        self.tally.add(self.device.name, len(updates), ns // 1_000_000)
        return gnmi_pb2.SubscribeResponse(update=note)

    def _counters(self) -> list[gnmi_pb2.SubscribeResponse]:
        out = []
        for iface, c in self.device.counters(time.time()):
            values = [c["in_octets"], c["out_octets"], c["in_pkts"], c["out_pkts"],
                      c["in_errors"], c["out_errors"], c["in_discards"], c["out_discards"]]
            out.append(self._notification(
                f"/interfaces/interface[name={iface.name}]/state/counters",
                [(leaf, gnmi_pb2.TypedValue(uint_val=v))
                 for leaf, v in zip(GNMI_COUNTERS, values, strict=True)]))
        return out

    def Subscribe(self, request_iterator, context):  # noqa: N802 (the gRPC method name)
        if self.login:
            meta = dict(context.invocation_metadata())
            if (meta.get("username"), meta.get("password")) != self.login:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad username or password")
        request = next(request_iterator)
        subs = request.subscribe.subscription
        sample = [s for s in subs if s.mode == gnmi_pb2.SAMPLE]
        on_change = [s for s in subs if s.mode == gnmi_pb2.ON_CHANGE]
        if on_change:
            for iface in self.device.interfaces:
                yield self._notification(f"/interfaces/interface[name={iface.name}]/state",
                                         [("oper-status", gnmi_pb2.TypedValue(string_val="UP"))])
        yield gnmi_pb2.SubscribeResponse(sync_response=True)
        interval = min((s.sample_interval for s in sample), default=0) / 1e9 or 10.0
        next_at = time.monotonic()
        while context.is_active() and not self.stop.is_set():
            next_at += interval
            if self.stop.wait(max(next_at - time.monotonic(), 0)):
                break
            if sample and not self.silent.is_set() and context.is_active():
                yield from self._counters()


# ---------------------------------------------------------------------------------- MDT

def mdt_message(device: SimDevice, ms: int) -> tuple[bytes, int]:
    """A kvGPB Telemetry message of the device's generic counters at epoch ``ms``, and its
    sample count."""
    now = ms / 1000
    rows = []
    for iface, c in device.counters(now):
        values = [c["in_octets"], c["out_octets"], c["in_pkts"], c["out_pkts"],
                  c["in_errors"], c["out_errors"], c["in_discards"], c["out_discards"]]
        F = telemetry_bis_pb2.TelemetryField
        rows.append(F(timestamp=ms, fields=[
            F(name="keys", fields=[F(name="interface-name", string_value=iface.name)]),
            F(name="content", fields=[F(name=n, uint64_value=v)
                                      for n, v in zip(MDT_COUNTERS, values, strict=True)])]))
    msg = telemetry_bis_pb2.Telemetry(node_id_str=device.name, subscription_id_str="netargus",
                                      encoding_path=XR_PATH, collection_id=ms,
                                      collection_start_time=ms, msg_timestamp=ms,
                                      data_gpbkv=rows, collection_end_time=ms)
    return msg.SerializeToString(), len(rows) * len(MDT_COUNTERS)


def run_mdt_router(device: SimDevice, address: str, interval: float, tally: Tally,
                   stop: threading.Event) -> None:
    """Dial out to ``address`` and stream every ``interval``; redial with backoff."""
    backoff = 1.0
    while not stop.is_set():
        channel = grpc.insecure_channel(address)
        try:
            grpc.channel_ready_future(channel).result(timeout=2)

            def messages():
                req = 0
                next_at = time.monotonic()
                while not stop.is_set():
                    ms = time.time_ns() // 1_000_000
                    data, n = mdt_message(device, ms)
                    req += 1
                    yield mdt_dialout_pb2.MdtDialoutArgs(ReqId=req, data=data)
                    tally.add(device.name, n, ms)
                    next_at += interval
                    if stop.wait(max(next_at - time.monotonic(), 0)):
                        return

            backoff = 1.0
            for _ in mdt_dialout_pb2_grpc.gRPCMdtDialoutStub(channel).MdtDialout(messages()):
                pass
        except (grpc.RpcError, grpc.FutureTimeoutError) as exc:
            log.info("MDT %s -> %s: %s; redial in %.0f s", device.name, address,
                     type(exc).__name__, backoff)
        finally:
            channel.close()
        if stop.wait(backoff):
            return
        backoff = min(backoff * 2, 30.0)


# ---------------------------------------------------------------------------------- JTI

def jti_datagram(device: SimDevice, ms: int, seq: int) -> tuple[bytes, int]:
    """A TelemetryStream interface-sensor datagram at epoch ``ms``, and its sample count."""
    now = ms / 1000
    msg = telemetry_top_pb2.TelemetryStream(
        system_id=f"{device.name}:127.0.0.1", component_id=0, sub_component_id=0,
        sensor_name="sensor_1000:/junos/system/linecard/interface/:"
                    "/junos/system/linecard/interface/:PFE",
        sequence_number=seq, timestamp=ms, version_major=1, version_minor=1)
    port = msg.enterprise.Extensions[telemetry_top_pb2.juniperNetworks].Extensions[
        port_pb2.jnpr_interface_ext]
    n = 0
    for iface, c in device.counters(now):
        info = port.interface_stats.add(if_name=iface.name, init_time=int(device.t0),
                                        snmp_if_index=iface.index)
        for stats, d in ((info.ingress_stats, "in"), (info.egress_stats, "out")):
            stats.if_octets, stats.if_pkts = c[f"{d}_octets"], c[f"{d}_pkts"]
            stats.if_uc_pkts, stats.if_mc_pkts, stats.if_bc_pkts = c[f"{d}_pkts"], 0, 0
            stats.if_1sec_octets = stats.if_1sec_pkts = 0
        info.ingress_errors.if_errors = c["in_errors"]
        info.ingress_errors.if_discards = c["in_discards"]
        info.egress_errors.if_errors = c["out_errors"]
        info.egress_errors.if_discards = c["out_discards"]
        n += 2 * 7 + 2 + 2  # 7 stats each way (5 counters, 2 one-second rates), 2 + 2 errors
    return msg.SerializeToString(), n


def run_jti_exporter(device: SimDevice, port: int, interval: float, tally: Tally,
                     stop: threading.Event) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    seq = 0
    next_at = time.monotonic()
    try:
        while not stop.is_set():
            seq += 1
            ms = time.time_ns() // 1_000_000
            data, n = jti_datagram(device, ms, seq)
            sock.sendto(data, ("127.0.0.1", port))
            tally.add(device.name, n, ms)
            next_at += interval
            if stop.wait(max(next_at - time.monotonic(), 0)):
                return
    finally:
        sock.close()


# ---------------------------------------------------------------------------------- all

class StreamSim:
    """Every simulated device of a streaming file; :meth:`start` / :meth:`stop`."""

    def __init__(self, config: StreamingConfig, certs: Path | None,
                 login: tuple[str, str] | None, interval: float = 10.0) -> None:
        self.config, self.certs, self.login, self.interval = config, certs, login, interval
        self.tally = Tally()
        self.stop_event = threading.Event()
        self.servers: list[grpc.Server] = []
        self.targets: dict[str, GnmiTargetSim] = {}
        self.threads: list[threading.Thread] = []

    def _serve_gnmi(self, target: GnmiTarget) -> None:
        sim = GnmiTargetSim(SimDevice(target.device), self.tally, self.login, self.stop_event)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        gnmi_pb2_grpc.add_gNMIServicer_to_server(sim, server)
        if target.tls and self.certs:
            name = target.tls.server_name or target.device
            creds = grpc.ssl_server_credentials([((self.certs / f"{name}.key").read_bytes(),
                                                  (self.certs / f"{name}.pem").read_bytes())])
            bound = server.add_secure_port(target.address, creds)
        else:
            bound = server.add_insecure_port(target.address)
        if not bound:
            raise OSError(f"gNMI simulator {target.device}: cannot bind {target.address}")
        server.start()
        self.servers.append(server)
        self.targets[target.device] = sim

    def _dial(self, listener: Listener) -> None:
        for device in sorted(set(listener.devices.values())):
            sim = SimDevice(device)
            if listener.protocol == "mdt":
                args = (sim, f"127.0.0.1:{listener.port}", self.interval, self.tally,
                        self.stop_event)
                fn = run_mdt_router
            else:
                args = (sim, listener.port, self.interval, self.tally, self.stop_event)
                fn = run_jti_exporter
            thread = threading.Thread(target=fn, args=args, daemon=True,
                                      name=f"sim-{listener.protocol}-{device}")
            thread.start()
            self.threads.append(thread)

    def start(self, gnmi: bool = True, dial_out: bool = True) -> StreamSim:
        if gnmi:
            for target in self.config.gnmi:
                self._serve_gnmi(target)
        if dial_out:
            for listener in self.config.listeners:
                self._dial(listener)
        return self

    def stop(self) -> dict[str, int]:
        """Stop sending; returns the samples each device sent."""
        self.stop_event.set()
        for server in self.servers:
            server.stop(grace=1).wait()
        for thread in self.threads:
            thread.join(10)
        return self.tally.snapshot()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streaming", required=True, help="the lab's streaming.yaml")
    parser.add_argument("--certs", type=Path, help="folder with the servers' keys")
    parser.add_argument("--login-file", type=Path,
                        help="file holding 'user:password' the gNMI targets accept")
    parser.add_argument("--interval", type=float, default=10.0,
                        help="seconds between MDT/JTI exports")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    login = None
    if args.login_file:
        user, _, password = args.login_file.read_text().strip().partition(":")
        login = (user, password)
    sim = StreamSim(load_streaming(args.streaming), args.certs, login, args.interval).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    log.info("streaming simulators up: gNMI %s; dial-out %s",
             [t.address for t in sim.config.gnmi],
             [f"{lst.protocol}:{lst.port}" for lst in sim.config.listeners])
    done.wait()
    log.info("sent: %s", sim.stop())


if __name__ == "__main__":
    main()
