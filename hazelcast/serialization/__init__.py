"""Serialization: the Data format, built-in types and Compact.

The names users need, familiar to users of the official client::

    from hazelcast.serialization import SerializationService, Data, CompactSerializer, FieldKind, GenericRecordBuilder
"""

from hazelcast.serialization.api import CompactReader, CompactSerializer, CompactWriter, FieldKind
from hazelcast.serialization.builtin import HazelcastJsonValue, IntType
from hazelcast.serialization.compact import (
    GenericRecord,
    GenericRecordBuilder,
    ReflectiveCompactSerializer,
    Schema,
    SchemaNotFoundError,
    SchemaReplicator,
    SchemaService,
)
from hazelcast.serialization.data import Data, get_partition_id, murmur_hash3_x86_32
from hazelcast.serialization.service import SerializationService

__all__ = [
    "CompactReader",
    "CompactSerializer",
    "CompactWriter",
    "Data",
    "FieldKind",
    "GenericRecord",
    "GenericRecordBuilder",
    "HazelcastJsonValue",
    "IntType",
    "ReflectiveCompactSerializer",
    "Schema",
    "SchemaNotFoundError",
    "SchemaReplicator",
    "SchemaService",
    "SerializationService",
    "get_partition_id",
    "murmur_hash3_x86_32",
]
