# cython: language_level=3, embedsignature=True, freethreading_compatible=False
"""Compiled client-protocol framing and ICMP checksum (the twin of ``hazelcast/_framing_py.py``).

Wire format (Hazelcast Open Binary Client Protocol 2.x, all little-endian)::

    frame   = frame_length:int32 | flags:uint16 | content  (frame_length counts the 6 header bytes)
    message = frame* frame-with-IS_FINAL

The pure-Python twin documents the behaviour; this module must match it byte for byte and exception for
exception. Every length read from the wire is checked before it is used, written as ``n > limit - off``.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport (
    PyByteArray_AS_STRING, PyByteArray_FromStringAndSize, PyByteArray_GET_SIZE, PyByteArray_Resize,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.number cimport PyIndex_Check, PyNumber_Index
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

import uuid as _uuid

from hazelcast.errors import ProtocolError

BEGIN_FRAGMENT_FLAG = 0x8000
END_FRAGMENT_FLAG = 0x4000
UNFRAGMENTED_MESSAGE = 0xC000
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
cdef int64_t _MAX_MAX_MESSAGE_SIZE = (<int64_t>1 << 62) - 1

cdef enum:
    C_BEGIN_FRAGMENT = 0x8000
    C_END_FRAGMENT = 0x4000
    C_UNFRAGMENTED = 0xC000
    C_IS_FINAL = 0x2000
    C_BEGIN_DS = 0x1000
    C_END_DS = 0x0800
    C_IS_NULL = 0x0400
    C_IS_EVENT = 0x0200
    C_BACKUP_EVENT = 0x0080
    HDR = 6


# ------------------------------------------------------------------------------------------------------------------
# little-endian primitives on raw pointers (callers check bounds first)
# ------------------------------------------------------------------------------------------------------------------

cdef inline uint16_t _u16(const uint8_t* p) noexcept nogil:
    return <uint16_t>(p[0] | (<uint16_t>p[1] << 8))

cdef inline int32_t _i32(const uint8_t* p) noexcept nogil:
    return <int32_t>(<uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24))

cdef inline int64_t _i64(const uint8_t* p) noexcept nogil:
    cdef uint64_t lo = <uint32_t>_i32(p)
    cdef uint64_t hi = <uint32_t>_i32(p + 4)
    return <int64_t>(lo | (hi << 32))

cdef inline void _put_u16(uint8_t* p, uint16_t v) noexcept nogil:
    p[0] = v & 0xFF
    p[1] = (v >> 8) & 0xFF

cdef inline void _put_i32(uint8_t* p, int32_t v) noexcept nogil:
    cdef uint32_t u = <uint32_t>v
    p[0] = u & 0xFF
    p[1] = (u >> 8) & 0xFF
    p[2] = (u >> 16) & 0xFF
    p[3] = (u >> 24) & 0xFF

cdef inline void _put_i64(uint8_t* p, int64_t v) noexcept nogil:
    cdef uint64_t u = <uint64_t>v
    _put_i32(p, <int32_t>(<uint32_t>u))
    _put_i32(p + 4, <int32_t>(u >> 32))


cdef inline uint8_t* _ptr(object buf):
    # buf is always exactly bytes or bytearray (set only by this module)
    if type(buf) is bytearray:
        return <uint8_t*>PyByteArray_AS_STRING(buf)
    return <uint8_t*>PyBytes_AS_STRING(buf)


cdef inline Py_ssize_t _len(object buf):
    if type(buf) is bytearray:
        return PyByteArray_GET_SIZE(buf)
    return PyBytes_GET_SIZE(buf)


cdef inline object _index(object value):
    # struct.pack accepts exactly the objects with __index__ for integer formats; so do we
    if PyIndex_Check(value):
        return value
    raise TypeError("an integer is required")


cdef inline int64_t _fixed_i64(object value) except? -1:
    try:
        return _index(value)
    except (OverflowError, TypeError):
        raise ProtocolError(f"cannot encode {value!r} as int64") from None


def _check_max_message_size(value):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("max_message_size must be an int")
    if value < SIZE_OF_FRAME_LENGTH_AND_FLAGS or value > _MAX_MAX_MESSAGE_SIZE:
        raise ValueError(f"max_message_size must be between 6 and {_MAX_MAX_MESSAGE_SIZE}, got {value}")
    return value


cdef class _View:
    """A held buffer export of a bytes-like argument."""
    cdef Py_buffer view
    cdef bint held

    def __cinit__(self, object obj):
        self.held = False
        try:
            PyObject_GetBuffer(obj, &self.view, PyBUF_SIMPLE)
        except BufferError as e:
            raise TypeError(f"a C-contiguous bytes-like object is required: {e}") from None
        self.held = True

    def __dealloc__(self):
        if self.held:
            PyBuffer_Release(&self.view)


# ------------------------------------------------------------------------------------------------------------------
# fixed-size field readers
# ------------------------------------------------------------------------------------------------------------------

cdef inline const uint8_t* _fixed(_View v, Py_ssize_t offset, Py_ssize_t size) except NULL:
    if offset < 0 or size > v.view.len - offset:
        raise ProtocolError(
            f"fixed-size field of {size} bytes at offset {offset} is outside a {v.view.len}-byte frame"
        )
    return <const uint8_t*>v.view.buf + offset


def read_uint8(buf, Py_ssize_t offset):
    """Read an unsigned byte at ``offset`` of ``buf``."""
    cdef _View v = _View(buf)
    return _fixed(v, offset, 1)[0]


def read_int8(buf, Py_ssize_t offset):
    """Read a signed byte at ``offset`` of ``buf``."""
    cdef _View v = _View(buf)
    return <signed char>_fixed(v, offset, 1)[0]


def read_bool(buf, Py_ssize_t offset):
    """Read a boolean byte (any non-zero value is true) at ``offset`` of ``buf``."""
    cdef _View v = _View(buf)
    return _fixed(v, offset, 1)[0] != 0


def read_uint16(buf, Py_ssize_t offset):
    """Read a little-endian unsigned 16-bit integer at ``offset`` of ``buf``."""
    cdef _View v = _View(buf)
    return _u16(_fixed(v, offset, 2))


def read_int32(buf, Py_ssize_t offset):
    """Read a little-endian signed 32-bit integer at ``offset`` of ``buf``."""
    cdef _View v = _View(buf)
    return _i32(_fixed(v, offset, 4))


def read_int64(buf, Py_ssize_t offset):
    """Read a little-endian signed 64-bit integer at ``offset`` of ``buf``."""
    cdef _View v = _View(buf)
    return _i64(_fixed(v, offset, 8))


cdef object _uuid_from(const uint8_t* p):
    if p[0]:
        return None
    cdef uint64_t msb = <uint64_t>_i64(p + 1)
    cdef uint64_t lsb = <uint64_t>_i64(p + 9)
    return _uuid.UUID(int=(int(msb) << 64) | int(lsb))


def read_uuid(buf, Py_ssize_t offset):
    """Read a 17-byte nullable UUID (``is_null:bool, msb:int64, lsb:int64``) at ``offset`` of ``buf``."""
    cdef _View v = _View(buf)
    return _uuid_from(_fixed(v, offset, 17))


# ------------------------------------------------------------------------------------------------------------------
# Frame
# ------------------------------------------------------------------------------------------------------------------

cdef class Frame:
    """One frame of a client message: ``flags`` (uint16) and ``content`` (bytes, without the 6-byte header)."""

    cdef public object content
    cdef public int flags

    def __init__(self, content=b"", int flags=0):
        self.content = bytes(content)
        self.flags = flags

    def is_null_frame(self):
        """Whether this is a NULL frame (a null var-sized parameter)."""
        return (self.flags & C_IS_NULL) != 0

    def is_begin_frame(self):
        """Whether this frame opens a data structure."""
        return (self.flags & C_BEGIN_DS) != 0

    def is_end_frame(self):
        """Whether this frame closes a data structure."""
        return (self.flags & C_END_DS) != 0

    def is_final_frame(self):
        """Whether this frame ends its message."""
        return (self.flags & C_IS_FINAL) != 0

    def __eq__(self, other):
        if not isinstance(other, Frame):
            return NotImplemented
        return self.flags == (<Frame>other).flags and self.content == (<Frame>other).content

    def __ne__(self, other):
        r = self.__eq__(other)
        if r is NotImplemented:
            return r
        return not r

    def __hash__(self):
        return hash((self.flags, self.content))

    def __repr__(self):
        return f"Frame(flags=0x{self.flags:04x}, content={self.content!r})"


cdef inline Frame _new_frame(object content, int flags):
    cdef Frame f = Frame.__new__(Frame)
    f.content = content
    f.flags = flags
    return f


# ------------------------------------------------------------------------------------------------------------------
# ClientMessage
# ------------------------------------------------------------------------------------------------------------------

cdef class ClientMessage:
    """A client-protocol message held as its encoded frames in one buffer.

    Outbound messages are built in place with :meth:`create_request` and the ``append_*`` / ``set_*`` helpers, and
    encoded with :meth:`to_bytes`. Inbound messages come from :class:`MessageReader` and are decoded with a read
    cursor: :meth:`next_frame`, :meth:`read_string`, :meth:`read_bytes`, ... Frame-structure errors raise
    :class:`~hazelcast.errors.ProtocolError`.
    """

    cdef object _buf          # bytes or bytearray
    cdef Py_ssize_t _last     # offset of the last frame header; -1 none; -2 unknown
    cdef Py_ssize_t _pos      # read cursor
    cdef public bint retryable

    def __cinit__(self):
        self._buf = bytearray()
        self._last = -1
        self._pos = 0
        self.retryable = False

    @classmethod
    def create_request(cls, int32_t message_type, int32_t partition_id=-1, Py_ssize_t fixed_size=0):
        """A message whose initial frame has the request header and ``fixed_size`` zeroed bytes for parameters."""
        if fixed_size < 0:
            raise ValueError("fixed_size must not be negative")
        cdef ClientMessage msg = ClientMessage.__new__(ClientMessage)
        cdef Py_ssize_t size = REQUEST_HEADER_SIZE + fixed_size
        cdef bytearray buf = bytearray(HDR + size)
        cdef uint8_t* p = <uint8_t*>PyByteArray_AS_STRING(buf)
        _put_i32(p, <int32_t>(HDR + size))
        _put_u16(p + 4, C_UNFRAGMENTED)
        _put_i32(p + 6, message_type)
        _put_i32(p + 6 + 12, partition_id)
        msg._buf = buf
        msg._last = 0
        return msg

    @classmethod
    def create_keyed_request(cls, message_type, retryable, name, key, value, thread_id, ttl=None,
                             max_idle=None):
        """A whole keyed request in one call (see the pure twin)."""
        cdef int64_t fixed[3]
        cdef Py_ssize_t nfixed = 1
        message_type = PyNumber_Index(message_type)
        if not -0x80000000 <= message_type <= 0x7FFFFFFF:
            raise OverflowError("value too large to convert to int32_t")
        cdef int32_t mtype = message_type
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        if max_idle is not None and ttl is None:
            raise ValueError("max_idle needs a ttl")
        fixed[0] = _fixed_i64(thread_id)
        if ttl is not None:
            fixed[1] = _fixed_i64(ttl)
            nfixed = 2
            if max_idle is not None:
                fixed[2] = _fixed_i64(max_idle)
                nfixed = 3
        try:
            name_bytes = name.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ProtocolError(f"string is not encodable as UTF-8: {e}") from None
        cdef _View k = _View(key)
        cdef _View v = _View(value) if value is not None else None
        cdef Py_ssize_t n_name = PyBytes_GET_SIZE(name_bytes)
        cdef Py_ssize_t n_key = k.view.len
        cdef Py_ssize_t n_value = v.view.len if v is not None else 0
        if n_name > 0x7FFFFFFF - HDR or n_key > 0x7FFFFFFF - HDR or n_value > 0x7FFFFFFF - HDR:
            raise ProtocolError("frame content does not fit a frame")
        cdef Py_ssize_t initial = HDR + REQUEST_HEADER_SIZE + 8 * nfixed
        cdef Py_ssize_t total = initial + HDR + n_name + HDR + n_key + (HDR + n_value if v is not None else 0)
        cdef bytearray buf = PyByteArray_FromStringAndSize(NULL, total)
        cdef uint8_t* p = <uint8_t*>PyByteArray_AS_STRING(buf)
        cdef Py_ssize_t i
        _put_i32(p, <int32_t>initial)
        _put_u16(p + 4, C_UNFRAGMENTED)
        _put_i32(p + 6, mtype)
        _put_i64(p + 10, 0)
        _put_i32(p + 18, -1)
        for i in range(nfixed):
            _put_i64(p + 22 + 8 * i, fixed[i])
        cdef Py_ssize_t off = initial
        _put_i32(p + off, <int32_t>(HDR + n_name))
        _put_u16(p + off + 4, 0)
        memcpy(p + off + HDR, PyBytes_AS_STRING(name_bytes), n_name)
        off += HDR + n_name
        _put_i32(p + off, <int32_t>(HDR + n_key))
        _put_u16(p + off + 4, 0)
        if n_key:
            memcpy(p + off + HDR, k.view.buf, n_key)
        cdef Py_ssize_t last = off
        if v is not None:
            off += HDR + n_key
            _put_i32(p + off, <int32_t>(HDR + n_value))
            _put_u16(p + off + 4, 0)
            if n_value:
                memcpy(p + off + HDR, v.view.buf, n_value)
            last = off
        cdef ClientMessage msg = ClientMessage.__new__(ClientMessage)
        msg._buf = buf
        msg._last = last
        msg.retryable = True if retryable else False
        return msg

    def set_request_header(self, correlation_id, partition_id, add_flags):
        """Write the correlation id and the partition id of a request and OR ``add_flags`` into the flags of its
        initial frame (see the pure twin)."""
        cdef int64_t cid
        cdef int32_t pid
        if _len(self._buf) < HDR:
            raise ProtocolError("message has no frames")
        cdef Py_ssize_t length = _i32(_ptr(self._buf)) - HDR
        if 8 > length - 4:
            raise ProtocolError(f"fixed-size field of 8 bytes at offset 4 is outside a {length}-byte initial frame")
        if 4 > length - 12:
            raise ProtocolError(f"fixed-size field of 4 bytes at offset 12 is outside a {length}-byte initial frame")
        try:
            cid = _index(correlation_id)
        except (OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {correlation_id!r} as int64") from None
        try:
            pid = _index(partition_id)
        except (OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {partition_id!r} as int32") from None
        cdef uint16_t add = (add_flags & 0xFFFF) & ~C_IS_FINAL & 0xFFFF
        self._writable()
        cdef uint8_t* p = _ptr(self._buf)
        _put_u16(p + 4, _u16(p + 4) | add)
        _put_i64(p + HDR + 4, cid)
        _put_i32(p + HDR + 12, pid)

    cdef bytearray _writable(self):
        if type(self._buf) is not bytearray:
            self._buf = bytearray(self._buf)
        return <bytearray>self._buf

    cdef Py_ssize_t _find_last(self):
        if self._last != -2:
            return self._last
        cdef const uint8_t* p = _ptr(self._buf)
        cdef Py_ssize_t end = _len(self._buf)
        cdef Py_ssize_t off = 0
        cdef Py_ssize_t last = -1
        while off < end:
            last = off
            off += _i32(p + off)
        self._last = last
        return last

    cdef int _append(self, const uint8_t* data, Py_ssize_t n, int flags) except -1:
        if n > 0x7FFFFFFF - HDR:
            raise ProtocolError(f"frame content of {n} bytes does not fit a frame")
        cdef bytearray buf = self._writable()
        cdef Py_ssize_t last = self._find_last()
        cdef Py_ssize_t old_len = PyByteArray_GET_SIZE(buf)
        cdef uint8_t* p
        if last >= 0:
            p = <uint8_t*>PyByteArray_AS_STRING(buf)
            _put_u16(p + last + 4, _u16(p + last + 4) & ~C_IS_FINAL & 0xFFFF)
        PyByteArray_Resize(buf, old_len + HDR + n)
        p = <uint8_t*>PyByteArray_AS_STRING(buf)
        _put_i32(p + old_len, <int32_t>(n + HDR))
        _put_u16(p + old_len + 4, <uint16_t>(flags & ~C_IS_FINAL & 0xFFFF))
        if n:
            memcpy(p + old_len + HDR, data, n)
        self._last = old_len
        return 0

    def append_frame(self, content=b"", int flags=0):
        """Append one frame; IS_FINAL is managed by :meth:`to_bytes`."""
        cdef _View v = _View(content)
        self._append(<const uint8_t*>v.view.buf, v.view.len, flags)

    def append_string(self, str value):
        """Append a String frame (UTF-8, no length prefix)."""
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ProtocolError(f"string is not encodable as UTF-8: {e}") from None
        self._append(<const uint8_t*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), 0)

    def append_nullable_string(self, value):
        """Append a String frame, or a NULL frame for ``None``."""
        if value is None:
            self._append(NULL, 0, C_IS_NULL)
        else:
            self.append_string(value)

    def append_bytes(self, value):
        """Append a byteArray (or Data) frame holding ``value`` as is."""
        cdef _View v = _View(value)
        self._append(<const uint8_t*>v.view.buf, v.view.len, 0)

    def append_data(self, value):
        """Append a Data frame holding ``value`` as is."""
        cdef _View v = _View(value)
        self._append(<const uint8_t*>v.view.buf, v.view.len, 0)

    def append_nullable_bytes(self, value):
        """Append a byteArray/Data frame, or a NULL frame for ``None``."""
        if value is None:
            self._append(NULL, 0, C_IS_NULL)
        else:
            self.append_bytes(value)

    def append_nullable_data(self, value):
        """Append a Data frame, or a NULL frame for ``None``."""
        if value is None:
            self._append(NULL, 0, C_IS_NULL)
        else:
            self.append_bytes(value)

    def append_null(self):
        """Append a NULL frame."""
        self._append(NULL, 0, C_IS_NULL)

    def append_begin(self):
        """Append a BEGIN (data structure) frame."""
        self._append(NULL, 0, C_BEGIN_DS)

    def append_end(self):
        """Append an END (data structure) frame."""
        self._append(NULL, 0, C_END_DS)

    # -- initial-frame fields -------------------------------------------------------------------------------------

    cdef uint8_t* _initial(self, Py_ssize_t offset, Py_ssize_t size, bint write) except NULL:
        cdef Py_ssize_t total = _len(self._buf)
        if total < HDR:
            raise ProtocolError("message has no frames")
        cdef Py_ssize_t length = _i32(_ptr(self._buf)) - HDR
        if offset < 0 or size > length - offset:
            raise ProtocolError(
                f"fixed-size field of {size} bytes at offset {offset} is outside a {length}-byte initial frame"
            )
        if write:
            self._writable()
        return _ptr(self._buf) + HDR + offset

    def set_uint8(self, Py_ssize_t offset, value):
        """Write an unsigned byte at content ``offset`` of the initial frame."""
        cdef uint8_t* p = self._initial(offset, 1, False)
        cdef uint8_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {value!r} as uint8") from None
        self._initial(offset, 1, True)[0] = v

    def set_int8(self, Py_ssize_t offset, value):
        """Write a signed byte at content ``offset`` of the initial frame."""
        cdef uint8_t* p = self._initial(offset, 1, False)
        cdef signed char v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {value!r} as int8") from None
        self._initial(offset, 1, True)[0] = <uint8_t>v

    def set_bool(self, Py_ssize_t offset, value):
        """Write a boolean byte at content ``offset`` of the initial frame."""
        self._initial(offset, 1, True)[0] = 1 if value else 0

    cdef int _set_i32(self, Py_ssize_t offset, object value) except -1:
        self._initial(offset, 4, False)
        cdef int32_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {value!r} as int32") from None
        _put_i32(self._initial(offset, 4, True), v)
        return 0

    cdef int _set_i64(self, Py_ssize_t offset, object value) except -1:
        self._initial(offset, 8, False)
        cdef int64_t v
        try:
            v = _index(value)
        except (OverflowError, TypeError):
            raise ProtocolError(f"cannot encode {value!r} as int64") from None
        _put_i64(self._initial(offset, 8, True), v)
        return 0

    def set_int32(self, Py_ssize_t offset, value):
        """Write a little-endian int32 at content ``offset`` of the initial frame."""
        self._set_i32(offset, value)

    def set_int64(self, Py_ssize_t offset, value):
        """Write a little-endian int64 at content ``offset`` of the initial frame."""
        self._set_i64(offset, value)

    def set_uuid(self, Py_ssize_t offset, value):
        """Write a 17-byte nullable UUID at content ``offset`` of the initial frame."""
        cdef uint8_t* p = self._initial(offset, 17, False)
        cdef uint64_t msb, lsb
        if value is None:
            p = self._initial(offset, 17, True)
            p[0] = 1
            _put_i64(p + 1, 0)
            _put_i64(p + 9, 0)
            return
        if not isinstance(value, _uuid.UUID):
            raise ProtocolError(f"cannot encode {value!r} as a UUID")
        v = value.int
        msb = v >> 64
        lsb = v & 0xFFFFFFFFFFFFFFFF
        p = self._initial(offset, 17, True)
        p[0] = 0
        _put_i64(p + 1, <int64_t>msb)
        _put_i64(p + 9, <int64_t>lsb)

    @property
    def message_type(self):
        """The message type id (int32 at content offset 0 of the initial frame)."""
        return _i32(self._initial(0, 4, False))

    @message_type.setter
    def message_type(self, value):
        self._set_i32(0, value)

    @property
    def correlation_id(self):
        """The correlation id (int64 at content offset 4 of the initial frame)."""
        return _i64(self._initial(4, 8, False))

    @correlation_id.setter
    def correlation_id(self, value):
        self._set_i64(4, value)

    @property
    def partition_id(self):
        """The partition id of a request or event (int32 at content offset 12 of the initial frame)."""
        return _i32(self._initial(12, 4, False))

    @partition_id.setter
    def partition_id(self, value):
        self._set_i32(12, value)

    @property
    def backup_acks(self):
        """The number of backup acks a response announces (uint8 at content offset 12)."""
        return self._initial(12, 1, False)[0]

    @property
    def flags(self):
        """The flags of the initial frame."""
        if _len(self._buf) < HDR:
            raise ProtocolError("message has no frames")
        return _u16(_ptr(self._buf) + 4)

    @flags.setter
    def flags(self, value):
        cdef uint16_t v = value & 0xFFFF
        if _len(self._buf) < HDR:
            raise ProtocolError("message has no frames")
        self._writable()
        cdef uint8_t* p = _ptr(self._buf)
        _put_u16(p + 4, (v & ~C_IS_FINAL & 0xFFFF) | (_u16(p + 4) & C_IS_FINAL))

    def response_header(self):
        """``(correlation_id, flags, message_type, backup_acks)`` in one call (see the pure twin)."""
        cdef Py_ssize_t total = _len(self._buf)
        if total < HDR:
            raise ProtocolError("message has no frames")
        cdef const uint8_t* p = _ptr(self._buf)
        cdef int32_t length = _i32(p)
        if length < HDR + 13 or total < HDR + 13:
            raise ProtocolError(f"a response header needs 13 bytes, the initial frame has {length - HDR}")
        return _i64(p + HDR + 4), _u16(p + 4), _i32(p + HDR), p[HDR + 12]

    def is_event(self):
        """Whether the initial frame carries IS_EVENT."""
        return (self.flags & C_IS_EVENT) != 0

    def is_backup_event(self):
        """Whether the initial frame carries BACKUP_EVENT."""
        return (self.flags & C_BACKUP_EVENT) != 0

    # -- whole-message views --------------------------------------------------------------------------------------

    @property
    def frames(self):
        """The frames of the message (copies)."""
        cdef const uint8_t* p = _ptr(self._buf)
        cdef Py_ssize_t end = _len(self._buf)
        cdef Py_ssize_t off = 0
        cdef int32_t length
        out = []
        while off < end:
            length = _i32(p + off)
            out.append(_new_frame(PyBytes_FromStringAndSize(<const char*>p + off + HDR, length - HDR),
                                  _u16(p + off + 4)))
            off += length
        return out

    @property
    def frame_count(self):
        """Number of frames in the message."""
        cdef const uint8_t* p = _ptr(self._buf)
        cdef Py_ssize_t end = _len(self._buf)
        cdef Py_ssize_t off = 0
        cdef Py_ssize_t n = 0
        while off < end:
            off += _i32(p + off)
            n += 1
        return n

    @property
    def nbytes(self):
        """Encoded size of the message in bytes."""
        return _len(self._buf)

    def to_bytes(self):
        """Encode the whole message into one buffer, with IS_FINAL on the last frame."""
        cdef Py_ssize_t last = self._find_last()
        if last < 0:
            raise ProtocolError("cannot encode a message without frames")
        cdef uint8_t* p = _ptr(self._buf)
        cdef uint16_t flags = _u16(p + last + 4)
        if not (flags & C_IS_FINAL):
            self._writable()
            p = _ptr(self._buf)
            _put_u16(p + last + 4, flags | C_IS_FINAL)
        if type(self._buf) is bytes:
            return self._buf
        return PyBytes_FromStringAndSize(<const char*>_ptr(self._buf), _len(self._buf))

    def copy(self):
        """An independent copy (the read cursor starts at the first frame)."""
        cdef ClientMessage msg = ClientMessage.__new__(ClientMessage)
        msg._buf = bytearray(self._buf)
        msg._last = self._last
        msg.retryable = self.retryable
        return msg

    # -- read cursor ------------------------------------------------------------------------------------------------

    def reset_read(self):
        """Move the read cursor back to the initial frame."""
        self._pos = 0

    def has_next_frame(self):
        """Whether the read cursor is before a frame."""
        return self._pos < _len(self._buf)

    cdef int _next(self, Py_ssize_t* start, Py_ssize_t* end) except -1:
        cdef Py_ssize_t pos = self._pos
        if pos >= _len(self._buf):
            raise ProtocolError("unexpected end of message: no more frames")
        cdef const uint8_t* p = _ptr(self._buf) + pos
        cdef int32_t length = _i32(p)
        start[0] = pos + HDR
        end[0] = pos + length
        self._pos = pos + length
        return _u16(p + 4)

    def peek_flags(self):
        """Flags of the next frame, or -1 at the end of the message. Does not move the cursor."""
        if self._pos >= _len(self._buf):
            return -1
        return _u16(_ptr(self._buf) + self._pos + 4)

    def next_frame(self):
        """Return the next frame (a copy) and advance."""
        cdef Py_ssize_t start, end
        cdef int flags = self._next(&start, &end)
        return _new_frame(PyBytes_FromStringAndSize(<const char*>_ptr(self._buf) + start, end - start), flags)

    def skip_frame(self):
        """Advance past the next frame."""
        cdef Py_ssize_t start, end
        self._next(&start, &end)

    def next_is_null(self):
        """If the next frame is a NULL frame, consume it and return True; otherwise return False."""
        cdef Py_ssize_t start, end
        if self._pos >= _len(self._buf):
            return False
        if _u16(_ptr(self._buf) + self._pos + 4) & C_IS_NULL:
            self._next(&start, &end)
            return True
        return False

    def next_is_end(self):
        """Whether the next frame is an END frame (not consumed); False at the end of the message."""
        if self._pos >= _len(self._buf):
            return False
        return (_u16(_ptr(self._buf) + self._pos + 4) & C_END_DS) != 0

    def read_begin(self):
        """Consume a BEGIN frame, or raise ProtocolError."""
        cdef Py_ssize_t start, end
        cdef int flags = self._next(&start, &end)
        if not (flags & C_BEGIN_DS):
            raise ProtocolError(f"expected a BEGIN frame, got flags 0x{flags:04x}")

    def read_end(self):
        """Consume an END frame, or raise ProtocolError."""
        cdef Py_ssize_t start, end
        cdef int flags = self._next(&start, &end)
        if not (flags & C_END_DS):
            raise ProtocolError(f"expected an END frame, got flags 0x{flags:04x}")

    def fast_forward_to_end_frame(self):
        """Skip frames up to and including the END frame that closes the current structure (nesting counted)."""
        cdef Py_ssize_t start, end
        cdef Py_ssize_t depth = 1
        cdef int flags
        while depth:
            flags = self._next(&start, &end)
            if flags & C_END_DS:
                depth -= 1
            elif flags & C_BEGIN_DS:
                depth += 1

    def read_string(self):
        """Read a String frame."""
        cdef Py_ssize_t start, end
        cdef int flags = self._next(&start, &end)
        if flags & C_IS_NULL:
            raise ProtocolError("expected a String frame, got a NULL frame")
        try:
            return PyUnicode_DecodeUTF8(<const char*>_ptr(self._buf) + start, end - start, NULL)
        except UnicodeDecodeError as e:
            raise ProtocolError(f"String frame is not valid UTF-8: {e}") from None

    def read_nullable_string(self):
        """Read a String frame or a NULL frame (``None``)."""
        if self.next_is_null():
            return None
        return self.read_string()

    def read_bytes(self):
        """Read a byteArray (or Data) frame's content."""
        cdef Py_ssize_t start, end
        cdef int flags = self._next(&start, &end)
        if flags & C_IS_NULL:
            raise ProtocolError("expected a byteArray frame, got a NULL frame")
        return PyBytes_FromStringAndSize(<const char*>_ptr(self._buf) + start, end - start)

    def read_data(self):
        """Read a Data frame's content."""
        return self.read_bytes()

    def read_nullable_bytes(self):
        """Read a byteArray/Data frame or a NULL frame (``None``)."""
        if self.next_is_null():
            return None
        return self.read_bytes()

    def read_nullable_data(self):
        """Read a Data frame or a NULL frame (``None``)."""
        if self.next_is_null():
            return None
        return self.read_bytes()

    def read_response_nullable_data(self):
        """The single ``Data?`` parameter of a response in one call (see the pure twin)."""
        cdef Py_ssize_t start, end
        cdef int flags
        self._pos = 0
        self._next(&start, &end)
        flags = self._next(&start, &end)
        if flags & C_IS_NULL:
            return None
        return PyBytes_FromStringAndSize(<const char*>_ptr(self._buf) + start, end - start)

    def __repr__(self):
        try:
            mtype = f"0x{self.message_type:06x}"
        except ProtocolError:
            mtype = "?"
        return f"ClientMessage(type={mtype}, frames={self.frame_count}, bytes={_len(self._buf)})"


