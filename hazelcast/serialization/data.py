"""The ``Data`` format: the serialized form of every key and value on the wire (protocol.md §5).

``partition_hash: int32 BE | type_id: int32 BE | payload``. An empty buffer is null. The partition hash of a key is
the header field when it is non-zero, otherwise MurmurHash3_x86_32 (seed ``0x01000193``, via the ``mmh3`` package)
over the bytes after the 8-byte header; :func:`get_partition_id` maps it to a partition as Java does.
"""

from __future__ import annotations

import struct
from typing import Any, Union

import mmh3

from hazelcast.errors import HazelcastSerializationError

__all__ = ["DATA_OFFSET", "Data", "MURMUR_SEED", "get_partition_id", "murmur_hash3_x86_32"]

PARTITION_HASH_OFFSET = 0
TYPE_OFFSET = 4
DATA_OFFSET = 8
"""Where the payload starts (after the partition hash and the type id)."""
MURMUR_SEED = 0x01000193
"""Hazelcast's MurmurHash3 seed (``HashUtil.DEFAULT_MURMUR_SEED``)."""

_I32_BE = struct.Struct(">i")
_INT_MIN = -(2**31)


def murmur_hash3_x86_32(data: Union[bytes, bytearray, memoryview], offset: int = 0) -> int:
    """MurmurHash3_x86_32 of ``data[offset:]`` with Hazelcast's seed, as a signed int32."""
    if offset:
        data = memoryview(data)[offset:]
    return mmh3.hash_from_buffer(data, MURMUR_SEED)


class Data:
    """Serialized bytes with the 8-byte header (or empty for null). ``bytes(data)`` gives the buffer back.

    Args:
        buffer: the serialized bytes (copied unless already ``bytes``).

    Raises:
        HazelcastSerializationError: a non-empty buffer shorter than the 8-byte header.
    """

    __slots__ = ("buffer",)

    def __init__(self, buffer: Union[bytes, bytearray, memoryview] = b"") -> None:
        buf = bytes(buffer)
        if 0 < len(buf) < DATA_OFFSET:
            raise HazelcastSerializationError(f"a Data needs at least {DATA_OFFSET} bytes, got {len(buf)}")
        self.buffer: bytes = buf

    def get_type(self) -> int:
        """The serializer type id (0 for null Data)."""
        if not self.buffer:
            return 0
        return _I32_BE.unpack_from(self.buffer, TYPE_OFFSET)[0]

    @property
    def type_id(self) -> int:
        """The serializer type id (0 for null Data)."""
        return self.get_type()

    def total_size(self) -> int:
        """Bytes including the header."""
        return len(self.buffer)

    def data_size(self) -> int:
        """Bytes of the payload (after the header)."""
        return max(len(self.buffer) - DATA_OFFSET, 0)

    def hash_code(self) -> int:
        """MurmurHash3 of the payload (signed int32)."""
        return murmur_hash3_x86_32(self.buffer, DATA_OFFSET)

    def get_partition_hash(self) -> int:
        """The partition hash: the header field when non-zero, otherwise :meth:`hash_code`."""
        if not self.buffer:
            return 0
        header = _I32_BE.unpack_from(self.buffer, PARTITION_HASH_OFFSET)[0]
        return header if header != 0 else self.hash_code()

    def __bytes__(self) -> bytes:
        return self.buffer

    def __len__(self) -> int:
        return len(self.buffer)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Data) and self.buffer == other.buffer

    def __hash__(self) -> int:
        return hash(self.buffer)

    def __repr__(self) -> str:
        return f"Data(type_id={self.get_type()}, {len(self.buffer)} bytes)"


_object_new = object.__new__


def _wrap(buffer: bytes) -> Data:
    """A Data around bytes the serializer just produced (skips the checks of ``Data.__init__``)."""
    data = _object_new(Data)
    data.buffer = buffer
    return data


def get_partition_id(data: Data, partition_count: int) -> int:
    """The partition of a key, as the member computes it (``HashUtil.hashToIndex``).

    ``abs(hash) % partition_count``, except that a hash of Integer.MIN_VALUE maps to partition 0.
    """
    if partition_count <= 0:
        raise ValueError(f"the partition count must be positive, got {partition_count}")
    h = data.get_partition_hash()
    if h == _INT_MIN:
        return 0
    return abs(h) % partition_count
