"""Compact serialization on both backends: schemas, user serializers, GenericRecord, evolution, bad input.

Zero-config classes are in ``test_compact_zero_config.py``, the schema service in ``test_schema_service.py``, byte
compatibility with the official client in ``test_official_interop.py``.
"""

from __future__ import annotations

import datetime
import decimal
import struct
from typing import Any, Dict, List

import pytest

from hazelcast.errors import HazelcastSerializationError as HSE
from hazelcast.serialization import (
    CompactReader,
    CompactSerializer,
    CompactWriter,
    FieldKind,
    GenericRecord,
    GenericRecordBuilder,
    Schema,
    SchemaNotFoundError,
)
from hazelcast.serialization import compact as compact_module
from hazelcast.serialization.compact import (
    DefaultCompactReader,
    FieldDescriptor,
    SchemaWriter,
    rabin_fingerprint_64,
)

K = FieldKind
UTC = datetime.timezone.utc
SUPPORTED = [k for k in K if k not in (K.NOT_AVAILABLE, K.CHAR, K.ARRAY_OF_CHAR, K.PORTABLE, K.ARRAY_OF_PORTABLE)]


def unsigned(schema_id: int) -> int:
    return schema_id & 0xFFFFFFFFFFFFFFFF


# -- schemas: ids (A.5) and layout ----------------------------------------------------------------------------------


def test_schema_ids_of_protocol_vectors():
    assert Schema("student", [("age", K.INT32), ("name", K.STRING)]).schema_id == 5500194539746463554
    student = Schema("student", [("age", K.INT32), ("name", K.STRING), ("active", K.BOOLEAN),
                                 ("score", K.NULLABLE_INT64)])
    assert student.schema_id == 3129399882107939709 == 0x2B6DDC9CCD316B7D
    assert unsigned(Schema("inner", [("x", K.INT8)]).schema_id) == 0x78993D341E4D78E6
    outer = Schema("outer", [("flags", K.ARRAY_OF_BOOLEAN), ("inner", K.COMPACT), ("tags", K.ARRAY_OF_STRING)])
    assert unsigned(outer.schema_id) == 0xFD85CED150231384


def test_rabin_table_and_signed_result():
    table = compact_module._RABIN_TABLE
    assert (table[1], table[2], table[3]) == (0x2CF1CBA6B75351FA, 0x59E3974D6EA6A3F4, 0x75125CEBD9F5F20E)
    assert rabin_fingerprint_64("student", [("age", 9), ("name", 17)]) == 5500194539746463554
    assert rabin_fingerprint_64("outer", [("flags", 2), ("inner", 29), ("tags", 18)]) < 0  # signed int64


def test_layout_of_the_student_vector():
    schema = Schema("student", [("score", K.NULLABLE_INT64), ("name", K.STRING), ("age", K.INT32),
                                ("active", K.BOOLEAN)])
    assert [f.name for f in schema.fields] == ["active", "age", "name", "score"]
    fields = schema.fields_dict
    assert (fields["age"].position, fields["active"].position, fields["active"].bit_position) == (0, 4, 0)
    assert (fields["name"].index, fields["score"].index) == (0, 1)
    assert (fields["age"].index, fields["name"].position, fields["name"].bit_position) == (-1, -1, -1)
    assert schema.fix_sized_fields_length == 5 and schema.var_sized_field_count == 2


def test_fixed_fields_by_size_descending_then_name_and_booleans_packed():
    fields = [("c8", K.INT8), ("a64", K.INT64), ("b32", K.INT32), ("a32", K.FLOAT32), ("z64", K.FLOAT64),
              ("d16", K.INT16)] + [(f"flag{i:02}", K.BOOLEAN) for i in range(10)]
    schema = Schema("layout", fields)
    f = schema.fields_dict
    assert [f[n].position for n in ("a64", "z64", "a32", "b32", "d16", "c8")] == [0, 8, 16, 20, 24, 26]
    assert [(f[f"flag{i:02}"].position, f[f"flag{i:02}"].bit_position) for i in (0, 7, 8, 9)] == [
        (27, 0), (27, 7), (28, 0), (28, 1)]
    assert schema.fix_sized_fields_length == 29 and schema.var_sized_field_count == 0


def test_field_names_sort_as_java_strings():
    # Java compares UTF-16 code units: U+1F600 (D83D DE00) sorts before U+FFFD, unlike code points
    schema = Schema("order", [("\ufffd", K.INT32), ("\U0001f600", K.INT32), ("a", K.INT32)])
    assert [f.name for f in schema.fields] == ["a", "\U0001f600", "\ufffd"]


