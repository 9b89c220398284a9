"""Runs the connection read-path benchmark once and prints each path's median relative to the fastest.

Usage: python benchmarks/read_path_ratios.py. All paths are measured side by side in the same run, on the backend
``hazelcast.BACKEND`` chose (build the extensions first for the compiled one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        cmd = [sys.executable, "-m", "pytest", "benchmarks/test_bench_read_path.py", "-q", "--benchmark-only",
               f"--benchmark-json={out}", "-p", "no:cacheprovider"]
        rc = subprocess.call(cmd, stdout=subprocess.DEVNULL)
        if rc != 0:
            return rc
        with open(out) as f:
            data = json.load(f)
    groups = defaultdict(dict)
    for b in data["benchmarks"]:
        groups[b["group"]][b["params"]["path"]] = b["stats"]["median"]
    print("| messages | streams | Protocol | BufferedProtocol |")
    print("|---|---|---|---|")
    for group in sorted(groups):
        medians = groups[group]
        best = min(medians.values())
        cells = [f"{medians[p] * 1e3:.2f} ms ({medians[p] / best:.2f}x)" for p in ("streams", "protocol", "buffered")]
        print(f"| {group} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
