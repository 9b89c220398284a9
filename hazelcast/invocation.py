"""Invocations: one request to the cluster, its routing, retries, deadline, response, events and backup acks.

:class:`InvocationService` owns every pending invocation (``docs/protocol.md`` §9). A caller awaits
:meth:`InvocationService.invoke` with a request :class:`~hazelcast.protocol.ClientMessage` and gets the response
message back (or the error as an exception). Decoding the response is the caller's job.

**Routing** (§4). Exactly one target per invocation, by keyword: ``partition_id`` (the owner's connection in smart
routing, a random one otherwise; the request's partition id field is always filled in), ``member_uuid`` (that
member's connection), ``connection`` (bound to one connection: never re-routed) or none (a random connection). When
the owner or member has no live connection, or sending on it fails, the invocation falls back to a random connection.

**Retries** (§3, §9). An attempt that fails with a retryable error is sent again with a NEW correlation id (on a
copy of the request): after the first :data:`MAX_FAST_INVOCATION_COUNT` - 1 failures at once, then after
``min(2 ** (n - 5) ms, invocation_retry_pause)`` where ``n`` counts the attempts made (:func:`retry_delay`).
Retryable: client-side I/O errors (:class:`~hazelcast.errors.HazelcastIOError`, e.g. "no connection"), the member
errors with ``retryable = True`` (:func:`~hazelcast.errors.is_retryable_error`), and
:class:`~hazelcast.errors.TargetDisconnectedError` only when the request is ``retryable`` (idempotent) or
``redo_operation`` is on. An invocation bound to a connection is never retried on I/O errors or disconnects; one
sent to a member is not retried on ``TargetNotMemberError``.

**Deadline.** Unlike the official clients, ``invocation_timeout`` (or the per-call ``timeout``) is enforced even when
nothing arrives: the caller gets :class:`~hazelcast.errors.OperationTimeoutError` (its ``__cause__`` is the last
error, if any) no earlier than the deadline and at most ``timer_resolution`` seconds after it. Deadlines live in a
timer wheel (one loop timer per ``timer_resolution`` bucket, not per invocation; O(1) to add and remove), so there
is no polling loop.

**Closed connections.** :meth:`InvocationService.on_connection_closed` fails every invocation waiting for a response
on that connection with ``TargetDisconnectedError`` at once (then the retry rules apply) and drops the connection's
event handlers.

**Backpressure.** At most ``max_concurrent_invocations`` invocations are in flight (from the first send until the
caller has its result); :meth:`InvocationService.invoke` awaits a free slot (bounded by the invocation's deadline)
instead of queueing without bound. Urgent invocations (listener registrations) take no slot and skip
``check_invocation_allowed`` (§8.2), as in Java.

**Cancellation.** Cancelling the task that awaits :meth:`~InvocationService.invoke` cancels the invocation: it
leaves the pending table, frees its slot and timers, and a late response is dropped silently (no result is ever set
on a cancelled future).

**Events.** Requests that register a listener carry an ``event_handler``: events (``IS_EVENT_FLAG``) and backup
events (``BACKUP_EVENT_FLAG``) are routed by (connection, correlation id) to ``handler(connection, message)``. The
handler stays registered while the registration lives (see :mod:`hazelcast.listener`), and is dropped with its
connection. Messages with unknown correlation ids are logged at DEBUG and dropped.

**Backup acks** (§9). In smart routing with ``backup_ack_to_client_enabled`` every request carries
``BACKUP_AWARE_FLAG``; a response announcing ``backup_acks`` = n completes the invocation only once n backup events
for its correlation id have arrived (:meth:`InvocationService.handle_backup_event`, the handler of the local backup
listener that :class:`hazelcast.listener.ListenerService` registers on every connection). If they do not arrive
within ``operation_backup_timeout`` (or by the invocation's deadline, whichever is first), the invocation completes
with the response anyway, or fails with ``IndeterminateOperationStateError`` if
``fail_on_indeterminate_operation_state``.

**The network layer** is reached only through the small structural interfaces :class:`Connection`,
:class:`ConnectionRegistry` and :class:`PartitionTable` defined below; the connection manager calls
:meth:`InvocationService.handle_message` for every inbound message after authentication.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import collections
import functools
import itertools
import logging
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Deque, Dict, Optional, Protocol, Sequence, Set

from hazelcast.config import Config
from hazelcast.errors import (
    ClientNotActiveError,
    HazelcastIOError,
    IndeterminateOperationStateError,
    InvalidConfigurationError,
    OperationTimeoutError,
    ProtocolError,
    TargetDisconnectedError,
    TargetNotMemberError,
    is_retryable_error,
)
from hazelcast.protocol import BACKUP_AWARE_FLAG, BACKUP_EVENT_FLAG, IS_EVENT_FLAG, ClientMessage
from hazelcast.protocol.codecs.backup import decode_backup_event
from hazelcast.protocol.errors import ERROR_MESSAGE_TYPE, decode_error_response

_logger = logging.getLogger(__name__)

__all__ = [
    "Connection",
    "ConnectionRegistry",
    "EventHandler",
    "Invocation",
    "InvocationService",
    "MAX_FAST_INVOCATION_COUNT",
    "PartitionTable",
    "retry_delay",
]

MAX_FAST_INVOCATION_COUNT = 5
"""As in Java: after fewer than this many attempts, a failed invocation is retried at once."""

_EVENT_FLAGS = IS_EVENT_FLAG | BACKUP_EVENT_FLAG

EventHandler = Callable[[Any, ClientMessage], None]
"""``handler(connection, event_message)``: called for every event of a listener registration."""


# -- the network layer, as seen from here ------------------------------------------------------------------------------


class Connection(Protocol):
    """What an invocation needs from a connection (``hazelcast.network.connection.Connection`` has all of it).

    ``send_sync`` queues the message for writing without waiting and returns ``False`` if the connection is not
    alive (it must encode or copy the message before returning: a retry never reuses a message object, but the
    caller may drop it). ``close_reason`` / ``close_cause`` describe why a closed connection closed.
    """

    @property
    def is_alive(self) -> bool: ...  # pragma: no cover - interface

    close_reason: Optional[str]
    close_cause: Optional[BaseException]

    def send_sync(self, message: ClientMessage) -> bool: ...  # pragma: no cover - interface


class ConnectionRegistry(Protocol):
    """What the invocation and listener services need from the connection manager.

    * ``get_connection(member_uuid)``: the live connection to that member, or ``None``;
    * ``get_random_connection()``: a live connection chosen by the load balancer, or ``None``;
    * ``get_active_connections()``: the live, authenticated connections;
    * ``check_invocation_allowed()``: return if a (non-urgent) request may be sent now, else raise (§8.2):
      ``ClientNotActiveError`` after shutdown, ``ClientOfflineError`` while disconnected in reconnect mode ASYNC,
      ``HazelcastIOError`` (retryable) while disconnected otherwise;
    * ``add_connection_listener(on_added, on_removed)``: ``on_added(connection)`` once a connection is
      authenticated, ``on_removed(connection)`` once it closed (its ``close_reason`` / ``close_cause`` set).
    """

    def get_connection(self, member_uuid: uuid.UUID) -> Optional[Connection]: ...  # pragma: no cover

    def get_random_connection(self) -> Optional[Connection]: ...  # pragma: no cover

    def get_active_connections(self) -> Sequence[Connection]: ...  # pragma: no cover

    def check_invocation_allowed(self) -> None: ...  # pragma: no cover

    def add_connection_listener(
        self,
        on_added: Optional[Callable[[Any], None]] = None,
        on_removed: Optional[Callable[[Any], None]] = None,
    ) -> None: ...  # pragma: no cover


class PartitionTable(Protocol):
    """The partition owner lookup (``hazelcast.partition.PartitionService`` has it).

    A table that also has an int attribute ``epoch``, changed whenever owners change, lets the service cache the
    partition -> connection routes (dropped on a new epoch and on every connection added or closed).
    """

    def get_partition_owner(self, partition_id: int) -> Optional[uuid.UUID]: ...  # pragma: no cover


# -- configuration -------------------------------------------------------------------------------------------------


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
        raise InvalidConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")


def retry_delay(invoke_count: int, retry_pause: float) -> float:
    """Seconds to wait before the next attempt of an invocation whose ``invoke_count``-th attempt just failed.

    Java's pacing: 0 while ``invoke_count < 5``, then ``min(2 ** (invoke_count - 5) ms, retry_pause)``, i.e.
    1, 2, 4, ..., 512 ms, then ``retry_pause``. (Java computes ``1 << n`` on an int, which overflows after ~36
    attempts; here the pause simply stays at ``retry_pause``.)
    """
    if invoke_count < MAX_FAST_INVOCATION_COUNT:
        return 0.0
    shift = invoke_count - MAX_FAST_INVOCATION_COUNT
    if shift > 40:
        return retry_pause
    return min((1 << shift) / 1000.0, retry_pause)


# -- invocations ---------------------------------------------------------------------------------------------------


class Invocation:
    """One request on its way through the cluster, from the call until its result.

    Created by :meth:`InvocationService.invoke`; the service changes it, others read it. ``request`` is the message
    of the current attempt (each retry sends a copy with a new ``correlation_id``). ``sent_connection`` is the
    connection the current attempt waits on (``None`` between attempts and once the response is in).
    ``start_time`` / ``deadline`` are ``loop.time()`` values; ``deadline`` is ``math.inf`` without a
    timeout. ``pending_response`` holds a response waiting for backup acks.
    """

    __slots__ = (
        "request",
        "partition_id",
        "member_uuid",
        "connection",
        "urgent",
        "event_handler",
        "timeout",
        "future",
        "correlation_id",
        "sent_connection",
        "start_time",
        "deadline",
        "invoke_count",
        "last_error",
        "pending_response",
        "backup_acks_expected",
        "backup_acks_received",
        "_timer_at",
        "_bucket",
        "_retry_handle",
        "_holds_slot",
        "_done",
    )

    def __init__(
        self,
        request: ClientMessage,
        future: "asyncio.Future[ClientMessage]",
        start_time: float,
        timeout: float,
        partition_id: int = -1,
        member_uuid: Optional[uuid.UUID] = None,
        connection: Optional[Connection] = None,
        urgent: bool = False,
        event_handler: Optional[EventHandler] = None,
    ) -> None:
        self.request = request
        self.partition_id = partition_id
        self.member_uuid = member_uuid
        self.connection = connection
        self.urgent = urgent
        self.event_handler = event_handler
        self.timeout = timeout
        self.future = future
        self.correlation_id = -1
        self.sent_connection: Optional[Connection] = None
        self.start_time = start_time
        self.deadline = start_time + timeout
        self.invoke_count = 0
        self.last_error: Optional[BaseException] = None
        self.pending_response: Optional[ClientMessage] = None
        self.backup_acks_expected = -1
        self.backup_acks_received = 0
        self._timer_at = math.inf
        self._bucket: Optional[Dict["Invocation", None]] = None
        self._retry_handle: Optional[asyncio.Handle] = None
        self._holds_slot = False
        self._done = False

    @property
    def done(self) -> bool:
        """Whether the invocation has finished (result, error, timeout, cancellation or shutdown)."""
        return self._done

    def set_response(self, response: ClientMessage) -> bool:
        """Complete the caller's future with ``response`` unless it is already done or cancelled; True if set."""
        future = self.future
        if future.done():
            return False
        future.set_result(response)
        return True

    def set_exception(self, error: BaseException) -> bool:
        """Fail the caller's future with ``error`` unless it is already done or cancelled; True if set."""
        future = self.future
        if future.done():
            return False
        future.set_exception(error)
        return True

    def __repr__(self) -> str:
        if self.connection is not None:
            target = f"connection {self.connection!r}"
        elif self.partition_id != -1:
            target = f"partition {self.partition_id}"
        elif self.member_uuid is not None:
            target = f"member {self.member_uuid}"
        else:
            target = "random"
        try:
            message_type = f"0x{self.request.message_type:06x}"
        except ProtocolError:
            message_type = "?"
        return (
            f"Invocation(type={message_type}, correlation_id={self.correlation_id}, target={target}, "
            f"attempts={self.invoke_count}, sent_connection={self.sent_connection!r})"
        )


