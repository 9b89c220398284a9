"""Built-in types of the Data format: their type ids (protocol.md §5) and payload encodings.

Payloads use the serialization byte order (big-endian by default). Encoders take ``(service, writer, obj)``,
decoders ``(service, reader)``; ``service`` is needed for nested objects (list items).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import pickle
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

from hazelcast.errors import HazelcastSerializationError

__all__ = ["HazelcastJsonValue", "IntType"]

# type ids (SerializationConstants.java)
NULL = 0
BYTE = -3
BOOLEAN = -4
CHAR = -5
SHORT = -6
INTEGER = -7
LONG = -8
FLOAT = -9
DOUBLE = -10
STRING = -11
BYTE_ARRAY = -12
BOOLEAN_ARRAY = -13
CHAR_ARRAY = -14
SHORT_ARRAY = -15
INTEGER_ARRAY = -16
LONG_ARRAY = -17
FLOAT_ARRAY = -18
DOUBLE_ARRAY = -19
STRING_ARRAY = -20
UUID = -21
CLASS = -24
BIG_INTEGER = -26
BIG_DECIMAL = -27
ARRAY = -28
ARRAY_LIST = -29
LINKED_LIST = -30
LOCAL_DATE = -51
LOCAL_TIME = -52
LOCAL_DATE_TIME = -53
OFFSET_DATE_TIME = -54
COMPACT = -55
COMPACT_WITH_SCHEMA = -56
PYTHON_PICKLE = -120
JSON = -130

_MASK64 = (1 << 64) - 1
_MAX_TZ_OFFSET = 18 * 3600


class IntType(enum.IntEnum):
    """How a Python ``int`` is serialized (``SerializationService(default_int_type=...)``), as the official client.

    INT (the default) is Java's Integer; an int outside its range is an error rather than a silent change of type.
    VAR picks the smallest of BYTE, SHORT, INT, LONG and BIG_INT that fits.
    """

    VAR = 0
    BYTE = 1
    SHORT = 2
    INT = 3
    LONG = 4
    BIG_INT = 5


class HazelcastJsonValue:
    """A JSON document stored as JSON on the cluster (queryable by members), type id -130.

    Args:
        value: a JSON string, or any object ``json.dumps`` accepts.
    """

    __slots__ = ("_json",)

    def __init__(self, value: Any) -> None:
        self._json = value if isinstance(value, str) else json.dumps(value)

    def to_string(self) -> str:
        """The JSON text."""
        return self._json

    def loads(self) -> Any:
        """The JSON text parsed with ``json.loads``."""
        return json.loads(self._json)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, HazelcastJsonValue) and self._json == other._json

    def __hash__(self) -> int:
        return hash(self._json)

    def __repr__(self) -> str:
        return f"HazelcastJsonValue({self._json!r})"


# -- helpers -------------------------------------------------------------------------------------------------------


def _big_int_bytes(value: int) -> bytes:
    bits = value.bit_length() if value >= 0 else (~value).bit_length()
    return value.to_bytes(bits // 8 + 1, "big", signed=True)


def _read_big_int(reader: Any) -> int:
    n = reader.read_int32()
    if n <= 0:
        raise HazelcastSerializationError(f"invalid big integer length {n}")
    return int.from_bytes(reader.read_bytes(n), "big", signed=True)


def _count(reader: Any, item_size: int) -> int:
    n = reader.read_int32()
    if n < -1:
        raise HazelcastSerializationError(f"negative length {n}")
    if n > reader.remaining // item_size:
        raise HazelcastSerializationError(f"{n} items of {item_size} bytes do not fit the {reader.remaining} left")
    return n


def _time_parts(value: datetime.time) -> Tuple[int, int, int, int]:
    return value.hour, value.minute, value.second, value.microsecond * 1000


def _write_date(writer: Any, value: datetime.date) -> None:
    writer.write_int32(value.year)
    writer.write_int8(value.month)
    writer.write_int8(value.day)


def _write_time(writer: Any, value: datetime.time) -> None:
    writer.write_int8(value.hour)
    writer.write_int8(value.minute)
    writer.write_int8(value.second)
    writer.write_int32(value.microsecond * 1000)


def _read_time_parts(reader: Any) -> Tuple[int, int, int, int]:
    hour, minute, second, nanos = reader.read_int8(), reader.read_int8(), reader.read_int8(), reader.read_int32()
    if nanos < 0 or nanos > 999_999_999:
        raise HazelcastSerializationError(f"invalid nanoseconds {nanos}")
    return hour, minute, second, nanos // 1000


def _temporal(build: Callable[[], Any]) -> Any:
    try:
        return build()
    except (ValueError, OverflowError) as e:
        raise HazelcastSerializationError(f"invalid date or time: {e}") from None


# -- encoders ------------------------------------------------------------------------------------------------------


def write_int(service: Any, writer: Any, value: int) -> int:
    """Write an int with the service's ``default_int_type``; returns the type id used."""
    int_type = service.default_int_type
    if int_type == IntType.VAR:
        if -128 <= value <= 127:
            int_type = IntType.BYTE
        elif -32768 <= value <= 32767:
            int_type = IntType.SHORT
        elif -(2**31) <= value < 2**31:
            int_type = IntType.INT
        elif -(2**63) <= value < 2**63:
            int_type = IntType.LONG
        else:
            int_type = IntType.BIG_INT
    try:
        if int_type == IntType.INT:
            writer.write_int32(value)
            return INTEGER
        if int_type == IntType.LONG:
            writer.write_int64(value)
            return LONG
        if int_type == IntType.BYTE:
            writer.write_int8(value)
            return BYTE
        if int_type == IntType.SHORT:
            writer.write_int16(value)
            return SHORT
    except HazelcastSerializationError:
        raise HazelcastSerializationError(
            f"the int {value} does not fit {int_type.name}; choose default_int_type=IntType.LONG, BIG_INT or VAR"
        ) from None
    writer.write_byte_array(_big_int_bytes(value))
    return BIG_INTEGER