@pytest.mark.parametrize("fields", [
    [("a", K.INT32), ("a", K.STRING)],
    [("a", K.CHAR)],
    [("a", K.ARRAY_OF_PORTABLE)],
    [("a", K.NOT_AVAILABLE)],
    [("a", 99)],
    [(5, K.INT32)],
    [("\ud800", K.INT32)],
])
def test_invalid_schemas(fields):
    with pytest.raises(HSE):
        Schema("bad", fields)


def test_invalid_type_names():
    with pytest.raises(HSE):
        Schema(5, [])  # type: ignore[arg-type]
    with pytest.raises(HSE):
        Schema("\udc00", [])


def test_schema_value_semantics():
    a = Schema("t", [FieldDescriptor("x", K.INT32), ("y", K.STRING)])
    b = Schema("t", [("y", K.STRING), ("x", 9)])
    assert a == b and hash(a) == hash(b) and a != Schema("t", [("x", K.INT64), ("y", K.STRING)]) and a != "t"
    assert "x: INT32" in repr(a) and str(a.schema_id) in repr(a)
    assert a.slot("y") == 1
    assert a.plan_fields() == [("x", 9, 0, 0, 0, None), ("y", 17, 0, 0, 0, None)]
    assert a.plan_fields(["kx", "ky"])[1][5] == "ky"
    d = FieldDescriptor("x", K.INT32)
    assert d.field_name == "x" and d == FieldDescriptor("x", 9) and d != FieldDescriptor("x", K.INT64)
    assert hash(d) == hash(FieldDescriptor("x", K.INT32)) and "INT32" in repr(d)
    assert d != ("x", K.INT32)


# -- A.6 / A.7 with user serializers ---------------------------------------------------------------------------------


class Student:
    def __init__(self, age: int, name: str, active: bool, score: Any) -> None:
        self.age, self.name, self.active, self.score = age, name, active, score

    def __eq__(self, other: Any) -> bool:
        return vars(self) == vars(other)


class StudentSerializer(CompactSerializer[Student]):
    def read(self, reader: CompactReader) -> Student:
        return Student(reader.read_int32("age"), reader.read_string("name"), reader.read_boolean("active"),
                       reader.read_nullable_int64("score"))

    def write(self, writer: CompactWriter, obj: Student) -> None:
        writer.write_int32("age", obj.age)
        writer.write_string("name", obj.name)
        writer.write_boolean("active", obj.active)
        writer.write_nullable_int64("score", obj.score)

    def get_class(self) -> type:
        return Student

    def get_type_name(self) -> str:
        return "student"


A6 = "00000000ffffffc92b6ddc9ccd316b7d0000000c000000140100000003426f6205ff"
A6_SCORE_7 = ("00000000ffffffc92b6ddc9ccd316b7d00000014000000140100000003426f62"
              "0000000000000007050c")


def test_vector_a6_with_a_user_serializer(serialization):
    service = serialization(StudentSerializer())
    data = service.to_data(Student(20, "Bob", True, None))
    assert data.buffer.hex() == A6 and len(data) == 34
    assert service.to_data(Student(20, "Bob", True, 7)).buffer.hex() == A6_SCORE_7
    assert service.to_object(data) == Student(20, "Bob", True, None)
    assert service.to_object(bytes.fromhex(A6_SCORE_7)) == Student(20, "Bob", True, 7)


class Inner:
    def __init__(self, x: int) -> None:
        self.x = x


class Outer:
    def __init__(self, inner: Any, tags: Any, flags: Any) -> None:
        self.inner, self.tags, self.flags = inner, tags, flags


class InnerSerializer(CompactSerializer[Inner]):
    def read(self, reader: CompactReader) -> Inner:
        return Inner(reader.read_int8("x"))

    def write(self, writer: CompactWriter, obj: Inner) -> None:
        writer.write_int8("x", obj.x)

    def get_class(self) -> type:
        return Inner

    def get_type_name(self) -> str:
        return "inner"


class OuterSerializer(CompactSerializer[Outer]):
    def read(self, reader: CompactReader) -> Outer:
        return Outer(reader.read_compact("inner"), reader.read_array_of_string("tags"),
                     reader.read_array_of_boolean("flags"))

    def write(self, writer: CompactWriter, obj: Outer) -> None:
        writer.write_compact("inner", obj.inner)
        writer.write_array_of_string("tags", obj.tags)
        writer.write_array_of_boolean("flags", obj.flags)

    def get_class(self) -> type:
        return Outer

    def get_type_name(self) -> str:
        return "outer"


A7 = ("00000000ffffffc9fd85ced150231384000000257899" "3d341e4d78e6070000000b00000003000000016100000002626300ff05"
      "000000090d011f0009")
FLAGS = [True, False, True, True, False, False, False, False, True]


