"""One timing method for every contender of the compact report (ours, msgpack, and the official client in its venv).

Imports nothing from ``hazelcast``: ``official_bench.py`` runs it under the official client's interpreter. Like
``timeit``, a round calls the function ``number`` times (chosen so that a round takes about ``ROUND_SECONDS``) and
the best round is kept, the one least disturbed by other processes. ``compact_report.py`` interleaves the rounds of
all contenders so that they are measured in the same time windows. Garbage collection stays on, as in real use.
"""

from __future__ import annotations

import time
from typing import Callable, Dict, List

ROUND_SECONDS = 0.02


def calibrate(fn: Callable[[], object], round_seconds: float = ROUND_SECONDS) -> int:
    """How many calls make a round of about ``round_seconds``."""
    fn()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= round_seconds / 4 or number >= 1 << 20:
            return max(1, int(number * round_seconds / max(elapsed, 1e-9)))
        number *= 4


def run_round(fn: Callable[[], object], number: int) -> float:
    """Seconds per call over one round of ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def summary(times: List[float]) -> Dict[str, float]:
    """``best`` (min) and ``median`` of per-call times of several rounds."""
    ordered = sorted(times)
    return {"best": ordered[0], "median": ordered[len(ordered) // 2], "rounds": len(ordered)}


def measure(fn: Callable[[], object], rounds: int = 25) -> Dict[str, float]:
    """Rounds of one function back to back (when there is nothing to interleave with)."""
    number = calibrate(fn)
    return summary([run_round(fn, number) for _ in range(rounds)])
