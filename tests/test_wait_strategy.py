"""The connection retry backoff follows Java's WaitStrategy formula exactly (docs/protocol.md §8.3)."""

import random

import pytest

from hazelcast.config import ConnectionRetryConfig
from hazelcast.network.wait_strategy import WaitStrategy


class FakeTime:
    """A clock that only moves when the strategy sleeps (plus explicit ``advance``)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def java_sequence(initial, maximum, multiplier, jitter, timeout, randoms, passed_per_step):
    """An independent transcription of Java's WaitStrategy.sleep() in integer milliseconds."""
    current = min(maximum, initial)
    passed = 0
    out = []
    for r in randoms:
        if timeout >= 0 and passed > timeout:
            break
        actual = int(current + current * jitter * (2.0 * r - 1.0))
        if timeout >= 0:
            actual = min(actual, timeout - passed)
        out.append(actual)
        passed += actual + passed_per_step
        current = int(min(current * multiplier, maximum))
    return out


async def test_default_sequence_without_jitter():
    t = FakeTime()
    w = WaitStrategy(ConnectionRetryConfig(), clock=t.clock, sleep=t.sleep)
    for _ in range(8):
        assert await w.sleep()
    # 1000, then (int)(1000*1.05)=1050, (int)(1050*1.05)=1102, (int)(1102*1.05)=1157, ...
    assert w.delays == [1000, 1050, 1102, 1157, 1214, 1274, 1337, 1403]
    assert t.slept == [d / 1000 for d in w.delays]
    assert w.attempt == 8


async def test_growth_is_capped_by_max_backoff():
    t = FakeTime()
    w = WaitStrategy(ConnectionRetryConfig(0.1, 0.5, 2.0), clock=t.clock, sleep=t.sleep)
    for _ in range(6):
        await w.sleep()
    assert w.delays == [100, 200, 400, 500, 500, 500]
    assert w.current_backoff_ms == 500


async def test_initial_above_max_starts_at_max():
    t = FakeTime()
    w = WaitStrategy(ConnectionRetryConfig(5.0, 2.0, 1.5), clock=t.clock, sleep=t.sleep)
    await w.sleep()
    assert w.delays == [2000]


async def test_jitter_with_a_seeded_random_matches_java():
    t = FakeTime()
    rng = random.Random(1234)
    draws = random.Random(1234)
    randoms = [draws.random() for _ in range(10)]
    w = WaitStrategy(ConnectionRetryConfig(0.2, 3.0, 1.7, 0.5), random_source=rng.random, clock=t.clock, sleep=t.sleep)
    for _ in range(10):
        await w.sleep()
    assert w.delays == java_sequence(200, 3000, 1.7, 0.5, -1, randoms, 0)
    for d, base in zip(w.delays, [200, 340, 578, 982, 1669, 2837, 3000, 3000, 3000, 3000]):
        assert base * 0.5 <= d < base * 1.5


@pytest.mark.parametrize("r, expected", [(0.0, 500), (0.5, 1000), (0.999999, 1499)])
async def test_jitter_bounds(r, expected):
    t = FakeTime()
    w = WaitStrategy(ConnectionRetryConfig(1.0, 30.0, 1.05, 0.5), random_source=lambda: r, clock=t.clock, sleep=t.sleep)
    await w.sleep()
    assert w.delays == [expected]


async def test_cluster_connect_timeout_caps_and_ends_the_series():
    t = FakeTime()
    w = WaitStrategy(ConnectionRetryConfig(1.0, 30.0, 2.0, 0.0, 5.0), clock=t.clock, sleep=t.sleep)
    results = [await w.sleep() for _ in range(4)]
    # 1000 + 2000 = 3000 passed; next 4000 is capped to 5000 - 3000 = 2000; then passed == 5000 (not > 5000):
    # a sleep of min(8000, 0) = 0, as in Java
    assert w.delays == [1000, 2000, 2000, 0]
    assert results == [True, True, True, True]
    assert w.delays == java_sequence(1000, 30000, 2.0, 0.0, 5000, [0.5] * 4, 0)
    t.now += 0.001  # the next connection attempt took a millisecond: now passed > timeout
    assert not await w.sleep()
    assert w.attempt == 5 and len(w.delays) == 4


async def test_time_spent_connecting_counts_against_the_timeout():
    t = FakeTime()
    w = WaitStrategy(ConnectionRetryConfig(1.0, 30.0, 1.0, 0.0, 2.5), clock=t.clock, sleep=t.sleep)
    assert await w.sleep()
    t.now += 1.2  # a slow connection attempt
    assert await w.sleep()
    assert w.delays == [1000, 300]
    t.now += 0.5
    assert w.next_delay_ms() is None
    assert not await w.sleep()


async def test_reset_starts_over():
    t = FakeTime()
    w = WaitStrategy(ConnectionRetryConfig(1.0, 30.0, 2.0, 0.0, 3.0), clock=t.clock, sleep=t.sleep)
    await w.sleep()
    await w.sleep()
    t.now += 1
    assert not await w.sleep()
    w.reset()
    assert w.attempt == 0 and w.delays == [] and w.current_backoff_ms == 1000
    assert await w.sleep()
    assert w.delays == [1000]


def test_uses_the_module_random_by_default():
    w = WaitStrategy(ConnectionRetryConfig(jitter=1.0))
    d = w.next_delay_ms()
    assert d is not None and 0 <= d < 2000
