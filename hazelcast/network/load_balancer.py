"""Load balancers: which live connection gets a request that has no partition or member target."""

from __future__ import annotations

import random
from typing import Optional, Sequence, TypeVar

T = TypeVar("T")


class LoadBalancer:
    """Base class: :meth:`next` picks one of the live connections it is given, or ``None`` when there is none."""

    def next(self, connections: Sequence[T]) -> Optional[T]:  # pragma: no cover - interface
        """Pick one of ``connections``."""
        raise NotImplementedError


class RoundRobinLoadBalancer(LoadBalancer):
    """Cycles through the connections in order (the default)."""

    def __init__(self) -> None:
        self._index = 0

    def next(self, connections: Sequence[T]) -> Optional[T]:
        """The connection after the one picked last time (wrapping around)."""
        if not connections:
            return None
        index = self._index % len(connections)
        self._index = index + 1
        return connections[index]


class RandomLoadBalancer(LoadBalancer):
    """Picks a connection uniformly at random."""

    def __init__(self, rng: Optional[random.Random] = None) -> None:
        self._random = rng or random.Random()

    def next(self, connections: Sequence[T]) -> Optional[T]:
        """A random connection."""
        if not connections:
            return None
        return connections[self._random.randrange(len(connections))]