def _write_bool(service: Any, writer: Any, value: bool) -> None:
    writer.write_bool(value)


def _write_float(service: Any, writer: Any, value: float) -> None:
    writer.write_float64(value)


def _write_str(service: Any, writer: Any, value: str) -> None:
    writer.write_string(value)


def _write_bytes(service: Any, writer: Any, value: bytes) -> None:
    writer.write_byte_array(value)


def _write_uuid(service: Any, writer: Any, value: uuid.UUID) -> None:
    n = value.int
    msb, lsb = n >> 64, n & _MASK64
    writer.write_int64(msb - (1 << 64) if msb >= 1 << 63 else msb)
    writer.write_int64(lsb - (1 << 64) if lsb >= 1 << 63 else lsb)


def _write_list(service: Any, writer: Any, value: List[Any]) -> None:
    writer.write_int32(len(value))
    for item in value:
        service.write_object(writer, item)


def _write_decimal(service: Any, writer: Any, value: decimal.Decimal) -> None:
    if not value.is_finite():
        raise HazelcastSerializationError(f"{value} is not a finite decimal")
    exponent = value.as_tuple().exponent
    unscaled = int(value.scaleb(-exponent, _EXACT))  # type: ignore[operator]
    writer.write_byte_array(_big_int_bytes(unscaled))
    writer.write_int32(-exponent)  # type: ignore[operator]


_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def _write_date_value(service: Any, writer: Any, value: datetime.date) -> None:
    _write_date(writer, value)


def _write_time_value(service: Any, writer: Any, value: datetime.time) -> None:
    _write_time(writer, value)


def _write_datetime(service: Any, writer: Any, value: datetime.datetime) -> None:
    _write_date(writer, value)
    _write_time(writer, value.time())
    offset = value.utcoffset()
    if offset is not None:
        if offset.microseconds or abs(offset.days * 86400 + offset.seconds) > _MAX_TZ_OFFSET:
            raise HazelcastSerializationError(f"UTC offset {offset} must be whole seconds within -18:00..+18:00")
        writer.write_int32(offset.days * 86400 + offset.seconds)


def _write_json(service: Any, writer: Any, value: HazelcastJsonValue) -> None:
    writer.write_string(value.to_string())


def write_pickle(service: Any, writer: Any, value: Any) -> None:
    """Pickle with protocol 0 written as a string, as the official client does (only with ``allow_pickle``)."""
    try:
        text = pickle.dumps(value, 0).decode("utf-8")
    except (pickle.PicklingError, TypeError, AttributeError, UnicodeDecodeError) as e:
        raise HazelcastSerializationError(f"cannot pickle {type(value)!r}: {e}") from None
    writer.write_string(text)


WRITERS: Dict[type, Tuple[int, Callable[[Any, Any, Any], None]]] = {
    bool: (BOOLEAN, _write_bool),
    float: (DOUBLE, _write_float),
    str: (STRING, _write_str),
    bytes: (BYTE_ARRAY, _write_bytes),
    bytearray: (BYTE_ARRAY, _write_bytes),
    uuid.UUID: (UUID, _write_uuid),
    list: (ARRAY_LIST, _write_list),
    decimal.Decimal: (BIG_DECIMAL, _write_decimal),
    datetime.date: (LOCAL_DATE, _write_date_value),
    datetime.time: (LOCAL_TIME, _write_time_value),
    datetime.datetime: (LOCAL_DATE_TIME, _write_datetime),  # OFFSET_DATE_TIME when aware, see type_id_of
    HazelcastJsonValue: (JSON, _write_json),
}
"""Built-in types by exact class: (type id, encoder). ``int`` is handled by :func:`write_int`."""

BUILTIN_TYPES = frozenset(WRITERS) | {int, type(None)}
"""Classes that compact serializers may not take over (as in the official client)."""


def type_id_of(value: Any, type_id: int) -> int:
    """The type id of a built-in value whose id depends on the value (aware datetimes)."""
    if type_id == LOCAL_DATE_TIME and value.utcoffset() is not None:
        return OFFSET_DATE_TIME
    return type_id