def test_vector_a7_nested_and_arrays(serialization):
    service = serialization(OuterSerializer(), InnerSerializer())
    data = service.to_data(Outer(Inner(7), ["a", None, "bc"], FLAGS))
    assert data.buffer.hex() == A7
    back = service.to_object(data)
    assert (back.inner.x, back.tags, back.flags) == (7, ["a", None, "bc"], FLAGS)


def test_writes_follow_the_serializer_call_order(serialization):
    class Reordered(OuterSerializer):
        def write(self, writer: CompactWriter, obj: Outer) -> None:
            writer.write_array_of_boolean("flags", obj.flags)
            writer.write_array_of_string("tags", obj.tags)
            writer.write_compact("inner", obj.inner)

    service = serialization(Reordered(), InnerSerializer())
    data = service.to_data(Outer(Inner(7), ["a", None, "bc"], FLAGS)).buffer
    assert data != bytes.fromhex(A7) and len(data) == len(bytes.fromhex(A7))
    assert data[-3:] == bytes([0x00, 0x1C, 0x06])  # offsets of flags, inner, tags (index order)
    back = service.to_object(data)
    assert (back.inner.x, back.tags, back.flags) == (7, ["a", None, "bc"], FLAGS)


# -- every kind through DefaultCompactWriter / DefaultCompactReader and GenericRecord ---------------------------------


def sample_values(nested: Any) -> Dict[FieldKind, Any]:
    d = decimal.Decimal
    return {
        K.BOOLEAN: True, K.ARRAY_OF_BOOLEAN: [True, False, True], K.INT8: -5, K.ARRAY_OF_INT8: [1, -2, 127],
        K.INT16: -300, K.ARRAY_OF_INT16: [300, -1], K.INT32: 70000, K.ARRAY_OF_INT32: [1, 2, 3], K.INT64: -(2**40),
        K.ARRAY_OF_INT64: [2**62], K.FLOAT32: 1.5, K.ARRAY_OF_FLOAT32: [0.5, -2.0], K.FLOAT64: 2.25,
        K.ARRAY_OF_FLOAT64: [1e100, -0.0], K.STRING: "ßä✓🚀", K.ARRAY_OF_STRING: ["a", None, ""],
        K.DECIMAL: d("-1.25"), K.ARRAY_OF_DECIMAL: [d("10E+3"), None, d("0.001")],
        K.TIME: datetime.time(1, 2, 3, 4), K.ARRAY_OF_TIME: [datetime.time(23, 59), None],
        K.DATE: datetime.date(2020, 2, 29), K.ARRAY_OF_DATE: [datetime.date(1, 1, 1), None],
        K.TIMESTAMP: datetime.datetime(2020, 1, 1, 1, 1, 1, 1), K.ARRAY_OF_TIMESTAMP: [None],
        K.TIMESTAMP_WITH_TIMEZONE: datetime.datetime(2020, 1, 1, tzinfo=UTC),
        K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE: [datetime.datetime(1999, 1, 1, tzinfo=datetime.timezone(
            datetime.timedelta(hours=-7)))],
        K.COMPACT: nested, K.ARRAY_OF_COMPACT: [nested, None], K.NULLABLE_BOOLEAN: False,
        K.ARRAY_OF_NULLABLE_BOOLEAN: [None, True], K.NULLABLE_INT8: None, K.ARRAY_OF_NULLABLE_INT8: [1, None],
        K.NULLABLE_INT16: 7, K.ARRAY_OF_NULLABLE_INT16: [None], K.NULLABLE_INT32: -1,
        K.ARRAY_OF_NULLABLE_INT32: [2, 3], K.NULLABLE_INT64: 2**63 - 1, K.ARRAY_OF_NULLABLE_INT64: [],
        K.NULLABLE_FLOAT32: 0.25, K.ARRAY_OF_NULLABLE_FLOAT32: [None, 1.0], K.NULLABLE_FLOAT64: None,
        K.ARRAY_OF_NULLABLE_FLOAT64: [3.5],
    }


def method(kind: FieldKind, generic: bool = False) -> str:
    name = kind.name.lower()
    if generic:
        name = {"compact": "generic_record", "array_of_compact": "array_of_generic_record"}.get(name, name)
    return name


class AllKinds:
    def __init__(self, values: Dict[FieldKind, Any]) -> None:
        self.values = values


class AllKindsSerializer(CompactSerializer[AllKinds]):
    def read(self, reader: CompactReader) -> AllKinds:
        return AllKinds({k: getattr(reader, "read_" + method(k))("f_" + k.name) for k in SUPPORTED})

    def write(self, writer: CompactWriter, obj: AllKinds) -> None:
        for k in SUPPORTED:
            getattr(writer, "write_" + method(k))("f_" + k.name, obj.values[k])

    def get_class(self) -> type:
        return AllKinds

    def get_type_name(self) -> str:
        return "all.Kinds"


