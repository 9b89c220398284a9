"""The Person benchmark of the serialization issue, in one run: our compiled and pure backends, the official
hazelcast-python-client 5.7.0 (in .venv-official, a subprocess timed there with the same method), and msgpack
packb/unpackb of the same values as a dict. Prints a Markdown ratio table.

Usage (after ``scripts/setup_official_client.sh`` and a build WITHOUT line tracing, as ``scripts/run.sh`` does)::

    .venv/bin/python benchmarks/compact_report.py [rounds]

Timing (``benchmarks/timing.py``): a round calls an operation N times (N sized for ~20 ms); the rounds of all
contenders are interleaved (25 each, the official client's run in its process as the report asks for them), and the
best round of each is kept (timeit's method: the least disturbed by other processes); garbage collection stays on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgpack  # noqa: E402

from benchmarks import person, timing  # noqa: E402
from benchmarks.compact_objects import (  # noqa: E402
    AddressSerializer,
    PersonSerializer,
    dataclass_person,
    plain_person,
)
from hazelcast import _codec_py  # noqa: E402
from hazelcast.serialization import SerializationService  # noqa: E402

OFFICIAL_PYTHON = ROOT / ".venv-official" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
OPS = ("to_data", "to_object", "round_trip")


class Contender:
    """One contender: its operations, the calls per round of each, and the per-call times of its rounds."""

    def __init__(self, name: str, operations: Dict[str, Callable[[], Any]], data: Optional[str] = None) -> None:
        self.name = name
        self.operations = operations
        self.numbers = {op: timing.calibrate(fn) for op, fn in operations.items()}
        self.times: Dict[str, List[float]] = {op: [] for op in OPS}
        self.data = data

    def run_round(self, op: str) -> None:
        self.times[op].append(timing.run_round(self.operations[op], self.numbers[op]))

    def best(self, op: str) -> float:
        return timing.summary(self.times[op])["best"]


class Official(Contender):
    """The official client, timed in its own process (.venv-official) by the same code."""

    def __init__(self) -> None:
        if not OFFICIAL_PYTHON.exists():
            sys.exit(f"{OFFICIAL_PYTHON} is missing: run scripts/setup_official_client.sh first")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        script = str(ROOT / "benchmarks" / "official_bench.py")
        self.process = subprocess.Popen([str(OFFICIAL_PYTHON), "-E", "-s", script], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env, cwd=str(ROOT / "benchmarks"))
        header = json.loads(self.process.stdout.readline())
        self.name = f"official client {header['version']} (CompactSerializer)"
        self.numbers = header["numbers"]
        self.times = {op: [] for op in OPS}
        self.data = header["bytes"]

    def run_round(self, op: str) -> None:
        self.process.stdin.write(op + "\n")
        self.process.stdin.flush()
        self.times[op].append(float(self.process.stdout.readline()))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def ours(name: str, codec: Any, serializer: bool) -> Contender:
    if serializer:
        service, obj = SerializationService([PersonSerializer(), AddressSerializer()], codec=codec), plain_person()
    else:
        service, obj = SerializationService(codec=codec), dataclass_person()
    to_data, to_object = service.to_data, service.to_object
    data = to_data(obj)
    assert to_object(data).address.zip_code == 10115
    return Contender(name, {"to_data": lambda: to_data(obj), "to_object": lambda: to_object(data),
                            "round_trip": lambda: to_object(to_data(obj))}, data.buffer.hex())


def with_msgpack() -> Contender:
    value = person.as_dict()
    packed = msgpack.packb(value)
    pack, unpack = msgpack.packb, msgpack.unpackb
    return Contender("msgpack packb/unpackb (dict)", {"to_data": lambda: pack(value),
                                                     "to_object": lambda: unpack(packed),
                                                     "round_trip": lambda: unpack(pack(value))})


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def main(argv: list) -> int:
    rounds = int(argv[0]) if argv else 25
    try:
        from hazelcast import _codec as compiled
    except ImportError:
        sys.exit("the compiled extension is not built: .venv/bin/python setup.py build_ext --inplace")
    official = Official()
    contenders = [official,
                  ours("compiled, zero-config dataclass", compiled, False),
                  ours("compiled, CompactSerializer", compiled, True),
                  ours("pure Python, zero-config dataclass", _codec_py, False),
                  ours("pure Python, CompactSerializer", _codec_py, True),
                  with_msgpack()]
    try:
        for _ in range(rounds):  # interleaved: every contender is measured in the same time windows
            for contender in contenders:
                for op in OPS:
                    contender.run_round(op)
    finally:
        official.close()
    mp = contenders[-1]
    same = all(c.data == official.data for c in contenders if c.data is not None)
    print()
    print(f"Person record (10 fields + nested Address, 195-byte Data); best of {rounds} interleaved rounds per "
          f"operation; Python {sys.version.split()[0]}")
    print()
    print("| contender | to_data | to_object | round trip | official / this (round trip) "
          "| this / msgpack (round trip) |")
    print("|---|---|---|---|---|---|")
    for c in contenders:
        rt = c.best("round_trip")
        print(f"| {c.name} | {fmt(c.best('to_data'))} | {fmt(c.best('to_object'))} | {fmt(rt)} "
              f"| {official.best('round_trip') / rt:.1f}x | {rt / mp.best('round_trip'):.2f}x |")
    print()
    print(f"All compact encodings byte-identical to the official client's: {'yes' if same else 'NO'}")
    compiled_rt = contenders[1].best("round_trip")
    pure_rt = contenders[3].best("round_trip")
    print(f"Targets: compiled round trip {official.best('round_trip') / compiled_rt:.1f}x faster than the official "
          f"client (>= 25x), {compiled_rt / mp.best('round_trip'):.2f}x msgpack's time (<= 2x); pure Python "
          f"{official.best('round_trip') / pure_rt:.1f}x faster than the official client (>= 1.5x)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
