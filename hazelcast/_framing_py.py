"""Pure-Python twin of ``src/_framing.pyx``: client-protocol framing and the ICMP checksum.

Wire format (Hazelcast Open Binary Client Protocol 2.x, all little-endian)::

    frame   = frame_length:int32 | flags:uint16 | content  (frame_length counts the 6 header bytes)
    message = frame* frame-with-IS_FINAL
    initial frame content of a request/event = type:int32 | correlation_id:int64 | partition_id:int32 | fixed params
    initial frame content of a response      = type:int32 | correlation_id:int64 | backup_acks:uint8 | fixed params

A message whose initial frame lacks either fragment bit is one fragment of a larger message: its initial frame is
a *fragmentation frame* whose content is ``fragment_id:int64``; the frames after it belong to the reassembled
message (BEGIN_FRAGMENT on the first fragment, END_FRAGMENT on the last).

Every length read from the wire is validated before it is used; violations raise
:class:`hazelcast.errors.ProtocolError`. The compiled twin behaves identically, byte for byte and exception for
exception.
"""

from __future__ import annotations

import struct
import uuid as _uuid
from operator import index as _operator_index
from typing import Any, Dict, List, Optional, Tuple, Union

from hazelcast.errors import ProtocolError

Buffer = Union[bytes, bytearray, memoryview]

BEGIN_FRAGMENT_FLAG = 0x8000
END_FRAGMENT_FLAG = 0x4000
UNFRAGMENTED_MESSAGE = BEGIN_FRAGMENT_FLAG | END_FRAGMENT_FLAG
IS_FINAL_FLAG = 0x2000
BEGIN_DATA_STRUCTURE_FLAG = 0x1000
END_DATA_STRUCTURE_FLAG = 0x0800
IS_NULL_FLAG = 0x0400
IS_EVENT_FLAG = 0x0200
BACKUP_AWARE_FLAG = 0x0100
BACKUP_EVENT_FLAG = 0x0080

SIZE_OF_FRAME_LENGTH_AND_FLAGS = 6
TYPE_FIELD_OFFSET = 0
CORRELATION_ID_FIELD_OFFSET = 4
PARTITION_ID_FIELD_OFFSET = 12
RESPONSE_BACKUP_ACKS_FIELD_OFFSET = 12
REQUEST_HEADER_SIZE = 16
RESPONSE_HEADER_SIZE = 13
EVENT_HEADER_SIZE = 16
FRAGMENTATION_ID_SIZE = 8

DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024
_MAX_MAX_MESSAGE_SIZE = (1 << 62) - 1

_HEADER = struct.Struct("<iH")
_I8 = struct.Struct("<b")
_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")
_UUID = struct.Struct("<Bqq")
_unpack_i32 = _I32.unpack_from
_unpack_i64 = _I64.unpack_from
_unpack_u16 = _U16.unpack_from
_pack_q = _I64.pack
_pack_i = _I32.pack
_REQUEST_START = struct.Struct("<iHiqi")  # frame length, flags, message type, correlation id, partition id
_RESPONSE_START = struct.Struct("<iqB")  # message type, correlation id, backup acks
# a keyed request's initial frame with 1, 2 or 3 int64 parameters (create_keyed_request)
_KEYED_STARTS = {n: struct.Struct("<iHiqi" + "q" * n) for n in (1, 2, 3)}
_EMPTY_BYTEARRAY = bytearray()
_REQUEST_IDS = struct.Struct("<qi")  # correlation id, partition id
_object_new = object.__new__
_pack_i32 = _I32.pack_into
_pack_i64 = _I64.pack_into
_pack_header = _HEADER.pack


