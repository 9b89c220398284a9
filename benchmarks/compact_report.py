"""The Person benchmark of the serialization issue, in one run: our compiled and pure backends, the official
hazelcast-python-client 5.7.0 (in .venv-official, a subprocess timed there with the same method), and msgpack
packb/unpackb of the same values as a dict. Prints a Markdown ratio table.

Usage (after ``scripts/setup_official_client.sh`` and a build WITHOUT line tracing, as ``scripts/run.sh`` does)::

    .venv/bin/python benchmarks/compact_report.py [rounds]

Timing (``benchmarks/timing.py``): each round calls the operation N times (N sized for ~20 ms), 25 rounds, the best
round is kept (timeit's method: the run least disturbed by other processes); garbage collection stays on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict

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


def measure_ours(codec: Any, serializer: bool, rounds: int) -> Dict[str, Any]:
    if serializer:
        service, obj = SerializationService([PersonSerializer(), AddressSerializer()], codec=codec), plain_person()
    else:
        service, obj = SerializationService(codec=codec), dataclass_person()
    to_data, to_object = service.to_data, service.to_object
    data = to_data(obj)
    assert to_object(data).address.zip_code == 10115
    return {"to_data": timing.measure(lambda: to_data(obj), rounds),
            "to_object": timing.measure(lambda: to_object(data), rounds),
            "round_trip": timing.measure(lambda: to_object(to_data(obj)), rounds),
            "bytes": data.buffer.hex()}


def measure_msgpack(rounds: int) -> Dict[str, Any]:
    value = person.as_dict()
    packed = msgpack.packb(value)
    pack, unpack = msgpack.packb, msgpack.unpackb
    return {"to_data": timing.measure(lambda: pack(value), rounds),
            "to_object": timing.measure(lambda: unpack(packed), rounds),
            "round_trip": timing.measure(lambda: unpack(pack(value)), rounds)}


def measure_official(rounds: int) -> Dict[str, Any]:
    if not OFFICIAL_PYTHON.exists():
        sys.exit(f"{OFFICIAL_PYTHON} is missing: run scripts/setup_official_client.sh first")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([str(OFFICIAL_PYTHON), "-E", "-s", str(ROOT / "benchmarks" / "official_bench.py"),
                           str(rounds)], capture_output=True, text=True, env=env, cwd=str(ROOT / "benchmarks"),
                          check=True)
    return json.loads(done.stdout)


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def main(argv: list) -> int:
    rounds = int(argv[0]) if argv else 25
    try:
        from hazelcast import _codec as compiled
    except ImportError:
        sys.exit("the compiled extension is not built: .venv/bin/python setup.py build_ext --inplace")
    results: Dict[str, Dict[str, Any]] = {}
    results["official client 5.7.0 (CompactSerializer)"] = measure_official(rounds)
    results["compiled, zero-config dataclass"] = measure_ours(compiled, False, rounds)
    results["compiled, CompactSerializer"] = measure_ours(compiled, True, rounds)
    results["pure Python, zero-config dataclass"] = measure_ours(_codec_py, False, rounds)
    results["pure Python, CompactSerializer"] = measure_ours(_codec_py, True, rounds)
    results["msgpack packb/unpackb (dict)"] = measure_msgpack(rounds)

    official = results["official client 5.7.0 (CompactSerializer)"]
    mp = results["msgpack packb/unpackb (dict)"]
    same = all(r["bytes"] == official["bytes"] for r in results.values() if "bytes" in r)
    best: Callable[[Dict[str, Any], str], float] = lambda r, op: r[op]["best"]  # noqa: E731
    print()
    print(f"Person record (10 fields + nested Address, 195-byte Data); best of {rounds} rounds per operation; "
          f"Python {sys.version.split()[0]}")
    print()
    print("| contender | to_data | to_object | round trip | official / this (round trip) "
          "| this / msgpack (round trip) |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        rt = best(r, "round_trip")
        print(f"| {name} | {fmt(best(r, 'to_data'))} | {fmt(best(r, 'to_object'))} | {fmt(rt)} "
              f"| {best(official, 'round_trip') / rt:.1f}x | {rt / best(mp, 'round_trip'):.2f}x |")
    print()
    print(f"All compact encodings byte-identical to the official client's: {'yes' if same else 'NO'}")
    compiled_rt = best(results["compiled, zero-config dataclass"], "round_trip")
    pure_rt = best(results["pure Python, zero-config dataclass"], "round_trip")
    print(f"Targets: compiled round trip {best(official, 'round_trip') / compiled_rt:.1f}x faster than the official "
          f"client (>= 25x), {compiled_rt / best(mp, 'round_trip'):.2f}x msgpack's time (<= 2x); pure Python "
          f"{best(official, 'round_trip') / pure_rt:.1f}x faster than the official client (>= 1.5x)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
