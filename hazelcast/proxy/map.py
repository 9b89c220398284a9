"""``IMap``: the distributed map, asynchronous (``m = await client.get_map("name")``).

Keys and values are any object the serialization service handles: every built-in type, Compact objects (registered
serializers, zero-config dataclasses and annotated classes, GenericRecords). Before a request carrying Data with a
schema the cluster has not confirmed is sent, the schema is replicated (``Client.SendSchema``, docs/protocol.md
§6.4); values whose schema this client does not know are fetched (``Client.FetchSchema``) and decoded again.

Keyed operations go to the partition owner (``partition_id`` of the serialized key). ``put_all`` and ``get_all``
group the keys by partition and send one request per partition, all at once.

Thread id: every request carries the constant :data:`THREAD_ID`. Java uses the thread id only for lock ownership,
and this client has no map locks; an asyncio client would need a per-task pseudo id for them.

Durations (``ttl``, ``max_idle``) are seconds: ``None`` means the map's configured default, ``0`` means forever;
a positive value below a millisecond is rounded up to one.

Errors: ``ValueError`` for a ``None`` key or value; :class:`~hazelcast.errors.HazelcastSerializationError` for
objects that cannot be serialized; the invocation's error otherwise (e.g.
:class:`~hazelcast.errors.OperationTimeoutError`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from hazelcast.listener import ListenerCodec
from hazelcast.protocol.codecs import map as codec
from hazelcast.protocol.codecs.builtin import decode_nullable_data_response
from hazelcast.protocol.codecs.map import EntryEventMessage, EntryEventType
from hazelcast.protocol.codecs.proxy import MAP_SERVICE_NAME
from hazelcast.proxy.base import Proxy, ProxyContext
from hazelcast.serialization import SchemaNotFoundError

_logger = logging.getLogger(__name__)

__all__ = ["EntryEvent", "EntryEventType", "IMap", "THREAD_ID"]

THREAD_ID = 1
"""The thread id of every map request (see the module docstring)."""

_DEFAULT_TTL = -1
"""Milliseconds value meaning "the map's configured default" (ttl and max idle)."""

_encode_get = codec.encode_get_request
_encode_put = codec.encode_put_request
_encode_set = codec.encode_set_request
_decode_data = decode_nullable_data_response


def _millis(seconds: Optional[float], what: str) -> int:
    if seconds is None:
        return _DEFAULT_TTL
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or math.isnan(seconds):
        raise ValueError(f"{what} must be a number of seconds or None, got {seconds!r}")
    if seconds <= 0:
        return 0 if seconds == 0 else _DEFAULT_TTL
    if math.isinf(seconds):
        return 0
    return max(1, math.ceil(seconds * 1000))


@dataclass(frozen=True)
class EntryEvent:
    """An entry event of a map listener; ``value`` / ``old_value`` are ``None`` without ``include_value``."""

    name: str
    """The map's name."""
    key: Any
    value: Any
    old_value: Any
    merging_value: Any
    event_type: EntryEventType
    uuid: Optional[uuid.UUID]
    """The member that fired the event."""
    number_of_affected_entries: int
    """For map-wide events (EVICT_ALL, CLEAR_ALL)."""


EntryListener = Callable[[EntryEvent], Any]


