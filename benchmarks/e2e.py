"""End-to-end benchmark: map put and get of a short string and of the Person record, with 1 and 64 concurrent
tasks, against ONE real member, for hazelcast-aio compiled, hazelcast-aio pure (HAZELCAST_NO_EXTENSIONS=1) and the
official asyncio client 5.7.0 (``hazelcast.asyncio`` from .venv-official). Each client runs in its own process;
the member is started once (full JIT: ``THROUGHPUT_JVM_OPTIONS``) and shared by all of them.

The clients take turns, ``--rounds`` times in rotating order (so none always runs first or on a colder member);
the figure of each client and scenario is the median of its rounds. Printed: ops/s, the ratios to the official
client, and client CPU time per operation (``time.process_time`` of the client process / operations).

Usage: python benchmarks/e2e.py [--seconds 1.5] [--warmup 0.5] [--rounds 3] [--member HOST:PORT --cluster-name N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hazelcast.testing.members import THROUGHPUT_JVM_OPTIONS, HazelcastCluster  # noqa: E402

OFFICIAL_PYTHON = ROOT / ".venv-official" / "bin" / "python"
CLIENTS = ("compiled", "pure", "official")
Key = Tuple[str, str, int]


def run_client(kind: str, cluster_name: str, member: str, seconds: float, warmup: float) -> dict:
    args = [cluster_name, member, str(seconds), str(warmup)]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "HAZELCAST_NO_EXTENSIONS")}
    if kind == "official":
        if not OFFICIAL_PYTHON.exists():
            raise SystemExit(f"{OFFICIAL_PYTHON} is missing: run scripts/setup_official_client.sh")
        cmd = [str(OFFICIAL_PYTHON), "-E", "-s", str(ROOT / "benchmarks" / "e2e_official.py"), *args]
    else:
        env["PYTHONPATH"] = str(ROOT)
        if kind == "pure":
            env["HAZELCAST_NO_EXTENSIONS"] = "1"
        else:
            env["HAZELCAST_REQUIRE_EXTENSIONS"] = "1"
        cmd = [sys.executable, str(ROOT / "benchmarks" / "e2e_client.py"), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"the {kind} client failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    report = json.loads(done.stdout)
    expected = "python" if kind == "pure" else kind
    if report["client"] != expected:
        raise SystemExit(f"the {kind} client ran on the {report['client']} backend")
    return report


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.5, help="measured seconds per scenario (default 1.5)")
    parser.add_argument("--warmup", type=float, default=0.5, help="warm-up seconds per scenario (default 0.5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every client (default 3)")
    parser.add_argument("--member", help="use this running member instead of starting one")
    parser.add_argument("--cluster-name", default="dev")
    args = parser.parse_args(argv)

    cluster = None
    if args.member:
        member, cluster_name = args.member, args.cluster_name
    else:
        cluster = HazelcastCluster(size=1, jvm_options=THROUGHPUT_JVM_OPTIONS)
        cluster.start()
        member, cluster_name = cluster.addresses[0], cluster.cluster_name
    try:
        print(f"member {member}; warming it up ...", file=sys.stderr, flush=True)
        run_client("compiled", cluster_name, member, args.seconds, args.warmup)  # the member's JIT warms up
        samples: Dict[str, Dict[Key, List[Tuple[float, float]]]] = {c: {} for c in CLIENTS}
        for round_index in range(args.rounds):
            order = CLIENTS[round_index % 3:] + CLIENTS[: round_index % 3]
            for kind in order:
                print(f"round {round_index + 1}/{args.rounds}: {kind}", file=sys.stderr, flush=True)
                for r in run_client(kind, cluster_name, member, args.seconds, args.warmup)["results"]:
                    key = (r["op"], r["value"], r["tasks"])
                    samples[kind].setdefault(key, []).append((r["ops"] / r["wall"], r["cpu"] / r["ops"] * 1e6))
    finally:
        if cluster is not None:
            cluster.shutdown()

    def median(kind: str, key: Key, index: int) -> float:
        return statistics.median(s[index] for s in samples[kind][key])

    print()
    print(f"One run, one member ({member}), median of {args.rounds} rounds of {args.seconds} s per scenario.")
    print()
    print("| operation | tasks | compiled ops/s | pure ops/s | official ops/s | compiled / official | "
          "pure / official | CPU µs/op compiled | pure | official |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in samples["official"]:
        op, value, tasks = key
        c, p, o = (median(k, key, 0) for k in CLIENTS)
        cc, cp, co = (median(k, key, 1) for k in CLIENTS)
        print(f"| {op} {value} | {tasks} | {c:,.0f} | {p:,.0f} | {o:,.0f} | {c / o:.2f}x | {p / o:.2f}x | "
              f"{cc:.1f} | {cp:.1f} | {co:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
