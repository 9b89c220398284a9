"""The backoff between attempts to connect to the cluster: Java's ``WaitStrategy`` (``docs/protocol.md`` §8.3).

Computed in whole milliseconds exactly as Java does::

    reset(): attempt = 0; begin = now; current = min(max_backoff, initial_backoff)
    sleep(): attempt += 1; passed = now - begin
             if passed > cluster_connect_timeout: return False
             delay = (long)(current + current * jitter * (2 * random() - 1))
             delay = min(delay, cluster_connect_timeout - passed)
             sleep(delay); current = (int) min(current * multiplier, max_backoff); return True

A negative ``cluster_connect_timeout`` means infinite. The random source, the clock and the sleep are injectable so
that tests can pin the exact delay sequence.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Awaitable, Callable, List, Optional

from hazelcast.config import ConnectionRetryConfig

_INFINITE_MS = (1 << 63) - 1


class WaitStrategy:
    """Exponential backoff with jitter, bounded by the cluster connect timeout."""

    def __init__(
        self,
        config: ConnectionRetryConfig,
        *,
        random_source: Optional[Callable[[], float]] = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._initial = int(config.initial_backoff * 1000)
        self._max = int(config.max_backoff * 1000)
        self._multiplier = config.multiplier
        self._jitter = config.jitter
        timeout = config.cluster_connect_timeout
        self._timeout = _INFINITE_MS if timeout < 0 else int(timeout * 1000)
        self._random = random_source or random.random
        self._clock = clock
        self._sleep = sleep
        self.attempt = 0
        """Calls of :meth:`sleep` since :meth:`reset`."""
        self.delays: List[int] = []
        """Delays (ms) slept since :meth:`reset`, for logs and tests."""
        self._current = 0
        self._begin = 0
        self.reset()

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def reset(self) -> None:
        """Start a new series of attempts (after a successful connection, or a new disconnect)."""
        self.attempt = 0
        self.delays = []
        self._begin = self._now_ms()
        self._current = min(self._max, self._initial)

    @property
    def current_backoff_ms(self) -> int:
        """The backoff the next :meth:`sleep` is centred on."""
        return self._current

    def next_delay_ms(self) -> Optional[int]:
        """The delay the next :meth:`sleep` would use (drawing a random number), or ``None`` if the cluster connect
        timeout has passed."""
        passed = self._now_ms() - self._begin
        if passed > self._timeout:
            return None
        current = self._current
        delay = int(current + current * self._jitter * (2.0 * self._random() - 1.0))
        return min(delay, self._timeout - passed)

    async def sleep(self) -> bool:
        """Sleep for the next backoff and grow it; ``False`` (without sleeping) once the timeout has passed."""
        self.attempt += 1
        delay = self.next_delay_ms()
        if delay is None:
            return False
        self.delays.append(delay)
        await self._sleep(delay / 1000.0)
        self._current = int(min(self._current * self._multiplier, self._max))
        return True