def test_every_kind_through_a_user_serializer(serialization):
    service = serialization(AllKindsSerializer(), InnerSerializer())
    values = sample_values(Inner(3))
    back = service.to_object(service.to_data(AllKinds(values))).values
    nested = back.pop(K.COMPACT)
    items = back.pop(K.ARRAY_OF_COMPACT)
    expected = dict(values)
    del expected[K.COMPACT], expected[K.ARRAY_OF_COMPACT]
    assert back == expected
    assert nested.x == 3 and items[0].x == 3 and items[1] is None


def test_every_kind_through_generic_records(serialization):
    nested = GenericRecordBuilder.compact("nested").set_int32("x", 1).build()
    values = sample_values(nested)
    builder = GenericRecordBuilder.compact("all.Generic")
    for k in SUPPORTED:
        assert getattr(builder, "set_" + method(k, True))("f_" + k.name, values[k]) is builder
    record = builder.build()
    service = serialization()
    back = service.to_object(service.to_data(record))
    assert back == record and back is not record
    for k in SUPPORTED:
        assert getattr(back, "get_" + method(k, True))("f_" + k.name) == values[k]
        assert back.get_field_kind("f_" + k.name) == k


def test_every_kind_little_endian(serialization):
    service = serialization(AllKindsSerializer(), InnerSerializer(), big_endian=False)
    values = sample_values(Inner(-1))
    data = service.to_data(AllKinds(values))
    assert data.buffer[4:8] == b"\xff\xff\xff\xc9"  # the header stays big-endian
    schema_id = Schema("all.Kinds", [("f_" + k.name, k) for k in SUPPORTED]).schema_id
    assert struct.unpack_from("<q", data.buffer, 8)[0] == schema_id
    back = service.to_object(data).values
    assert back[K.STRING] == values[K.STRING] and back[K.ARRAY_OF_DECIMAL] == values[K.ARRAY_OF_DECIMAL]
    assert back[K.COMPACT].x == -1
    record = GenericRecordBuilder.compact("le").set_array_of_int16("a", [1, -2]).build()
    assert service.to_object(service.to_data(record)) == record


# -- reading rules: nullability, kinds, defaults -------------------------------------------------------------------


def reader_for(fields: List[Any], values: List[Any]) -> DefaultCompactReader:
    schema = Schema("r", fields)
    ordered = [dict(zip([f[0] for f in fields], values))[f.name] for f in schema.fields]
    return DefaultCompactReader(schema, ordered)


def test_nullable_and_non_nullable_reads():
    r = reader_for([("a", K.NULLABLE_INT32), ("b", K.INT32), ("c", K.NULLABLE_BOOLEAN), ("d", K.ARRAY_OF_NULLABLE_INT8),
                    ("e", K.ARRAY_OF_INT8), ("f", K.NULLABLE_INT64), ("g", K.ARRAY_OF_NULLABLE_INT16)],
                   [5, 6, None, [1, 2], [3], 9, [None, 1]])
    assert r.read_int32("a") == 5 and r.read_nullable_int32("b") == 6 and r.read_nullable_boolean("c") is None
    assert r.read_array_of_int8("d") == [1, 2] and r.read_array_of_nullable_int8("e") == [3]
    assert r.read_int64("f") == 9
    with pytest.raises(HSE, match="read_nullable_boolean"):
        r.read_boolean("c")
    with pytest.raises(HSE, match="None items"):
        r.read_array_of_int16("g")
    with pytest.raises(HSE, match="Mismatched"):
        r.read_int64("a")
    with pytest.raises(HSE, match="Mismatched"):
        r.read_string("b")
    with pytest.raises(HSE, match="No field"):
        r.read_int32("missing")
    assert r.get_field_kind("a") == K.NULLABLE_INT32 and r.get_field_kind("missing") == K.NOT_AVAILABLE
    assert r.schema.type_name == "r"


def test_read_or_default():
    r = reader_for([("a", K.INT32), ("n", K.NULLABLE_INT32), ("s", K.STRING)], [1, None, "x"])
    assert r.read_int32_or_default("a", 9) == 1
    assert r.read_int32_or_default("missing", 9) == 9
    assert r.read_int64_or_default("a", 9) == 9  # another kind
    assert r.read_nullable_int32_or_default("a", 9) == 1
    assert r.read_string_or_default("s", "d") == "x" and r.read_string_or_default("x", "d") == "d"
    with pytest.raises(HSE):
        r.read_int32_or_default("n", 9)  # present and readable, but None
    for k in SUPPORTED:  # every variant exists and returns the default for a missing field
        assert getattr(r, f"read_{method(k)}_or_default")("nope", "default") == "default"


