"""Pure-Python twin of ``src/_codec.pyx``: the stream primitives of the compact format and the Data payloads.

:class:`CompactStreamWriter` is a growable output buffer, :class:`CompactStreamReader` a bounds-checked input
cursor. Both use one byte order for multi-byte values (big-endian by default, as Hazelcast's serialization
does); the ``*_be`` methods are always big-endian (the Data header).

Every malformed input (a read past the end, a negative or oversized length or count, invalid UTF-8, a value out of
range for its type, a position outside the buffer) raises :class:`hazelcast.errors.HazelcastSerializationError`.
The compiled twin behaves identically.
"""

from __future__ import annotations

import struct
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from hazelcast.errors import HazelcastSerializationError

Buffer = Union[bytes, bytearray, memoryview]

BYTE_OFFSET_READER_RANGE = 255  # data lengths below this use 1-byte offsets
SHORT_OFFSET_READER_RANGE = 65535  # data lengths below this use 2-byte offsets
NULL_OFFSET = -1


def offset_size(data_length: int) -> int:
    """Width in bytes (1, 2 or 4) of the compact offset-table entries for a section of ``data_length`` bytes."""
    if data_length < BYTE_OFFSET_READER_RANGE:
        return 1
    if data_length < SHORT_OFFSET_READER_RANGE:
        return 2
    return 4


def _structs(big_endian: bool) -> Tuple[struct.Struct, ...]:
    p = ">" if big_endian else "<"
    return tuple(struct.Struct(p + c) for c in ("b", "B", "h", "H", "i", "q", "f", "d"))


_BE = _structs(True)
_LE = _structs(False)
_I32_BE = struct.Struct(">i")


def _error(kind: str, value: Any) -> HazelcastSerializationError:
    return HazelcastSerializationError(f"cannot write {value!r} as {kind}")


class CompactStreamWriter:
    """A growable output buffer with typed writes in one byte order."""

    __slots__ = ("_buf", "_s", "big_endian")

    def __init__(self, big_endian: bool = True, initial_capacity: int = 256) -> None:
        self._buf = bytearray()
        self.big_endian = bool(big_endian)
        self._s = _BE if self.big_endian else _LE

    @property
    def position(self) -> int:
        """Number of bytes written so far (the position of the next write)."""
        return len(self._buf)

    def to_bytes(self) -> bytes:
        """The bytes written so far."""
        return bytes(self._buf)

    def clear(self) -> None:
        """Discard everything written so far."""
        del self._buf[:]

    # -- sequential writes -------------------------------------------------------------------------------------------

    def _pack(self, s: struct.Struct, kind: str, value: Any) -> None:
        try:
            self._buf += s.pack(value)
        except (struct.error, OverflowError, TypeError):
            raise _error(kind, value) from None

    def write_int8(self, value: int) -> None:
        """Write a signed byte."""
        self._pack(self._s[0], "int8", value)

    def write_uint8(self, value: int) -> None:
        """Write an unsigned byte."""
        self._pack(self._s[1], "uint8", value)

    def write_bool(self, value: bool) -> None:
        """Write a boolean as one byte (0 or 1)."""
        self._buf.append(1 if value else 0)

    def write_int16(self, value: int) -> None:
        """Write a signed 16-bit integer."""
        self._pack(self._s[2], "int16", value)

    def write_uint16(self, value: int) -> None:
        """Write an unsigned 16-bit integer."""
        self._pack(self._s[3], "uint16", value)

    def write_int32(self, value: int) -> None:
        """Write a signed 32-bit integer."""
        self._pack(self._s[4], "int32", value)

    def write_int64(self, value: int) -> None:
        """Write a signed 64-bit integer."""
        self._pack(self._s[5], "int64", value)

    def write_float32(self, value: float) -> None:
        """Write an IEEE 754 single; a finite value too large for it is an error."""
        self._pack(self._s[6], "float32", value)

    def write_float64(self, value: float) -> None:
        """Write an IEEE 754 double."""
        self._pack(self._s[7], "float64", value)

    def write_int32_be(self, value: int) -> None:
        """Write a big-endian signed 32-bit integer whatever the stream's byte order."""
        self._pack(_I32_BE, "int32", value)

    def write_zeros(self, count: int) -> None:
        """Write ``count`` zero bytes (reserves room that ``write_*_at`` fills in later)."""
        if count < 0:
            raise HazelcastSerializationError(f"negative count {count}")
        self._buf += bytes(count)

    def write_bytes(self, value: Buffer) -> None:
        """Write raw bytes, without a length."""
        try:
            self._buf += value
        except TypeError:
            raise _error("bytes", value) from None

    def write_string(self, value: Optional[str]) -> None:
        """Write ``int32 length`` and the UTF-8 bytes; ``None`` is written as length -1."""
        if value is None:
            self.write_int32(-1)
            return
        try:
            data = value.encode("utf-8")
        except (UnicodeEncodeError, AttributeError):
            raise _error("string", value) from None
        self.write_int32(len(data))
        self._buf += data

    def write_byte_array(self, value: Optional[Buffer]) -> None:
        """Write ``int32 count`` and the bytes; ``None`` is written as count -1."""
        if value is None:
            self.write_int32(-1)
            return
        try:
            mv = memoryview(value).cast("B")
        except TypeError:
            raise _error("byte array", value) from None
        self.write_int32(len(mv))
        self._buf += mv

    def write_boolean_bits(self, values: Optional[Sequence[bool]]) -> None:
        """Write ``int32 count`` and the booleans packed 8 to a byte, least significant bit first."""
        if values is None:
            self.write_int32(-1)
            return
        n = len(values)
        self.write_int32(n)
        out = bytearray((n + 7) >> 3)
        for i, v in enumerate(values):
            if v:
                out[i >> 3] |= 1 << (i & 7)
        self._buf += out

    def _write_array(self, index: int, kind: str, values: Optional[Sequence[Any]]) -> None:
        if values is None:
            self.write_int32(-1)
            return
        n = len(values)
        fmt = ("<" if not self.big_endian else ">") + str(n) + self._s[index].format[1:]
        try:
            data = struct.pack(fmt, *values)
        except (struct.error, OverflowError, TypeError):
            raise _error(f"array of {kind}", values) from None
        self.write_int32(n)
        self._buf += data

    def write_int8_array(self, values: Optional[Sequence[int]]) -> None:
        """Write ``int32 count`` and the int8 items."""
        self._write_array(0, "int8", values)

    def write_int16_array(self, values: Optional[Sequence[int]]) -> None:
        """Write ``int32 count`` and the int16 items."""
        self._write_array(2, "int16", values)

    def write_int32_array(self, values: Optional[Sequence[int]]) -> None:
        """Write ``int32 count`` and the int32 items."""
        self._write_array(4, "int32", values)

    def write_int64_array(self, values: Optional[Sequence[int]]) -> None:
        """Write ``int32 count`` and the int64 items."""
        self._write_array(5, "int64", values)

    def write_float32_array(self, values: Optional[Sequence[float]]) -> None:
        """Write ``int32 count`` and the float32 items."""
        self._write_array(6, "float32", values)

    def write_float64_array(self, values: Optional[Sequence[float]]) -> None:
        """Write ``int32 count`` and the float64 items."""
        self._write_array(7, "float64", values)

    def write_offsets(self, offsets: Iterable[int], data_length: int) -> None:
        """Write a compact offset table for a section of ``data_length`` bytes; -1 is a null entry."""
        size = offset_size(data_length)
        if size == 1:
            limit, null, s = 0xFF, 0xFF, self._s[1]
        elif size == 2:
            limit, null, s = 0xFFFF, 0xFFFF, self._s[3]
        else:
            limit, null, s = 0x7FFFFFFF, -1, self._s[4]
        out = bytearray()
        for off in offsets:
            if off == NULL_OFFSET:
                out += s.pack(null)
            elif not isinstance(off, int) or off < 0 or off >= limit:
                raise _error(f"{size}-byte offset", off)
            else:
                out += s.pack(off)
        self._buf += out

    # -- writes at a position ------------------------------------------------------------------------------------

    def _pack_at(self, s: struct.Struct, kind: str, pos: int, value: Any) -> None:
        if pos < 0 or s.size > len(self._buf) - pos:
            raise HazelcastSerializationError(f"position {pos} is outside the {len(self._buf)} bytes written")
        try:
            data = s.pack(value)  # not pack_into: it zeroes the target before failing on a bad value
        except (struct.error, OverflowError, TypeError):
            raise _error(kind, value) from None
        self._buf[pos : pos + s.size] = data

    def write_int8_at(self, pos: int, value: int) -> None:
        """Overwrite a signed byte at ``pos``."""
        self._pack_at(self._s[0], "int8", pos, value)

    def write_bool_at(self, pos: int, value: bool) -> None:
        """Overwrite a boolean byte at ``pos``."""
        self._pack_at(self._s[1], "uint8", pos, 1 if value else 0)

    def write_bool_bit_at(self, pos: int, bit: int, value: bool) -> None:
        """Set (or clear) bit ``bit`` (0-7, least significant first) of the byte at ``pos``."""
        if pos < 0 or pos >= len(self._buf):
            raise HazelcastSerializationError(f"position {pos} is outside the {len(self._buf)} bytes written")
        if bit < 0 or bit > 7:
            raise HazelcastSerializationError(f"bit index {bit} is not in 0..7")
        if value:
            self._buf[pos] |= 1 << bit
        else:
            self._buf[pos] &= ~(1 << bit) & 0xFF

    def write_int16_at(self, pos: int, value: int) -> None:
        """Overwrite a signed 16-bit integer at ``pos``."""
        self._pack_at(self._s[2], "int16", pos, value)

    def write_int32_at(self, pos: int, value: int) -> None:
        """Overwrite a signed 32-bit integer at ``pos``."""
        self._pack_at(self._s[4], "int32", pos, value)

    def write_int64_at(self, pos: int, value: int) -> None:
        """Overwrite a signed 64-bit integer at ``pos``."""
        self._pack_at(self._s[5], "int64", pos, value)

    def write_float32_at(self, pos: int, value: float) -> None:
        """Overwrite a float32 at ``pos``."""
        self._pack_at(self._s[6], "float32", pos, value)

    def write_float64_at(self, pos: int, value: float) -> None:
        """Overwrite a float64 at ``pos``."""
        self._pack_at(self._s[7], "float64", pos, value)


