"""``SerializationService``: Python objects ↔ :class:`~hazelcast.serialization.Data`.

Usable offline (no cluster needed)::

    from hazelcast.serialization import SerializationService

    service = SerializationService(compact_serializers=[PersonSerializer()])
    data = service.to_data(person)        # Data
    assert service.to_object(data) == person

Dispatch of ``to_data``: compact classes (registered serializers, dataclasses and annotated classes through
zero-config, GenericRecords) → type id -55; built-in types by exact class (protocol.md §5: bool, int, float, str,
bytes/bytearray, uuid.UUID, list, Decimal, date, time, naive datetime → LOCALDATETIME, aware datetime →
OFFSETDATETIME, :class:`HazelcastJsonValue`); anything else is pickled only with ``allow_pickle=True`` and is an
error otherwise. ``to_object`` reads every type id the Java member sends for those types (and Java's primitive
arrays, char, float, Object[] and LinkedList); pickled data (type id -120) is rejected unless ``allow_pickle=True``,
because unpickling runs code chosen by whoever wrote the data.

Errors are :class:`~hazelcast.errors.HazelcastSerializationError` (exceptions raised by user serializers are
wrapped in it); an unknown compact schema is :class:`~hazelcast.serialization.compact.SchemaNotFoundError` — see
``to_object_async`` and the module docstring of :mod:`hazelcast.serialization.compact` for the client hooks.
"""

from __future__ import annotations

import struct
from types import ModuleType
from typing import Any, Iterable, Optional, Union

from hazelcast.errors import HazelcastSerializationError
from hazelcast.serialization import builtin
from hazelcast.serialization.builtin import IntType
from hazelcast.serialization.compact import (
    CompactSerializationService,
    GenericRecord,
    SchemaNotFoundError,
    SchemaService,
    _default_codec,
)
from hazelcast.serialization.data import DATA_OFFSET, Data, _wrap

__all__ = ["IntType", "SerializationService"]

_I32_BE = struct.Struct(">i")
_HEADER_BE = struct.Struct(">ii")
_MAX_FETCHES = 100


