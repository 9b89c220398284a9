"""Load balancers over live connections."""

import random

from hazelcast.network.load_balancer import RandomLoadBalancer, RoundRobinLoadBalancer


def test_round_robin_cycles_and_adapts_to_changes():
    lb = RoundRobinLoadBalancer()
    assert lb.next([]) is None
    assert [lb.next(["a", "b", "c"]) for _ in range(5)] == ["a", "b", "c", "a", "b"]
    assert [lb.next(["x", "y"]) for _ in range(3)] == ["x", "y", "x"]


def test_random_is_uniform_enough_and_seedable():
    lb = RandomLoadBalancer(random.Random(7))
    assert lb.next([]) is None
    picks = [lb.next(["a", "b", "c"]) for _ in range(300)]
    assert set(picks) == {"a", "b", "c"}
    assert all(picks.count(x) > 60 for x in "abc")
    again = RandomLoadBalancer(random.Random(7))
    assert [again.next(["a", "b", "c"]) for _ in range(300)] == picks
    assert RandomLoadBalancer().next(["only"]) == "only"