class CompactStreamReader:
    """A bounds-checked input cursor over a bytes-like buffer, with typed reads in one byte order."""

    __slots__ = ("_buf", "_pos", "_s", "big_endian")

    def __init__(self, buffer: Buffer, big_endian: bool = True) -> None:
        try:
            mv = memoryview(buffer)
        except TypeError:
            raise TypeError("a bytes-like object is required") from None
        if not mv.c_contiguous:
            raise TypeError("a C-contiguous bytes-like object is required")
        self._buf = buffer if isinstance(buffer, bytes) else mv.cast("B")
        self._pos = 0
        self.big_endian = bool(big_endian)
        self._s = _BE if self.big_endian else _LE

    @property
    def size(self) -> int:
        """Length of the buffer in bytes."""
        return len(self._buf)

    @property
    def position(self) -> int:
        """The position of the next read."""
        return self._pos

    @position.setter
    def position(self, pos: int) -> None:
        self.seek(pos)

    @property
    def remaining(self) -> int:
        """Bytes between the position and the end of the buffer."""
        return len(self._buf) - self._pos

    def seek(self, pos: int) -> None:
        """Move to ``pos`` (0 up to and including the buffer length)."""
        if pos < 0 or pos > len(self._buf):
            raise HazelcastSerializationError(f"position {pos} is outside a {len(self._buf)}-byte buffer")
        self._pos = pos

    def skip(self, count: int) -> None:
        """Advance by ``count`` bytes."""
        self._check(count)
        self._pos += count

    def _check(self, size: int) -> None:
        if size < 0:
            raise HazelcastSerializationError(f"negative length {size}")
        if size > len(self._buf) - self._pos:
            raise HazelcastSerializationError(
                f"cannot read {size} bytes at position {self._pos} of a {len(self._buf)}-byte buffer"
            )

    def _unpack(self, s: struct.Struct) -> Any:
        pos = self._pos
        if s.size > len(self._buf) - pos:
            raise HazelcastSerializationError(
                f"cannot read {s.size} bytes at position {pos} of a {len(self._buf)}-byte buffer"
            )
        self._pos = pos + s.size
        return s.unpack_from(self._buf, pos)[0]

    def _unpack_at(self, s: struct.Struct, pos: int) -> Any:
        if pos < 0 or s.size > len(self._buf) - pos:
            raise HazelcastSerializationError(
                f"cannot read {s.size} bytes at position {pos} of a {len(self._buf)}-byte buffer"
            )
        return s.unpack_from(self._buf, pos)[0]

    # -- sequential reads --------------------------------------------------------------------------------------------

    def read_int8(self) -> int:
        """Read a signed byte."""
        return self._unpack(self._s[0])

    def read_uint8(self) -> int:
        """Read an unsigned byte."""
        return self._unpack(self._s[1])

    def read_bool(self) -> bool:
        """Read a boolean byte (any non-zero value is true)."""
        return self._unpack(self._s[1]) != 0

    def read_int16(self) -> int:
        """Read a signed 16-bit integer."""
        return self._unpack(self._s[2])

    def read_uint16(self) -> int:
        """Read an unsigned 16-bit integer."""
        return self._unpack(self._s[3])

    def read_int32(self) -> int:
        """Read a signed 32-bit integer."""
        return self._unpack(self._s[4])

    def read_int64(self) -> int:
        """Read a signed 64-bit integer."""
        return self._unpack(self._s[5])

    def read_float32(self) -> float:
        """Read a float32."""
        return self._unpack(self._s[6])

    def read_float64(self) -> float:
        """Read a float64."""
        return self._unpack(self._s[7])

    def read_int32_be(self) -> int:
        """Read a big-endian signed 32-bit integer whatever the stream's byte order."""
        return self._unpack(_I32_BE)

    def read_bytes(self, count: int) -> bytes:
        """Read ``count`` raw bytes."""
        self._check(count)
        pos = self._pos
        self._pos = pos + count
        return bytes(self._buf[pos : pos + count])

    def read_string(self) -> Optional[str]:
        """Read ``int32 length`` and that many UTF-8 bytes; length -1 is ``None``."""
        n = self.read_int32()
        if n == -1:
            return None
        self._check(n)
        pos = self._pos
        try:
            value = str(self._buf[pos : pos + n], "utf-8")
        except UnicodeDecodeError as e:
            raise HazelcastSerializationError(f"invalid UTF-8 in string at position {pos}: {e.reason}") from None
        self._pos = pos + n
        return value

    def read_byte_array(self) -> Optional[bytes]:
        """Read ``int32 count`` and that many bytes; count -1 is ``None``."""
        n = self.read_int32()
        if n == -1:
            return None
        return self.read_bytes(n)

    def read_boolean_bits(self) -> Optional[List[bool]]:
        """Read ``int32 count`` and that many bit-packed booleans; count -1 is ``None``."""
        n = self.read_int32()
        if n == -1:
            return None
        if n < 0:
            raise HazelcastSerializationError(f"negative length {n}")
        nbytes = (n >> 3) + (1 if n & 7 else 0)
        self._check(nbytes)
        pos = self._pos
        buf = self._buf
        out = [bool(buf[pos + (i >> 3)] & (1 << (i & 7))) for i in range(n)]
        self._pos = pos + nbytes
        return out

    def _read_array(self, index: int) -> Optional[List[Any]]:
        n = self.read_int32()
        if n == -1:
            return None
        s = self._s[index]
        if n < 0:
            raise HazelcastSerializationError(f"negative length {n}")
        if n > (len(self._buf) - self._pos) // s.size:
            raise HazelcastSerializationError(
                f"array of {n} {s.size}-byte items does not fit the {len(self._buf) - self._pos} bytes left"
            )
        pos = self._pos
        values = list(struct.unpack_from(s.format[0] + str(n) + s.format[1:], self._buf, pos))
        self._pos = pos + n * s.size
        return values

    def read_int8_array(self) -> Optional[List[int]]:
        """Read ``int32 count`` and that many int8 items; count -1 is ``None``."""
        return self._read_array(0)

    def read_int16_array(self) -> Optional[List[int]]:
        """Read ``int32 count`` and that many int16 items; count -1 is ``None``."""
        return self._read_array(2)

    def read_int32_array(self) -> Optional[List[int]]:
        """Read ``int32 count`` and that many int32 items; count -1 is ``None``."""
        return self._read_array(4)

    def read_int64_array(self) -> Optional[List[int]]:
        """Read ``int32 count`` and that many int64 items; count -1 is ``None``."""
        return self._read_array(5)

    def read_float32_array(self) -> Optional[List[float]]:
        """Read ``int32 count`` and that many float32 items; count -1 is ``None``."""
        return self._read_array(6)

    def read_float64_array(self) -> Optional[List[float]]:
        """Read ``int32 count`` and that many float64 items; count -1 is ``None``."""
        return self._read_array(7)

    # -- reads at a position (the cursor does not move) ------------------------------------------------------------

    def read_int8_at(self, pos: int) -> int:
        """Read a signed byte at ``pos``."""
        return self._unpack_at(self._s[0], pos)

    def read_bool_at(self, pos: int) -> bool:
        """Read a boolean byte at ``pos``."""
        return self._unpack_at(self._s[1], pos) != 0

    def read_bool_bit_at(self, pos: int, bit: int) -> bool:
        """Read bit ``bit`` (0-7, least significant first) of the byte at ``pos``."""
        if bit < 0 or bit > 7:
            raise HazelcastSerializationError(f"bit index {bit} is not in 0..7")
        return bool(self._unpack_at(self._s[1], pos) & (1 << bit))

    def read_int16_at(self, pos: int) -> int:
        """Read a signed 16-bit integer at ``pos``."""
        return self._unpack_at(self._s[2], pos)

    def read_int32_at(self, pos: int) -> int:
        """Read a signed 32-bit integer at ``pos``."""
        return self._unpack_at(self._s[4], pos)

    def read_int64_at(self, pos: int) -> int:
        """Read a signed 64-bit integer at ``pos``."""
        return self._unpack_at(self._s[5], pos)

    def read_float32_at(self, pos: int) -> float:
        """Read a float32 at ``pos``."""
        return self._unpack_at(self._s[6], pos)

    def read_float64_at(self, pos: int) -> float:
        """Read a float64 at ``pos``."""
        return self._unpack_at(self._s[7], pos)

    def read_offset(self, table_pos: int, index: int, data_length: int) -> int:
        """Entry ``index`` of a compact offset table at ``table_pos`` for a section of ``data_length`` bytes.

        Returns -1 for a null entry, otherwise the offset (non-negative).
        """
        if index < 0:
            raise HazelcastSerializationError(f"negative offset index {index}")
        if data_length < 0:
            raise HazelcastSerializationError(f"negative data length {data_length}")
        size = offset_size(data_length)
        if table_pos < 0 or index >= (len(self._buf) - table_pos) // size:
            raise HazelcastSerializationError(
                f"offset entry {index} of a table at {table_pos} is outside a {len(self._buf)}-byte buffer"
            )
        if size == 1:
            v = self._unpack_at(self._s[1], table_pos + index)
            return NULL_OFFSET if v == 0xFF else v
        if size == 2:
            v = self._unpack_at(self._s[3], table_pos + 2 * index)
            return NULL_OFFSET if v == 0xFFFF else v
        v = self._unpack_at(self._s[4], table_pos + 4 * index)
        if v < NULL_OFFSET:
            raise HazelcastSerializationError(f"invalid offset {v}")
        return v



