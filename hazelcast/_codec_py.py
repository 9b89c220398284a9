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