def test_writer_rejects_unknown_fields_and_kind_mismatches(serialization):
    class Inconsistent(StudentSerializer):
        def write(self, writer: CompactWriter, obj: Student) -> None:
            if obj.age == 1:
                writer.write_int64("age", 1)  # the schema says INT32
            elif obj.age == 2:
                writer.write_int32("other", 2)
            elif obj.age == 3:
                writer.write_int32("age", 3)  # the rest is missing
            else:
                super().write(writer, obj)
                if obj.age == 4:
                    writer.write_int32("age", 5)  # a field written twice (not the first object): the last wins

    service = serialization(Inconsistent())
    assert service.to_object(service.to_data(Student(20, "Bob", True, None))).age == 20
    assert service.to_object(service.to_data(Student(4, "Bob", True, None))).age == 5
    for age, message in ((1, "Mismatched"), (2, "No field"), (3, "not written")):
        with pytest.raises(HSE, match=message):
            service.to_data(Student(age, "x", True, None))


def test_schema_writer_rejects_a_field_written_twice():
    writer = SchemaWriter("t")
    writer.write_int32("a", 1)
    with pytest.raises(HSE, match="twice"):
        writer.write_string("a", "x")
    assert writer.build() == Schema("t", [("a", K.INT32)])


def test_kind_dispatch_base_classes_are_abstract():
    with pytest.raises(NotImplementedError):
        compact_module._KindWriter._write(None, "a", K.INT32, 1)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        compact_module._KindReader._read(None, "a", K.INT32)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        compact_module._KindReader._read_or_default(None, "a", K.INT32, 0)  # type: ignore[arg-type]


def test_values_that_do_not_fit_their_kind(serialization):
    service = serialization(AllKindsSerializer(), InnerSerializer())
    bad = [(K.INT8, 128), (K.INT16, "x"), (K.INT32, 2**31), (K.INT64, 1.5), (K.FLOAT32, 1e39), (K.FLOAT64, "x"),
           (K.BOOLEAN, None), (K.STRING, b"bytes"), (K.STRING, "\ud800"), (K.ARRAY_OF_INT32, [1, None]),
           (K.ARRAY_OF_BOOLEAN, [None]), (K.ARRAY_OF_STRING, "not a list"), (K.DECIMAL, decimal.Decimal("nan")),
           (K.DECIMAL, 1.5), (K.TIME, datetime.datetime.now()), (K.TIME, datetime.time(1, tzinfo=UTC)),
           (K.DATE, datetime.datetime(2020, 1, 1)), (K.TIMESTAMP, datetime.datetime(2020, 1, 1, tzinfo=UTC)),
           (K.TIMESTAMP, datetime.date(2020, 1, 1)), (K.TIMESTAMP_WITH_TIMEZONE, datetime.datetime(2020, 1, 1)),
           (K.NULLABLE_INT8, -129), (K.ARRAY_OF_COMPACT, [Inner(1), Student(1, "x", True, None)]),
           (K.COMPACT, object()), (K.ARRAY_OF_NULLABLE_FLOAT32, [1e300]), (K.ARRAY_OF_INT8, "s"),
           (K.ARRAY_OF_FLOAT64, (1.0, "x")), (K.ARRAY_OF_DATE, [datetime.time(1)])]
    for kind, value in bad:
        values = sample_values(Inner(1))
        values[kind] = value
        with pytest.raises(HSE):
            service.to_data(AllKinds(values))


def test_time_zone_offsets_that_java_cannot_represent(serialization):
    record = GenericRecordBuilder.compact("tz")
    service = serialization()
    for tz in (datetime.timezone(datetime.timedelta(hours=19)),
               datetime.timezone(datetime.timedelta(seconds=1, microseconds=5))):
        value = datetime.datetime(2020, 1, 1, tzinfo=tz)
        with pytest.raises(HSE):
            service.to_data(GenericRecordBuilder.compact("tz").set_timestamp_with_timezone("t", value).build())
    assert record is not None


def test_bytes_for_an_array_of_int8(serialization):
    service = serialization()
    record = GenericRecordBuilder.compact("b").set_array_of_int8("a", b"\x01\xff").build()
    back = service.to_object(service.to_data(record))
    assert back.get_array_of_int8("a") == [1, -1]
    for raw in (bytearray(b"\x02"), memoryview(b"\x03")):
        rec = GenericRecordBuilder.compact("b").set_array_of_int8("a", raw).build()
        assert service.to_object(service.to_data(rec)).get_array_of_int8("a") == [raw[0]]
    strided = memoryview(b"abcd")[::2]
    with pytest.raises(HSE):
        service.to_data(GenericRecordBuilder.compact("b").set_array_of_int8("a", strided).build())


# -- schema evolution ----------------------------------------------------------------------------------------------


