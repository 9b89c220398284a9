# cython: language_level=3, embedsignature=True
"""Compiled stream primitives of the compact format (the twin of ``hazelcast/_codec_py.py``).

The pure-Python twin documents the behaviour; this module must match it byte for byte and exception for
exception. Every length and position is checked before memory is touched, written as ``n > limit - off``.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.number cimport PyIndex_Check
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.math cimport isinf
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

from hazelcast.errors import HazelcastSerializationError

BYTE_OFFSET_READER_RANGE = 255
SHORT_OFFSET_READER_RANGE = 65535
NULL_OFFSET = -1


cpdef int offset_size(Py_ssize_t data_length):
    """Width in bytes (1, 2 or 4) of the compact offset-table entries for a section of ``data_length`` bytes."""
    if data_length < 255:
        return 1
    if data_length < 65535:
        return 2
    return 4


cdef inline object _index(object value):
    # struct.pack accepts exactly the objects with __index__ for integer formats; so do we
    if PyIndex_Check(value):
        return value
    raise TypeError("an integer is required")


cdef object _error(str kind, object value):
    return HazelcastSerializationError(f"cannot write {value!r} as {kind}")


# ------------------------------------------------------------------------------------------------------------------
# byte-order helpers on raw pointers (callers check bounds first)
# ------------------------------------------------------------------------------------------------------------------

cdef inline void _put16(uint8_t* p, uint16_t v, bint be) noexcept nogil:
    if be:
        p[0] = v >> 8
        p[1] = v & 0xFF
    else:
        p[0] = v & 0xFF
        p[1] = v >> 8

cdef inline void _put32(uint8_t* p, uint32_t v, bint be) noexcept nogil:
    if be:
        p[0] = v >> 24
        p[1] = (v >> 16) & 0xFF
        p[2] = (v >> 8) & 0xFF
        p[3] = v & 0xFF
    else:
        p[0] = v & 0xFF
        p[1] = (v >> 8) & 0xFF
        p[2] = (v >> 16) & 0xFF
        p[3] = v >> 24

cdef inline void _put64(uint8_t* p, uint64_t v, bint be) noexcept nogil:
    if be:
        _put32(p, <uint32_t>(v >> 32), True)
        _put32(p + 4, <uint32_t>v, True)
    else:
        _put32(p, <uint32_t>v, False)
        _put32(p + 4, <uint32_t>(v >> 32), False)

cdef inline uint16_t _get16(const uint8_t* p, bint be) noexcept nogil:
    if be:
        return <uint16_t>((<uint16_t>p[0] << 8) | p[1])
    return <uint16_t>((<uint16_t>p[1] << 8) | p[0])

cdef inline uint32_t _get32(const uint8_t* p, bint be) noexcept nogil:
    if be:
        return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3]
    return (<uint32_t>p[3] << 24) | (<uint32_t>p[2] << 16) | (<uint32_t>p[1] << 8) | p[0]

cdef inline uint64_t _get64(const uint8_t* p, bint be) noexcept nogil:
    if be:
        return (<uint64_t>_get32(p, True) << 32) | _get32(p + 4, True)
    return (<uint64_t>_get32(p + 4, False) << 32) | _get32(p, False)

cdef union _F32:
    float f
    uint32_t u

cdef union _F64:
    double d
    uint64_t u


cdef inline int _to_f32(object value, float* out) except -1:
    cdef double d
    try:
        d = value
    except (OverflowError, TypeError):
        raise _error("float32", value) from None
    cdef float f = <float>d
    if isinf(f) and not isinf(d):
        raise _error("float32", value)
    out[0] = f
    return 0


# ------------------------------------------------------------------------------------------------------------------
# CompactStreamWriter
# ------------------------------------------------------------------------------------------------------------------

cdef class CompactStreamWriter:
    """A growable output buffer with typed writes in one byte order."""

    cdef uint8_t* _data
    cdef Py_ssize_t _len
    cdef Py_ssize_t _cap
    cdef bint _be

    def __cinit__(self, big_endian=True, Py_ssize_t initial_capacity=256):
        if initial_capacity < 16:
            initial_capacity = 16
        self._data = <uint8_t*>PyMem_Malloc(initial_capacity)
        if self._data == NULL:
            raise MemoryError()
        self._cap = initial_capacity
        self._len = 0
        self._be = bool(big_endian)

    def __dealloc__(self):
        if self._data != NULL:
            PyMem_Free(self._data)

    @property
    def big_endian(self):
        return self._be

    @property
    def position(self):
        """Number of bytes written so far (the position of the next write)."""
        return self._len

    def to_bytes(self):
        """The bytes written so far."""
        return PyBytes_FromStringAndSize(<const char*>self._data, self._len)

    def clear(self):
        """Discard everything written so far."""
        self._len = 0

    cdef inline uint8_t* _grow(self, Py_ssize_t n) except NULL:
        cdef Py_ssize_t need, cap
        cdef uint8_t* data
        if n > self._cap - self._len:
            if n > (<Py_ssize_t>0x7FFFFFFFFFFFFFF) - self._len:
                raise MemoryError()
            need = self._len + n
            cap = self._cap * 2
            if cap < need:
                cap = need
            data = <uint8_t*>PyMem_Realloc(self._data, cap)
            if data == NULL:
                raise MemoryError()
            self._data = data
            self._cap = cap
        cdef uint8_t* p = self._data + self._len
        self._len += n
        return p

    # -- sequential writes -------------------------------------------------------------------------------------------

    def write_int8(self, value):
        """Write a signed byte."""
        cdef int8_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int8", value) from None
        self._grow(1)[0] = <uint8_t>v

    def write_uint8(self, value):
        """Write an unsigned byte."""
        cdef uint8_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("uint8", value) from None
        self._grow(1)[0] = v

    def write_bool(self, value):
        """Write a boolean as one byte (0 or 1)."""
        self._grow(1)[0] = 1 if value else 0

    def write_int16(self, value):
        """Write a signed 16-bit integer."""
        cdef int16_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int16", value) from None
        _put16(self._grow(2), <uint16_t>v, self._be)

    def write_uint16(self, value):
        """Write an unsigned 16-bit integer."""
        cdef uint16_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("uint16", value) from None
        _put16(self._grow(2), v, self._be)

    cpdef write_int32(self, value):
        """Write a signed 32-bit integer."""
        cdef int32_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int32", value) from None
        _put32(self._grow(4), <uint32_t>v, self._be)

    def write_int64(self, value):
        """Write a signed 64-bit integer."""
        cdef int64_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int64", value) from None
        _put64(self._grow(8), <uint64_t>v, self._be)

    def write_float32(self, value):
        """Write an IEEE 754 single; a finite value too large for it is an error."""
        cdef _F32 u
        _to_f32(value, &u.f)
        _put32(self._grow(4), u.u, self._be)

    def write_float64(self, value):
        """Write an IEEE 754 double."""
        cdef _F64 u
        try:
            u.d = value
        except (OverflowError, TypeError):
            raise _error("float64", value) from None
        _put64(self._grow(8), u.u, self._be)

    def write_int32_be(self, value):
        """Write a big-endian signed 32-bit integer whatever the stream's byte order."""
        cdef int32_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int32", value) from None
        _put32(self._grow(4), <uint32_t>v, True)

    def write_zeros(self, Py_ssize_t count):
        """Write ``count`` zero bytes (reserves room that ``write_*_at`` fills in later)."""
        if count < 0:
            raise HazelcastSerializationError(f"negative count {count}")
        memset(self._grow(count), 0, count)

    def write_bytes(self, value):
        """Write raw bytes, without a length."""
        cdef Py_buffer view
        try:
            PyObject_GetBuffer(value, &view, PyBUF_SIMPLE)
        except (TypeError, BufferError):
            raise _error("bytes", value) from None
        try:
            memcpy(self._grow(view.len), view.buf, view.len)
        finally:
            PyBuffer_Release(&view)

    def write_string(self, value):
        """Write ``int32 length`` and the UTF-8 bytes; ``None`` is written as length -1."""
        if value is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        try:
            data = value.encode("utf-8")
        except (UnicodeEncodeError, AttributeError):
            raise _error("string", value) from None
        cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
        if n > 0x7FFFFFFF:
            raise _error("int32", n)
        cdef uint8_t* p = self._grow(4 + n)
        _put32(p, <uint32_t>n, self._be)
        memcpy(p + 4, PyBytes_AS_STRING(data), n)

    def write_byte_array(self, value):
        """Write ``int32 count`` and the bytes; ``None`` is written as count -1."""
        if value is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        cdef Py_buffer view
        try:
            PyObject_GetBuffer(value, &view, PyBUF_SIMPLE)
        except (TypeError, BufferError):
            raise _error("byte array", value) from None
        cdef uint8_t* p
        try:
            if view.len > 0x7FFFFFFF:
                raise _error("int32", view.len)
            p = self._grow(4 + view.len)
            _put32(p, <uint32_t>view.len, self._be)
            memcpy(p + 4, view.buf, view.len)
        finally:
            PyBuffer_Release(&view)

    def write_boolean_bits(self, values):
        """Write ``int32 count`` and the booleans packed 8 to a byte, least significant bit first."""
        if values is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        cdef Py_ssize_t n = len(values)
        if n > 0x7FFFFFFF:
            raise _error("int32", n)
        cdef Py_ssize_t nbytes = (n + 7) >> 3
        _put32(self._grow(4), <uint32_t>n, self._be)
        cdef Py_ssize_t start = self._len
        memset(self._grow(nbytes), 0, nbytes)
        cdef Py_ssize_t i = 0
        for v in values:
            if i >= n:
                break
            if v:
                self._data[start + (i >> 3)] |= <uint8_t>(1 << (i & 7))
            i += 1

    cdef int _begin_array(self, object values, Py_ssize_t* n) except -1:
        n[0] = len(values)
        if n[0] > 0x7FFFFFFF:
            raise _error("int32", n[0])
        return 0

    def write_int8_array(self, values):
        """Write ``int32 count`` and the int8 items."""
        if values is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        cdef Py_ssize_t n, i
        self._begin_array(values, &n)
        cdef Py_ssize_t start = self._len
        cdef int8_t v
        self._grow(4 + n)
        try:
            for i in range(n):
                v = _index(values[i])
                self._data[start + 4 + i] = <uint8_t>v
        except (OverflowError, TypeError):
            self._len = start
            raise _error("array of int8", values) from None
        _put32(self._data + start, <uint32_t>n, self._be)

    def write_int16_array(self, values):
        """Write ``int32 count`` and the int16 items."""
        if values is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        cdef Py_ssize_t n, i
        self._begin_array(values, &n)
        cdef Py_ssize_t start = self._len
        cdef int16_t v
        self._grow(4 + 2 * n)
        try:
            for i in range(n):
                v = _index(values[i])
                _put16(self._data + start + 4 + 2 * i, <uint16_t>v, self._be)
        except (OverflowError, TypeError):
            self._len = start
            raise _error("array of int16", values) from None
        _put32(self._data + start, <uint32_t>n, self._be)

    def write_int32_array(self, values):
        """Write ``int32 count`` and the int32 items."""
        if values is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        cdef Py_ssize_t n, i
        self._begin_array(values, &n)
        cdef Py_ssize_t start = self._len
        cdef int32_t v
        self._grow(4 + 4 * n)
        try:
            for i in range(n):
                v = _index(values[i])
                _put32(self._data + start + 4 + 4 * i, <uint32_t>v, self._be)
        except (OverflowError, TypeError):
            self._len = start
            raise _error("array of int32", values) from None
        _put32(self._data + start, <uint32_t>n, self._be)

    def write_int64_array(self, values):
        """Write ``int32 count`` and the int64 items."""
        if values is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        cdef Py_ssize_t n, i
        self._begin_array(values, &n)
        cdef Py_ssize_t start = self._len
        cdef int64_t v
        self._grow(4 + 8 * n)
        try:
            for i in range(n):
                v = _index(values[i])
                _put64(self._data + start + 4 + 8 * i, <uint64_t>v, self._be)
        except (OverflowError, TypeError):
            self._len = start
            raise _error("array of int64", values) from None
        _put32(self._data + start, <uint32_t>n, self._be)

    def write_float32_array(self, values):
        """Write ``int32 count`` and the float32 items."""
        if values is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        cdef Py_ssize_t n, i
        self._begin_array(values, &n)
        cdef Py_ssize_t start = self._len
        cdef _F32 u
        self._grow(4 + 4 * n)
        try:
            for i in range(n):
                _to_f32(values[i], &u.f)
                _put32(self._data + start + 4 + 4 * i, u.u, self._be)
        except HazelcastSerializationError:
            self._len = start
            raise _error("array of float32", values) from None
        _put32(self._data + start, <uint32_t>n, self._be)

    def write_float64_array(self, values):
        """Write ``int32 count`` and the float64 items."""
        if values is None:
            _put32(self._grow(4), <uint32_t>-1, self._be)
            return
        cdef Py_ssize_t n, i
        self._begin_array(values, &n)
        cdef Py_ssize_t start = self._len
        cdef _F64 u
        self._grow(4 + 8 * n)
        try:
            for i in range(n):
                u.d = values[i]
                _put64(self._data + start + 4 + 8 * i, u.u, self._be)
        except (OverflowError, TypeError):
            self._len = start
            raise _error("array of float64", values) from None
        _put32(self._data + start, <uint32_t>n, self._be)

    def write_offsets(self, offsets, Py_ssize_t data_length):
        """Write a compact offset table for a section of ``data_length`` bytes; -1 is a null entry."""
        cdef int size = offset_size(data_length)
        cdef int64_t limit
        if size == 1:
            limit = 0xFF
        elif size == 2:
            limit = 0xFFFF
        else:
            limit = 0x7FFFFFFF
        cdef Py_ssize_t start = self._len
        cdef uint8_t* p
        cdef int64_t v
        for off in offsets:
            if off == -1:
                v = -1
            elif not isinstance(off, int) or off < 0 or off >= limit:
                self._len = start
                raise _error(f"{size}-byte offset", off)
            else:
                v = off
            p = self._grow(size)
            if size == 1:
                p[0] = <uint8_t>(v & 0xFF)
            elif size == 2:
                _put16(p, <uint16_t>(v & 0xFFFF), self._be)
            else:
                _put32(p, <uint32_t>v, self._be)

    # -- writes at a position ------------------------------------------------------------------------------------

    cdef inline uint8_t* _at(self, Py_ssize_t pos, Py_ssize_t size) except NULL:
        if pos < 0 or size > self._len - pos:
            raise HazelcastSerializationError(f"position {pos} is outside the {self._len} bytes written")
        return self._data + pos

    def write_int8_at(self, Py_ssize_t pos, value):
        """Overwrite a signed byte at ``pos``."""
        cdef uint8_t* p = self._at(pos, 1)
        cdef int8_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int8", value) from None
        p[0] = <uint8_t>v

    def write_bool_at(self, Py_ssize_t pos, value):
        """Overwrite a boolean byte at ``pos``."""
        self._at(pos, 1)[0] = 1 if value else 0

    def write_bool_bit_at(self, Py_ssize_t pos, int bit, value):
        """Set (or clear) bit ``bit`` (0-7, least significant first) of the byte at ``pos``."""
        cdef uint8_t* p = self._at(pos, 1)
        if bit < 0 or bit > 7:
            raise HazelcastSerializationError(f"bit index {bit} is not in 0..7")
        if value:
            p[0] |= <uint8_t>(1 << bit)
        else:
            p[0] &= <uint8_t>(~(1 << bit) & 0xFF)

    def write_int16_at(self, Py_ssize_t pos, value):
        """Overwrite a signed 16-bit integer at ``pos``."""
        cdef uint8_t* p = self._at(pos, 2)
        cdef int16_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int16", value) from None
        _put16(p, <uint16_t>v, self._be)

    cpdef write_int32_at(self, Py_ssize_t pos, value):
        """Overwrite a signed 32-bit integer at ``pos``."""
        cdef uint8_t* p = self._at(pos, 4)
        cdef int32_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int32", value) from None
        _put32(p, <uint32_t>v, self._be)

    def write_int64_at(self, Py_ssize_t pos, value):
        """Overwrite a signed 64-bit integer at ``pos``."""
        cdef uint8_t* p = self._at(pos, 8)
        cdef int64_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise _error("int64", value) from None
        _put64(p, <uint64_t>v, self._be)

    def write_float32_at(self, Py_ssize_t pos, value):
        """Overwrite a float32 at ``pos``."""
        cdef uint8_t* p = self._at(pos, 4)
        cdef _F32 u
        _to_f32(value, &u.f)
        _put32(p, u.u, self._be)

    def write_float64_at(self, Py_ssize_t pos, value):
        """Overwrite a float64 at ``pos``."""
        cdef uint8_t* p = self._at(pos, 8)
        cdef _F64 u
        try:
            u.d = value
        except (OverflowError, TypeError):
            raise _error("float64", value) from None
        _put64(p, u.u, self._be)


