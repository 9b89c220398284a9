"""The main job: write N Compact records to a Hazelcast map with some concurrency, read them back, verify them, and
report the throughput (and which backend did the work).

Without ``--cluster`` it starts a local member first (the pinned ``com.hazelcast:hazelcast`` jar of
:mod:`hazelcast.testing.members`; needs Java) and stops it at the end. ``python -m hazelcast.demo --help`` lists
the options. The exit status is 0 only when every record read back equals the one written.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import sys
import time
from typing import Annotated, Any, Callable, List, Optional, Sequence, TextIO

import hazelcast
from hazelcast.client import HazelcastClient
from hazelcast.serialization import FieldKind

__all__ = ["Order", "main", "make_order", "parse_args", "run"]

DEFAULT_RECORDS = 100_000
DEFAULT_CONCURRENCY = 64
DEFAULT_MAP = "demo-orders"


@dataclasses.dataclass
class Order:
    """The demo record: a zero-config Compact class (type name ``demo.Order``)."""

    __compact_type_name__ = "demo.Order"
    id: int
    customer: str
    amount: float
    quantity: Annotated[int, FieldKind.INT32]
    paid: bool
    items: List[str]


def make_order(i: int) -> Order:
    """The record with id ``i`` (deterministic, so reads can be verified)."""
    return Order(
        id=i,
        customer=f"customer-{i % 977}",
        amount=round((i % 10_000) * 1.25, 2),
        quantity=i % 50 + 1,
        paid=i % 3 == 0,
        items=[f"sku-{i % 101}", f"sku-{i % 89}"],
    )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The command line of ``python -m hazelcast.demo``."""
    parser = argparse.ArgumentParser(
        prog="python -m hazelcast.demo",
        description="Write N Compact records to a Hazelcast map with C concurrent tasks, read them back, verify "
        "them and print the throughput. Starts a local member (needs Java) unless --cluster names one.",
    )
    parser.add_argument("--cluster", action="append", metavar="HOST:PORT", default=[],
                        help="a member of an existing cluster (repeatable); no local member is started")
    parser.add_argument("--cluster-name", default=None,
                        help="the cluster name (default: 'dev' with --cluster, the local member's otherwise)")
    parser.add_argument("-n", "--records", type=int, default=DEFAULT_RECORDS,
                        help=f"records to write and read back (default {DEFAULT_RECORDS:,})")
    parser.add_argument("-c", "--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help=f"concurrent tasks issuing requests (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--map", default=DEFAULT_MAP, help=f"the map to use (default {DEFAULT_MAP!r})")
    parser.add_argument("--keep", action="store_true", help="keep the records (default: destroy the map at the end)")
    parser.add_argument("--no-progress", action="store_true", help="no progress indicator")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be >= 1")
    if args.concurrency < 1:
        parser.error("--concurrency must be >= 1")
    return args


class Progress:
    """A one-line progress indicator (``\\r`` updates on a terminal, a line per 10 % otherwise)."""

    def __init__(self, label: str, total: int, out: TextIO, enabled: bool) -> None:
        self._label = label
        self._total = total
        self._out = out
        self._enabled = enabled
        self._tty = out.isatty()
        self._start = time.perf_counter()
        self._last_shown = -1.0
        self._next_decile = 1

    def update(self, done: int) -> None:
        if not self._enabled:
            return
        now = time.perf_counter()
        if self._tty:
            if now - self._last_shown < 0.1 and done < self._total:
                return
            self._last_shown = now
            self._out.write("\r" + self._line(done, now))
            self._out.flush()
        elif done * 10 >= self._next_decile * self._total:
            while done * 10 >= self._next_decile * self._total:
                self._next_decile += 1
            self._out.write(self._line(done, now) + "\n")
            self._out.flush()

    def _line(self, done: int, now: float) -> str:
        width = 30
        filled = width * done // self._total
        rate = done / max(now - self._start, 1e-9)
        return (f"  {self._label:<6} [{'#' * filled}{'.' * (width - filled)}] {done:>{len(str(self._total))},}/"
                f"{self._total:,} {rate:>10,.0f} ops/s")

    def finish(self) -> None:
        if self._enabled and self._tty:
            self._out.write("\n")
            self._out.flush()


@dataclasses.dataclass
class PhaseResult:
    """What one phase measured."""

    name: str
    operations: int
    seconds: float
    cpu_seconds: float

    @property
    def ops_per_second(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else float("inf")

    @property
    def cpu_micros_per_op(self) -> float:
        return self.cpu_seconds / self.operations * 1e6


async def _phase(name: str, total: int, concurrency: int, operation: Callable[[int], Any], out: TextIO,
                 progress: bool) -> PhaseResult:
    indicator = Progress(name, total, out, progress)
    counter = itertools.count()
    done = 0

    async def worker() -> None:
        nonlocal done
        for i in counter:
            if i >= total:
                return
            await operation(i)
            done += 1
            if done % 256 == 0 or done == total:
                indicator.update(done)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, total))))
    result = PhaseResult(name, total, time.perf_counter() - wall, time.process_time() - cpu)
    indicator.update(total)
    indicator.finish()
    return result


