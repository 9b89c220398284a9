"""Unit-level stand-ins for the network layer, and an event loop with a virtual clock.

* :class:`VirtualClockLoop`: a real selector event loop whose ``time()`` is virtual. When nothing is ready, the loop
  jumps to the next timer instead of sleeping, so ``asyncio.sleep(120)``, ``call_at`` and every timeout of the code
  under test take no real time and land exactly. A loop that would block forever (nothing scheduled, nothing
  ready) raises :class:`Deadlock` instead of hanging.
* :class:`FakeConnection`, :class:`FakeRegistry`, :class:`FakePartitions`: honest fakes of ``Connection``,
  ``ConnectionManager`` and ``PartitionService`` that keep their contracts: ``send_sync`` encodes the message at
  once and returns False when not alive; a closing connection refuses sends at once and tells the registry's
  ``on_removed`` listeners only after the close completed (as the real one does, after its transport is gone);
  ``check_invocation_allowed`` follows §8.2. What a fake "sent" is read back from the encoded bytes through the
  backend's ``MessageReader``, as a member would.
* Message builders: responses, error responses, events and backup events, as a member sends them.
"""

from __future__ import annotations

import asyncio
import selectors
import struct
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from hazelcast.errors import ClientNotActiveError, ClientOfflineError, HazelcastIOError

UNFRAGMENTED = 0xC000
BEGIN = 0x1000
END = 0x0800
NULL = 0x0400
IS_EVENT = 0x0200
BACKUP_AWARE = 0x0100
BACKUP_EVENT = 0x0080


class Deadlock(RuntimeError):
    """The loop would wait forever: nothing is ready and no timer is scheduled."""


class _VirtualSelector(selectors.DefaultSelector):
    def __init__(self) -> None:
        super().__init__()
        self.clock = 1000.0

    def select(self, timeout: Optional[float] = None) -> List[Any]:
        events = super().select(0)
        if events:
            return events
        if timeout is None:
            raise Deadlock("the event loop would block forever (nothing ready, no timer scheduled)")
        if timeout > 0:
            self.clock += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop on a virtual clock (starts at 1000.0 s)."""

    def __init__(self) -> None:
        self._selector_with_clock = _VirtualSelector()
        super().__init__(self._selector_with_clock)

    def time(self) -> float:
        return self._selector_with_clock.clock


def run(main: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``main()`` on a fresh :class:`VirtualClockLoop` and close it."""
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def settle(rounds: int = 5) -> None:
    """Let callbacks scheduled with ``call_soon`` run (no virtual time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


# -- the network layer ---------------------------------------------------------------------------------------------


class FakeConnection:
    """A connection to one member. ``sent`` holds what went out, read back from the encoded bytes."""

    def __init__(self, registry: "FakeRegistry", member_uuid: uuid.UUID, name: str) -> None:
        self.registry = registry
        self.member_uuid = member_uuid
        self.name = name
        self.sent: List[Any] = []
        self._reader = registry.framing.MessageReader()
        self._alive = True
        self._closed = False
        self.close_reason: Optional[str] = None
        self.close_cause: Optional[BaseException] = None
        self.responder: Optional[Callable[["FakeConnection", Any], None]] = registry.responder
        """Called with each message sent (as read back from the wire): plays the member."""

    @property
    def is_alive(self) -> bool:
        return self._alive

    def send_sync(self, message: Any) -> bool:
        if not self._alive:
            return False
        (wire,) = self._reader.feed(message.to_bytes())
        self.sent.append(wire)
        if self.responder is not None:
            self.responder(self, wire)
        return True

    def begin_close(self, reason: Optional[str] = None, cause: Optional[BaseException] = None) -> None:
        """The first, synchronous half of ``close``: not alive any more, listeners not told yet."""
        if not self._closed:
            self._closed = True
            self._alive = False
            self.close_reason = reason
            self.close_cause = cause

    def finish_close(self) -> None:
        """The second half: the registry forgets the connection and tells its listeners."""
        self.registry._connection_closed(self)

    async def close(self, reason: Optional[str] = None, cause: Optional[BaseException] = None) -> None:
        if self._closed:
            return
        self.begin_close(reason, cause)
        await asyncio.sleep(0)  # the transport goes away
        self.finish_close()

    def last(self) -> Any:
        return self.sent[-1]

    def __repr__(self) -> str:
        return f"FakeConnection({self.name})"


class FakeRegistry:
    """The connection manager: live connections by member, round-robin random choice, §8.2 checks."""

    def __init__(self, framing: Any, reconnect_mode: str = "ON") -> None:
        self.framing = framing
        self.reconnect_mode = reconnect_mode
        self.connections: Dict[uuid.UUID, FakeConnection] = {}
        self.listeners: List[Tuple[Optional[Callable[[Any], None]], Optional[Callable[[Any], None]]]] = []
        self.state = "INITIAL"
        self._next = 0
        self.random_calls = 0
        self.responder: Optional[Callable[[FakeConnection, Any], None]] = None
        """Given to every connection opened from now on."""

    def open(self, name: str = "", member_uuid: Optional[uuid.UUID] = None) -> FakeConnection:
        member_uuid = member_uuid or uuid.uuid4()
        connection = FakeConnection(self, member_uuid, name or f"m{len(self.connections) + 1}")
        self.connections[member_uuid] = connection
        self.state = "CONNECTED"
        for on_added, _ in list(self.listeners):
            if on_added is not None:
                on_added(connection)
        return connection

    def _connection_closed(self, connection: FakeConnection) -> None:
        if self.connections.get(connection.member_uuid) is connection:
            del self.connections[connection.member_uuid]
            if not self.connections and self.state == "CONNECTED":
                self.state = "DISCONNECTED"
            for _, on_removed in list(self.listeners):
                if on_removed is not None:
                    on_removed(connection)

    def get_connection(self, member_uuid: uuid.UUID) -> Optional[FakeConnection]:
        connection = self.connections.get(member_uuid)
        return connection if connection is not None and connection.is_alive else None

    def get_active_connections(self) -> List[FakeConnection]:
        return [c for c in self.connections.values() if c.is_alive]

    def get_random_connection(self) -> Optional[FakeConnection]:
        self.random_calls += 1
        live = self.get_active_connections()
        if not live:
            return None
        self._next += 1
        return live[self._next % len(live)]

    def check_invocation_allowed(self) -> None:
        if self.state == "SHUTDOWN":
            raise ClientNotActiveError("the client is shut down")
        if self.get_active_connections():
            return
        if self.state == "DISCONNECTED" and self.reconnect_mode == "ASYNC":
            raise ClientOfflineError("the client is disconnected from the cluster (reconnect mode ASYNC)")
        raise HazelcastIOError("no connection found to the cluster")

    def add_connection_listener(
        self, on_added: Optional[Callable[[Any], None]] = None, on_removed: Optional[Callable[[Any], None]] = None
    ) -> None:
        self.listeners.append((on_added, on_removed))


class FakePartitions:
    """The partition table: partition id -> owner UUID."""

    def __init__(self, owners: Optional[Dict[int, uuid.UUID]] = None) -> None:
        self.owners: Dict[int, uuid.UUID] = dict(owners or {})

    def get_partition_owner(self, partition_id: int) -> Optional[uuid.UUID]:
        return self.owners.get(partition_id)


# -- messages --------------------------------------------------------------------------------------------------------


def build(framing: Any, frames: Sequence[Tuple[int, bytes]]) -> Any:
    """An inbound message made of ``frames``, read back through the backend's reader (IS_FINAL on the last)."""
    msg = framing.ClientMessage()
    for flags, content in frames:
        msg.append_frame(content, flags)
    (back,) = framing.MessageReader().feed(msg.to_bytes())
    return back