def _check_max_message_size(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("max_message_size must be an int")
    if value < SIZE_OF_FRAME_LENGTH_AND_FLAGS or value > _MAX_MAX_MESSAGE_SIZE:
        raise ValueError(f"max_message_size must be between 6 and {_MAX_MAX_MESSAGE_SIZE}, got {value}")
    return value


# --------------------------------------------------------------------------------------------------------------
# Fixed-size field readers (little-endian, bounds-checked)
# --------------------------------------------------------------------------------------------------------------


def _check_fixed(buf: Buffer, offset: int, size: int) -> None:
    if offset < 0 or size > len(buf) - offset:
        raise ProtocolError(f"fixed-size field of {size} bytes at offset {offset} is outside a {len(buf)}-byte frame")


def read_uint8(buf: Buffer, offset: int) -> int:
    """Read an unsigned byte at ``offset`` of ``buf``."""
    _check_fixed(buf, offset, 1)
    return _U8.unpack_from(buf, offset)[0]


def read_int8(buf: Buffer, offset: int) -> int:
    """Read a signed byte at ``offset`` of ``buf``."""
    _check_fixed(buf, offset, 1)
    return _I8.unpack_from(buf, offset)[0]


def read_bool(buf: Buffer, offset: int) -> bool:
    """Read a boolean byte (any non-zero value is true) at ``offset`` of ``buf``."""
    _check_fixed(buf, offset, 1)
    return buf[offset] != 0


def read_uint16(buf: Buffer, offset: int) -> int:
    """Read a little-endian unsigned 16-bit integer at ``offset`` of ``buf``."""
    _check_fixed(buf, offset, 2)
    return _U16.unpack_from(buf, offset)[0]


def read_int32(buf: Buffer, offset: int) -> int:
    """Read a little-endian signed 32-bit integer at ``offset`` of ``buf``."""
    _check_fixed(buf, offset, 4)
    return _I32.unpack_from(buf, offset)[0]


def read_int64(buf: Buffer, offset: int) -> int:
    """Read a little-endian signed 64-bit integer at ``offset`` of ``buf``."""
    _check_fixed(buf, offset, 8)
    return _I64.unpack_from(buf, offset)[0]


def read_uuid(buf: Buffer, offset: int) -> Optional[_uuid.UUID]:
    """Read a 17-byte nullable UUID (``is_null:bool, msb:int64, lsb:int64``) at ``offset`` of ``buf``."""
    _check_fixed(buf, offset, 17)
    is_null, msb, lsb = _UUID.unpack_from(buf, offset)
    if is_null:
        return None
    return _uuid.UUID(int=((msb & 0xFFFFFFFFFFFFFFFF) << 64) | (lsb & 0xFFFFFFFFFFFFFFFF))


# --------------------------------------------------------------------------------------------------------------
# Frames and messages
# --------------------------------------------------------------------------------------------------------------


class Frame:
    """One frame of a client message: ``flags`` (uint16) and ``content`` (bytes, without the 6-byte header)."""

    __slots__ = ("content", "flags")

    def __init__(self, content: Buffer = b"", flags: int = 0) -> None:
        self.content = bytes(content)
        self.flags = flags

    def is_null_frame(self) -> bool:
        """Whether this is a NULL frame (a null var-sized parameter)."""
        return bool(self.flags & IS_NULL_FLAG)

    def is_begin_frame(self) -> bool:
        """Whether this frame opens a data structure."""
        return bool(self.flags & BEGIN_DATA_STRUCTURE_FLAG)

    def is_end_frame(self) -> bool:
        """Whether this frame closes a data structure."""
        return bool(self.flags & END_DATA_STRUCTURE_FLAG)

    def is_final_frame(self) -> bool:
        """Whether this frame ends its message."""
        return bool(self.flags & IS_FINAL_FLAG)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frame):
            return NotImplemented
        return self.flags == other.flags and self.content == other.content

    def __hash__(self) -> int:
        return hash((self.flags, self.content))

    def __repr__(self) -> str:
        return f"Frame(flags=0x{self.flags:04x}, content={self.content!r})"