# ------------------------------------------------------------------------------------------------------------------
# CompactStreamReader
# ------------------------------------------------------------------------------------------------------------------

cdef class CompactStreamReader:
    """A bounds-checked input cursor over a bytes-like buffer, with typed reads in one byte order."""

    cdef Py_buffer _view
    cdef bint _held
    cdef const uint8_t* _p
    cdef Py_ssize_t _n
    cdef Py_ssize_t _pos
    cdef bint _be

    def __cinit__(self, buffer, big_endian=True):
        self._held = False
        try:
            PyObject_GetBuffer(buffer, &self._view, PyBUF_SIMPLE)
        except BufferError:
            raise TypeError("a C-contiguous bytes-like object is required") from None
        except TypeError:
            raise TypeError("a bytes-like object is required") from None
        self._held = True
        self._p = <const uint8_t*>self._view.buf
        self._n = self._view.len
        self._pos = 0
        self._be = bool(big_endian)

    def __dealloc__(self):
        if self._held:
            PyBuffer_Release(&self._view)

    @property
    def big_endian(self):
        return self._be

    @property
    def size(self):
        """Length of the buffer in bytes."""
        return self._n

    @property
    def position(self):
        """The position of the next read."""
        return self._pos

    @position.setter
    def position(self, Py_ssize_t pos):
        self.seek(pos)

    @property
    def remaining(self):
        """Bytes between the position and the end of the buffer."""
        return self._n - self._pos

    cpdef seek(self, Py_ssize_t pos):
        """Move to ``pos`` (0 up to and including the buffer length)."""
        if pos < 0 or pos > self._n:
            raise HazelcastSerializationError(f"position {pos} is outside a {self._n}-byte buffer")
        self._pos = pos

    def skip(self, Py_ssize_t count):
        """Advance by ``count`` bytes."""
        self._take(count)

    cdef inline const uint8_t* _take(self, Py_ssize_t size) except NULL:
        if size < 0:
            raise HazelcastSerializationError(f"negative length {size}")
        if size > self._n - self._pos:
            raise HazelcastSerializationError(
                f"cannot read {size} bytes at position {self._pos} of a {self._n}-byte buffer"
            )
        cdef const uint8_t* p = self._p + self._pos
        self._pos += size
        return p

    cdef inline const uint8_t* _at(self, Py_ssize_t pos, Py_ssize_t size) except NULL:
        if pos < 0 or size > self._n - pos:
            raise HazelcastSerializationError(
                f"cannot read {size} bytes at position {pos} of a {self._n}-byte buffer"
            )
        return self._p + pos

    # -- sequential reads --------------------------------------------------------------------------------------------

    def read_int8(self):
        """Read a signed byte."""
        return <int8_t>self._take(1)[0]

    def read_uint8(self):
        """Read an unsigned byte."""
        return self._take(1)[0]

    def read_bool(self):
        """Read a boolean byte (any non-zero value is true)."""
        return self._take(1)[0] != 0

    def read_int16(self):
        """Read a signed 16-bit integer."""
        return <int16_t>_get16(self._take(2), self._be)

    def read_uint16(self):
        """Read an unsigned 16-bit integer."""
        return _get16(self._take(2), self._be)

    cpdef int32_t read_int32(self) except? -1:
        """Read a signed 32-bit integer."""
        return <int32_t>_get32(self._take(4), self._be)

    def read_int64(self):
        """Read a signed 64-bit integer."""
        return <int64_t>_get64(self._take(8), self._be)

    def read_float32(self):
        """Read a float32."""
        cdef _F32 u
        u.u = _get32(self._take(4), self._be)
        return <double>u.f

    def read_float64(self):
        """Read a float64."""
        cdef _F64 u
        u.u = _get64(self._take(8), self._be)
        return u.d

    def read_int32_be(self):
        """Read a big-endian signed 32-bit integer whatever the stream's byte order."""
        return <int32_t>_get32(self._take(4), True)

    def read_bytes(self, Py_ssize_t count):
        """Read ``count`` raw bytes."""
        cdef const uint8_t* p = self._take(count)
        return PyBytes_FromStringAndSize(<const char*>p, count)

    def read_string(self):
        """Read ``int32 length`` and that many UTF-8 bytes; length -1 is ``None``."""
        cdef int32_t n = <int32_t>_get32(self._take(4), self._be)
        if n == -1:
            return None
        cdef Py_ssize_t start = self._pos
        cdef const uint8_t* p = self._take(n)
        try:
            return PyUnicode_DecodeUTF8(<const char*>p, n, NULL)
        except UnicodeDecodeError as e:
            self._pos = start
            raise HazelcastSerializationError(f"invalid UTF-8 in string at position {start}: {e.reason}") from None

    def read_byte_array(self):
        """Read ``int32 count`` and that many bytes; count -1 is ``None``."""
        cdef int32_t n = <int32_t>_get32(self._take(4), self._be)
        if n == -1:
            return None
        cdef const uint8_t* p = self._take(n)
        return PyBytes_FromStringAndSize(<const char*>p, n)

    def read_boolean_bits(self):
        """Read ``int32 count`` and that many bit-packed booleans; count -1 is ``None``."""
        cdef int32_t n = <int32_t>_get32(self._take(4), self._be)
        if n == -1:
            return None
        if n < 0:
            raise HazelcastSerializationError(f"negative length {n}")
        cdef Py_ssize_t nbytes = (n >> 3) + (1 if n & 7 else 0)
        cdef const uint8_t* p = self._take(nbytes)
        cdef list out = [False] * n
        cdef Py_ssize_t i
        for i in range(n):
            if p[i >> 3] & (1 << (i & 7)):
                out[i] = True
        return out

    cdef inline const uint8_t* _array(self, Py_ssize_t item, int32_t* count) except NULL:
        cdef int32_t n = <int32_t>_get32(self._take(4), self._be)
        count[0] = n
        if n == -1:
            return self._p  # a non-NULL marker; the caller returns None
        if n < 0:
            raise HazelcastSerializationError(f"negative length {n}")
        if n > (self._n - self._pos) // item:
            raise HazelcastSerializationError(
                f"array of {n} {item}-byte items does not fit the {self._n - self._pos} bytes left"
            )
        return self._take(n * item)

    def read_int8_array(self):
        """Read ``int32 count`` and that many int8 items; count -1 is ``None``."""
        cdef int32_t n
        cdef const uint8_t* p = self._array(1, &n)
        if n == -1:
            return None
        return [<int8_t>p[i] for i in range(n)]

    def read_int16_array(self):
        """Read ``int32 count`` and that many int16 items; count -1 is ``None``."""
        cdef int32_t n
        cdef const uint8_t* p = self._array(2, &n)
        if n == -1:
            return None
        return [<int16_t>_get16(p + 2 * i, self._be) for i in range(n)]

    def read_int32_array(self):
        """Read ``int32 count`` and that many int32 items; count -1 is ``None``."""
        cdef int32_t n
        cdef const uint8_t* p = self._array(4, &n)
        if n == -1:
            return None
        return [<int32_t>_get32(p + 4 * i, self._be) for i in range(n)]

    def read_int64_array(self):
        """Read ``int32 count`` and that many int64 items; count -1 is ``None``."""
        cdef int32_t n
        cdef const uint8_t* p = self._array(8, &n)
        if n == -1:
            return None
        return [<int64_t>_get64(p + 8 * i, self._be) for i in range(n)]

    def read_float32_array(self):
        """Read ``int32 count`` and that many float32 items; count -1 is ``None``."""
        cdef int32_t n
        cdef const uint8_t* p = self._array(4, &n)
        if n == -1:
            return None
        cdef _F32 u
        cdef list out = []
        cdef Py_ssize_t i
        for i in range(n):
            u.u = _get32(p + 4 * i, self._be)
            out.append(<double>u.f)
        return out

    def read_float64_array(self):
        """Read ``int32 count`` and that many float64 items; count -1 is ``None``."""
        cdef int32_t n
        cdef const uint8_t* p = self._array(8, &n)
        if n == -1:
            return None
        cdef _F64 u
        cdef list out = []
        cdef Py_ssize_t i
        for i in range(n):
            u.u = _get64(p + 8 * i, self._be)
            out.append(u.d)
        return out

    # -- reads at a position (the cursor does not move) ------------------------------------------------------------

    def read_int8_at(self, Py_ssize_t pos):
        """Read a signed byte at ``pos``."""
        return <int8_t>self._at(pos, 1)[0]

    def read_bool_at(self, Py_ssize_t pos):
        """Read a boolean byte at ``pos``."""
        return self._at(pos, 1)[0] != 0

    def read_bool_bit_at(self, Py_ssize_t pos, int bit):
        """Read bit ``bit`` (0-7, least significant first) of the byte at ``pos``."""
        if bit < 0 or bit > 7:
            raise HazelcastSerializationError(f"bit index {bit} is not in 0..7")
        return (self._at(pos, 1)[0] & (1 << bit)) != 0

    def read_int16_at(self, Py_ssize_t pos):
        """Read a signed 16-bit integer at ``pos``."""
        return <int16_t>_get16(self._at(pos, 2), self._be)

    cpdef int32_t read_int32_at(self, Py_ssize_t pos) except? -1:
        """Read a signed 32-bit integer at ``pos``."""
        return <int32_t>_get32(self._at(pos, 4), self._be)

    def read_int64_at(self, Py_ssize_t pos):
        """Read a signed 64-bit integer at ``pos``."""
        return <int64_t>_get64(self._at(pos, 8), self._be)

    def read_float32_at(self, Py_ssize_t pos):
        """Read a float32 at ``pos``."""
        cdef _F32 u
        u.u = _get32(self._at(pos, 4), self._be)
        return <double>u.f

    def read_float64_at(self, Py_ssize_t pos):
        """Read a float64 at ``pos``."""
        cdef _F64 u
        u.u = _get64(self._at(pos, 8), self._be)
        return u.d

    cpdef Py_ssize_t read_offset(self, Py_ssize_t table_pos, Py_ssize_t index, Py_ssize_t data_length) except? -2:
        """Entry ``index`` of a compact offset table at ``table_pos`` for a section of ``data_length`` bytes.

        Returns -1 for a null entry, otherwise the offset (non-negative).
        """
        if index < 0:
            raise HazelcastSerializationError(f"negative offset index {index}")
        if data_length < 0:
            raise HazelcastSerializationError(f"negative data length {data_length}")
        cdef int size = offset_size(data_length)
        if table_pos < 0 or index >= (self._n - table_pos) // size:
            raise HazelcastSerializationError(
                f"offset entry {index} of a table at {table_pos} is outside a {self._n}-byte buffer"
            )
        cdef const uint8_t* p = self._p + table_pos + index * size
        cdef uint32_t v
        cdef int32_t s
        if size == 1:
            return -1 if p[0] == 0xFF else p[0]
        if size == 2:
            v = _get16(p, self._be)
            return -1 if v == 0xFFFF else v
        s = <int32_t>_get32(p, self._be)
        if s < -1:
            raise HazelcastSerializationError(f"invalid offset {s}")
        return s