class SerializationService:
    """Converts objects to :class:`Data` and back.

    Args:
        compact_serializers: :class:`~hazelcast.serialization.api.CompactSerializer` objects, or classes for
            zero-config (``ReflectiveCompactSerializer``).
        default_int_type: how a Python ``int`` is written (:class:`IntType`; INT, i.e. Java Integer, by default).
        big_endian: byte order of payloads (Hazelcast's default; the header is always big-endian).
        allow_pickle: write objects without a serializer with pickle and read pickled data. Off by default:
            unpickling data from the network runs code chosen by its writer.
        schema_service: the :class:`~hazelcast.serialization.compact.SchemaService` to use (the client passes its
            own, wired to the cluster; a new offline one by default).
        zero_config: serialize unregistered dataclasses and annotated classes as compact.
        codec: the codec backend module (tests; the backend chosen at import by default).

    Raises:
        HazelcastSerializationError: a compact serializer for a built-in type, or two for one class or type name.
    """

    def __init__(self, compact_serializers: Iterable[Any] = (), *, default_int_type: IntType = IntType.INT,
                 big_endian: bool = True, allow_pickle: bool = False, schema_service: Optional[SchemaService] = None,
                 zero_config: bool = True, codec: Optional[ModuleType] = None) -> None:
        serializers = list(compact_serializers)
        for s in serializers:
            cls = s if isinstance(s, type) else getattr(s, "get_class", lambda: None)()
            if cls in builtin.BUILTIN_TYPES:
                raise HazelcastSerializationError(f"a compact serializer cannot replace the built-in one of {cls!r}")
        self._codec = codec if codec is not None else _default_codec()
        self.default_int_type = IntType(default_int_type)
        self.big_endian = bool(big_endian)
        self.allow_pickle = bool(allow_pickle)
        self.compact = CompactSerializationService(serializers, schema_service, codec=self._codec,
                                                   big_endian=self.big_endian, zero_config=zero_config)
        """The compact side (serializer registry and plan caches)."""
        self.schema_service: SchemaService = self.compact.schema_service
        """The schema registry and replication hooks."""
        self._writer = self._codec.CompactStreamWriter
        self._reader = self._codec.CompactStreamReader
        self._fast = self._codec.DataCodec(self.compact.write_plans, self.compact.read_plans,
                                           self.compact._resolve_read, Data, self._to_data, self._to_object,
                                           self.big_endian, self.default_int_type == IntType.INT)
        # the compiled (or pure) dispatcher answers to_data / to_object directly: no Python frame on the hot path
        if type(self).to_data is SerializationService.to_data:
            self.to_data = self._fast.to_data  # type: ignore[method-assign]
            self.to_bytes = self._fast.to_buffer  # type: ignore[method-assign]
        if type(self).to_object is SerializationService.to_object:
            self.to_object = self._fast.to_object  # type: ignore[method-assign]

    # -- objects → Data -----------------------------------------------------------------------------------------

    def to_data(self, obj: Any) -> Optional[Data]:
        """Serialize ``obj``; None stays None and a :class:`Data` is returned as it is.

        Raises:
            HazelcastSerializationError: no serializer for the type, or a value out of range for its type.
        """
        return self._fast.to_data(obj)

    def to_bytes(self, obj: Any) -> Optional[bytes]:
        """The bytes of :meth:`to_data` (``None`` for ``None``), without the Data object on the fast paths."""
        data = self.to_data(obj)
        return None if data is None else data.buffer

    def _to_data(self, obj: Any) -> Optional[Data]:
        # everything the fast paths of DataCodec (compact objects, str, int32) do not handle
        if obj is None:
            return None
        if type(obj) is Data:
            return obj
        if type(obj) is GenericRecord:
            return _wrap(self.compact.generic.write_plan(obj.schema).to_data(obj))
        writer = self._writer(self.big_endian)
        writer.write_zeros(8)
        type_id = self._write_payload(writer, obj)
        data = writer.to_bytes()
        return _wrap(data[:4] + _I32_BE.pack(type_id) + data[8:])

    def write_object(self, writer: Any, obj: Any) -> None:
        """Write ``int32 typeId`` and the payload of ``obj`` (a list item) in the payload byte order."""
        start = writer.position
        writer.write_int32(0)
        type_id = self._write_payload(writer, obj)
        writer.write_int32_at(start, type_id)

    def _write_payload(self, writer: Any, obj: Any) -> int:
        if obj is None:
            return builtin.NULL
        cls = type(obj)
        try:
            if cls is int:
                return builtin.write_int(self, writer, obj)
            entry = builtin.WRITERS.get(cls)
            if entry is not None:
                entry[1](self, writer, obj)
                return builtin.type_id_of(obj, entry[0])
            plan = self.compact.write_plan_for(obj)
            if plan is not None:
                plan.write(writer, obj)
                return builtin.COMPACT
            if self.allow_pickle:
                builtin.write_pickle(self, writer, obj)
                return builtin.PYTHON_PICKLE
            raise HazelcastSerializationError(
                f"no serializer for {cls!r}: register a CompactSerializer, use a dataclass, or opt in to pickle with "
                "allow_pickle=True")
        except HazelcastSerializationError:
            raise
        except RecursionError:
            raise HazelcastSerializationError("objects nested too deeply (a cyclic list?)") from None
        except Exception as e:
            raise HazelcastSerializationError(f"cannot serialize {cls.__name__}: {e}") from e

    # -- Data → objects -----------------------------------------------------------------------------------------

    def to_object(self, data: Union[Data, bytes, bytearray, memoryview, None]) -> Any:
        """Deserialize a :class:`Data` (or its bytes); None and empty Data give None.

        Raises:
            SchemaNotFoundError: compact data with a schema id this process does not know (fetch it and retry).
            HazelcastSerializationError: malformed data, an unknown type id, pickled data without ``allow_pickle``.
        """
        return self._fast.to_object(data)

    def _to_object(self, data: Any) -> Any:
        # everything the fast paths of DataCodec (compact, str, int32, None) do not handle
        if type(data) is Data:
            buf = data.buffer
        elif data is None:
            return None
        elif isinstance(data, (bytes, bytearray, memoryview)):
            buf = bytes(data)
        else:
            raise HazelcastSerializationError(f"to_object needs Data or bytes, got {type(data).__name__}")
        if len(buf) < DATA_OFFSET:
            if not buf:
                return None
            raise HazelcastSerializationError(f"a Data needs at least {DATA_OFFSET} bytes, got {len(buf)}")
        try:
            if buf[4:8] == b"\xff\xff\xff\xc9":
                return self.compact.from_data(buf)
            reader = self._reader(buf, self.big_endian)
            reader.seek(DATA_OFFSET)
            return self._read_payload(reader, _HEADER_BE.unpack_from(buf)[1])
        except HazelcastSerializationError:
            raise
        except RecursionError:
            raise HazelcastSerializationError("data nested too deeply") from None
        except Exception as e:
            raise HazelcastSerializationError(f"cannot deserialize: {e}") from e

    def read_object(self, reader: Any) -> Any:
        """Read ``int32 typeId`` and a payload (a list item)."""
        return self._read_payload(reader, reader.read_int32())

    def _read_payload(self, reader: Any, type_id: int) -> Any:
        if type_id == builtin.COMPACT:
            return self.compact.read(reader)
        decode = builtin.READERS.get(type_id)
        if decode is None:
            if type_id == builtin.PYTHON_PICKLE:
                if not self.allow_pickle:
                    raise HazelcastSerializationError(
                        "refusing to unpickle data (type id -120): unpickling runs code chosen by whoever wrote it; "
                        "pass allow_pickle=True only if every writer is trusted")
                decode = builtin.read_pickle
            else:
                raise HazelcastSerializationError(f"no serializer for type id {type_id}")
        return decode(self, reader)

    async def to_object_async(self, data: Union[Data, bytes, None]) -> Any:
        """:meth:`to_object`, fetching unknown compact schemas from the cluster first (through the schema service).

        Raises:
            SchemaNotFoundError: the cluster does not know a schema either.
        """
        for _ in range(_MAX_FETCHES):
            try:
                return self.to_object(data)
            except SchemaNotFoundError as e:
                await self.schema_service.fetch_schema(e.schema_id)
        return self.to_object(data)

    async def to_data_async(self, obj: Any) -> Optional[Data]:
        """:meth:`to_data`, then replicate the schemas it made pending (before the Data is sent to the cluster)."""
        data = self.to_data(obj)
        if self.schema_service.has_pending_replication:
            await self.schema_service.replicate_pending()
        return data
