"""The user-facing Compact API, named as in the official client (``hazelcast.serialization.api``).

* :class:`FieldKind` — the kinds of compact fields, with the ids of the wire format.
* :class:`CompactSerializer` — implement it to control how a class is written and read; register it with
  ``SerializationService(compact_serializers=[...])`` (or the client config). Dataclasses and classes with an
  annotated ``__init__`` need no serializer at all (see ``compact.ReflectiveCompactSerializer``).
* :class:`CompactReader` / :class:`CompactWriter` — what ``read`` and ``write`` receive; one ``read_<kind>`` /
  ``write_<kind>`` method per field kind (``read_int32``, ``write_array_of_nullable_int64``, ``read_compact``, ...).
"""

from __future__ import annotations

import abc
import datetime
import decimal
import enum
from typing import Any, Generic, List, Optional, Type, TypeVar

__all__ = ["CompactReader", "CompactSerializableType", "CompactSerializer", "CompactWriter", "FieldKind"]


class FieldKind(enum.IntEnum):
    """The kinds of compact fields; the values are the ids of the wire format (and of ``Schema`` fingerprints).

    CHAR, ARRAY_OF_CHAR, PORTABLE and ARRAY_OF_PORTABLE exist for Portable only; compact does not support them.
    """

    NOT_AVAILABLE = 0
    """Returned by ``get_field_kind`` for a field the data does not have."""
    BOOLEAN = 1
    ARRAY_OF_BOOLEAN = 2
    INT8 = 3
    ARRAY_OF_INT8 = 4
    CHAR = 5
    ARRAY_OF_CHAR = 6
    INT16 = 7
    ARRAY_OF_INT16 = 8
    INT32 = 9
    ARRAY_OF_INT32 = 10
    INT64 = 11
    ARRAY_OF_INT64 = 12
    FLOAT32 = 13
    ARRAY_OF_FLOAT32 = 14
    FLOAT64 = 15
    ARRAY_OF_FLOAT64 = 16
    STRING = 17
    ARRAY_OF_STRING = 18
    DECIMAL = 19
    ARRAY_OF_DECIMAL = 20
    TIME = 21
    ARRAY_OF_TIME = 22
    DATE = 23
    ARRAY_OF_DATE = 24
    TIMESTAMP = 25
    ARRAY_OF_TIMESTAMP = 26
    TIMESTAMP_WITH_TIMEZONE = 27
    ARRAY_OF_TIMESTAMP_WITH_TIMEZONE = 28
    COMPACT = 29
    ARRAY_OF_COMPACT = 30
    PORTABLE = 31
    ARRAY_OF_PORTABLE = 32
    NULLABLE_BOOLEAN = 33
    ARRAY_OF_NULLABLE_BOOLEAN = 34
    NULLABLE_INT8 = 35
    ARRAY_OF_NULLABLE_INT8 = 36
    NULLABLE_INT16 = 37
    ARRAY_OF_NULLABLE_INT16 = 38
    NULLABLE_INT32 = 39
    ARRAY_OF_NULLABLE_INT32 = 40
    NULLABLE_INT64 = 41
    ARRAY_OF_NULLABLE_INT64 = 42
    NULLABLE_FLOAT32 = 43
    ARRAY_OF_NULLABLE_FLOAT32 = 44
    NULLABLE_FLOAT64 = 45
    ARRAY_OF_NULLABLE_FLOAT64 = 46