# ==================================================================================================================
# Compact objects: per-schema write and read plans (twin of the section of the same name in _codec_py.py, which
# documents the behaviour). A plan turns its fields into a C array once; writing and reading an object is then a
# loop over that array with C-level dispatch on the field kind. No try blocks on the per-field paths: errors are
# converted once, at the entry points.
# ==================================================================================================================

from cpython.object cimport PyObject_GenericSetAttr, PyTypeObject, descrgetfunc, descrsetfunc
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem, PyDict_Copy
from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.sequence cimport PySequence_Fast_ITEMS, PySequence_Fast_GET_SIZE

cdef extern from "Python.h":
    int PyObject_GenericSetDict(object o, object value, void* context) except -1
    object PyObject_GenericGetDict(object o, void* context)
    object _generic_alloc "PyType_GenericAlloc"(void* type, Py_ssize_t nitems)

import datetime as _dt
import decimal as _decimal
import operator as _operator
import sys

MAX_NESTING_DEPTH = 64
FLAG_BYTES = 1
FLAG_NOT_NULL = 2
FLAG_NO_NULL_ITEMS = 4
READ_VALUES = 0
READ_SETATTR = 1
READ_KWARGS = 2
COMPACT_TYPE_ID = -55

cdef int _MAX_DEPTH = 64
cdef Py_ssize_t _MAX_INT32 = 0x7FFFFFFF
cdef int _MAX_TZ_OFFSET = 18 * 3600

cdef enum:
    _BOOLEAN = 1
    _ARRAY_OF_BOOLEAN = 2
    _INT8 = 3
    _ARRAY_OF_INT8 = 4
    _INT16 = 7
    _INT32 = 9
    _INT64 = 11
    _FLOAT32 = 13
    _FLOAT64 = 15
    _STRING = 17
    _DECIMAL = 19
    _TIME = 21
    _DATE = 23
    _TIMESTAMP = 25
    _TSTZ = 27
    _COMPACT = 29

cdef enum:
    _CAT_FIXED = 0
    _CAT_BIT = 1
    _CAT_SCALAR = 2
    _CAT_BITS = 3
    _CAT_PACKED = 4
    _CAT_ARRAY = 5

cdef enum:
    _F_BYTES = 1
    _F_NOT_NULL = 2
    _F_NO_NULL_ITEMS = 4
    _M_VALUES = 0
    _M_SETATTR = 1
    _M_KWARGS = 2

cdef enum:
    _FILL_LIST = 0  # values collected in a list (values, setattr without __dict__, kwargs)
    _FILL_DICT = 1  # values collected in the new object's __dict__ (setattr mode, plain classes)


def _build_layouts():
    out = {_BOOLEAN: (_CAT_BIT, _BOOLEAN), _ARRAY_OF_BOOLEAN: (_CAT_BITS, _BOOLEAN)}
    for base in (_INT8, _INT16, _INT32, _INT64, _FLOAT32, _FLOAT64):
        out[base] = (_CAT_FIXED, base)
        out[base + 1] = (_CAT_PACKED, base)
    for base in (_STRING, _DECIMAL, _TIME, _DATE, _TIMESTAMP, _TSTZ, _COMPACT):
        out[base] = (_CAT_SCALAR, base)
        out[base + 1] = (_CAT_ARRAY, base)
    for nullable, base in ((33, _BOOLEAN), (35, _INT8), (37, _INT16), (39, _INT32), (41, _INT64), (43, _FLOAT32),
                           (45, _FLOAT64)):
        out[nullable] = (_CAT_SCALAR, base)
        out[nullable + 1] = (_CAT_ARRAY, base)
    return out