# -- decoders ------------------------------------------------------------------------------------------------------


def _read_char(service: Any, reader: Any) -> str:
    return chr(reader.read_uint16())


def _read_bool_array(service: Any, reader: Any) -> Optional[List[bool]]:
    n = _count(reader, 1)
    return None if n == -1 else [reader.read_bool() for _ in range(n)]


def _read_char_array(service: Any, reader: Any) -> Optional[List[str]]:
    n = _count(reader, 2)
    return None if n == -1 else [chr(reader.read_uint16()) for _ in range(n)]


def _read_string_array(service: Any, reader: Any) -> Optional[List[Optional[str]]]:
    n = _count(reader, 4)
    return None if n == -1 else [reader.read_string() for _ in range(n)]


def _read_list(service: Any, reader: Any) -> Optional[List[Any]]:
    n = _count(reader, 4)
    return None if n == -1 else [service.read_object(reader) for _ in range(n)]


def _read_uuid(service: Any, reader: Any) -> uuid.UUID:
    msb, lsb = reader.read_int64(), reader.read_int64()
    return uuid.UUID(int=((msb & _MASK64) << 64) | (lsb & _MASK64))


def _read_decimal(service: Any, reader: Any) -> decimal.Decimal:
    unscaled = _read_big_int(reader)
    scale = reader.read_int32()
    return decimal.Decimal(unscaled).scaleb(-scale, _EXACT)


def _read_date(service: Any, reader: Any) -> datetime.date:
    year, month, day = reader.read_int32(), reader.read_int8(), reader.read_int8()
    return _temporal(lambda: datetime.date(year, month, day))


def _read_time(service: Any, reader: Any) -> datetime.time:
    parts = _read_time_parts(reader)
    return _temporal(lambda: datetime.time(*parts))


def _read_local_datetime(service: Any, reader: Any) -> datetime.datetime:
    year, month, day = reader.read_int32(), reader.read_int8(), reader.read_int8()
    parts = _read_time_parts(reader)
    return _temporal(lambda: datetime.datetime(year, month, day, *parts))


def _read_offset_datetime(service: Any, reader: Any) -> datetime.datetime:
    year, month, day = reader.read_int32(), reader.read_int8(), reader.read_int8()
    parts = _read_time_parts(reader)
    offset = reader.read_int32()
    if abs(offset) > _MAX_TZ_OFFSET:
        raise HazelcastSerializationError(f"invalid UTC offset of {offset} seconds")
    tz = datetime.timezone(datetime.timedelta(seconds=offset))
    return _temporal(lambda: datetime.datetime(year, month, day, *parts, tzinfo=tz))


def read_pickle(service: Any, reader: Any) -> Any:
    """Unpickle (only reached with ``allow_pickle``: unpickling runs code chosen by whoever wrote the data)."""
    text = reader.read_string()
    try:
        return pickle.loads(text.encode("utf-8"))
    except Exception as e:  # any failure of untrusted bytes
        raise HazelcastSerializationError(f"cannot unpickle: {e}") from None


READERS: Dict[int, Callable[[Any, Any], Any]] = {
    NULL: lambda service, reader: None,
    BYTE: lambda service, reader: reader.read_int8(),
    BOOLEAN: lambda service, reader: reader.read_bool(),
    CHAR: _read_char,
    SHORT: lambda service, reader: reader.read_int16(),
    INTEGER: lambda service, reader: reader.read_int32(),
    LONG: lambda service, reader: reader.read_int64(),
    FLOAT: lambda service, reader: reader.read_float32(),
    DOUBLE: lambda service, reader: reader.read_float64(),
    STRING: lambda service, reader: reader.read_string(),
    BYTE_ARRAY: lambda service, reader: reader.read_byte_array(),
    BOOLEAN_ARRAY: _read_bool_array,
    CHAR_ARRAY: _read_char_array,
    SHORT_ARRAY: lambda service, reader: reader.read_int16_array(),
    INTEGER_ARRAY: lambda service, reader: reader.read_int32_array(),
    LONG_ARRAY: lambda service, reader: reader.read_int64_array(),
    FLOAT_ARRAY: lambda service, reader: reader.read_float32_array(),
    DOUBLE_ARRAY: lambda service, reader: reader.read_float64_array(),
    STRING_ARRAY: _read_string_array,
    UUID: _read_uuid,
    CLASS: lambda service, reader: reader.read_string(),
    BIG_INTEGER: lambda service, reader: _read_big_int(reader),
    BIG_DECIMAL: _read_decimal,
    ARRAY: _read_list,
    ARRAY_LIST: _read_list,
    LINKED_LIST: _read_list,
    LOCAL_DATE: _read_date,
    LOCAL_TIME: _read_time,
    LOCAL_DATE_TIME: _read_local_datetime,
    OFFSET_DATE_TIME: _read_offset_datetime,
    JSON: lambda service, reader: HazelcastJsonValue(reader.read_string()),
}
"""Decoders by type id (compact, pickle and nested objects are handled by the service)."""