class _EntryEventDispatcher:
    """Decodes the events of one listener registration and calls the user's functions, in arrival order.

    An event whose Data needs a schema this client does not know waits (with every later event) while the schema
    is fetched; a listener function that raises is logged, and the next event is still delivered.
    """

    def __init__(self, name: str, context: ProxyContext, functions: Dict[int, EntryListener]) -> None:
        self._name = name
        self._serialization = context.serialization
        self._functions = functions
        self._backlog: Deque[EntryEventMessage] = deque()
        self._drain: Optional["asyncio.Task[None]"] = None

    def handle(self, connection: Any, message: Any) -> None:
        if not codec.handle_entry_event(message, self._on_event):
            _logger.debug("map %r: ignored a non-entry event %r", self._name, message)

    def _on_event(self, event: EntryEventMessage) -> None:
        if not self._backlog:
            try:
                self._deliver(self._decode(event))
                return
            except SchemaNotFoundError:
                pass
        self._backlog.append(event)
        if self._drain is None:
            self._drain = asyncio.get_running_loop().create_task(self._drain_backlog())

    def _decode(self, event: EntryEventMessage) -> EntryEvent:
        to_object = self._serialization.to_object
        return self._event(event, [to_object(d) for d in (event.key, event.value, event.old_value,
                                                          event.merging_value)])

    async def _decode_async(self, event: EntryEventMessage) -> EntryEvent:
        to_object_async = self._serialization.to_object_async
        return self._event(event, [await to_object_async(d) for d in (event.key, event.value, event.old_value,
                                                                      event.merging_value)])

    def _event(self, event: EntryEventMessage, values: List[Any]) -> EntryEvent:
        key, value, old_value, merging_value = values
        return EntryEvent(self._name, key, value, old_value, merging_value, EntryEventType(event.event_type),
                          event.member_uuid, event.number_of_affected_entries)

    async def _drain_backlog(self) -> None:
        try:
            while self._backlog:
                event = self._backlog[0]
                try:
                    decoded = await self._decode_async(event)
                except Exception as e:
                    _logger.warning("map %r: dropped an entry event that cannot be decoded: %r", self._name, e)
                else:
                    self._deliver(decoded)
                self._backlog.popleft()
        finally:
            self._drain = None

    def _deliver(self, event: EntryEvent) -> None:
        function = self._functions.get(event.event_type)
        if function is None:
            return
        try:
            function(event)
        except Exception:
            _logger.exception("map %r: entry listener %r failed", self._name, function)