_LAYOUTS = _build_layouts()
_FIXED_SIZES = {_BOOLEAN: 1, _INT8: 1, _INT16: 2, _INT32: 4, _INT64: 8, _FLOAT32: 4, _FLOAT64: 8}
_NAMES = {_INT8: "int8", _INT16: "int16", _INT32: "int32", _INT64: "int64", _FLOAT32: "float32", _FLOAT64: "float64",
          _BOOLEAN: "boolean", _STRING: "string", _DECIMAL: "decimal", _TIME: "time", _DATE: "date",
          _TIMESTAMP: "timestamp", _TSTZ: "timestamp with time zone", _COMPACT: "compact"}
_EXACT = _decimal.Context(prec=_decimal.MAX_PREC, Emax=_decimal.MAX_EMAX, Emin=_decimal.MIN_EMIN)
_TZ_CACHE = {}
cdef object _Decimal = _decimal.Decimal
cdef object _time = _dt.time
cdef object _date = _dt.date
cdef object _datetime = _dt.datetime
cdef object _object_new = object.__new__
cdef tuple _WRAPPED = (TypeError, ValueError, OverflowError, AttributeError, UnicodeError)
cdef tuple _BUFFER_TYPES = (bytes, bytearray, memoryview)
cdef tuple _SEQUENCE_TYPES = (list, tuple)
cdef object _current_field = None  # the field being written, for error messages only
cdef list _WRITER_POOL = []

ctypedef struct _Spec:
    int kind
    int cat
    int item
    Py_ssize_t loc
    int bit
    int flags


cdef object _field_error(object name, str message):
    return HazelcastSerializationError(f"field {name!r}: {message}")


cdef object _truncated(str what, Py_ssize_t pos):
    return HazelcastSerializationError(f"malformed compact data: {what} at position {pos} does not fit")


def _check_layout(fields, fixed_length, var_count):
    if not isinstance(fixed_length, int) or not 0 <= fixed_length <= 0x7FFFFFFF:
        raise HazelcastSerializationError(f"invalid fixed section length {fixed_length!r}")
    if not isinstance(var_count, int) or not 0 <= var_count <= 0x7FFFFFFF:
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


def _can_fill_dict(target, keys):
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


cdef _Spec* _make_specs(list checked) except NULL:
    cdef Py_ssize_t n = len(checked), i
    cdef _Spec* specs = <_Spec*>PyMem_Malloc((n if n > 0 else 1) * sizeof(_Spec))
    if specs == NULL:
        raise MemoryError()  # pragma: no cover
    for i in range(n):
        t = checked[i]
        specs[i].kind = t[1]
        specs[i].loc = t[2]
        specs[i].bit = t[3]
        specs[i].flags = t[4]
        specs[i].cat = t[6]
        specs[i].item = t[7]
    return specs


