"""Encoders and decoders of the protocol's built-in var-sized parameter types (``docs/protocol.md`` §1.7).

Each ``encode_*`` appends frames to a :class:`~hazelcast.protocol.ClientMessage`; each ``decode_*`` consumes them
from the message's read cursor. They work with either backend's ``ClientMessage``. Malformed input raises
:class:`~hazelcast.errors.ProtocolError`.

Layouts:

* lists of fixed-size items (``List_Integer``, ``List_Long``, ``List_UUID``): one frame, items back to back;
* lists of var-sized items (``List_String``, ``List_Data``, ``List_<custom>``): ``BEGIN``, one encoding per
  item, ``END``;
* entry lists and maps of var-sized keys and values: ``BEGIN``, k0, v0, k1, v1, ..., ``END``;
* entry lists of fixed-size pairs (``EntryList_UUID_Long``): one frame of (key, value) pairs;
* ``EntryList_UUID_List_Integer`` (the partition table): ``BEGIN``, one ``List_Integer`` frame per entry, ``END``,
  then one ``List_UUID`` frame with all the keys.
"""

from __future__ import annotations

import struct
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar

from hazelcast.errors import ProtocolError
from hazelcast.protocol import RESPONSE_HEADER_SIZE, read_bool, read_int32, read_uuid

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

BYTE_SIZE = 1
BOOLEAN_SIZE = 1
INT_SIZE = 4
LONG_SIZE = 8
UUID_SIZE = 17

Encoder = Callable[[Any, T], None]
Decoder = Callable[[Any], T]

_MASK64 = (1 << 64) - 1


def uuid_to_bytes(value: Optional[uuid.UUID]) -> bytes:
    """The 17-byte fixed-size encoding of a nullable UUID (``is_null:bool, msb:int64 LE, lsb:int64 LE``)."""
    if value is None:
        return b"\x01" + bytes(16)
    v = value.int
    return b"\x00" + struct.pack("<QQ", v >> 64, v & _MASK64)


# -- lists of fixed-size items --------------------------------------------------------------------------------------


def _fixed_items(content: bytes, size: int, what: str) -> int:
    if len(content) % size:
        raise ProtocolError(f"{what} frame of {len(content)} bytes is not a whole number of {size}-byte items")
    return len(content) // size


def encode_int32_list(msg: Any, values: Sequence[int]) -> None:
    """Append a ``List_Integer`` frame."""
    msg.append_frame(struct.pack(f"<{len(values)}i", *values))


def decode_int32_list(msg: Any) -> List[int]:
    """Read a ``List_Integer`` frame."""
    content = msg.next_frame().content
    n = _fixed_items(content, INT_SIZE, "List_Integer")
    return list(struct.unpack(f"<{n}i", content))


def encode_int64_list(msg: Any, values: Sequence[int]) -> None:
    """Append a ``List_Long`` frame."""
    msg.append_frame(struct.pack(f"<{len(values)}q", *values))


def decode_int64_list(msg: Any) -> List[int]:
    """Read a ``List_Long`` frame."""
    content = msg.next_frame().content
    n = _fixed_items(content, LONG_SIZE, "List_Long")
    return list(struct.unpack(f"<{n}q", content))


def encode_uuid_list(msg: Any, values: Iterable[Optional[uuid.UUID]]) -> None:
    """Append a ``List_UUID`` (or ``Set_UUID``) frame."""
    msg.append_frame(b"".join(uuid_to_bytes(v) for v in values))


def decode_uuid_list(msg: Any) -> List[Optional[uuid.UUID]]:
    """Read a ``List_UUID`` (or ``Set_UUID``) frame."""
    content = msg.next_frame().content
    n = _fixed_items(content, UUID_SIZE, "List_UUID")
    return [read_uuid(content, i * UUID_SIZE) for i in range(n)]


def encode_uuid_int64_entry_list(msg: Any, entries: Iterable[Tuple[uuid.UUID, int]]) -> None:
    """Append an ``EntryList_UUID_Long`` frame."""
    msg.append_frame(b"".join(uuid_to_bytes(k) + struct.pack("<q", v) for k, v in entries))


def decode_uuid_int64_entry_list(msg: Any) -> List[Tuple[Optional[uuid.UUID], int]]:
    """Read an ``EntryList_UUID_Long`` frame."""
    content = msg.next_frame().content
    item = UUID_SIZE + LONG_SIZE
    n = _fixed_items(content, item, "EntryList_UUID_Long")
    return [
        (read_uuid(content, i * item), struct.unpack_from("<q", content, i * item + UUID_SIZE)[0]) for i in range(n)
    ]


# -- lists of var-sized items -----------------------------------------------------------------------------------------


def encode_list(msg: Any, items: Iterable[T], encode_item: Encoder[T]) -> None:
    """Append ``BEGIN``, each item's encoding, ``END``."""
    msg.append_begin()
    for item in items:
        encode_item(msg, item)
    msg.append_end()


def decode_list(msg: Any, decode_item: Decoder[T]) -> List[T]:
    """Read ``BEGIN``, items until ``END``, ``END``."""
    msg.read_begin()
    out = []
    while not msg.next_is_end():
        if not msg.has_next_frame():
            raise ProtocolError("list is not closed by an END frame")
        out.append(decode_item(msg))
    msg.read_end()
    return out


def encode_nullable_list(msg: Any, items: Optional[Iterable[T]], encode_item: Encoder[T]) -> None:
    """Append a NULL frame for ``None``, otherwise the list."""
    if items is None:
        msg.append_null()
    else:
        encode_list(msg, items, encode_item)