class IMap(Proxy):
    """A distributed map (see the module docstring). Get one with ``await client.get_map(name)``."""

    service_name = MAP_SERVICE_NAME

    def __init__(self, name: str, context: ProxyContext, on_destroy: Callable[[Proxy], Any]) -> None:
        super().__init__(name, context, on_destroy)
        serialization = context.serialization
        self._serialization = serialization
        self._to_bytes = serialization.to_bytes
        self._to_object = serialization.to_object
        self._to_object_async = serialization.to_object_async
        self._schemas = serialization.schema_service
        self._invoke = context.invocations.invoke  # type: ignore[method-assign]
        self._invoke_on_partition = context.invocations.invoke_on_partition
        self._partition_id = context.partitions.get_partition_id

    # -- helpers -----------------------------------------------------------------------------------------------------

    def _data(self, obj: Any, what: str) -> bytes:
        if obj is None:
            raise ValueError(f"{what} can't be None")
        return self._to_bytes(obj)

    async def _object(self, data: Optional[bytes]) -> Any:
        try:
            return self._to_object(data)
        except SchemaNotFoundError:
            return await self._to_object_async(data)

    async def _objects(self, items: Iterable[Optional[bytes]]) -> List[Any]:
        to_object = self._to_object
        out = []
        for data in items:
            try:
                out.append(to_object(data))
            except SchemaNotFoundError:
                out.append(await self._to_object_async(data))
        return out

    async def _replicate_schemas(self) -> None:
        await self._schemas.replicate_pending()

    async def _on_key(self, request: Any, key: bytes) -> Any:
        return await self._invoke_on_partition(request, self._partition_id(key))

    # -- single-key operations -----------------------------------------------------------------------------------

    async def get(self, key: Any) -> Any:
        """The value of ``key``, or ``None``."""
        if key is None:
            raise ValueError("key can't be None")
        key_data = self._to_bytes(key)
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        response = await self._invoke_on_partition(
            _encode_get(self.name, key_data, THREAD_ID), self._partition_id(key_data)
        )
        data = _decode_data(response)
        try:
            return self._to_object(data)
        except SchemaNotFoundError:
            return await self._to_object_async(data)

    async def put(self, key: Any, value: Any, ttl: Optional[float] = None, max_idle: Optional[float] = None) -> Any:
        """Map ``key`` to ``value``; returns the previous value (or ``None``). ``ttl`` / ``max_idle`` in seconds
        (``None``: the map's default; ``0``: forever)."""
        if key is None or value is None:
            raise ValueError("key can't be None" if key is None else "value can't be None")
        key_data = self._to_bytes(key)
        value_data = self._to_bytes(value)
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        if max_idle is None:
            request = _encode_put(self.name, key_data, value_data, THREAD_ID, -1 if ttl is None else _millis(ttl, "ttl"))
        else:
            request = codec.encode_put_with_max_idle_request(
                self.name, key_data, value_data, THREAD_ID, _millis(ttl, "ttl"), _millis(max_idle, "max_idle")
            )
        response = await self._invoke_on_partition(request, self._partition_id(key_data))
        data = _decode_data(response)
        if data is None:
            return None
        try:
            return self._to_object(data)
        except SchemaNotFoundError:
            return await self._to_object_async(data)

    async def set(self, key: Any, value: Any, ttl: Optional[float] = None, max_idle: Optional[float] = None) -> None:
        """As :meth:`put` without returning the previous value (cheaper)."""
        if key is None or value is None:
            raise ValueError("key can't be None" if key is None else "value can't be None")
        key_data = self._to_bytes(key)
        value_data = self._to_bytes(value)
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        if max_idle is None:
            request = _encode_set(self.name, key_data, value_data, THREAD_ID, -1 if ttl is None else _millis(ttl, "ttl"))
        else:
            request = codec.encode_set_with_max_idle_request(
                self.name, key_data, value_data, THREAD_ID, _millis(ttl, "ttl"), _millis(max_idle, "max_idle")
            )
        await self._invoke_on_partition(request, self._partition_id(key_data))

    async def put_if_absent(
        self, key: Any, value: Any, ttl: Optional[float] = None, max_idle: Optional[float] = None
    ) -> Any:
        """Map ``key`` to ``value`` unless it is mapped; returns the existing value, or ``None`` if it put."""
        key_data = self._data(key, "key")
        value_data = self._data(value, "value")
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        if max_idle is None:
            request = codec.encode_put_if_absent_request(
                self.name, key_data, value_data, THREAD_ID, _millis(ttl, "ttl")
            )
        else:
            request = codec.encode_put_if_absent_with_max_idle_request(
                self.name, key_data, value_data, THREAD_ID, _millis(ttl, "ttl"), _millis(max_idle, "max_idle")
            )
        return await self._object(codec.decode_put_if_absent_response(await self._on_key(request, key_data)))

    async def replace(self, key: Any, value: Any) -> Any:
        """Map ``key`` to ``value`` only if it is mapped; returns the previous value (``None``: nothing replaced)."""
        key_data = self._data(key, "key")
        value_data = self._data(value, "value")
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        request = codec.encode_replace_request(self.name, key_data, value_data, THREAD_ID)
        return await self._object(codec.decode_replace_response(await self._on_key(request, key_data)))

    async def replace_if_same(self, key: Any, old_value: Any, new_value: Any) -> bool:
        """Map ``key`` to ``new_value`` only if it is mapped to ``old_value`` (compared serialized); True if it
        replaced."""
        key_data = self._data(key, "key")
        old_data = self._data(old_value, "old_value")
        new_data = self._data(new_value, "new_value")
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        request = codec.encode_replace_if_same_request(self.name, key_data, old_data, new_data, THREAD_ID)
        return codec.decode_replace_if_same_response(await self._on_key(request, key_data))

    async def remove(self, key: Any) -> Any:
        """Remove the mapping of ``key``; returns the removed value, or ``None``."""
        key_data = self._data(key, "key")
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        request = codec.encode_remove_request(self.name, key_data, THREAD_ID)
        return await self._object(codec.decode_remove_response(await self._on_key(request, key_data)))

    async def remove_if_same(self, key: Any, value: Any) -> bool:
        """Remove the mapping of ``key`` only if it is mapped to ``value``; True if it removed."""
        key_data = self._data(key, "key")
        value_data = self._data(value, "value")
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        request = codec.encode_remove_if_same_request(self.name, key_data, value_data, THREAD_ID)
        return codec.decode_remove_if_same_response(await self._on_key(request, key_data))

    async def delete(self, key: Any) -> None:
        """Remove the mapping of ``key`` without returning the value (cheaper than :meth:`remove`)."""
        key_data = self._data(key, "key")
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        await self._on_key(codec.encode_delete_request(self.name, key_data, THREAD_ID), key_data)

    async def contains_key(self, key: Any) -> bool:
        """Whether ``key`` is mapped."""
        key_data = self._data(key, "key")
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        request = codec.encode_contains_key_request(self.name, key_data, THREAD_ID)
        return codec.decode_contains_key_response(await self._on_key(request, key_data))

    async def contains_value(self, value: Any) -> bool:
        """Whether some key is mapped to ``value`` (compared serialized; scans the whole map)."""
        value_data = self._data(value, "value")
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        return codec.decode_contains_value_response(
            await self._invoke(codec.encode_contains_value_request(self.name, value_data))
        )

    # -- whole-map operations ------------------------------------------------------------------------------------

    async def size(self) -> int:
        """The number of entries."""
        return codec.decode_size_response(await self._invoke(codec.encode_size_request(self.name)))

    async def is_empty(self) -> bool:
        """Whether the map has no entries."""
        return codec.decode_is_empty_response(await self._invoke(codec.encode_is_empty_request(self.name)))

    async def clear(self) -> None:
        """Remove every entry."""
        await self._invoke(codec.encode_clear_request(self.name))

    async def key_set(self) -> List[Any]:
        """Every key (a snapshot)."""
        return await self._objects(codec.decode_key_set_response(await self._invoke(codec.encode_key_set_request(
            self.name))))

    async def values(self) -> List[Any]:
        """Every value (a snapshot)."""
        return await self._objects(codec.decode_values_response(await self._invoke(codec.encode_values_request(
            self.name))))

    async def entry_set(self) -> List[Tuple[Any, Any]]:
        """Every ``(key, value)`` pair (a snapshot)."""
        pairs = codec.decode_entry_set_response(await self._invoke(codec.encode_entry_set_request(self.name)))
        flat = await self._objects(item for pair in pairs for item in pair)
        return list(zip(flat[0::2], flat[1::2]))

    def _group_by_partition(self, items: Iterable[Tuple[bytes, Any]]) -> Dict[int, List[Tuple[bytes, Any]]]:
        groups: Dict[int, List[Tuple[bytes, Any]]] = {}
        partition_id = self._partition_id
        for item in items:
            pid = partition_id(item[0])
            group = groups.get(pid)
            if group is None:
                groups[pid] = [item]
            else:
                group.append(item)
        return groups

    async def put_all(self, entries: Mapping[Any, Any]) -> None:
        """Put every ``key: value`` of ``entries``: one request per partition, all sent at once. Not atomic: if
        one request fails, the other partitions may have been written."""
        if not isinstance(entries, Mapping):
            raise TypeError(f"put_all needs a mapping, got {type(entries).__name__}")
        if not entries:
            return
        serialized = [(self._data(k, "key"), self._data(v, "value")) for k, v in entries.items()]
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        groups = self._group_by_partition(serialized)
        await asyncio.gather(
            *(
                self._invoke_on_partition(codec.encode_put_all_request(self.name, group), pid)
                for pid, group in groups.items()
            )
        )

    async def get_all(self, keys: Iterable[Any]) -> Dict[Any, Any]:
        """The values of ``keys`` that are mapped, as a dict keyed by the given key objects (which must be hashable):
        one request per partition, all sent at once."""
        originals: Dict[bytes, Any] = {}
        for key in keys:
            originals.setdefault(self._data(key, "key"), key)
        if not originals:
            return {}
        if self._schemas.has_pending_replication:
            await self._replicate_schemas()
        groups = self._group_by_partition((k, None) for k in originals)
        responses = await asyncio.gather(
            *(
                self._invoke_on_partition(codec.encode_get_all_request(self.name, [k for k, _ in group]), pid)
                for pid, group in groups.items()
            )
        )
        result: Dict[Any, Any] = {}
        for response in responses:
            pairs = codec.decode_get_all_response(response)
            found = await self._objects(value for _, value in pairs)
            for (key_data, _), value in zip(pairs, found):
                original = originals.get(bytes(key_data))
                result[original if original is not None else await self._object(key_data)] = value
        return result

    # -- entry listeners -----------------------------------------------------------------------------------------

    async def add_entry_listener(
        self,
        include_value: bool = False,
        key: Any = None,
        added_func: Optional[EntryListener] = None,
        removed_func: Optional[EntryListener] = None,
        updated_func: Optional[EntryListener] = None,
        evicted_func: Optional[EntryListener] = None,
        evict_all_func: Optional[EntryListener] = None,
        clear_all_func: Optional[EntryListener] = None,
        merged_func: Optional[EntryListener] = None,
        expired_func: Optional[EntryListener] = None,
        loaded_func: Optional[EntryListener] = None,
    ) -> str:
        """Call the given functions with an :class:`EntryEvent` for each event of their kind (of ``key`` only,
        when given); values are included only with ``include_value``. Returns the registration id for
        :meth:`remove_entry_listener`. The listener is registered on every member connection and again on new
        ones (after a member joined, or a reconnect). Listener functions run on the event loop: keep them short."""
        functions = {
            EntryEventType.ADDED: added_func,
            EntryEventType.REMOVED: removed_func,
            EntryEventType.UPDATED: updated_func,
            EntryEventType.EVICTED: evicted_func,
            EntryEventType.EVICT_ALL: evict_all_func,
            EntryEventType.CLEAR_ALL: clear_all_func,
            EntryEventType.MERGED: merged_func,
            EntryEventType.EXPIRED: expired_func,
            EntryEventType.LOADED: loaded_func,
        }
        chosen = {int(t): f for t, f in functions.items() if f is not None}
        for f in chosen.values():
            if not callable(f):
                raise TypeError(f"entry listener functions must be callable, got {f!r}")
        if not chosen:
            raise ValueError("add_entry_listener needs at least one listener function")
        flags = 0
        for event_type in chosen:
            flags |= event_type
        name = self.name
        include = bool(include_value)
        if key is None:

            def encode_add(local_only: bool) -> Any:
                return codec.encode_add_entry_listener_request(name, include, flags, local_only)

        else:
            key_data = self._data(key, "key")
            if self._schemas.has_pending_replication:
                await self._replicate_schemas()

            def encode_add(local_only: bool) -> Any:
                return codec.encode_add_entry_listener_to_key_request(name, key_data, include, flags, local_only)

        listener = ListenerCodec(
            encode_add,
            codec.decode_add_entry_listener_response,
            lambda registration_id: codec.encode_remove_entry_listener_request(name, registration_id),
        )
        dispatcher = _EntryEventDispatcher(name, self._context, chosen)
        registration_id = await self._context.listeners.register_listener(listener, dispatcher.handle)
        return str(registration_id)

    async def remove_entry_listener(self, registration_id: str) -> bool:
        """Remove a listener added with :meth:`add_entry_listener`; False if the id is unknown."""
        try:
            parsed = uuid.UUID(str(registration_id))
        except ValueError:
            return False
        return await self._context.listeners.deregister_listener(parsed)