def _decimal_parts(value):
    if not isinstance(value, _decimal.Decimal):
        raise TypeError(f"expected a decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    exponent = value.as_tuple().exponent
    unscaled = int(value.scaleb(-exponent, _EXACT))
    scale = -exponent
    if scale < -0x7FFFFFFF - 1 or scale > 0x7FFFFFFF:
        raise ValueError(f"the scale of {value} does not fit an int32")
    bits = unscaled.bit_length() if unscaled >= 0 else (~unscaled).bit_length()
    return unscaled.to_bytes(bits // 8 + 1, "big", signed=True), scale


def _tz_offset_seconds(value):
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("a timestamp with time zone needs an aware datetime")
    if offset.microseconds:
        raise ValueError(f"the UTC offset {offset} is not a whole number of seconds")
    seconds = offset.days * 86400 + offset.seconds
    if seconds < -_MAX_TZ_OFFSET or seconds > _MAX_TZ_OFFSET:
        raise ValueError(f"the UTC offset {offset} is outside -18:00..+18:00")
    return seconds


def _timezone(seconds):
    tz = _TZ_CACHE.get(seconds)
    if tz is None:
        tz = _dt.timezone(_dt.timedelta(seconds=seconds)) if seconds else _dt.timezone.utc
        _TZ_CACHE[seconds] = tz
    return tz


cdef object _write_error(object obj, object e):
    return HazelcastSerializationError(f"cannot write {type(obj).__name__} (field {_current_field!r}): {e}")


cdef object _new_instance(object cls, bint fast):
    # object.__new__(cls) without the call machinery when the class does not override __new__
    if fast:
        return _generic_alloc(<void*>cls, 0)
    return cls.__new__(cls)


# -- writing -------------------------------------------------------------------------------------------------------

cdef inline int _put_fixed(uint8_t* p, int item, object value, bint be) except -1:
    """Encode an int8..float64 value at ``p`` (TypeError/OverflowError for bad values, HSE for float32 range)."""
    cdef int8_t i8
    cdef int16_t i16
    cdef int32_t i32
    cdef int64_t i64
    cdef _F32 f
    cdef _F64 d
    if item == _INT32:
        i32 = _index(value)
        _put32(p, <uint32_t>i32, be)
    elif item == _INT64:
        i64 = _index(value)
        _put64(p, <uint64_t>i64, be)
    elif item == _FLOAT64:
        d.d = value
        _put64(p, d.u, be)
    elif item == _INT8:
        i8 = _index(value)
        p[0] = <uint8_t>i8
    elif item == _INT16:
        i16 = _index(value)
        _put16(p, <uint16_t>i16, be)
    else:
        _to_f32(value, &f.f)
        _put32(p, f.u, be)
    return 0


cdef inline Py_ssize_t _item_size(int item) noexcept:
    if item == _INT8 or item == _BOOLEAN:
        return 1
    if item == _INT16:
        return 2
    if item == _INT32 or item == _FLOAT32:
        return 4
    return 8


cdef int _append_offsets(CompactStreamWriter w, Py_ssize_t* offsets, Py_ssize_t count, Py_ssize_t data_length,
                         bint be) except -1:
    cdef Py_ssize_t i
    cdef uint8_t* p
    if data_length < 255:
        p = w._grow(count)
        for i in range(count):
            p[i] = <uint8_t>(offsets[i] & 0xFF)
    elif data_length < 65535:
        p = w._grow(2 * count)
        for i in range(count):
            _put16(p + 2 * i, <uint16_t>(offsets[i] & 0xFFFF), be)
    else:
        p = w._grow(4 * count)
        for i in range(count):
            _put32(p + 4 * i, <uint32_t><int32_t>offsets[i], be)
    return 0


cdef class WritePlan:
    """Writes objects of one schema: ``int64 schemaId`` followed by the body (see ``_codec_py.WritePlan``)."""

    cdef readonly object schema_id
    cdef readonly Py_ssize_t fixed_length
    cdef readonly Py_ssize_t var_count
    cdef readonly object cls
    cdef int64_t _sid
    cdef _Spec* _specs
    cdef Py_ssize_t _n
    cdef tuple _names
    cdef Py_ssize_t* _order
    cdef Py_ssize_t _norder
    cdef object _extract
    cdef object _resolve
    cdef object _getter
    cdef tuple _keys
    cdef bint _from_dict  # attribute values can be read from the instance __dict__ of ``cls`` objects
    cdef bint _be
    cdef dict _nested

    def __cinit__(self):
        self._specs = NULL
        self._order = NULL

    def __dealloc__(self):
        PyMem_Free(self._specs)
        PyMem_Free(self._order)

    def __init__(self, schema_id, fixed_length, var_count, fields, order=None, extract=None, resolve=None,
                 big_endian=True, cls=None):
        checked = _check_layout(fields, fixed_length, var_count)
        if not isinstance(schema_id, int) or not -(2**63) <= schema_id < 2**63:
            raise HazelcastSerializationError(f"schema id {schema_id} does not fit an int64")
        PyMem_Free(self._specs)
        self._specs = NULL
        PyMem_Free(self._order)
        self._order = NULL
        self.schema_id = schema_id
        self._sid = schema_id
        self.fixed_length = fixed_length
        self.var_count = var_count
        self.cls = cls
        self._n = len(checked)
        self._specs = _make_specs(checked)
        self._names = tuple([t[0] for t in checked])
        self._extract = extract
        self._resolve = resolve
        self._be = bool(big_endian)
        self._nested = {}
        self._order = self._check_order(range(self._n) if order is None else order, &self._norder)
        if extract is None:
            for t in checked:
                if not isinstance(t[5], str):
                    raise HazelcastSerializationError(f"field {t[0]!r}: attribute mode needs a str key")
            keys = [t[5] for t in checked]
            if len(keys) > 1:
                self._getter = _operator.attrgetter(*keys)
            elif keys:
                single = _operator.attrgetter(keys[0])
                self._getter = lambda obj: (single(obj),)
            else:
                self._getter = lambda obj: ()
            # the same values as getattr, without the generic lookups: plain classes only (no slots, no data
            # descriptors, no __getattribute__ override); a key missing from the instance dict falls back to getattr
            self._keys = tuple([sys.intern(k) for k in keys])
            self._from_dict = (isinstance(cls, type) and 0 < len(keys) <= 32 and _can_fill_dict(cls, keys)
                               and cls.__getattribute__ is object.__getattribute__)
        else:
            self._getter = None
            self._from_dict = False

    cdef Py_ssize_t* _check_order(self, object order, Py_ssize_t* count) except NULL:
        selected = []
        for i in order:
            if not isinstance(i, int) or i < 0 or i >= self._n:
                raise HazelcastSerializationError(f"write order entry {i!r} is not a field position")
            if self._specs[<Py_ssize_t>i].cat >= _CAT_SCALAR:
                selected.append(i)
        cdef Py_ssize_t n = len(selected), k
        cdef Py_ssize_t* out = <Py_ssize_t*>PyMem_Malloc((n if n > 0 else 1) * sizeof(Py_ssize_t))
        if out == NULL:
            raise MemoryError()  # pragma: no cover
        for k in range(n):
            out[k] = selected[k]
        count[0] = n
        return out

    @property
    def big_endian(self):
        return self._be

    def write(self, CompactStreamWriter writer, obj):
        """Write ``obj`` (schema id and body) at the writer's position; on error the writer is left unchanged."""
        global _current_field
        cdef Py_ssize_t start = writer._len
        if writer._be != self._be:
            raise HazelcastSerializationError("the writer's byte order differs from the plan's")
        _current_field = None
        try:
            _wp_write(self, writer, obj, 0)
        except _WRAPPED as e:
            writer._len = start
            raise _write_error(obj, e) from None
        except BaseException:
            writer._len = start
            raise

    def to_data(self, obj):
        """The whole Data of ``obj``: header (partition hash 0, type id -55), schema id and body."""
        return _plan_to_data(self, obj)


cdef bytes _plan_to_data(WritePlan plan, object obj):
    try:
        return _plan_to_data_raw(plan, obj)
    except _WRAPPED as e:
        raise _write_error(obj, e) from None


cdef bytes _plan_to_data_raw(WritePlan plan, object obj):
    global _current_field
    cdef CompactStreamWriter w
    cdef uint8_t* p
    _current_field = None
    if _WRITER_POOL:
        w = _WRITER_POOL.pop()
        w._len = 0
    else:
        w = CompactStreamWriter(True, 512)
    p = w._grow(8)
    memset(p, 0, 4)
    _put32(p + 4, <uint32_t><int32_t>-55, True)
    _wp_write(plan, w, obj, 0)  # on error the writer is not pooled again (a new one is made next time)
    data = PyBytes_FromStringAndSize(<const char*>w._data, w._len)
    if w._cap <= 65536 and len(_WRITER_POOL) < 8:
        _WRITER_POOL.append(w)
    return data


cdef WritePlan _plan_for(WritePlan plan, object value):
    cdef object cls = type(value)
    cdef PyObject* cached = PyDict_GetItem(plan._nested, cls)
    if cached != NULL:
        return <WritePlan>cached
    if plan._resolve is None:
        raise HazelcastSerializationError(f"no resolver for the nested compact value {value!r}")
    nested = plan._resolve(value)
    if not isinstance(nested, WritePlan):
        raise HazelcastSerializationError(f"the resolver returned {nested!r}, not a WritePlan")
    if (<WritePlan>nested).cls is cls:
        plan._nested[cls] = nested
    return <WritePlan>nested


cdef int _wp_write(WritePlan plan, CompactStreamWriter w, object obj, int depth) except -1:
    cdef object values
    cdef Py_ssize_t* order
    cdef Py_ssize_t norder
    cdef Py_ssize_t* own_order = NULL
    if depth > _MAX_DEPTH:
        raise HazelcastSerializationError(
            f"compact objects nested deeper than {_MAX_DEPTH} levels (a cyclic object graph?)")
    if plan._extract is None:
        if plan._from_dict and type(obj) is plan.cls:
            return _wp_write_from_dict(plan, w, obj, depth)
        values = plan._getter(obj)
        order = plan._order
        norder = plan._norder
    else:
        result = plan._extract(obj)
        if not isinstance(result, tuple) or len(result) != 2:
            raise HazelcastSerializationError("extract() must return (values, order)")
        values, order_obj = result
        if not isinstance(values, _SEQUENCE_TYPES) or len(values) != plan._n:
            raise HazelcastSerializationError(f"extract() must return {plan._n} values")
        if order_obj is None:
            order = plan._order
            norder = plan._norder
        else:
            own_order = plan._check_order(order_obj, &norder)
            order = own_order
    try:
        _wp_body(plan, w, PySequence_Fast_ITEMS(values), order, norder, depth)
    finally:
        PyMem_Free(own_order)
    return 0


cdef int _wp_write_from_dict(WritePlan plan, CompactStreamWriter w, object obj, int depth) except -1:
    cdef PyObject* values[32]
    cdef PyObject* item
    cdef Py_ssize_t i, taken = 0
    instance_dict = PyObject_GenericGetDict(obj, NULL)
    try:
        for i in range(plan._n):  # owned references: user code run during the write may change the object
            key = <object>PyTuple_GET_ITEM(plan._keys, i)
            item = PyDict_GetItem(instance_dict, key)
            if item == NULL:
                value = getattr(obj, key)
                Py_INCREF(value)
                values[i] = <PyObject*>value
            else:
                Py_INCREF(<object>item)
                values[i] = item
            taken += 1
        _wp_body(plan, w, values, plan._order, plan._norder, depth)
    finally:
        for i in range(taken):
            Py_XDECREF(values[i])
    return 0


cdef int _wp_body(WritePlan plan, CompactStreamWriter w, PyObject** values, Py_ssize_t* order, Py_ssize_t norder,
                  int depth) except -1:
    global _current_field
    cdef Py_ssize_t i, k, start, data_start, data_length, fixed = plan.fixed_length, var_count = plan.var_count
    cdef _Spec* spec
    cdef bint be = plan._be
    cdef Py_ssize_t small[16]
    cdef Py_ssize_t* offsets
    cdef object value
    _put64(w._grow(8), <uint64_t>plan._sid, be)
    start = w._len
    if var_count:
        memset(w._grow(4 + fixed), 0, 4 + fixed)
        data_start = start + 4
    else:
        memset(w._grow(fixed), 0, fixed)
        data_start = start
    for i in range(plan._n):
        spec = &plan._specs[i]
        if spec.cat == _CAT_FIXED:
            value = <object>values[i]
            if value is None:
                raise _field_error(plan._names[i], "None is not allowed for a non-nullable field")
            _current_field = plan._names[i]
            _put_fixed(w._data + data_start + spec.loc, spec.item, value, be)
    for i in range(plan._n):
        spec = &plan._specs[i]
        if spec.cat == _CAT_BIT:
            value = <object>values[i]
            if value is None:
                raise _field_error(plan._names[i], "None is not allowed for a non-nullable field")
            if value:
                w._data[data_start + spec.loc] |= <uint8_t>(1 << spec.bit)
    if var_count == 0:
        return 0
    if var_count <= 16:
        offsets = &small[0]
    else:
        offsets = <Py_ssize_t*>PyMem_Malloc(var_count * sizeof(Py_ssize_t))
        if offsets == NULL:
            raise MemoryError()  # pragma: no cover
    try:
        for k in range(var_count):
            offsets[k] = -1
        for k in range(norder):
            i = order[k]
            value = <object>values[i]
            if value is None:
                continue
            spec = &plan._specs[i]
            offsets[spec.loc] = w._len - data_start
            _current_field = plan._names[i]
            _write_var(plan, w, spec, value, depth)
        data_length = w._len - data_start
        if data_length > _MAX_INT32:  # pragma: no cover - needs a 2 GiB object
            raise HazelcastSerializationError(f"a {data_length}-byte compact object is too large")  # pragma: no cover
        _put32(w._data + start, <uint32_t>data_length, be)
        _append_offsets(w, offsets, var_count, data_length, be)
    finally:
        if offsets != &small[0]:
            PyMem_Free(offsets)
    return 0


cdef inline int _write_var(WritePlan plan, CompactStreamWriter w, _Spec* spec, object value, int depth) except -1:
    cdef int cat = spec.cat
    if cat == _CAT_SCALAR:
        return _write_item(plan, w, spec.item, value, depth)
    if cat == _CAT_PACKED:
        return _write_packed(plan, w, spec.item, value)
    if cat == _CAT_ARRAY:
        return _write_array(plan, w, spec.item, value, depth)
    return _write_bits(plan, w, value)


cdef int _write_item(WritePlan plan, CompactStreamWriter w, int item, object value, int depth) except -1:
    cdef bint be = plan._be
    cdef Py_ssize_t n
    cdef const char* utf8
    cdef uint8_t* p
    if item == _STRING:
        if not isinstance(value, str):
            raise TypeError(f"expected a str, got {type(value).__name__}")
        utf8 = PyUnicode_AsUTF8AndSize(value, &n)
        if n > _MAX_INT32:  # pragma: no cover - needs a 2 GiB string
            raise ValueError("string too long")  # pragma: no cover
        p = w._grow(4 + n)
        _put32(p, <uint32_t>n, be)
        memcpy(p + 4, utf8, n)
    elif item == _COMPACT:
        _wp_write(_plan_for(plan, value), w, value, depth + 1)
    elif item == _BOOLEAN:
        w._grow(1)[0] = 1 if value else 0
    elif item <= _FLOAT64:
        p = w._grow(_item_size(item))
        _put_fixed(p, item, value, be)
    elif item == _DECIMAL:
        data, scale = _decimal_parts(value)
        n = len(<bytes>data)
        p = w._grow(8 + n)
        _put32(p, <uint32_t>n, be)
        memcpy(p + 4, PyBytes_AS_STRING(data), n)
        _put32(p + 4 + n, <uint32_t><int32_t>scale, be)
    elif item == _TIME:
        if not isinstance(value, _time):
            raise TypeError(f"expected a datetime.time, got {type(value).__name__}")
        if value.tzinfo is not None:
            raise ValueError("a compact time has no time zone")
        p = w._grow(7)
        p[0] = <uint8_t>value.hour
        p[1] = <uint8_t>value.minute
        p[2] = <uint8_t>value.second
        _put32(p + 3, <uint32_t><int32_t>(value.microsecond * 1000), be)
    elif item == _DATE:
        if not isinstance(value, _date) or isinstance(value, _datetime):
            raise TypeError(f"expected a datetime.date, got {type(value).__name__}")
        p = w._grow(6)
        _put32(p, <uint32_t><int32_t>value.year, be)
        p[4] = <uint8_t>value.month
        p[5] = <uint8_t>value.day
    else:
        if not isinstance(value, _datetime):
            raise TypeError(f"expected a datetime.datetime, got {type(value).__name__}")
        if item == _TSTZ:
            offset = _tz_offset_seconds(value)
        elif value.tzinfo is not None:
            raise ValueError("a timestamp needs a naive datetime (use TIMESTAMP_WITH_TIMEZONE for aware ones)")
        p = w._grow(17 if item == _TSTZ else 13)
        _put32(p, <uint32_t><int32_t>value.year, be)
        p[4] = <uint8_t>value.month
        p[5] = <uint8_t>value.day
        p[6] = <uint8_t>value.hour
        p[7] = <uint8_t>value.minute
        p[8] = <uint8_t>value.second
        _put32(p + 9, <uint32_t><int32_t>(value.microsecond * 1000), be)
        if item == _TSTZ:
            _put32(p + 13, <uint32_t><int32_t>offset, be)
    return 0


cdef int _write_packed(WritePlan plan, CompactStreamWriter w, int item, object value) except -1:
    cdef Py_buffer view
    cdef Py_ssize_t n, i, size, start
    cdef uint8_t* p
    cdef bint be = plan._be
    cdef PyObject** items
    if item == _INT8 and isinstance(value, _BUFFER_TYPES):
        try:
            PyObject_GetBuffer(value, &view, PyBUF_SIMPLE)
        except BufferError as e:
            raise TypeError(str(e)) from None
        try:
            p = w._grow(4 + view.len)
            _put32(p, <uint32_t>view.len, be)
            memcpy(p + 4, view.buf, view.len)
        finally:
            PyBuffer_Release(&view)
        return 0
    if not isinstance(value, _SEQUENCE_TYPES):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    n = PySequence_Fast_GET_SIZE(value)
    items = PySequence_Fast_ITEMS(value)
    size = _item_size(item)
    start = w._len
    w._grow(4 + n * size)
    _put32(w._data + start, <uint32_t>n, be)
    for i in range(n):
        _put_fixed(w._data + start + 4 + i * size, item, <object>items[i], be)
    return 0


cdef int _write_bits(WritePlan plan, CompactStreamWriter w, object value) except -1:
    if not isinstance(value, _SEQUENCE_TYPES):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    cdef Py_ssize_t n = PySequence_Fast_GET_SIZE(value), i, nbytes = (n + 7) >> 3
    cdef PyObject** items = PySequence_Fast_ITEMS(value)
    cdef Py_ssize_t start = w._len
    cdef uint8_t* p = w._grow(4 + nbytes)
    memset(p, 0, 4 + nbytes)
    _put32(p, <uint32_t>n, plan._be)
    for i in range(n):
        v = <object>items[i]
        if v is None:
            raise TypeError("None is not a boolean")
        if v:
            w._data[start + 4 + (i >> 3)] |= <uint8_t>(1 << (i & 7))
    return 0


cdef int _write_array(WritePlan plan, CompactStreamWriter w, int item, object value, int depth) except -1:
    if not isinstance(value, _SEQUENCE_TYPES):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    cdef bint be = plan._be
    cdef Py_ssize_t n = PySequence_Fast_GET_SIZE(value), i, start = w._len, items_start, data_length
    cdef Py_ssize_t small[16]
    cdef Py_ssize_t* offsets
    cdef WritePlan first = None, nested
    cdef uint8_t* p = w._grow(8)
    _put32(p, 0, be)
    _put32(p + 4, <uint32_t>n, be)
    items_start = w._len
    if n <= 16:
        offsets = &small[0]
    else:
        offsets = <Py_ssize_t*>PyMem_Malloc(n * sizeof(Py_ssize_t))
        if offsets == NULL:
            raise MemoryError()  # pragma: no cover
    cdef PyObject** items = PySequence_Fast_ITEMS(value)
    try:
        for i in range(n):
            offsets[i] = -1
        for i in range(n):
            v = <object>items[i]
            if v is None:
                continue
            offsets[i] = w._len - items_start
            if item == _COMPACT:
                nested = _plan_for(plan, v)
                if first is None:
                    first = nested
                elif nested is not first:
                    raise TypeError("the items of an array of compact must all have the same type")
                _wp_write(nested, w, v, depth + 1)
            else:
                _write_item(plan, w, item, v, depth)
        data_length = w._len - items_start
        if data_length > _MAX_INT32:  # pragma: no cover - needs a 2 GiB array
            raise ValueError(f"an array of {data_length} bytes is too large")  # pragma: no cover
        _put32(w._data + start, <uint32_t>data_length, be)
        _append_offsets(w, offsets, n, data_length, be)
    finally:
        if offsets != &small[0]:
            PyMem_Free(offsets)
    return 0


# -- reading -------------------------------------------------------------------------------------------------------

cdef inline object _get_fixed(const uint8_t* p, int item, bint be):
    cdef _F32 f
    cdef _F64 d
    if item == _INT32:
        return <int32_t>_get32(p, be)
    if item == _INT64:
        return <int64_t>_get64(p, be)
    if item == _FLOAT64:
        d.u = _get64(p, be)
        return d.d
    if item == _INT8:
        return <int8_t>p[0]
    if item == _INT16:
        return <int16_t>_get16(p, be)
    if item == _FLOAT32:
        f.u = _get32(p, be)
        return <double>f.f
    return p[0] != 0  # a nullable boolean item


cdef inline Py_ssize_t _offset_at(const uint8_t* buf, bint be, Py_ssize_t table, Py_ssize_t index,
                                  Py_ssize_t osize) except -2:
    cdef uint16_t v16
    cdef int32_t v32
    if osize == 1:
        return -1 if buf[table + index] == 0xFF else buf[table + index]
    if osize == 2:
        v16 = _get16(buf + table + 2 * index, be)
        return -1 if v16 == 0xFFFF else v16
    v32 = <int32_t>_get32(buf + table + 4 * index, be)
    if v32 < -1:
        raise HazelcastSerializationError(f"malformed compact data: invalid offset {v32}")
    return v32


cdef class ReadPlan:
    """Reads bodies of one schema into Python objects (see ``_codec_py.ReadPlan``)."""

    cdef readonly Py_ssize_t fixed_length
    cdef readonly Py_ssize_t var_count
    cdef readonly int mode
    cdef readonly object target
    cdef _Spec* _specs
    cdef Py_ssize_t _n
    cdef tuple _names
    cdef tuple _keys
    cdef list _defaults
    cdef object _resolve
    cdef dict _plans
    cdef int _fill
    cdef bint _fast_new
    cdef dict _template
    cdef int64_t _last_sid
    cdef object _last_plan

    def __cinit__(self):
        self._specs = NULL

    def __dealloc__(self):
        PyMem_Free(self._specs)

    def __init__(self, fixed_length, var_count, fields, mode=READ_VALUES, target=None, defaults=(), resolve=None,
                 plans=None):
        checked = _check_layout(fields, fixed_length, var_count)
        if not isinstance(mode, int) or mode not in (READ_VALUES, READ_SETATTR, READ_KWARGS):
            raise HazelcastSerializationError(f"unknown read mode {mode!r}")
        if mode != READ_VALUES:
            if target is None:
                raise HazelcastSerializationError("the setattr and kwargs modes need a target class")
            for t in checked:
                if not isinstance(t[5], str):
                    raise HazelcastSerializationError(f"field {t[0]!r}: this mode needs a str key")
        checked_defaults = []
        for d in defaults:
            if len(d) != 3 or not isinstance(d[0], str):
                raise HazelcastSerializationError(f"a default needs (name, value, is_factory), got {d!r}")
            checked_defaults.append((d[0], d[1], bool(d[2])))
        PyMem_Free(self._specs)
        self._specs = NULL
        self.fixed_length = fixed_length
        self.var_count = var_count
        self.mode = mode
        self.target = target
        self._n = len(checked)
        self._specs = _make_specs(checked)
        self._names = tuple([t[0] for t in checked])
        self._keys = tuple([t[5] for t in checked])
        self._defaults = checked_defaults
        self._resolve = resolve
        self._plans = {} if plans is None else plans
        self._fill = _FILL_LIST
        self._fast_new = False
        self._last_plan = None
        self._last_sid = 0
        if mode == READ_SETATTR:
            self._fast_new = isinstance(target, type) and target.__new__ is _object_new
            if _can_fill_dict(target, list(self._keys) + [d[0] for d in checked_defaults]):
                self._fill = _FILL_DICT
                self._template = _dict_template(target, self._keys, self._fast_new)

    def read(self, CompactStreamReader reader):
        """Read one body at the reader's position; the position moves to the end of the object."""
        cdef Py_ssize_t end
        try:
            value = _rp_read(self, reader._p, reader._be, reader._pos, reader._n, 0, &end)
        except UnicodeDecodeError as e:
            raise HazelcastSerializationError(f"malformed compact data: invalid UTF-8: {e.reason}") from None
        reader._pos = end
        return value


cdef dict _dict_template(object target, tuple keys, bint fast_new):
    # Objects get a copy of this dict as their __dict__. Taken from an instance, it shares the class's cached keys
    # (a split table, like the dicts of instances made by __init__), which makes the copies cheap.
    if fast_new:
        probe = _new_instance(target, True)
        for key in keys:
            PyObject_GenericSetAttr(probe, key, None)
        template = PyObject_GenericGetDict(probe, NULL)
        if type(template) is dict and list(template) == list(keys):
            return template
    return dict.fromkeys(keys)  # duplicate keys, or instance dicts that do not keep the order attributes were set


cdef ReadPlan _nested_plan(ReadPlan plan, int64_t schema_id):
    if plan._last_plan is not None and plan._last_sid == schema_id:
        return <ReadPlan>plan._last_plan
    key = schema_id
    cdef PyObject* cached = PyDict_GetItem(plan._plans, key)
    if cached != NULL:
        plan._last_sid = schema_id
        plan._last_plan = <ReadPlan>cached
        return <ReadPlan>cached
    if plan._resolve is None:
        raise HazelcastSerializationError(f"unknown compact schema id {schema_id}")
    nested = plan._resolve(key)
    if not isinstance(nested, ReadPlan):
        raise HazelcastSerializationError(f"the resolver returned {nested!r}, not a ReadPlan")
    return <ReadPlan>nested


cdef inline int _store(ReadPlan plan, object out, Py_ssize_t i, object value) except -1:
    if plan._fill == _FILL_DICT:
        PyDict_SetItem(out, <object>PyTuple_GET_ITEM(plan._keys, i), value)
    else:
        Py_INCREF(value)
        PyList_SET_ITEM(out, i, value)
    return 0


cdef object _rp_read(ReadPlan plan, const uint8_t* buf, bint be, Py_ssize_t pos, Py_ssize_t limit, int depth,
                     Py_ssize_t* end):
    cdef Py_ssize_t fixed_length = plan.fixed_length, var_count = plan.var_count
    cdef Py_ssize_t data_start, data_end, data_length, table, osize, off, i
    cdef _Spec* spec
    cdef object out
    if depth > _MAX_DEPTH:
        raise HazelcastSerializationError(f"compact objects nested deeper than {_MAX_DEPTH} levels")
    if var_count == 0:
        if fixed_length > limit - pos:
            raise _truncated("a fixed section", pos)
        data_start = data_end = pos
        end[0] = pos + fixed_length
        data_length = fixed_length
        table = osize = 0
    else:
        if 4 > limit - pos:
            raise _truncated("a data length", pos)
        data_length = <int32_t>_get32(buf + pos, be)
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
        end[0] = table + var_count * osize
    out = PyDict_Copy(plan._template) if plan._fill == _FILL_DICT else PyList_New(plan._n)
    for i in range(plan._n):
        spec = &plan._specs[i]
        if spec.cat == _CAT_FIXED:
            _store(plan, out, i, _get_fixed(buf + data_start + spec.loc, spec.item, be))
        elif spec.cat == _CAT_BIT:
            _store(plan, out, i, (buf[data_start + spec.loc] & (1 << spec.bit)) != 0)
        else:
            off = _offset_at(buf, be, table, spec.loc, osize)
            if off == -1:
                if spec.flags & _F_NOT_NULL:
                    raise _field_error(plan._names[i], "the value is None but the target field is not nullable")
                _store(plan, out, i, None)
                continue
            if off >= data_length:
                raise HazelcastSerializationError(
                    f"malformed compact data: field {plan._names[i]!r} has offset {off} outside the "
                    f"{data_length}-byte object")
            _store(plan, out, i, _read_var(plan, buf, be, spec, plan._names[i], data_start + off, data_end, depth))
    return _rp_build(plan, out)


cdef object _rp_build(ReadPlan plan, object out):
    cdef Py_ssize_t i
    cdef int mode = plan.mode
    if mode == _M_VALUES:
        return out if plan.target is None else plan.target(out)
    if mode == _M_SETATTR:
        if plan._fill == _FILL_DICT:
            for key, value, is_factory in plan._defaults:
                PyDict_SetItem(out, key, value() if is_factory else value)
            obj = _new_instance(plan.target, plan._fast_new)
            PyObject_GenericSetDict(obj, out, NULL)
            return obj
        obj = _new_instance(plan.target, plan._fast_new)
        for i in range(plan._n):
            PyObject_GenericSetAttr(obj, plan._keys[i], (<list>out)[i])
        for key, value, is_factory in plan._defaults:
            PyObject_GenericSetAttr(obj, key, value() if is_factory else value)
        return obj
    kwargs = {}
    for i in range(plan._n):
        kwargs[plan._keys[i]] = (<list>out)[i]
    for key, value, is_factory in plan._defaults:
        kwargs[key] = value() if is_factory else value
    return plan.target(**kwargs)


cdef object _read_var(ReadPlan plan, const uint8_t* buf, bint be, _Spec* spec, object name, Py_ssize_t pos,
                      Py_ssize_t limit, int depth):
    cdef int cat = spec.cat, item = spec.item
    cdef Py_ssize_t data_length, count, items_start, table, osize, off, i, end
    cdef list out
    if cat == _CAT_SCALAR:
        return _read_item(plan, buf, be, item, pos, limit, depth, &end)
    if cat == _CAT_PACKED:
        return _read_packed(buf, be, item, pos, limit, spec.flags & _F_BYTES)
    if cat == _CAT_BITS:
        return _read_bits(buf, be, pos, limit)
    if 8 > limit - pos:
        raise _truncated("an array header", pos)
    data_length = <int32_t>_get32(buf + pos, be)
    count = <int32_t>_get32(buf + pos + 4, be)
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
    out = PyList_New(count)
    for i in range(count):
        off = _offset_at(buf, be, table, i, osize)
        if off == -1:
            if spec.flags & _F_NO_NULL_ITEMS:
                raise _field_error(name, f"item {i} is None but the target array is not nullable")
            value = None
        elif off >= data_length:
            raise HazelcastSerializationError(
                f"malformed compact data: array item {i} has offset {off} outside the {data_length}-byte array")
        else:
            value = _read_item(plan, buf, be, item, items_start + off, table, depth, &end)
        Py_INCREF(value)
        PyList_SET_ITEM(out, i, value)
    return out


cdef object _read_item(ReadPlan plan, const uint8_t* buf, bint be, int item, Py_ssize_t pos, Py_ssize_t limit,
                       int depth, Py_ssize_t* end):
    cdef Py_ssize_t n, size
    cdef int32_t scale
    if item == _STRING:
        if 4 > limit - pos:
            raise _truncated("a string length", pos)
        n = <int32_t>_get32(buf + pos, be)
        if n == -1:
            end[0] = pos + 4
            return None
        if n < 0 or n > limit - pos - 4:
            raise _truncated(f"a string of {n} bytes", pos)
        end[0] = pos + 4 + n
        return PyUnicode_DecodeUTF8(<const char*>(buf + pos + 4), n, NULL)  # UnicodeDecodeError: see the callers
    if item == _COMPACT:
        if 8 > limit - pos:
            raise _truncated("a schema id", pos)
        nested = _nested_plan(plan, <int64_t>_get64(buf + pos, be))
        return _rp_read(nested, buf, be, pos + 8, limit, depth + 1, end)
    if item <= _FLOAT64:
        size = _item_size(item)
        if size > limit - pos:
            raise _truncated(f"a {size}-byte value", pos)
        end[0] = pos + size
        return _get_fixed(buf + pos, item, be)
    if item == _DECIMAL:
        if 4 > limit - pos:
            raise _truncated("a decimal length", pos)
        n = <int32_t>_get32(buf + pos, be)
        if n <= 0 or n > limit - pos - 8:
            raise _truncated(f"a decimal of {n} bytes", pos)
        unscaled = int.from_bytes(PyBytes_FromStringAndSize(<const char*>(buf + pos + 4), n), "big", signed=True)
        scale = <int32_t>_get32(buf + pos + 4 + n, be)
        end[0] = pos + 8 + n
        return _Decimal(unscaled).scaleb(-(<int64_t>scale), _EXACT)  # 64-bit: -(-2**31) must not wrap
    if item == _TIME:
        if 7 > limit - pos:
            raise _truncated("a time", pos)
        end[0] = pos + 7
        return _make_time(buf, be, pos)
    if item == _DATE:
        if 6 > limit - pos:
            raise _truncated("a date", pos)
        end[0] = pos + 6
        return _make_datetime(buf, be, pos, False, False)
    if item == _TIMESTAMP:
        if 13 > limit - pos:
            raise _truncated("a timestamp", pos)
        end[0] = pos + 13
        return _make_datetime(buf, be, pos, True, False)
    if 17 > limit - pos:
        raise _truncated("a timestamp with time zone", pos)
    end[0] = pos + 17
    return _make_datetime(buf, be, pos, True, True)


cdef object _read_packed(const uint8_t* buf, bint be, int item, Py_ssize_t pos, Py_ssize_t limit, int as_bytes):
    cdef Py_ssize_t n, size, i, start
    cdef list out
    if 4 > limit - pos:
        raise _truncated("an array count", pos)
    n = <int32_t>_get32(buf + pos, be)
    if n == -1:
        return None
    size = _item_size(item)
    if n < 0 or n > (limit - pos - 4) // size:
        raise _truncated(f"an array of {n} items", pos)
    start = pos + 4
    if as_bytes and item == _INT8:
        return PyBytes_FromStringAndSize(<const char*>(buf + start), n)
    out = PyList_New(n)
    for i in range(n):
        v = _get_fixed(buf + start + i * size, item, be)
        Py_INCREF(v)
        PyList_SET_ITEM(out, i, v)
    return out


cdef object _read_bits(const uint8_t* buf, bint be, Py_ssize_t pos, Py_ssize_t limit):
    cdef Py_ssize_t n, i, start
    cdef list out
    if 4 > limit - pos:
        raise _truncated("an array count", pos)
    n = <int32_t>_get32(buf + pos, be)
    if n == -1:
        return None
    if n < 0 or (n >> 3) + (1 if n & 7 else 0) > limit - pos - 4:
        raise _truncated(f"an array of {n} booleans", pos)
    start = pos + 4
    out = [False] * n
    for i in range(n):
        if (buf[start + (i >> 3)] >> (i & 7)) & 1:
            out[i] = True
    return out


cdef object _make_time(const uint8_t* buf, bint be, Py_ssize_t pos):
    cdef int hour = <int8_t>buf[pos], minute = <int8_t>buf[pos + 1], second = <int8_t>buf[pos + 2]
    cdef int32_t nanos = <int32_t>_get32(buf + pos + 3, be)
    if nanos < 0 or nanos > 999999999:
        raise HazelcastSerializationError(f"malformed compact data: {nanos} nanoseconds at position {pos}")
    try:
        return _time(hour, minute, second, nanos // 1000)
    except ValueError as e:
        raise HazelcastSerializationError(f"malformed compact data: invalid time at position {pos}: {e}") from None


cdef object _make_datetime(const uint8_t* buf, bint be, Py_ssize_t pos, bint with_time, bint with_zone):
    cdef int32_t year = <int32_t>_get32(buf + pos, be), seconds
    cdef int month = <int8_t>buf[pos + 4], day = <int8_t>buf[pos + 5]
    try:
        if not with_time:
            return _date(year, month, day)
        t = _make_time(buf, be, pos + 6)
        tz = None
        if with_zone:
            seconds = <int32_t>_get32(buf + pos + 13, be)
            if seconds < -_MAX_TZ_OFFSET or seconds > _MAX_TZ_OFFSET:
                raise ValueError(f"UTC offset of {seconds} seconds is outside -18:00..+18:00")
            tz = _timezone(seconds)
        return _datetime(year, month, day, t.hour, t.minute, t.second, t.microsecond, tz)
    except (ValueError, OverflowError) as e:
        raise HazelcastSerializationError(f"malformed compact data: invalid date at position {pos}: {e}") from None


cdef object _read_value(const uint8_t* p, Py_ssize_t n, Py_ssize_t pos, bint be, dict plans, object resolve,
                        Py_ssize_t* end):
    try:
        return _read_value_raw(p, n, pos, be, plans, resolve, end)
    except UnicodeDecodeError as e:
        raise HazelcastSerializationError(f"malformed compact data: invalid UTF-8: {e.reason}") from None


cdef object _read_value_raw(const uint8_t* p, Py_ssize_t n, Py_ssize_t pos, bint be, dict plans, object resolve,
                            Py_ssize_t* end):
    if 8 > n - pos:
        raise _truncated("a schema id", pos)
    key = <int64_t>_get64(p + pos, be)
    cdef PyObject* cached = PyDict_GetItem(plans, key)
    if cached != NULL:
        plan = <ReadPlan>cached
    else:
        plan = resolve(key)
        if not isinstance(plan, ReadPlan):
            raise HazelcastSerializationError(f"the resolver returned {plan!r}, not a ReadPlan")
    return _rp_read(<ReadPlan>plan, p, be, pos + 8, n, 0, end)


def read_compact(CompactStreamReader reader, dict plans, resolve):
    """Read a compact value (``int64 schemaId`` then the body) at the reader's position (see the pure twin)."""
    cdef Py_ssize_t end
    value = _read_value(reader._p, reader._n, reader._pos, reader._be, plans, resolve, &end)
    reader._pos = end
    return value


cdef object _decode(object buffer, dict plans, object resolve, bint be):
    cdef Py_buffer view
    cdef Py_ssize_t end
    try:
        PyObject_GetBuffer(buffer, &view, PyBUF_SIMPLE)
    except BufferError:
        raise TypeError("a C-contiguous bytes-like object is required") from None
    try:
        if view.len < 8 or <int32_t>_get32(<const uint8_t*>view.buf + 4, True) != -55:
            raise HazelcastSerializationError("not a compact Data (type id -55)")
        value = _read_value(<const uint8_t*>view.buf, view.len, 8, be, plans, resolve, &end)
    except BaseException:
        PyBuffer_Release(&view)
        raise
    PyBuffer_Release(&view)
    return value


def decode_compact_data(buffer, dict plans, resolve, big_endian=True):
    """Decode a whole compact Data (header, schema id, body) with :func:`read_compact`."""
    return _decode(buffer, plans, resolve, bool(big_endian))


# -- the Data fast path ------------------------------------------------------------------------------------------

cdef int32_t _TYPE_STRING = -11
cdef int32_t _TYPE_INTEGER = -7


cdef bytes _data_codec_encode(WritePlan plan, object obj):
    """The Data bytes of ``obj`` by ``plan``; every failure as HazelcastSerializationError (DataCodec's contract)."""
    try:
        return _plan_to_data_raw(plan, obj)
    except HazelcastSerializationError:
        raise
    except _WRAPPED as e:
        raise _write_error(obj, e) from None
    except Exception as e:
        raise HazelcastSerializationError(f"cannot serialize {type(obj).__name__}: {e}") from e


cdef class DataCodec:
    """The hot path of ``SerializationService.to_data`` / ``to_object`` (see the pure twin)."""

    cdef dict _write_plans
    cdef dict _read_plans
    cdef object _resolve
    cdef object _data_class
    cdef object _to_data_fallback
    cdef object _to_object_fallback
    cdef bint _be
    cdef bint _int32
    cdef bint _fast_new
    cdef object _buffer  # the class's "buffer" descriptor (a slot): read and written without attribute lookups
    cdef descrgetfunc _get_buffer
    cdef descrsetfunc _set_buffer

    def __init__(self, dict write_plans, dict read_plans, resolve, data_class, to_data_fallback, to_object_fallback,
                 big_endian=True, int_as_int32=False):
        self._write_plans = write_plans
        self._read_plans = read_plans
        self._resolve = resolve
        self._data_class = data_class
        self._to_data_fallback = to_data_fallback
        self._to_object_fallback = to_object_fallback
        self._be = bool(big_endian)
        self._int32 = bool(int_as_int32)
        self._fast_new = isinstance(data_class, type) and data_class.__new__ is _object_new
        self._buffer = None
        self._get_buffer = NULL
        self._set_buffer = NULL
        descriptor = getattr(data_class, "__dict__", {}).get("buffer")
        if descriptor is not None and type(descriptor).__name__ == "member_descriptor":
            self._buffer = descriptor
            descriptor_type = type(descriptor)
            self._get_buffer = (<PyTypeObject*>descriptor_type).tp_descr_get
            self._set_buffer = (<PyTypeObject*>descriptor_type).tp_descr_set

    cdef object _wrap(self, object buffer):
        data = _new_instance(self._data_class, self._fast_new)
        if self._set_buffer != NULL:
            self._set_buffer(self._buffer, data, buffer)
        else:
            PyObject_GenericSetAttr(data, "buffer", buffer)
        return data

    cdef object _builtin_buffer(self, object obj):
        # the Data bytes of a str, or of an int in int32 range with int_as_int32 (big-endian only); None otherwise
        cdef object cls = type(obj)
        cdef const char* utf8
        cdef Py_ssize_t n
        cdef long long v
        cdef uint8_t* p
        if not self._be:
            return None
        if cls is str:
            try:
                utf8 = PyUnicode_AsUTF8AndSize(obj, &n)
            except UnicodeEncodeError:
                return None  # the fallback reports it
            if n > 0x7FFFFFFF: return None  # (one line: a 2 GiB string is not a test case)
            buffer = PyBytes_FromStringAndSize(NULL, 12 + n)
            p = <uint8_t*>PyBytes_AS_STRING(buffer)
            _put32(p, 0, True)
            _put32(p + 4, <uint32_t>_TYPE_STRING, True)
            _put32(p + 8, <uint32_t>n, True)
            memcpy(p + 12, utf8, n)
            return buffer
        if cls is int and self._int32:
            try:
                v = obj
            except OverflowError:
                return None
            if v < -0x80000000 or v > 0x7FFFFFFF:
                return None
            buffer = PyBytes_FromStringAndSize(NULL, 12)
            p = <uint8_t*>PyBytes_AS_STRING(buffer)
            _put32(p, 0, True)
            _put32(p + 4, <uint32_t>_TYPE_INTEGER, True)
            _put32(p + 8, <uint32_t><int32_t>v, True)
            return buffer
        return None

    def to_data(self, obj):
        """Data of a compact object whose class has a plan, of a str, and of an int in int32 range (with
        ``int_as_int32``; big-endian only for both); anything else goes to the fallback."""
        cdef PyObject* plan = PyDict_GetItem(self._write_plans, type(obj))
        if plan == NULL:
            buffer = self._builtin_buffer(obj)
            if buffer is None:
                return self._to_data_fallback(obj)
            return self._wrap(buffer)
        return self._wrap(_data_codec_encode(<WritePlan>plan, obj))

    def to_buffer(self, obj):
        """``to_data(obj).buffer`` without the Data object where the fast paths apply (None for None)."""
        cdef PyObject* plan = PyDict_GetItem(self._write_plans, type(obj))
        if plan == NULL:
            buffer = self._builtin_buffer(obj)
            if buffer is not None:
                return buffer
            data = self._to_data_fallback(obj)
            return None if data is None else data.buffer
        return _data_codec_encode(<WritePlan>plan, obj)

    def to_object(self, data):
        """The object of compact, str or int32 Data (a ``data_class`` instance or bytes; big-endian str and int32
        only); None for None; anything else goes to the fallback."""
        cdef object cls = type(data)
        cdef object buffer
        cdef Py_ssize_t end
        cdef int32_t type_id, length
        if cls is bytes:
            buffer = data
        elif cls is self._data_class:
            buffer = self._get_buffer(self._buffer, data, cls) if self._get_buffer != NULL else data.buffer
        elif data is None:
            return None
        else:
            return self._to_object_fallback(data)
        if type(buffer) is not bytes:
            return self._to_object_fallback(data)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(buffer)
        cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(buffer)
        if n < 12:
            return self._to_object_fallback(data)
        type_id = <int32_t>_get32(p + 4, True)
        if type_id == -55 and n >= 16:
            try:
                return _read_value_raw(p, n, 8, self._be, self._read_plans, self._resolve, &end)
            except HazelcastSerializationError:
                raise
            except UnicodeDecodeError as e:
                raise HazelcastSerializationError(f"malformed compact data: invalid UTF-8: {e.reason}") from None
            except Exception as e:
                raise HazelcastSerializationError(f"cannot deserialize: {e}") from e
        if self._be:
            if type_id == _TYPE_STRING:
                length = <int32_t>_get32(p + 8, True)
                if 0 <= length <= n - 12:
                    try:
                        return PyUnicode_DecodeUTF8(<const char*>p + 12, length, NULL)
                    except UnicodeDecodeError:
                        pass  # the fallback reports it
            elif type_id == _TYPE_INTEGER and n == 12:
                return <int32_t>_get32(p + 8, True)
        return self._to_object_fallback(data)


# ------------------------------------------------------------------------------------------------------------------
# Partitioner
# ------------------------------------------------------------------------------------------------------------------

cdef inline uint32_t _rotl32(uint32_t x, int r) noexcept nogil:
    return (x << r) | (x >> (32 - r))


cdef int32_t _murmur3_x86_32(const uint8_t* data, Py_ssize_t n, uint32_t seed) noexcept nogil:
    # MurmurHash3_x86_32 (blocks read little-endian, as the mmh3 package and Hazelcast's Java member do)
    cdef uint32_t c1 = 0xCC9E2D51U
    cdef uint32_t c2 = 0x1B873593U
    cdef uint32_t h1 = seed
    cdef uint32_t k1
    cdef Py_ssize_t i
    cdef Py_ssize_t blocks = n // 4
    for i in range(blocks):
        k1 = _get32(data + 4 * i, False)
        k1 *= c1
        k1 = _rotl32(k1, 15)
        k1 *= c2
        h1 ^= k1
        h1 = _rotl32(h1, 13)
        h1 = h1 * 5 + 0xE6546B64U
    cdef const uint8_t* tail = data + 4 * blocks
    cdef Py_ssize_t rest = n & 3
    k1 = 0
    if rest == 3:
        k1 ^= <uint32_t>tail[2] << 16
    if rest >= 2:
        k1 ^= <uint32_t>tail[1] << 8
    if rest >= 1:
        k1 ^= tail[0]
        k1 *= c1
        k1 = _rotl32(k1, 15)
        k1 *= c2
        h1 ^= k1
    h1 ^= <uint32_t>n
    h1 ^= h1 >> 16
    h1 *= 0x85EBCA6BU
    h1 ^= h1 >> 13
    h1 *= 0xC2B2AE35U
    h1 ^= h1 >> 16
    return <int32_t>h1


cdef class Partitioner:
    """The partition id of a serialized key (see the pure twin)."""

    cdef public Py_ssize_t count

    def __init__(self, Py_ssize_t count=0):
        if count < 0:
            raise ValueError("the partition count must not be negative")
        self.count = count

    def __call__(self, key_data):
        """``hashToIndex(partition hash, count)`` of the Data bytes ``key_data``."""
        cdef int32_t h
        cdef Py_ssize_t count = self.count
        if count <= 0:
            raise RuntimeError("the partition count is not known before the first connection to the cluster")
        if type(key_data) is not bytes:
            key_data = bytes(key_data)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(key_data)
        cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(key_data)
        if n < 8:
            raise HazelcastSerializationError(f"Data of {n} bytes is shorter than its 8-byte header")
        h = <int32_t>_get32(p, True)
        if h == 0:
            h = _murmur3_x86_32(p + 8, n - 8, 0x01000193)
        if h == -2147483648:
            return 0
        if h < 0:
            h = -h
        return h % count
