"""Runs the benchmarks once and prints compiled-vs-pure ratios as a Markdown table.

Usage: python benchmarks/report.py [extra pytest args]. Both backends are measured in the same run; a ratio is
pure median time / compiled median time (higher is better for the compiled backend).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict


def main(argv: list) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        cmd = [sys.executable, "-m", "pytest", "benchmarks/", "-q", "--benchmark-only", f"--benchmark-json={out}",
               "-p", "no:cacheprovider", *argv]
        rc = subprocess.call(cmd)
        if rc != 0:
            return rc
        with open(out) as f:
            data = json.load(f)
    groups = defaultdict(dict)
    extra = {}
    for b in data["benchmarks"]:
        name = b["name"]
        base, _, params = name.partition("[")
        params = params.rstrip("]").split("-")
        backend = "compiled" if "compiled" in params else "python"
        rest = "-".join(p for p in params if p not in ("compiled", "python"))
        key = base + (f"[{rest}]" if rest else "")
        groups[key][backend] = b["stats"]["median"]
        extra[key] = b.get("extra_info", {})
    print()
    print("| benchmark | compiled (median) | pure (median) | pure / compiled | compiled throughput |")
    print("|---|---|---|---|---|")
    for key in sorted(groups):
        c, p = groups[key].get("compiled"), groups[key].get("python")
        if c is None or p is None:
            continue
        nbytes = extra[key].get("bytes")
        tput = f"{nbytes / c / 1e9:.2f} GB/s" if nbytes else ""
        print(f"| {key} | {fmt(c)} | {fmt(p)} | {p / c:.1f}x | {tput} |")
    return 0


def fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} µs"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
