"""Keeps one ``Client.AddClusterViewListener`` registration alive and feeds its events to the cluster and
partition services (``docs/protocol.md`` §2.2).

The listener is registered on one connection. When that connection closes it is registered again on another live
connection (the next one to be added, if none is live). MembersView events go to
:meth:`~hazelcast.cluster.ClusterService.handle_members_view`, PartitionsView events to
:meth:`~hazelcast.partition.PartitionService.handle_partitions_view`; other event types are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Optional, Sequence, Set

from hazelcast.cluster import ClusterService
from hazelcast.network.direct_invoker import ListenerRegistrar
from hazelcast.partition import PartitionService
from hazelcast.protocol import ClientMessage
from hazelcast.protocol.codecs.client import (
    MEMBERS_VIEW_EVENT,
    PARTITIONS_VIEW_EVENT,
    decode_members_view_event,
    decode_partitions_view_event,
    encode_add_cluster_view_listener_request,
)

_logger = logging.getLogger(__name__)


class ClusterViewListener:
    """Owns the cluster view registration (one connection at a time)."""

    def __init__(
        self,
        cluster_service: ClusterService,
        partition_service: PartitionService,
        registrar: ListenerRegistrar,
        live_connections: Callable[[], Sequence[Any]],
    ) -> None:
        self._cluster = cluster_service
        self._partitions = partition_service
        self._registrar = registrar
        self._live = live_connections
        self._connection: Any = None
        self._tasks: Set[asyncio.Task] = set()
        self._stopped = False

    @property
    def listening_connection(self) -> Any:
        """The connection the listener is registered on (or being registered on), or ``None``."""
        return self._connection

    def connection_added(self, connection: Any) -> None:
        """A new authenticated connection: register on it if no registration exists."""
        if self._connection is None and not self._stopped:
            self._register(connection)

    def connection_removed(self, connection: Any) -> None:
        """A connection closed: if it carried the registration, move it to another live connection."""
        if connection is not self._connection:
            return
        self._connection = None
        if self._stopped:
            return
        for candidate in self._live():
            if candidate is not connection and candidate.is_alive:
                self._register(candidate)
                return

    def _register(self, connection: Any) -> None:
        self._connection = connection
        task = asyncio.get_running_loop().create_task(self._do_register(connection))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _do_register(self, connection: Any) -> None:
        request = encode_add_cluster_view_listener_request()
        try:
            await self._registrar.register_on_connection(connection, request, self.handle_event)
            _logger.debug("cluster view listener registered on %r", connection)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            _logger.warning("cluster view listener registration on %r failed: %r", connection, e)
            if self._connection is connection:
                self.connection_removed(connection)

    def handle_event(self, connection: Any, message: ClientMessage) -> None:
        """Apply a MembersView or PartitionsView event."""
        message_type = message.message_type
        try:
            if message_type == MEMBERS_VIEW_EVENT:
                version, members = decode_members_view_event(message)
                self._cluster.handle_members_view(version, members)
            elif message_type == PARTITIONS_VIEW_EVENT:
                version, partitions = decode_partitions_view_event(message)
                self._partitions.handle_partitions_view(connection, version, partitions)
            else:
                _logger.debug("ignored cluster view event type 0x%06x", message_type)
        except Exception:
            _logger.exception("malformed cluster view event from %r", connection)

    async def stop(self) -> None:
        """Stop re-registering and cancel registrations in flight."""
        self._stopped = True
        self._connection = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
