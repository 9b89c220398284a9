"""The phi accrual failure detector (Hayashibara et al.), as Akka and the Hazelcast member implement it.

Instead of a yes/no deadline, the detector keeps the recent inter-arrival times of heartbeats and expresses the
suspicion that the peer is dead as ``phi = -log10(1 - F(t))``, where ``t`` is the time since the last heartbeat
and ``F`` the normal CDF whose mean and standard deviation are estimated from the history (the mean is shifted
by an *acceptable pause*). A peer is alive while ``phi < threshold``.

All times are plain numbers in one unit of the caller's choosing (the client uses event-loop seconds); phi does
not depend on the unit as long as every argument uses the same one. The defaults are in seconds.

Reference: protocol.md §7.3 ([J:internal/cluster/fd/PhiAccrualFailureDetector.java], a port of Akka's
``PhiAccrualFailureDetector.scala``). Two deliberate differences from the Java port, both documented below:
a late heartbeat is judged against the *previous* heartbeat (as in Akka), and a rounding-negative variance is
clamped to zero instead of producing NaN.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Deque, Optional

__all__ = [
    "DEFAULT_ACCEPTABLE_HEARTBEAT_PAUSE",
    "DEFAULT_FIRST_HEARTBEAT_ESTIMATE",
    "DEFAULT_MAX_SAMPLE_SIZE",
    "DEFAULT_MIN_STD_DEVIATION",
    "DEFAULT_THRESHOLD",
    "HeartbeatHistory",
    "PhiAccrualFailureDetector",
    "phi",
]

DEFAULT_THRESHOLD = 10.0
"""``hazelcast.heartbeat.phiaccrual.failuredetector.threshold``."""
DEFAULT_MAX_SAMPLE_SIZE = 200
"""``hazelcast.heartbeat.phiaccrual.failuredetector.sample.size``."""
DEFAULT_MIN_STD_DEVIATION = 0.1
"""``hazelcast.heartbeat.phiaccrual.failuredetector.min.std.dev.millis`` (100 ms), in seconds."""
DEFAULT_ACCEPTABLE_HEARTBEAT_PAUSE = 60.0
"""The member uses ``hazelcast.max.no.heartbeat.seconds`` (60 s); the client's analogue is the heartbeat timeout."""
DEFAULT_FIRST_HEARTBEAT_ESTIMATE = 5.0
"""The member uses ``hazelcast.heartbeat.interval.seconds`` (5 s); the client's analogue is the heartbeat interval."""


class HeartbeatHistory:
    """The most recent ``max_sample_size`` heartbeat inter-arrival intervals, with their running sums.

    ``mean = sum / n`` and ``variance = sum_of_squares / n - mean**2`` (clamped at 0: with floating-point sums the
    difference can round to a tiny negative number, which would make the standard deviation NaN). The statistics
    are undefined for an empty history (:class:`ZeroDivisionError`); :class:`PhiAccrualFailureDetector` always
    bootstraps it with two samples.
    """

    __slots__ = ("_intervals", "_max_sample_size", "_squared_sum", "_sum")

    def __init__(self, max_sample_size: int) -> None:
        if isinstance(max_sample_size, bool) or not isinstance(max_sample_size, int):
            raise TypeError(f"max_sample_size must be an int, not {type(max_sample_size).__name__}")
        if max_sample_size < 1:
            raise ValueError(f"max_sample_size must be >= 1: {max_sample_size}")
        self._max_sample_size = max_sample_size
        self._intervals: Deque[float] = deque()
        self._sum = 0.0
        self._squared_sum = 0.0

    @property
    def max_sample_size(self) -> int:
        """The bound on the number of intervals kept."""
        return self._max_sample_size

    def __len__(self) -> int:
        return len(self._intervals)

    @property
    def intervals(self) -> tuple[float, ...]:
        """The intervals kept, oldest first."""
        return tuple(self._intervals)

    def add(self, interval: float) -> None:
        """Append ``interval``, dropping the oldest one first when the history is full."""
        if len(self._intervals) >= self._max_sample_size:
            dropped = self._intervals.popleft()
            self._sum -= dropped
            self._squared_sum -= dropped * dropped
        self._intervals.append(interval)
        self._sum += interval
        self._squared_sum += interval * interval

    def mean(self) -> float:
        """The mean of the intervals kept."""
        return self._sum / len(self._intervals)

    def variance(self) -> float:
        """The population variance of the intervals kept (never negative)."""
        mean = self.mean()
        return max(self._squared_sum / len(self._intervals) - mean * mean, 0.0)

    def std_deviation(self) -> float:
        """The square root of :meth:`variance`."""
        return math.sqrt(self.variance())