def request(framing: Any, message_type: int = 0x010900, retryable: bool = False, payload: bytes = b"k") -> Any:
    """A request with one var-sized frame (as a codec builds it)."""
    msg = framing.ClientMessage.create_request(message_type, -1, 0)
    msg.retryable = retryable
    msg.append_bytes(payload)
    return msg


def response(
    framing: Any, correlation_id: int, message_type: int = 0x010901, acks: int = 0, payload: bytes = b"v"
) -> Any:
    """A response: the 13-byte header (type, correlation id, backup acks), then one frame."""
    header = struct.pack("<iqB", message_type, correlation_id, acks)
    return build(framing, [(UNFRAGMENTED, header), (0, payload)])


def uuid_response(framing: Any, correlation_id: int, value: Optional[uuid.UUID]) -> Any:
    """A response whose only parameter is a fixed-size UUID (listener registrations)."""
    if value is None:
        fixed = b"\x01" + bytes(16)
    else:
        msb, lsb = value.int >> 64, value.int & ((1 << 64) - 1)
        fixed = b"\x00" + struct.pack("<QQ", msb, lsb)
    header = struct.pack("<iqB", 0x000F01, correlation_id, 0)
    return build(framing, [(UNFRAGMENTED, header + fixed)])


def bool_response(framing: Any, correlation_id: int, value: bool = True) -> Any:
    header = struct.pack("<iqB?", 0x011C01, correlation_id, 0, value)
    return build(framing, [(UNFRAGMENTED, header)])


def error_response(
    framing: Any, correlation_id: int, code: int, class_name: str = "com.hazelcast.Oops", text: Optional[str] = "boom"
) -> Any:
    """An error response: header, then List<ErrorHolder> with one holder (code, class, message, empty trace)."""
    header = struct.pack("<iqB", 0, correlation_id, 0)
    frames: List[Tuple[int, bytes]] = [(UNFRAGMENTED, header), (BEGIN, b""), (BEGIN, b"")]
    frames.append((0, struct.pack("<i", code)))
    frames.append((0, class_name.encode()))
    frames.append((NULL, b"") if text is None else (0, text.encode()))
    frames += [(BEGIN, b""), (END, b""), (END, b""), (END, b"")]
    return build(framing, frames)


def malformed_error_response(framing: Any, correlation_id: int) -> Any:
    """Message type 0 but no error holder list."""
    header = struct.pack("<iqB", 0, correlation_id, 0)
    return build(framing, [(UNFRAGMENTED, header), (0, b"not a list")])


def event(framing: Any, correlation_id: int, message_type: int = 0x011902, payload: bytes = b"e") -> Any:
    """An event: the 16-byte header (type, correlation id, partition id) with IS_EVENT, then one frame."""
    header = struct.pack("<iqi", message_type, correlation_id, -1)
    return build(framing, [(UNFRAGMENTED | IS_EVENT, header), (0, payload)])


def backup_event(framing: Any, listener_correlation_id: int, source_correlation_id: int) -> Any:
    """A backup ack: BACKUP_EVENT flag, the backup listener's correlation id, the acked request's id after it."""
    header = struct.pack("<iqiq", 0x000F02, listener_correlation_id, -1, source_correlation_id)
    return build(framing, [(UNFRAGMENTED | BACKUP_EVENT, header)])
