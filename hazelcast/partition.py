"""The partition table: partition count, partition owners, and the partition id of a key (``docs/protocol.md`` §4).

One owner: the cluster view listener feeds :meth:`PartitionService.handle_partitions_view`; everyone else asks.
A table is applied only if it comes from a different connection than the last one or has a higher version.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Dict, List, Optional, Sequence, Tuple

import mmh3

from hazelcast import _backend
from hazelcast.errors import ClientNotAllowedInClusterError, HazelcastSerializationError

_logger = logging.getLogger(__name__)

MURMUR_SEED = 0x01000193
"""Seed of Hazelcast's MurmurHash3_x86_32 partition hash."""
DATA_HEADER_SIZE = 8
"""Bytes before a Data payload: partition hash (4, BE) and type id (4, BE)."""
_INT_MIN = -(2**31)


def murmur_hash(data: bytes) -> int:
    """Hazelcast's partition hash of a serialized ``Data``: the explicit partition hash when non-zero, else
    MurmurHash3_x86_32 (seed 0x01000193) of the bytes after the 8-byte header, as a signed int32."""
    if len(data) < DATA_HEADER_SIZE:
        raise HazelcastSerializationError(f"Data of {len(data)} bytes is shorter than its 8-byte header")
    explicit = int.from_bytes(data[0:4], "big", signed=True)
    if explicit != 0:
        return explicit
    return mmh3.hash(bytes(data[DATA_HEADER_SIZE:]), MURMUR_SEED, signed=True)


def hash_to_index(hash_value: int, count: int) -> int:
    """Java's ``HashUtil.hashToIndex``: ``Integer.MIN_VALUE`` maps to 0, otherwise ``abs(hash) % count``."""
    if hash_value == _INT_MIN:
        return 0
    return abs(hash_value) % count


class PartitionService:
    """Partition count and owners of the connected cluster."""

    def __init__(self) -> None:
        self._count = 0
        self._partitioner = _backend.codec.Partitioner()
        # the backend's Partitioner answers get_partition_id directly: no Python frame per keyed operation
        self.get_partition_id = self._partitioner  # type: ignore[method-assign]
        self._owners: Dict[int, uuid.UUID] = {}
        self._version = -1
        self._source: Any = None
        self.epoch = 0
        """Changes whenever the owners change (a table applied, a reset): lets users cache routes."""

    @property
    def partition_count(self) -> int:
        """The cluster's partition count; 0 until the first authentication."""
        return self._count

    @property
    def version(self) -> int:
        """Version of the applied partition table (-1 before the first)."""
        return self._version

    def check_and_set_partition_count(self, count: int) -> None:
        """Record the partition count of the first authentication; later ones must match, else
        :class:`~hazelcast.errors.ClientNotAllowedInClusterError`."""
        if self._count == 0:
            self._count = self._partitioner.count = count
        elif self._count != count:
            raise ClientNotAllowedInClusterError(
                f"the cluster has {count} partitions, but this client already saw {self._count}"
            )

    def handle_partitions_view(
        self, source: Any, version: int, partitions: Sequence[Tuple[Optional[uuid.UUID], Sequence[int]]]
    ) -> bool:
        """Apply a partition table from connection ``source`` if ``source`` differs from the last table's or the
        version is higher. Returns whether it was applied."""
        if not partitions:
            return False
        if source is self._source and version <= self._version:
            return False
        owners: Dict[int, uuid.UUID] = {}
        for member_uuid, ids in partitions:
            if member_uuid is None:
                continue
            for pid in ids:
                owners[pid] = member_uuid
        self._owners = owners
        self._version = version
        self._source = source
        self.epoch += 1
        _logger.debug("applied partition table version %d (%d partitions)", version, len(owners))
        return True

    def get_partition_owner(self, partition_id: int) -> Optional[uuid.UUID]:
        """UUID of the member owning ``partition_id``, or ``None`` when unknown."""
        return self._owners.get(partition_id)

    def get_partition_id(self, key_data: bytes) -> int:
        """Partition id of a serialized key (``hashToIndex(partition hash, partition count)``).

        Raises :class:`~hazelcast.errors.HazelcastSerializationError` for a too-short Data and
        :class:`RuntimeError` when the partition count is not known yet.
        """
        return self._partitioner(key_data)  # (the instance attribute of the same name skips this frame)

    def owners(self) -> Dict[int, uuid.UUID]:
        """A copy of the partition -> owner table."""
        return dict(self._owners)

    def reset(self, *, keep_count: bool = False) -> None:
        """Forget the table, and the count unless ``keep_count`` (the client reached another cluster: as in Java,
        the connection manager keeps the count, so a cluster with another partition count is refused instead of
        routing keys hashed for the old count)."""
        if not keep_count:
            self._count = self._partitioner.count = 0
        self._owners = {}
        self._version = -1
        self._source = None
        self.epoch += 1


def partitions_by_owner(service: PartitionService) -> Dict[uuid.UUID, List[int]]:
    """Partition ids grouped by owner (for diagnostics and tests)."""
    out: Dict[uuid.UUID, List[int]] = {}
    for pid, owner in sorted(service.owners().items()):
        out.setdefault(owner, []).append(pid)
    return out
