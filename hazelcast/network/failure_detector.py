"""Failure detection for member connections: heartbeats, phi accrual and ICMP ping.

* :class:`HeartbeatManager` (protocol.md §7.1): every ``interval`` it asks a :class:`ConnectionFailureDetector`
  whether each live connection is still alive and closes the dead ones with reason ``"Heartbeat timed out"`` and a
  :class:`~hazelcast.errors.TargetDisconnectedError` cause; a connection that wrote nothing for ``interval`` gets
  a ping. The detector is :class:`DeadlineConnectionFailureDetector` (nothing read for ``timeout``: Java's and the
  official Python client's rule) or :class:`PhiAccrualConnectionFailureDetector` (the member-side phi accrual
  detector of §7.3, applied to what the client reads).
* :class:`IcmpPingManager` (§7.2): with :class:`IcmpPingConfig` ``enabled``, every ``interval`` it pings the host
  of each live connection; after ``max_attempts`` consecutive failures (:class:`PingFailureDetector`) that host's
  connections are closed with ``"ICMP ping time out"``. The echo itself is :class:`hazelcast.network.icmp.IcmpPinger`.

Both managers only see connections through :class:`MonitoredConnection`; the connection manager gives them a
callable returning its live connections. :func:`_calculate_checksum` is the RFC 1071 checksum of ICMP echo
packets, from the compiled backend when present.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import inspect
import logging
import math
import numbers
from dataclasses import dataclass
from typing import (
    Any,
    Awaitable,
    Callable,
    Collection,
    Dict,
    Generic,
    Hashable,
    Iterable,
    List,
    Optional,
    Protocol,
    Set,
    Tuple,
    TypeVar,
)

from hazelcast.errors import TargetDisconnectedError
from hazelcast.network.icmp import IcmpNotAvailableError, IcmpPinger, _calculate_checksum
from hazelcast.network.phi_accrual import (
    DEFAULT_MAX_SAMPLE_SIZE,
    DEFAULT_MIN_STD_DEVIATION,
    DEFAULT_THRESHOLD,
    HeartbeatHistory,
    PhiAccrualFailureDetector,
)

__all__ = [
    "ConnectionFailureDetector",
    "DeadlineConnectionFailureDetector",
    "HeartbeatHistory",
    "HeartbeatManager",
    "IcmpPingConfig",
    "IcmpPingManager",
    "MonitoredConnection",
    "PhiAccrualConnectionFailureDetector",
    "PhiAccrualFailureDetector",
    "PingFailureDetector",
    "_calculate_checksum",
]

_logger = logging.getLogger(__name__)

DEFAULT_HEARTBEAT_INTERVAL = 5.0
"""``hazelcast.client.heartbeat.interval`` (5000 ms), in seconds."""
DEFAULT_HEARTBEAT_TIMEOUT = 60.0
"""``hazelcast.client.heartbeat.timeout`` (60000 ms), in seconds."""
HEARTBEAT_TIMEOUT_REASON = "Heartbeat timed out"
ICMP_TIMEOUT_REASON = "ICMP ping time out"
MIN_ICMP_INTERVAL = 1.0
"""Java's ``ClientICMPManager`` refuses ICMP intervals below one second."""


class HasHost(Protocol):
    """Anything with a ``host`` (an IP literal or a name): the connection's remote address."""

    @property
    def host(self) -> str: ...


class MonitoredConnection(Protocol):
    """What the failure detectors need from a connection (``hazelcast.network.connection.Connection``).

    Times are event-loop seconds (``loop.time()``); a new connection must start with both times set to its
    connect time, or it would look idle since the epoch (the official client's py#59). Connections are told
    apart by identity.
    """

    @property
    def last_read_time(self) -> float:
        """When bytes were last received."""

    @property
    def last_write_time(self) -> float:
        """When bytes were last sent."""

    @property
    def remote_address(self) -> Optional[HasHost]:
        """The member address this connection talks to (``None`` while unknown)."""

    @property
    def is_alive(self) -> bool:
        """``False`` once the connection is closing or closed."""

    async def close(self, reason: str, cause: Optional[BaseException]) -> None:
        """Close the connection (idempotent), recording why."""


C = TypeVar("C", bound=MonitoredConnection)
"""The connection type a manager watches (the client's ``Connection``)."""


class ConnectionFailureDetector(Protocol):
    """Decides, at each heartbeat round, whether a connection is still alive."""

    def is_alive(self, connection: MonitoredConnection, now: float) -> bool:
        """Whether ``connection`` counts as alive at ``now`` (loop seconds)."""

    def retain(self, connections: Collection[MonitoredConnection]) -> None:
        """Forget every connection not in ``connections`` (the live ones of this round)."""


