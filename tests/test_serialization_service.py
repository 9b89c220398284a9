"""The Data format and the SerializationService (built-in types, partition hash, pickle policy), both backends."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import pickle
import struct
import uuid

import mmh3
import pytest

from hazelcast.errors import HazelcastSerializationError as HSE
from hazelcast.serialization import (
    Data,
    HazelcastJsonValue,
    IntType,
    SerializationService,
    get_partition_id,
    murmur_hash3_x86_32,
)

# -- A.1: Data bytes, Murmur hash and partition ids -----------------------------------------------------------------

A1 = [("key1", "00000000fffffff5000000046b657931", 1754812034, 43),
      (42, "00000000fffffff90000002a", 2076340387, 175),
      ("a", "00000000fffffff50000000161", 2099876635, 73),
      ("", "00000000fffffff500000000", 923237662, 11)]


@pytest.mark.parametrize("value,hex_data,hash_value,partition", A1)
def test_vector_a1(serialization, value, hex_data, hash_value, partition):
    service = serialization()
    data = service.to_data(value)
    assert data.buffer.hex() == hex_data
    assert data.get_partition_hash() == hash_value == mmh3.hash(data.buffer[8:], 0x01000193)
    assert get_partition_id(data, 271) == partition
    assert service.to_object(data) == value


def test_partition_hash_rules():
    data = Data(bytes.fromhex("00000000fffffff5000000046b657931"))
    assert murmur_hash3_x86_32(data.buffer, 8) == data.hash_code() == 1754812034
    assert murmur_hash3_x86_32(b"\x00\x00\x00\x04key1") == 1754812034
    keyed = Data(struct.pack(">ii", 12345, -11) + b"\x00\x00\x00\x01a")
    assert keyed.get_partition_hash() == 12345  # a partition key's hash in the header wins
    assert get_partition_id(keyed, 271) == 12345 % 271
    negative = Data(struct.pack(">ii", -7, -11))
    assert get_partition_id(negative, 5) == 2
    minimum = Data(struct.pack(">ii", -(2**31), -11))
    assert get_partition_id(minimum, 271) == 0  # Integer.MIN_VALUE: partition 0 (abs() would overflow in Java)
    assert Data().get_partition_hash() == 0
    with pytest.raises(ValueError):
        get_partition_id(data, 0)


def test_data_value_semantics():
    raw = bytes.fromhex("00000000fffffff5000000046b657931")
    data = Data(bytearray(raw))
    assert bytes(data) == raw and len(data) == 16 and data.total_size() == 16 and data.data_size() == 8
    assert data.get_type() == data.type_id == -11 and data == Data(raw) and data != raw
    assert hash(data) == hash(Data(raw)) and "type_id=-11" in repr(data)
    empty = Data()
    assert empty.get_type() == 0 and empty.data_size() == 0 and len(empty) == 0
    with pytest.raises(HSE):
        Data(b"\x00\x01")


# -- built-in types ------------------------------------------------------------------------------------------------

UTC_PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))
ROUND_TRIPS = [
    (True, -4), (False, -4), (0, -7), (-(2**31), -7), (1.5, -10), (float("inf"), -10), ("ünï✓", -11), ("", -11),
    (b"\x00\xff", -12), (uuid.UUID("12345678-1234-5678-9abc-def012345678"), -21), (uuid.UUID(int=2**128 - 1), -21),
    ([1, "x", None, [2.5]], -29), ([], -29), (decimal.Decimal("-12.345"), -27), (decimal.Decimal("1E+5"), -27),
    (datetime.date(2024, 2, 29), -51), (datetime.time(13, 14, 15, 16), -52),
    (datetime.datetime(2024, 1, 2, 3, 4, 5, 6), -53), (datetime.datetime(2024, 1, 2, 3, 4, 5, 6, UTC_PLUS_2), -54),
    (HazelcastJsonValue('{"a": 1}'), -130),
]


@pytest.mark.parametrize("value,type_id", ROUND_TRIPS)
def test_builtin_round_trips(serialization, value, type_id):
    for big_endian in (True, False):
        service = serialization(big_endian=big_endian)
        data = service.to_data(value)
        assert data.get_type() == type_id
        assert service.to_object(data) == value
        assert service.to_object(data.buffer) == value


def test_payload_encodings(serialization):
    service = serialization()
    assert service.to_data(True).buffer.hex() == "00000000fffffffc01"
    assert service.to_data(1.5).buffer.hex() == "00000000fffffff63ff8000000000000"
    assert service.to_data(b"ab").buffer.hex() == "00000000fffffff4000000026162"
    assert service.to_data(decimal.Decimal("-1.28")).buffer.hex() == "00000000ffffffe5000000018000000002"
    assert service.to_data(datetime.date(2020, 1, 2)).buffer.hex() == "00000000ffffffcd000007e40102"
    assert service.to_data([7]).buffer.hex() == "00000000ffffffe300000001fffffff900000007"
    assert service.to_data(bytearray(b"x")).buffer == service.to_data(b"x").buffer
    assert service.to_data(HazelcastJsonValue({"a": [1]})).buffer.endswith(b'{"a": [1]}')
    assert service.to_data(None) is None and service.to_object(None) is None and service.to_object(Data()) is None
    data = service.to_data("x")
    assert service.to_data(data) is data


def test_json_value():
    value = HazelcastJsonValue({"k": [1, 2]})
    assert value.to_string() == '{"k": [1, 2]}' and value.loads() == {"k": [1, 2]}
    assert value == HazelcastJsonValue('{"k": [1, 2]}') and hash(value) == hash(HazelcastJsonValue(value.to_string()))
    assert "HazelcastJsonValue" in repr(value) and value != '{"k": [1, 2]}'


@pytest.mark.parametrize("int_type,value,type_id", [
    (IntType.BYTE, -128, -3), (IntType.SHORT, 32767, -6), (IntType.INT, 1, -7), (IntType.LONG, 2**40, -8),
    (IntType.BIG_INT, 2**100, -26), (IntType.BIG_INT, -(2**100), -26), (IntType.VAR, 1, -3), (IntType.VAR, 300, -6),
    (IntType.VAR, 2**20, -7), (IntType.VAR, 2**40, -8), (IntType.VAR, -(2**70), -26)])
def test_int_types(serialization, int_type, value, type_id):
    service = serialization(default_int_type=int_type)
    data = service.to_data(value)
    assert data.get_type() == type_id and service.to_object(data) == value


@pytest.mark.parametrize("int_type,value", [(IntType.INT, 2**31), (IntType.BYTE, 128), (IntType.SHORT, -32769),
                                            (IntType.LONG, 2**63)])
def test_int_overflow_is_a_clear_error(serialization, int_type, value):
    with pytest.raises(HSE, match="does not fit"):
        serialization(default_int_type=int_type).to_data(value)


def java(type_id: int, payload: bytes) -> bytes:
    return struct.pack(">ii", 0, type_id) + payload


JAVA_PAYLOADS = [
    (java(-3, b"\xff"), -1), (java(-5, b"\x00\x41"), "A"), (java(-6, b"\xff\xfe"), -2), (java(-8, b"\x00" * 7 + b"\x05"), 5),
    (java(-9, struct.pack(">f", 0.5)), 0.5), (java(-13, b"\x00\x00\x00\x02\x01\x00"), [True, False]),
    (java(-14, b"\x00\x00\x00\x01\x00\x42"), ["B"]), (java(-15, b"\x00\x00\x00\x01\x00\x07"), [7]),
    (java(-16, b"\x00\x00\x00\x01\x00\x00\x00\x08"), [8]), (java(-17, b"\x00\x00\x00\x01" + b"\x00" * 7 + b"\x09"), [9]),
    (java(-18, b"\x00\x00\x00\x01" + struct.pack(">f", 1.5)), [1.5]),
    (java(-19, b"\x00\x00\x00\x01" + struct.pack(">d", 2.5)), [2.5]),
    (java(-20, b"\x00\x00\x00\x02\x00\x00\x00\x01a\xff\xff\xff\xff"), ["a", None]),
    (java(-24, b"\x00\x00\x00\x03Foo"), "Foo"), (java(-26, b"\x00\x00\x00\x01\xff"), -1),
    (java(-28, b"\x00\x00\x00\x01\xff\xff\xff\xf9\x00\x00\x00\x03"), [3]),
    (java(-30, b"\x00\x00\x00\x01\xff\xff\xff\xf5\x00\x00\x00\x01z"), ["z"]), (java(-30, b"\xff\xff\xff\xff"), None),
    (java(-13, b"\xff\xff\xff\xff"), None), (java(-14, b"\xff\xff\xff\xff"), None),
    (java(-20, b"\xff\xff\xff\xff"), None), (java(0, b""), None),
]


@pytest.mark.parametrize("raw,expected", JAVA_PAYLOADS)
def test_reading_what_java_sends(serialization, raw, expected):
    assert serialization().to_object(raw) == expected


BAD = [
    b"\x00\x00\x00\x00\xff",  # shorter than the header
    java(-7, b"\x00\x00"),  # truncated int
    java(-11, b"\x00\x00\x00\x05ab"),  # truncated string
    java(-11, b"\x00\x00\x00\x01\xff"),  # invalid UTF-8
    java(-29, b"\x7f\xff\xff\xff"),  # a list that cannot fit
    java(-29, b"\xff\xff\xff\xf0"),  # negative count
    java(-13, b"\x00\x00\x10\x00"),  # booleans that cannot fit
    java(-27, b"\x00\x00\x00\x00\x00\x00\x00\x00"),  # empty big integer
    java(-51, b"\x00\x00\x07\xe4\x0d\x01"),  # month 13
    java(-52, b"\x19\x00\x00\x00\x00\x00\x00"),  # hour 25
    java(-52, b"\x01\x00\x00\xff\xff\xff\xff"),  # negative nanos
    java(-53, b"\x00\x00\x07\xe4\x01\x01\x00\x00\x00\x3b\x9a\xca\x00"),  # 10**9 nanos
    java(-54, b"\x00\x00\x07\xe4\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00"),  # offset 65536 s
    java(-21, b"\x00" * 15),  # truncated UUID
    java(999, b""),  # unknown type id
    java(-56, b""),  # compact with schema: not sent to clients
]


@pytest.mark.parametrize("raw", BAD)
def test_malformed_data(serialization, raw):
    with pytest.raises(HSE):
        serialization().to_object(raw)


def test_what_to_object_accepts(serialization):
    service = serialization()
    with pytest.raises(HSE, match="needs Data or bytes"):
        service.to_object("not data")
    assert service.to_object(memoryview(service.to_data("m").buffer)) == "m"
    assert service.to_object(bytearray(service.to_data(3).buffer)) == 3


def test_deeply_nested_and_cyclic_lists(serialization):
    service = serialization()
    deep = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(HSE, match="too deeply"):
        service.to_data(deep)
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(HSE):
        service.to_data(cyclic)
    raw = java(-29, b"\x00\x00\x00\x01\xff\xff\xff\xe3" * 5000 + b"\x00\x00\x00\x00")
    with pytest.raises(HSE, match="too deeply"):
        service.to_object(raw)


# -- pickle: never unless opted in -----------------------------------------------------------------------------------


class Unregistered:
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return isinstance(other, Unregistered) and other.x == self.x


def test_objects_without_a_serializer_are_rejected(serialization):
    with pytest.raises(HSE, match="allow_pickle"):
        serialization().to_data(Unregistered(1))
    with pytest.raises(HSE, match="no serializer"):
        serialization().to_data((1, 2))


def test_pickled_data_is_refused_by_default(serialization):
    official_style = java(-120, struct.pack(">i", len(pickle.dumps(5, 0))) + pickle.dumps(5, 0))
    with pytest.raises(HSE, match="refusing to unpickle"):
        serialization().to_object(official_style)
    assert serialization(allow_pickle=True).to_object(official_style) == 5


def test_pickle_when_allowed(serialization):
    service = serialization(allow_pickle=True)
    data = service.to_data(Unregistered([1, "x"]))
    assert data.get_type() == -120 and service.to_object(data) == Unregistered([1, "x"])
    assert service.to_object(service.to_data([Unregistered(2)])) == [Unregistered(2)]
    with pytest.raises(HSE, match="cannot pickle"):
        service.to_data(lambda: 1)
    with pytest.raises(HSE, match="cannot unpickle"):
        service.to_object(java(-120, b"\x00\x00\x00\x03xyz"))


# -- compact objects inside Data and lists ---------------------------------------------------------------------------


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_compact_values_in_lists(serialization):
    service = serialization()
    points = [Point(1, 2), None, Point(3, 4)]
    data = service.to_data(points)
    assert data.get_type() == -29 and service.to_object(data) == points
    assert service.to_object(service.to_data(Point(5, 6))) == Point(5, 6)


def test_fast_path_and_fallbacks(serialization):
    service = serialization()
    p = service.to_data(Point(1, 2))  # first write: the slow path registers the class and its plan
    assert service.to_data(Point(1, 2)) == p  # then the fast path
    assert type(service.to_data(Point(1, 2))) is Data
    assert service.to_object(Data(p.buffer)) == Point(1, 2)
    with pytest.raises(HSE):
        service.to_object(p.buffer[:15])  # shorter than a compact header + schema id: the slow path decides
    with pytest.raises(HSE):
        service.to_object(p.buffer[:-1])

    class Subclass(SerializationService):
        def to_data(self, obj):
            return None if obj is None else Data(b"\x00\x00\x00\x00\xff\xff\xff\xf9\x00\x00\x00\x07")

    assert Subclass().to_data(1).buffer[-1] == 7  # the fast path does not hide overrides
    assert Subclass().to_bytes(1)[-1] == 7 and Subclass().to_bytes(None) is None  # to_bytes follows them
    assert service.to_bytes("a") == service.to_data("a").buffer and service.to_bytes(None) is None


def test_fast_path_wraps_unexpected_errors(serialization):
    service = serialization()
    service.to_data(Point(1, 2))
    with pytest.raises(HSE, match="cannot write"):
        service.to_data(Point("x", 2))

    class Weird:
        @property
        def x(self):
            raise KeyError("nope")

    service.compact.write_plans[Weird] = service.compact.write_plans[Point]
    with pytest.raises(HSE, match="nope"):
        service.to_data(Weird())
