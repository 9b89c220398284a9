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
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

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
# encoding or decoding of whole objects, so no per-field method dispatch happens on the hot path. The body layout
# (protocol.md §6.3):
#
#   [int32 dataLength]                  only when the schema has variable-size fields
#   fixed section                       fixed-size fields at their schema positions, booleans as bits
#   variable section                    the values of the variable-size fields, in write order
#   [offset table]                      one entry per variable-size field (1, 2 or 4 bytes by dataLength; null = -1)
#
# A compact *value* (top level, nested field, array item) is ``int64 schemaId`` followed by the body.
#
# Behaviour shared with the compiled twin (tested by the differential tests):
# * writing: ``TypeError``, ``ValueError``, ``OverflowError``, ``AttributeError`` and ``UnicodeError`` raised while
#   writing (bad values, missing attributes, errors of the resolver or ``extract``) become
#   ``HazelcastSerializationError`` at the entry points (``write``, ``to_data``, ``DataCodec.to_data``);
# * reading: every malformed input raises ``HazelcastSerializationError`` (``UnicodeDecodeError`` is converted at
#   the entry points); reads are bounded by the enclosing object or array, and nesting by ``MAX_NESTING_DEPTH``;
# * objects in setattr mode get their attributes through a fresh ``__dict__`` when the class allows it (no slots,
#   no data descriptors), in field order then defaults; otherwise through ``object.__setattr__``.
# ==================================================================================================================

import datetime as _dt
import decimal as _decimal
import operator as _operator

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
"""Read mode: ``target.__new__(target)``, then the attributes are set (``__init__`` is not called)."""
READ_KWARGS = 2
"""Read mode: ``target(**fields)``."""

COMPACT_TYPE_ID = -55

_MAX_INT32 = 0x7FFFFFFF
_MAX_TZ_OFFSET = 18 * 3600  # java.time.ZoneOffset range

# field kind ids (hazelcast.serialization.api.FieldKind)
_BOOLEAN, _ARRAY_OF_BOOLEAN, _INT8, _ARRAY_OF_INT8 = 1, 2, 3, 4
_INT16, _INT32, _INT64, _FLOAT32, _FLOAT64 = 7, 9, 11, 13, 15
_STRING, _DECIMAL, _TIME, _DATE, _TIMESTAMP, _TSTZ, _COMPACT = 17, 19, 21, 23, 25, 27, 29

# layout categories
_CAT_FIXED = 0  # int8..float64 in the fixed section
_CAT_BIT = 1  # boolean, one bit in the fixed section
_CAT_SCALAR = 2  # one variable-size value (string, decimal, temporal, compact, NULLABLE_X)
_CAT_BITS = 3  # ARRAY_OF_BOOLEAN: count + bit-packed items
_CAT_PACKED = 4  # ARRAY_OF_INT8..FLOAT64: count + packed items
_CAT_ARRAY = 5  # arrays of variable-size or nullable items: dataLength, count, items, item offset table


def _build_layouts() -> dict:
    out = {_BOOLEAN: (_CAT_BIT, _BOOLEAN), _ARRAY_OF_BOOLEAN: (_CAT_BITS, _BOOLEAN)}
    for base in (_INT8, _INT16, _INT32, _INT64, _FLOAT32, _FLOAT64):
        out[base] = (_CAT_FIXED, base)
        out[base + 1] = (_CAT_PACKED, base)
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
_FORMAT_CHARS = {_INT8: "b", _INT16: "h", _INT32: "i", _INT64: "q", _FLOAT32: "f", _FLOAT64: "d"}
_NAMES = {_INT8: "int8", _INT16: "int16", _INT32: "int32", _INT64: "int64", _FLOAT32: "float32", _FLOAT64: "float64",
          _BOOLEAN: "boolean", _STRING: "string", _DECIMAL: "decimal", _TIME: "time", _DATE: "date",
          _TIMESTAMP: "timestamp", _TSTZ: "timestamp with time zone", _COMPACT: "compact"}
_HEADER = b"\x00\x00\x00\x00\xff\xff\xff\xc9"  # partition hash 0, type id -55, both big-endian
_EXACT = _decimal.Context(prec=_decimal.MAX_PREC, Emax=_decimal.MAX_EMAX, Emin=_decimal.MIN_EMIN)
_TZ_CACHE: dict = {}
_WRAPPED = (TypeError, ValueError, OverflowError, AttributeError, UnicodeError, struct.error)
_SEQUENCE_TYPES = (list, tuple)
_BUFFER_TYPES = (bytes, bytearray, memoryview)
_object_new = object.__new__
_object_setattr = object.__setattr__


def _field_error(name: Any, message: str) -> HazelcastSerializationError:
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


def _can_fill_dict(target: Any, keys: Iterable[str]) -> bool:
    """Whether objects of ``target`` can get their attributes through ``__dict__`` (no slots or descriptors)."""
    if not isinstance(target, type) or getattr(target, "__dictoffset__", 0) == 0:
        return False
    for key in keys:
        for klass in target.__mro__:
            if key in klass.__dict__:
                descriptor = type(klass.__dict__[key])
                if hasattr(descriptor, "__set__") or hasattr(descriptor, "__delete__"):
                    return False
                break
    return True


