"""Prepare snmpsim's data folder: decompressed recordings whose counters advance in real time.

Each lab device replays a walk of a real device (snmpsim-data). Interface octet counters
(ifInOctets/ifOutOctets, ifHCInOctets/ifHCOutOctets), sysUpTime and, where a recording has
them, hrSystemUptime and snmpEngineTime are rewritten to snmpsim's
``numeric`` variation: ``value = initial + rate * seconds since the simulator started``, with
32-bit counters wrapping at 2**32. The rate of each interface is a stable function of device
and ifIndex (:func:`octet_rate`), so tests know the truth a computed rate must match.
"""

from __future__ import annotations

import bz2
import hashlib
import zlib
from importlib.resources import files
from pathlib import Path

import yaml

from lab.config import RECORDINGS

COUNTER32_OCTETS = ("1.3.6.1.2.1.2.2.1.10.", "1.3.6.1.2.1.2.2.1.16.")
COUNTER64_OCTETS = ("1.3.6.1.2.1.31.1.1.1.6.", "1.3.6.1.2.1.31.1.1.1.10.")
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
# clocks that advance on a real device: OID -> (tag, per second)
CLOCKS = {SYS_UPTIME: ("67", 100),  # SNMPv2-MIB sysUpTime, TimeTicks
          "1.3.6.1.2.1.25.1.1.0": ("67", 100),  # HOST-RESOURCES-MIB hrSystemUptime
          "1.3.6.1.6.3.10.2.1.3.0": ("2", 1)}  # SNMP-FRAMEWORK-MIB snmpEngineTime, seconds
FORMAT_VERSION = "3"


def recordings() -> dict[str, str]:
    """Lab device name -> recording path (relative to snmpsim-data's data folder)."""
    return yaml.safe_load(RECORDINGS.read_text())


def octet_rate(device: str, if_index: str, direction: str = "in") -> int:
    """Octets per second the lab makes interface ``if_index`` of ``device`` count, in the
    ``in`` or ``out`` direction (1 to 200 kB/s)."""
    key = f"{device}:{if_index}" + ("" if direction == "in" else f":{direction}")
    return 1000 * (1 + zlib.crc32(key.encode()) % 200)


def variate(device: str, line: str) -> str:
    """One snmprec line, with octet counters and the device's clocks made to advance."""
    parts = line.rstrip("\n").split("|", 2)
    if len(parts) != 3:  # a recording's continuation or comment line: keep as it is
        return line if line.endswith("\n") else line + "\n"
    oid, tag, value = parts
    base_tag = tag.split(":", 1)[0]
    direction = "out" if oid.startswith((COUNTER32_OCTETS[1], COUNTER64_OCTETS[1])) else "in"
    if oid.startswith(COUNTER32_OCTETS) and base_tag == "65":
        rate = octet_rate(device, oid.rsplit(".", 1)[1], direction)
        return f"{oid}|65:numeric|initial={int(value)},rate={rate},wrap=1,max=4294967296\n"
    if oid.startswith(COUNTER64_OCTETS) and base_tag == "70":
        rate = octet_rate(device, oid.rsplit(".", 1)[1], direction)
        return f"{oid}|70:numeric|initial={int(value)},rate={rate}\n"
    if oid in CLOCKS and tag == CLOCKS[oid][0]:
        return f"{oid}|{tag}:numeric|initial={int(value)},rate={CLOCKS[oid][1]}\n"
    return line if line.endswith("\n") else line + "\n"


def prepare(data_dir: Path) -> list[str]:
    """Write every lab device's recording into ``data_dir`` (skipped when already current).

    Returns:
        The device names (= SNMP communities and v3 context names) served.
    """
    source = files("snmpsim_data") / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for device, recording in recordings().items():
        src = Path(str(source / f"{recording}.snmprec.bz2"))
        stamp = hashlib.sha256(f"{FORMAT_VERSION}:{src}:{src.stat().st_size}".encode()).hexdigest()
        out = data_dir / f"{device}.snmprec"
        marker = data_dir / f".{device}.stamp"
        if not (out.exists() and marker.exists() and marker.read_text() == stamp):
            tmp = out.with_suffix(".tmp")
            with bz2.open(src, "rt", encoding="utf-8", errors="surrogateescape") as fin, \
                    open(tmp, "w", encoding="utf-8", errors="surrogateescape") as fout:
                for line in fin:
                    if line.strip():
                        fout.write(variate(device, line))
            tmp.rename(out)
            marker.write_text(stamp)
        names.append(device)
    return names


def fingerprint() -> str:
    """Changes whenever the prepared recordings would (so a running simulator is restarted)."""
    return hashlib.sha256(f"{FORMAT_VERSION}:{RECORDINGS.read_text()}".encode()).hexdigest()


IF_NAME = "1.3.6.1.2.1.31.1.1.1.1."


def _text(tag: str, value: str) -> str:
    if tag.endswith("x"):  # snmprec's hex form of an OCTET STRING
        return bytes.fromhex(value).decode("utf-8", "replace")
    return value


def interfaces(device: str, limit: int = 16) -> list[tuple[int, str, int, int]]:
    """``(ifIndex, ifName, in_octets, out_octets)`` of the first ``limit`` named interfaces of
    ``device``'s recording (unique names): what the streaming simulators send for it, from
    the same walk
    (and so the same names and, by :func:`octet_rate`, the same rates) as its SNMP agent."""
    src = Path(str(files("snmpsim_data") / "data" / f"{recordings()[device]}.snmprec.bz2"))
    names: dict[int, str] = {}
    octets: dict[tuple[str, int], int] = {}
    with bz2.open(src, "rt", encoding="utf-8", errors="surrogateescape") as fin:
        for line in fin:
            parts = line.rstrip("\n").split("|", 2)
            if len(parts) != 3:
                continue
            oid, tag, value = parts
            if oid.startswith(IF_NAME) and value:
                names[int(oid.rsplit(".", 1)[1])] = _text(tag, value)
            for prefix, direction in zip(COUNTER64_OCTETS, ("in", "out"), strict=True):
                if oid.startswith(prefix) and value.isdigit():
                    octets[(direction, int(oid.rsplit(".", 1)[1]))] = int(value)
    out, seen = [], set()
    for i in sorted(names):  # a name is a key in OpenConfig: a recording's repeats are left out
        if names[i] not in seen and len(out) < limit:
            seen.add(names[i])
            out.append((i, names[i], octets.get(("in", i), 0), octets.get(("out", i), 0)))
    return out