class Point:
    def __init__(self, x: int, y: int = 0, label: str = "") -> None:
        self.x, self.y, self.label = x, y, label


class PointV1(CompactSerializer[Point]):
    """Writes x and y."""

    def read(self, reader: CompactReader) -> Point:
        return Point(reader.read_int32("x"), reader.read_int32("y"))

    def write(self, writer: CompactWriter, obj: Point) -> None:
        writer.write_int32("x", obj.x)
        writer.write_int32("y", obj.y)

    def get_class(self) -> type:
        return Point

    def get_type_name(self) -> str:
        return "geo.Point"


class PointV2(CompactSerializer[Point]):
    """Adds ``label``, removes ``y``; reads older data through get_field_kind and the _or_default methods."""

    def read(self, reader: CompactReader) -> Point:
        label = reader.read_string("label") if reader.get_field_kind("label") == FieldKind.STRING else "old"
        return Point(reader.read_int32("x"), reader.read_int32_or_default("y", -1), label)

    def write(self, writer: CompactWriter, obj: Point) -> None:
        writer.write_int32("x", obj.x)
        writer.write_string("label", obj.label)

    def get_class(self) -> type:
        return Point

    def get_type_name(self) -> str:
        return "geo.Point"


def test_schema_evolution_both_ways(serialization):
    v1, v2 = serialization(PointV1()), serialization(PointV2())
    old = v1.to_data(Point(1, 2))
    new = v2.to_data(Point(3, label="three"))
    assert old.buffer[8:16] != new.buffer[8:16]  # two schemas for one type name
    with pytest.raises(SchemaNotFoundError) as e:
        v2.to_object(old)
    assert e.value.schema_id == struct.unpack_from(">q", old.buffer, 8)[0]
    for schema in v1.schema_service.schemas():  # as fetched from the cluster
        v2.schema_service.register(schema)
    for schema in v2.schema_service.schemas():
        v1.schema_service.register(schema)
    read = v2.to_object(old)
    assert (read.x, read.y, read.label) == (1, 2, "old")
    read = v2.to_object(new)
    assert (read.x, read.y, read.label) == (3, -1, "three")
    with pytest.raises(HSE, match="No field"):
        v1.to_object(new)  # v1 needs y


def test_kind_change_is_a_clear_error(serialization):
    class PointWide(PointV1):
        def read(self, reader: CompactReader) -> Point:
            return Point(reader.read_int64("x"), 0)

    writer, reader = serialization(PointV1()), serialization(PointWide())
    data = writer.to_data(Point(1, 2))
    reader.schema_service.register(writer.schema_service.schemas()[0])
    with pytest.raises(HSE, match="Mismatched field kinds for 'x': expected INT64, found INT32"):
        reader.to_object(data)


# -- GenericRecord -------------------------------------------------------------------------------------------------


def person_record() -> GenericRecord:
    address = GenericRecordBuilder.compact("Address").set_string("street", "Main").set_int32("zip", 1).build()
    return (GenericRecordBuilder.compact("com.acme.Person").set_int32("id", 42).set_string("name", "Ada")
            .set_nullable_int32("age", None).set_generic_record("address", address)
            .set_array_of_generic_record("homes", [address, None]).build())


def test_generic_record_api():
    record = person_record()
    assert record.type_name == "com.acme.Person" and record.schema.type_name == "com.acme.Person"
    assert record.get_field_names() == ["address", "age", "homes", "id", "name"]
    assert record.has_field("id") and not record.has_field("nope")
    assert record.get_field_kind("address") == K.COMPACT and record.get_field_kind("nope") == K.NOT_AVAILABLE
    assert record.get_int32("id") == 42 and record.get_nullable_int64 is not None
    assert record.get_generic_record("address").get_string("street") == "Main"
    assert record.get_array_of_generic_record("homes")[1] is None
    assert record.get_nullable_int32("age") is None and record.get_nullable_int32("id") == 42
    with pytest.raises(HSE):
        record.get_int32("age")
    with pytest.raises(HSE, match="Mismatched"):
        record.get_string("id")
    with pytest.raises(HSE, match="No field"):
        record.get_int32("nope")
    assert "GenericRecord('com.acme.Person', address=GenericRecord('Address'" in repr(record)
    assert record == person_record() and record != "x"
    with pytest.raises(TypeError):
        hash(record)