_future_set_result = asyncio.Future.set_result
_future_set_exception = asyncio.Future.set_exception
_future_cancel = asyncio.Future.cancel
_future_add_done_callback = asyncio.Future.add_done_callback
_future_remove_done_callback = asyncio.Future.remove_done_callback
if asyncio.current_task.__module__ == "asyncio.tasks" and isinstance(getattr(asyncio.tasks, "_current_tasks", None),
                                                                     dict):  # pragma: no branch
    _current_task = asyncio.tasks._current_tasks.get  # 3.11: the dict behind the Python asyncio.current_task
else:  # pragma: no cover - 3.12+: asyncio.current_task is C
    _current_task = asyncio.current_task


class _InvocationFuture(asyncio.Future):  # type: ignore[type-arg]
    """The future of one invocation. Cancelling it (as cancelling the task that awaits it does) cancels the
    invocation: it leaves the pending table and frees its slot and timers. Each service makes a subclass whose
    ``_service`` is that service (no per-future reference to set).

    **Waking the awaiting task without a loop iteration.** A task awaiting this future registers its wake-up with
    ``add_done_callback(wakeup, context=task_context)``; the future keeps that first task callback (``_waker``)
    itself instead of handing it to asyncio. When a response completes the invocation from a callback of the
    loop (reading a connection, a timer; no task running), :meth:`InvocationService._complete` calls the wake-up at
    once, in the task's context, instead of scheduling it for the next loop iteration: the task resumes in the
    same iteration as the response arrived (one loop iteration per round trip instead of two). Every other
    completion (errors, timeouts, cancellation, a task running) schedules it with ``call_soon``, as asyncio does.
    Other callbacks (``gather``, ``shield``, ...) go to asyncio unchanged.
    """

    __slots__ = ("_invocation", "_waker", "_waker_context")
    _service: "InvocationService"

    def add_done_callback(self, fn: Callable[..., Any], *, context: Any = None) -> None:
        if context is not None and self._waker is None and not self.done():
            self._waker = fn
            self._waker_context = context
        else:
            _future_add_done_callback(self, fn, context=context)

    def remove_done_callback(self, fn: Callable[..., Any]) -> int:
        removed = _future_remove_done_callback(self, fn)
        if self._waker is not None and self._waker == fn:
            self._waker = None
            removed += 1
        return removed

    def _wake_soon(self) -> None:
        waker = self._waker
        if waker is not None:
            self._waker = None
            self.get_loop().call_soon(waker, self, context=self._waker_context)

    def set_result(self, result: Any) -> None:
        _future_set_result(self, result)
        self._wake_soon()

    def set_exception(self, exception: Any) -> None:
        _future_set_exception(self, exception)
        self._wake_soon()

    def cancel(self, msg: Any = None) -> bool:
        if not _future_cancel(self, msg):
            return False
        self._wake_soon()
        invocation = self._invocation
        if invocation is not None:
            self._invocation = None
            service = self._service
            if service._finish(invocation):
                service._detach(invocation)
        return True


