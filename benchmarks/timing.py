"""One timing method for every contender of the compact report (ours, msgpack, and the official client in its venv).

Imports nothing from ``hazelcast``: ``official_bench.py`` runs it under the official client's interpreter. Like
``timeit``, each round calls the function ``number`` times and the best round is kept (the least disturbed by other
processes); the number is chosen so that a round takes about ``round_seconds``.
"""

from __future__ import annotations

import gc
import time
from typing import Callable, Dict


def calibrate(fn: Callable[[], object], round_seconds: float) -> int:
    """How many calls make a round of about ``round_seconds``."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= round_seconds / 4 or number >= 1 << 20:
            return max(1, int(number * round_seconds / max(elapsed, 1e-9)))
        number *= 4


def measure(fn: Callable[[], object], rounds: int = 25, round_seconds: float = 0.02) -> Dict[str, float]:
    """Per-call seconds: ``best`` (min over rounds) and ``median``; garbage collection stays on, as in real use."""
    fn()
    number = calibrate(fn, round_seconds)
    results = []
    gc.collect()
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        results.append((time.perf_counter() - start) / number)
    results.sort()
    return {"best": results[0], "median": results[len(results) // 2], "number": number, "rounds": rounds}
