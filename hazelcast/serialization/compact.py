"""Compact serialization: schemas, readers and writers, GenericRecord, zero-config classes, and the schema service.

Byte-compatible with the Java member and the official clients (``protocol.md`` §6). The parts:

* :class:`FieldKind` / :class:`FieldDescriptor` / :class:`Schema` — a type name plus fields sorted by name, with
  Java's layout (fixed-size fields by size descending, booleans as bits, variable-size fields by index) and the
  Rabin fingerprint as its id.
* :class:`CompactSerializer` (user code) with :class:`DefaultCompactWriter` / :class:`DefaultCompactReader`;
  :class:`ReflectiveCompactSerializer` for dataclasses and classes with an annotated ``__init__`` (zero-config);
  :class:`GenericRecord` / :class:`GenericRecordBuilder` for data without a class (:class:`GenericRecordSerializer`).
* :class:`CompactSerializationService` — binds classes and type names to serializers and drives the per-schema
  plans of the codec backend (``WritePlan`` / ``ReadPlan``, compiled or pure), built once and cached.
* :class:`SchemaService` — the local schema registry, and the hooks the client uses to replicate schemas.

Schemas and the client (the hooks)
----------------------------------
The serialization service works offline: a schema written locally is known locally, so what this process writes it
can always read. A cluster needs more, and the client layer drives it through :class:`SchemaService`:

* **Writing.** The first time a class (or a GenericRecord schema) is written, its schema is registered locally and
  becomes *pending replication*. ``to_data`` never fails for that reason. Before the client sends a request that
  carries Data, it checks :attr:`SchemaService.has_pending_replication` (a cheap attribute) and, when set, awaits
  :meth:`SchemaService.replicate_pending`, which sends each pending schema through the :class:`SchemaReplicator`
  (``Client.SendSchema``) and marks it replicated (:meth:`SchemaService.mark_replicated`,
  :meth:`SchemaService.has_replicated`). :meth:`SchemaService.pending_replication` lists them. After a reconnect to
  another cluster, :meth:`SchemaService.reset_replication` makes every known schema pending again (the client then
  uses ``Client.SendAllSchemas`` via :meth:`SchemaService.send_all_schemas`).
* **Reading.** Data whose schema id is unknown raises :class:`SchemaNotFoundError` (a
  :class:`~hazelcast.errors.HazelcastSerializationError` carrying ``schema_id``). The client awaits
  :meth:`SchemaService.fetch_schema` (``Client.FetchSchema`` through the replicator; the fetched schema's fingerprint
  must equal the id asked for) and decodes again. ``SerializationService.to_object_async`` does exactly that.

Python values of the kinds: ``int``, ``float``, ``bool``, ``str``, ``decimal.Decimal``, ``datetime.time`` (naive),
``datetime.date``, naive ``datetime.datetime`` (TIMESTAMP), aware ``datetime.datetime`` (TIMESTAMP_WITH_TIMEZONE,
whole-second offsets within ±18:00), lists for arrays (``bytes`` is accepted for ARRAY_OF_INT8), nested compact
objects or GenericRecords. Times carry microseconds (Java's nanoseconds are truncated on read).

Errors: everything raises :class:`~hazelcast.errors.HazelcastSerializationError` — malformed data (truncated,
offsets outside the object, negative or huge lengths), unknown schema ids (:class:`SchemaNotFoundError`), missing
fields, kind mismatches, values that do not fit their kind, compact objects nested deeper than
``MAX_NESTING_DEPTH`` (64) levels or cyclic object graphs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import decimal
import enum
import inspect
import typing
from types import ModuleType
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Type, Union

from hazelcast import _backend
from hazelcast.errors import HazelcastSerializationError
from hazelcast.serialization.api import CompactReader, CompactSerializer, CompactWriter, FieldKind

from typing import Protocol, runtime_checkable

__all__ = [
    "CompactReader",
    "CompactSerializationService",
    "CompactSerializer",
    "CompactStreamReader",
    "CompactStreamWriter",
    "CompactWriter",
    "DefaultCompactReader",
    "DefaultCompactWriter",
    "FieldDescriptor",
    "FieldKind",
    "GenericRecord",
    "GenericRecordBuilder",
    "GenericRecordSerializer",
    "MAX_NESTING_DEPTH",
    "ReflectiveCompactSerializer",
    "Schema",
    "SchemaNotFoundError",
    "SchemaReplicator",
    "SchemaService",
    "SchemaWriter",
    "rabin_fingerprint_64",
]

_K = FieldKind


def _default_codec() -> ModuleType:
    return _backend.codec


CompactStreamWriter = _backend.codec.CompactStreamWriter
"""The compact stream writer of the chosen backend (compiled or pure)."""
CompactStreamReader = _backend.codec.CompactStreamReader
"""The compact stream reader of the chosen backend (compiled or pure)."""
MAX_NESTING_DEPTH: int = _backend.codec.MAX_NESTING_DEPTH
"""The deepest nesting of compact objects written or read."""


# ==================================================================================================================
# Field kinds
# ==================================================================================================================

_UNSUPPORTED = frozenset({_K.NOT_AVAILABLE, _K.CHAR, _K.ARRAY_OF_CHAR, _K.PORTABLE, _K.ARRAY_OF_PORTABLE})
_FIXED_SIZE = {_K.BOOLEAN: 0, _K.INT8: 1, _K.INT16: 2, _K.INT32: 4, _K.FLOAT32: 4, _K.INT64: 8, _K.FLOAT64: 8}
_NULLABLE = {
    _K.BOOLEAN: _K.NULLABLE_BOOLEAN,
    _K.INT8: _K.NULLABLE_INT8,
    _K.INT16: _K.NULLABLE_INT16,
    _K.INT32: _K.NULLABLE_INT32,
    _K.INT64: _K.NULLABLE_INT64,
    _K.FLOAT32: _K.NULLABLE_FLOAT32,
    _K.FLOAT64: _K.NULLABLE_FLOAT64,
}
_ARRAY = {
    _K.BOOLEAN: _K.ARRAY_OF_BOOLEAN,
    _K.INT8: _K.ARRAY_OF_INT8,
    _K.INT16: _K.ARRAY_OF_INT16,
    _K.INT32: _K.ARRAY_OF_INT32,
    _K.INT64: _K.ARRAY_OF_INT64,
    _K.FLOAT32: _K.ARRAY_OF_FLOAT32,
    _K.FLOAT64: _K.ARRAY_OF_FLOAT64,
    _K.STRING: _K.ARRAY_OF_STRING,
    _K.DECIMAL: _K.ARRAY_OF_DECIMAL,
    _K.TIME: _K.ARRAY_OF_TIME,
    _K.DATE: _K.ARRAY_OF_DATE,
    _K.TIMESTAMP: _K.ARRAY_OF_TIMESTAMP,
    _K.TIMESTAMP_WITH_TIMEZONE: _K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE,
    _K.COMPACT: _K.ARRAY_OF_COMPACT,
}
for _base, _nullable in list(_NULLABLE.items()):
    _ARRAY[_nullable] = _K(_nullable + 1)  # ARRAY_OF_NULLABLE_X follows NULLABLE_X

_CHECK_NONE, _CHECK_NOT_NULL, _CHECK_NO_NULL_ITEMS = 0, 1, 2


def _compatibility() -> Dict[FieldKind, Dict[FieldKind, int]]:
    """For each kind a reader asks for: the kinds in the data it can read, and the check the value needs."""
    table: Dict[FieldKind, Dict[FieldKind, int]] = {k: {k: _CHECK_NONE} for k in _K if k not in _UNSUPPORTED}
    for base, nullable in _NULLABLE.items():
        table[base][nullable] = _CHECK_NOT_NULL
        table[nullable][base] = _CHECK_NONE
        table[_ARRAY[base]][_ARRAY[nullable]] = _CHECK_NO_NULL_ITEMS
        table[_ARRAY[nullable]][_ARRAY[base]] = _CHECK_NONE
    return table


_COMPATIBLE = _compatibility()


def _method_suffix(kind: FieldKind) -> str:
    return kind.name.lower()


def _mismatch(name: str, wanted: FieldKind, found: FieldKind) -> HazelcastSerializationError:
    return HazelcastSerializationError(
        f"Mismatched field kinds for {name!r}: expected {wanted.name}, found {found.name} in the data")


def _checked_value(name: str, wanted: FieldKind, found: FieldKind, check: int, value: Any) -> Any:
    if check == _CHECK_NOT_NULL and value is None:
        raise HazelcastSerializationError(
            f"Field {name!r} is None; read it with 'read_{_method_suffix(found)}' instead of "
            f"'read_{_method_suffix(wanted)}'")
    if check == _CHECK_NO_NULL_ITEMS and value is not None and any(item is None for item in value):
        raise HazelcastSerializationError(
            f"Field {name!r} has None items; read it with 'read_{_method_suffix(found)}' instead of "
            f"'read_{_method_suffix(wanted)}'")
    return value


# ==================================================================================================================
# Schema
# ==================================================================================================================

_RABIN_INIT = -4513414715797952619  # 0xc15d213aa4d7a795 as a signed int64
_MASK64 = 0xFFFFFFFFFFFFFFFF


def _rabin_table() -> List[int]:
    init = _RABIN_INIT & _MASK64
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (init & -(fp & 1) & _MASK64)
        table.append(fp)
    return table


_RABIN_TABLE = _rabin_table()


def _fp_bytes(fp: int, data: bytes) -> int:
    table = _RABIN_TABLE
    for b in data:
        fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
    return fp


def _fp_int32(fp: int, value: int) -> int:
    return _fp_bytes(fp, (value & 0xFFFFFFFF).to_bytes(4, "little"))


def _fp_string(fp: int, value: str) -> int:
    data = value.encode("utf-8")
    return _fp_bytes(_fp_int32(fp, len(data)), data)


def rabin_fingerprint_64(type_name: str, fields: Iterable[Tuple[str, int]]) -> int:
    """The schema id: Java's 64-bit Rabin fingerprint of the type name, field count and sorted (name, kind) pairs.

    ``fields`` must already be sorted as :class:`Schema` sorts them. The result is a signed int64.
    """
    items = list(fields)
    fp = _fp_string(_RABIN_INIT & _MASK64, type_name)
    fp = _fp_int32(fp, len(items))
    for name, kind in items:
        fp = _fp_int32(_fp_string(fp, name), int(kind))
    return fp - (1 << 64) if fp >= 1 << 63 else fp


class FieldDescriptor:
    """A field of a :class:`Schema`: its name and kind, and where :class:`Schema` placed it.

    ``position`` is the byte offset in the fixed section (fixed-size kinds, -1 otherwise), ``bit_position`` the bit
    of a BOOLEAN (-1 otherwise) and ``index`` the entry in the offset table (variable-size kinds, -1 otherwise).
    """

    __slots__ = ("name", "kind", "index", "position", "bit_position")

    def __init__(self, name: str, kind: Union[FieldKind, int]) -> None:
        if not isinstance(name, str):
            raise HazelcastSerializationError(f"a field name must be a str, got {name!r}")
        try:
            self.kind = FieldKind(kind)
        except ValueError:
            raise HazelcastSerializationError(f"unknown field kind {kind!r} for field {name!r}") from None
        self.name = name
        self.index = -1
        self.position = -1
        self.bit_position = -1

    @property
    def field_name(self) -> str:
        """The name (as the official client's protocol codecs call it)."""
        return self.name

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, FieldDescriptor) and self.name == other.name and self.kind == other.kind

    def __hash__(self) -> int:
        return hash((self.name, int(self.kind)))

    def __repr__(self) -> str:
        return (f"FieldDescriptor(name={self.name!r}, kind={self.kind.name}, index={self.index}, "
                f"position={self.position}, bit_position={self.bit_position})")


def _java_order(name: str) -> bytes:
    # Java sorts field names with String.compareTo (UTF-16 code units); big-endian UTF-16 bytes sort the same way
    return name.encode("utf-16-be", "surrogatepass")


