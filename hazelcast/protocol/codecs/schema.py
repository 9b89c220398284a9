"""Codecs of Compact schema distribution (``docs/protocol.md`` §6.4): ``Client.SendSchema``, ``Client.FetchSchema``,
``Client.SendAllSchemas`` (service 0, methods 19-21, since protocol 2.5), and the custom types ``Schema`` and
``FieldDescriptor`` (since 2.3).

Sources: ``protocol-definitions/Client.yaml`` and ``protocol-definitions/custom/Custom.yaml`` of
hazelcast/hazelcast-client-protocol. All three requests are retryable and go to any member (partition -1).

Custom types are encoded as ``BEGIN``, an initial frame with the fixed-size fields (only when the type has any),
the var-sized fields in declaration order, ``END``:

* ``Schema``: no fixed fields; var ``typeName: String``, ``fields: List_FieldDescriptor``;
* ``FieldDescriptor``: fixed ``kind: int`` (content offset 0); var ``fieldName: String``.

Decoders skip fields added by later versions (everything up to the matching ``END``).

Encoders take any schema object with ``type_name: str`` and ``fields``, an iterable of objects with ``name: str``
and ``kind`` (an ``int`` or ``IntEnum``). Decoders return a :class:`SchemaDescription`, which the schema service
turns into its own ``Schema``.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Set, Tuple

from hazelcast.protocol import REQUEST_HEADER_SIZE, ClientMessage, read_int32
from hazelcast.protocol.codecs.builtin import (
    LONG_SIZE,
    decode_list,
    decode_uuid_list,
    encode_list,
    skip_initial_frame,
)

_create_request = ClientMessage.create_request
_INT32 = struct.Struct("<i")

SEND_SCHEMA = 0x001300
FETCH_SCHEMA = 0x001400
SEND_ALL_SCHEMAS = 0x001500

_SCHEMA_ID = REQUEST_HEADER_SIZE


@dataclass(frozen=True, slots=True)
class SchemaDescription:
    """A schema as it travels: its type name and ``(field name, field kind id)`` pairs in wire order."""

    type_name: str
    fields: Tuple[Tuple[str, int], ...]


# -- custom types -------------------------------------------------------------------------------------------------


def encode_field_descriptor(msg: ClientMessage, field: Any) -> None:
    """Append a ``FieldDescriptor``: ``BEGIN``, ``[kind:int]``, ``fieldName``, ``END``."""
    msg.append_begin()
    msg.append_frame(_INT32.pack(int(field.kind)))
    msg.append_string(field.name)
    msg.append_end()


def decode_field_descriptor(msg: ClientMessage) -> Tuple[str, int]:
    """Read a ``FieldDescriptor`` as ``(field name, kind id)``."""
    msg.read_begin()
    kind = read_int32(msg.next_frame().content, 0)
    name = msg.read_string()
    msg.fast_forward_to_end_frame()
    return name, kind


def encode_schema(msg: ClientMessage, schema: Any) -> None:
    """Append a ``Schema``: ``BEGIN``, ``typeName``, ``List_FieldDescriptor``, ``END``."""
    msg.append_begin()
    msg.append_string(schema.type_name)
    encode_list(msg, schema.fields, encode_field_descriptor)
    msg.append_end()


def decode_schema(msg: ClientMessage) -> SchemaDescription:
    """Read a ``Schema``."""
    msg.read_begin()
    type_name = msg.read_string()
    fields = tuple(decode_list(msg, decode_field_descriptor))
    msg.fast_forward_to_end_frame()
    return SchemaDescription(type_name, fields)


# -- messages -----------------------------------------------------------------------------------------------------


def encode_send_schema_request(schema: Any) -> ClientMessage:
    """``Client.SendSchema`` (retryable): var ``schema``. Response: :func:`decode_send_schema_response`."""
    msg = _create_request(SEND_SCHEMA, -1, 0)
    msg.retryable = True
    encode_schema(msg, schema)
    return msg


def decode_send_schema_response(msg: ClientMessage) -> Set[uuid.UUID]:
    """``replicatedMembers`` (``Set_UUID``): the members known to have the schema. Null UUIDs name no member and
    are left out."""
    skip_initial_frame(msg)
    return {u for u in decode_uuid_list(msg) if u is not None}


def encode_fetch_schema_request(schema_id: int) -> ClientMessage:
    """``Client.FetchSchema`` (retryable): fixed ``schemaId:long``. Response: :func:`decode_fetch_schema_response`."""
    msg = _create_request(FETCH_SCHEMA, -1, LONG_SIZE)
    msg.retryable = True
    msg.set_int64(_SCHEMA_ID, schema_id)
    return msg


def decode_fetch_schema_response(msg: ClientMessage) -> Optional[SchemaDescription]:
    """The schema (``Schema?``), or ``None`` when the cluster does not know the id."""
    skip_initial_frame(msg)
    if msg.next_is_null():
        return None
    return decode_schema(msg)


def encode_send_all_schemas_request(schemas: Iterable[Any]) -> ClientMessage:
    """``Client.SendAllSchemas`` (retryable): var ``schemas`` (``List_Schema``). The response has no parameters."""
    msg = _create_request(SEND_ALL_SCHEMAS, -1, 0)
    msg.retryable = True
    encode_list(msg, schemas, encode_schema)
    return msg