def test_generic_record_builders():
    record = person_record()
    clone = record.new_builder_with_clone().set_int32("id", 7).build()
    assert clone.get_int32("id") == 7 and clone.get_string("name") == "Ada" and record.get_int32("id") == 42
    builder = record.new_builder()
    builder.set_int32("id", 1).set_string("name", "x").set_nullable_int32("age", 3)
    with pytest.raises(HSE, match="not set"):
        builder.build()
    builder.set_generic_record("address", None).set_array_of_generic_record("homes", None)
    fresh = builder.build()
    assert fresh.schema is record.schema and fresh.get_nullable_int32("age") == 3
    with pytest.raises(HSE, match="already set"):
        builder.set_int32("id", 2)
    with pytest.raises(HSE, match="No field"):
        record.new_builder().set_int32("nope", 1)
    with pytest.raises(HSE, match="Mismatched"):
        record.new_builder().set_int64("id", 1)
    with pytest.raises(HSE, match="already set"):
        GenericRecordBuilder.compact("t").set_int32("a", 1).set_string("a", "x")
    with pytest.raises(HSE, match="GenericRecord is needed"):
        GenericRecordBuilder.compact("t").set_generic_record("a", Inner(1))
    with pytest.raises(HSE, match="list of GenericRecords"):
        GenericRecordBuilder.compact("t").set_array_of_generic_record("a", [Inner(1)])
    with pytest.raises(HSE, match="list of GenericRecords"):
        GenericRecordBuilder.compact("t").set_array_of_generic_record("a", "x")
    with pytest.raises(HSE):
        GenericRecordBuilder.compact(5)  # type: ignore[arg-type]
    with pytest.raises(HSE):
        GenericRecord(record.schema, [1])
    same = GenericRecordBuilder.compact("t").set_int32("a", 1).build()
    assert same.schema is GenericRecordBuilder.compact("t").set_int32("a", 2).build().schema  # cached schema


def test_schema_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(compact_module, "_SCHEMA_CACHE", {})
    for i in range(4100):
        GenericRecordBuilder.compact(f"t{i}").build()
    assert len(compact_module._SCHEMA_CACHE) <= 4096


def test_unregistered_types_are_read_as_generic_records(serialization):
    writer = serialization(StudentSerializer())
    data = writer.to_data(Student(20, "Bob", True, None))
    reader = serialization()
    reader.schema_service.register(writer.schema_service.schemas()[0])
    record = reader.to_object(data)
    assert isinstance(record, GenericRecord)
    assert (record.get_int32("age"), record.get_string("name"), record.get_boolean("active")) == (20, "Bob", True)
    assert reader.to_data(record).buffer.hex() == A6  # GenericRecords write fields in schema order
    # a record whose type name has a registered serializer is read back as that class
    assert writer.to_object(reader.to_data(record)) == Student(20, "Bob", True, None)


def test_nested_records_stay_generic_and_classes_registered_later_take_over(serialization):
    writer = serialization(OuterSerializer(), InnerSerializer())
    data = writer.to_data(Outer(Inner(7), ["a"], [True]))
    reader = serialization()
    for schema in writer.schema_service.schemas():
        reader.schema_service.register(schema)
    record = reader.to_object(data)
    assert record.get_generic_record("inner").get_int8("x") == 7
    reader.compact.register(OuterSerializer())
    reader.compact.register(InnerSerializer())
    obj = reader.to_object(data)
    assert isinstance(obj, Outer) and isinstance(obj.inner, Inner)
    generic = reader.compact.from_data_as_generic_record(data.buffer)
    assert isinstance(generic, GenericRecord) and isinstance(generic.get_generic_record("inner"), GenericRecord)


# -- registration --------------------------------------------------------------------------------------------------


def test_registration_errors(serialization):
    with pytest.raises(HSE, match="already registered"):
        serialization(StudentSerializer(), StudentSerializer())

    class Other(StudentSerializer):
        def get_class(self) -> type:
            return Inner

    with pytest.raises(HSE, match="already used"):
        serialization(StudentSerializer(), Other())
    with pytest.raises(HSE, match="not a CompactSerializer"):
        serialization(object())

    class NotAClass(StudentSerializer):
        def get_class(self) -> Any:
            return "Student"

    with pytest.raises(HSE, match="get_class"):
        serialization(NotAClass())

    class Builtin(StudentSerializer):
        def get_class(self) -> type:
            return int

    with pytest.raises(HSE, match="built-in"):
        serialization(Builtin())
    with pytest.raises(HSE, match="built-in"):
        serialization(str)
    service = serialization(StudentSerializer())
    assert Student in service.compact.registered_classes()


class Opaque:
    def __init__(self, x):  # no annotations: zero-config does not apply
        self.x = x


def test_nested_values_without_a_serializer(serialization):
    service = serialization(OuterSerializer())
    with pytest.raises(HSE, match="no compact serializer for the nested value"):
        service.to_data(Outer(Opaque(1), [], []))


    class Items(OuterSerializer):
        def write(self, writer: CompactWriter, obj: Outer) -> None:
            writer.write_array_of_compact("items", obj.inner)

    service = serialization(Items())
    with pytest.raises(HSE, match="no compact serializer for the nested value"):
        service.to_data(Outer([None, Opaque(2)], None, None))