cdef inline ClientMessage _wrap(object buf, Py_ssize_t last):
    cdef ClientMessage msg = ClientMessage.__new__(ClientMessage)
    msg._buf = buf
    msg._last = last
    return msg


# ------------------------------------------------------------------------------------------------------------------
# MessageReader
# ------------------------------------------------------------------------------------------------------------------

cdef class MessageReader:
    """Finds frame and message boundaries in a byte stream and reassembles fragmented messages.

    ``feed(data)`` accepts bytes-like data split at any byte and returns the messages completed by it. Every frame
    length is validated as soon as its header is complete: below 6, or a message (together with the fragments held
    for reassembly) larger than ``max_message_size``, raises :class:`~hazelcast.errors.ProtocolError` before any
    memory is set aside for it. After an error the reader stays failed.

    Each byte is copied out of ``data`` once: into the message it completes, into the buffer of an incomplete
    message, or (the frames of a fragment, found by the fragment id of its fragmentation frame) straight onto the end
    of the fragmented message being reassembled.
    """

    cdef int64_t _max
    cdef bytearray _pending
    cdef int64_t _msg_size
    cdef int64_t _skip
    cdef bint _final
    cdef int _hdr_have
    cdef dict _fragments
    cdef int64_t _fragment_bytes
    # 0: an unfragmented message (or none) is being read; 1: the fragmentation frame of a fragment (its flags in
    # _frag_flags); 2: the frames of a fragment, appended to _acc (from offset _acc_start) as they arrive
    cdef int _frag
    cdef uint16_t _frag_flags
    cdef bytearray _acc
    cdef list _acc_entry
    cdef Py_ssize_t _acc_start
    cdef object _error

    def __init__(self, max_message_size=DEFAULT_MAX_MESSAGE_SIZE):
        self._max = _check_max_message_size(max_message_size)
        self._pending = bytearray()
        self._msg_size = 0
        self._skip = 0
        self._final = False
        self._hdr_have = 0
        self._fragments = {}
        self._fragment_bytes = 0
        self._frag = 0
        self._frag_flags = 0
        self._acc = None
        self._acc_entry = None
        self._acc_start = 0
        self._error = None

    @property
    def max_message_size(self):
        """The largest message (and the most fragment bytes held at once) this reader accepts."""
        return self._max

    @property
    def buffered_bytes(self):
        """Bytes held for incomplete messages and fragments."""
        cdef Py_ssize_t streaming = 0
        if self._acc is not None:
            streaming = PyByteArray_GET_SIZE(self._acc) - self._acc_start
        return PyByteArray_GET_SIZE(self._pending) + self._fragment_bytes + streaming

    cdef object _fail(self, str message):
        self._error = message
        return ProtocolError(message)

    cdef int _extend(self, bytearray target, const uint8_t* p, Py_ssize_t n) except -1:
        if n <= 0:
            return 0
        cdef Py_ssize_t old = PyByteArray_GET_SIZE(target)
        PyByteArray_Resize(target, old + n)
        memcpy(PyByteArray_AS_STRING(target) + old, p, n)
        return 0

    def feed(self, data):
        """Consume ``data`` and return the messages it completes, in order."""
        if self._error is not None:
            raise ProtocolError(f"reader is unusable after an earlier error: {self._error}")
        cdef _View v = _View(data)
        cdef const uint8_t* p = <const uint8_t*>v.view.buf
        cdef Py_ssize_t n = v.view.len
        cdef Py_ssize_t pos = 0
        cdef Py_ssize_t start = 0
        cdef Py_ssize_t take
        cdef int have
        cdef int32_t length
        cdef uint16_t flags
        cdef uint8_t hdr[6]
        cdef bytearray held
        cdef list out = []
        while pos < n:
            if self._skip:
                take = n - pos
                if take > self._skip:
                    take = <Py_ssize_t>self._skip
                pos += take
                self._skip -= take
                if self._skip:
                    break
            else:
                have = self._hdr_have
                if n - pos < 6 - have:
                    self._hdr_have = have + <int>(n - pos)
                    pos = n
                    break
                if have:
                    held = self._acc if self._frag == 2 else self._pending
                    memcpy(hdr, PyByteArray_AS_STRING(held) + PyByteArray_GET_SIZE(held) - have, have)
                    memcpy(hdr + have, p + pos, 6 - have)
                    length = _i32(hdr)
                    flags = _u16(hdr + 4)
                    pos += 6 - have
                    self._hdr_have = 0
                else:
                    length = _i32(p + pos)
                    flags = _u16(p + pos + 4)
                    pos += 6
                if length < HDR:
                    raise self._fail(f"invalid frame length {length}: a frame is at least 6 bytes")
                if length > self._max - self._fragment_bytes - self._msg_size:
                    raise self._fail(
                        f"message exceeds max_message_size {self._max}: frame of {length} bytes after "
                        f"{self._msg_size} message bytes and {self._fragment_bytes} fragment bytes"
                    )
                if self._msg_size == 0 and (flags & C_UNFRAGMENTED) != C_UNFRAGMENTED:
                    if length - HDR < FRAGMENTATION_ID_SIZE:
                        raise self._fail(f"fragmentation frame of {length} bytes is too short for a fragment id")
                    self._frag = 1
                    self._frag_flags = flags
                self._msg_size += length
                self._skip = length - HDR
                self._final = (flags & C_IS_FINAL) != 0
                if self._skip:
                    continue
            # a frame ended at pos
            if self._frag == 1:
                self._begin_fragment(p, start, pos)
                start = pos
                self._frag = 2
            if self._final:
                if self._frag:
                    self._extend(self._acc, p + start, pos - start)
                    msg = self._end_fragment(self._msg_size)
                    self._frag = 0
                elif PyByteArray_GET_SIZE(self._pending):
                    self._extend(self._pending, p + start, pos - start)
                    msg = _wrap(self._pending, -2)
                    self._pending = bytearray()
                else:
                    msg = _wrap(PyBytes_FromStringAndSize(<const char*>p + start, pos - start), -2)
                if msg is not None:
                    out.append(msg)
                start = pos
                self._msg_size = 0
                self._final = False
        if start < n:
            self._extend(self._acc if self._frag == 2 else self._pending, p + start, n - start)
        return out

    cdef int _begin_fragment(self, const uint8_t* p, Py_ssize_t start, Py_ssize_t pos) except -1:
        """The fragmentation frame (held bytes + ``p[start:pos]``) is complete: find the fragment's message and
        append the frames that follow to it from now on."""
        cdef uint8_t head[14]  # frame header (6) + fragment id (8)
        cdef Py_ssize_t held = PyByteArray_GET_SIZE(self._pending)
        cdef Py_ssize_t need = 14
        if held >= need:
            memcpy(head, PyByteArray_AS_STRING(self._pending), need)
        else:
            memcpy(head, PyByteArray_AS_STRING(self._pending), held)
            memcpy(head + held, p + start, need - held)
        fragment_id = _i64(head + HDR)
        self._pending = bytearray()
        cdef list entry
        if self._frag_flags & C_BEGIN_FRAGMENT:
            if fragment_id in self._fragments:
                raise self._fail(f"fragment id {fragment_id} began twice")
            entry = [bytearray(), -1, 0, fragment_id]
            self._fragments[fragment_id] = entry
        else:
            entry = self._fragments.get(fragment_id)
            if entry is None:
                raise self._fail(f"fragment for unknown fragment id {fragment_id}")
        self._acc_entry = entry
        self._acc = <bytearray>entry[0]
        self._acc_start = PyByteArray_GET_SIZE(self._acc)
        return 0

    cdef object _end_fragment(self, int64_t total):
        """The fragment of ``total`` bytes is complete (its frames are in the accumulator): the reassembled message
        when it was the last fragment, else None."""
        cdef list entry = self._acc_entry
        cdef bytearray acc = self._acc
        cdef uint8_t* a = <uint8_t*>PyByteArray_AS_STRING(acc)
        cdef Py_ssize_t end = PyByteArray_GET_SIZE(acc)
        cdef Py_ssize_t last = -1
        cdef Py_ssize_t off = self._acc_start
        cdef Py_ssize_t prev_last
        while off < end:
            last = off
            off += _i32(a + off)
        self._acc = None
        self._acc_entry = None
        if last >= 0:
            prev_last = entry[1]
            if prev_last >= 0:
                _put_u16(a + prev_last + 4, _u16(a + prev_last + 4) & ~C_IS_FINAL & 0xFFFF)
            entry[1] = last
        entry[2] = entry[2] + total
        self._fragment_bytes += total
        if not (self._frag_flags & C_END_FRAGMENT):
            return None
        del self._fragments[entry[3]]
        self._fragment_bytes -= <int64_t>entry[2]
        if end == 0:
            raise self._fail(f"fragmented message {entry[3]} has no frames")
        return _wrap(acc, entry[1])