class Schema:
    """A compact schema: a type name and its fields, laid out as Java lays them out, identified by fingerprint.

    Args:
        type_name: the type name (``com.acme.Person`` for Java's zero-config class of that name).
        fields: :class:`FieldDescriptor` objects (copied) or ``(name, kind)`` pairs.

    Raises:
        HazelcastSerializationError: duplicate field names, or a kind compact does not support (CHAR, PORTABLE).
    """

    __slots__ = ("type_name", "fields", "fields_dict", "schema_id", "fix_sized_fields_length",
                 "var_sized_field_count", "_slots")

    def __init__(self, type_name: str, fields: Iterable[Union[FieldDescriptor, Tuple[str, Any]]]) -> None:
        if not isinstance(type_name, str):
            raise HazelcastSerializationError(f"a type name must be a str, got {type_name!r}")
        copies = []
        for f in fields:
            copies.append(FieldDescriptor(f.name, f.kind) if isinstance(f, FieldDescriptor) else FieldDescriptor(*f))
        try:
            copies.sort(key=lambda f: _java_order(f.name))
            type_name.encode("utf-8")
            for f in copies:
                f.name.encode("utf-8")
        except UnicodeError as e:
            raise HazelcastSerializationError(f"schema {type_name!r}: a name is not valid Unicode ({e})") from None
        by_name: Dict[str, FieldDescriptor] = {}
        for f in copies:
            if f.name in by_name:
                raise HazelcastSerializationError(f"duplicate field {f.name!r} in the schema of {type_name!r}")
            if f.kind in _UNSUPPORTED:
                raise HazelcastSerializationError(f"field {f.name!r}: compact does not support {f.kind.name}")
            by_name[f.name] = f
        self.type_name = type_name
        self.fields: List[FieldDescriptor] = copies
        self.fields_dict: Dict[str, FieldDescriptor] = by_name
        self._slots = {f.name: i for i, f in enumerate(copies)}
        self._layout()
        self.schema_id: int = rabin_fingerprint_64(type_name, [(f.name, f.kind) for f in copies])

    def _layout(self) -> None:
        fixed = [f for f in self.fields if f.kind in _FIXED_SIZE and f.kind != _K.BOOLEAN]
        fixed.sort(key=lambda f: _FIXED_SIZE[f.kind], reverse=True)  # stable: ties stay in name order
        position = 0
        for f in fixed:
            f.position = position
            position += _FIXED_SIZE[f.kind]
        bits = 0
        for f in self.fields:
            if f.kind == _K.BOOLEAN:
                f.position = position + bits // 8
                f.bit_position = bits % 8
                bits += 1
        self.fix_sized_fields_length = position + (bits + 7) // 8
        index = 0
        for f in self.fields:
            if f.kind not in _FIXED_SIZE:
                f.index = index
                index += 1
        self.var_sized_field_count = index

    def slot(self, name: str) -> int:
        """The position of the field ``name`` in :attr:`fields` (the order of plan values)."""
        return self._slots[name]

    def plan_fields(self, keys: Optional[Sequence[Any]] = None) -> List[Tuple[Any, ...]]:
        """The fields as codec plan tuples ``(name, kind, location, bit, flags, key)``, in :attr:`fields` order."""
        out = []
        for i, f in enumerate(self.fields):
            location = f.position if f.kind in _FIXED_SIZE else f.index
            bit = f.bit_position if f.kind == _K.BOOLEAN else 0
            out.append((f.name, int(f.kind), location, bit, 0, None if keys is None else keys[i]))
        return out

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, Schema) and self.schema_id == other.schema_id
                and self.type_name == other.type_name and self.fields == other.fields)

    def __hash__(self) -> int:
        return hash(self.schema_id)

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}: {f.kind.name}" for f in self.fields)
        return f"Schema(type_name={self.type_name!r}, schema_id={self.schema_id}, fields={{{fields}}})"


class SchemaNotFoundError(HazelcastSerializationError):
    """Data refers to a schema id this process does not know.

    The client fetches the schema (:meth:`SchemaService.fetch_schema`) and decodes again.

    Attributes:
        schema_id: the unknown id.
    """

    def __init__(self, schema_id: int) -> None:
        super().__init__(f"unknown compact schema id {schema_id}; it must be fetched from the cluster")
        self.schema_id = schema_id


# ==================================================================================================================
# Schema service: the local registry and the replication hooks
# ==================================================================================================================


@runtime_checkable
class SchemaReplicator(Protocol):
    """What the client layer implements to move schemas between this process and the cluster.

    * ``send_schema`` — ``Client.SendSchema``: returns once every member of the cluster has the schema (retrying
      as the official clients do); raises if that cannot be achieved.
    * ``fetch_schema`` — ``Client.FetchSchema``: the schema with that id, or None when the cluster does not know it.
    * ``send_all_schemas`` — ``Client.SendAllSchemas``: used after connecting to a (new) cluster.
    """

    async def send_schema(self, schema: Schema) -> None:
        ...

    async def fetch_schema(self, schema_id: int) -> Optional[Schema]:
        ...

    async def send_all_schemas(self, schemas: Sequence[Schema]) -> None:
        ...


class SchemaService:
    """The schemas this process knows, which of them the cluster has confirmed, and the hooks to sync them.

    One owner of schema state (architecture rule): serialization registers and looks up schemas here; the client
    drives replication through the :class:`SchemaReplicator` given to the constructor.

    Args:
        replicator: the cluster side; None when used offline (the async hooks then raise).
    """

    def __init__(self, replicator: Optional[SchemaReplicator] = None) -> None:
        self._replicator = replicator
        self._schemas: Dict[int, Schema] = {}
        self._replicated: set = set()
        self._pending: Dict[int, Schema] = {}
        self._inflight: Dict[Tuple[str, int], asyncio.Future] = {}
        self.has_pending_replication = False
        """True while some schema used for writing has not been confirmed by the cluster (a cheap check)."""

    # -- the local registry -------------------------------------------------------------------------------------

    def register(self, schema: Schema, for_write: bool = False) -> bool:
        """Add a schema; ``for_write`` marks it pending replication unless already replicated.

        Returns True if the schema was not known before.

        Raises:
            HazelcastSerializationError: another schema with the same id is known (a fingerprint collision).
        """
        if not isinstance(schema, Schema):
            raise HazelcastSerializationError(f"not a Schema: {schema!r}")
        existing = self._schemas.get(schema.schema_id)
        if existing is not None and existing != schema:
            raise HazelcastSerializationError(
                f"schema id {schema.schema_id} collision: {existing!r} is known, {schema!r} has the same id")
        if existing is None:
            self._schemas[schema.schema_id] = schema
        if for_write and schema.schema_id not in self._replicated:
            self._pending[schema.schema_id] = schema
            self.has_pending_replication = True
        return existing is None

    def get(self, schema_id: int) -> Optional[Schema]:
        """The schema with that id, or None."""
        return self._schemas.get(schema_id)

    def __contains__(self, schema_id: object) -> bool:
        return schema_id in self._schemas

    def schemas(self) -> List[Schema]:
        """All known schemas."""
        return list(self._schemas.values())

    # -- replication state ----------------------------------------------------------------------------------------

    def has_replicated(self, schema_id: int) -> bool:
        """Whether the cluster has confirmed the schema."""
        return schema_id in self._replicated

    def mark_replicated(self, schema_id: int) -> None:
        """Record that the cluster has the schema (after ``Client.SendSchema`` or a fetch)."""
        self._replicated.add(schema_id)
        if self._pending.pop(schema_id, None) is not None:
            self.has_pending_replication = bool(self._pending)

    def pending_replication(self) -> List[Schema]:
        """Schemas used for writing that the cluster has not confirmed yet."""
        return list(self._pending.values())

    def reset_replication(self) -> None:
        """Forget what the cluster confirmed (a new cluster): every known schema becomes pending."""
        self._replicated.clear()
        self._pending = dict(self._schemas)
        self.has_pending_replication = bool(self._pending)

    # -- the async hooks (need a replicator) ----------------------------------------------------------------------

    def _need_replicator(self) -> SchemaReplicator:
        if self._replicator is None:
            raise HazelcastSerializationError("no SchemaReplicator: this SchemaService works offline")
        return self._replicator

    async def _once(self, key: Tuple[str, int], start: Callable[[], Any]) -> Any:
        # concurrent callers for the same schema share one request
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(start())
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(future)

    async def replicate(self, schema: Schema) -> None:
        """Send one schema to the cluster (``Client.SendSchema``) unless it is already replicated."""
        if schema.schema_id in self._replicated:
            return
        replicator = self._need_replicator()
        self.register(schema)

        async def send() -> None:
            await replicator.send_schema(schema)
            self.mark_replicated(schema.schema_id)

        await self._once(("send", schema.schema_id), send)

    async def replicate_pending(self) -> None:
        """Send every pending schema (call before sending a request with Data while ``has_pending_replication``)."""
        for schema in self.pending_replication():
            await self.replicate(schema)

    async def send_all_schemas(self) -> None:
        """Send every known schema at once (``Client.SendAllSchemas``, after connecting to a cluster)."""
        replicator = self._need_replicator()
        schemas = self.schemas()
        await replicator.send_all_schemas(schemas)
        for schema in schemas:
            self.mark_replicated(schema.schema_id)

    async def fetch_schema(self, schema_id: int) -> Schema:
        """Fetch an unknown schema from the cluster (``Client.FetchSchema``) and register it.

        Raises:
            SchemaNotFoundError: the cluster does not know the id either.
            HazelcastSerializationError: the cluster answered a schema whose fingerprint is not ``schema_id``.
        """
        known = self._schemas.get(schema_id)
        if known is not None:
            return known
        replicator = self._need_replicator()

        async def fetch() -> Schema:
            schema = await replicator.fetch_schema(schema_id)
            if schema is None:
                raise SchemaNotFoundError(schema_id)
            if not isinstance(schema, Schema) or schema.schema_id != schema_id:
                raise HazelcastSerializationError(f"the cluster answered {schema!r} for schema id {schema_id}")
            self.register(schema)
            self.mark_replicated(schema_id)
            return schema

        return await self._once(("fetch", schema_id), fetch)


# ==================================================================================================================
# Writers and readers for user serializers
# ==================================================================================================================

_UNSET = object()