def phi(time_since_last_heartbeat: float, mean: float, std_deviation: float) -> float:
    """Suspicion level for ``time_since_last_heartbeat`` under N(``mean``, ``std_deviation``).

    Uses the logistic approximation of the normal CDF, ``F(y) = 1 / (1 + exp(-y * (1.5976 + 0.070566 * y**2)))``
    with ``y = (t - mean) / std_deviation``, and returns ``-log10(1 - F(y))``, computed as ``-log10(e / (1 + e))``
    when ``t > mean`` and as ``-log10(1 - 1 / (1 + e))`` otherwise (the two are equal in exact arithmetic; each
    form stays accurate on its side). ``mean`` here already includes the acceptable pause. Where the exponential
    leaves the float range the limits are returned: ``0.0`` far before the mean, ``inf`` far after it.
    """
    y = (time_since_last_heartbeat - mean) / std_deviation
    try:
        e = math.exp(-y * (1.5976 + 0.070566 * y * y))
    except OverflowError:  # y far below 0: F(y) == 0, nothing is suspicious
        return 0.0
    if time_since_last_heartbeat > mean:
        if e == 0.0:  # y far above 0: F(y) == 1
            return math.inf
        return -math.log10(e / (1.0 + e))
    return -math.log10(1.0 - 1.0 / (1.0 + e)) + 0.0  # + 0.0 turns -0.0 into 0.0


class PhiAccrualFailureDetector:
    """Phi accrual failure detector for one peer.

    :param threshold: the peer is alive while ``phi < threshold``. Low values detect crashes quickly but suspect
        healthy peers more often. Must be > 0.
    :param max_sample_size: how many inter-arrival intervals the mean and standard deviation are estimated from.
    :param min_std_deviation: floor of the standard deviation, so that very regular heartbeats do not make the
        detector hypersensitive to a small delay. Must be > 0.
    :param acceptable_heartbeat_pause: a pause (GC, network hiccup) that is tolerated: it is added to the mean.
        Must be >= 0.
    :param first_heartbeat_estimate: bootstraps the history with ``estimate - estimate/4`` and
        ``estimate + estimate/4``, so that a peer that sent one heartbeat and died is still detected. Must be > 0.

    Before the first :meth:`heartbeat`, :meth:`phi` is 0 and the peer counts as alive.
    """

    __slots__ = ("_acceptable_pause", "_history", "_last_heartbeat", "_min_std_deviation", "_threshold")

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        max_sample_size: int = DEFAULT_MAX_SAMPLE_SIZE,
        min_std_deviation: float = DEFAULT_MIN_STD_DEVIATION,
        acceptable_heartbeat_pause: float = DEFAULT_ACCEPTABLE_HEARTBEAT_PAUSE,
        first_heartbeat_estimate: float = DEFAULT_FIRST_HEARTBEAT_ESTIMATE,
    ) -> None:
        if not threshold > 0:
            raise ValueError(f"threshold must be > 0: {threshold}")
        if not min_std_deviation > 0:
            raise ValueError(f"min_std_deviation must be > 0: {min_std_deviation}")
        if not acceptable_heartbeat_pause >= 0:
            raise ValueError(f"acceptable_heartbeat_pause must be >= 0: {acceptable_heartbeat_pause}")
        if not first_heartbeat_estimate > 0:
            raise ValueError(f"first_heartbeat_estimate must be > 0: {first_heartbeat_estimate}")
        self._threshold = float(threshold)
        self._min_std_deviation = float(min_std_deviation)
        self._acceptable_pause = float(acceptable_heartbeat_pause)
        self._history = HeartbeatHistory(max_sample_size)
        self._last_heartbeat: Optional[float] = None
        spread = first_heartbeat_estimate / 4
        self._history.add(first_heartbeat_estimate - spread)
        self._history.add(first_heartbeat_estimate + spread)

    @property
    def threshold(self) -> float:
        """The phi value from which the peer counts as dead."""
        return self._threshold

    @property
    def history(self) -> HeartbeatHistory:
        """The inter-arrival history (read it, do not change it)."""
        return self._history

    @property
    def last_heartbeat(self) -> Optional[float]:
        """The timestamp of the last heartbeat, or ``None`` before the first one."""
        return self._last_heartbeat

    def heartbeat(self, timestamp: float) -> None:
        """Record a heartbeat that arrived at ``timestamp``.

        The interval since the previous heartbeat joins the history only if the peer was still alive when this
        heartbeat arrived, judged against the previous heartbeat (Akka's rule). A heartbeat that comes after the
        peer was already suspected therefore does not stretch the statistics. (The Java port sets the new
        timestamp before asking, which makes its check always pass.)
        """
        previous = self._last_heartbeat
        if previous is not None and self.is_alive(timestamp):
            self._history.add(timestamp - previous)
        self._last_heartbeat = timestamp

    def phi(self, timestamp: float) -> float:
        """The suspicion level at ``timestamp``: 0 before the first heartbeat, else :func:`phi` of the time since
        the last heartbeat, with mean ``history mean + acceptable pause`` and the floored standard deviation."""
        last = self._last_heartbeat
        if last is None:
            return 0.0
        std_deviation = max(self._history.std_deviation(), self._min_std_deviation)
        return phi(timestamp - last, self._history.mean() + self._acceptable_pause, std_deviation)

    def is_alive(self, timestamp: float) -> bool:
        """``phi(timestamp) < threshold``."""
        return self.phi(timestamp) < self._threshold