class CompactReader(abc.ABC):
    """Reads the fields of a compact object by name, in any order (the argument of ``CompactSerializer.read``).

    Every ``read_<kind>`` raises :class:`~hazelcast.errors.HazelcastSerializationError` when the field does not exist
    or has a kind the method cannot read. A nullable field can be read with the non-nullable method when the value is
    not None, and vice versa (the rules Java applies). For class evolution, check :meth:`get_field_kind` first::

        def read(self, reader: CompactReader) -> Foo:
            bar = reader.read_int32("bar")  # always present
            if reader.get_field_kind("baz") == FieldKind.STRING:
                baz = reader.read_string("baz")
            else:
                baz = ""  # written by an older version
            return Foo(bar, baz)
    """

    @abc.abstractmethod
    def get_field_kind(self, field_name: str) -> FieldKind:
        """The kind of the field, or :attr:`FieldKind.NOT_AVAILABLE` when the data has no such field."""

    @abc.abstractmethod
    def read_boolean(self, field_name: str) -> bool:
        """Reads a boolean (BOOLEAN). Also reads NULLABLE_BOOLEAN (not None)."""

    @abc.abstractmethod
    def read_array_of_boolean(self, field_name: str) -> Optional[List[bool]]:
        """Reads an array of booleans (ARRAY_OF_BOOLEAN). Also reads ARRAY_OF_NULLABLE_BOOLEAN (no None items)."""

    @abc.abstractmethod
    def read_int8(self, field_name: str) -> int:
        """Reads an 8-bit signed integer (INT8). Also reads NULLABLE_INT8 (not None)."""

    @abc.abstractmethod
    def read_array_of_int8(self, field_name: str) -> Optional[List[int]]:
        """Reads an array of int8 (ARRAY_OF_INT8). Also reads ARRAY_OF_NULLABLE_INT8 (no None items)."""

    @abc.abstractmethod
    def read_int16(self, field_name: str) -> int:
        """Reads a 16-bit signed integer (INT16). Also reads NULLABLE_INT16 (not None)."""

    @abc.abstractmethod
    def read_array_of_int16(self, field_name: str) -> Optional[List[int]]:
        """Reads an array of int16 (ARRAY_OF_INT16). Also reads ARRAY_OF_NULLABLE_INT16 (no None items)."""

    @abc.abstractmethod
    def read_int32(self, field_name: str) -> int:
        """Reads a 32-bit signed integer (INT32). Also reads NULLABLE_INT32 (not None)."""

    @abc.abstractmethod
    def read_array_of_int32(self, field_name: str) -> Optional[List[int]]:
        """Reads an array of int32 (ARRAY_OF_INT32). Also reads ARRAY_OF_NULLABLE_INT32 (no None items)."""

    @abc.abstractmethod
    def read_int64(self, field_name: str) -> int:
        """Reads a 64-bit signed integer (INT64). Also reads NULLABLE_INT64 (not None)."""

    @abc.abstractmethod
    def read_array_of_int64(self, field_name: str) -> Optional[List[int]]:
        """Reads an array of int64 (ARRAY_OF_INT64). Also reads ARRAY_OF_NULLABLE_INT64 (no None items)."""

    @abc.abstractmethod
    def read_float32(self, field_name: str) -> float:
        """Reads a 32-bit IEEE 754 float (FLOAT32). Also reads NULLABLE_FLOAT32 (not None)."""

    @abc.abstractmethod
    def read_array_of_float32(self, field_name: str) -> Optional[List[float]]:
        """Reads an array of float32 (ARRAY_OF_FLOAT32). Also reads ARRAY_OF_NULLABLE_FLOAT32 (no None items)."""

    @abc.abstractmethod
    def read_float64(self, field_name: str) -> float:
        """Reads a 64-bit IEEE 754 float (FLOAT64). Also reads NULLABLE_FLOAT64 (not None)."""

    @abc.abstractmethod
    def read_array_of_float64(self, field_name: str) -> Optional[List[float]]:
        """Reads an array of float64 (ARRAY_OF_FLOAT64). Also reads ARRAY_OF_NULLABLE_FLOAT64 (no None items)."""

    @abc.abstractmethod
    def read_string(self, field_name: str) -> Optional[str]:
        """Reads a UTF-8 string (STRING)."""

    @abc.abstractmethod
    def read_array_of_string(self, field_name: str) -> Optional[List[Optional[str]]]:
        """Reads an array of strings (ARRAY_OF_STRING)."""

    @abc.abstractmethod
    def read_decimal(self, field_name: str) -> Optional[decimal.Decimal]:
        """Reads an arbitrary-precision decimal (DECIMAL)."""

    @abc.abstractmethod
    def read_array_of_decimal(self, field_name: str) -> Optional[List[Optional[decimal.Decimal]]]:
        """Reads an array of decimals (ARRAY_OF_DECIMAL)."""

    @abc.abstractmethod
    def read_time(self, field_name: str) -> Optional[datetime.time]:
        """Reads a time of day (naive) (TIME)."""

    @abc.abstractmethod
    def read_array_of_time(self, field_name: str) -> Optional[List[Optional[datetime.time]]]:
        """Reads an array of times (ARRAY_OF_TIME)."""

    @abc.abstractmethod
    def read_date(self, field_name: str) -> Optional[datetime.date]:
        """Reads a date (DATE)."""

    @abc.abstractmethod
    def read_array_of_date(self, field_name: str) -> Optional[List[Optional[datetime.date]]]:
        """Reads an array of dates (ARRAY_OF_DATE)."""

    @abc.abstractmethod
    def read_timestamp(self, field_name: str) -> Optional[datetime.datetime]:
        """Reads a naive timestamp (TIMESTAMP)."""

    @abc.abstractmethod
    def read_array_of_timestamp(self, field_name: str) -> Optional[List[Optional[datetime.datetime]]]:
        """Reads an array of naive timestamps (ARRAY_OF_TIMESTAMP)."""

    @abc.abstractmethod
    def read_timestamp_with_timezone(self, field_name: str) -> Optional[datetime.datetime]:
        """Reads an aware timestamp (TIMESTAMP_WITH_TIMEZONE)."""

    @abc.abstractmethod
    def read_array_of_timestamp_with_timezone(self, field_name: str) -> Optional[List[Optional[datetime.datetime]]]:
        """Reads an array of aware timestamps (ARRAY_OF_TIMESTAMP_WITH_TIMEZONE)."""

    @abc.abstractmethod
    def read_compact(self, field_name: str) -> Optional[Any]:
        """Reads a nested compact object (COMPACT)."""

    @abc.abstractmethod
    def read_array_of_compact(self, field_name: str) -> Optional[List[Optional[Any]]]:
        """Reads an array of nested compact objects of one type (ARRAY_OF_COMPACT)."""

    @abc.abstractmethod
    def read_nullable_boolean(self, field_name: str) -> Optional[bool]:
        """Reads a nullable boolean (NULLABLE_BOOLEAN). Also reads BOOLEAN."""

    @abc.abstractmethod
    def read_array_of_nullable_boolean(self, field_name: str) -> Optional[List[Optional[bool]]]:
        """Reads an array of nullable booleans (ARRAY_OF_NULLABLE_BOOLEAN). Also reads ARRAY_OF_BOOLEAN."""

    @abc.abstractmethod
    def read_nullable_int8(self, field_name: str) -> Optional[int]:
        """Reads a nullable 8-bit integer (NULLABLE_INT8). Also reads INT8."""

    @abc.abstractmethod
    def read_array_of_nullable_int8(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Reads an array of nullable 8-bit integers (ARRAY_OF_NULLABLE_INT8). Also reads ARRAY_OF_INT8."""

    @abc.abstractmethod
    def read_nullable_int16(self, field_name: str) -> Optional[int]:
        """Reads a nullable 16-bit integer (NULLABLE_INT16). Also reads INT16."""

    @abc.abstractmethod
    def read_array_of_nullable_int16(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Reads an array of nullable 16-bit integers (ARRAY_OF_NULLABLE_INT16). Also reads ARRAY_OF_INT16."""

    @abc.abstractmethod
    def read_nullable_int32(self, field_name: str) -> Optional[int]:
        """Reads a nullable 32-bit integer (NULLABLE_INT32). Also reads INT32."""

    @abc.abstractmethod
    def read_array_of_nullable_int32(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Reads an array of nullable 32-bit integers (ARRAY_OF_NULLABLE_INT32). Also reads ARRAY_OF_INT32."""

    @abc.abstractmethod
    def read_nullable_int64(self, field_name: str) -> Optional[int]:
        """Reads a nullable 64-bit integer (NULLABLE_INT64). Also reads INT64."""

    @abc.abstractmethod
    def read_array_of_nullable_int64(self, field_name: str) -> Optional[List[Optional[int]]]:
        """Reads an array of nullable 64-bit integers (ARRAY_OF_NULLABLE_INT64). Also reads ARRAY_OF_INT64."""

    @abc.abstractmethod
    def read_nullable_float32(self, field_name: str) -> Optional[float]:
        """Reads a nullable 32-bit float (NULLABLE_FLOAT32). Also reads FLOAT32."""

    @abc.abstractmethod
    def read_array_of_nullable_float32(self, field_name: str) -> Optional[List[Optional[float]]]:
        """Reads an array of nullable 32-bit floats (ARRAY_OF_NULLABLE_FLOAT32). Also reads ARRAY_OF_FLOAT32."""

    @abc.abstractmethod
    def read_nullable_float64(self, field_name: str) -> Optional[float]:
        """Reads a nullable 64-bit float (NULLABLE_FLOAT64). Also reads FLOAT64."""

    @abc.abstractmethod
    def read_array_of_nullable_float64(self, field_name: str) -> Optional[List[Optional[float]]]:
        """Reads an array of nullable 64-bit floats (ARRAY_OF_NULLABLE_FLOAT64). Also reads ARRAY_OF_FLOAT64."""


class CompactWriter(abc.ABC):
    """Writes the fields of a compact object by name (the argument of ``CompactSerializer.write``).

    Each field must be written exactly once per object, always with the same kind; the set of fields written for the
    first object of a class defines its schema. Raises
    :class:`~hazelcast.errors.HazelcastSerializationError` for unknown fields or kind mismatches.
    """

    @abc.abstractmethod
    def write_boolean(self, field_name: str, value: bool) -> None:
        """Writes a boolean (BOOLEAN)."""

    @abc.abstractmethod
    def write_array_of_boolean(self, field_name: str, value: Optional[List[bool]]) -> None:
        """Writes an array of booleans (ARRAY_OF_BOOLEAN)."""

    @abc.abstractmethod
    def write_int8(self, field_name: str, value: int) -> None:
        """Writes an 8-bit signed integer (INT8)."""

    @abc.abstractmethod
    def write_array_of_int8(self, field_name: str, value: Optional[List[int]]) -> None:
        """Writes an array of int8 (ARRAY_OF_INT8)."""

    @abc.abstractmethod
    def write_int16(self, field_name: str, value: int) -> None:
        """Writes a 16-bit signed integer (INT16)."""

    @abc.abstractmethod
    def write_array_of_int16(self, field_name: str, value: Optional[List[int]]) -> None:
        """Writes an array of int16 (ARRAY_OF_INT16)."""

    @abc.abstractmethod
    def write_int32(self, field_name: str, value: int) -> None:
        """Writes a 32-bit signed integer (INT32)."""

    @abc.abstractmethod
    def write_array_of_int32(self, field_name: str, value: Optional[List[int]]) -> None:
        """Writes an array of int32 (ARRAY_OF_INT32)."""

    @abc.abstractmethod
    def write_int64(self, field_name: str, value: int) -> None:
        """Writes a 64-bit signed integer (INT64)."""

    @abc.abstractmethod
    def write_array_of_int64(self, field_name: str, value: Optional[List[int]]) -> None:
        """Writes an array of int64 (ARRAY_OF_INT64)."""

    @abc.abstractmethod
    def write_float32(self, field_name: str, value: float) -> None:
        """Writes a 32-bit IEEE 754 float (FLOAT32)."""

    @abc.abstractmethod
    def write_array_of_float32(self, field_name: str, value: Optional[List[float]]) -> None:
        """Writes an array of float32 (ARRAY_OF_FLOAT32)."""

    @abc.abstractmethod
    def write_float64(self, field_name: str, value: float) -> None:
        """Writes a 64-bit IEEE 754 float (FLOAT64)."""

    @abc.abstractmethod
    def write_array_of_float64(self, field_name: str, value: Optional[List[float]]) -> None:
        """Writes an array of float64 (ARRAY_OF_FLOAT64)."""

    @abc.abstractmethod
    def write_string(self, field_name: str, value: Optional[str]) -> None:
        """Writes a UTF-8 string (STRING)."""

    @abc.abstractmethod
    def write_array_of_string(self, field_name: str, value: Optional[List[Optional[str]]]) -> None:
        """Writes an array of strings (ARRAY_OF_STRING)."""

    @abc.abstractmethod
    def write_decimal(self, field_name: str, value: Optional[decimal.Decimal]) -> None:
        """Writes an arbitrary-precision decimal (DECIMAL)."""

    @abc.abstractmethod
    def write_array_of_decimal(self, field_name: str, value: Optional[List[Optional[decimal.Decimal]]]) -> None:
        """Writes an array of decimals (ARRAY_OF_DECIMAL)."""

    @abc.abstractmethod
    def write_time(self, field_name: str, value: Optional[datetime.time]) -> None:
        """Writes a time of day (naive) (TIME)."""

    @abc.abstractmethod
    def write_array_of_time(self, field_name: str, value: Optional[List[Optional[datetime.time]]]) -> None:
        """Writes an array of times (ARRAY_OF_TIME)."""

    @abc.abstractmethod
    def write_date(self, field_name: str, value: Optional[datetime.date]) -> None:
        """Writes a date (DATE)."""

    @abc.abstractmethod
    def write_array_of_date(self, field_name: str, value: Optional[List[Optional[datetime.date]]]) -> None:
        """Writes an array of dates (ARRAY_OF_DATE)."""

    @abc.abstractmethod
    def write_timestamp(self, field_name: str, value: Optional[datetime.datetime]) -> None:
        """Writes a naive timestamp (TIMESTAMP)."""

    @abc.abstractmethod
    def write_array_of_timestamp(self, field_name: str, value: Optional[List[Optional[datetime.datetime]]]) -> None:
        """Writes an array of naive timestamps (ARRAY_OF_TIMESTAMP)."""

    @abc.abstractmethod
    def write_timestamp_with_timezone(self, field_name: str, value: Optional[datetime.datetime]) -> None:
        """Writes an aware timestamp (TIMESTAMP_WITH_TIMEZONE)."""

    @abc.abstractmethod
    def write_array_of_timestamp_with_timezone(
        self, field_name: str, value: Optional[List[Optional[datetime.datetime]]]
    ) -> None:
        """Writes an array of aware timestamps (ARRAY_OF_TIMESTAMP_WITH_TIMEZONE)."""

    @abc.abstractmethod
    def write_compact(self, field_name: str, value: Optional[Any]) -> None:
        """Writes a nested compact object (COMPACT)."""

    @abc.abstractmethod
    def write_array_of_compact(self, field_name: str, value: Optional[List[Optional[Any]]]) -> None:
        """Writes an array of nested compact objects of one type (ARRAY_OF_COMPACT)."""

    @abc.abstractmethod
    def write_nullable_boolean(self, field_name: str, value: Optional[bool]) -> None:
        """Writes a nullable boolean (NULLABLE_BOOLEAN)."""

    @abc.abstractmethod
    def write_array_of_nullable_boolean(self, field_name: str, value: Optional[List[Optional[bool]]]) -> None:
        """Writes an array of nullable booleans (ARRAY_OF_NULLABLE_BOOLEAN)."""

    @abc.abstractmethod
    def write_nullable_int8(self, field_name: str, value: Optional[int]) -> None:
        """Writes a nullable 8-bit integer (NULLABLE_INT8)."""

    @abc.abstractmethod
    def write_array_of_nullable_int8(self, field_name: str, value: Optional[List[Optional[int]]]) -> None:
        """Writes an array of nullable 8-bit integers (ARRAY_OF_NULLABLE_INT8)."""

    @abc.abstractmethod
    def write_nullable_int16(self, field_name: str, value: Optional[int]) -> None:
        """Writes a nullable 16-bit integer (NULLABLE_INT16)."""

    @abc.abstractmethod
    def write_array_of_nullable_int16(self, field_name: str, value: Optional[List[Optional[int]]]) -> None:
        """Writes an array of nullable 16-bit integers (ARRAY_OF_NULLABLE_INT16)."""

    @abc.abstractmethod
    def write_nullable_int32(self, field_name: str, value: Optional[int]) -> None:
        """Writes a nullable 32-bit integer (NULLABLE_INT32)."""

    @abc.abstractmethod
    def write_array_of_nullable_int32(self, field_name: str, value: Optional[List[Optional[int]]]) -> None:
        """Writes an array of nullable 32-bit integers (ARRAY_OF_NULLABLE_INT32)."""

    @abc.abstractmethod
    def write_nullable_int64(self, field_name: str, value: Optional[int]) -> None:
        """Writes a nullable 64-bit integer (NULLABLE_INT64)."""

    @abc.abstractmethod
    def write_array_of_nullable_int64(self, field_name: str, value: Optional[List[Optional[int]]]) -> None:
        """Writes an array of nullable 64-bit integers (ARRAY_OF_NULLABLE_INT64)."""

    @abc.abstractmethod
    def write_nullable_float32(self, field_name: str, value: Optional[float]) -> None:
        """Writes a nullable 32-bit float (NULLABLE_FLOAT32)."""

    @abc.abstractmethod
    def write_array_of_nullable_float32(self, field_name: str, value: Optional[List[Optional[float]]]) -> None:
        """Writes an array of nullable 32-bit floats (ARRAY_OF_NULLABLE_FLOAT32)."""

    @abc.abstractmethod
    def write_nullable_float64(self, field_name: str, value: Optional[float]) -> None:
        """Writes a nullable 64-bit float (NULLABLE_FLOAT64)."""

    @abc.abstractmethod
    def write_array_of_nullable_float64(self, field_name: str, value: Optional[List[Optional[float]]]) -> None:
        """Writes an array of nullable 64-bit floats (ARRAY_OF_NULLABLE_FLOAT64)."""


CompactSerializableType = TypeVar("CompactSerializableType")
"""The type of the objects a :class:`CompactSerializer` reads and writes."""


class CompactSerializer(Generic[CompactSerializableType], abc.ABC):
    """Writes and reads the objects of one class in the compact format.

    ``write`` and ``read`` must agree: ``read`` can only read the fields ``write`` writes (or use
    ``get_field_kind`` to handle fields added or removed over time).
    """

    @abc.abstractmethod
    def read(self, reader: CompactReader) -> CompactSerializableType:
        """Builds an object from the fields of ``reader``.

        Raises:
            HazelcastSerializationError: a field is missing or has another kind.
        """

    @abc.abstractmethod
    def write(self, writer: CompactWriter, obj: CompactSerializableType) -> None:
        """Writes the fields of ``obj`` to ``writer``.

        Raises:
            HazelcastSerializationError: a value does not fit its field kind.
        """

    @abc.abstractmethod
    def get_class(self) -> Type[CompactSerializableType]:
        """The class this serializer reads and writes."""

    @abc.abstractmethod
    def get_type_name(self) -> str:
        """The type name of the schema (``com.acme.Person`` to interoperate with Java's class of that name).

        It must stay the same when the class evolves (fields added or removed).
        """