# ==================================================================================================================
# Compact objects: per-schema write and read plans
#
# A plan is built once per schema (and per class) by ``hazelcast.serialization.compact`` and then drives the
# encoding or decoding of whole objects, so no per-field Python method dispatch happens on the hot path. The body
# layout (protocol.md §6.3):
#
#   [int32 dataLength]                  only when the schema has variable-size fields
#   fixed section                       fixed-size fields at their schema positions, booleans as bits
#   variable section                    the values of the variable-size fields, in write order
#   [offset table]                      one entry per variable-size field (1, 2 or 4 bytes by dataLength; null = -1)
#
# A compact *value* (top level, nested field, array item) is ``int64 schemaId`` followed by the body.
# ==================================================================================================================

import datetime as _dt
import decimal as _decimal

MAX_NESTING_DEPTH = 64
"""Deepest nesting of compact objects the plans write or read (deeper data, or a cyclic object graph, is an error)."""

FLAG_BYTES = 1
"""Read flag: an ARRAY_OF_INT8 field is returned as ``bytes`` instead of a list of ints."""
FLAG_NOT_NULL = 2
"""Read flag: a null value is an error (a nullable field read into a non-nullable target)."""
FLAG_NO_NULL_ITEMS = 4
"""Read flag: a null array item is an error (ARRAY_OF_NULLABLE_X read into ARRAY_OF_X)."""

READ_VALUES = 0
"""Read mode: the field values are collected into a list (in field order) and passed to ``target`` if given."""
READ_SETATTR = 1
"""Read mode: ``target.__new__(target)`` then ``object.__setattr__`` per field (``__init__`` is not called)."""
READ_KWARGS = 2
"""Read mode: ``target(**fields)``."""

COMPACT_TYPE_ID = -55

_MAX_INT32 = 0x7FFFFFFF
_MAX_TZ_OFFSET = 18 * 3600  # java.time.ZoneOffset range