def decode_nullable_list(msg: Any, decode_item: Decoder[T]) -> Optional[List[T]]:
    """Read a NULL frame (``None``) or a list."""
    if msg.next_is_null():
        return None
    return decode_list(msg, decode_item)


def _append_string(msg: Any, value: str) -> None:
    msg.append_string(value)


def _read_string(msg: Any) -> str:
    return msg.read_string()


def _append_data(msg: Any, value: Any) -> None:
    msg.append_data(value)


def _read_data(msg: Any) -> bytes:
    return msg.read_data()


def _read_nullable_data(msg: Any) -> Optional[bytes]:
    return msg.read_nullable_data()


def encode_string_list(msg: Any, values: Iterable[str]) -> None:
    """Append a ``List_String``."""
    encode_list(msg, values, _append_string)


def decode_string_list(msg: Any) -> List[str]:
    """Read a ``List_String``."""
    return decode_list(msg, _read_string)


def encode_data_list(msg: Any, values: Iterable[Any]) -> None:
    """Append a ``List_Data`` (each item a bytes-like Data)."""
    encode_list(msg, values, _append_data)


def decode_data_list(msg: Any) -> List[bytes]:
    """Read a ``List_Data``."""
    return decode_list(msg, _read_data)


def decode_nullable_data_list(msg: Any) -> List[Optional[bytes]]:
    """Read a ``List_Data`` whose items may be NULL frames."""
    return decode_list(msg, _read_nullable_data)


# -- entry lists and maps -------------------------------------------------------------------------------------------


def encode_entry_list(
    msg: Any, entries: Iterable[Tuple[K, V]], encode_key: Encoder[K], encode_value: Encoder[V]
) -> None:
    """Append ``BEGIN``, k0, v0, k1, v1, ..., ``END``."""
    msg.append_begin()
    for key, value in entries:
        encode_key(msg, key)
        encode_value(msg, value)
    msg.append_end()


def decode_entry_list(msg: Any, decode_key: Decoder[K], decode_value: Decoder[V]) -> List[Tuple[K, V]]:
    """Read ``BEGIN``, key/value pairs until ``END``, ``END``."""
    msg.read_begin()
    out = []
    while not msg.next_is_end():
        if not msg.has_next_frame():
            raise ProtocolError("entry list is not closed by an END frame")
        key = decode_key(msg)
        out.append((key, decode_value(msg)))
    msg.read_end()
    return out


def encode_data_entry_list(msg: Any, entries: Iterable[Tuple[Any, Any]]) -> None:
    """Append an ``EntryList_Data_Data``."""
    encode_entry_list(msg, entries, _append_data, _append_data)


def decode_data_entry_list(msg: Any) -> List[Tuple[bytes, bytes]]:
    """Read an ``EntryList_Data_Data``."""
    return decode_entry_list(msg, _read_data, _read_data)


def encode_string_map(msg: Any, values: Dict[str, str]) -> None:
    """Append a ``Map_String_String``."""
    encode_entry_list(msg, values.items(), _append_string, _append_string)


def decode_string_map(msg: Any) -> Dict[str, str]:
    """Read a ``Map_String_String``."""
    return dict(decode_entry_list(msg, _read_string, _read_string))


def encode_uuid_int32_list_entry_list(msg: Any, entries: Sequence[Tuple[uuid.UUID, Sequence[int]]]) -> None:
    """Append an ``EntryList_UUID_List_Integer``: the values as ``BEGIN``..``END``, then one frame of keys."""
    msg.append_begin()
    for _, values in entries:
        encode_int32_list(msg, values)
    msg.append_end()
    encode_uuid_list(msg, [k for k, _ in entries])


def decode_uuid_int32_list_entry_list(msg: Any) -> List[Tuple[Optional[uuid.UUID], List[int]]]:
    """Read an ``EntryList_UUID_List_Integer`` (the partition table layout)."""
    values = decode_list(msg, decode_int32_list)
    keys = decode_uuid_list(msg)
    if len(keys) != len(values):
        raise ProtocolError(f"partition table has {len(keys)} keys for {len(values)} value lists")
    return list(zip(keys, values))


# -- responses --------------------------------------------------------------------------------------------------------


def initial_frame(msg: Any) -> bytes:
    """Consume and return the content of the initial frame (the header and the fixed-size parameters)."""
    msg.reset_read()
    return msg.next_frame().content


def has_fixed(content: bytes, offset: int, size: int) -> bool:
    """Whether a fixed-size field added in a later protocol version is present in ``content``."""
    return len(content) >= offset + size


def skip_initial_frame(msg: Any) -> None:
    """Move the read cursor past the initial frame, to the first var-sized parameter."""
    msg.reset_read()
    msg.skip_frame()


def decode_bool_response(msg: Any) -> bool:
    """The single fixed-size ``boolean`` parameter of a response (right after the 13-byte response header)."""
    return read_bool(initial_frame(msg), RESPONSE_HEADER_SIZE)


def decode_int32_response(msg: Any) -> int:
    """The single fixed-size ``int`` parameter of a response."""
    return read_int32(initial_frame(msg), RESPONSE_HEADER_SIZE)


def decode_uuid_response(msg: Any) -> Optional[uuid.UUID]:
    """The single fixed-size ``UUID`` parameter of a response (``None`` when its null flag is set)."""
    return read_uuid(initial_frame(msg), RESPONSE_HEADER_SIZE)


def decode_nullable_data_response(msg: Any) -> Optional[bytes]:
    """The single ``Data?`` parameter of a response: the bytes of its frame, or ``None`` for a NULL frame."""
    return msg.read_response_nullable_data()