class _TimerWheel:
    """Invocation timers grouped in buckets of ``resolution`` seconds, with one loop timer per bucket.

    :meth:`schedule` puts an invocation in the bucket that ends at or after its time; the bucket's timer calls
    ``expire(invocation)`` for each invocation still in it. Adding and removing is O(1) (a dict per bucket).
    """

    __slots__ = ("_loop", "_resolution", "_expire", "_buckets", "_handles")

    def __init__(self, loop: asyncio.AbstractEventLoop, resolution: float, expire: Callable[[Invocation], None]):
        self._loop = loop
        self._resolution = resolution
        self._expire = expire
        self._buckets: Dict[int, Dict[Invocation, None]] = {}
        self._handles: Dict[int, asyncio.TimerHandle] = {}

    def schedule(self, invocation: Invocation, when: float) -> None:
        """(Re)arm the invocation's timer for ``loop.time()`` value ``when``."""
        self.unschedule(invocation)
        invocation._timer_at = when
        if when != math.inf:
            self._add(invocation, math.ceil(when / self._resolution))

    def schedule_new(self, invocation: Invocation) -> None:
        """Arm the timer of a new invocation (never scheduled before) for its deadline, if finite."""
        deadline = invocation.deadline
        if deadline != math.inf:
            invocation._timer_at = deadline
            self._add(invocation, math.ceil(deadline / self._resolution))

    def _add(self, invocation: Invocation, tick: int) -> None:
        bucket = self._buckets.get(tick)
        if bucket is None:
            bucket = self._buckets[tick] = {}
            self._handles[tick] = self._loop.call_at(tick * self._resolution, self._fire, tick)
        bucket[invocation] = None
        invocation._bucket = bucket

    @staticmethod
    def unschedule(invocation: Invocation) -> None:
        """Disarm the invocation's timer, if armed."""
        bucket = invocation._bucket
        if bucket is not None:
            invocation._bucket = None
            del bucket[invocation]

    def _fire(self, tick: int) -> None:
        del self._handles[tick]
        bucket = self._buckets.pop(tick)
        now = self._loop.time()
        for invocation in list(bucket):
            invocation._bucket = None
            if invocation._timer_at > now:  # the loop runs timers up to its clock resolution early
                self._add(invocation, tick + 1)
            else:
                self._expire(invocation)

    def close(self) -> None:
        """Cancel every bucket timer."""
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        for bucket in self._buckets.values():
            for invocation in bucket:
                invocation._bucket = None
        self._buckets.clear()