# ------------------------------------------------------------------------------------------------------------------
# ICMP checksum
# ------------------------------------------------------------------------------------------------------------------

def calculate_checksum(data):
    """RFC 1071 Internet checksum of ``data`` (16-bit one's complement of the one's complement sum of the
    big-endian 16-bit words; an odd trailing byte is padded with zero). Returns an int in ``0..0xFFFF``."""
    cdef _View v = _View(data)
    cdef const uint8_t* p = <const uint8_t*>v.view.buf
    cdef Py_ssize_t n = v.view.len
    cdef Py_ssize_t i = 0
    cdef uint64_t total = 0
    cdef uint64_t word
    cdef uint8_t tail[8]
    cdef uint16_t one = 1
    with nogil:
        # The one's complement sum does not depend on byte order (RFC 1071 section 2B): add 64-bit host-order
        # loads as two 32-bit halves, fold, and swap the final 16 bits on a little-endian host.
        while n - i >= 8:
            memcpy(&word, p + i, 8)
            total += (word & 0xFFFFFFFFu) + (word >> 32)
            i += 8
        if n - i > 0:
            memset(tail, 0, 8)
            memcpy(tail, p + i, n - i)
            memcpy(&word, tail, 8)
            total += (word & 0xFFFFFFFFu) + (word >> 32)
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        if (<uint8_t*>&one)[0] == 1:
            total = ((total & 0xFF) << 8) | (total >> 8)
    return <int>(~total & 0xFFFF)
