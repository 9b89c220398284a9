"""End-to-end benchmark: map put and get of a short string and of the Person record, with 1 and 64 concurrent
tasks, against ONE real member, for hazelcast-aio compiled, hazelcast-aio pure (HAZELCAST_NO_EXTENSIONS=1) and the
official asyncio client 5.7.0 (``hazelcast.asyncio`` from .venv-official). Each client is its own process, started
once and connected throughout; the member is started once (full JIT: ``THROUGHPUT_JVM_OPTIONS``) and shared.

Scenario by scenario, the three clients take turns (in rotating order, ``--rounds`` times), so the figures of one
scenario are measured close together in time; each figure is the median of its rounds. A warm-up pass of every
client over every scenario comes first (the member's JIT warms up too). Printed: ops/s, the ratios to the official
client, client CPU time per operation (``time.process_time`` of the client process / operations) and, when this
script started the member, the member's CPU time per operation (``/proc/<pid>/stat``): on a small machine the member
shares the cores with the client, so its cost bounds what any client can reach.

A fourth process, the *floor* (``e2e_floor.py``), replays pre-encoded requests over one blocking socket with the same
number of requests in flight and only counts the responses: the ops/s that the member and the kernel allow on this
machine, an upper bound for any Python client (ours included).

Usage: python benchmarks/e2e.py [--seconds 1.5] [--warmup 0.3] [--rounds 3] [--member HOST:PORT --cluster-name N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import e2e_workload as w  # noqa: E402

from hazelcast.testing.members import THROUGHPUT_JVM_OPTIONS, HazelcastCluster  # noqa: E402

OFFICIAL_PYTHON = ROOT / ".venv-official" / "bin" / "python"
CLIENTS = ("compiled", "pure", "official", "floor")
Key = Tuple[str, str, int]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: Optional[int]) -> float:
    """User + system CPU seconds of process ``pid`` and its threads (Linux), or 0.0 when unknown."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


class ClientProcess:
    """One client in its own process, serving scenarios on request (e2e_workload.serve)."""

    def __init__(self, kind: str, cluster_name: str, member: str) -> None:
        args = [cluster_name, member, "-1", "0"]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "HAZELCAST_NO_EXTENSIONS")}
        if kind == "official":
            if not OFFICIAL_PYTHON.exists():
                raise SystemExit(f"{OFFICIAL_PYTHON} is missing: run scripts/setup_official_client.sh")
            cmd = [str(OFFICIAL_PYTHON), "-E", "-s", str(ROOT / "benchmarks" / "e2e_official.py"), *args]
        elif kind == "floor":
            env["PYTHONPATH"] = str(ROOT)
            cmd = [sys.executable, str(ROOT / "benchmarks" / "e2e_floor.py"), *args]
        else:
            env["PYTHONPATH"] = str(ROOT)
            env["HAZELCAST_NO_EXTENSIONS" if kind == "pure" else "HAZELCAST_REQUIRE_EXTENSIONS"] = "1"
            cmd = [sys.executable, str(ROOT / "benchmarks" / "e2e_client.py"), *args]
        self.kind = kind
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env, cwd=str(ROOT))
        ready = self._answer()
        expected = "python" if kind == "pure" else kind
        if ready.get("client") != expected:
            raise SystemExit(f"the {kind} client runs on {ready.get('client')!r}")

    def _answer(self) -> dict:
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit(f"the {self.kind} client died:\n{self.process.stderr.read()[-4000:]}")  # type: ignore
            if line.startswith("{"):
                return json.loads(line)

    def run(self, op: str, value: str, tasks: int, seconds: float, warmup: float) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{op} {value} {tasks} {seconds} {warmup}\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.5, help="measured seconds per scenario (default 1.5)")
    parser.add_argument("--warmup", type=float, default=0.3, help="warm-up seconds before each (default 0.3)")
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
    clients: Dict[str, ClientProcess] = {}
    samples: Dict[str, Dict[Key, List[Tuple[float, float, float]]]] = {c: {} for c in CLIENTS}
    member_pid = cluster.members[0].pid if cluster is not None else None
    try:
        for kind in CLIENTS:
            clients[kind] = ClientProcess(kind, cluster_name, member)
        print(f"member {member}; warm-up pass ...", file=sys.stderr, flush=True)
        for scenario in w.SCENARIOS:
            for kind in CLIENTS:
                clients[kind].run(*scenario, 0.5, 0.0)
        for index, scenario in enumerate(w.SCENARIOS):
            print(f"{' '.join(map(str, scenario))}: {args.rounds} rounds", file=sys.stderr, flush=True)
            for round_index in range(args.rounds):
                shift = (round_index + index) % len(CLIENTS)
                for kind in CLIENTS[shift:] + CLIENTS[:shift]:
                    if args.warmup > 0:
                        clients[kind].run(*scenario, args.warmup, 0.0)
                    before = process_cpu_seconds(member_pid)
                    r = clients[kind].run(*scenario, args.seconds, 0.0)
                    member_cpu = process_cpu_seconds(member_pid) - before
                    samples[kind].setdefault(scenario, []).append(
                        (r["ops"] / r["wall"], r["cpu"] / r["ops"] * 1e6, member_cpu / r["ops"] * 1e6)
                    )
    finally:
        for client in clients.values():
            client.close()
        if cluster is not None:
            cluster.shutdown()

    def median(kind: str, key: Key, index: int) -> float:
        return statistics.median(s[index] for s in samples[kind][key])

    print()
    print(f"One run, one member, each figure the median of {args.rounds} rounds of {args.seconds} s "
          f"(clients interleaved scenario by scenario).")
    print()
    print("| operation | tasks | compiled ops/s | pure ops/s | official ops/s | compiled / official | "
          "pure / official | floor ops/s | floor / official | client CPU µs/op: compiled | pure | official | floor | "
          "member CPU µs/op (compiled run) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in w.SCENARIOS:
        op, value, tasks = key
        c, p, o, f = (median(k, key, 0) for k in CLIENTS)
        cc, cp, co, cf = (median(k, key, 1) for k in CLIENTS)
        member = f"{median('compiled', key, 2):.1f}" if member_pid is not None else "n/a"
        print(f"| {op} {value} | {tasks} | {c:,.0f} | {p:,.0f} | {o:,.0f} | {c / o:.2f}x | {p / o:.2f}x | "
              f"{f:,.0f} | {f / o:.2f}x | {cc:.1f} | {cp:.1f} | {co:.1f} | {cf:.1f} | {member} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