def _fixed_struct(specs: List[Tuple[Any, ...]], indices: List[int], big_endian: bool) -> Optional[struct.Struct]:
    """One struct for the fixed fields at ``indices`` in position order, or None if fields overlap."""
    fields = sorted((specs[i][2], i) for i in indices)
    fmt = [">" if big_endian else "<"]
    pos = 0
    for loc, i in fields:
        if loc < pos:
            return None
        fmt.append("x" * (loc - pos) + _FORMAT_CHARS[specs[i][1]])
        pos = loc + _FIXED_SIZES[specs[i][1]]
    return struct.Struct("".join(fmt))


# -- item and field encoders, one table per byte order -------------------------------------------------------------


def _decimal_parts(value: Any) -> Tuple[bytes, int]:
    if not isinstance(value, _decimal.Decimal):
        raise TypeError(f"expected a decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    exponent = value.as_tuple().exponent
    unscaled = int(value.scaleb(-exponent, _EXACT))  # type: ignore[operator]
    scale = -exponent  # type: ignore[operator]
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


def _timezone(seconds: int) -> _dt.timezone:
    tz = _TZ_CACHE.get(seconds)
    if tz is None:
        tz = _dt.timezone(_dt.timedelta(seconds=seconds)) if seconds else _dt.timezone.utc
        _TZ_CACHE[seconds] = tz
    return tz


def _encoders(big_endian: bool) -> Dict[int, Callable[..., None]]:
    """Field encoders by kind: ``encode(plan, buf, value, depth)`` appends the value to ``buf``."""
    s = _BE if big_endian else _LE
    pack_i32 = s[4].pack
    prefix = ">" if big_endian else "<"

    def enc_string(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
        if not isinstance(value, str):
            raise TypeError(f"expected a str, got {type(value).__name__}")
        data = value.encode("utf-8")
        buf += pack_i32(len(data))
        buf += data

    def enc_compact(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
        plan._plan_for(value)._write(buf, value, depth + 1)

    def enc_bool(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
        buf.append(1 if value else 0)

    def fixed(index: int) -> Callable[..., None]:
        pack = s[index].pack

        def enc_fixed(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
            buf += pack(value)

        return enc_fixed

    def enc_decimal(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
        data, scale = _decimal_parts(value)
        buf += pack_i32(len(data))
        buf += data
        buf += pack_i32(scale)

    def enc_time(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
        if not isinstance(value, _dt.time):
            raise TypeError(f"expected a datetime.time, got {type(value).__name__}")
        if value.tzinfo is not None:
            raise ValueError("a compact time has no time zone")
        buf += bytes((value.hour, value.minute, value.second))
        buf += pack_i32(value.microsecond * 1000)

    def enc_date(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
        if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
            raise TypeError(f"expected a datetime.date, got {type(value).__name__}")
        buf += pack_i32(value.year)
        buf += bytes((value.month, value.day))

    def timestamp(aware: bool) -> Callable[..., None]:
        def enc_timestamp(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
            if not isinstance(value, _dt.datetime):
                raise TypeError(f"expected a datetime.datetime, got {type(value).__name__}")
            if aware:
                offset = _tz_offset_seconds(value)
            elif value.tzinfo is not None:
                raise ValueError("a timestamp needs a naive datetime (use TIMESTAMP_WITH_TIMEZONE for aware ones)")
            buf += pack_i32(value.year)
            buf += bytes((value.month, value.day, value.hour, value.minute, value.second))
            buf += pack_i32(value.microsecond * 1000)
            if aware:
                buf += pack_i32(offset)

        return enc_timestamp

    items = {_STRING: enc_string, _COMPACT: enc_compact, _BOOLEAN: enc_bool, _DECIMAL: enc_decimal,
             _TIME: enc_time, _DATE: enc_date, _TIMESTAMP: timestamp(False), _TSTZ: timestamp(True)}
    for item, index in _STRUCT_INDEX.items():
        items[item] = fixed(index)

    def packed(item: int) -> Callable[..., None]:
        char = _FORMAT_CHARS[item]

        def enc_packed(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
            if item == _INT8 and isinstance(value, _BUFFER_TYPES):
                data = memoryview(value).cast("B")
                buf += pack_i32(len(data))
                buf += data
                return
            if not isinstance(value, _SEQUENCE_TYPES):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            n = len(value)
            data = struct.pack(f"{prefix}{n}{char}", *value)
            buf += pack_i32(n)
            buf += data

        return enc_packed

    def enc_bits(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
        if not isinstance(value, _SEQUENCE_TYPES):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        n = len(value)
        out = bytearray((n + 7) >> 3)
        for i, v in enumerate(value):
            if v is None:
                raise TypeError("None is not a boolean")
            if v:
                out[i >> 3] |= 1 << (i & 7)
        buf += pack_i32(n)
        buf += out

    def array(item: int) -> Callable[..., None]:
        encode_item = items[item]
        compact = item == _COMPACT

        def enc_array(plan: "WritePlan", buf: bytearray, value: Any, depth: int) -> None:
            if not isinstance(value, _SEQUENCE_TYPES):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            start = len(buf)
            buf += pack_i32(0)
            buf += pack_i32(len(value))
            items_start = len(buf)
            offsets = [-1] * len(value)
            first = None
            for i, v in enumerate(value):
                if v is None:
                    continue
                offsets[i] = len(buf) - items_start
                if compact:
                    nested = plan._plan_for(v)
                    if first is None:
                        first = nested
                    elif nested is not first:
                        raise TypeError("the items of an array of compact must all have the same type")
                    nested._write(buf, v, depth + 1)
                else:
                    encode_item(plan, buf, v, depth)
            data_length = len(buf) - items_start
            if data_length > _MAX_INT32:  # pragma: no cover - needs a 2 GiB array
                raise ValueError(f"an array of {data_length} bytes is too large")  # pragma: no cover
            s[4].pack_into(buf, start, data_length)
            _append_offsets(buf, s, offsets, data_length)

        return enc_array

    fields: Dict[int, Callable[..., None]] = {}
    for kind, (cat, item) in _LAYOUTS.items():
        if cat == _CAT_SCALAR:
            fields[kind] = items[item]
        elif cat == _CAT_PACKED:
            fields[kind] = packed(item)
        elif cat == _CAT_BITS:
            fields[kind] = enc_bits
        elif cat == _CAT_ARRAY:
            fields[kind] = array(item)
    return fields


def _append_offsets(buf: bytearray, s: Tuple[struct.Struct, ...], offsets: List[int], data_length: int) -> None:
    if data_length < BYTE_OFFSET_READER_RANGE:
        buf += bytes([o & 0xFF for o in offsets])
    elif data_length < SHORT_OFFSET_READER_RANGE:
        pack = s[3].pack
        for o in offsets:
            buf += pack(o & 0xFFFF)
    else:
        pack = s[4].pack
        for o in offsets:
            buf += pack(o)


_ENCODERS = {True: _encoders(True), False: _encoders(False)}


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
                 "_getter", "_fixed", "_fixed_struct", "_fixed_get", "_bits", "_var", "_s", "_be", "_sid", "_nested")

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
        encoders = _ENCODERS[self._be]
        self._var = {i: (spec[2], encoders[spec[1]]) for i, spec in enumerate(specs) if spec[6] >= _CAT_SCALAR}
        self._order = self._check_order(range(self._n) if order is None else order)
        if extract is None:
            for spec in specs:
                if not isinstance(spec[5], str):
                    raise HazelcastSerializationError(f"field {spec[0]!r}: attribute mode needs a str key")
            keys = [spec[5] for spec in specs]
            if len(keys) > 1:
                self._getter = _operator.attrgetter(*keys)
            elif keys:
                single = _operator.attrgetter(keys[0])
                self._getter = lambda obj: (single(obj),)
            else:
                self._getter = lambda obj: ()
        else:
            self._getter = None
        fixed = [i for i, spec in enumerate(specs) if spec[6] == _CAT_FIXED]
        self._fixed = [(i, self._s[_STRUCT_INDEX[specs[i][1]]], specs[i][2]) for i in fixed]
        self._fixed_struct = _fixed_struct(specs, fixed, self._be) if fixed else None
        ordered = [i for _, i in sorted((specs[i][2], i) for i in fixed)]
        if len(ordered) > 1:
            self._fixed_get = _operator.itemgetter(*ordered)
        elif ordered:
            single_item = _operator.itemgetter(ordered[0])
            self._fixed_get = lambda values: (single_item(values),)
        else:
            self._fixed_get = None
        self._bits = [(i, spec[2], 1 << spec[3]) for i, spec in enumerate(specs) if spec[6] == _CAT_BIT]

    def _check_order(self, order: Iterable[int]) -> List[Tuple[int, int, Callable[..., None]]]:
        out = []
        for i in order:
            if not isinstance(i, int) or i < 0 or i >= self._n:
                raise HazelcastSerializationError(f"write order entry {i!r} is not a field position")
            var = self._var.get(i)
            if var is not None:
                out.append((i, var[0], var[1]))
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
        except _WRAPPED as e:
            del buf[start:]
            raise HazelcastSerializationError(f"cannot write {type(obj).__name__}: {e}") from None
        except BaseException:
            del buf[start:]
            raise

    def to_data(self, obj: Any) -> bytes:
        """The whole Data of ``obj``: header (partition hash 0, type id -55), schema id and body."""
        buf = bytearray(_HEADER)
        try:
            self._write(buf, obj, 0)
        except _WRAPPED as e:
            raise HazelcastSerializationError(f"cannot write {type(obj).__name__}: {e}") from None
        return bytes(buf)

    # -- internals ----------------------------------------------------------------------------------------------

    def _write(self, buf: bytearray, obj: Any, depth: int) -> None:
        if depth > MAX_NESTING_DEPTH:
            raise HazelcastSerializationError(
                f"compact objects nested deeper than {MAX_NESTING_DEPTH} levels (a cyclic object graph?)")
        if self._extract is None:
            values = self._getter(obj)
            order = self._order
        else:
            result = self._extract(obj)
            if not isinstance(result, tuple) or len(result) != 2:
                raise HazelcastSerializationError("extract() must return (values, order)")
            values, order_obj = result
            if not isinstance(values, _SEQUENCE_TYPES) or len(values) != self._n:
                raise HazelcastSerializationError(f"extract() must return {self._n} values")
            order = self._order if order_obj is None else self._check_order(order_obj)
        buf += self._sid
        start = len(buf)
        if self.var_count:
            buf += bytes(4 + self.fixed_length)
            data_start = start + 4
        else:
            buf += bytes(self.fixed_length)
            data_start = start
        if self._fixed_struct is not None:
            try:
                self._fixed_struct.pack_into(buf, data_start, *self._fixed_get(values))
            except _WRAPPED:
                self._fixed_error(values)
                raise  # pragma: no cover - _fixed_error raises for the value that made the struct fail
        elif self._fixed:
            self._fixed_error(values, buf, data_start)
        for i, loc, mask in self._bits:
            value = values[i]
            if value is None:
                raise _field_error(self._fields[i][0], "None is not allowed for a non-nullable field")
            if value:
                buf[data_start + loc] |= mask
        if not self.var_count:
            return
        offsets = [-1] * self.var_count
        for i, loc, encode in order:
            value = values[i]
            if value is None:
                continue
            offsets[loc] = len(buf) - data_start
            encode(self, buf, value, depth)
        data_length = len(buf) - data_start
        if data_length > _MAX_INT32:  # pragma: no cover - needs a 2 GiB object
            raise HazelcastSerializationError(f"a {data_length}-byte compact object is too large")  # pragma: no cover
        self._s[4].pack_into(buf, start, data_length)
        _append_offsets(buf, self._s, offsets, data_length)

    def _fixed_error(self, values: Sequence[Any], buf: Optional[bytearray] = None, data_start: int = 0) -> None:
        """Write the fixed fields one by one (overlapping layouts), raising for the first bad value."""
        for i, s, loc in self._fixed:
            value = values[i]
            name = self._fields[i][0]
            if value is None:
                raise _field_error(name, "None is not allowed for a non-nullable field")
            try:
                data = s.pack(value)
            except _WRAPPED:
                raise _field_error(name, f"cannot write {value!r} as {_NAMES[self._fields[i][1]]}") from None
            if buf is not None:
                buf[data_start + loc:data_start + loc + len(data)] = data

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


# -- item and field decoders ---------------------------------------------------------------------------------------


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


def _make_time(s: Tuple[struct.Struct, ...], buf: Any, pos: int) -> _dt.time:
    hour, minute, second = _TIME_HEAD.unpack_from(buf, pos)
    nanos = s[4].unpack_from(buf, pos + 3)[0]
    if nanos < 0 or nanos > 999_999_999:
        raise HazelcastSerializationError(f"malformed compact data: {nanos} nanoseconds at position {pos}")
    try:
        return _dt.time(hour, minute, second, nanos // 1000)
    except ValueError as e:
        raise HazelcastSerializationError(f"malformed compact data: invalid time at position {pos}: {e}") from None


_TIME_HEAD = struct.Struct("bbb")
_DATE_TAIL = struct.Struct("bb")


def _make_datetime(s: Tuple[struct.Struct, ...], buf: Any, pos: int, with_time: bool, with_zone: bool) -> Any:
    year = s[4].unpack_from(buf, pos)[0]
    month, day = _DATE_TAIL.unpack_from(buf, pos + 4)
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


def _decoders(big_endian: bool) -> Dict[int, Callable[..., Any]]:
    """Field decoders by kind: ``decode(plan, buf, pos, limit, depth, flags, name) -> value``."""
    s = _BE if big_endian else _LE
    unpack_i32 = s[4].unpack_from
    prefix = ">" if big_endian else "<"

    def dec_string(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
        if 4 > limit - pos:
            raise _truncated("a string length", pos)
        n = unpack_i32(buf, pos)[0]
        if n == -1:
            return None
        if n < 0 or n > limit - pos - 4:
            raise _truncated(f"a string of {n} bytes", pos)
        return str(buf[pos + 4:pos + 4 + n], "utf-8")  # UnicodeDecodeError: converted by the entry points

    def dec_compact(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
        if 8 > limit - pos:
            raise _truncated("a schema id", pos)
        return plan._nested_plan(s[5].unpack_from(buf, pos)[0])._read(buf, s, pos + 8, limit, depth + 1)[0]

    def dec_bool(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
        if 1 > limit - pos:  # pragma: no cover - an offset inside the object always leaves a byte
            raise _truncated("a 1-byte value", pos)
        return buf[pos] != 0

    def fixed(item: int) -> Callable[..., Any]:
        size = _FIXED_SIZES[item]
        unpack = s[_STRUCT_INDEX[item]].unpack_from

        def dec_fixed(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
            if size > limit - pos:
                raise _truncated(f"a {size}-byte value", pos)
            return unpack(buf, pos)[0]

        return dec_fixed

    def dec_decimal(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
        if 4 > limit - pos:
            raise _truncated("a decimal length", pos)
        n = unpack_i32(buf, pos)[0]
        if n <= 0 or n > limit - pos - 8:
            raise _truncated(f"a decimal of {n} bytes", pos)
        unscaled = int.from_bytes(buf[pos + 4:pos + 4 + n], "big", signed=True)
        scale = unpack_i32(buf, pos + 4 + n)[0]
        return _decimal.Decimal(unscaled).scaleb(-scale, _EXACT)

    def dec_time(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
        if 7 > limit - pos:
            raise _truncated("a time", pos)
        return _make_time(s, buf, pos)

    def dec_date(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
        if 6 > limit - pos:
            raise _truncated("a date", pos)
        return _make_datetime(s, buf, pos, False, False)

    def dec_timestamp(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
        if 13 > limit - pos:
            raise _truncated("a timestamp", pos)
        return _make_datetime(s, buf, pos, True, False)

    def dec_tstz(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int = 0,
                 name: Any = None) -> Any:
        if 17 > limit - pos:
            raise _truncated("a timestamp with time zone", pos)
        return _make_datetime(s, buf, pos, True, True)

    items = {_STRING: dec_string, _COMPACT: dec_compact, _BOOLEAN: dec_bool, _DECIMAL: dec_decimal, _TIME: dec_time,
             _DATE: dec_date, _TIMESTAMP: dec_timestamp, _TSTZ: dec_tstz}
    for item in _STRUCT_INDEX:
        items[item] = fixed(item)

    def packed(item: int) -> Callable[..., Any]:
        size = _FIXED_SIZES[item]
        char = _FORMAT_CHARS[item]

        def dec_packed(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int, name: Any) -> Any:
            if 4 > limit - pos:
                raise _truncated("an array count", pos)
            n = unpack_i32(buf, pos)[0]
            if n == -1:
                return None
            if n < 0 or n > (limit - pos - 4) // size:
                raise _truncated(f"an array of {n} items", pos)
            if flags & FLAG_BYTES and item == _INT8:
                return bytes(buf[pos + 4:pos + 4 + n])
            return list(struct.unpack_from(f"{prefix}{n}{char}", buf, pos + 4))

        return dec_packed

    def dec_bits(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int, name: Any) -> Any:
        if 4 > limit - pos:
            raise _truncated("an array count", pos)
        n = unpack_i32(buf, pos)[0]
        if n == -1:
            return None
        if n < 0 or (n >> 3) + (1 if n & 7 else 0) > limit - pos - 4:
            raise _truncated(f"an array of {n} booleans", pos)
        start = pos + 4
        return [(buf[start + (i >> 3)] >> (i & 7)) & 1 == 1 for i in range(n)]

    def array(item: int) -> Callable[..., Any]:
        decode_item = items[item]

        def dec_array(plan: "ReadPlan", buf: Any, pos: int, limit: int, depth: int, flags: int, name: Any) -> Any:
            if 8 > limit - pos:
                raise _truncated("an array header", pos)
            data_length, count = unpack_i32(buf, pos)[0], unpack_i32(buf, pos + 4)[0]
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
            no_nulls = flags & FLAG_NO_NULL_ITEMS
            offsets = _offset_table(count, osize, big_endian).unpack_from(buf, table)
            null = _NULL_OFFSETS[osize]
            for i in range(count):
                off = offsets[i]
                if off == null:
                    if no_nulls:
                        raise _field_error(name, f"item {i} is None but the target array is not nullable")
                    continue
                if off < 0:
                    raise HazelcastSerializationError(f"malformed compact data: invalid offset {off}")
                if off >= data_length:
                    raise HazelcastSerializationError(
                        f"malformed compact data: array item {i} has offset {off} outside the {data_length}-byte array")
                out[i] = decode_item(plan, buf, items_start + off, table, depth)
            return out

        return dec_array

    fields: Dict[int, Callable[..., Any]] = {}
    for kind, (cat, item) in _LAYOUTS.items():
        if cat == _CAT_SCALAR:
            fields[kind] = items[item]  # (item decoders take the field arguments too)
        elif cat == _CAT_PACKED:
            fields[kind] = packed(item)
        elif cat == _CAT_BITS:
            fields[kind] = dec_bits
        elif cat == _CAT_ARRAY:
            fields[kind] = array(item)
    return fields


_OFFSET_CHARS = {1: "B", 2: "H", 4: "i"}
_NULL_OFFSETS = {1: 0xFF, 2: 0xFFFF, 4: -1}
_OFFSET_TABLES: Dict[Tuple[int, int, bool], struct.Struct] = {}


def _offset_table(count: int, osize: int, big_endian: bool) -> struct.Struct:
    """The struct of an offset table of ``count`` entries of ``osize`` bytes (cached for small counts)."""
    key = (count, osize, big_endian)
    table = _OFFSET_TABLES.get(key)
    if table is None:
        table = struct.Struct((">" if big_endian else "<") + str(count) + _OFFSET_CHARS[osize])
        if count <= 64:
            _OFFSET_TABLES[key] = table
    return table


_DECODERS = {True: _decoders(True), False: _decoders(False)}


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

    __slots__ = ("fixed_length", "var_count", "mode", "target", "_fields", "_n", "_keys", "_defaults", "_resolve",
                 "_plans", "_fixed", "_fixed_struct", "_fixed_slots", "_bits", "_var", "_fill_dict", "_tables")

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
        self._keys = [spec[5] for spec in specs]
        self._defaults = checked_defaults
        self._resolve = resolve
        self._plans = {} if plans is None else plans
        fixed = [i for i, spec in enumerate(specs) if spec[6] == _CAT_FIXED]
        self._fixed = [(i, _STRUCT_INDEX[specs[i][1]], specs[i][2]) for i in fixed]
        # one unpack of the fixed section when the fields do not overlap (else field by field)
        be_struct = _fixed_struct(specs, fixed, True) if fixed else None
        self._fixed_struct = None if be_struct is None else {True: be_struct,
                                                              False: _fixed_struct(specs, fixed, False)}
        ordered = [i for _, i in sorted((specs[i][2], i) for i in fixed)]
        self._fixed_slots = [(i, j) for j, i in enumerate(ordered)]
        self._bits = [(i, spec[2], 1 << spec[3]) for i, spec in enumerate(specs) if spec[6] == _CAT_BIT]
        self._var = [(i, spec[2], spec[4], spec[0], spec[1]) for i, spec in enumerate(specs) if spec[6] >= _CAT_SCALAR]
        self._fill_dict = mode == READ_SETATTR and _can_fill_dict(target, self._keys + [d[0] for d in checked_defaults])
        self._tables: dict = {}

    def read(self, reader: CompactStreamReader) -> Any:
        """Read one body at the reader's position; the position moves to the end of the object."""
        try:
            value, end = self._read(reader._buf, reader._s, reader._pos, len(reader._buf), 0)
        except UnicodeDecodeError as e:
            raise HazelcastSerializationError(f"malformed compact data: invalid UTF-8: {e.reason}") from None
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
        if self._fixed_struct is not None:
            unpacked = self._fixed_struct[s is _BE].unpack_from(buf, data_start)
            for i, j in self._fixed_slots:
                values[i] = unpacked[j]
        else:
            for i, si, loc in self._fixed:
                values[i] = s[si].unpack_from(buf, data_start + loc)[0]
        for i, loc, mask in self._bits:
            values[i] = (buf[data_start + loc] & mask) != 0
        if self._var:
            offsets = self._table(osize, s is _BE).unpack_from(buf, table)
            decoders = _DECODERS[s is _BE]
            for i, loc, flags, name, kind in self._var:
                off = offsets[loc]
                if off == -1 or (osize == 1 and off == 0xFF) or (osize == 2 and off == 0xFFFF):
                    if flags & FLAG_NOT_NULL:
                        raise _field_error(name, "the value is None but the target field is not nullable")
                    continue
                if off < 0:
                    raise HazelcastSerializationError(f"malformed compact data: invalid offset {off}")
                if off >= data_length:
                    raise HazelcastSerializationError(
                        f"malformed compact data: field {name!r} has offset {off} outside the {data_length}-byte "
                        "object")
                values[i] = decoders[kind](self, buf, data_start + off, data_end, depth, flags, name)
        return self._build(values), end

    def _table(self, osize: int, big_endian: bool) -> struct.Struct:
        key = (osize, big_endian)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = struct.Struct(
                (">" if big_endian else "<") + str(self.var_count) + _OFFSET_CHARS[osize])
        return table

    def _build(self, values: List[Any]) -> Any:
        mode = self.mode
        if mode == READ_VALUES:
            return values if self.target is None else self.target(values)
        if mode == READ_SETATTR:
            if self._fill_dict:
                d = dict(zip(self._keys, values))
                for key, value, is_factory in self._defaults:
                    d[key] = value() if is_factory else value
                obj = self.target.__new__(self.target)
                _object_setattr(obj, "__dict__", d)
                return obj
            obj = self.target.__new__(self.target)
            for key, value in zip(self._keys, values):
                _object_setattr(obj, key, value)
            for key, value, is_factory in self._defaults:
                _object_setattr(obj, key, value() if is_factory else value)
            return obj
        kwargs = dict(zip(self._keys, values))
        for key, value, is_factory in self._defaults:
            kwargs[key] = value() if is_factory else value
        return self.target(**kwargs)

    def _nested_plan(self, schema_id: int) -> "ReadPlan":
        plan = self._plans.get(schema_id)
        if plan is None:
            if self._resolve is None:
                raise HazelcastSerializationError(f"unknown compact schema id {schema_id}")
            plan = self._resolve(schema_id)
            if not isinstance(plan, ReadPlan):
                raise HazelcastSerializationError(f"the resolver returned {plan!r}, not a ReadPlan")
        return plan


def _read_value(buf: Any, s: Tuple[struct.Struct, ...], pos: int, plans: dict, resolve: Any) -> Tuple[Any, int]:
    if 8 > len(buf) - pos:
        raise _truncated("a schema id", pos)
    schema_id = s[5].unpack_from(buf, pos)[0]
    plan = plans.get(schema_id)
    if plan is None:
        plan = resolve(schema_id)
        if not isinstance(plan, ReadPlan):
            raise HazelcastSerializationError(f"the resolver returned {plan!r}, not a ReadPlan")
    try:
        return plan._read(buf, s, pos + 8, len(buf), 0)
    except UnicodeDecodeError as e:
        raise HazelcastSerializationError(f"malformed compact data: invalid UTF-8: {e.reason}") from None


def read_compact(reader: CompactStreamReader, plans: dict, resolve: Any) -> Any:
    """Read a compact value (``int64 schemaId`` then the body) at the reader's position.

    The plan comes from ``plans[schema_id]`` or else ``resolve(schema_id)`` (which raises for unknown ids). The
    position moves to the end of the object.
    """
    value, end = _read_value(reader._buf, reader._s, reader._pos, plans, resolve)
    reader._pos = end
    return value


def decode_compact_data(buffer: Buffer, plans: dict, resolve: Any, big_endian: bool = True) -> Any:
    """Decode a whole compact Data (header, schema id, body) with :func:`read_compact`."""
    buf = CompactStreamReader(buffer, big_endian)._buf
    if len(buf) < 8 or _I32_BE.unpack_from(buf, 4)[0] != COMPACT_TYPE_ID:
        raise HazelcastSerializationError("not a compact Data (type id -55)")
    return _read_value(buf, _BE if big_endian else _LE, 8, plans, resolve)[0]


# -- the Data fast path ------------------------------------------------------------------------------------------


_STRING_HEADER = b"\x00\x00\x00\x00\xff\xff\xff\xf5"  # partition hash 0, type id -11 (STRING)
_INTEGER_HEADER = b"\x00\x00\x00\x00\xff\xff\xff\xf9"  # partition hash 0, type id -7 (INTEGER)
_STRING_TYPE = _STRING_HEADER[4:]
_INTEGER_TYPE = _INTEGER_HEADER[4:]
_COMPACT_TYPE = b"\xff\xff\xff\xc9"  # -55
_I32_BE = struct.Struct(">i")


def _data_codec_encode(plan: "WritePlan", obj: Any) -> bytes:
    """The Data bytes of ``obj`` by ``plan``; every failure as HazelcastSerializationError (DataCodec's contract)."""
    try:
        return plan.to_data(obj)
    except HazelcastSerializationError:
        raise
    except Exception as e:
        raise HazelcastSerializationError(f"cannot serialize {type(obj).__name__}: {e}") from e


class DataCodec:
    """The hot path of ``SerializationService.to_data`` / ``to_object``: compact objects, strings and ints.

    Args:
        write_plans: write plans by class (a dict shared with the compact service, not copied).
        read_plans: read plans by schema id (shared, not copied).
        resolve: ``resolve(schema_id) -> ReadPlan`` for ids missing from ``read_plans``.
        data_class: the Data class (instances have a ``buffer`` attribute holding ``bytes``).
        to_data_fallback: called with objects none of the fast paths takes.
        to_object_fallback: called with anything none of the fast paths takes (it also sees a ``data_class``
            instance or bytes that is malformed for its type).
        big_endian: byte order of the payload.
        int_as_int32: write an ``int`` (exactly) in int32 range as INTEGER (type id -7).

    Fast paths, big-endian payloads only for str and int: ``str`` <-> STRING (-11: int32 length, UTF-8) when it
    encodes as UTF-8, ``int`` -> INTEGER (-7) with ``int_as_int32``, INTEGER Data of exactly 12 bytes -> ``int``,
    compact (-55) both ways, ``None`` -> ``None`` in ``to_object``. ``to_data`` and ``to_object`` raise only
    ``HazelcastSerializationError`` on the compact paths (other exceptions, e.g. from user code, are wrapped in it).
    """

    __slots__ = ("_write_plans", "_read_plans", "_resolve", "_data_class", "_to_data_fallback",
                 "_to_object_fallback", "_s", "_be", "_int32")

    def __init__(self, write_plans: dict, read_plans: dict, resolve: Any, data_class: Any, to_data_fallback: Any,
                 to_object_fallback: Any, big_endian: bool = True, int_as_int32: bool = False) -> None:
        if not isinstance(write_plans, dict) or not isinstance(read_plans, dict):
            raise TypeError("write_plans and read_plans must be dicts")
        self._write_plans = write_plans
        self._read_plans = read_plans
        self._resolve = resolve
        self._data_class = data_class
        self._to_data_fallback = to_data_fallback
        self._to_object_fallback = to_object_fallback
        self._s = _BE if big_endian else _LE
        self._be = bool(big_endian)
        self._int32 = bool(int_as_int32)

    def _builtin_buffer(self, obj: Any) -> Optional[bytes]:
        # the Data bytes of a str, or of an int in int32 range with int_as_int32 (big-endian only); None otherwise
        if not self._be:
            return None
        cls = type(obj)
        if cls is str:
            try:
                payload = obj.encode("utf-8")
            except UnicodeEncodeError:
                return None  # the fallback reports it
            if len(payload) > 0x7FFFFFFF:  # pragma: no cover - a 2 GiB string is not a test case
                return None
            return _STRING_HEADER + _I32_BE.pack(len(payload)) + payload
        if cls is int and self._int32 and -0x80000000 <= obj <= 0x7FFFFFFF:
            return _INTEGER_HEADER + _I32_BE.pack(obj)
        return None

    def to_data(self, obj: Any) -> Any:
        """Data of a compact object whose class has a plan, of a str, and of an int in int32 range (with
        ``int_as_int32``; big-endian only for both); anything else goes to the fallback."""
        plan = self._write_plans.get(type(obj))
        if plan is None:
            buffer = self._builtin_buffer(obj)
            if buffer is None:
                return self._to_data_fallback(obj)
        else:
            buffer = _data_codec_encode(plan, obj)
        data = self._data_class.__new__(self._data_class)
        _object_setattr(data, "buffer", buffer)
        return data

    def to_buffer(self, obj: Any) -> Optional[bytes]:
        """``to_data(obj).buffer`` without the Data object where the fast paths apply (None for None)."""
        plan = self._write_plans.get(type(obj))
        if plan is None:
            buffer = self._builtin_buffer(obj)
            if buffer is not None:
                return buffer
            data = self._to_data_fallback(obj)
            return None if data is None else data.buffer
        return _data_codec_encode(plan, obj)

    def to_object(self, data: Any) -> Any:
        """The object of compact, str or int32 Data (a ``data_class`` instance or bytes; big-endian str and int32
        only); None for None; anything else goes to the fallback."""
        cls = type(data)
        if cls is bytes:
            buffer = data
        elif cls is self._data_class:
            buffer = data.buffer
        elif data is None:
            return None
        else:
            return self._to_object_fallback(data)
        if type(buffer) is not bytes or len(buffer) < 12:
            return self._to_object_fallback(data)
        type_id = buffer[4:8]
        if type_id == _COMPACT_TYPE and len(buffer) >= 16:
            try:
                return _read_value(buffer, self._s, 8, self._read_plans, self._resolve)[0]
            except HazelcastSerializationError:
                raise
            except Exception as e:
                raise HazelcastSerializationError(f"cannot deserialize: {e}") from e
        if self._be:
            if type_id == _STRING_TYPE:
                n = _I32_BE.unpack_from(buffer, 8)[0]
                if 0 <= n <= len(buffer) - 12:
                    try:
                        return str(buffer[12 : 12 + n], "utf-8")
                    except UnicodeDecodeError:
                        pass  # the fallback reports it
            elif type_id == _INTEGER_TYPE and len(buffer) == 12:
                return _I32_BE.unpack_from(buffer, 8)[0]
        return self._to_object_fallback(data)


# -- Partitioner -------------------------------------------------------------------------------------------------------

import mmh3 as _mmh3  # noqa: E402

_mmh3_hash = _mmh3.hash
_NO_PARTITION_HASH = bytes(4)


class Partitioner:
    """The partition id of a serialized key: ``hashToIndex(partition hash, count)`` (``docs/protocol.md`` §4).

    The partition hash of Data is its header's first four bytes (big-endian int32) when non-zero, else
    MurmurHash3_x86_32 (seed ``0x01000193``) of the bytes after the 8-byte header; ``hashToIndex`` maps
    ``Integer.MIN_VALUE`` to 0 and any other hash to ``abs(hash) % count``. ``count`` (settable) is the cluster's
    partition count, 0 while unknown.

    Raises (on call): ``RuntimeError`` while ``count`` is 0, ``HazelcastSerializationError`` for Data shorter than
    its header; ``TypeError`` for objects that are not bytes-like.
    """

    __slots__ = ("count",)

    def __init__(self, count: int = 0) -> None:
        if count < 0:
            raise ValueError("the partition count must not be negative")
        self.count = count

    def __call__(self, key_data: Any) -> int:
        """``hashToIndex(partition hash, count)`` of the Data bytes ``key_data``."""
        count = self.count
        if count <= 0:
            raise RuntimeError("the partition count is not known before the first connection to the cluster")
        if type(key_data) is not bytes:
            key_data = bytes(key_data)
        if len(key_data) < 8:
            raise HazelcastSerializationError(f"Data of {len(key_data)} bytes is shorter than its 8-byte header")
        if key_data[:4] == _NO_PARTITION_HASH:
            h = _mmh3_hash(key_data[8:], 0x01000193)
        else:
            h = int.from_bytes(key_data[:4], "big", signed=True)
        if h == -0x80000000:
            return 0
        return abs(h) % count
