"""Writing a contract case's ``expected.json`` (``tests/fixtures/*/expect.py``)."""

from __future__ import annotations

import json


def dump(case: dict) -> str:
    """``case`` as JSON with one row per line (reviewable diffs)."""
    lines = ["{"]
    for i, (part, value) in enumerate(case.items()):
        end = "," if i < len(case) - 1 else ""
        if all(isinstance(v, list) for v in value.values()):
            lines.append(f" {json.dumps(part)}: {{")
            for j, (name, rows) in enumerate(value.items()):
                lines.append(f"  {json.dumps(name)}: [")
                lines += [f"   {json.dumps(r)}" + ("," if k < len(rows) - 1 else "")
                          for k, r in enumerate(rows)]
                lines.append("  ]" + ("," if j < len(value) - 1 else ""))
            lines.append(" }" + end)
        else:
            lines.append(f" {json.dumps(part)}: {json.dumps(value)}{end}")
    return "\n".join(lines + ["}"]) + "\n"
