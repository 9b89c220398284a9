"""Requests on one connection with their response and events, for the network layer's own needs.

The connection manager and the cluster view listener must send a few requests of their own (the cluster view
listener registration, pings) before, or without, an invocation service. :class:`DirectInvoker` does that with
the correlation ids of the shared ``correlation_id_source``; :meth:`DirectInvoker.handle` is the connections'
message handler: messages whose correlation id it issued go to their waiter or event handler, every other message
to the ``fallback`` handler (the invocation service). Once the invocation service can register listeners itself it
passes itself as the connection manager's ``listener_registrar`` and this table stays empty.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, Dict, Optional, Protocol, Tuple

from hazelcast.errors import TargetDisconnectedError
from hazelcast.protocol import ClientMessage
from hazelcast.protocol.errors import ERROR_MESSAGE_TYPE, decode_error_response

_logger = logging.getLogger(__name__)

EventHandler = Callable[[object, ClientMessage], None]
"""``handler(connection, event_message)``."""


class ListenerRegistrar(Protocol):
    """What the cluster view listener needs to register a listener on one connection."""

    async def register_on_connection(
        self, connection: object, request: ClientMessage, event_handler: EventHandler
    ) -> ClientMessage:
        """Send ``request`` on ``connection``, route its events to ``event_handler``; return the response."""


class DirectInvoker:
    """Correlation table for the requests the network layer sends itself."""

    def __init__(
        self,
        correlation_id_source: Callable[[], int],
        fallback: Optional[Callable[[object, ClientMessage], None]] = None,
    ) -> None:
        self._next_id = correlation_id_source
        self._fallback = fallback
        # correlation id -> (connection, response waiter or None, event handler or None)
        self._table: Dict[int, Tuple[object, Optional[asyncio.Future], Optional[EventHandler]]] = {}

    @property
    def fallback(self) -> Optional[Callable[[object, ClientMessage], None]]:
        """The handler of every message whose correlation id this table did not issue."""
        return self._fallback

    @fallback.setter
    def fallback(self, handler: Optional[Callable[[object, ClientMessage], None]]) -> None:
        self._fallback = handler

    def next_correlation_id(self) -> int:
        """A fresh id from the shared source (for requests answered outside this table, e.g. authentication)."""
        return self._next_id()

    @property
    def pending(self) -> int:
        """Entries in the table (waiting responses and live event registrations)."""
        return len(self._table)

    def handle(self, connection: object, message: ClientMessage) -> None:
        """The message handler of connections: route by correlation id (own entries first, then the fallback)."""
        entry = self._table.get(message.correlation_id) if self._table else None
        if entry is None:
            if self._fallback is not None:
                self._fallback(connection, message)
            else:
                _logger.debug("dropped message %r from %r: unknown correlation id", message, connection)
            return
        owner, waiter, events = entry
        if message.is_event():
            if events is not None:
                events(connection, message)
            return
        if events is None:
            del self._table[message.correlation_id]
        else:
            self._table[message.correlation_id] = (owner, None, events)
        if waiter is not None and not waiter.done():
            if message.message_type == ERROR_MESSAGE_TYPE:
                waiter.set_exception(decode_error_response(message))
            else:
                waiter.set_result(message)

    async def invoke(
        self,
        connection: object,
        request: ClientMessage,
        event_handler: Optional[EventHandler] = None,
        timeout: Optional[float] = None,
    ) -> ClientMessage:
        """Send ``request`` on ``connection`` with a fresh correlation id; return the response (error responses
        raise their exception). With ``event_handler``, events with the same correlation id keep flowing to it
        until :meth:`forget` or :meth:`connection_closed`."""
        correlation_id = self._next_id()
        request.correlation_id = correlation_id
        waiter = asyncio.get_running_loop().create_future()
        self._table[correlation_id] = (connection, waiter, event_handler)
        if not connection.send_sync(request):  # type: ignore[attr-defined]
            del self._table[correlation_id]
            raise TargetDisconnectedError(f"{connection!r} is not alive")
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except BaseException:
            self.forget(correlation_id)
            raise

    async def register_on_connection(
        self, connection: object, request: ClientMessage, event_handler: EventHandler
    ) -> ClientMessage:
        """:class:`ListenerRegistrar` implementation."""
        return await self.invoke(connection, request, event_handler)

    def send_and_forget(self, connection: object, request: ClientMessage) -> bool:
        """Send ``request`` with a fresh correlation id; its response is consumed and dropped (pings)."""
        correlation_id = self._next_id()
        request.correlation_id = correlation_id
        self._table[correlation_id] = (connection, None, None)
        if connection.send_sync(request):  # type: ignore[attr-defined]
            return True
        del self._table[correlation_id]
        return False

    def forget(self, correlation_id: int) -> None:
        """Drop one entry (its events are ignored from now on)."""
        self._table.pop(correlation_id, None)

    def connection_closed(self, connection: object) -> None:
        """Drop the entries of ``connection``; waiting requests fail with TargetDisconnectedError."""
        for correlation_id, (owner, waiter, _) in list(self._table.items()):
            if owner is connection:
                del self._table[correlation_id]
                if waiter is not None and not waiter.done():
                    waiter.set_exception(TargetDisconnectedError(f"{connection!r} closed"))