# field kind ids (hazelcast.serialization.compact.FieldKind)
_BOOLEAN, _ARRAY_OF_BOOLEAN, _INT8, _ARRAY_OF_INT8 = 1, 2, 3, 4
_INT16, _ARRAY_OF_INT16, _INT32, _ARRAY_OF_INT32, _INT64, _ARRAY_OF_INT64 = 7, 8, 9, 10, 11, 12
_FLOAT32, _ARRAY_OF_FLOAT32, _FLOAT64, _ARRAY_OF_FLOAT64 = 13, 14, 15, 16
_STRING, _ARRAY_OF_STRING, _DECIMAL, _ARRAY_OF_DECIMAL, _TIME, _ARRAY_OF_TIME = 17, 18, 19, 20, 21, 22
_DATE, _ARRAY_OF_DATE, _TIMESTAMP, _ARRAY_OF_TIMESTAMP, _TSTZ, _ARRAY_OF_TSTZ = 23, 24, 25, 26, 27, 28
_COMPACT, _ARRAY_OF_COMPACT = 29, 30

# layout categories
_CAT_FIXED = 0  # int8..float64 in the fixed section
_CAT_BIT = 1  # boolean, one bit in the fixed section
_CAT_SCALAR = 2  # one variable-size value (string, decimal, temporal, compact, NULLABLE_X)
_CAT_BITS = 3  # ARRAY_OF_BOOLEAN: count + bit-packed items
_CAT_PACKED = 4  # ARRAY_OF_INT8..FLOAT64: count + packed items
_CAT_ARRAY = 5  # arrays of variable-size or nullable items: dataLength, count, items, item offset table


def _build_layouts() -> dict:
    out = {_BOOLEAN: (_CAT_BIT, _BOOLEAN), _ARRAY_OF_BOOLEAN: (_CAT_BITS, _BOOLEAN)}
    for base, array in ((_INT8, _ARRAY_OF_INT8), (_INT16, _ARRAY_OF_INT16), (_INT32, _ARRAY_OF_INT32),
                        (_INT64, _ARRAY_OF_INT64), (_FLOAT32, _ARRAY_OF_FLOAT32), (_FLOAT64, _ARRAY_OF_FLOAT64)):
        out[base] = (_CAT_FIXED, base)
        out[array] = (_CAT_PACKED, base)
    for base in (_STRING, _DECIMAL, _TIME, _DATE, _TIMESTAMP, _TSTZ, _COMPACT):
        out[base] = (_CAT_SCALAR, base)
        out[base + 1] = (_CAT_ARRAY, base)
    # NULLABLE_BOOLEAN 33 .. ARRAY_OF_NULLABLE_FLOAT64 46
    for nullable, base in ((33, _BOOLEAN), (35, _INT8), (37, _INT16), (39, _INT32), (41, _INT64), (43, _FLOAT32),
                           (45, _FLOAT64)):
        out[nullable] = (_CAT_SCALAR, base)
        out[nullable + 1] = (_CAT_ARRAY, base)
    return out


_LAYOUTS = _build_layouts()
_FIXED_SIZES = {_BOOLEAN: 1, _INT8: 1, _INT16: 2, _INT32: 4, _INT64: 8, _FLOAT32: 4, _FLOAT64: 8}
_STRUCT_INDEX = {_INT8: 0, _INT16: 2, _INT32: 4, _INT64: 5, _FLOAT32: 6, _FLOAT64: 7}
_NAMES = {_INT8: "int8", _INT16: "int16", _INT32: "int32", _INT64: "int64", _FLOAT32: "float32", _FLOAT64: "float64",
          _BOOLEAN: "boolean", _STRING: "string", _DECIMAL: "decimal", _TIME: "time", _DATE: "date",
          _TIMESTAMP: "timestamp", _TSTZ: "timestamp with time zone", _COMPACT: "compact"}
_Q_BE = struct.Struct(">q")
_HEADER = b"\x00\x00\x00\x00\xff\xff\xff\xc9"  # partition hash 0, type id -55, both big-endian
_EXACT = _decimal.Context(prec=_decimal.MAX_PREC, Emax=_decimal.MAX_EMAX, Emin=_decimal.MIN_EMIN)
_TZ_CACHE: dict = {}
_PACKABLE_ERRORS = (struct.error, OverflowError, TypeError, ValueError)


def _field_error(name: str, message: str) -> HazelcastSerializationError:
    return HazelcastSerializationError(f"field {name!r}: {message}")


def _truncated(what: str, pos: int) -> HazelcastSerializationError:
    return HazelcastSerializationError(f"malformed compact data: {what} at position {pos} does not fit")


def _check_layout(fields: Sequence[Any], fixed_length: int, var_count: int) -> List[Tuple[Any, ...]]:
    """Validates plan fields ``(name, kind, location, bit, flags, key)``; returns them with their layouts."""
    if not isinstance(fixed_length, int) or not 0 <= fixed_length <= _MAX_INT32:
        raise HazelcastSerializationError(f"invalid fixed section length {fixed_length!r}")
    if not isinstance(var_count, int) or not 0 <= var_count <= _MAX_INT32:
        raise HazelcastSerializationError(f"invalid variable-size field count {var_count!r}")
    out = []
    for spec in fields:
        if not isinstance(spec, (tuple, list)) or len(spec) != 6:
            raise HazelcastSerializationError(f"a plan field needs 6 items, got {spec!r}")
        name, kind, loc, bit, flags, key = spec
        if not (isinstance(kind, int) and isinstance(loc, int) and isinstance(bit, int) and isinstance(flags, int)):
            raise HazelcastSerializationError(f"field {name!r}: kind, location, bit and flags must be ints")
        layout = _LAYOUTS.get(kind)
        if layout is None:
            raise HazelcastSerializationError(f"field {name!r}: unsupported field kind {kind!r}")
        cat = layout[0]
        if cat == _CAT_FIXED or cat == _CAT_BIT:
            size = _FIXED_SIZES[kind]
            if loc < 0 or size > fixed_length - loc:
                raise HazelcastSerializationError(f"field {name!r}: position {loc} is outside the fixed section")
            if bit < 0 or bit > 7:
                raise HazelcastSerializationError(f"field {name!r}: bit {bit} is not in 0..7")
        elif loc < 0 or loc >= var_count:
            raise HazelcastSerializationError(f"field {name!r}: variable-size index {loc} is out of range")
        else:
            bit = 0
        out.append((name, kind, loc, bit, flags & 7, key, cat, layout[1]))
    return out


# -- item encoders (shared by fields and array items) --------------------------------------------------------------


