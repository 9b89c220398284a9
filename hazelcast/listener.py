"""Listener registrations that survive connections: registered on every connection, again on new ones.

A listener is described by a :class:`ListenerCodec` (how to build the add request, read the member's registration
id from its response, and build the remove request) and an event handler. :class:`ListenerService`:

* registers it on every live connection (smart routing: one per member, ``local_only=True``; otherwise the one
  connection, ``local_only=False``), with urgent invocations bound to each connection whose events the
  :class:`~hazelcast.invocation.InvocationService` routes by (connection, correlation id) to the handler;
* registers every listener on each connection that opens later, hence again after a reconnect;
* forgets the per-connection registration when its connection closes (the member drops it too);
* on :meth:`ListenerService.deregister_listener`, sends the remove request on every connection and drops the
  event handlers;
* registers the local backup listener (``Client.LocalBackupListener``, never removed) when the invocation service
  expects backup acks (§9), and, given ``member_uuids``, tells the invocation service whether every member has a
  connection carrying it (:attr:`InvocationService.backup_listener_ready`): until then requests go without
  ``BACKUP_AWARE_FLAG``, so no ack is lost to a member that cannot send it (no 5 s backup-timeout stall on a new
  connection or after a member joined). Call :meth:`ListenerService.members_changed` when the member list changes.

Registration work runs one operation at a time (as Java's single registration thread), so a listener is never
registered twice on one connection.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Set

from hazelcast.errors import ClientNotActiveError
from hazelcast.invocation import Connection, ConnectionRegistry, EventHandler, InvocationService
from hazelcast.protocol import ClientMessage
from hazelcast.protocol.codecs.backup import (
    decode_local_backup_listener_response,
    encode_local_backup_listener_request,
)

_logger = logging.getLogger(__name__)

__all__ = ["LOCAL_BACKUP_LISTENER", "ListenerCodec", "ListenerService"]


@dataclass(frozen=True)
class ListenerCodec:
    """How to add and remove one kind of listener (Java's ``ListenerMessageCodec``).

    ``encode_add_request(local_only)`` builds a fresh add request; ``decode_add_response(response)`` returns the
    member's registration id; ``encode_remove_request(registration_id)`` builds the remove request, or is ``None``
    for listeners that are never removed on the member.
    """

    encode_add_request: Callable[[bool], ClientMessage]
    decode_add_response: Callable[[ClientMessage], Optional[uuid.UUID]]
    encode_remove_request: Optional[Callable[[uuid.UUID], ClientMessage]] = None


LOCAL_BACKUP_LISTENER = ListenerCodec(
    lambda local_only: encode_local_backup_listener_request(),
    decode_local_backup_listener_response,
)
"""``Client.LocalBackupListener``: backup acks of this client's invocations (not removable)."""


class ConnectionRegistration(NamedTuple):
    """A listener's registration on one connection."""

    server_registration_id: Optional[uuid.UUID]
    """The registration id the member returned."""
    correlation_id: int
    """The correlation id its events carry."""


class _Registration:
    __slots__ = ("codec", "handler", "connections")

    def __init__(self, codec: ListenerCodec, handler: EventHandler) -> None:
        self.codec = codec
        self.handler = handler
        self.connections: Dict[Any, ConnectionRegistration] = {}


class ListenerService:
    """Keeps listener registrations on every connection (see the module docstring).

    ``invocations`` sends the requests and routes the events; ``registry`` is the connection manager (live
    connections, connection added/removed callbacks); ``member_uuids()`` returns the UUIDs of the current members
    (for the backup listener readiness; without it the invocation service's readiness is left alone).
    """

    def __init__(
        self,
        invocations: InvocationService,
        registry: ConnectionRegistry,
        member_uuids: Optional[Callable[[], Iterable[uuid.UUID]]] = None,
    ) -> None:
        self._invocations = invocations
        self._registry = registry
        self._member_uuids = member_uuids
        self._registrations: Dict[uuid.UUID, _Registration] = {}
        self._lock = asyncio.Lock()
        self._tasks: Set["asyncio.Task[Any]"] = set()
        self._running = False
        self._shut_down = False
        self._backup_registration_id: Optional[uuid.UUID] = None

    @property
    def is_running(self) -> bool:
        """Between :meth:`start` and :meth:`shutdown`."""
        return self._running

    @property
    def backup_listener_registration_id(self) -> Optional[uuid.UUID]:
        """The registration id of the local backup listener, if one is registered."""
        return self._backup_registration_id

    def registration_ids(self) -> List[uuid.UUID]:
        """The ids of the active registrations."""
        return list(self._registrations)

    def connection_registrations(self, registration_id: uuid.UUID) -> Dict[Any, ConnectionRegistration]:
        """Connection -> :class:`ConnectionRegistration` of one registration (a copy; empty if unknown)."""
        registration = self._registrations.get(registration_id)
        return dict(registration.connections) if registration is not None else {}

    # -- lifecycle -------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Follow connections as they open and close, and register the local backup listener when the invocation
        service expects backup acks. Raises :class:`~hazelcast.errors.ClientNotActiveError` after shutdown."""
        if self._shut_down:
            raise ClientNotActiveError("the listener service is shut down")
        if self._running:
            return
        self._running = True
        self._registry.add_connection_listener(self.on_connection_opened, self.on_connection_closed)
        if self._invocations.backup_acks_enabled:
            self.members_changed()
            self._backup_registration_id = await self.register_listener(
                LOCAL_BACKUP_LISTENER, self._invocations.handle_backup_event
            )
            self.members_changed()

    async def shutdown(self) -> None:
        """Stop registering (pending registrations on new connections are cancelled) and forget every
        registration; members drop the listeners of a client that disconnects. Idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        self._running = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._registrations.clear()
        self._backup_registration_id = None

    def _check_running(self) -> None:
        if not self._running:
            raise ClientNotActiveError(
                "the listener service is shut down" if self._shut_down else "the listener service is not started"
            )

    # -- registering -----------------------------------------------------------------------------------------------

    async def register_listener(self, codec: ListenerCodec, event_handler: EventHandler) -> uuid.UUID:
        """Register a listener on every live connection (and, later, on every new one); return its id.

        ``event_handler(connection, event)`` gets its events. If a live connection refuses the registration, the
        listener is removed from the connections that accepted it and the error is raised. A connection that
        closes during the registration is skipped.
        """
        self._check_running()
        registration_id = uuid.uuid4()
        registration = _Registration(codec, event_handler)
        async with self._lock:
            self._check_running()
            self._registrations[registration_id] = registration
            try:
                for connection in list(self._registry.get_active_connections()):
                    try:
                        await self._register_on(registration, connection)
                    except Exception:
                        if not connection.is_alive:
                            continue
                        del self._registrations[registration_id]
                        await self._remove_from_members(registration_id, registration)
                        raise
            except asyncio.CancelledError:
                self._registrations.pop(registration_id, None)
                self._spawn(self._remove_from_members(registration_id, registration))
                raise
        return registration_id

    async def _register_on(self, registration: _Registration, connection: Connection) -> None:
        if connection in registration.connections:
            return
        request = registration.codec.encode_add_request(self._invocations.smart_routing)
        response = await self._invocations.invoke(
            request, connection=connection, urgent=True, event_handler=registration.handler
        )
        correlation_id = response.correlation_id
        try:
            server_id = registration.codec.decode_add_response(response)
        except Exception:
            self._invocations.remove_event_handler(connection, correlation_id)
            raise
        if connection.is_alive:  # else it closed meanwhile and took its event handlers with it
            registration.connections[connection] = ConnectionRegistration(server_id, correlation_id)
            if registration.codec is LOCAL_BACKUP_LISTENER:
                self.members_changed()

    def on_connection_opened(self, connection: Connection) -> None:
        """A new authenticated connection: register every listener on it (in the background)."""
        if self._running:
            self._spawn(self._register_all_on(connection))

    async def _register_all_on(self, connection: Connection) -> None:
        async with self._lock:
            for registration_id, registration in list(self._registrations.items()):
                if not connection.is_alive:
                    return
                try:
                    await self._register_on(registration, connection)
                except Exception as e:
                    _logger.warning("could not register listener %s on %r: %r", registration_id, connection, e)

    def on_connection_closed(
        self, connection: Connection, reason: Optional[str] = None, cause: Optional[BaseException] = None
    ) -> None:
        """A connection closed: forget the registrations on it."""
        for registration in self._registrations.values():
            registration.connections.pop(connection, None)
        self.members_changed()

    def members_changed(self) -> None:
        """Recompute :attr:`InvocationService.backup_listener_ready`: True once every current member has a live
        connection with the local backup listener registered on it (no-op without ``member_uuids`` or backup
        acks)."""
        if self._member_uuids is None or not self._invocations.backup_acks_enabled:
            return
        covered = set()
        for registration in self._registrations.values():
            if registration.codec is LOCAL_BACKUP_LISTENER:
                covered = {c.member_uuid for c in registration.connections if c.is_alive}
        self._invocations.backup_listener_ready = all(m in covered for m in self._member_uuids())

    # -- deregistering ---------------------------------------------------------------------------------------------

    async def deregister_listener(self, registration_id: uuid.UUID) -> bool:
        """Remove a listener from every connection; True if it existed and every live connection removed it.

        If a live connection fails to remove it, the registration stays (events keep flowing) and False is
        returned; a later call retries.
        """
        self._check_running()
        async with self._lock:
            return await self._deregister(registration_id)

    async def _deregister(self, registration_id: uuid.UUID) -> bool:
        registration = self._registrations.get(registration_id)
        if registration is None:
            return False
        removed = await self._remove_from_members(registration_id, registration)
        if removed:
            del self._registrations[registration_id]
            if registration_id == self._backup_registration_id:
                self._backup_registration_id = None
        return removed

    async def _remove_from_members(self, registration_id: uuid.UUID, registration: _Registration) -> bool:
        removed_everywhere = True
        encode_remove = registration.codec.encode_remove_request
        for connection, entry in list(registration.connections.items()):
            try:
                if encode_remove is not None and entry.server_registration_id is not None:
                    await self._invocations.invoke(encode_remove(entry.server_registration_id), connection=connection)
            except Exception as e:
                if connection.is_alive:
                    removed_everywhere = False
                    _logger.warning("could not remove listener %s from %r: %r", registration_id, connection, e)
                    continue
            self._invocations.remove_event_handler(connection, entry.correlation_id)
            registration.connections.pop(connection, None)
        return removed_everywhere

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
