"""P5: loading the inventory at fleet scale (``python -m bench.p5_inventory [N ...]``).

For each N (default 1,000 and 10,000 devices) a fresh inventory file of N devices in two
groups is written, then timed (best of 3):
- ``load``: :class:`netargus.inventory.file.FileInventory` reading, validating and resolving
  it (what the planning tasks do), checked to return N devices with their group's settings;
- ``reference``: libyaml's ``CSafeLoader`` parsing the same file into plain Python objects,
  no validation (the least any YAML inventory costs);
- ``dag parse``: :func:`netargus.inventory.file.check_inventory` once the file's content was
  validated (what every parse of ``dags/discovery.py`` costs), checked to return N.
Reported: seconds, and load / reference (the goal: 10,000 devices in under 1 s).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from bench.common import best_of, record
from netargus.inventory.file import FileInventory, check_inventory


def write_inventory(folder: Path, n: int) -> Path:
    lines = ["defaults: {snmp: {credentials: snmp_ro, timeout: 2}}", "groups:",
             "  core: {site: par, role: core}",
             "  access: {site: lyo, role: access, snmp: {version: '2c', retries: 2}}",
             "devices:"]
    lines += [f"  - {{name: dev-{i:05d}, host: 10.{i // 65536}.{(i // 256) % 256}.{i % 256}, "
              f"groups: [{'core' if i % 10 == 0 else 'access'}], tags: [rack{i % 40}]}}"
              for i in range(n)]
    path = folder / f"inventory-{n}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(n: int, folder: Path) -> dict[str, object]:
    path = write_inventory(folder, n)
    devices = FileInventory(path).load()
    assert len(devices) == n, (len(devices), n)
    assert devices[1].role == "access" and devices[1].snmp is not None \
        and devices[1].snmp.retries == 2 and devices[0].site == "par"
    load = best_of(3, lambda: FileInventory(path).load())
    text = path.read_text()
    reference = best_of(3, lambda: yaml.load(text, Loader=yaml.CSafeLoader))  # noqa: S506
    cache = folder / f"cache-{n}.json"
    assert check_inventory(path, cache) == n  # validates once
    parse = best_of(3, lambda: check_inventory(path, cache))
    return {"devices": n, "load s": load, "reference s": reference,
            "load / reference": load / reference, "dag parse s": parse}


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="p5-") as tmp:
        rows = [run(n, Path(tmp)) for n in sizes]
    record("P5 inventory load", rows)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