async def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Run the demo with parsed ``args``; returns the exit status (0: every record verified)."""
    backend = "compiled (Cython extensions)" if hazelcast.BACKEND == "compiled" else "python (pure-Python twins)"
    out.write(f"hazelcast-aio {hazelcast.__version__}, backend: {backend}\n")
    cluster = None
    members: List[str] = list(args.cluster)
    cluster_name = args.cluster_name or "dev"
    if not members:
        from hazelcast.testing.members import HAZELCAST_VERSION, THROUGHPUT_JVM_OPTIONS, HazelcastCluster

        out.write(f"starting a local Hazelcast {HAZELCAST_VERSION} member (java) ... ")
        out.flush()
        started = time.perf_counter()
        cluster = HazelcastCluster(size=1, cluster_name=args.cluster_name, jvm_options=THROUGHPUT_JVM_OPTIONS)
        try:
            await asyncio.get_running_loop().run_in_executor(None, cluster.start)
        except BaseException:
            cluster.shutdown(keep_logs=True)
            raise
        members = cluster.addresses
        cluster_name = cluster.cluster_name
        out.write(f"ready at {members[0]} ({time.perf_counter() - started:.1f} s)\n")
    try:
        return await _workload(args, members, cluster_name, out)
    finally:
        if cluster is not None:
            cluster.shutdown()


async def _workload(args: argparse.Namespace, members: List[str], cluster_name: str, out: TextIO) -> int:
    async with HazelcastClient(cluster_members=members, cluster_name=cluster_name,
                               compact_serializers=[Order]) as client:
        count = len(client.cluster_service.get_members())
        out.write(f"connected to cluster {cluster_name!r} ({count} member{'s' if count != 1 else ''})\n")
        orders = await client.get_map(args.map)
        await orders.clear()
        total, concurrency, progress = args.records, args.concurrency, not args.no_progress
        out.write(f"writing {total:,} demo.Order records with {concurrency} concurrent tasks, then reading them "
                  f"back\n")
        write = await _phase("write", total, concurrency, lambda i: orders.set(i, make_order(i)), out, progress)
        mismatches: List[int] = []

        async def read(i: int) -> None:
            if await orders.get(i) != make_order(i):
                mismatches.append(i)

        read_phase = await _phase("read", total, concurrency, read, out, progress)
        size = await orders.size()
        if not args.keep:
            await orders.destroy()
    out.write("\n| phase | records | seconds | ops/s | client CPU per op |\n|---|---:|---:|---:|---:|\n")
    for phase in (write, read_phase):
        out.write(f"| {phase.name} | {phase.operations:,} | {phase.seconds:.2f} | {phase.ops_per_second:,.0f} | "
                  f"{phase.cpu_micros_per_op:.1f} µs |\n")
    out.write(f"\nbackend: {hazelcast.BACKEND}; map size after writing: {size:,}\n")
    if mismatches or size != total:
        out.write(f"FAILED: {len(mismatches)} records read back differ (first: {sorted(mismatches)[:5]}); "
                  f"expected {total:,} entries, found {size:,}\n")
        return 1
    out.write(f"verified {total:,} of {total:,} records: OK\n")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``python -m hazelcast.demo``."""
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