def test_user_serializer_errors_are_wrapped(serialization):
    class Failing(StudentSerializer):
        def read(self, reader: CompactReader) -> Student:
            raise KeyError("boom")

    service = serialization(Failing())
    data = service.to_data(Student(1, "x", True, None))
    with pytest.raises(HSE, match="boom") as e:
        service.to_object(data)
    assert isinstance(e.value.__cause__, KeyError)

    class FailingWrite(StudentSerializer):
        def write(self, writer: CompactWriter, obj: Student) -> None:
            if obj.age == 2:
                raise KeyError("write boom")
            super().write(writer, obj)

    service = serialization(FailingWrite())
    service.to_data(Student(1, "x", True, None))
    with pytest.raises(HSE, match="write boom"):
        service.to_data(Student(2, "x", True, None))


# -- malformed data ------------------------------------------------------------------------------------------------


def test_unknown_schema_id(serialization):
    service = serialization(StudentSerializer())
    with pytest.raises(SchemaNotFoundError) as e:
        service.to_object(bytes.fromhex(A6))
    assert e.value.schema_id == 0x2B6DDC9CCD316B7D and isinstance(e.value, HSE)
    nested = serialization(OuterSerializer(), InnerSerializer()).to_data(Outer(Inner(1), [], []))
    reader = serialization()
    reader.schema_service.register(Schema("outer", [("flags", K.ARRAY_OF_BOOLEAN), ("inner", K.COMPACT),
                                                    ("tags", K.ARRAY_OF_STRING)]))
    with pytest.raises(SchemaNotFoundError) as e:
        reader.to_object(nested)
    assert unsigned(e.value.schema_id) == 0x78993D341E4D78E6


def corrupt(data: bytes, offset: int, replacement: bytes) -> bytes:
    return data[:offset] + replacement + data[offset + len(replacement):]


def test_malformed_student_data(serialization):
    service = serialization(StudentSerializer())
    good = service.to_data(Student(20, "Bob", True, None)).buffer
    cases = [
        good[:-1],  # offset table cut
        good[:20],  # body cut
        good[:17],
        corrupt(good, 16, b"\x7f\xff\xff\xff"),  # huge dataLength
        corrupt(good, 16, b"\xff\xff\xff\xf0"),  # negative dataLength
        corrupt(good, 16, b"\x00\x00\x00\x02"),  # dataLength below the fixed section
        corrupt(good, 32, b"\x0c"),  # name offset at the end of the object
        corrupt(good, 32, b"\xfe"),  # name offset outside the object
        corrupt(good, 25, b"\x7f\xff\xff\xff"),  # string length past the end
        corrupt(good, 25, b"\xff\xff\xff\xfe"),  # negative string length
        corrupt(good, 29, b"\xff\xfe"),  # invalid UTF-8
    ]
    for bad in cases:
        with pytest.raises(HSE):
            service.to_object(bad)


def test_reading_a_null_into_a_non_nullable_field_is_an_error(serialization):
    class ScoreRequired(StudentSerializer):
        def read(self, reader: CompactReader) -> Student:
            return Student(0, "", False, reader.read_int64("score"))

    writer = serialization(StudentSerializer())
    data = writer.to_data(Student(20, "Bob", True, None))
    reader = serialization(ScoreRequired())
    reader.schema_service.register(writer.schema_service.schemas()[0])
    with pytest.raises(HSE, match="read_nullable_int64"):
        reader.to_object(data)
    assert reader.to_object(writer.to_data(Student(20, "Bob", True, 5))).score == 5


def test_streams_are_the_chosen_backend():
    from hazelcast import _backend

    assert compact_module.CompactStreamWriter is _backend.codec.CompactStreamWriter
    assert compact_module.CompactStreamReader is _backend.codec.CompactStreamReader
    assert compact_module.MAX_NESTING_DEPTH == 64


def test_compact_service_convenience_methods(codec):
    from hazelcast.serialization.compact import CompactSerializationService

    service = CompactSerializationService([StudentSerializer()], codec=codec)
    data = service.to_data(Student(20, "Bob", True, None))
    assert data.hex() == A6 and service.from_data(data) == Student(20, "Bob", True, None)
    writer = codec.CompactStreamWriter(True)
    service.write(writer, Student(20, "Bob", True, 7))
    reader = codec.CompactStreamReader(writer.to_bytes())
    assert service.read(reader) == Student(20, "Bob", True, 7) and reader.remaining == 0
    schema = service.schema_service.schemas()[0]
    assert service.generic.read_plan(schema) is service.generic.read_plan(schema)
    assert service.generic.write_plan(schema) is service.generic.write_plan(schema)