class DeadlineConnectionFailureDetector:
    """A connection is alive while it read something within the last ``timeout`` seconds: Java's client rule
    (``now - lastReadTime > timeout`` means dead)."""

    def __init__(self, timeout: float = DEFAULT_HEARTBEAT_TIMEOUT) -> None:
        self.timeout = _positive_seconds("timeout", timeout)

    def is_alive(self, connection: MonitoredConnection, now: float) -> bool:
        """``now - connection.last_read_time <= timeout``."""
        return now - connection.last_read_time <= self.timeout

    def retain(self, connections: Collection[MonitoredConnection]) -> None:
        """Nothing to forget: this detector keeps no state."""


class PhiAccrualConnectionFailureDetector:
    """The phi accrual detector (protocol.md §7.3) applied to client connections: one
    :class:`PhiAccrualFailureDetector` per connection, fed with the connection's ``last_read_time`` each time it
    has advanced since the previous round (every read counts as a heartbeat; the manager's pings keep idle
    connections reading about once per heartbeat interval).

    The parameters are those of :class:`PhiAccrualFailureDetector`, in seconds. Defaults: threshold 10, 200
    samples, 100 ms minimum standard deviation, and the client's heartbeat timeout (60 s) and interval (5 s) as
    acceptable pause and first estimate, the analogues of what the member uses. A smaller acceptable pause
    detects a silent member sooner: phi passes the threshold roughly ``mean interval + acceptable pause`` plus a
    few standard deviations after the last read.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        max_sample_size: int = DEFAULT_MAX_SAMPLE_SIZE,
        min_std_deviation: float = DEFAULT_MIN_STD_DEVIATION,
        acceptable_heartbeat_pause: float = DEFAULT_HEARTBEAT_TIMEOUT,
        first_heartbeat_estimate: float = DEFAULT_HEARTBEAT_INTERVAL,
    ) -> None:
        self._parameters = (threshold, max_sample_size, min_std_deviation, acceptable_heartbeat_pause,
                            first_heartbeat_estimate)
        PhiAccrualFailureDetector(*self._parameters)  # validate now, not at the first connection
        self._detectors: Dict[int, Tuple[MonitoredConnection, PhiAccrualFailureDetector]] = {}

    def detector(self, connection: MonitoredConnection) -> PhiAccrualFailureDetector:
        """The detector of ``connection``, after recording its latest read as a heartbeat."""
        entry = self._detectors.get(id(connection))
        if entry is None:
            entry = self._detectors[id(connection)] = (connection, PhiAccrualFailureDetector(*self._parameters))
        detector = entry[1]
        last_read = connection.last_read_time
        last_heartbeat = detector.last_heartbeat
        if last_heartbeat is None or last_read > last_heartbeat:
            detector.heartbeat(last_read)
        return detector

    def phi(self, connection: MonitoredConnection, now: float) -> float:
        """The suspicion level of ``connection`` at ``now``."""
        return self.detector(connection).phi(now)

    def is_alive(self, connection: MonitoredConnection, now: float) -> bool:
        """``phi < threshold``."""
        return self.detector(connection).is_alive(now)

    def retain(self, connections: Collection[MonitoredConnection]) -> None:
        """Drop the detectors of connections that are gone."""
        keep = {id(connection) for connection in connections}
        for key in [key for key in self._detectors if key not in keep]:
            del self._detectors[key]


def _positive_seconds(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number of seconds: {value!r}")
    return float(value)


class _PeriodicCheck(abc.ABC, Generic[C]):
    """Runs :meth:`check_connections` every ``interval`` seconds on the event loop, between :meth:`start` and
    :meth:`shutdown`. A round that fails is logged and the next one runs as planned. Work a round starts but
    does not finish (closes, pings) is tracked, so that :meth:`shutdown` leaves nothing behind."""

    def __init__(self, connections: Callable[[], Iterable[C]], interval: float) -> None:
        self._connections = connections
        self._interval = interval
        self._task: Optional[asyncio.Task[None]] = None
        self._background: Set[asyncio.Future[Any]] = set()

    @property
    def interval(self) -> float:
        """Seconds between the starts of two rounds."""
        return self._interval

    @property
    def running(self) -> bool:
        """Whether the periodic task runs."""
        return self._task is not None

    def start(self) -> None:
        """Start the periodic checks (the first round runs one interval from now). Call it on the loop; a second
        call while running does nothing."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=type(self).__name__)

    async def shutdown(self) -> None:
        """Stop the periodic checks, cancel what a round left running (closes, pings) and wait until all of it
        has finished. Idempotent. It may be called from a close a round started (e.g. the last connection gone
        shuts the client down): that close is neither cancelled nor waited for."""
        task, self._task = self._task, None
        current = asyncio.current_task()
        if task is not None and task is not current:
            task.cancel()
            await asyncio.wait([task])
        leftovers = [future for future in self._background if future is not current]
        for future in leftovers:
            future.cancel()
        if leftovers:
            await asyncio.wait(leftovers)

    @abc.abstractmethod
    async def check_connections(self) -> None:
        """One round over the live connections."""

    def _live_connections(self) -> List[C]:
        return [connection for connection in self._connections() if connection.is_alive]

    def _track(self, future: "asyncio.Future[Any]") -> None:
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    async def _close(self, connections: Iterable[C], reason: str, cause: Callable[[C], BaseException]) -> None:
        """Close ``connections``, each in its own task, and wait for them at most one interval: a close that
        hangs (e.g. flushing to a dead peer) must not stall the next rounds. A close that fails is logged."""
        tasks = [asyncio.ensure_future(_close_logged(c, reason, cause(c))) for c in connections]
        for task in tasks:
            self._track(task)
        if tasks:
            await asyncio.wait(tasks, timeout=self._interval)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._interval
        while self._task is asyncio.current_task():
            await asyncio.sleep(delay)
            started = loop.time()
            try:
                await self.check_connections()
            except Exception:
                _logger.exception("%s: a check round failed", type(self).__name__)
            delay = max(0.0, self._interval - (loop.time() - started))


