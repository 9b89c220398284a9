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