class InvocationService:
    """Sends requests and matches their responses, events and backup acks (see the module docstring).

    ``registry`` is the connection manager, ``partitions`` the partition table, ``config`` the client
    :class:`~hazelcast.config.Config` (its invocation options: ``invocation_timeout``, ``invocation_retry_pause``,
    ``redo_operation``, ``max_concurrent_invocations``, ``backup_ack_to_client_enabled``,
    ``operation_backup_timeout``, ``fail_on_indeterminate_operation_state``). ``smart_routing`` is True for
    ALL_MEMBERS routing. ``correlation_ids`` returns a new correlation id per call; pass the source shared with the
    network layer's own requests so ids never collide (default: 1, 2, 3, ...). ``urgent_check(invocation)`` runs
    before every attempt of an urgent invocation and may raise a retryable error to hold it back (schema
    replication, §6.4). ``timer_resolution`` is the granularity of deadlines and backup timeouts in seconds.
    """

    def __init__(
        self,
        registry: ConnectionRegistry,
        partitions: PartitionTable,
        config: Optional[Config] = None,
        *,
        smart_routing: bool = True,
        correlation_ids: Optional[Callable[[], int]] = None,
        urgent_check: Optional[Callable[[Invocation], None]] = None,
        timer_resolution: float = 0.01,
    ) -> None:
        _positive("timer_resolution", timer_resolution)
        self.config = config or Config()
        self._registry = registry
        self._partitions = partitions
        self._smart = smart_routing
        self._backup_acks = smart_routing and self.config.backup_ack_to_client_enabled
        self._backup_aware = self._backup_acks  # requests carry BACKUP_AWARE_FLAG (see backup_listener_ready)
        self._next_id = correlation_ids or itertools.count(1).__next__
        self._urgent_check = urgent_check
        self._timer_resolution = timer_resolution
        self._max_in_flight = self.config.max_concurrent_invocations
        self._timeout = self.config.invocation_timeout
        self._routes_epoch: Any = None
        self._routes: Dict[int, Connection] = {}
        self._cache_routes = isinstance(getattr(partitions, "epoch", None), int)
        self._pending: Dict[int, Invocation] = {}
        self._retrying: Set[Invocation] = set()
        self._event_handlers: Dict[Any, Dict[int, EventHandler]] = {}
        self._in_flight = 0
        self._slot_waiters: Deque["asyncio.Future[None]"] = collections.deque()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._new_future: Callable[[], _InvocationFuture] = _InvocationFuture
        self._clock: Callable[[], float] = time.monotonic
        self._wheel: Optional[_TimerWheel] = None
        self._running = False
        self._shut_down = False

    # -- state -------------------------------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """Between :meth:`start` and :meth:`shutdown`."""
        return self._running

    @property
    def smart_routing(self) -> bool:
        """Whether requests go to the partition owner (ALL_MEMBERS routing)."""
        return self._smart

    @property
    def backup_acks_enabled(self) -> bool:
        """Whether requests are BACKUP_AWARE and the local backup listener must be registered on every
        connection (smart routing and ``backup_ack_to_client_enabled``)."""
        return self._backup_acks

    @property
    def backup_listener_ready(self) -> bool:
        """Whether requests carry ``BACKUP_AWARE_FLAG`` now (only when :attr:`backup_acks_enabled`).

        The backup replica sends the ack through the local backup listener this client registered on that member;
        without one the ack is lost and the invocation waits ``operation_backup_timeout``. So the listener service
        sets this to False while some member has no connection with the backup listener registered on it (a new
        connection, a member that just joined): requests then go without the flag and the member answers after its
        backups, as to a client without backup acks. True by default."""
        return self._backup_aware

    @backup_listener_ready.setter
    def backup_listener_ready(self, ready: bool) -> None:
        self._backup_aware = self._backup_acks and bool(ready)

    @property
    def in_flight(self) -> int:
        """Non-urgent invocations holding a slot."""
        return self._in_flight

    @property
    def pending_count(self) -> int:
        """Invocations not finished yet: waiting for a response or backup acks, or for their next attempt."""
        return len(self._pending) + len(self._retrying)

    def pending_on(self, connections: Any) -> int:
        """Invocations waiting for a response on one of ``connections`` (a container of connections)."""
        return sum(1 for invocation in self._pending.values() if invocation.sent_connection in connections)

    @property
    def event_handler_count(self) -> int:
        """Event handlers registered, over all connections."""
        return sum(len(handlers) for handlers in self._event_handlers.values())

    def next_correlation_id(self) -> int:
        """A new correlation id from this service's source."""
        return self._next_id()

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind to the running loop and subscribe to connection closes. Raises
        :class:`~hazelcast.errors.ClientNotActiveError` after :meth:`shutdown`; a second start is a no-op."""
        if self._shut_down:
            raise ClientNotActiveError("the invocation service is shut down")
        if self._running:
            return
        self._loop = loop = asyncio.get_running_loop()
        self._clock = time.monotonic if type(loop).time is asyncio.base_events.BaseEventLoop.time else loop.time
        future_class = type("InvocationFuture", (_InvocationFuture,), {"__slots__": (), "_service": self})
        self._new_future = functools.partial(future_class, loop=loop)  # no Python frame per future
        self._wheel = _TimerWheel(self._loop, self._timer_resolution, self._on_timer)
        self._running = True
        self._registry.add_connection_listener(self._on_connection_added, self.on_connection_closed)

    async def shutdown(self, cause: Optional[BaseException] = None) -> None:
        """Fail every unfinished invocation and every caller waiting for a slot with
        :class:`~hazelcast.errors.ClientNotActiveError`, cancel all timers, drop all event handlers. Idempotent.

        ``cause`` is why the client shuts down (e.g. no cluster could be reached): the errors name it and carry it
        as ``__cause__`` (otherwise an invocation's error carries its last error)."""
        if self._shut_down:
            return
        self._shut_down = True
        self._running = False
        message = "the client is shutting down" if cause is None else f"the client is shutting down: {cause}"
        waiters = list(self._slot_waiters)
        self._slot_waiters.clear()
        for waiter in waiters:
            if not waiter.done():
                error = ClientNotActiveError(message)
                error.__cause__ = cause
                waiter.set_exception(error)
        for invocation in list(self._pending.values()) + list(self._retrying):
            error = ClientNotActiveError(message)
            error.__cause__ = cause if cause is not None else invocation.last_error
            self._fail(invocation, error)
        if self._wheel is not None:
            self._wheel.close()
        self._event_handlers.clear()

    # -- invoking ------------------------------------------------------------------------------------------------

    async def invoke(
        self,
        request: ClientMessage,
        *,
        partition_id: int = -1,
        member_uuid: Optional[uuid.UUID] = None,
        connection: Optional[Connection] = None,
        timeout: Optional[float] = None,
        urgent: bool = False,
        event_handler: Optional[EventHandler] = None,
    ) -> ClientMessage:
        """Send ``request`` and return its response message; error responses raise their exception.

        Target (at most one): ``partition_id`` (>= 0), ``member_uuid``, or ``connection``; none means any member.
        ``timeout`` overrides ``invocation_timeout`` for this call (seconds, > 0, ``math.inf`` for none).
        ``urgent`` bypasses the in-flight cap and ``check_invocation_allowed`` (for listener registrations).
        ``event_handler(connection, event)`` receives the events of a listener this request registers.

        The service takes ownership of ``request`` (it sets the correlation id, partition id and flags).
        Raises :class:`~hazelcast.errors.OperationTimeoutError` at the deadline,
        :class:`~hazelcast.errors.ClientNotActiveError` if the service is not running, ``ValueError`` for bad
        arguments, and whatever error ended the invocation otherwise.
        """
        if not self._running:
            raise ClientNotActiveError(
                "the invocation service is shut down" if self._shut_down else "the invocation service is not started"
            )
        if partition_id != -1 and (partition_id < 0 or member_uuid is not None or connection is not None):
            raise ValueError("partition_id must be >= 0 and cannot be combined with member_uuid or connection")
        if member_uuid is not None and connection is not None:
            raise ValueError("member_uuid and connection cannot be combined")
        if timeout is None:
            timeout = self._timeout
        else:
            _check_timeout(timeout)
        loop = self._loop
        assert loop is not None
        start = loop.time()
        if not urgent:
            if self._in_flight < self._max_in_flight and not self._slot_waiters:
                self._in_flight += 1
            else:
                await self._wait_for_slot(start + timeout)  # the slot wait counts against the deadline
                if not self._running:
                    self._release_slot()
                    raise ClientNotActiveError("the invocation service is shut down")
        future = self._new_future()
        invocation = Invocation(request, future, start, timeout, partition_id, member_uuid, connection, urgent,
                                event_handler)
        future._invocation = invocation
        future._waker = None
        invocation._holds_slot = not urgent
        self._launch(invocation)
        try:
            return await future
        except asyncio.CancelledError:
            if self._finish(invocation):
                self._detach(invocation)
            raise

    def invoke_on_partition(self, request: ClientMessage, partition_id: int) -> Awaitable[ClientMessage]:
        """``invoke(request, partition_id=partition_id)``, for keyed operations: the same behaviour without a
        coroutine of its own. Returns an awaitable of the response (the invocation's future when a slot is free;
        cancelling it cancels the invocation)."""
        if not self._running or partition_id < 0 or self._in_flight >= self._max_in_flight or self._slot_waiters:
            return self.invoke(request, partition_id=partition_id)
        self._in_flight += 1
        future = self._new_future()
        invocation = Invocation(request, future, self._clock(), self._timeout, partition_id)
        future._invocation = invocation
        future._waker = None
        invocation._holds_slot = True
        try:  # _launch, inlined: this runs for every keyed operation
            invocation.correlation_id = correlation_id = self._next_id()
            request.set_request_header(correlation_id, partition_id, BACKUP_AWARE_FLAG if self._backup_aware else 0)
            self._wheel.schedule_new(invocation)  # type: ignore[union-attr]
            target = None
            if self._smart and self._cache_routes and self._routes_epoch == self._partitions.epoch:  # type: ignore
                target = self._routes.get(partition_id)
            if target is None:
                self._send_attempt(invocation)
                return future
        except BaseException:
            self._finish(invocation)
            raise
        # _send_attempt, inlined for a cached route (the commonest case)
        invocation.invoke_count = 1
        try:
            self._registry.check_invocation_allowed()
            self._pending[correlation_id] = invocation
            invocation.sent_connection = target
            if not target.send_sync(request):
                self._detach(invocation)
                invocation.invoke_count = 0
                self._send_attempt(invocation)  # again, through the fallbacks
        except Exception as error:
            self._on_error(invocation, error)
        return future

    def _launch(self, invocation: Invocation) -> None:
        """First attempt of a new invocation: header fields, correlation id, deadline timer, send."""
        try:
            request = invocation.request
            invocation.correlation_id = correlation_id = self._next_id()
            partition_id = invocation.partition_id
            request.set_request_header(
                correlation_id,
                request.partition_id if partition_id == -1 else partition_id,
                BACKUP_AWARE_FLAG if self._backup_aware else 0,
            )
            self._wheel.schedule_new(invocation)  # type: ignore[union-attr]
            self._send_attempt(invocation)
        except BaseException:
            self._finish(invocation)
            raise

    async def register_on_connection(
        self, connection: Connection, request: ClientMessage, event_handler: EventHandler
    ) -> ClientMessage:
        """Register a listener on one connection: an urgent invocation bound to ``connection`` whose events go to
        ``event_handler(connection, event)``. Returns the response. (The network layer's ``ListenerRegistrar``.)"""
        return await self.invoke(request, connection=connection, urgent=True, event_handler=event_handler)

    async def _wait_for_slot(self, deadline: float) -> None:
        loop = self._loop
        assert loop is not None
        waiter: asyncio.Future[None] = loop.create_future()
        self._slot_waiters.append(waiter)
        timer = loop.call_at(deadline, _expire_slot_waiter, waiter) if deadline != math.inf else None
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release_slot()  # granted, then the caller was cancelled before it could use it
            elif waiter in self._slot_waiters:
                self._slot_waiters.remove(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _release_slot(self) -> None:
        waiters = self._slot_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to the waiter
                return
        self._in_flight -= 1

    # -- one attempt -----------------------------------------------------------------------------------------------

    def _send_attempt(self, invocation: Invocation) -> None:
        invocation.invoke_count += 1
        try:
            if not invocation.urgent:
                self._registry.check_invocation_allowed()
            elif self._urgent_check is not None:
                self._urgent_check(invocation)
            connection = invocation.connection
            if connection is not None:
                if not self._send(invocation, connection):
                    raise HazelcastIOError(f"could not send on {connection!r}: it is not alive")
                return
            if self._smart:
                partition_id = invocation.partition_id
                if partition_id != -1:
                    target = None
                    if self._cache_routes and self._routes_epoch == self._partitions.epoch:  # type: ignore
                        target = self._routes.get(partition_id)
                    if target is None:
                        target = self._route(partition_id)
                    elif invocation.event_handler is None:  # _send, inlined for the commonest case
                        self._pending[invocation.correlation_id] = invocation
                        invocation.sent_connection = target
                        if target.send_sync(invocation.request):
                            return
                        self._detach(invocation)
                        target = None
                elif invocation.member_uuid is not None:
                    target = self._registry.get_connection(invocation.member_uuid)
                else:
                    target = None
                if target is not None and self._send(invocation, target):
                    return
            target = self._registry.get_random_connection()
            if target is None or not self._send(invocation, target):
                raise HazelcastIOError("no connection found to invoke")
        except Exception as error:
            self._on_error(invocation, error)

    def _route(self, partition_id: int) -> Optional[Connection]:
        """The owner's connection of ``partition_id`` (cached while the table's epoch and the connections last)."""
        if self._cache_routes:
            routes = self._routes
            if self._routes_epoch != self._partitions.epoch:  # type: ignore[attr-defined]
                routes.clear()
                self._routes_epoch = self._partitions.epoch  # type: ignore[attr-defined]
            connection = routes.get(partition_id)
            if connection is not None:
                return connection
        owner = self._partitions.get_partition_owner(partition_id)
        if owner is None:
            return None
        connection = self._registry.get_connection(owner)
        if connection is not None and self._cache_routes:
            self._routes[partition_id] = connection
        return connection

    def _on_connection_added(self, connection: Connection) -> None:
        self._routes.clear()

    def _send(self, invocation: Invocation, connection: Connection) -> bool:
        correlation_id = invocation.correlation_id
        self._pending[correlation_id] = invocation
        handler = invocation.event_handler
        if handler is not None:
            self.add_event_handler(connection, correlation_id, handler)
        invocation.sent_connection = connection
        if connection.send_sync(invocation.request):
            return True
        self._detach(invocation)
        return False

    def _detach(self, invocation: Invocation) -> None:
        """Forget the current attempt: pending entry, event handler, sent connection."""
        self._pending.pop(invocation.correlation_id, None)
        connection = invocation.sent_connection
        if connection is not None:
            invocation.sent_connection = None
            if invocation.event_handler is not None:
                self.remove_event_handler(connection, invocation.correlation_id)

    # -- outcomes --------------------------------------------------------------------------------------------------

    def _on_response(self, invocation: Invocation, response: ClientMessage) -> None:
        if self._backup_acks:
            expected = response.backup_acks
            if expected > invocation.backup_acks_received:
                invocation.pending_response = response
                invocation.backup_acks_expected = expected
                invocation.sent_connection = None  # done with the connection: its close no longer matters
                backup_deadline = self._loop.time() + self.config.operation_backup_timeout  # type: ignore
                if backup_deadline < invocation._timer_at:
                    self._wheel.schedule(invocation, backup_deadline)  # type: ignore[union-attr]
                return
        self._complete(invocation, response)

    def _complete(self, invocation: Invocation, response: ClientMessage) -> None:
        self._pending.pop(invocation.correlation_id, None)
        invocation.sent_connection = None
        if not invocation._done:  # _finish, inlined: this runs for every response
            invocation._done = True
            bucket = invocation._bucket
            if bucket is not None:
                invocation._bucket = None
                del bucket[invocation]
            if invocation._holds_slot:  # (no retry is scheduled: a response only comes for a sent attempt)
                invocation._holds_slot = False
                if self._slot_waiters:
                    self._release_slot()
                else:
                    self._in_flight -= 1
        future = invocation.future
        future._invocation = None  # type: ignore[attr-defined]
        if future.done():
            return
        _future_set_result(future, response)
        waker = future._waker  # type: ignore[attr-defined]
        if waker is not None:  # the awaiting task: wake it now when no task runs (see _InvocationFuture)
            future._waker = None  # type: ignore[attr-defined]
            loop = self._loop
            if _current_task(loop) is None:
                future._waker_context.run(waker, future)  # type: ignore[attr-defined]
            else:
                loop.call_soon(waker, future, context=future._waker_context)  # type: ignore[attr-defined,union-attr]

    def _fail(self, invocation: Invocation, error: BaseException) -> None:
        self._detach(invocation)
        self._finish(invocation)
        if isinstance(invocation.future, _InvocationFuture):
            invocation.future._invocation = None  # type: ignore[attr-defined]
        invocation.set_exception(error)

    def _finish(self, invocation: Invocation) -> bool:
        """Release what the invocation holds (timers, slot); False if it had finished already."""
        if invocation._done:
            return False
        invocation._done = True
        _TimerWheel.unschedule(invocation)
        handle = invocation._retry_handle
        if handle is not None:
            invocation._retry_handle = None
            handle.cancel()
            self._retrying.discard(invocation)
        if invocation._holds_slot:
            invocation._holds_slot = False
            self._release_slot()
        return True

    def _on_error(self, invocation: Invocation, error: BaseException) -> None:
        """Java's ``notifyException``: retry or fail."""
        self._detach(invocation)
        invocation.last_error = error
        if not self._should_retry(invocation, error):
            self._fail(invocation, error)
            return
        loop = self._loop
        assert loop is not None
        if loop.time() >= invocation.deadline:
            self._fail(invocation, self._timeout_error(invocation))
            return
        delay = retry_delay(invocation.invoke_count, self.config.invocation_retry_pause)
        _logger.debug("retrying %r in %.3f s after %r", invocation, delay, error)
        self._retrying.add(invocation)
        if delay <= 0.0:
            invocation._retry_handle = loop.call_soon(self._retry, invocation)
        else:
            invocation._retry_handle = loop.call_later(delay, self._retry, invocation)

    def _should_retry(self, invocation: Invocation, error: BaseException) -> bool:
        if invocation.connection is not None and isinstance(error, (HazelcastIOError, TargetDisconnectedError)):
            return False
        if invocation.member_uuid is not None and isinstance(error, TargetNotMemberError):
            return False
        if is_retryable_error(error):
            return True
        if isinstance(error, TargetDisconnectedError):
            return bool(invocation.request.retryable) or self.config.redo_operation
        return False

    def _retry(self, invocation: Invocation) -> None:
        invocation._retry_handle = None
        self._retrying.discard(invocation)
        request = invocation.request.copy()  # the old one may still sit in a write queue
        invocation.correlation_id = correlation_id = self._next_id()
        request.correlation_id = correlation_id
        invocation.request = request
        self._send_attempt(invocation)

    def _on_timer(self, invocation: Invocation) -> None:
        if invocation.pending_response is not None:
            self._on_backup_timeout(invocation)
        else:
            self._fail(invocation, self._timeout_error(invocation))

    def _on_backup_timeout(self, invocation: Invocation) -> None:
        response = invocation.pending_response
        assert response is not None
        if self.config.fail_on_indeterminate_operation_state:
            self._fail(
                invocation,
                IndeterminateOperationStateError(
                    f"{invocation!r}: got {invocation.backup_acks_received} of {invocation.backup_acks_expected} "
                    f"backup acks within the backup timeout"
                ),
            )
        else:
            _logger.debug("%r: completing without %d missing backup acks", invocation,
                          invocation.backup_acks_expected - invocation.backup_acks_received)
            self._complete(invocation, response)

    def _timeout_error(self, invocation: Invocation) -> OperationTimeoutError:
        error = OperationTimeoutError(
            f"{invocation!r} timed out after {invocation.timeout} s"
            + (f"; last error: {invocation.last_error!r}" if invocation.last_error is not None else "")
        )
        error.__cause__ = invocation.last_error
        return error

    # -- inbound messages ------------------------------------------------------------------------------------------

    def handle_message(self, connection: Connection, message: ClientMessage) -> None:
        """Route one inbound message: responses and error responses to their invocation, events and backup events
        to the event handler registered for (connection, correlation id). Unknown ids are logged at DEBUG and
        dropped. Raises :class:`~hazelcast.errors.ProtocolError` (without side effects) if the message header is
        malformed (an initial frame without the 13-byte response header); a malformed error payload fails its
        invocation with that ProtocolError instead."""
        correlation_id, flags, message_type, backup_acks = message.response_header()
        if flags & _EVENT_FLAGS:
            handlers = self._event_handlers.get(connection)
            handler = handlers.get(correlation_id) if handlers is not None else None
            if handler is None:
                _logger.debug("dropped event %r from %r: no handler for correlation id %d", message, connection,
                              correlation_id)
                return
            try:
                handler(connection, message)
            except Exception:
                _logger.exception("event handler %r failed on %r", handler, message)
            return
        invocation = self._pending.get(correlation_id)
        if invocation is None:
            _logger.debug("dropped response %r from %r: unknown correlation id %d", message, connection,
                          correlation_id)
            return
        if message_type == ERROR_MESSAGE_TYPE:
            try:
                error = decode_error_response(message)
            except ProtocolError as malformed:
                error = malformed
            self._on_error(invocation, error)
        elif self._backup_acks and backup_acks > invocation.backup_acks_received:
            self._on_response(invocation, message)
        else:
            self._complete(invocation, message)

    def on_connection_closed(
        self, connection: Connection, reason: Optional[str] = None, cause: Optional[BaseException] = None
    ) -> None:
        """``connection`` closed: drop its event handlers and fail every invocation waiting for a response on it
        with :class:`~hazelcast.errors.TargetDisconnectedError` (whose ``__cause__`` is ``cause``), subject to the
        retry rules. ``reason`` / ``cause`` default to the connection's ``close_reason`` / ``close_cause``."""
        if reason is None:
            reason = getattr(connection, "close_reason", None)
        if cause is None:
            cause = getattr(connection, "close_cause", None)
        self._event_handlers.pop(connection, None)
        self._routes.clear()
        for invocation in [i for i in self._pending.values() if i.sent_connection is connection]:
            error = TargetDisconnectedError(f"{connection!r} closed: {reason}")
            error.__cause__ = cause
            self._on_error(invocation, error)

    # -- event handlers and backup acks ----------------------------------------------------------------------------

    def add_event_handler(self, connection: Connection, correlation_id: int, handler: EventHandler) -> None:
        """Route events with ``correlation_id`` arriving on ``connection`` to ``handler(connection, event)``."""
        handlers = self._event_handlers.get(connection)
        if handlers is None:
            handlers = self._event_handlers[connection] = {}
        handlers[correlation_id] = handler

    def remove_event_handler(self, connection: Connection, correlation_id: int) -> bool:
        """Stop routing those events; False if no such handler."""
        handlers = self._event_handlers.get(connection)
        if handlers is None or handlers.pop(correlation_id, None) is None:
            return False
        if not handlers:
            del self._event_handlers[connection]
        return True

    def handle_backup_event(self, connection: Connection, message: ClientMessage) -> None:
        """The event handler of the local backup listener: one backup ack for the invocation whose correlation id
        the event carries. Acks for unknown (finished) invocations are dropped."""
        correlation_id = decode_backup_event(message)
        invocation = self._pending.get(correlation_id)
        if invocation is None:
            _logger.debug("dropped backup ack for unknown correlation id %d", correlation_id)
            return
        invocation.backup_acks_received += 1
        response = invocation.pending_response
        if response is not None and invocation.backup_acks_received >= invocation.backup_acks_expected:
            self._complete(invocation, response)


def _check_timeout(timeout: Any) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or math.inf, got {timeout!r}")


def _expire_slot_waiter(waiter: "asyncio.Future[None]") -> None:
    if not waiter.done():
        waiter.set_exception(OperationTimeoutError("timed out waiting for a free invocation slot"))
