"""Codecs of the ``Map`` service (service id 1): the requests and responses behind ``IMap``, and its entry events.

Source of every message type id, parameter order, ``retryable`` flag and ``since`` version:
``protocol-definitions/Map.yaml`` of hazelcast/hazelcast-client-protocol (protocol 2.10). Layout rules
(``docs/protocol.md`` §1.4): the fixed-size request parameters sit in the initial frame, in declaration order, right
after the 16-byte request header; the var-sized ones follow as frames in declaration order. Responses have a 13-byte
header; events a 16-byte one.

Keys and values are already-serialized ``Data`` passed as bytes-like objects; results are ``bytes`` (or ``None``).
Encoders return a request with partition id -1 (the invocation layer sets the partition) and ``retryable`` set from
the YAML. Decoders take the whole response message, ignore trailing bytes and frames they do not know, and raise
:class:`~hazelcast.errors.ProtocolError` on malformed input.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import IntFlag
from typing import Any, Callable, Iterable, List, Optional, Tuple

from hazelcast.protocol import (
    EVENT_HEADER_SIZE,
    REQUEST_HEADER_SIZE,
    RESPONSE_HEADER_SIZE,
    ClientMessage,
    read_bool,
    read_int32,
    read_uuid,
)
from hazelcast.protocol.codecs.builtin import (
    BOOLEAN_SIZE,
    INT_SIZE,
    LONG_SIZE,
    UUID_SIZE,
    decode_bool_response,
    decode_data_entry_list,
    decode_data_list,
    decode_int32_response,
    decode_nullable_data_response,
    decode_uuid_response,
    encode_data_entry_list,
    encode_data_list,
    initial_frame,
    skip_initial_frame,
)

_create_request = ClientMessage.create_request
_create_keyed = ClientMessage.create_keyed_request  # the whole keyed request in one call (compiled: no frames)

Buffer = Any
"""A bytes-like serialized ``Data`` (``bytes``, ``bytearray``, ``memoryview`` or a Data object with the buffer
protocol)."""

# -- message type ids: (service 1 << 16) | (method << 8) | 0 for the request ---------------------------------------

PUT = 0x010100
GET = 0x010200
REMOVE = 0x010300
REPLACE = 0x010400
REPLACE_IF_SAME = 0x010500
CONTAINS_KEY = 0x010600
CONTAINS_VALUE = 0x010700
REMOVE_IF_SAME = 0x010800
DELETE = 0x010900
PUT_IF_ABSENT = 0x010E00
SET = 0x010F00
ADD_ENTRY_LISTENER_TO_KEY = 0x011800
ADD_ENTRY_LISTENER = 0x011900
REMOVE_ENTRY_LISTENER = 0x011A00
KEY_SET = 0x012200
GET_ALL = 0x012300
VALUES = 0x012400
ENTRY_SET = 0x012500
SIZE = 0x012A00
IS_EMPTY = 0x012B00
PUT_ALL = 0x012C00
CLEAR = 0x012D00
PUT_WITH_MAX_IDLE = 0x014400
PUT_IF_ABSENT_WITH_MAX_IDLE = 0x014600
SET_WITH_MAX_IDLE = 0x014700

ENTRY_EVENT_TO_KEY = 0x011802
"""The ``Entry`` event of ``addEntryListenerToKey``."""
ENTRY_EVENT = 0x011902
"""The ``Entry`` event of ``addEntryListener``."""
ENTRY_EVENT_TYPES = frozenset((ENTRY_EVENT_TO_KEY, ENTRY_EVENT))

# -- fixed-size parameter offsets in the initial frame's content --------------------------------------------------

_THREAD_ID = REQUEST_HEADER_SIZE
_THREAD_ID_ONLY = LONG_SIZE

_LISTENER_INCLUDE_VALUE = REQUEST_HEADER_SIZE
_LISTENER_FLAGS = _LISTENER_INCLUDE_VALUE + BOOLEAN_SIZE
_LISTENER_LOCAL_ONLY = _LISTENER_FLAGS + INT_SIZE
_LISTENER_FIXED = BOOLEAN_SIZE + INT_SIZE + BOOLEAN_SIZE

_EVENT_TYPE = EVENT_HEADER_SIZE
_EVENT_UUID = _EVENT_TYPE + INT_SIZE
_EVENT_AFFECTED = _EVENT_UUID + UUID_SIZE

_TRIGGER_MAP_LOADER = REQUEST_HEADER_SIZE
_REGISTRATION_ID = REQUEST_HEADER_SIZE

class EntryEventType(IntFlag):
    """Entry event types; also the bits of ``listener_flags`` (``com.hazelcast.core.EntryEventType``)."""

    ADDED = 1
    REMOVED = 1 << 1
    UPDATED = 1 << 2
    EVICTED = 1 << 3
    EXPIRED = 1 << 4
    EVICT_ALL = 1 << 5
    CLEAR_ALL = 1 << 6
    MERGED = 1 << 7
    INVALIDATION = 1 << 8
    LOADED = 1 << 9


@dataclass(frozen=True, slots=True)
class EntryEventMessage:
    """The parameters of a Map ``Entry`` event, still serialized.

    ``event_type`` is one :class:`EntryEventType` value (kept as the wire ``int``); ``member_uuid`` is the YAML's
    ``uuid``, the member that fired the event; ``number_of_affected_entries`` is set for map-wide events
    (``EVICT_ALL``, ``CLEAR_ALL``).
    """

    key: Optional[bytes]
    value: Optional[bytes]
    old_value: Optional[bytes]
    merging_value: Optional[bytes]
    event_type: int
    member_uuid: Optional[uuid.UUID]
    number_of_affected_entries: int


# -- helpers ------------------------------------------------------------------------------------------------------


def _value(value: Buffer) -> Buffer:
    if value is None:
        raise TypeError("a value is required (a bytes-like Data)")
    return value


def _key_request(
    message_type: int, fixed_size: int, retryable: bool, name: str, key: Buffer, thread_id: int
) -> ClientMessage:
    msg = _create_request(message_type, -1, fixed_size)
    msg.retryable = retryable
    msg.set_int64(_THREAD_ID, thread_id)
    msg.append_string(name)
    msg.append_data(key)
    return msg


def _name_request(message_type: int, retryable: bool, name: str) -> ClientMessage:
    msg = _create_request(message_type, -1, 0)
    msg.retryable = retryable
    msg.append_string(name)
    return msg


# -- put / set / put-if-absent ------------------------------------------------------------------------------------


def encode_put_request(name: str, key: Buffer, value: Buffer, thread_id: int, ttl: int) -> ClientMessage:
    """``Map.Put`` (not retryable): fixed ``threadId``, ``ttl`` (ms; 0 = forever, per the YAML);
    var ``name``, ``key``, ``value``. Response: :func:`decode_put_response`."""
    return _create_keyed(PUT, False, name, key, _value(value), thread_id, ttl)


def encode_put_with_max_idle_request(
    name: str, key: Buffer, value: Buffer, thread_id: int, ttl: int, max_idle: int
) -> ClientMessage:
    """``Map.PutWithMaxIdle`` (not retryable): fixed ``threadId``, ``ttl``, ``maxIdle`` (ms); var ``name``, ``key``,
    ``value``. Response: :func:`decode_put_response` (the old value)."""
    return _create_keyed(PUT_WITH_MAX_IDLE, False, name, key, _value(value), thread_id, ttl, max_idle)


def decode_put_response(msg: ClientMessage) -> Optional[bytes]:
    """The old value (``Data?``) of Put, PutWithMaxIdle, PutIfAbsent(WithMaxIdle), SetWithMaxIdle, Replace,
    Remove and Get responses."""
    return decode_nullable_data_response(msg)


decode_get_response = decode_put_response
decode_remove_response = decode_put_response
decode_replace_response = decode_put_response
decode_put_if_absent_response = decode_put_response
decode_set_with_max_idle_response = decode_put_response


def encode_set_request(name: str, key: Buffer, value: Buffer, thread_id: int, ttl: int) -> ClientMessage:
    """``Map.Set`` (not retryable): fixed ``threadId``, ``ttl``; var ``name``, ``key``, ``value``. The response has
    no parameters."""
    return _create_keyed(SET, False, name, key, _value(value), thread_id, ttl)


def encode_set_with_max_idle_request(
    name: str, key: Buffer, value: Buffer, thread_id: int, ttl: int, max_idle: int
) -> ClientMessage:
    """``Map.SetWithMaxIdle`` (not retryable): fixed ``threadId``, ``ttl``, ``maxIdle``; var ``name``, ``key``,
    ``value``. Response: :func:`decode_set_with_max_idle_response` (``Data?``, per the YAML)."""
    return _create_keyed(SET_WITH_MAX_IDLE, False, name, key, _value(value), thread_id, ttl, max_idle)


def encode_put_if_absent_request(name: str, key: Buffer, value: Buffer, thread_id: int, ttl: int) -> ClientMessage:
    """``Map.PutIfAbsent`` (not retryable): fixed ``threadId``, ``ttl``; var ``name``, ``key``, ``value``.
    Response: :func:`decode_put_if_absent_response` (the existing value, ``None`` if the put happened)."""
    return _create_keyed(PUT_IF_ABSENT, False, name, key, _value(value), thread_id, ttl)


def encode_put_if_absent_with_max_idle_request(
    name: str, key: Buffer, value: Buffer, thread_id: int, ttl: int, max_idle: int
) -> ClientMessage:
    """``Map.PutIfAbsentWithMaxIdle`` (not retryable): fixed ``threadId``, ``ttl``, ``maxIdle``; var ``name``,
    ``key``, ``value``. Response: :func:`decode_put_if_absent_response`."""
    return _create_keyed(PUT_IF_ABSENT_WITH_MAX_IDLE, False, name, key, _value(value), thread_id, ttl, max_idle)


# -- get / replace / remove / delete / contains -------------------------------------------------------------------


def encode_get_request(name: str, key: Buffer, thread_id: int) -> ClientMessage:
    """``Map.Get`` (retryable): fixed ``threadId``; var ``name``, ``key``. Response: :func:`decode_get_response`."""
    return _create_keyed(GET, True, name, key, None, thread_id)


def encode_replace_request(name: str, key: Buffer, value: Buffer, thread_id: int) -> ClientMessage:
    """``Map.Replace`` (not retryable): fixed ``threadId``; var ``name``, ``key``, ``value``. Response:
    :func:`decode_replace_response` (the previous value)."""
    return _create_keyed(REPLACE, False, name, key, _value(value), thread_id)


def encode_replace_if_same_request(
    name: str, key: Buffer, test_value: Buffer, value: Buffer, thread_id: int
) -> ClientMessage:
    """``Map.ReplaceIfSame`` (not retryable): fixed ``threadId``; var ``name``, ``key``, ``testValue``, ``value``.
    Response: :func:`decode_replace_if_same_response`."""
    msg = _key_request(REPLACE_IF_SAME, _THREAD_ID_ONLY, False, name, key, thread_id)
    msg.append_data(test_value)
    msg.append_data(value)
    return msg


def decode_replace_if_same_response(msg: ClientMessage) -> bool:
    """Whether the value was replaced."""
    return decode_bool_response(msg)


def encode_remove_request(name: str, key: Buffer, thread_id: int) -> ClientMessage:
    """``Map.Remove`` (not retryable): fixed ``threadId``; var ``name``, ``key``. Response:
    :func:`decode_remove_response` (the removed value)."""
    return _create_keyed(REMOVE, False, name, key, None, thread_id)


def encode_remove_if_same_request(name: str, key: Buffer, value: Buffer, thread_id: int) -> ClientMessage:
    """``Map.RemoveIfSame`` (not retryable): fixed ``threadId``; var ``name``, ``key``, ``value``. Response:
    :func:`decode_remove_if_same_response`."""
    return _create_keyed(REMOVE_IF_SAME, False, name, key, _value(value), thread_id)


def decode_remove_if_same_response(msg: ClientMessage) -> bool:
    """Whether the entry was removed."""
    return decode_bool_response(msg)


def encode_delete_request(name: str, key: Buffer, thread_id: int) -> ClientMessage:
    """``Map.Delete`` (not retryable): fixed ``threadId``; var ``name``, ``key``. Response:
    :func:`decode_delete_response`."""
    return _create_keyed(DELETE, False, name, key, None, thread_id)


def decode_delete_response(msg: ClientMessage) -> Optional[bool]:
    """Whether an entry was deleted; ``None`` from members older than protocol 2.7, which send no parameter."""
    content = initial_frame(msg)
    if len(content) < RESPONSE_HEADER_SIZE + BOOLEAN_SIZE:
        return None
    return read_bool(content, RESPONSE_HEADER_SIZE)


def encode_contains_key_request(name: str, key: Buffer, thread_id: int) -> ClientMessage:
    """``Map.ContainsKey`` (retryable): fixed ``threadId``; var ``name``, ``key``. Response:
    :func:`decode_contains_key_response`."""
    return _create_keyed(CONTAINS_KEY, True, name, key, None, thread_id)


def decode_contains_key_response(msg: ClientMessage) -> bool:
    """Whether the map contains the key."""
    return decode_bool_response(msg)


def encode_contains_value_request(name: str, value: Buffer) -> ClientMessage:
    """``Map.ContainsValue`` (retryable, any partition): var ``name``, ``value``. Response:
    :func:`decode_contains_value_response`."""
    msg = _name_request(CONTAINS_VALUE, True, name)
    msg.append_data(value)
    return msg


def decode_contains_value_response(msg: ClientMessage) -> bool:
    """Whether the map contains the value."""
    return decode_bool_response(msg)


# -- whole-map operations -----------------------------------------------------------------------------------------


def encode_size_request(name: str) -> ClientMessage:
    """``Map.Size`` (retryable): var ``name``. Response: :func:`decode_size_response`."""
    return _name_request(SIZE, True, name)


def decode_size_response(msg: ClientMessage) -> int:
    """The number of entries."""
    return decode_int32_response(msg)


def encode_is_empty_request(name: str) -> ClientMessage:
    """``Map.IsEmpty`` (retryable): var ``name``. Response: :func:`decode_is_empty_response`."""
    return _name_request(IS_EMPTY, True, name)


def decode_is_empty_response(msg: ClientMessage) -> bool:
    """Whether the map is empty."""
    return decode_bool_response(msg)


def encode_clear_request(name: str) -> ClientMessage:
    """``Map.Clear`` (not retryable): var ``name``. The response has no parameters."""
    return _name_request(CLEAR, False, name)


def encode_put_all_request(
    name: str, entries: Iterable[Tuple[Buffer, Buffer]], trigger_map_loader: bool = True
) -> ClientMessage:
    """``Map.PutAll`` (not retryable; keys of one partition): fixed ``triggerMapLoader`` (since 2.1); var ``name``,
    ``entries`` (``EntryList_Data_Data``). The response has no parameters."""
    msg = _create_request(PUT_ALL, -1, BOOLEAN_SIZE)
    msg.set_bool(_TRIGGER_MAP_LOADER, trigger_map_loader)
    msg.append_string(name)
    encode_data_entry_list(msg, entries)
    return msg


def encode_get_all_request(name: str, keys: Iterable[Buffer]) -> ClientMessage:
    """``Map.GetAll`` (not retryable, per the YAML; keys of one partition): var ``name``, ``keys`` (``List_Data``).
    Response: :func:`decode_get_all_response`."""
    msg = _name_request(GET_ALL, False, name)
    encode_data_list(msg, keys)
    return msg


def decode_get_all_response(msg: ClientMessage) -> List[Tuple[bytes, bytes]]:
    """The (key, value) pairs found (``EntryList_Data_Data``)."""
    skip_initial_frame(msg)
    return decode_data_entry_list(msg)


def encode_key_set_request(name: str) -> ClientMessage:
    """``Map.KeySet`` (retryable): var ``name``. Response: :func:`decode_key_set_response`."""
    return _name_request(KEY_SET, True, name)


def decode_key_set_response(msg: ClientMessage) -> List[bytes]:
    """The keys (``List_Data``)."""
    skip_initial_frame(msg)
    return decode_data_list(msg)


def encode_values_request(name: str) -> ClientMessage:
    """``Map.Values`` (retryable): var ``name``. Response: :func:`decode_values_response`."""
    return _name_request(VALUES, True, name)


decode_values_response = decode_key_set_response


def encode_entry_set_request(name: str) -> ClientMessage:
    """``Map.EntrySet`` (retryable): var ``name``. Response: :func:`decode_entry_set_response`."""
    return _name_request(ENTRY_SET, True, name)


decode_entry_set_response = decode_get_all_response


# -- entry listeners ----------------------------------------------------------------------------------------------


def _listener_request(
    message_type: int, name: str, include_value: bool, listener_flags: int, local_only: bool
) -> ClientMessage:
    msg = _create_request(message_type, -1, _LISTENER_FIXED)
    msg.set_bool(_LISTENER_INCLUDE_VALUE, include_value)
    msg.set_int32(_LISTENER_FLAGS, int(listener_flags))
    msg.set_bool(_LISTENER_LOCAL_ONLY, local_only)
    msg.append_string(name)
    return msg


def encode_add_entry_listener_request(
    name: str, include_value: bool, listener_flags: int, local_only: bool
) -> ClientMessage:
    """``Map.AddEntryListener`` (not retryable): fixed ``includeValue``, ``listenerFlags`` (an
    :class:`EntryEventType` mask), ``localOnly``; var ``name``. Response: :func:`decode_add_entry_listener_response`;
    events: ``ENTRY_EVENT``."""
    return _listener_request(ADD_ENTRY_LISTENER, name, include_value, listener_flags, local_only)


def encode_add_entry_listener_to_key_request(
    name: str, key: Buffer, include_value: bool, listener_flags: int, local_only: bool
) -> ClientMessage:
    """``Map.AddEntryListenerToKey`` (not retryable): fixed ``includeValue``, ``listenerFlags``, ``localOnly``; var
    ``name``, ``key``. Response: :func:`decode_add_entry_listener_response`; events: ``ENTRY_EVENT_TO_KEY``."""
    msg = _listener_request(ADD_ENTRY_LISTENER_TO_KEY, name, include_value, listener_flags, local_only)
    msg.append_data(key)
    return msg


def decode_add_entry_listener_response(msg: ClientMessage) -> Optional[uuid.UUID]:
    """The registration id of an entry listener (either kind)."""
    return decode_uuid_response(msg)


def encode_remove_entry_listener_request(name: str, registration_id: uuid.UUID) -> ClientMessage:
    """``Map.RemoveEntryListener`` (retryable): fixed ``registrationId``; var ``name``. Response:
    :func:`decode_remove_entry_listener_response`."""
    msg = _create_request(REMOVE_ENTRY_LISTENER, -1, UUID_SIZE)
    msg.retryable = True
    msg.set_uuid(_REGISTRATION_ID, registration_id)
    msg.append_string(name)
    return msg


def decode_remove_entry_listener_response(msg: ClientMessage) -> bool:
    """Whether the registration was found and removed."""
    return decode_bool_response(msg)


def decode_entry_event(msg: ClientMessage) -> EntryEventMessage:
    """Decode a Map ``Entry`` event (of either listener kind): fixed ``eventType``, ``uuid``,
    ``numberOfAffectedEntries`` after the 16-byte event header; var ``key?``, ``value?``, ``oldValue?``,
    ``mergingValue?``."""
    content = initial_frame(msg)
    event_type = read_int32(content, _EVENT_TYPE)
    member_uuid = read_uuid(content, _EVENT_UUID)
    affected = read_int32(content, _EVENT_AFFECTED)
    key = msg.read_nullable_data()
    value = msg.read_nullable_data()
    old_value = msg.read_nullable_data()
    merging_value = msg.read_nullable_data()
    return EntryEventMessage(key, value, old_value, merging_value, event_type, member_uuid, affected)


def handle_entry_event(msg: ClientMessage, on_entry: Callable[[EntryEventMessage], Any]) -> bool:
    """Dispatch an event message of an entry listener: a Map ``Entry`` event is decoded and passed to
    ``on_entry``; returns False (and calls nothing) for any other message type, which the caller may log."""
    if msg.message_type not in ENTRY_EVENT_TYPES:
        return False
    on_entry(decode_entry_event(msg))
    return True