async def _close_logged(connection: MonitoredConnection, reason: str, cause: BaseException) -> None:
    try:
        await connection.close(reason, cause)
    except Exception:
        _logger.exception("closing %r (%s) failed", connection, reason)


class HeartbeatManager(_PeriodicCheck[C]):
    """Keeps connections honest (protocol.md §7.1).

    Every ``interval`` seconds, for each connection returned by ``connections()`` that is alive:

    * if ``failure_detector`` says it is dead (by default: nothing read for more than ``timeout`` seconds), it is
      closed with reason ``"Heartbeat timed out"`` and a :class:`TargetDisconnectedError` cause;
    * else, if nothing was written for more than ``interval`` seconds, ``send_ping(connection)`` is called.

    Unlike Java's loop, which stops the round at the first closed or timed-out connection, every connection is
    checked in every round.

    :param connections: returns the connections to watch (e.g. the connection manager's live connections).
    :param send_ping: sends a ``Client.Ping`` bound to the connection. If it returns an awaitable (a coroutine or
        the response future), that is run as a future the round does not wait for; its errors are logged at debug
        level and dropped, and :meth:`shutdown` cancels the ones still pending.
    :param interval: seconds between rounds, and the idle time after which a ping is sent (default 5).
    :param timeout: seconds without a read after which a connection is dead (default 60). Give either this or
        ``failure_detector``.
    :param failure_detector: the rule deciding whether a connection is dead, e.g.
        :class:`PhiAccrualConnectionFailureDetector`.
    :param clock: returns "now" in the connections' time base (default: the running loop's ``time``).
    """

    def __init__(
        self,
        connections: Callable[[], Iterable[C]],
        send_ping: Callable[[C], Optional[Awaitable[Any]]],
        *,
        interval: float = DEFAULT_HEARTBEAT_INTERVAL,
        timeout: Optional[float] = None,
        failure_detector: Optional[ConnectionFailureDetector] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(connections, _positive_seconds("interval", interval))
        if failure_detector is None:
            failure_detector = DeadlineConnectionFailureDetector(
                DEFAULT_HEARTBEAT_TIMEOUT if timeout is None else timeout
            )
        elif timeout is not None:
            raise ValueError("give either timeout or failure_detector, not both")
        self._send_ping = send_ping
        self._failure_detector = failure_detector
        self._clock = clock

    @property
    def failure_detector(self) -> ConnectionFailureDetector:
        """The rule deciding whether a connection is dead."""
        return self._failure_detector

    async def check_connections(self) -> None:
        """One round: decide for every live connection, send the pings, and close the dead connections
        (concurrently; returns when they are closed, or after one interval if a close hangs)."""
        now = (self._clock or asyncio.get_running_loop().time)()
        connections = self._live_connections()
        self._failure_detector.retain(connections)
        dead = []
        for connection in connections:
            if not self._failure_detector.is_alive(connection, now):
                _logger.warning("Heartbeat failed over the connection: %r", connection)
                dead.append(connection)
            elif now - connection.last_write_time > self._interval:
                self._ping(connection)
        await self._close(
            dead,
            HEARTBEAT_TIMEOUT_REASON,
            lambda c: TargetDisconnectedError(
                f"Heartbeat timed out to connection {c!r}: nothing read for {now - c.last_read_time:.3f} s"
            ),
        )

    def _ping(self, connection: C) -> None:
        try:
            result = self._send_ping(connection)
        except Exception:
            _logger.exception("sending a heartbeat ping over %r failed", connection)
            return
        if inspect.isawaitable(result):
            pending = asyncio.ensure_future(result)
            self._track(pending)
            pending.add_done_callback(functools.partial(self._ping_done, connection))

    @staticmethod
    def _ping_done(connection: C, pending: "asyncio.Future[Any]") -> None:
        if not pending.cancelled() and pending.exception() is not None:
            # the connection's fate is the detector's call, not the ping's
            _logger.debug("heartbeat ping over %r failed: %r", connection, pending.exception())


@dataclass(frozen=True)
class IcmpPingConfig:
    """ICMP ping failure detection, as Java's ``ClientIcmpPingConfig`` (protocol.md §7.2), in seconds.

    Every ``interval`` the host of each connection gets an echo request that must be answered within
    ``timeout``; after ``max_attempts`` consecutive unanswered ones, the host's connections are closed. A dead
    host is therefore noticed about ``max_attempts * interval`` seconds after it stopped answering.

    :param enabled: off by default.
    :param timeout: seconds to wait for each reply (default 1); must not exceed ``interval``.
    :param interval: seconds between two pings of a host (default 1, the minimum).
    :param ttl: IPv4 time-to-live / IPv6 hop limit (default 255, 1..255).
    :param max_attempts: consecutive failures before the host counts as dead (default 2, >= 1).
    :param echo_fail_fast_on_startup: when ICMP cannot be used here, starting fails with
        :class:`~hazelcast.network.icmp.IcmpNotAvailableError` instead of running without ICMP (default on).
    :raises ValueError: invalid values (the timeout above the interval and an interval below one second, as in
        Java, and out-of-range numbers). :raises TypeError: values of the wrong type.
    """

    enabled: bool = False
    timeout: float = 1.0
    interval: float = 1.0
    ttl: int = 255
    max_attempts: int = 2
    echo_fail_fast_on_startup: bool = True

    def __post_init__(self) -> None:
        for name in ("enabled", "echo_fail_fast_on_startup"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool, not {type(getattr(self, name)).__name__}")
        _positive_seconds("timeout", self.timeout)
        _positive_seconds("interval", self.interval)
        for name in ("ttl", "max_attempts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        if self.timeout > self.interval:
            raise ValueError(
                f"ICMP timeout ({self.timeout} s) is greater than the ICMP interval ({self.interval} s); "
                "this is not allowed"
            )
        if self.interval < MIN_ICMP_INTERVAL:
            raise ValueError(f"ICMP interval ({self.interval} s) is less than the minimum, {MIN_ICMP_INTERVAL} s")
        if not 1 <= self.ttl <= 255:
            raise ValueError(f"ttl must be in 1..255: {self.ttl}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1: {self.max_attempts}")


E = TypeVar("E", bound=Hashable)


class PingFailureDetector(Generic[E]):
    """Counts consecutive failed pings per endpoint; an endpoint is dead after ``max_attempts`` of them
    (Java's ``PingFailureDetector``). An endpoint never seen counts as alive."""

    def __init__(self, max_attempts: int) -> None:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be an int >= 1: {max_attempts!r}")
        self._max_attempts = max_attempts
        self._attempts: Dict[E, int] = {}

    def heartbeat(self, endpoint: E) -> None:
        """A ping succeeded: the failure count goes back to 0."""
        self._attempts[endpoint] = 0

    def log_attempt(self, endpoint: E) -> None:
        """A ping failed."""
        self._attempts[endpoint] = self._attempts.get(endpoint, 0) + 1

    def attempts(self, endpoint: E) -> int:
        """Consecutive failures of ``endpoint``."""
        return self._attempts.get(endpoint, 0)

    def is_alive(self, endpoint: E) -> bool:
        """Fewer than ``max_attempts`` consecutive failures."""
        return self.attempts(endpoint) < self._max_attempts

    def remove(self, endpoint: E) -> None:
        """Forget ``endpoint``."""
        self._attempts.pop(endpoint, None)

    def retain(self, endpoints: Collection[E]) -> None:
        """Forget every endpoint not in ``endpoints``."""
        for endpoint in [e for e in self._attempts if e not in endpoints]:
            del self._attempts[endpoint]

    def reset(self) -> None:
        """Forget every endpoint."""
        self._attempts.clear()


def _host_of(connection: MonitoredConnection) -> Optional[str]:
    address = connection.remote_address
    return None if address is None else address.host


class IcmpPingManager(_PeriodicCheck[C]):
    """Pings the host of every live connection and closes the connections of hosts that stop answering
    (Java's ``ClientICMPManager``, protocol.md §7.2).

    Every ``config.interval`` each distinct host (``connection.remote_address.host``) gets one echo request, all
    hosts concurrently. A reply resets the host's failure count; after ``config.max_attempts`` consecutive failures
    every live connection to that host is closed with reason ``"ICMP ping time out"`` and a
    :class:`TargetDisconnectedError` cause, and the count starts over. Unlike Java, which counts per connection,
    failures count per host, so several connections to one machine cost one ping.

    :param config: the :class:`IcmpPingConfig`; with ``enabled=False`` :meth:`start` does nothing.
    :param connections: returns the connections to watch.
    :param pinger: the :class:`IcmpPinger` to use; by default one is made with ``config.ttl`` (and closed by
        :meth:`shutdown`).
    """

    def __init__(
        self,
        config: IcmpPingConfig,
        connections: Callable[[], Iterable[C]],
        *,
        pinger: Optional[IcmpPinger] = None,
    ) -> None:
        super().__init__(connections, config.interval)
        self._config = config
        self._owns_pinger = pinger is None
        self._pinger = IcmpPinger(ttl=config.ttl) if pinger is None else pinger
        self._failure_detector: PingFailureDetector[str] = PingFailureDetector(config.max_attempts)

    @property
    def config(self) -> IcmpPingConfig:
        """The configuration."""
        return self._config

    @property
    def failure_detector(self) -> PingFailureDetector[str]:
        """The failure counts per host."""
        return self._failure_detector

    def start(self) -> None:
        """Start pinging, if enabled. ICMP is probed first (the IPv4 socket is opened).

        :raises IcmpNotAvailableError: ICMP cannot be used here and ``echo_fail_fast_on_startup`` is set. Without
            it, a warning is logged and the manager stays stopped.
        """
        if not self._config.enabled or self.running:
            return
        try:
            mode = self._pinger.open()
        except IcmpNotAvailableError as e:
            if self._config.echo_fail_fast_on_startup:
                raise IcmpNotAvailableError(
                    f"ICMP failure detector can't be used in this environment: {e}. Run with CAP_NET_RAW, or "
                    "allow unprivileged ICMP sockets for this group with sysctl net.ipv4.ping_group_range, or "
                    "disable echo_fail_fast_on_startup to run without ICMP"
                ) from e
            _logger.warning("ICMP failure detector disabled: %s", e)
            return
        _logger.info("ICMP failure detector enabled (%s sockets)", mode.value)
        super().start()

    async def shutdown(self) -> None:
        """Stop pinging, as :meth:`_PeriodicCheck.shutdown`, and close the pinger this manager made. Idempotent."""
        await super().shutdown()
        if self._owns_pinger:
            self._pinger.close()

    async def check_connections(self) -> None:
        """One round: ping every host once, concurrently, and close the connections of hosts found dead.
        Returns when every ping of the round has finished (each takes at most ``config.timeout``)."""
        hosts = {host for host in map(_host_of, self._live_connections()) if host is not None}
        self._failure_detector.retain(hosts)
        await asyncio.gather(*(self._ping_host(host) for host in hosts))

    async def _ping_host(self, host: str) -> None:
        try:
            answered = await self._pinger.ping(host, self._config.timeout)
        except IcmpNotAvailableError as e:  # not evidence against the host
            _logger.warning("cannot ping %s: %s", host, e)
            return
        if answered:
            self._failure_detector.heartbeat(host)
            return
        self._failure_detector.log_attempt(host)
        _logger.warning("Could not ping %s (%d consecutive failures)", host, self._failure_detector.attempts(host))
        if self._failure_detector.is_alive(host):
            return
        self._failure_detector.remove(host)
        doomed = [c for c in self._live_connections() if _host_of(c) == host]
        await self._close(
            doomed, ICMP_TIMEOUT_REASON, lambda c: TargetDisconnectedError(f"ICMP ping time out to connection {c!r}")
        )
