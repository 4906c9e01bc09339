"""Installing an example plugin as pip would: its module and a ``.dist-info`` with its entry
point, in a site folder the test puts on ``sys.path``."""

from __future__ import annotations

import shutil
from pathlib import Path


def install_dist(site: Path, module: Path, group: str, name: str, target: str) -> Path:
    """Copy ``module`` into ``site`` with a dist-info declaring ``name = <module>:<target>``
    in the entry point ``group``; returns ``site``."""
    stem = module.stem
    dist = site / f"{stem}-1.0.dist-info"
    dist.mkdir(parents=True)
    shutil.copy(module, site / module.name)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {stem.replace('_', '-')}\n"
                                   "Version: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{group}]\n{name} = {stem}:{target}\n")
    return site