class _KindWriter(CompactWriter):
    """Every ``write_<kind>`` of :class:`CompactWriter` funnels into ``_write(name, kind, value)``."""

    __slots__ = ()

    def _write(self, field_name: str, kind: FieldKind, value: Any) -> None:
        raise NotImplementedError

    def write_boolean(self, field_name: str, value: bool) -> None:
        """Writes a boolean (BOOLEAN)."""
        self._write(field_name, _K.BOOLEAN, value)

    def write_array_of_boolean(self, field_name: str, value: Optional[List[bool]]) -> None:
        """Writes an array of booleans (ARRAY_OF_BOOLEAN)."""
        self._write(field_name, _K.ARRAY_OF_BOOLEAN, value)

    def write_int8(self, field_name: str, value: int) -> None:
        """Writes an 8-bit signed integer (INT8)."""
        self._write(field_name, _K.INT8, value)

    def write_array_of_int8(self, field_name: str, value: Optional[List[int]]) -> None:
        """Writes an array of int8 (ARRAY_OF_INT8)."""
        self._write(field_name, _K.ARRAY_OF_INT8, value)

    def write_int16(self, field_name: str, value: int) -> None:
        """Writes a 16-bit signed integer (INT16)."""
        self._write(field_name, _K.INT16, value)

    def write_array_of_int16(self, field_name: str, value: Optional[List[int]]) -> None:
        """Writes an array of int16 (ARRAY_OF_INT16)."""
        self._write(field_name, _K.ARRAY_OF_INT16, value)

    def write_int32(self, field_name: str, value: int) -> None:
        """Writes a 32-bit signed integer (INT32)."""
        self._write(field_name, _K.INT32, value)

    def write_array_of_int32(self, field_name: str, value: Optional[List[int]]) -> None:
        """Writes an array of int32 (ARRAY_OF_INT32)."""
        self._write(field_name, _K.ARRAY_OF_INT32, value)

    def write_int64(self, field_name: str, value: int) -> None:
        """Writes a 64-bit signed integer (INT64)."""
        self._write(field_name, _K.INT64, value)

    def write_array_of_int64(self, field_name: str, value: Optional[List[int]]) -> None:
        """Writes an array of int64 (ARRAY_OF_INT64)."""
        self._write(field_name, _K.ARRAY_OF_INT64, value)

    def write_float32(self, field_name: str, value: float) -> None:
        """Writes a 32-bit IEEE 754 float (FLOAT32)."""
        self._write(field_name, _K.FLOAT32, value)

    def write_array_of_float32(self, field_name: str, value: Optional[List[float]]) -> None:
        """Writes an array of float32 (ARRAY_OF_FLOAT32)."""
        self._write(field_name, _K.ARRAY_OF_FLOAT32, value)

    def write_float64(self, field_name: str, value: float) -> None:
        """Writes a 64-bit IEEE 754 float (FLOAT64)."""
        self._write(field_name, _K.FLOAT64, value)

    def write_array_of_float64(self, field_name: str, value: Optional[List[float]]) -> None:
        """Writes an array of float64 (ARRAY_OF_FLOAT64)."""
        self._write(field_name, _K.ARRAY_OF_FLOAT64, value)

    def write_string(self, field_name: str, value: Optional[str]) -> None:
        """Writes a UTF-8 string (STRING)."""
        self._write(field_name, _K.STRING, value)

    def write_array_of_string(self, field_name: str, value: Optional[List[Optional[str]]]) -> None:
        """Writes an array of strings (ARRAY_OF_STRING)."""
        self._write(field_name, _K.ARRAY_OF_STRING, value)

    def write_decimal(self, field_name: str, value: Optional[decimal.Decimal]) -> None:
        """Writes an arbitrary-precision decimal (DECIMAL)."""
        self._write(field_name, _K.DECIMAL, value)

    def write_array_of_decimal(self, field_name: str, value: Optional[List[Optional[decimal.Decimal]]]) -> None:
        """Writes an array of decimals (ARRAY_OF_DECIMAL)."""
        self._write(field_name, _K.ARRAY_OF_DECIMAL, value)

    def write_time(self, field_name: str, value: Optional[datetime.time]) -> None:
        """Writes a time of day (naive) (TIME)."""
        self._write(field_name, _K.TIME, value)

    def write_array_of_time(self, field_name: str, value: Optional[List[Optional[datetime.time]]]) -> None:
        """Writes an array of times (ARRAY_OF_TIME)."""
        self._write(field_name, _K.ARRAY_OF_TIME, value)

    def write_date(self, field_name: str, value: Optional[datetime.date]) -> None:
        """Writes a date (DATE)."""
        self._write(field_name, _K.DATE, value)

    def write_array_of_date(self, field_name: str, value: Optional[List[Optional[datetime.date]]]) -> None:
        """Writes an array of dates (ARRAY_OF_DATE)."""
        self._write(field_name, _K.ARRAY_OF_DATE, value)

    def write_timestamp(self, field_name: str, value: Optional[datetime.datetime]) -> None:
        """Writes a naive timestamp (TIMESTAMP)."""
        self._write(field_name, _K.TIMESTAMP, value)

    def write_array_of_timestamp(self, field_name: str, value: Optional[List[Optional[datetime.datetime]]]) -> None:
        """Writes an array of naive timestamps (ARRAY_OF_TIMESTAMP)."""
        self._write(field_name, _K.ARRAY_OF_TIMESTAMP, value)

    def write_timestamp_with_timezone(self, field_name: str, value: Optional[datetime.datetime]) -> None:
        """Writes an aware timestamp (TIMESTAMP_WITH_TIMEZONE)."""
        self._write(field_name, _K.TIMESTAMP_WITH_TIMEZONE, value)

    def write_array_of_timestamp_with_timezone(
        self, field_name: str, value: Optional[List[Optional[datetime.datetime]]]
    ) -> None:
        """Writes an array of aware timestamps (ARRAY_OF_TIMESTAMP_WITH_TIMEZONE)."""
        self._write(field_name, _K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE, value)

    def write_compact(self, field_name: str, value: Optional[Any]) -> None:
        """Writes a nested compact object (COMPACT)."""
        self._write(field_name, _K.COMPACT, value)

    def write_array_of_compact(self, field_name: str, value: Optional[List[Optional[Any]]]) -> None:
        """Writes an array of nested compact objects of one type (ARRAY_OF_COMPACT)."""
        self._write(field_name, _K.ARRAY_OF_COMPACT, value)

    def write_nullable_boolean(self, field_name: str, value: Optional[bool]) -> None:
        """Writes a nullable boolean (NULLABLE_BOOLEAN)."""
        self._write(field_name, _K.NULLABLE_BOOLEAN, value)

    def write_array_of_nullable_boolean(self, field_name: str, value: Optional[List[Optional[bool]]]) -> None:
        """Writes an array of nullable booleans (ARRAY_OF_NULLABLE_BOOLEAN)."""
        self._write(field_name, _K.ARRAY_OF_NULLABLE_BOOLEAN, value)

    def write_nullable_int8(self, field_name: str, value: Optional[int]) -> None:
        """Writes a nullable 8-bit integer (NULLABLE_INT8)."""
        self._write(field_name, _K.NULLABLE_INT8, value)

    def write_array_of_nullable_int8(self, field_name: str, value: Optional[List[Optional[int]]]) -> None:
        """Writes an array of nullable 8-bit integers (ARRAY_OF_NULLABLE_INT8)."""
        self._write(field_name, _K.ARRAY_OF_NULLABLE_INT8, value)

    def write_nullable_int16(self, field_name: str, value: Optional[int]) -> None:
        """Writes a nullable 16-bit integer (NULLABLE_INT16)."""
        self._write(field_name, _K.NULLABLE_INT16, value)

    def write_array_of_nullable_int16(self, field_name: str, value: Optional[List[Optional[int]]]) -> None:
        """Writes an array of nullable 16-bit integers (ARRAY_OF_NULLABLE_INT16)."""
        self._write(field_name, _K.ARRAY_OF_NULLABLE_INT16, value)

    def write_nullable_int32(self, field_name: str, value: Optional[int]) -> None:
        """Writes a nullable 32-bit integer (NULLABLE_INT32)."""
        self._write(field_name, _K.NULLABLE_INT32, value)

    def write_array_of_nullable_int32(self, field_name: str, value: Optional[List[Optional[int]]]) -> None:
        """Writes an array of nullable 32-bit integers (ARRAY_OF_NULLABLE_INT32)."""
        self._write(field_name, _K.ARRAY_OF_NULLABLE_INT32, value)

    def write_nullable_int64(self, field_name: str, value: Optional[int]) -> None:
        """Writes a nullable 64-bit integer (NULLABLE_INT64)."""
        self._write(field_name, _K.NULLABLE_INT64, value)

    def write_array_of_nullable_int64(self, field_name: str, value: Optional[List[Optional[int]]]) -> None:
        """Writes an array of nullable 64-bit integers (ARRAY_OF_NULLABLE_INT64)."""
        self._write(field_name, _K.ARRAY_OF_NULLABLE_INT64, value)

    def write_nullable_float32(self, field_name: str, value: Optional[float]) -> None:
        """Writes a nullable 32-bit float (NULLABLE_FLOAT32)."""
        self._write(field_name, _K.NULLABLE_FLOAT32, value)

    def write_array_of_nullable_float32(self, field_name: str, value: Optional[List[Optional[float]]]) -> None:
        """Writes an array of nullable 32-bit floats (ARRAY_OF_NULLABLE_FLOAT32)."""
        self._write(field_name, _K.ARRAY_OF_NULLABLE_FLOAT32, value)

    def write_nullable_float64(self, field_name: str, value: Optional[float]) -> None:
        """Writes a nullable 64-bit float (NULLABLE_FLOAT64)."""
        self._write(field_name, _K.NULLABLE_FLOAT64, value)

    def write_array_of_nullable_float64(self, field_name: str, value: Optional[List[Optional[float]]]) -> None:
        """Writes an array of nullable 64-bit floats (ARRAY_OF_NULLABLE_FLOAT64)."""
        self._write(field_name, _K.ARRAY_OF_NULLABLE_FLOAT64, value)


class DefaultCompactWriter(_KindWriter):
    """The :class:`CompactWriter` given to ``CompactSerializer.write``: collects the values of one object.

    The values are then encoded in one pass by the codec plan of the schema (compiled or pure). Each field must be
    written once, with its schema kind; variable-size values are laid out in the order they were written (as Java
    does, so the bytes match the official clients for the same serializer).
    """

    __slots__ = ("_schema", "_values", "_order")

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._values: List[Any] = [_UNSET] * len(schema.fields)
        self._order: List[int] = []

    def _write(self, field_name: str, kind: FieldKind, value: Any) -> None:
        field = self._schema.fields_dict.get(field_name)
        if field is None:
            raise HazelcastSerializationError(
                f"No field with the name {field_name!r} in {self._schema!r} (a serializer must write the same "
                "fields for every object of a class)")
        if field.kind != kind:
            raise _mismatch(field_name, kind, field.kind)
        slot = self._schema._slots[field_name]
        if self._values[slot] is _UNSET:
            self._order.append(slot)
        self._values[slot] = value

    def result(self) -> Tuple[List[Any], List[int]]:
        """The values (in schema field order) and the write order; every field must have been written."""
        if len(self._order) != len(self._values):
            missing = [f.name for f, v in zip(self._schema.fields, self._values) if v is _UNSET]
            raise HazelcastSerializationError(f"fields {missing} of {self._schema.type_name!r} were not written")
        return self._values, self._order


class SchemaWriter(_KindWriter):
    """Records the fields a serializer writes, to build the schema of its class (from the first object)."""

    __slots__ = ("_type_name", "_fields")

    def __init__(self, type_name: str) -> None:
        self._type_name = type_name
        self._fields: Dict[str, FieldKind] = {}

    def _write(self, field_name: str, kind: FieldKind, value: Any) -> None:
        if field_name in self._fields:
            raise HazelcastSerializationError(f"field {field_name!r} of {self._type_name!r} is written twice")
        self._fields[field_name] = kind

    def build(self) -> Schema:
        """The schema of the fields written so far."""
        return Schema(self._type_name, list(self._fields.items()))