class ClientMessage:
    """A client-protocol message held as its encoded frames in one buffer.

    Outbound messages are built in place with :meth:`create_request` and the ``append_*`` / ``set_*`` helpers, and
    encoded with :meth:`to_bytes`. Inbound messages come from :class:`MessageReader` and are decoded with a read
    cursor: :meth:`next_frame`, :meth:`read_string`, :meth:`read_bytes`, ... Frame-structure errors raise
    :class:`~hazelcast.errors.ProtocolError`.
    """

    __slots__ = ("_buf", "_last", "_pos", "retryable")

    def __init__(self) -> None:
        self._buf: Union[bytes, bytearray] = bytearray()
        self._last = -1  # offset of the last frame's header, -1 when there is none, -2 when not yet known
        self._pos = 0
        self.retryable = False

    # -- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def create_request(cls, message_type: int, partition_id: int = -1, fixed_size: int = 0) -> "ClientMessage":
        """A message whose initial frame has the request header and ``fixed_size`` zeroed bytes for parameters."""
        if fixed_size < 0:
            raise ValueError("fixed_size must not be negative")
        size = SIZE_OF_FRAME_LENGTH_AND_FLAGS + REQUEST_HEADER_SIZE + fixed_size
        buf = bytearray(size)
        _REQUEST_START.pack_into(buf, 0, size, UNFRAGMENTED_MESSAGE, message_type, 0, partition_id)
        msg = _object_new(cls)
        msg._buf = buf
        msg._last = 0
        msg._pos = 0
        msg.retryable = False
        return msg

    @classmethod
    def create_keyed_request(
        cls,
        message_type: int,
        retryable: Any,
        name: str,
        key: Buffer,
        value: Optional[Buffer],
        thread_id: int,
        ttl: Optional[int] = None,
        max_idle: Optional[int] = None,
    ) -> "ClientMessage":
        """A whole keyed request in one call: the request header (partition id -1), the fixed int64 parameters
        ``thread_id`` [, ``ttl`` [, ``max_idle``]] in the initial frame, then a String frame ``name``, a Data frame
        ``key`` and, unless ``value`` is None, a Data frame ``value``; ``retryable`` set. Byte for byte what
        ``create_request`` + ``set_int64`` + ``append_string`` + ``append_data`` build (the layout of the Map
        service's keyed requests: Get, Put, Set, PutIfAbsent, Remove, Delete, ContainsKey, Replace, ...).

        Raises ``TypeError`` for a non-str name or key/value objects without the buffer protocol, ``ValueError``
        for ``max_idle`` without ``ttl``, :class:`~hazelcast.errors.ProtocolError` for parameters that do not fit
        int64 (checked first, in order), a name that is not encodable as UTF-8, or a frame that is too large.
        """
        message_type = _operator_index(message_type)
        if not -0x80000000 <= message_type <= 0x7FFFFFFF:
            raise OverflowError("value too large to convert to int32_t")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        if max_idle is not None and ttl is None:
            raise ValueError("max_idle needs a ttl")
        fixed = (thread_id,) if ttl is None else (thread_id, ttl) if max_idle is None else (thread_id, ttl, max_idle)
        initial = SIZE_OF_FRAME_LENGTH_AND_FLAGS + REQUEST_HEADER_SIZE + 8 * len(fixed)
        try:
            header = _KEYED_STARTS[len(fixed)].pack(initial, UNFRAGMENTED_MESSAGE, message_type, 0, -1, *fixed)
        except (struct.error, OverflowError, TypeError):
            for param in fixed:  # name the first parameter that does not fit
                try:
                    _pack_q(param)
                except (struct.error, OverflowError, TypeError):
                    raise ProtocolError(f"cannot encode {param!r} as int64") from None
            raise  # pragma: no cover - one of the parameters failed above
        try:
            name_bytes = name.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ProtocolError(f"string is not encodable as UTF-8: {e}") from None
        kind = type(key)
        n_key = len(key) if kind is bytes or kind is bytearray else memoryview(key).nbytes
        if value is None:
            n_value = 0
        else:
            kind = type(value)
            n_value = len(value) if kind is bytes or kind is bytearray else memoryview(value).nbytes
        n_name = len(name_bytes)
        limit = 0x7FFFFFFF - SIZE_OF_FRAME_LENGTH_AND_FLAGS
        if n_name > limit or n_key > limit or n_value > limit:
            raise ProtocolError("frame content does not fit a frame")
        last = initial + SIZE_OF_FRAME_LENGTH_AND_FLAGS + n_name
        if value is None:
            parts: Tuple[Any, ...] = (header, _pack_header(n_name + 6, 0), name_bytes, _pack_header(n_key + 6, 0), key)
        else:
            parts = (header, _pack_header(n_name + 6, 0), name_bytes, _pack_header(n_key + 6, 0), key,
                     _pack_header(n_value + 6, 0), value)
            last += SIZE_OF_FRAME_LENGTH_AND_FLAGS + n_key
        msg = _object_new(cls)
        msg._buf = _EMPTY_BYTEARRAY.join(parts)
        msg._last = last
        msg._pos = 0
        msg.retryable = True if retryable else False
        return msg

    @classmethod
    def _wrap(cls, buf: Union[bytes, bytearray]) -> "ClientMessage":
        msg = _object_new(cls)
        msg._buf = buf
        msg._last = -2
        msg._pos = 0
        msg.retryable = False
        return msg

    def _writable(self) -> bytearray:
        buf = self._buf
        if not isinstance(buf, bytearray):
            buf = self._buf = bytearray(buf)
        return buf

    def append_frame(self, content: Buffer = b"", flags: int = 0) -> None:
        """Append one frame; IS_FINAL is managed by :meth:`to_bytes`."""
        n = len(content) if type(content) is not memoryview else content.nbytes
        if n > 0x7FFFFFFF - SIZE_OF_FRAME_LENGTH_AND_FLAGS:
            raise ProtocolError(f"frame content of {n} bytes does not fit a frame")
        buf = self._buf
        if type(buf) is not bytearray:
            buf = self._buf = bytearray(buf)
        last = self._last
        if last == -2:
            last = self._find_last()
        if last >= 0 and buf[last + 5] & 0x20:  # the high byte of the flags holds IS_FINAL (0x2000)
            buf[last + 5] &= 0xDF
        self._last = len(buf)
        buf += _pack_header(n + SIZE_OF_FRAME_LENGTH_AND_FLAGS, flags & 0xDFFF)  # without IS_FINAL
        buf += content

    def append_string(self, value: str) -> None:
        """Append a String frame (UTF-8, no length prefix)."""
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ProtocolError(f"string is not encodable as UTF-8: {e}") from None
        self.append_frame(data)

    def append_nullable_string(self, value: Optional[str]) -> None:
        """Append a String frame, or a NULL frame for ``None``."""
        if value is None:
            self.append_null()
        else:
            self.append_string(value)

    def append_bytes(self, value: Buffer) -> None:
        """Append a byteArray (or Data) frame holding ``value`` as is."""
        self.append_frame(value)

    append_data = append_bytes

    def append_nullable_bytes(self, value: Optional[Buffer]) -> None:
        """Append a byteArray/Data frame, or a NULL frame for ``None``."""
        if value is None:
            self.append_null()
        else:
            self.append_frame(value)

    append_nullable_data = append_nullable_bytes

    def append_null(self) -> None:
        """Append a NULL frame."""
        self.append_frame(b"", IS_NULL_FLAG)

    def append_begin(self) -> None:
        """Append a BEGIN (data structure) frame."""
        self.append_frame(b"", BEGIN_DATA_STRUCTURE_FLAG)

    def append_end(self) -> None:
        """Append an END (data structure) frame."""
        self.append_frame(b"", END_DATA_STRUCTURE_FLAG)

    # -- initial-frame fields -------------------------------------------------------------------------------------

    def _initial_content_length(self) -> int:
        if len(self._buf) < SIZE_OF_FRAME_LENGTH_AND_FLAGS:
            raise ProtocolError("message has no frames")
        return _I32.unpack_from(self._buf, 0)[0] - SIZE_OF_FRAME_LENGTH_AND_FLAGS

    def _check_initial(self, offset: int, size: int) -> None:
        length = self._initial_content_length()
        if offset < 0 or size > length - offset:
            raise ProtocolError(
                f"fixed-size field of {size} bytes at offset {offset} is outside a {length}-byte initial frame"
            )

    def _set(self, s: struct.Struct, kind: str, offset: int, value: Any) -> None:
        buf = self._buf
        if len(buf) < SIZE_OF_FRAME_LENGTH_AND_FLAGS:
            raise ProtocolError("message has no frames")
        size = s.size
        length = _unpack_i32(buf, 0)[0] - SIZE_OF_FRAME_LENGTH_AND_FLAGS
        if offset < 0 or size > length - offset:
            raise ProtocolError(
                f"fixed-size field of {size} bytes at offset {offset} is outside a {length}-byte initial frame"
            )
        try:
            data = s.pack(value)  # not pack_into: it zeroes the field before it validates the value
        except (struct.error, OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {value!r} as {kind}") from None
        if type(buf) is not bytearray:
            buf = self._buf = bytearray(buf)
        buf[6 + offset : 6 + offset + size] = data

    def _get(self, s: struct.Struct, offset: int) -> Any:
        buf = self._buf
        if len(buf) < SIZE_OF_FRAME_LENGTH_AND_FLAGS:
            raise ProtocolError("message has no frames")
        length = _unpack_i32(buf, 0)[0] - SIZE_OF_FRAME_LENGTH_AND_FLAGS
        if s.size > length - offset:
            raise ProtocolError(
                f"fixed-size field of {s.size} bytes at offset {offset} is outside a {length}-byte initial frame"
            )
        return s.unpack_from(buf, 6 + offset)[0]

    def set_uint8(self, offset: int, value: int) -> None:
        """Write an unsigned byte at content ``offset`` of the initial frame."""
        self._set(_U8, "uint8", offset, value)

    def set_int8(self, offset: int, value: int) -> None:
        """Write a signed byte at content ``offset`` of the initial frame."""
        self._set(_I8, "int8", offset, value)

    def set_bool(self, offset: int, value: bool) -> None:
        """Write a boolean byte at content ``offset`` of the initial frame."""
        self._check_initial(offset, 1)
        self._writable()[6 + offset] = 1 if value else 0

    def set_int32(self, offset: int, value: int) -> None:
        """Write a little-endian int32 at content ``offset`` of the initial frame."""
        self._set(_I32, "int32", offset, value)

    def set_int64(self, offset: int, value: int) -> None:
        """Write a little-endian int64 at content ``offset`` of the initial frame."""
        self._set(_I64, "int64", offset, value)

    def set_uuid(self, offset: int, value: Optional[_uuid.UUID]) -> None:
        """Write a 17-byte nullable UUID at content ``offset`` of the initial frame."""
        self._check_initial(offset, 17)
        if value is None:
            _UUID.pack_into(self._writable(), 6 + offset, 1, 0, 0)
            return
        if not isinstance(value, _uuid.UUID):
            raise ProtocolError(f"cannot encode {value!r} as a UUID")
        v = value.int
        msb = v >> 64
        lsb = v & 0xFFFFFFFFFFFFFFFF
        if msb >= 1 << 63:
            msb -= 1 << 64
        if lsb >= 1 << 63:
            lsb -= 1 << 64
        _UUID.pack_into(self._writable(), 6 + offset, 0, msb, lsb)

    @property
    def message_type(self) -> int:
        """The message type id (int32 at content offset 0 of the initial frame)."""
        buf = self._buf
        if len(buf) >= 10 and _unpack_i32(buf, 0)[0] >= 10:
            return _unpack_i32(buf, 6)[0]
        return self._get(_I32, TYPE_FIELD_OFFSET)

    @message_type.setter
    def message_type(self, value: int) -> None:
        self._set(_I32, "int32", TYPE_FIELD_OFFSET, value)

    @property
    def correlation_id(self) -> int:
        """The correlation id (int64 at content offset 4 of the initial frame)."""
        buf = self._buf
        if len(buf) >= 18 and _unpack_i32(buf, 0)[0] >= 18:  # the initial frame holds the field
            return _unpack_i64(buf, 10)[0]
        return self._get(_I64, CORRELATION_ID_FIELD_OFFSET)

    @correlation_id.setter
    def correlation_id(self, value: int) -> None:
        buf = self._buf
        if type(buf) is bytearray and len(buf) >= 18 and _unpack_i32(buf, 0)[0] >= 18:
            try:
                buf[10:18] = _pack_q(value)
                return
            except (struct.error, OverflowError, TypeError):
                pass
        self._set(_I64, "int64", CORRELATION_ID_FIELD_OFFSET, value)

    @property
    def partition_id(self) -> int:
        """The partition id of a request or event (int32 at content offset 12 of the initial frame)."""
        return self._get(_I32, PARTITION_ID_FIELD_OFFSET)

    @partition_id.setter
    def partition_id(self, value: int) -> None:
        buf = self._buf
        if type(buf) is bytearray and len(buf) >= 22 and _unpack_i32(buf, 0)[0] >= 22:
            try:
                buf[18:22] = _pack_i(value)
                return
            except (struct.error, OverflowError, TypeError):
                pass
        self._set(_I32, "int32", PARTITION_ID_FIELD_OFFSET, value)

    @property
    def backup_acks(self) -> int:
        """The number of backup acks a response announces (uint8 at content offset 12)."""
        buf = self._buf
        if len(buf) >= 19 and _unpack_i32(buf, 0)[0] >= 19:
            return buf[18]
        return self._get(_U8, RESPONSE_BACKUP_ACKS_FIELD_OFFSET)

    @property
    def flags(self) -> int:
        """The flags of the initial frame."""
        buf = self._buf
        if len(buf) < SIZE_OF_FRAME_LENGTH_AND_FLAGS:
            raise ProtocolError("message has no frames")
        return _unpack_u16(buf, 4)[0]

    @flags.setter
    def flags(self, value: int) -> None:
        buf = self._buf
        if len(buf) < SIZE_OF_FRAME_LENGTH_AND_FLAGS:
            raise ProtocolError("message has no frames")
        if type(buf) is not bytearray:
            buf = self._buf = bytearray(buf)
        final = buf[5] & 0x20  # IS_FINAL (0x2000) lives in the high byte
        _U16.pack_into(buf, 4, (value & 0xDFFF) | (final << 8))

    def set_request_header(self, correlation_id: int, partition_id: int, add_flags: int) -> None:
        """Write the correlation id and the partition id of a request and OR ``add_flags`` into the flags of its
        initial frame (IS_FINAL excepted): the three header writes of an invocation in one call. Checks everything
        before writing anything: :class:`~hazelcast.errors.ProtocolError` for a message without frames, an initial
        frame too short for the request header, or ids that do not fit int64 / int32; ``TypeError`` for
        non-integer flags."""
        buf = self._buf
        if type(buf) is bytearray and len(buf) >= 22 and _unpack_i32(buf, 0)[0] >= 22 and type(add_flags) is int:
            try:  # the common case (a request built here): one pack (not pack_into: it may write half)
                ids = _REQUEST_IDS.pack(correlation_id, partition_id)
            except (struct.error, OverflowError, TypeError):
                pass  # the checks below name the culprit
            else:
                buf[10:22] = ids
                add = add_flags & 0xDFFF
                if add:
                    buf[4] |= add & 0xFF
                    buf[5] |= add >> 8
                return
        if len(buf) < SIZE_OF_FRAME_LENGTH_AND_FLAGS:
            raise ProtocolError("message has no frames")
        length = _unpack_i32(buf, 0)[0] - SIZE_OF_FRAME_LENGTH_AND_FLAGS
        if 8 > length - 4:
            raise ProtocolError(f"fixed-size field of 8 bytes at offset 4 is outside a {length}-byte initial frame")
        if 4 > length - 12:
            raise ProtocolError(f"fixed-size field of 4 bytes at offset 12 is outside a {length}-byte initial frame")
        try:
            cid = _pack_q(correlation_id)
        except (struct.error, OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {correlation_id!r} as int64") from None
        try:
            pid = _pack_i(partition_id)
        except (struct.error, OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {partition_id!r} as int32") from None
        add = add_flags & 0xDFFF
        if type(buf) is not bytearray:
            buf = self._buf = bytearray(buf)
        if add:
            _U16.pack_into(buf, 4, _unpack_u16(buf, 4)[0] | add)
        buf[10:18] = cid
        buf[18:22] = pid

    def response_header(self) -> Tuple[int, int, int, int]:
        """``(correlation_id, flags, message_type, backup_acks)`` of a response (or event: its byte at content
        offset 12, the lowest of the partition id, comes as ``backup_acks``) in one call, for routing inbound
        messages. Raises :class:`~hazelcast.errors.ProtocolError` unless the initial frame holds the 13-byte
        response header."""
        buf = self._buf
        if len(buf) < SIZE_OF_FRAME_LENGTH_AND_FLAGS:
            raise ProtocolError("message has no frames")
        length, flags = _HEADER.unpack_from(buf, 0)
        if length < 19 or len(buf) < 19:
            raise ProtocolError(
                f"a response header needs 13 bytes, the initial frame has {length - SIZE_OF_FRAME_LENGTH_AND_FLAGS}"
            )
        message_type, correlation_id, backup_acks = _RESPONSE_START.unpack_from(buf, 6)
        return correlation_id, flags, message_type, backup_acks

    def is_event(self) -> bool:
        """Whether the initial frame carries IS_EVENT."""
        return bool(self.flags & IS_EVENT_FLAG)

    def is_backup_event(self) -> bool:
        """Whether the initial frame carries BACKUP_EVENT."""
        return bool(self.flags & BACKUP_EVENT_FLAG)

    # -- whole-message views --------------------------------------------------------------------------------------

    def _find_last(self) -> int:
        if self._last != -2:
            return self._last
        buf = self._buf
        off = 0
        last = -1
        end = len(buf)
        while off < end:
            last = off
            off += _I32.unpack_from(buf, off)[0]
        self._last = last
        return last

    @property
    def frames(self) -> List[Frame]:
        """The frames of the message (copies)."""
        buf = self._buf
        out = []
        off = 0
        end = len(buf)
        while off < end:
            length, flags = _HEADER.unpack_from(buf, off)
            out.append(Frame(buf[off + 6 : off + length], flags))
            off += length
        return out

    @property
    def frame_count(self) -> int:
        """Number of frames in the message."""
        buf = self._buf
        n = 0
        off = 0
        end = len(buf)
        while off < end:
            off += _I32.unpack_from(buf, off)[0]
            n += 1
        return n

    @property
    def nbytes(self) -> int:
        """Encoded size of the message in bytes."""
        return len(self._buf)

    def to_bytes(self) -> bytes:
        """Encode the whole message into one buffer, with IS_FINAL on the last frame."""
        last = self._last
        if last == -2:
            last = self._find_last()
        if last < 0:
            raise ProtocolError("cannot encode a message without frames")
        buf = self._buf
        if not buf[last + 5] & 0x20:  # IS_FINAL (0x2000) lives in the high byte of the flags
            if type(buf) is not bytearray:
                buf = self._buf = bytearray(buf)
            buf[last + 5] |= 0x20
        return bytes(buf)

    def copy(self) -> "ClientMessage":
        """An independent copy (the read cursor starts at the first frame)."""
        msg = ClientMessage._wrap(bytearray(self._buf))
        msg._last = self._last
        msg.retryable = self.retryable
        return msg

    # -- read cursor ------------------------------------------------------------------------------------------------

    def reset_read(self) -> None:
        """Move the read cursor back to the initial frame."""
        self._pos = 0

    def has_next_frame(self) -> bool:
        """Whether the read cursor is before a frame."""
        return self._pos < len(self._buf)

    def _next(self) -> Tuple[int, int, int]:
        pos = self._pos
        buf = self._buf
        if pos >= len(buf):
            raise ProtocolError("unexpected end of message: no more frames")
        length, flags = _HEADER.unpack_from(buf, pos)
        self._pos = pos + length
        return pos + 6, pos + length, flags

    def peek_flags(self) -> int:
        """Flags of the next frame, or -1 at the end of the message. Does not move the cursor."""
        if self._pos >= len(self._buf):
            return -1
        return _U16.unpack_from(self._buf, self._pos + 4)[0]

    def next_frame(self) -> Frame:
        """Return the next frame (a copy) and advance."""
        start, end, flags = self._next()
        return Frame(self._buf[start:end], flags)

    def skip_frame(self) -> None:
        """Advance past the next frame."""
        pos = self._pos
        buf = self._buf
        if pos >= len(buf):
            raise ProtocolError("unexpected end of message: no more frames")
        self._pos = pos + _unpack_i32(buf, pos)[0]

    def next_is_null(self) -> bool:
        """If the next frame is a NULL frame, consume it and return True; otherwise return False."""
        flags = self.peek_flags()
        if flags >= 0 and flags & IS_NULL_FLAG:
            self._next()
            return True
        return False

    def next_is_end(self) -> bool:
        """Whether the next frame is an END frame (not consumed); False at the end of the message."""
        flags = self.peek_flags()
        return flags >= 0 and bool(flags & END_DATA_STRUCTURE_FLAG)

    def read_begin(self) -> None:
        """Consume a BEGIN frame, or raise ProtocolError."""
        start, end, flags = self._next()
        if not flags & BEGIN_DATA_STRUCTURE_FLAG:
            raise ProtocolError(f"expected a BEGIN frame, got flags 0x{flags:04x}")

    def read_end(self) -> None:
        """Consume an END frame, or raise ProtocolError."""
        start, end, flags = self._next()
        if not flags & END_DATA_STRUCTURE_FLAG:
            raise ProtocolError(f"expected an END frame, got flags 0x{flags:04x}")

    def fast_forward_to_end_frame(self) -> None:
        """Skip frames up to and including the END frame that closes the current structure (nesting counted)."""
        depth = 1
        while depth:
            start, end, flags = self._next()
            if flags & END_DATA_STRUCTURE_FLAG:
                depth -= 1
            elif flags & BEGIN_DATA_STRUCTURE_FLAG:
                depth += 1

    def read_string(self) -> str:
        """Read a String frame."""
        start, end, flags = self._next()
        if flags & IS_NULL_FLAG:
            raise ProtocolError("expected a String frame, got a NULL frame")
        try:
            return bytes(self._buf[start:end]).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ProtocolError(f"String frame is not valid UTF-8: {e}") from None

    def read_nullable_string(self) -> Optional[str]:
        """Read a String frame or a NULL frame (``None``)."""
        if self.next_is_null():
            return None
        return self.read_string()

    def read_bytes(self) -> bytes:
        """Read a byteArray (or Data) frame's content."""
        start, end, flags = self._next()
        if flags & IS_NULL_FLAG:
            raise ProtocolError("expected a byteArray frame, got a NULL frame")
        return bytes(self._buf[start:end])

    read_data = read_bytes

    def read_nullable_bytes(self) -> Optional[bytes]:
        """Read a byteArray/Data frame or a NULL frame (``None``)."""
        pos = self._pos
        buf = self._buf
        if pos >= len(buf):
            raise ProtocolError("unexpected end of message: no more frames")
        length, flags = _HEADER.unpack_from(buf, pos)
        self._pos = pos + length
        if flags & IS_NULL_FLAG:
            return None
        return bytes(buf[pos + 6 : pos + length])

    read_nullable_data = read_nullable_bytes

    def read_response_nullable_data(self) -> Optional[bytes]:
        """The single ``Data?`` parameter of a response in one call: ``reset_read()``, ``skip_frame()``,
        ``read_nullable_data()`` (same result, same errors)."""
        buf = self._buf
        if not buf:
            self._pos = 0
            raise ProtocolError("unexpected end of message: no more frames")
        self._pos = _unpack_i32(buf, 0)[0]
        return self.read_nullable_bytes()

    def __repr__(self) -> str:
        try:
            mtype = f"0x{self.message_type:06x}"
        except ProtocolError:
            mtype = "?"
        return f"ClientMessage(type={mtype}, frames={self.frame_count}, bytes={len(self._buf)})"


# --------------------------------------------------------------------------------------------------------------
# MessageReader
# --------------------------------------------------------------------------------------------------------------


class MessageReader:
    """Finds frame and message boundaries in a byte stream and reassembles fragmented messages.

    ``feed(data)`` accepts bytes-like data split at any byte and returns the messages completed by it. Every frame
    length is validated as soon as its header is complete: below 6, or a message (together with the fragments held
    for reassembly) larger than ``max_message_size``, raises :class:`~hazelcast.errors.ProtocolError` before any
    memory is set aside for it. After an error the reader stays failed.

    Each byte is copied out of ``data`` once: into the message it completes, into the buffer of an incomplete
    message, or (the frames of a fragment, found by the fragment id of its fragmentation frame) straight onto the end
    of the fragmented message being reassembled.
    """

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._max = _check_max_message_size(max_message_size)
        self._pending = bytearray()
        self._msg_size = 0
        self._skip = 0
        self._final = False
        self._hdr_have = 0
        self._fragments: Dict[int, List[Any]] = {}  # id -> [bytearray, last frame offset, accounted bytes]
        self._fragment_bytes = 0
        # 0: an unfragmented message (or none) is being read; 1: the fragmentation frame of a fragment (its flags in
        # _frag_flags); 2: the frames of a fragment, appended to _acc (from offset _acc_start) as they arrive
        self._frag = 0
        self._frag_flags = 0
        self._acc: Optional[bytearray] = None
        self._acc_entry: Optional[List[Any]] = None
        self._acc_start = 0
        self._error: Optional[str] = None

    @property
    def max_message_size(self) -> int:
        """The largest message (and the most fragment bytes held at once) this reader accepts."""
        return self._max

    @property
    def buffered_bytes(self) -> int:
        """Bytes held for incomplete messages and fragments."""
        streaming = len(self._acc) - self._acc_start if self._acc is not None else 0
        return len(self._pending) + self._fragment_bytes + streaming

    def _fail(self, message: str) -> ProtocolError:
        self._error = message
        return ProtocolError(message)

    def feed(self, data: Buffer) -> List[ClientMessage]:
        """Consume ``data`` and return the messages it completes, in order."""
        if self._error is not None:
            raise ProtocolError(f"reader is unusable after an earlier error: {self._error}")
        mv = memoryview(data).cast("B")
        n = len(mv)
        pos = 0
        start = 0
        out: List[ClientMessage] = []
        # the state lives in locals while scanning (written back before the calls that read it)
        skip = self._skip
        final = self._final
        msg_size = self._msg_size
        have = self._hdr_have
        frag = self._frag
        unpack = _HEADER.unpack_from
        while pos < n:
            if skip:
                take = n - pos
                if take > skip:
                    take = skip
                pos += take
                skip -= take
                if skip:
                    break
            else:
                if n - pos < 6 - have:
                    have += n - pos
                    pos = n
                    break
                if have:
                    held = self._acc if frag == 2 else self._pending
                    tail = held[len(held) - have :]  # type: ignore[index,arg-type]
                    length, flags = _HEADER.unpack(bytes(tail) + bytes(mv[pos : pos + 6 - have]))
                    pos += 6 - have
                    have = 0
                else:
                    length, flags = unpack(mv, pos)
                    pos += 6
                if length < SIZE_OF_FRAME_LENGTH_AND_FLAGS:
                    raise self._fail(f"invalid frame length {length}: a frame is at least 6 bytes")
                if length > self._max - self._fragment_bytes - msg_size:
                    raise self._fail(
                        f"message exceeds max_message_size {self._max}: frame of {length} bytes after "
                        f"{msg_size} message bytes and {self._fragment_bytes} fragment bytes"
                    )
                if not msg_size and flags & UNFRAGMENTED_MESSAGE != UNFRAGMENTED_MESSAGE:
                    if length - SIZE_OF_FRAME_LENGTH_AND_FLAGS < FRAGMENTATION_ID_SIZE:
                        raise self._fail(f"fragmentation frame of {length} bytes is too short for a fragment id")
                    frag = 1
                    self._frag_flags = flags
                msg_size += length
                skip = length - 6
                final = (flags & IS_FINAL_FLAG) != 0
                if frag == 0 and final and skip <= n - pos and not self._pending:
                    # the last frame of an unfragmented message whose bytes are all in this chunk
                    pos += skip
                    skip = 0
                    msg_size = 0
                    final = False
                    msg = _object_new(ClientMessage)
                    msg._buf = bytes(mv[start:pos])
                    msg._last = -2
                    msg._pos = 0
                    msg.retryable = False
                    out.append(msg)
                    start = pos
                    continue
                if skip:
                    continue
            # a frame ended at pos
            if frag == 1:
                self._begin_fragment(mv, start, pos)
                start = pos
                frag = 2
            if final:
                if frag:
                    self._acc += mv[start:pos]  # type: ignore[operator]
                    msg = self._end_fragment(msg_size)
                    frag = 0
                else:  # (the message began in an earlier chunk: the fast path above takes the others)
                    self._pending += mv[start:pos]
                    msg = ClientMessage._wrap(self._pending)
                    self._pending = bytearray()
                if msg is not None:
                    out.append(msg)
                start = pos
                msg_size = 0
                final = False
        self._skip = skip
        self._final = final
        self._msg_size = msg_size
        self._hdr_have = have
        self._frag = frag
        if start < n:
            if frag == 2:
                self._acc += mv[start:n]  # type: ignore[operator]
            else:
                self._pending += mv[start:n]
        return out

    def _begin_fragment(self, mv: memoryview, start: int, pos: int) -> None:
        """The fragmentation frame (held bytes + ``mv[start:pos]``) is complete: find the fragment's message and
        append the frames that follow to it from now on."""
        pending = self._pending
        if len(pending) >= 6 + FRAGMENTATION_ID_SIZE:
            fragment_id = _I64.unpack_from(pending, 6)[0]
        else:
            head = bytes(pending) + bytes(mv[start : start + 6 + FRAGMENTATION_ID_SIZE - len(pending)])
            fragment_id = _I64.unpack_from(head, 6)[0]
        self._pending = bytearray()
        if self._frag_flags & BEGIN_FRAGMENT_FLAG:
            if fragment_id in self._fragments:
                raise self._fail(f"fragment id {fragment_id} began twice")
            entry: Optional[List[Any]] = [bytearray(), -1, 0, fragment_id]
            self._fragments[fragment_id] = entry  # type: ignore[assignment]
        else:
            entry = self._fragments.get(fragment_id)
            if entry is None:
                raise self._fail(f"fragment for unknown fragment id {fragment_id}")
        self._acc_entry = entry
        self._acc = entry[0]
        self._acc_start = len(entry[0])

    def _end_fragment(self, total: int) -> Optional[ClientMessage]:
        """The fragment of ``total`` bytes is complete (its frames are in the accumulator): the reassembled message
        when it was the last fragment, else None."""
        entry = self._acc_entry
        acc = self._acc
        assert entry is not None and acc is not None
        last = -1
        off = self._acc_start
        end = len(acc)
        while off < end:
            last = off
            off += _I32.unpack_from(acc, off)[0]
        self._acc = self._acc_entry = None
        if last >= 0:
            if entry[1] >= 0:
                old = _U16.unpack_from(acc, entry[1] + 4)[0]
                _U16.pack_into(acc, entry[1] + 4, old & ~IS_FINAL_FLAG & 0xFFFF)
            entry[1] = last
        entry[2] += total
        self._fragment_bytes += total
        if not self._frag_flags & END_FRAGMENT_FLAG:
            return None
        del self._fragments[entry[3]]
        self._fragment_bytes -= entry[2]
        if not acc:
            raise self._fail(f"fragmented message {entry[3]} has no frames")
        msg = ClientMessage._wrap(acc)
        msg._last = entry[1]
        return msg


# --------------------------------------------------------------------------------------------------------------
# ICMP checksum
# --------------------------------------------------------------------------------------------------------------


def calculate_checksum(data: Buffer) -> int:
    """RFC 1071 Internet checksum of ``data`` (16-bit one's complement of the one's complement sum of the
    big-endian 16-bit words; an odd trailing byte is padded with zero). Returns an int in ``0..0xFFFF``."""
    mv = memoryview(data).cast("B")
    n = len(mv)
    even = n & ~1
    total = sum(struct.unpack_from(f">{even // 2}H", mv, 0)) if even else 0
    if n & 1:
        total += mv[n - 1] << 8
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