def _decimal_parts(value: Any) -> Tuple[bytes, int]:
    if not isinstance(value, _decimal.Decimal):
        raise TypeError(f"expected a decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    exponent = value.as_tuple().exponent
    unscaled = int(value.scaleb(-exponent, _EXACT))
    scale = -exponent
    if scale < -_MAX_INT32 - 1 or scale > _MAX_INT32:
        raise ValueError(f"the scale of {value} does not fit an int32")
    bits = unscaled.bit_length() if unscaled >= 0 else (~unscaled).bit_length()
    return unscaled.to_bytes(bits // 8 + 1, "big", signed=True), scale


def _tz_offset_seconds(value: _dt.datetime) -> int:
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("a timestamp with time zone needs an aware datetime")
    if offset.microseconds:
        raise ValueError(f"the UTC offset {offset} is not a whole number of seconds")
    seconds = offset.days * 86400 + offset.seconds
    if seconds < -_MAX_TZ_OFFSET or seconds > _MAX_TZ_OFFSET:
        raise ValueError(f"the UTC offset {offset} is outside -18:00..+18:00")
    return seconds


def _check_time(value: Any) -> None:
    if not isinstance(value, _dt.time):
        raise TypeError(f"expected a datetime.time, got {type(value).__name__}")
    if value.tzinfo is not None:
        raise ValueError("a compact time has no time zone")


def _check_date(value: Any) -> None:
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise TypeError(f"expected a datetime.date, got {type(value).__name__}")


def _check_datetime(value: Any, aware: bool) -> None:
    if not isinstance(value, _dt.datetime):
        raise TypeError(f"expected a datetime.datetime, got {type(value).__name__}")
    if not aware and value.tzinfo is not None:
        raise ValueError("a timestamp needs a naive datetime (use TIMESTAMP_WITH_TIMEZONE for aware ones)")


def _timezone(seconds: int) -> _dt.timezone:
    tz = _TZ_CACHE.get(seconds)
    if tz is None:
        tz = _dt.timezone(_dt.timedelta(seconds=seconds)) if seconds else _dt.timezone.utc
        _TZ_CACHE[seconds] = tz
    return tz


class WritePlan:
    """Writes objects of one schema: ``int64 schemaId`` followed by the body (protocol.md §6.3).

    Args:
        schema_id: the schema's fingerprint (int64).
        fixed_length: length in bytes of the fixed section.
        var_count: number of variable-size fields (entries of the offset table).
        fields: one ``(name, kind, location, bit, flags, key)`` per field. ``location`` is the byte position in the
            fixed section (fixed-size kinds) or the variable-size index; ``bit`` the bit of a BOOLEAN; ``key`` the
            attribute to read in attribute mode. ``flags`` is ignored when writing.
        order: field positions in the order their variable-size values are written (default: field order).
        extract: ``None`` for attribute mode (values are ``getattr(obj, key)``); otherwise a callable
            ``extract(obj) -> (values, order)`` returning the values in field order and the write order (or None).
        resolve: ``resolve(value) -> WritePlan`` for nested compact values (COMPACT and ARRAY_OF_COMPACT fields).
        big_endian: byte order of the payload.
        cls: the class this plan writes (lets nested fields skip ``resolve`` for repeated types).

    Raises:
        HazelcastSerializationError: an invalid layout (unsupported kind, location outside the sections).
    """

    __slots__ = ("schema_id", "fixed_length", "var_count", "cls", "_fields", "_n", "_order", "_extract", "_resolve",
                 "_getter", "_fixed", "_bits", "_s", "_be", "_sid", "_nested")

    def __init__(self, schema_id: int, fixed_length: int, var_count: int, fields: Sequence[Any],
                 order: Optional[Sequence[int]] = None, extract: Any = None, resolve: Any = None,
                 big_endian: bool = True, cls: Any = None) -> None:
        specs = _check_layout(fields, fixed_length, var_count)
        if not isinstance(schema_id, int) or not -(2**63) <= schema_id < 2**63:
            raise HazelcastSerializationError(f"schema id {schema_id} does not fit an int64")
        self.schema_id = schema_id
        self.fixed_length = fixed_length
        self.var_count = var_count
        self.cls = cls
        self._fields = specs
        self._n = len(specs)
        self._extract = extract
        self._resolve = resolve
        self._be = bool(big_endian)
        self._s = _BE if self._be else _LE
        self._sid = self._s[5].pack(schema_id)
        self._nested: dict = {}
        self._order = self._check_order(range(self._n) if order is None else order)
        if extract is None:
            for spec in specs:
                if not isinstance(spec[5], str):
                    raise HazelcastSerializationError(f"field {spec[0]!r}: attribute mode needs a str key")
            keys = [spec[5] for spec in specs]
            if len(keys) > 1:
                self._getter = _attrgetter(*keys)
            elif keys:
                single = _attrgetter(keys[0])
                self._getter = lambda obj: (single(obj),)
            else:
                self._getter = lambda obj: ()
        else:
            self._getter = None
        fixed, bits = [], []
        for i, spec in enumerate(specs):
            if spec[6] == _CAT_FIXED:
                fixed.append((i, self._s[_STRUCT_INDEX[spec[1]]], spec[2]))
            elif spec[6] == _CAT_BIT:
                bits.append((i, spec[2], 1 << spec[3]))
        self._fixed = fixed
        self._bits = bits

    def _check_order(self, order: Iterable[int]) -> List[int]:
        out = []
        for i in order:
            if not isinstance(i, int) or i < 0 or i >= self._n:
                raise HazelcastSerializationError(f"write order entry {i!r} is not a field position")
            if self._fields[i][6] >= _CAT_SCALAR:
                out.append(i)
        return out

    @property
    def big_endian(self) -> bool:
        return self._be

    def write(self, writer: CompactStreamWriter, obj: Any) -> None:
        """Write ``obj`` (schema id and body) at the writer's position; on error the writer is left unchanged."""
        buf = writer._buf
        start = len(buf)
        if writer.big_endian != self._be:
            raise HazelcastSerializationError("the writer's byte order differs from the plan's")
        try:
            self._write(buf, obj, 0)
        except BaseException:
            del buf[start:]
            raise

    def to_data(self, obj: Any) -> bytes:
        """The whole Data of ``obj``: header (partition hash 0, type id -55), schema id and body."""
        buf = bytearray(_HEADER)
        self._write(buf, obj, 0)
        return bytes(buf)

    # -- internals ----------------------------------------------------------------------------------------------

    def _values(self, obj: Any) -> Tuple[Sequence[Any], List[int]]:
        if self._extract is None:
            try:
                return self._getter(obj), self._order
            except AttributeError as e:
                raise HazelcastSerializationError(f"cannot write {type(obj).__name__}: {e}") from None
        result = self._extract(obj)
        if not isinstance(result, tuple) or len(result) != 2:
            raise HazelcastSerializationError("extract() must return (values, order)")
        values, order = result
        if not isinstance(values, (list, tuple)) or len(values) != self._n:
            raise HazelcastSerializationError(f"extract() must return {self._n} values")
        return values, self._order if order is None else self._check_order(order)

    def _write(self, buf: bytearray, obj: Any, depth: int) -> None:
        if depth > MAX_NESTING_DEPTH:
            raise HazelcastSerializationError(
                f"compact objects nested deeper than {MAX_NESTING_DEPTH} levels (a cyclic object graph?)")
        values, order = self._values(obj)
        fields = self._fields
        buf += self._sid
        start = len(buf)
        if self.var_count:
            buf += bytes(4 + self.fixed_length)
            data_start = start + 4
        else:
            buf += bytes(self.fixed_length)
            data_start = start
        for i, s, loc in self._fixed:
            value = values[i]
            if value is None:
                raise _field_error(fields[i][0], "None is not allowed for a non-nullable field")
            try:
                s.pack_into(buf, data_start + loc, value)
            except _PACKABLE_ERRORS:
                raise _field_error(fields[i][0], f"cannot write {value!r} as {_NAMES[fields[i][1]]}") from None
        for i, loc, mask in self._bits:
            value = values[i]
            if value is None:
                raise _field_error(fields[i][0], "None is not allowed for a non-nullable field")
            if value:
                buf[data_start + loc] |= mask
        if not self.var_count:
            return
        offsets = [-1] * self.var_count
        for i in order:
            value = values[i]
            if value is None:
                continue
            spec = fields[i]
            offsets[spec[2]] = len(buf) - data_start
            self._write_var(buf, spec, value, depth)
        data_length = len(buf) - data_start
        if data_length > _MAX_INT32:
            raise HazelcastSerializationError(f"a compact object of {data_length} bytes is too large")
        self._s[4].pack_into(buf, start, data_length)
        _append_offsets(buf, self._s, offsets, data_length)

    def _write_var(self, buf: bytearray, spec: Tuple[Any, ...], value: Any, depth: int) -> None:
        cat, item = spec[6], spec[7]
        try:
            if cat == _CAT_SCALAR:
                self._write_item(buf, item, value, depth)
            elif cat == _CAT_PACKED:
                self._write_packed(buf, item, value)
            elif cat == _CAT_ARRAY:
                self._write_array(buf, item, value, depth)
            else:
                self._write_bits(buf, value)
        except (TypeError, ValueError, OverflowError, struct.error, AttributeError, UnicodeError) as e:
            raise _field_error(spec[0], f"cannot write {value!r} as {_kind_text(spec[1])}: {e}") from None

    def _write_item(self, buf: bytearray, item: int, value: Any, depth: int) -> None:
        s = self._s
        if item == _STRING:
            if not isinstance(value, str):
                raise TypeError(f"expected a str, got {type(value).__name__}")
            data = value.encode("utf-8")
            buf += s[4].pack(len(data))
            buf += data
        elif item == _COMPACT:
            self._plan_for(value)._write(buf, value, depth + 1)
        elif item == _BOOLEAN:
            buf.append(1 if value else 0)
        elif item in _STRUCT_INDEX:
            buf += s[_STRUCT_INDEX[item]].pack(value)
        elif item == _DECIMAL:
            data, scale = _decimal_parts(value)
            buf += s[4].pack(len(data))
            buf += data
            buf += s[4].pack(scale)
        elif item == _TIME:
            _check_time(value)
            buf += bytes((value.hour, value.minute, value.second))
            buf += s[4].pack(value.microsecond * 1000)
        elif item == _DATE:
            _check_date(value)
            buf += s[4].pack(value.year)
            buf += bytes((value.month, value.day))
        else:  # TIMESTAMP, TIMESTAMP_WITH_TIMEZONE
            aware = item == _TSTZ
            _check_datetime(value, aware)
            offset = _tz_offset_seconds(value) if aware else 0
            buf += s[4].pack(value.year)
            buf += bytes((value.month, value.day, value.hour, value.minute, value.second))
            buf += s[4].pack(value.microsecond * 1000)
            if aware:
                buf += s[4].pack(offset)

    def _plan_for(self, value: Any) -> "WritePlan":
        cls = type(value)
        plan = self._nested.get(cls)
        if plan is not None:
            return plan
        if self._resolve is None:
            raise HazelcastSerializationError(f"no resolver for the nested compact value {value!r}")
        plan = self._resolve(value)
        if not isinstance(plan, WritePlan):
            raise HazelcastSerializationError(f"the resolver returned {plan!r}, not a WritePlan")
        if plan.cls is cls:
            self._nested[cls] = plan
        return plan

    def _write_packed(self, buf: bytearray, item: int, value: Any) -> None:
        if item == _INT8 and isinstance(value, (bytes, bytearray, memoryview)):
            data = memoryview(value).cast("B")
            buf += self._s[4].pack(len(data))
            buf += data
            return
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        n = len(value)
        fmt = self._s[_STRUCT_INDEX[item]].format
        data = struct.pack(fmt[0] + str(n) + fmt[1:], *value)
        buf += self._s[4].pack(n)
        buf += data

    def _write_bits(self, buf: bytearray, value: Any) -> None:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        n = len(value)
        out = bytearray((n + 7) >> 3)
        for i, v in enumerate(value):
            if v is None:
                raise TypeError("None is not a boolean")
            if v:
                out[i >> 3] |= 1 << (i & 7)
        buf += self._s[4].pack(n)
        buf += out

    def _write_array(self, buf: bytearray, item: int, value: Any, depth: int) -> None:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        s = self._s
        start = len(buf)
        buf += s[4].pack(0)
        buf += s[4].pack(len(value))
        items_start = len(buf)
        offsets = [-1] * len(value)
        first = None
        for i, v in enumerate(value):
            if v is None:
                continue
            offsets[i] = len(buf) - items_start
            if item == _COMPACT:
                plan = self._plan_for(v)
                if first is None:
                    first = plan
                elif plan is not first:
                    raise TypeError("the items of an array of compact must all have the same type")
                plan._write(buf, v, depth + 1)
            else:
                self._write_item(buf, item, v, depth)
        data_length = len(buf) - items_start
        if data_length > _MAX_INT32:
            raise ValueError(f"an array of {data_length} bytes is too large")
        s[4].pack_into(buf, start, data_length)
        _append_offsets(buf, s, offsets, data_length)


def _append_offsets(buf: bytearray, s: Tuple[struct.Struct, ...], offsets: List[int], data_length: int) -> None:
    if data_length < BYTE_OFFSET_READER_RANGE:
        buf += bytes(o & 0xFF for o in offsets)
    elif data_length < SHORT_OFFSET_READER_RANGE:
        h = s[3]
        for o in offsets:
            buf += h.pack(o & 0xFFFF)
    else:
        i = s[4]
        for o in offsets:
            buf += i.pack(o)


def _kind_text(kind: int) -> str:
    cat, item = _LAYOUTS[kind]
    if cat == _CAT_BITS:
        return "array of boolean"
    if cat == _CAT_PACKED or cat == _CAT_ARRAY:
        return "array of " + ("nullable " if kind >= 33 else "") + _NAMES[item]
    return ("nullable " if kind >= 33 else "") + _NAMES[item]


def _attrgetter(*names: str) -> Any:
    import operator

    return operator.attrgetter(*names)


class ReadPlan:
    """Reads bodies of one schema into Python objects (the schema id is read by :func:`read_compact`).

    Args:
        fixed_length: length in bytes of the fixed section.
        var_count: number of variable-size fields.
        fields: one ``(name, kind, location, bit, flags, key)`` per field to read (see :class:`WritePlan`);
            ``flags`` combines :data:`FLAG_BYTES`, :data:`FLAG_NOT_NULL` and :data:`FLAG_NO_NULL_ITEMS`; ``key`` is
            the attribute or keyword name (ignored in :data:`READ_VALUES` mode).
        mode: :data:`READ_VALUES`, :data:`READ_SETATTR` or :data:`READ_KWARGS`.
        target: the class to build (setattr/kwargs modes), or in values mode ``None`` (return the list) or a callable
            that receives the list.
        defaults: ``(key, value, is_factory)`` for attributes the schema lacks (setattr and kwargs modes); a factory
            is called once per object.
        resolve: ``resolve(schema_id) -> ReadPlan`` for nested schema ids missing from ``plans``.
        plans: a dict ``schema_id -> ReadPlan`` consulted first for nested values (not copied).

    Raises:
        HazelcastSerializationError: an invalid layout.
    """

    __slots__ = ("fixed_length", "var_count", "mode", "target", "_fields", "_n", "_defaults", "_resolve", "_plans",
                 "_fixed", "_bits", "_var", "_new")

    def __init__(self, fixed_length: int, var_count: int, fields: Sequence[Any], mode: int = READ_VALUES,
                 target: Any = None, defaults: Sequence[Any] = (), resolve: Any = None,
                 plans: Optional[dict] = None) -> None:
        specs = _check_layout(fields, fixed_length, var_count)
        if not isinstance(mode, int) or mode not in (READ_VALUES, READ_SETATTR, READ_KWARGS):
            raise HazelcastSerializationError(f"unknown read mode {mode!r}")
        if mode != READ_VALUES:
            if target is None:
                raise HazelcastSerializationError("the setattr and kwargs modes need a target class")
            for spec in specs:
                if not isinstance(spec[5], str):
                    raise HazelcastSerializationError(f"field {spec[0]!r}: this mode needs a str key")
        checked_defaults = []
        for d in defaults:
            if len(d) != 3 or not isinstance(d[0], str):
                raise HazelcastSerializationError(f"a default needs (name, value, is_factory), got {d!r}")
            checked_defaults.append((d[0], d[1], bool(d[2])))
        self.fixed_length = fixed_length
        self.var_count = var_count
        self.mode = mode
        self.target = target
        self._fields = specs
        self._n = len(specs)
        self._defaults = checked_defaults
        self._resolve = resolve
        self._plans = {} if plans is None else plans
        self._fixed = [(i, _STRUCT_INDEX[s[1]], s[2]) for i, s in enumerate(specs) if s[6] == _CAT_FIXED]
        self._bits = [(i, s[2], 1 << s[3]) for i, s in enumerate(specs) if s[6] == _CAT_BIT]
        self._var = [(i, s) for i, s in enumerate(specs) if s[6] >= _CAT_SCALAR]
        self._new = None if mode != READ_SETATTR else target.__new__

    def read(self, reader: CompactStreamReader) -> Any:
        """Read one body at the reader's position; the position moves to the end of the object."""
        value, end = self._read(reader._buf, reader._s, reader._pos, len(reader._buf), 0)
        reader._pos = end
        return value

    # -- internals ----------------------------------------------------------------------------------------------

    def _read(self, buf: Any, s: Tuple[struct.Struct, ...], pos: int, limit: int, depth: int) -> Tuple[Any, int]:
        if depth > MAX_NESTING_DEPTH:
            raise HazelcastSerializationError(f"compact objects nested deeper than {MAX_NESTING_DEPTH} levels")
        fixed_length = self.fixed_length
        var_count = self.var_count
        if var_count == 0:
            if fixed_length > limit - pos:
                raise _truncated("a fixed section", pos)
            data_start = data_end = pos
            end = pos + fixed_length
            data_length = fixed_length
            table = osize = 0
        else:
            if 4 > limit - pos:
                raise _truncated("a data length", pos)
            data_length = s[4].unpack_from(buf, pos)[0]
            if data_length < fixed_length:
                raise HazelcastSerializationError(
                    f"malformed compact data: data length {data_length} at position {pos} is below the fixed "
                    f"section's {fixed_length} bytes")
            data_start = pos + 4
            if data_length > limit - data_start:
                raise _truncated(f"an object of {data_length} bytes", pos)
            table = data_end = data_start + data_length
            osize = offset_size(data_length)
            if var_count > (limit - table) // osize:
                raise _truncated("an offset table", table)
            end = table + var_count * osize
        values = [None] * self._n
        for i, si, loc in self._fixed:
            values[i] = s[si].unpack_from(buf, data_start + loc)[0]
        for i, loc, mask in self._bits:
            values[i] = (buf[data_start + loc] & mask) != 0
        for i, spec in self._var:
            off = _offset_at(buf, s, table, spec[2], osize)
            if off == -1:
                if spec[4] & FLAG_NOT_NULL:
                    raise _field_error(spec[0], "the value is None but the target field is not nullable")
                continue
            if off >= data_length:
                raise HazelcastSerializationError(
                    f"malformed compact data: field {spec[0]!r} has offset {off} outside the {data_length}-byte object")
            values[i] = self._read_var(buf, s, spec, data_start + off, data_end, depth)
        return self._build(values), end

    def _build(self, values: List[Any]) -> Any:
        mode = self.mode
        if mode == READ_VALUES:
            return values if self.target is None else self.target(values)
        fields = self._fields
        if mode == READ_SETATTR:
            obj = self._new(self.target)
            setattr_ = object.__setattr__
            for i in range(self._n):
                setattr_(obj, fields[i][5], values[i])
            for key, value, is_factory in self._defaults:
                setattr_(obj, key, value() if is_factory else value)
            return obj
        kwargs = {fields[i][5]: values[i] for i in range(self._n)}
        for key, value, is_factory in self._defaults:
            kwargs[key] = value() if is_factory else value
        return self.target(**kwargs)

    def _read_var(self, buf: Any, s: Tuple[struct.Struct, ...], spec: Tuple[Any, ...], pos: int, limit: int,
                  depth: int) -> Any:
        cat, item = spec[6], spec[7]
        if cat == _CAT_SCALAR:
            return self._read_item(buf, s, item, pos, limit, depth)[0]
        if cat == _CAT_PACKED:
            return _read_packed(buf, s, item, pos, limit, spec[4] & FLAG_BYTES)
        if cat == _CAT_BITS:
            return _read_bits(buf, s, pos, limit)
        if 8 > limit - pos:
            raise _truncated("an array header", pos)
        data_length, count = s[4].unpack_from(buf, pos)[0], s[4].unpack_from(buf, pos + 4)[0]
        if data_length < 0 or count < 0:
            raise HazelcastSerializationError(
                f"malformed compact data: negative array length {data_length} or count {count} at position {pos}")
        items_start = pos + 8
        if data_length > limit - items_start:
            raise _truncated(f"an array of {data_length} bytes", pos)
        table = items_start + data_length
        osize = offset_size(data_length)
        if count > (limit - table) // osize:
            raise _truncated("an array offset table", table)
        out = [None] * count
        no_nulls = spec[4] & FLAG_NO_NULL_ITEMS
        for i in range(count):
            off = _offset_at(buf, s, table, i, osize)
            if off == -1:
                if no_nulls:
                    raise _field_error(spec[0], f"item {i} is None but the target array is not nullable")
                continue
            if off >= data_length:
                raise HazelcastSerializationError(
                    f"malformed compact data: array item {i} has offset {off} outside the {data_length}-byte array")
            out[i] = self._read_item(buf, s, item, items_start + off, table, depth)[0]
        return out

    def _read_item(self, buf: Any, s: Tuple[struct.Struct, ...], item: int, pos: int, limit: int,
                   depth: int) -> Tuple[Any, int]:
        if item == _STRING:
            if 4 > limit - pos:
                raise _truncated("a string length", pos)
            n = s[4].unpack_from(buf, pos)[0]
            if n == -1:
                return None, pos + 4
            if n < 0 or n > limit - pos - 4:
                raise _truncated(f"a string of {n} bytes", pos)
            try:
                return str(buf[pos + 4:pos + 4 + n], "utf-8"), pos + 4 + n
            except UnicodeDecodeError as e:
                raise HazelcastSerializationError(f"invalid UTF-8 in a string at position {pos}: {e.reason}") from None
        if item == _COMPACT:
            if 8 > limit - pos:
                raise _truncated("a schema id", pos)
            plan = self._nested_plan(s[5].unpack_from(buf, pos)[0])
            return plan._read(buf, s, pos + 8, limit, depth + 1)
        size = _FIXED_SIZES.get(item)
        if size is not None:
            if size > limit - pos:
                raise _truncated(f"a {size}-byte value", pos)
            if item == _BOOLEAN:
                return buf[pos] != 0, pos + 1
            return s[_STRUCT_INDEX[item]].unpack_from(buf, pos)[0], pos + size
        if item == _DECIMAL:
            if 4 > limit - pos:
                raise _truncated("a decimal length", pos)
            n = s[4].unpack_from(buf, pos)[0]
            if n <= 0 or n > limit - pos - 8:
                raise _truncated(f"a decimal of {n} bytes", pos)
            unscaled = int.from_bytes(buf[pos + 4:pos + 4 + n], "big", signed=True)
            scale = s[4].unpack_from(buf, pos + 4 + n)[0]
            return _decimal.Decimal(unscaled).scaleb(-scale, _EXACT), pos + 8 + n
        if item == _TIME:
            if 7 > limit - pos:
                raise _truncated("a time", pos)
            return _make_time(s, buf, pos), pos + 7
        if item == _DATE:
            if 6 > limit - pos:
                raise _truncated("a date", pos)
            return _make_datetime(s, buf, pos, False, False), pos + 6
        if item == _TIMESTAMP:
            if 13 > limit - pos:
                raise _truncated("a timestamp", pos)
            return _make_datetime(s, buf, pos, True, False), pos + 13
        if 17 > limit - pos:
            raise _truncated("a timestamp with time zone", pos)
        return _make_datetime(s, buf, pos, True, True), pos + 17

    def _nested_plan(self, schema_id: int) -> "ReadPlan":
        plan = self._plans.get(schema_id)
        if plan is None:
            if self._resolve is None:
                raise HazelcastSerializationError(f"unknown compact schema id {schema_id}")
            plan = self._resolve(schema_id)
            if not isinstance(plan, ReadPlan):
                raise HazelcastSerializationError(f"the resolver returned {plan!r}, not a ReadPlan")
        return plan


def _offset_at(buf: Any, s: Tuple[struct.Struct, ...], table: int, index: int, osize: int) -> int:
    if osize == 1:
        v = buf[table + index]
        return -1 if v == 0xFF else v
    if osize == 2:
        v = s[3].unpack_from(buf, table + 2 * index)[0]
        return -1 if v == 0xFFFF else v
    v = s[4].unpack_from(buf, table + 4 * index)[0]
    if v < -1:
        raise HazelcastSerializationError(f"malformed compact data: invalid offset {v}")
    return v


def _read_packed(buf: Any, s: Tuple[struct.Struct, ...], item: int, pos: int, limit: int, as_bytes: int) -> Any:
    if 4 > limit - pos:
        raise _truncated("an array count", pos)
    n = s[4].unpack_from(buf, pos)[0]
    if n == -1:
        return None
    size = _FIXED_SIZES[item]
    if n < 0 or n > (limit - pos - 4) // size:
        raise _truncated(f"an array of {n} items", pos)
    start = pos + 4
    if as_bytes and item == _INT8:
        return bytes(buf[start:start + n])
    fmt = s[_STRUCT_INDEX[item]].format
    return list(struct.unpack_from(fmt[0] + str(n) + fmt[1:], buf, start))


def _read_bits(buf: Any, s: Tuple[struct.Struct, ...], pos: int, limit: int) -> Optional[List[bool]]:
    if 4 > limit - pos:
        raise _truncated("an array count", pos)
    n = s[4].unpack_from(buf, pos)[0]
    if n == -1:
        return None
    if n < 0 or (n >> 3) + (1 if n & 7 else 0) > limit - pos - 4:
        raise _truncated(f"an array of {n} booleans", pos)
    start = pos + 4
    return [(buf[start + (i >> 3)] >> (i & 7)) & 1 == 1 for i in range(n)]


def _make_time(s: Tuple[struct.Struct, ...], buf: Any, pos: int) -> _dt.time:
    hour, minute, second = s[0].unpack_from(buf, pos)[0], s[0].unpack_from(buf, pos + 1)[0], s[0].unpack_from(
        buf, pos + 2)[0]
    nanos = s[4].unpack_from(buf, pos + 3)[0]
    if nanos < 0 or nanos > 999_999_999:
        raise HazelcastSerializationError(f"malformed compact data: {nanos} nanoseconds at position {pos}")
    try:
        return _dt.time(hour, minute, second, nanos // 1000)
    except ValueError as e:
        raise HazelcastSerializationError(f"malformed compact data: invalid time at position {pos}: {e}") from None


def _make_datetime(s: Tuple[struct.Struct, ...], buf: Any, pos: int, with_time: bool, with_zone: bool) -> Any:
    year = s[4].unpack_from(buf, pos)[0]
    month, day = s[0].unpack_from(buf, pos + 4)[0], s[0].unpack_from(buf, pos + 5)[0]
    try:
        if not with_time:
            return _dt.date(year, month, day)
        t = _make_time(s, buf, pos + 6)
        tz = None
        if with_zone:
            seconds = s[4].unpack_from(buf, pos + 13)[0]
            if seconds < -_MAX_TZ_OFFSET or seconds > _MAX_TZ_OFFSET:
                raise ValueError(f"UTC offset of {seconds} seconds is outside -18:00..+18:00")
            tz = _timezone(seconds)
        return _dt.datetime(year, month, day, t.hour, t.minute, t.second, t.microsecond, tz)
    except (ValueError, OverflowError) as e:
        raise HazelcastSerializationError(f"malformed compact data: invalid date at position {pos}: {e}") from None


def read_compact(reader: CompactStreamReader, plans: dict, resolve: Any) -> Any:
    """Read a compact value (``int64 schemaId`` then the body) at the reader's position.

    The plan comes from ``plans[schema_id]`` or else ``resolve(schema_id)`` (which raises for unknown ids). The
    position moves to the end of the object.
    """
    pos = reader._pos
    buf = reader._buf
    if 8 > len(buf) - pos:
        raise _truncated("a schema id", pos)
    schema_id = reader._s[5].unpack_from(buf, pos)[0]
    plan = plans.get(schema_id)
    if plan is None:
        plan = resolve(schema_id)
        if not isinstance(plan, ReadPlan):
            raise HazelcastSerializationError(f"the resolver returned {plan!r}, not a ReadPlan")
    value, end = plan._read(buf, reader._s, pos + 8, len(buf), 0)
    reader._pos = end
    return value


def decode_compact_data(buffer: Buffer, plans: dict, resolve: Any, big_endian: bool = True) -> Any:
    """Decode a whole compact Data (header, schema id, body) with :func:`read_compact`."""
    reader = CompactStreamReader(buffer, big_endian)
    buf = reader._buf
    if len(buf) < 8 or _I32_BE.unpack_from(buf, 4)[0] != COMPACT_TYPE_ID:
        raise HazelcastSerializationError("not a compact Data (type id -55)")
    reader._pos = 8
    return read_compact(reader, plans, resolve)