class _KindReader(CompactReader):
    """Every ``read_<kind>`` funnels into ``_read(name, kind)`` and ``read_<kind>_or_default`` into
    ``_read_or_default``."""

    __slots__ = ()

    def _read(self, field_name: str, kind: FieldKind) -> Any:
        raise NotImplementedError

    def _read_or_default(self, field_name: str, kind: FieldKind, default: Any) -> Any:
        raise NotImplementedError

    def read_boolean(self, field_name: str) -> bool:
        """Reads a boolean (BOOLEAN). Also reads NULLABLE_BOOLEAN (not None)."""
        return self._read(field_name, _K.BOOLEAN)

    def read_boolean_or_default(self, field_name: str, default: bool) -> bool:
        """Like ``read_boolean``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.BOOLEAN, default)

    def read_array_of_boolean(self, field_name: str) -> Optional[List[bool]]:
        """Reads an array of booleans (ARRAY_OF_BOOLEAN). Also reads ARRAY_OF_NULLABLE_BOOLEAN (no None items)."""
        return self._read(field_name, _K.ARRAY_OF_BOOLEAN)

    def read_array_of_boolean_or_default(self, field_name: str, default: Optional[List[bool]]) -> Optional[List[bool]]:
        """Like ``read_array_of_boolean``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_BOOLEAN, default)

    def read_int8(self, field_name: str) -> int:
        """Reads an 8-bit signed integer (INT8). Also reads NULLABLE_INT8 (not None)."""
        return self._read(field_name, _K.INT8)

    def read_int8_or_default(self, field_name: str, default: int) -> int:
        """Like ``read_int8``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.INT8, default)

    def read_array_of_int8(self, field_name: str) -> Optional[List[int]]:
        """Reads an array of int8 (ARRAY_OF_INT8). Also reads ARRAY_OF_NULLABLE_INT8 (no None items)."""
        return self._read(field_name, _K.ARRAY_OF_INT8)

    def read_array_of_int8_or_default(self, field_name: str, default: Optional[List[int]]) -> Optional[List[int]]:
        """Like ``read_array_of_int8``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_INT8, default)

    def read_int16(self, field_name: str) -> int:
        """Reads a 16-bit signed integer (INT16). Also reads NULLABLE_INT16 (not None)."""
        return self._read(field_name, _K.INT16)

    def read_int16_or_default(self, field_name: str, default: int) -> int:
        """Like ``read_int16``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.INT16, default)

    def read_array_of_int16(self, field_name: str) -> Optional[List[int]]:
        """Reads an array of int16 (ARRAY_OF_INT16). Also reads ARRAY_OF_NULLABLE_INT16 (no None items)."""
        return self._read(field_name, _K.ARRAY_OF_INT16)

    def read_array_of_int16_or_default(self, field_name: str, default: Optional[List[int]]) -> Optional[List[int]]:
        """Like ``read_array_of_int16``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_INT16, default)

    def read_int32(self, field_name: str) -> int:
        """Reads a 32-bit signed integer (INT32). Also reads NULLABLE_INT32 (not None)."""
        return self._read(field_name, _K.INT32)

    def read_int32_or_default(self, field_name: str, default: int) -> int:
        """Like ``read_int32``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.INT32, default)

    def read_array_of_int32(self, field_name: str) -> Optional[List[int]]:
        """Reads an array of int32 (ARRAY_OF_INT32). Also reads ARRAY_OF_NULLABLE_INT32 (no None items)."""
        return self._read(field_name, _K.ARRAY_OF_INT32)

    def read_array_of_int32_or_default(self, field_name: str, default: Optional[List[int]]) -> Optional[List[int]]:
        """Like ``read_array_of_int32``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_INT32, default)

    def read_int64(self, field_name: str) -> int:
        """Reads a 64-bit signed integer (INT64). Also reads NULLABLE_INT64 (not None)."""
        return self._read(field_name, _K.INT64)

    def read_int64_or_default(self, field_name: str, default: int) -> int:
        """Like ``read_int64``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.INT64, default)

    def read_array_of_int64(self, field_name: str) -> Optional[List[int]]:
        """Reads an array of int64 (ARRAY_OF_INT64). Also reads ARRAY_OF_NULLABLE_INT64 (no None items)."""
        return self._read(field_name, _K.ARRAY_OF_INT64)

    def read_array_of_int64_or_default(self, field_name: str, default: Optional[List[int]]) -> Optional[List[int]]:
        """Like ``read_array_of_int64``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_INT64, default)

    def read_float32(self, field_name: str) -> float:
        """Reads a 32-bit IEEE 754 float (FLOAT32). Also reads NULLABLE_FLOAT32 (not None)."""
        return self._read(field_name, _K.FLOAT32)

    def read_float32_or_default(self, field_name: str, default: float) -> float:
        """Like ``read_float32``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.FLOAT32, default)

    def read_array_of_float32(self, field_name: str) -> Optional[List[float]]:
        """Reads an array of float32 (ARRAY_OF_FLOAT32). Also reads ARRAY_OF_NULLABLE_FLOAT32 (no None items)."""
        return self._read(field_name, _K.ARRAY_OF_FLOAT32)

    def read_array_of_float32_or_default(
        self, field_name: str, default: Optional[List[float]]
    ) -> Optional[List[float]]:
        """Like ``read_array_of_float32``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_FLOAT32, default)

    def read_float64(self, field_name: str) -> float:
        """Reads a 64-bit IEEE 754 float (FLOAT64). Also reads NULLABLE_FLOAT64 (not None)."""
        return self._read(field_name, _K.FLOAT64)

    def read_float64_or_default(self, field_name: str, default: float) -> float:
        """Like ``read_float64``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.FLOAT64, default)

    def read_array_of_float64(self, field_name: str) -> Optional[List[float]]:
        """Reads an array of float64 (ARRAY_OF_FLOAT64). Also reads ARRAY_OF_NULLABLE_FLOAT64 (no None items)."""
        return self._read(field_name, _K.ARRAY_OF_FLOAT64)

    def read_array_of_float64_or_default(
        self, field_name: str, default: Optional[List[float]]
    ) -> Optional[List[float]]:
        """Like ``read_array_of_float64``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_FLOAT64, default)

    def read_string(self, field_name: str) -> Optional[str]:
        """Reads a UTF-8 string (STRING)."""
        return self._read(field_name, _K.STRING)

    def read_string_or_default(self, field_name: str, default: Optional[str]) -> Optional[str]:
        """Like ``read_string``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.STRING, default)

    def read_array_of_string(self, field_name: str) -> Optional[List[Optional[str]]]:
        """Reads an array of strings (ARRAY_OF_STRING)."""
        return self._read(field_name, _K.ARRAY_OF_STRING)

    def read_array_of_string_or_default(
        self, field_name: str, default: Optional[List[Optional[str]]]
    ) -> Optional[List[Optional[str]]]:
        """Like ``read_array_of_string``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_STRING, default)

    def read_decimal(self, field_name: str) -> Optional[decimal.Decimal]:
        """Reads an arbitrary-precision decimal (DECIMAL)."""
        return self._read(field_name, _K.DECIMAL)

    def read_decimal_or_default(self, field_name: str, default: Optional[decimal.Decimal]) -> Optional[decimal.Decimal]:
        """Like ``read_decimal``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.DECIMAL, default)

    def read_array_of_decimal(self, field_name: str) -> Optional[List[Optional[decimal.Decimal]]]:
        """Reads an array of decimals (ARRAY_OF_DECIMAL)."""
        return self._read(field_name, _K.ARRAY_OF_DECIMAL)

    def read_array_of_decimal_or_default(
        self, field_name: str, default: Optional[List[Optional[decimal.Decimal]]]
    ) -> Optional[List[Optional[decimal.Decimal]]]:
        """Like ``read_array_of_decimal``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_DECIMAL, default)

    def read_time(self, field_name: str) -> Optional[datetime.time]:
        """Reads a time of day (naive) (TIME)."""
        return self._read(field_name, _K.TIME)

    def read_time_or_default(self, field_name: str, default: Optional[datetime.time]) -> Optional[datetime.time]:
        """Like ``read_time``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.TIME, default)

    def read_array_of_time(self, field_name: str) -> Optional[List[Optional[datetime.time]]]:
        """Reads an array of times (ARRAY_OF_TIME)."""
        return self._read(field_name, _K.ARRAY_OF_TIME)

    def read_array_of_time_or_default(
        self, field_name: str, default: Optional[List[Optional[datetime.time]]]
    ) -> Optional[List[Optional[datetime.time]]]:
        """Like ``read_array_of_time``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_TIME, default)

    def read_date(self, field_name: str) -> Optional[datetime.date]:
        """Reads a date (DATE)."""
        return self._read(field_name, _K.DATE)

    def read_date_or_default(self, field_name: str, default: Optional[datetime.date]) -> Optional[datetime.date]:
        """Like ``read_date``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.DATE, default)

    def read_array_of_date(self, field_name: str) -> Optional[List[Optional[datetime.date]]]:
        """Reads an array of dates (ARRAY_OF_DATE)."""
        return self._read(field_name, _K.ARRAY_OF_DATE)

    def read_array_of_date_or_default(
        self, field_name: str, default: Optional[List[Optional[datetime.date]]]
    ) -> Optional[List[Optional[datetime.date]]]:
        """Like ``read_array_of_date``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_DATE, default)

    def read_timestamp(self, field_name: str) -> Optional[datetime.datetime]:
        """Reads a naive timestamp (TIMESTAMP)."""
        return self._read(field_name, _K.TIMESTAMP)

    def read_timestamp_or_default(
        self, field_name: str, default: Optional[datetime.datetime]
    ) -> Optional[datetime.datetime]:
        """Like ``read_timestamp``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.TIMESTAMP, default)

    def read_array_of_timestamp(self, field_name: str) -> Optional[List[Optional[datetime.datetime]]]:
        """Reads an array of naive timestamps (ARRAY_OF_TIMESTAMP)."""
        return self._read(field_name, _K.ARRAY_OF_TIMESTAMP)

    def read_array_of_timestamp_or_default(
        self, field_name: str, default: Optional[List[Optional[datetime.datetime]]]
    ) -> Optional[List[Optional[datetime.datetime]]]:
        """Like ``read_array_of_timestamp``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_TIMESTAMP, default)

    def read_timestamp_with_timezone(self, field_name: str) -> Optional[datetime.datetime]:
        """Reads an aware timestamp (TIMESTAMP_WITH_TIMEZONE)."""
        return self._read(field_name, _K.TIMESTAMP_WITH_TIMEZONE)

    def read_timestamp_with_timezone_or_default(
        self, field_name: str, default: Optional[datetime.datetime]
    ) -> Optional[datetime.datetime]:
        """Like ``read_timestamp_with_timezone``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.TIMESTAMP_WITH_TIMEZONE, default)

    def read_array_of_timestamp_with_timezone(self, field_name: str) -> Optional[List[Optional[datetime.datetime]]]:
        """Reads an array of aware timestamps (ARRAY_OF_TIMESTAMP_WITH_TIMEZONE)."""
        return self._read(field_name, _K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE)

    def read_array_of_timestamp_with_timezone_or_default(
        self, field_name: str, default: Optional[List[Optional[datetime.datetime]]]
    ) -> Optional[List[Optional[datetime.datetime]]]:
        """Like ``read_array_of_timestamp_with_timezone``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE, default)

    def read_compact(self, field_name: str) -> Optional[Any]:
        """Reads a nested compact object (COMPACT)."""
        return self._read(field_name, _K.COMPACT)

    def read_compact_or_default(self, field_name: str, default: Optional[Any]) -> Optional[Any]:
        """Like ``read_compact``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.COMPACT, default)

    def read_array_of_compact(self, field_name: str) -> Optional[List[Optional[Any]]]:
        """Reads an array of nested compact objects of one type (ARRAY_OF_COMPACT)."""
        return self._read(field_name, _K.ARRAY_OF_COMPACT)

    def read_array_of_compact_or_default(
        self, field_name: str, default: Optional[List[Optional[Any]]]
    ) -> Optional[List[Optional[Any]]]:
        """Like ``read_array_of_compact``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_COMPACT, default)

    def read_nullable_boolean(self, field_name: str) -> Optional[bool]:
        """Reads a nullable boolean (NULLABLE_BOOLEAN). Also reads BOOLEAN."""
        return self._read(field_name, _K.NULLABLE_BOOLEAN)

    def read_nullable_boolean_or_default(self, field_name: str, default: Optional[bool]) -> Optional[bool]:
        """Like ``read_nullable_boolean``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.NULLABLE_BOOLEAN, default)

    def read_array_of_nullable_boolean(self, field_name: str) -> Optional[List[Optional[bool]]]:
        """Reads an array of nullable booleans (ARRAY_OF_NULLABLE_BOOLEAN). Also reads ARRAY_OF_BOOLEAN."""
        return self._read(field_name, _K.ARRAY_OF_NULLABLE_BOOLEAN)

    def read_array_of_nullable_boolean_or_default(
        self, field_name: str, default: Optional[List[Optional[bool]]]
    ) -> Optional[List[Optional[bool]]]:
        """Like ``read_array_of_nullable_boolean``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_NULLABLE_BOOLEAN, default)

    def read_nullable_int8(self, field_name: str) -> Optional[int]:
        """Reads a nullable 8-bit integer (NULLABLE_INT8). Also reads INT8."""
        return self._read(field_name, _K.NULLABLE_INT8)

    def read_nullable_int8_or_default(self, field_name: str, default: Optional[int]) -> Optional[int]:
        """Like ``read_nullable_int8``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.NULLABLE_INT8, default)

    def read_array_of_nullable_int8(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Reads an array of nullable 8-bit integers (ARRAY_OF_NULLABLE_INT8). Also reads ARRAY_OF_INT8."""
        return self._read(field_name, _K.ARRAY_OF_NULLABLE_INT8)

    def read_array_of_nullable_int8_or_default(
        self, field_name: str, default: Optional[List[Optional[int]]]
    ) -> Optional[List[Optional[int]]]:
        """Like ``read_array_of_nullable_int8``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_NULLABLE_INT8, default)

    def read_nullable_int16(self, field_name: str) -> Optional[int]:
        """Reads a nullable 16-bit integer (NULLABLE_INT16). Also reads INT16."""
        return self._read(field_name, _K.NULLABLE_INT16)

    def read_nullable_int16_or_default(self, field_name: str, default: Optional[int]) -> Optional[int]:
        """Like ``read_nullable_int16``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.NULLABLE_INT16, default)

    def read_array_of_nullable_int16(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Reads an array of nullable 16-bit integers (ARRAY_OF_NULLABLE_INT16). Also reads ARRAY_OF_INT16."""
        return self._read(field_name, _K.ARRAY_OF_NULLABLE_INT16)

    def read_array_of_nullable_int16_or_default(
        self, field_name: str, default: Optional[List[Optional[int]]]
    ) -> Optional[List[Optional[int]]]:
        """Like ``read_array_of_nullable_int16``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_NULLABLE_INT16, default)

    def read_nullable_int32(self, field_name: str) -> Optional[int]:
        """Reads a nullable 32-bit integer (NULLABLE_INT32). Also reads INT32."""
        return self._read(field_name, _K.NULLABLE_INT32)

    def read_nullable_int32_or_default(self, field_name: str, default: Optional[int]) -> Optional[int]:
        """Like ``read_nullable_int32``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.NULLABLE_INT32, default)

    def read_array_of_nullable_int32(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Reads an array of nullable 32-bit integers (ARRAY_OF_NULLABLE_INT32). Also reads ARRAY_OF_INT32."""
        return self._read(field_name, _K.ARRAY_OF_NULLABLE_INT32)

    def read_array_of_nullable_int32_or_default(
        self, field_name: str, default: Optional[List[Optional[int]]]
    ) -> Optional[List[Optional[int]]]:
        """Like ``read_array_of_nullable_int32``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_NULLABLE_INT32, default)

    def read_nullable_int64(self, field_name: str) -> Optional[int]:
        """Reads a nullable 64-bit integer (NULLABLE_INT64). Also reads INT64."""
        return self._read(field_name, _K.NULLABLE_INT64)

    def read_nullable_int64_or_default(self, field_name: str, default: Optional[int]) -> Optional[int]:
        """Like ``read_nullable_int64``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.NULLABLE_INT64, default)

    def read_array_of_nullable_int64(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Reads an array of nullable 64-bit integers (ARRAY_OF_NULLABLE_INT64). Also reads ARRAY_OF_INT64."""
        return self._read(field_name, _K.ARRAY_OF_NULLABLE_INT64)

    def read_array_of_nullable_int64_or_default(
        self, field_name: str, default: Optional[List[Optional[int]]]
    ) -> Optional[List[Optional[int]]]:
        """Like ``read_array_of_nullable_int64``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_NULLABLE_INT64, default)

    def read_nullable_float32(self, field_name: str) -> Optional[float]:
        """Reads a nullable 32-bit float (NULLABLE_FLOAT32). Also reads FLOAT32."""
        return self._read(field_name, _K.NULLABLE_FLOAT32)

    def read_nullable_float32_or_default(self, field_name: str, default: Optional[float]) -> Optional[float]:
        """Like ``read_nullable_float32``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.NULLABLE_FLOAT32, default)

    def read_array_of_nullable_float32(self, field_name: str) -> Optional[List[Optional[float]]]:
        """Reads an array of nullable 32-bit floats (ARRAY_OF_NULLABLE_FLOAT32). Also reads ARRAY_OF_FLOAT32."""
        return self._read(field_name, _K.ARRAY_OF_NULLABLE_FLOAT32)

    def read_array_of_nullable_float32_or_default(
        self, field_name: str, default: Optional[List[Optional[float]]]
    ) -> Optional[List[Optional[float]]]:
        """Like ``read_array_of_nullable_float32``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_NULLABLE_FLOAT32, default)

    def read_nullable_float64(self, field_name: str) -> Optional[float]:
        """Reads a nullable 64-bit float (NULLABLE_FLOAT64). Also reads FLOAT64."""
        return self._read(field_name, _K.NULLABLE_FLOAT64)

    def read_nullable_float64_or_default(self, field_name: str, default: Optional[float]) -> Optional[float]:
        """Like ``read_nullable_float64``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.NULLABLE_FLOAT64, default)

    def read_array_of_nullable_float64(self, field_name: str) -> Optional[List[Optional[float]]]:
        """Reads an array of nullable 64-bit floats (ARRAY_OF_NULLABLE_FLOAT64). Also reads ARRAY_OF_FLOAT64."""
        return self._read(field_name, _K.ARRAY_OF_NULLABLE_FLOAT64)

    def read_array_of_nullable_float64_or_default(
        self, field_name: str, default: Optional[List[Optional[float]]]
    ) -> Optional[List[Optional[float]]]:
        """Like ``read_array_of_nullable_float64``, or ``default`` if the field is absent or of another kind."""
        return self._read_or_default(field_name, _K.ARRAY_OF_NULLABLE_FLOAT64, default)


class DefaultCompactReader(_KindReader):
    """The :class:`CompactReader` given to ``CompactSerializer.read``: the fields of one object, already decoded.

    The codec plan of the data's schema decodes all fields in one pass; the methods check kinds and nullability as
    Java does. ``read_<kind>_or_default`` returns the default when the field is absent or has a kind the method
    cannot read.
    """

    __slots__ = ("_schema", "_values")

    def __init__(self, schema: Schema, values: Sequence[Any]) -> None:
        self._schema = schema
        self._values = values

    @property
    def schema(self) -> Schema:
        """The schema of the data being read."""
        return self._schema

    def get_field_kind(self, field_name: str) -> FieldKind:
        field = self._schema.fields_dict.get(field_name)
        return FieldKind.NOT_AVAILABLE if field is None else field.kind

    def _read(self, field_name: str, kind: FieldKind) -> Any:
        field = self._schema.fields_dict.get(field_name)
        if field is None:
            raise HazelcastSerializationError(f"No field with the name {field_name!r} in {self._schema!r}")
        check = _COMPATIBLE[kind].get(field.kind)
        if check is None:
            raise _mismatch(field_name, kind, field.kind)
        value = self._values[self._schema._slots[field_name]]
        return value if check == _CHECK_NONE else _checked_value(field_name, kind, field.kind, check, value)

    def _read_or_default(self, field_name: str, kind: FieldKind, default: Any) -> Any:
        field = self._schema.fields_dict.get(field_name)
        if field is None or field.kind not in _COMPATIBLE[kind]:
            return default
        return self._read(field_name, kind)


# ==================================================================================================================
# GenericRecord
# ==================================================================================================================


class GenericRecord:
    """A compact object without a class: a schema and a value per field.

    Data whose type name has no registered serializer or class is read as a GenericRecord (as Java does); nested
    compact fields of a GenericRecord are GenericRecords too. Build new ones with
    :meth:`GenericRecordBuilder.compact`. ``get_<kind>`` follows the same kind and nullability rules as
    :class:`DefaultCompactReader`.
    """

    __slots__ = ("_schema", "_values")

    def __init__(self, schema: Schema, values: Sequence[Any]) -> None:
        if len(values) != len(schema.fields):
            raise HazelcastSerializationError(f"{len(schema.fields)} values are needed, got {len(values)}")
        self._schema = schema
        self._values = list(values)

    @property
    def schema(self) -> Schema:
        """The schema of the record."""
        return self._schema

    @property
    def type_name(self) -> str:
        """The type name of the record's schema."""
        return self._schema.type_name

    def get_field_kind(self, field_name: str) -> FieldKind:
        """The kind of the field, or :attr:`FieldKind.NOT_AVAILABLE` if the record has no such field."""
        field = self._schema.fields_dict.get(field_name)
        return FieldKind.NOT_AVAILABLE if field is None else field.kind

    def has_field(self, field_name: str) -> bool:
        """Whether the record has the field."""
        return field_name in self._schema.fields_dict

    def get_field_names(self) -> List[str]:
        """The names of the fields, in schema order."""
        return [f.name for f in self._schema.fields]

    def new_builder(self) -> "GenericRecordBuilder":
        """A builder of a new record with the same schema; every field must be set."""
        return GenericRecordBuilder._for_schema(self._schema, None)

    def new_builder_with_clone(self) -> "GenericRecordBuilder":
        """A builder that starts from this record's values; each field can be overwritten once."""
        return GenericRecordBuilder._for_schema(self._schema, self._values)

    def _get(self, field_name: str, kind: FieldKind) -> Any:
        field = self._schema.fields_dict.get(field_name)
        if field is None:
            raise HazelcastSerializationError(f"No field with the name {field_name!r} in {self._schema!r}")
        check = _COMPATIBLE[kind].get(field.kind)
        if check is None:
            raise _mismatch(field_name, kind, field.kind)
        value = self._values[self._schema._slots[field_name]]
        return value if check == _CHECK_NONE else _checked_value(field_name, kind, field.kind, check, value)

    def get_boolean(self, field_name: str) -> bool:
        """Returns a boolean (BOOLEAN). Also returns NULLABLE_BOOLEAN (not None)."""
        return self._get(field_name, _K.BOOLEAN)

    def get_array_of_boolean(self, field_name: str) -> Optional[List[bool]]:
        """Returns an array of booleans (ARRAY_OF_BOOLEAN). Also returns ARRAY_OF_NULLABLE_BOOLEAN (no None items)."""
        return self._get(field_name, _K.ARRAY_OF_BOOLEAN)

    def get_int8(self, field_name: str) -> int:
        """Returns an 8-bit signed integer (INT8). Also returns NULLABLE_INT8 (not None)."""
        return self._get(field_name, _K.INT8)

    def get_array_of_int8(self, field_name: str) -> Optional[List[int]]:
        """Returns an array of int8 (ARRAY_OF_INT8). Also returns ARRAY_OF_NULLABLE_INT8 (no None items)."""
        return self._get(field_name, _K.ARRAY_OF_INT8)

    def get_int16(self, field_name: str) -> int:
        """Returns a 16-bit signed integer (INT16). Also returns NULLABLE_INT16 (not None)."""
        return self._get(field_name, _K.INT16)

    def get_array_of_int16(self, field_name: str) -> Optional[List[int]]:
        """Returns an array of int16 (ARRAY_OF_INT16). Also returns ARRAY_OF_NULLABLE_INT16 (no None items)."""
        return self._get(field_name, _K.ARRAY_OF_INT16)

    def get_int32(self, field_name: str) -> int:
        """Returns a 32-bit signed integer (INT32). Also returns NULLABLE_INT32 (not None)."""
        return self._get(field_name, _K.INT32)

    def get_array_of_int32(self, field_name: str) -> Optional[List[int]]:
        """Returns an array of int32 (ARRAY_OF_INT32). Also returns ARRAY_OF_NULLABLE_INT32 (no None items)."""
        return self._get(field_name, _K.ARRAY_OF_INT32)

    def get_int64(self, field_name: str) -> int:
        """Returns a 64-bit signed integer (INT64). Also returns NULLABLE_INT64 (not None)."""
        return self._get(field_name, _K.INT64)

    def get_array_of_int64(self, field_name: str) -> Optional[List[int]]:
        """Returns an array of int64 (ARRAY_OF_INT64). Also returns ARRAY_OF_NULLABLE_INT64 (no None items)."""
        return self._get(field_name, _K.ARRAY_OF_INT64)

    def get_float32(self, field_name: str) -> float:
        """Returns a 32-bit IEEE 754 float (FLOAT32). Also returns NULLABLE_FLOAT32 (not None)."""
        return self._get(field_name, _K.FLOAT32)

    def get_array_of_float32(self, field_name: str) -> Optional[List[float]]:
        """Returns an array of float32 (ARRAY_OF_FLOAT32). Also returns ARRAY_OF_NULLABLE_FLOAT32 (no None items)."""
        return self._get(field_name, _K.ARRAY_OF_FLOAT32)

    def get_float64(self, field_name: str) -> float:
        """Returns a 64-bit IEEE 754 float (FLOAT64). Also returns NULLABLE_FLOAT64 (not None)."""
        return self._get(field_name, _K.FLOAT64)

    def get_array_of_float64(self, field_name: str) -> Optional[List[float]]:
        """Returns an array of float64 (ARRAY_OF_FLOAT64). Also returns ARRAY_OF_NULLABLE_FLOAT64 (no None items)."""
        return self._get(field_name, _K.ARRAY_OF_FLOAT64)

    def get_string(self, field_name: str) -> Optional[str]:
        """Returns a UTF-8 string (STRING)."""
        return self._get(field_name, _K.STRING)

    def get_array_of_string(self, field_name: str) -> Optional[List[Optional[str]]]:
        """Returns an array of strings (ARRAY_OF_STRING)."""
        return self._get(field_name, _K.ARRAY_OF_STRING)

    def get_decimal(self, field_name: str) -> Optional[decimal.Decimal]:
        """Returns an arbitrary-precision decimal (DECIMAL)."""
        return self._get(field_name, _K.DECIMAL)

    def get_array_of_decimal(self, field_name: str) -> Optional[List[Optional[decimal.Decimal]]]:
        """Returns an array of decimals (ARRAY_OF_DECIMAL)."""
        return self._get(field_name, _K.ARRAY_OF_DECIMAL)

    def get_time(self, field_name: str) -> Optional[datetime.time]:
        """Returns a time of day (naive) (TIME)."""
        return self._get(field_name, _K.TIME)

    def get_array_of_time(self, field_name: str) -> Optional[List[Optional[datetime.time]]]:
        """Returns an array of times (ARRAY_OF_TIME)."""
        return self._get(field_name, _K.ARRAY_OF_TIME)

    def get_date(self, field_name: str) -> Optional[datetime.date]:
        """Returns a date (DATE)."""
        return self._get(field_name, _K.DATE)

    def get_array_of_date(self, field_name: str) -> Optional[List[Optional[datetime.date]]]:
        """Returns an array of dates (ARRAY_OF_DATE)."""
        return self._get(field_name, _K.ARRAY_OF_DATE)

    def get_timestamp(self, field_name: str) -> Optional[datetime.datetime]:
        """Returns a naive timestamp (TIMESTAMP)."""
        return self._get(field_name, _K.TIMESTAMP)

    def get_array_of_timestamp(self, field_name: str) -> Optional[List[Optional[datetime.datetime]]]:
        """Returns an array of naive timestamps (ARRAY_OF_TIMESTAMP)."""
        return self._get(field_name, _K.ARRAY_OF_TIMESTAMP)

    def get_timestamp_with_timezone(self, field_name: str) -> Optional[datetime.datetime]:
        """Returns an aware timestamp (TIMESTAMP_WITH_TIMEZONE)."""
        return self._get(field_name, _K.TIMESTAMP_WITH_TIMEZONE)

    def get_array_of_timestamp_with_timezone(self, field_name: str) -> Optional[List[Optional[datetime.datetime]]]:
        """Returns an array of aware timestamps (ARRAY_OF_TIMESTAMP_WITH_TIMEZONE)."""
        return self._get(field_name, _K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE)

    def get_generic_record(self, field_name: str) -> Optional["GenericRecord"]:
        """Returns a nested compact object (COMPACT)."""
        return self._get(field_name, _K.COMPACT)

    def get_array_of_generic_record(self, field_name: str) -> Optional[List[Optional["GenericRecord"]]]:
        """Returns an array of nested compact objects of one type (ARRAY_OF_COMPACT)."""
        return self._get(field_name, _K.ARRAY_OF_COMPACT)

    def get_nullable_boolean(self, field_name: str) -> Optional[bool]:
        """Returns a nullable boolean (NULLABLE_BOOLEAN). Also returns BOOLEAN."""
        return self._get(field_name, _K.NULLABLE_BOOLEAN)

    def get_array_of_nullable_boolean(self, field_name: str) -> Optional[List[Optional[bool]]]:
        """Returns an array of nullable booleans (ARRAY_OF_NULLABLE_BOOLEAN). Also returns ARRAY_OF_BOOLEAN."""
        return self._get(field_name, _K.ARRAY_OF_NULLABLE_BOOLEAN)

    def get_nullable_int8(self, field_name: str) -> Optional[int]:
        """Returns a nullable 8-bit integer (NULLABLE_INT8). Also returns INT8."""
        return self._get(field_name, _K.NULLABLE_INT8)

    def get_array_of_nullable_int8(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Returns an array of nullable 8-bit integers (ARRAY_OF_NULLABLE_INT8). Also returns ARRAY_OF_INT8."""
        return self._get(field_name, _K.ARRAY_OF_NULLABLE_INT8)

    def get_nullable_int16(self, field_name: str) -> Optional[int]:
        """Returns a nullable 16-bit integer (NULLABLE_INT16). Also returns INT16."""
        return self._get(field_name, _K.NULLABLE_INT16)

    def get_array_of_nullable_int16(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Returns an array of nullable 16-bit integers (ARRAY_OF_NULLABLE_INT16). Also returns ARRAY_OF_INT16."""
        return self._get(field_name, _K.ARRAY_OF_NULLABLE_INT16)

    def get_nullable_int32(self, field_name: str) -> Optional[int]:
        """Returns a nullable 32-bit integer (NULLABLE_INT32). Also returns INT32."""
        return self._get(field_name, _K.NULLABLE_INT32)

    def get_array_of_nullable_int32(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Returns an array of nullable 32-bit integers (ARRAY_OF_NULLABLE_INT32). Also returns ARRAY_OF_INT32."""
        return self._get(field_name, _K.ARRAY_OF_NULLABLE_INT32)

    def get_nullable_int64(self, field_name: str) -> Optional[int]:
        """Returns a nullable 64-bit integer (NULLABLE_INT64). Also returns INT64."""
        return self._get(field_name, _K.NULLABLE_INT64)

    def get_array_of_nullable_int64(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Returns an array of nullable 64-bit integers (ARRAY_OF_NULLABLE_INT64). Also returns ARRAY_OF_INT64."""
        return self._get(field_name, _K.ARRAY_OF_NULLABLE_INT64)

    def get_nullable_float32(self, field_name: str) -> Optional[float]:
        """Returns a nullable 32-bit float (NULLABLE_FLOAT32). Also returns FLOAT32."""
        return self._get(field_name, _K.NULLABLE_FLOAT32)

    def get_array_of_nullable_float32(self, field_name: str) -> Optional[List[Optional[float]]]:
        """Returns an array of nullable 32-bit floats (ARRAY_OF_NULLABLE_FLOAT32). Also returns ARRAY_OF_FLOAT32."""
        return self._get(field_name, _K.ARRAY_OF_NULLABLE_FLOAT32)

    def get_nullable_float64(self, field_name: str) -> Optional[float]:
        """Returns a nullable 64-bit float (NULLABLE_FLOAT64). Also returns FLOAT64."""
        return self._get(field_name, _K.NULLABLE_FLOAT64)

    def get_array_of_nullable_float64(self, field_name: str) -> Optional[List[Optional[float]]]:
        """Returns an array of nullable 64-bit floats (ARRAY_OF_NULLABLE_FLOAT64). Also returns ARRAY_OF_FLOAT64."""
        return self._get(field_name, _K.ARRAY_OF_NULLABLE_FLOAT64)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, GenericRecord) and self._schema == other._schema and self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # mutable values (lists)

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={v!r}" for f, v in zip(self._schema.fields, self._values))
        return f"GenericRecord({self._schema.type_name!r}, {fields})"


class GenericRecordBuilder:
    """Builds :class:`GenericRecord` objects: ``GenericRecordBuilder.compact("com.acme.Person").set_int32("age",
    37).set_string("name", "Ada").build()``.

    Each field can be set once. A builder from :meth:`GenericRecord.new_builder` must set every field of the schema,
    with the schema's kinds; one from :meth:`GenericRecord.new_builder_with_clone` starts from the record's values.
    """

    __slots__ = ("_type_name", "_schema", "_fields", "_values", "_done")

    def __init__(self, type_name: str) -> None:
        if not isinstance(type_name, str):
            raise HazelcastSerializationError(f"a type name must be a str, got {type_name!r}")
        self._type_name = type_name
        self._schema: Optional[Schema] = None
        self._fields: Dict[str, Tuple[FieldKind, Any]] = {}
        self._values: List[Any] = []
        self._done: set = set()

    @staticmethod
    def compact(type_name: str) -> "GenericRecordBuilder":
        """A builder of a record of a new (or known) schema with that type name; the fields define the schema."""
        return GenericRecordBuilder(type_name)

    @staticmethod
    def _for_schema(schema: Schema, values: Optional[Sequence[Any]]) -> "GenericRecordBuilder":
        builder = GenericRecordBuilder(schema.type_name)
        builder._schema = schema
        builder._values = list(values) if values is not None else [_UNSET] * len(schema.fields)
        return builder

    def _set(self, field_name: str, kind: FieldKind, value: Any) -> "GenericRecordBuilder":
        if field_name in self._done:
            raise HazelcastSerializationError(f"field {field_name!r} is already set; each field can be set once")
        if kind == _K.COMPACT:
            if value is not None and not isinstance(value, GenericRecord):
                raise HazelcastSerializationError(f"field {field_name!r}: a GenericRecord is needed, got {value!r}")
        elif kind == _K.ARRAY_OF_COMPACT and value is not None:
            if not isinstance(value, (list, tuple)) or any(
                    v is not None and not isinstance(v, GenericRecord) for v in value):
                raise HazelcastSerializationError(f"field {field_name!r}: a list of GenericRecords is needed")
        if self._schema is None:
            self._fields[field_name] = (kind, value)
        else:
            field = self._schema.fields_dict.get(field_name)
            if field is None:
                raise HazelcastSerializationError(f"No field with the name {field_name!r} in {self._schema!r}")
            if field.kind != kind:
                raise _mismatch(field_name, kind, field.kind)
            self._values[self._schema._slots[field_name]] = value
        self._done.add(field_name)
        return self

    def set_boolean(self, field_name: str, value: bool) -> "GenericRecordBuilder":
        """Sets a boolean (BOOLEAN)."""
        return self._set(field_name, _K.BOOLEAN, value)

    def set_array_of_boolean(self, field_name: str, value: Optional[List[bool]]) -> "GenericRecordBuilder":
        """Sets an array of booleans (ARRAY_OF_BOOLEAN)."""
        return self._set(field_name, _K.ARRAY_OF_BOOLEAN, value)

    def set_int8(self, field_name: str, value: int) -> "GenericRecordBuilder":
        """Sets an 8-bit signed integer (INT8)."""
        return self._set(field_name, _K.INT8, value)

    def set_array_of_int8(self, field_name: str, value: Optional[List[int]]) -> "GenericRecordBuilder":
        """Sets an array of int8 (ARRAY_OF_INT8)."""
        return self._set(field_name, _K.ARRAY_OF_INT8, value)

    def set_int16(self, field_name: str, value: int) -> "GenericRecordBuilder":
        """Sets a 16-bit signed integer (INT16)."""
        return self._set(field_name, _K.INT16, value)

    def set_array_of_int16(self, field_name: str, value: Optional[List[int]]) -> "GenericRecordBuilder":
        """Sets an array of int16 (ARRAY_OF_INT16)."""
        return self._set(field_name, _K.ARRAY_OF_INT16, value)

    def set_int32(self, field_name: str, value: int) -> "GenericRecordBuilder":
        """Sets a 32-bit signed integer (INT32)."""
        return self._set(field_name, _K.INT32, value)

    def set_array_of_int32(self, field_name: str, value: Optional[List[int]]) -> "GenericRecordBuilder":
        """Sets an array of int32 (ARRAY_OF_INT32)."""
        return self._set(field_name, _K.ARRAY_OF_INT32, value)

    def set_int64(self, field_name: str, value: int) -> "GenericRecordBuilder":
        """Sets a 64-bit signed integer (INT64)."""
        return self._set(field_name, _K.INT64, value)

    def set_array_of_int64(self, field_name: str, value: Optional[List[int]]) -> "GenericRecordBuilder":
        """Sets an array of int64 (ARRAY_OF_INT64)."""
        return self._set(field_name, _K.ARRAY_OF_INT64, value)

    def set_float32(self, field_name: str, value: float) -> "GenericRecordBuilder":
        """Sets a 32-bit IEEE 754 float (FLOAT32)."""
        return self._set(field_name, _K.FLOAT32, value)

    def set_array_of_float32(self, field_name: str, value: Optional[List[float]]) -> "GenericRecordBuilder":
        """Sets an array of float32 (ARRAY_OF_FLOAT32)."""
        return self._set(field_name, _K.ARRAY_OF_FLOAT32, value)

    def set_float64(self, field_name: str, value: float) -> "GenericRecordBuilder":
        """Sets a 64-bit IEEE 754 float (FLOAT64)."""
        return self._set(field_name, _K.FLOAT64, value)

    def set_array_of_float64(self, field_name: str, value: Optional[List[float]]) -> "GenericRecordBuilder":
        """Sets an array of float64 (ARRAY_OF_FLOAT64)."""
        return self._set(field_name, _K.ARRAY_OF_FLOAT64, value)

    def set_string(self, field_name: str, value: Optional[str]) -> "GenericRecordBuilder":
        """Sets a UTF-8 string (STRING)."""
        return self._set(field_name, _K.STRING, value)

    def set_array_of_string(self, field_name: str, value: Optional[List[Optional[str]]]) -> "GenericRecordBuilder":
        """Sets an array of strings (ARRAY_OF_STRING)."""
        return self._set(field_name, _K.ARRAY_OF_STRING, value)

    def set_decimal(self, field_name: str, value: Optional[decimal.Decimal]) -> "GenericRecordBuilder":
        """Sets an arbitrary-precision decimal (DECIMAL)."""
        return self._set(field_name, _K.DECIMAL, value)

    def set_array_of_decimal(
        self, field_name: str, value: Optional[List[Optional[decimal.Decimal]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of decimals (ARRAY_OF_DECIMAL)."""
        return self._set(field_name, _K.ARRAY_OF_DECIMAL, value)

    def set_time(self, field_name: str, value: Optional[datetime.time]) -> "GenericRecordBuilder":
        """Sets a time of day (naive) (TIME)."""
        return self._set(field_name, _K.TIME, value)

    def set_array_of_time(
        self, field_name: str, value: Optional[List[Optional[datetime.time]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of times (ARRAY_OF_TIME)."""
        return self._set(field_name, _K.ARRAY_OF_TIME, value)

    def set_date(self, field_name: str, value: Optional[datetime.date]) -> "GenericRecordBuilder":
        """Sets a date (DATE)."""
        return self._set(field_name, _K.DATE, value)

    def set_array_of_date(
        self, field_name: str, value: Optional[List[Optional[datetime.date]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of dates (ARRAY_OF_DATE)."""
        return self._set(field_name, _K.ARRAY_OF_DATE, value)

    def set_timestamp(self, field_name: str, value: Optional[datetime.datetime]) -> "GenericRecordBuilder":
        """Sets a naive timestamp (TIMESTAMP)."""
        return self._set(field_name, _K.TIMESTAMP, value)

    def set_array_of_timestamp(
        self, field_name: str, value: Optional[List[Optional[datetime.datetime]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of naive timestamps (ARRAY_OF_TIMESTAMP)."""
        return self._set(field_name, _K.ARRAY_OF_TIMESTAMP, value)

    def set_timestamp_with_timezone(
        self, field_name: str, value: Optional[datetime.datetime]
    ) -> "GenericRecordBuilder":
        """Sets an aware timestamp (TIMESTAMP_WITH_TIMEZONE)."""
        return self._set(field_name, _K.TIMESTAMP_WITH_TIMEZONE, value)

    def set_array_of_timestamp_with_timezone(
        self, field_name: str, value: Optional[List[Optional[datetime.datetime]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of aware timestamps (ARRAY_OF_TIMESTAMP_WITH_TIMEZONE)."""
        return self._set(field_name, _K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE, value)

    def set_generic_record(self, field_name: str, value: Optional["GenericRecord"]) -> "GenericRecordBuilder":
        """Sets a nested compact object (COMPACT)."""
        return self._set(field_name, _K.COMPACT, value)

    def set_array_of_generic_record(
        self, field_name: str, value: Optional[List[Optional["GenericRecord"]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of nested compact objects of one type (ARRAY_OF_COMPACT)."""
        return self._set(field_name, _K.ARRAY_OF_COMPACT, value)

    def set_nullable_boolean(self, field_name: str, value: Optional[bool]) -> "GenericRecordBuilder":
        """Sets a nullable boolean (NULLABLE_BOOLEAN)."""
        return self._set(field_name, _K.NULLABLE_BOOLEAN, value)

    def set_array_of_nullable_boolean(
        self, field_name: str, value: Optional[List[Optional[bool]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of nullable booleans (ARRAY_OF_NULLABLE_BOOLEAN)."""
        return self._set(field_name, _K.ARRAY_OF_NULLABLE_BOOLEAN, value)

    def set_nullable_int8(self, field_name: str, value: Optional[int]) -> "GenericRecordBuilder":
        """Sets a nullable 8-bit integer (NULLABLE_INT8)."""
        return self._set(field_name, _K.NULLABLE_INT8, value)

    def set_array_of_nullable_int8(
        self, field_name: str, value: Optional[List[Optional[int]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of nullable 8-bit integers (ARRAY_OF_NULLABLE_INT8)."""
        return self._set(field_name, _K.ARRAY_OF_NULLABLE_INT8, value)

    def set_nullable_int16(self, field_name: str, value: Optional[int]) -> "GenericRecordBuilder":
        """Sets a nullable 16-bit integer (NULLABLE_INT16)."""
        return self._set(field_name, _K.NULLABLE_INT16, value)

    def set_array_of_nullable_int16(
        self, field_name: str, value: Optional[List[Optional[int]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of nullable 16-bit integers (ARRAY_OF_NULLABLE_INT16)."""
        return self._set(field_name, _K.ARRAY_OF_NULLABLE_INT16, value)

    def set_nullable_int32(self, field_name: str, value: Optional[int]) -> "GenericRecordBuilder":
        """Sets a nullable 32-bit integer (NULLABLE_INT32)."""
        return self._set(field_name, _K.NULLABLE_INT32, value)

    def set_array_of_nullable_int32(
        self, field_name: str, value: Optional[List[Optional[int]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of nullable 32-bit integers (ARRAY_OF_NULLABLE_INT32)."""
        return self._set(field_name, _K.ARRAY_OF_NULLABLE_INT32, value)

    def set_nullable_int64(self, field_name: str, value: Optional[int]) -> "GenericRecordBuilder":
        """Sets a nullable 64-bit integer (NULLABLE_INT64)."""
        return self._set(field_name, _K.NULLABLE_INT64, value)

    def set_array_of_nullable_int64(
        self, field_name: str, value: Optional[List[Optional[int]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of nullable 64-bit integers (ARRAY_OF_NULLABLE_INT64)."""
        return self._set(field_name, _K.ARRAY_OF_NULLABLE_INT64, value)

    def set_nullable_float32(self, field_name: str, value: Optional[float]) -> "GenericRecordBuilder":
        """Sets a nullable 32-bit float (NULLABLE_FLOAT32)."""
        return self._set(field_name, _K.NULLABLE_FLOAT32, value)

    def set_array_of_nullable_float32(
        self, field_name: str, value: Optional[List[Optional[float]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of nullable 32-bit floats (ARRAY_OF_NULLABLE_FLOAT32)."""
        return self._set(field_name, _K.ARRAY_OF_NULLABLE_FLOAT32, value)

    def set_nullable_float64(self, field_name: str, value: Optional[float]) -> "GenericRecordBuilder":
        """Sets a nullable 64-bit float (NULLABLE_FLOAT64)."""
        return self._set(field_name, _K.NULLABLE_FLOAT64, value)

    def set_array_of_nullable_float64(
        self, field_name: str, value: Optional[List[Optional[float]]]
    ) -> "GenericRecordBuilder":
        """Sets an array of nullable 64-bit floats (ARRAY_OF_NULLABLE_FLOAT64)."""
        return self._set(field_name, _K.ARRAY_OF_NULLABLE_FLOAT64, value)

    def build(self) -> GenericRecord:
        """The record.

        Raises:
            HazelcastSerializationError: a field of a schema-bound builder was not set.
        """
        if self._schema is None:
            schema = _schema_for(self._type_name, tuple((name, kind) for name, (kind, _) in self._fields.items()))
            values = [self._fields[f.name][1] for f in schema.fields]
            return GenericRecord(schema, values)
        missing = [f.name for f, v in zip(self._schema.fields, self._values) if v is _UNSET]
        if missing:
            raise HazelcastSerializationError(f"fields {missing} of {self._type_name!r} are not set")
        return GenericRecord(self._schema, self._values)


_SCHEMA_CACHE: Dict[Tuple[str, Tuple[Tuple[str, FieldKind], ...]], Schema] = {}


def _schema_for(type_name: str, fields: Tuple[Tuple[str, FieldKind], ...]) -> Schema:
    # builders of the same shape share one Schema object (the fingerprint is computed once)
    key = (type_name, fields)
    schema = _SCHEMA_CACHE.get(key)
    if schema is None:
        if len(_SCHEMA_CACHE) >= 4096:
            _SCHEMA_CACHE.clear()
        schema = _SCHEMA_CACHE[key] = Schema(type_name, fields)
    return schema


class GenericRecordSerializer:
    """Writes and reads :class:`GenericRecord` objects through per-schema codec plans (cached by schema id).

    Records read this way have GenericRecords for their nested compact fields, whatever classes are registered.
    """

    def __init__(self, service: "CompactSerializationService") -> None:
        self._service = service
        self._write_plans: Dict[int, Any] = {}
        self.read_plans: Dict[int, Any] = {}
        """Read plans by schema id (the dict the codec consults for nested values)."""

    def write_plan(self, schema: Schema) -> Any:
        """The write plan of records of ``schema`` (registers the schema for writing on first use)."""
        plan = self._write_plans.get(schema.schema_id)
        if plan is None:
            service = self._service
            service.schema_service.register(schema, for_write=True)
            plan = service._codec.WritePlan(schema.schema_id, schema.fix_sized_fields_length,
                                            schema.var_sized_field_count, schema.plan_fields(),
                                            extract=_record_values, resolve=service._resolve_write,
                                            big_endian=service.big_endian)
            self._write_plans[schema.schema_id] = plan
        return plan

    def read_plan(self, schema: Schema) -> Any:
        """The read plan that decodes data of ``schema`` into a GenericRecord."""
        plan = self.read_plans.get(schema.schema_id)
        if plan is None:
            plan = self._service._codec.ReadPlan(
                schema.fix_sized_fields_length, schema.var_sized_field_count, schema.plan_fields(),
                target=lambda values: _new_record(schema, values), resolve=self._resolve, plans=self.read_plans)
            self.read_plans[schema.schema_id] = plan
        return plan

    def _resolve(self, schema_id: int) -> Any:
        schema = self._service.schema_service.get(schema_id)
        if schema is None:
            raise SchemaNotFoundError(schema_id)
        return self.read_plan(schema)


def _new_record(schema: Schema, values: List[Any]) -> GenericRecord:
    record = _object_new(GenericRecord)
    record._schema = schema
    record._values = values
    return record


_object_new = object.__new__


def _record_values(record: GenericRecord) -> Tuple[List[Any], None]:
    return record._values, None


# ==================================================================================================================
# Zero-config: ReflectiveCompactSerializer
# ==================================================================================================================

_FLAG_BYTES = 1  # codec plan flags (same values in both backends)
_FLAG_NOT_NULL = 2
_FLAG_NO_NULL_ITEMS = 4
_READ_VALUES, _READ_SETATTR, _READ_KWARGS = 0, 1, 2
_CHECK_FLAGS = {_CHECK_NONE: 0, _CHECK_NOT_NULL: _FLAG_NOT_NULL, _CHECK_NO_NULL_ITEMS: _FLAG_NO_NULL_ITEMS}

_SCALAR_KINDS: Dict[Any, FieldKind] = {
    int: _K.INT64,
    float: _K.FLOAT64,
    bool: _K.BOOLEAN,
    str: _K.STRING,
    decimal.Decimal: _K.DECIMAL,
    datetime.time: _K.TIME,
    datetime.date: _K.DATE,
    datetime.datetime: _K.TIMESTAMP,
}
_KINDS_BY_TYPE: Dict[Any, frozenset] = {
    int: frozenset({_K.INT8, _K.INT16, _K.INT32, _K.INT64}),
    float: frozenset({_K.FLOAT32, _K.FLOAT64}),
    bool: frozenset({_K.BOOLEAN}),
    str: frozenset({_K.STRING}),
    decimal.Decimal: frozenset({_K.DECIMAL}),
    datetime.time: frozenset({_K.TIME}),
    datetime.date: frozenset({_K.DATE}),
    datetime.datetime: frozenset({_K.TIMESTAMP, _K.TIMESTAMP_WITH_TIMEZONE}),
}
_NON_NULLABLE = {nullable: base for base, nullable in _NULLABLE.items()}


class _FieldModel:
    __slots__ = ("name", "kind", "flags", "has_default", "default", "factory", "init")

    def __init__(self, name: str, kind: FieldKind, flags: int, has_default: bool, default: Any, factory: bool,
                 init: bool) -> None:
        self.name = name
        self.kind = kind
        self.flags = flags
        self.has_default = has_default
        self.default = default
        self.factory = factory
        self.init = init


def _strip_optional(tp: Any) -> Tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is Union or (origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
        raise TypeError(f"unions other than Optional[X] are not supported: {tp!r}")
    return tp, False


def _kind_of(tp: Any, where: str) -> Tuple[FieldKind, int, List[type], frozenset]:
    """The field kind of a type hint, the plan flags (FLAG_BYTES), the classes of nested compact values, and the
    family of base kinds the hint's Python type allows (for checking an explicit ``Annotated`` kind)."""
    explicit: Optional[FieldKind] = None
    if typing.get_origin(tp) is typing.Annotated:
        base, *meta = typing.get_args(tp)
        kinds = [m for m in meta if isinstance(m, FieldKind)]
        if len(kinds) > 1:
            raise TypeError(f"{where}: more than one FieldKind in {tp!r}")
        explicit = kinds[0] if kinds else None
        tp = base
    inner, optional = _strip_optional(tp)
    flags = 0
    nested: List[type] = []
    family: frozenset = frozenset()
    if typing.get_origin(inner) is typing.Annotated:
        kind, flags, nested, family = _kind_of(inner, where)
        allowed = {kind}
    elif inner is bytes:
        kind, flags = _K.ARRAY_OF_INT8, _FLAG_BYTES
        allowed = {kind}
    elif typing.get_origin(inner) is list:
        args = typing.get_args(inner)
        if len(args) != 1:
            raise TypeError(f"{where}: a list needs its item type, e.g. list[int]")
        item_kind, _, nested, item_family = _kind_of(args[0], where)
        if item_kind not in _ARRAY:
            raise TypeError(f"{where}: no array kind for items of {args[0]!r}")
        kind = _ARRAY[item_kind]
        allowed = ({kind} | {_ARRAY[k] for k in item_family}
                   | {_ARRAY[_NULLABLE[k]] for k in item_family if k in _NULLABLE})
    elif inner in _SCALAR_KINDS:
        kind, family = _SCALAR_KINDS[inner], _KINDS_BY_TYPE[inner]
        allowed = set(family) | {_NULLABLE[k] for k in family if k in _NULLABLE}
    elif isinstance(inner, type) and not issubclass(inner, enum.Enum) and inner not in _NOT_COMPACT:
        kind, family = _K.COMPACT, frozenset({_K.COMPACT})
        nested = [inner]
        allowed = {kind}
    else:
        raise TypeError(f"{where}: {inner!r} has no compact field kind; annotate it with typing.Annotated[..., "
                        "FieldKind.X] or write a CompactSerializer")
    if optional:
        kind = _NULLABLE.get(kind, kind)
    if explicit is not None:
        if explicit not in allowed:
            raise TypeError(f"{where}: {explicit.name} does not fit the type {inner!r}")
        kind = explicit
    return kind, flags, nested, family


_NOT_COMPACT = frozenset({object, dict, set, frozenset, tuple, list, bytearray, complex, type, typing.Any})


class ReflectiveCompactSerializer(CompactSerializer[Any]):
    """Zero-config compact for dataclasses and classes whose ``__init__`` parameters are annotated.

    The fields and their kinds come from the type hints: ``int`` → INT64, ``float`` → FLOAT64, ``bool`` → BOOLEAN,
    ``str`` → STRING, ``Optional[X]`` → the nullable kind of X, ``list[X]`` → ARRAY_OF_X, ``bytes`` →
    ARRAY_OF_INT8, ``Decimal``/``date``/``time``/``datetime`` → DECIMAL/DATE/TIME/TIMESTAMP, another class →
    COMPACT. ``typing.Annotated[int, FieldKind.INT32]`` picks another kind (Java's ``int`` is INT32).

    The type name is, in order: ``type_name`` given here, the class attribute ``__compact_type_name__``, or
    ``module.QualifiedName``. Java needs the Java class name (``com.acme.Person``) to read it as that class.

    The per-class plans are built once and cached by the :class:`CompactSerializationService`. Reading a dataclass
    without ``__post_init__`` sets the attributes directly (``__init__`` is not called, as pickle does); otherwise
    the class is called with keyword arguments. Attributes the data lacks take their defaults (an error without
    one); fields of the data the class lacks are ignored; a kind that differs beyond nullability is an error.
    """

    def __init__(self, cls: type, type_name: Optional[str] = None) -> None:
        if not isinstance(cls, type):
            raise HazelcastSerializationError(f"not a class: {cls!r}")
        self._cls = cls
        explicit = type_name if type_name is not None else cls.__dict__.get("__compact_type_name__")
        self._type_name = explicit if explicit is not None else f"{cls.__module__}.{cls.__qualname__}"
        if not isinstance(self._type_name, str):
            raise HazelcastSerializationError(f"the type name of {cls!r} must be a str")
        self._model: Optional[List[_FieldModel]] = None
        self._read_mode = _READ_SETATTR
        self._nested: List[type] = []
        self._schema: Optional[Schema] = None

    @staticmethod
    def supports(cls: type) -> bool:
        """Whether zero-config applies: a dataclass, or a class with a fully annotated ``__init__``."""
        if dataclasses.is_dataclass(cls):
            return True
        init = cls.__dict__.get("__init__") if isinstance(cls, type) else None
        if init is None or not callable(init):
            return False
        try:
            params = list(inspect.signature(init).parameters.values())[1:]
        except (TypeError, ValueError):
            return False
        return all(p.annotation is not inspect.Parameter.empty and p.kind in
                   (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params)

    def get_class(self) -> type:
        return self._cls

    def get_type_name(self) -> str:
        return self._type_name

    # -- the class model ------------------------------------------------------------------------------------------

    def model(self) -> List[_FieldModel]:
        """The fields in declaration order (built once)."""
        if self._model is None:
            self._model = self._build_model()
        return self._model

    def nested_classes(self) -> List[type]:
        """Classes of nested compact fields (so they can be registered before anything is read)."""
        self.model()
        return list(self._nested)

    def schema(self) -> Schema:
        """The schema this class writes."""
        if self._schema is None:
            self._schema = Schema(self._type_name, [(f.name, f.kind) for f in self.model()])
        return self._schema

    def _build_model(self) -> List[_FieldModel]:
        cls = self._cls
        try:
            if dataclasses.is_dataclass(cls):
                hints = typing.get_type_hints(cls, include_extras=True)
                fields = []
                for f in dataclasses.fields(cls):
                    has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                    factory = f.default_factory is not dataclasses.MISSING
                    default = f.default_factory if factory else f.default
                    fields.append((f.name, hints[f.name], has_default, default, factory, f.init))
                if hasattr(cls, "__post_init__"):
                    self._read_mode = _READ_KWARGS
            elif self.supports(cls):
                init = cls.__dict__["__init__"]
                hints = typing.get_type_hints(init, include_extras=True)
                fields = []
                for p in list(inspect.signature(init).parameters.values())[1:]:
                    has_default = p.default is not inspect.Parameter.empty
                    fields.append((p.name, hints[p.name], has_default, p.default, False, True))
                self._read_mode = _READ_KWARGS
            else:
                raise TypeError(f"{cls.__qualname__} is neither a dataclass nor a class with an annotated __init__")
        except (NameError, TypeError, KeyError) as e:
            raise HazelcastSerializationError(f"zero-config compact cannot serialize {cls!r}: {e}") from None
        model = []
        for name, hint, has_default, default, factory, init in fields:
            try:
                kind, flags, nested, _ = _kind_of(hint, f"{cls.__qualname__}.{name}")
            except TypeError as e:
                raise HazelcastSerializationError(f"zero-config compact cannot serialize {cls!r}: {e}") from None
            self._nested.extend(n for n in nested if n not in self._nested)
            model.append(_FieldModel(name, kind, flags, has_default, default, factory, init))
        return model

    # -- plans ----------------------------------------------------------------------------------------------------

    def write_plan(self, service: "CompactSerializationService") -> Any:
        """The codec plan that writes objects of the class straight from their attributes."""
        schema = self.schema()
        slots = {f.name: i for i, f in enumerate(schema.fields)}
        keys = [f.name for f in schema.fields]
        return service._codec.WritePlan(schema.schema_id, schema.fix_sized_fields_length,
                                        schema.var_sized_field_count, schema.plan_fields(keys),
                                        order=[slots[f.name] for f in self.model()], resolve=service._resolve_write,
                                        big_endian=service.big_endian, cls=self._cls)

    def read_plan(self, schema: Schema, service: "CompactSerializationService") -> Any:
        """The codec plan that builds objects of the class from data of ``schema`` (any version of it)."""
        fields = []
        defaults = []
        mode = self._read_mode
        for f in self.model():
            if mode == _READ_KWARGS and not f.init:
                continue
            data_field = schema.fields_dict.get(f.name)
            if data_field is None:
                if not f.has_default:
                    raise HazelcastSerializationError(
                        f"{schema.type_name!r} data has no field {f.name!r} and {self._cls.__qualname__}.{f.name} "
                        "has no default")
                if mode == _READ_SETATTR:
                    defaults.append((f.name, f.default, f.factory))
                continue
            check = _COMPATIBLE[f.kind].get(data_field.kind)
            if check is None:
                raise _mismatch(f"{self._cls.__qualname__}.{f.name}", f.kind, data_field.kind)
            location = data_field.position if data_field.kind in _FIXED_SIZE else data_field.index
            bit = data_field.bit_position if data_field.kind == _K.BOOLEAN else 0
            fields.append((f.name, int(data_field.kind), location, bit, f.flags | _CHECK_FLAGS[check], f.name))
        return service._codec.ReadPlan(schema.fix_sized_fields_length, schema.var_sized_field_count, fields,
                                       mode=mode, target=self._cls, defaults=defaults,
                                       resolve=service._resolve_read, plans=service.read_plans)

    # -- the CompactSerializer interface (the slow, general path; the service uses the plans) -------------------

    def write(self, writer: CompactWriter, obj: Any) -> None:
        for f in self.model():
            value = getattr(obj, f.name)
            if f.flags & _FLAG_BYTES and value is not None:
                value = list(memoryview(value).cast("b"))
            getattr(writer, "write_" + f.kind.name.lower())(f.name, value)

    def read(self, reader: CompactReader) -> Any:
        values: Dict[str, Any] = {}
        for f in self.model():
            if self._read_mode == _READ_KWARGS and not f.init:
                continue
            if reader.get_field_kind(f.name) == FieldKind.NOT_AVAILABLE:
                if not f.has_default:
                    raise HazelcastSerializationError(f"the data has no field {f.name!r} and it has no default")
                values[f.name] = f.default() if f.factory else f.default
                continue
            value = getattr(reader, "read_" + f.kind.name.lower())(f.name)
            if f.flags & _FLAG_BYTES and value is not None:
                value = bytes(v & 0xFF for v in value)
            values[f.name] = value
        if self._read_mode == _READ_KWARGS:
            return self._cls(**values)
        obj = self._cls.__new__(self._cls)
        for name, value in values.items():
            object.__setattr__(obj, name, value)
        return obj


# ==================================================================================================================
# CompactSerializationService
# ==================================================================================================================


class _UserBinding:
    """A user CompactSerializer: its schema comes from the first object written."""

    __slots__ = ("serializer", "cls", "type_name")

    def __init__(self, serializer: CompactSerializer) -> None:
        self.serializer = serializer
        self.cls = serializer.get_class()
        self.type_name = serializer.get_type_name()

    def write_plan(self, obj: Any, service: "CompactSerializationService") -> Tuple[Any, Schema]:
        schema_writer = SchemaWriter(self.type_name)
        self.serializer.write(schema_writer, obj)
        schema = schema_writer.build()
        serializer = self.serializer

        def extract(value: Any) -> Tuple[List[Any], List[int]]:
            writer = DefaultCompactWriter(schema)
            serializer.write(writer, value)
            return writer.result()

        plan = service._codec.WritePlan(schema.schema_id, schema.fix_sized_fields_length,
                                        schema.var_sized_field_count, schema.plan_fields(), extract=extract,
                                        resolve=service._resolve_write, big_endian=service.big_endian, cls=self.cls)
        return plan, schema

    def read_plan(self, schema: Schema, service: "CompactSerializationService") -> Any:
        serializer = self.serializer
        return service._codec.ReadPlan(
            schema.fix_sized_fields_length, schema.var_sized_field_count, schema.plan_fields(),
            target=lambda values: serializer.read(DefaultCompactReader(schema, values)),
            resolve=service._resolve_read, plans=service.read_plans)


class _ReflectiveBinding:
    __slots__ = ("serializer", "cls", "type_name")

    def __init__(self, serializer: ReflectiveCompactSerializer) -> None:
        self.serializer = serializer
        self.cls = serializer.get_class()
        self.type_name = serializer.get_type_name()

    def write_plan(self, obj: Any, service: "CompactSerializationService") -> Tuple[Any, Schema]:
        return self.serializer.write_plan(service), self.serializer.schema()

    def read_plan(self, schema: Schema, service: "CompactSerializationService") -> Any:
        return self.serializer.read_plan(schema, service)


class CompactSerializationService:
    """Compact objects ↔ bytes: binds classes and type names to serializers and caches their codec plans.

    Args:
        compact_serializers: :class:`CompactSerializer` objects, or classes (shorthand for
            ``ReflectiveCompactSerializer(cls)``).
        schema_service: where schemas are registered (a new offline one by default).
        codec: the codec backend module (``hazelcast._codec`` or ``hazelcast._codec_py``; the chosen one by default).
        big_endian: byte order of the payload (Hazelcast's default is big-endian).
        zero_config: serialize unregistered dataclasses / annotated classes with :class:`ReflectiveCompactSerializer`.

    Raises:
        HazelcastSerializationError: two serializers for one class or one type name.
    """

    def __init__(self, compact_serializers: Iterable[Any] = (), schema_service: Optional[SchemaService] = None,
                 codec: Optional[ModuleType] = None, big_endian: bool = True, zero_config: bool = True) -> None:
        self.schema_service = schema_service if schema_service is not None else SchemaService()
        self._codec = codec if codec is not None else _default_codec()
        self.big_endian = bool(big_endian)
        self.zero_config = zero_config
        self._by_class: Dict[type, Any] = {}
        self._by_type_name: Dict[str, Any] = {}
        self.write_plans: Dict[type, Any] = {}
        """Write plans by class (consulted first by ``SerializationService.to_data``)."""
        self.read_plans: Dict[int, Any] = {}
        """Read plans by schema id (consulted first by the codec for top-level and nested values)."""
        self.generic = GenericRecordSerializer(self)
        self._registered_all = False
        for serializer in compact_serializers:
            self.register(serializer)
        self._registered_all = True
        for binding in list(self._by_class.values()):
            self._register_nested(binding)

    # -- registration -------------------------------------------------------------------------------------------

    def register(self, serializer: Any) -> None:
        """Bind a :class:`CompactSerializer` (or a class, for zero-config) to its class and type name."""
        if isinstance(serializer, type):
            serializer = ReflectiveCompactSerializer(serializer)
        if isinstance(serializer, ReflectiveCompactSerializer):
            binding: Any = _ReflectiveBinding(serializer)
        elif isinstance(serializer, CompactSerializer):
            binding = _UserBinding(serializer)
        else:
            raise HazelcastSerializationError(f"not a CompactSerializer: {serializer!r}")
        if not isinstance(binding.cls, type) or not isinstance(binding.type_name, str):
            raise HazelcastSerializationError(f"{serializer!r}: get_class() must be a class and get_type_name() a str")
        if binding.cls in self._by_class:
            raise HazelcastSerializationError(f"a compact serializer for {binding.cls!r} is already registered")
        other = self._by_type_name.get(binding.type_name)
        if other is not None:
            raise HazelcastSerializationError(
                f"type name {binding.type_name!r} is already used by {other.cls!r}; cannot register {binding.cls!r}")
        self._by_class[binding.cls] = binding
        self._by_type_name[binding.type_name] = binding
        # data of this type name read before now became GenericRecords; read it as the class from now on
        for schema_id in [sid for sid in self.read_plans
                          if getattr(self.schema_service.get(sid), "type_name", None) == binding.type_name]:
            del self.read_plans[schema_id]
        if self._registered_all:
            self._register_nested(binding)

    def _register_nested(self, binding: Any) -> None:
        # zero-config classes of nested fields, so that data can be read as them before any was written
        if not isinstance(binding.serializer, ReflectiveCompactSerializer) or not self.zero_config:
            return
        for nested in binding.serializer.nested_classes():
            if nested not in self._by_class and ReflectiveCompactSerializer.supports(nested):
                if ReflectiveCompactSerializer(nested).get_type_name() not in self._by_type_name:
                    self.register(nested)

    def registered_classes(self) -> List[type]:
        """The classes with a compact serializer (registered or zero-config so far)."""
        return list(self._by_class)

    # -- writing ------------------------------------------------------------------------------------------------

    def write_plan_for(self, obj: Any) -> Optional[Any]:
        """The write plan of ``obj``'s class, built on first use; None if compact does not apply to it."""
        cls = type(obj)
        plan = self.write_plans.get(cls)
        if plan is not None:
            return plan
        if cls is GenericRecord:
            return self.generic.write_plan(obj._schema)
        binding = self._by_class.get(cls)
        if binding is None:
            if not (self.zero_config and ReflectiveCompactSerializer.supports(cls)):
                return None
            self.register(cls)
            binding = self._by_class[cls]
        plan, schema = binding.write_plan(obj, self)
        self.schema_service.register(schema, for_write=True)
        self.write_plans[cls] = plan
        return plan

    def _resolve_write(self, value: Any) -> Any:
        plan = self.write_plan_for(value)
        if plan is None:
            raise HazelcastSerializationError(
                f"no compact serializer for the nested value of {type(value)!r}: register a CompactSerializer or "
                "use a dataclass")
        return plan

    def to_data(self, obj: Any) -> bytes:
        """The Data bytes of a compact object (partition hash 0, type id -55, schema id, body)."""
        plan = self.write_plans.get(type(obj)) or self._resolve_write(obj)
        return plan.to_data(obj)

    def write(self, writer: Any, obj: Any) -> None:
        """Write ``obj`` (schema id and body) into a ``CompactStreamWriter`` (e.g. an item of a list)."""
        plan = self.write_plans.get(type(obj)) or self._resolve_write(obj)
        plan.write(writer, obj)

    # -- reading ------------------------------------------------------------------------------------------------

    def _resolve_read(self, schema_id: int) -> Any:
        # called by the codec for ids missing from read_plans
        schema = self.schema_service.get(schema_id)
        if schema is None:
            raise SchemaNotFoundError(schema_id)
        binding = self._by_type_name.get(schema.type_name)
        plan = binding.read_plan(schema, self) if binding is not None else self.generic.read_plan(schema)
        self.read_plans[schema_id] = plan
        return plan

    def from_data(self, buffer: Any) -> Any:
        """The object of a compact Data (bytes with the 8-byte header)."""
        return self._codec.decode_compact_data(buffer, self.read_plans, self._resolve_read, self.big_endian)

    def read(self, reader: Any) -> Any:
        """Read a compact value (schema id and body) from a ``CompactStreamReader``."""
        return self._codec.read_compact(reader, self.read_plans, self._resolve_read)

    def from_data_as_generic_record(self, buffer: Any) -> GenericRecord:
        """Read compact Data as a :class:`GenericRecord` even when its class is registered."""
        return self._codec.decode_compact_data(buffer, self.generic.read_plans, self.generic._resolve,
                                               self.big_endian)

