"""Zero-config compact (ReflectiveCompactSerializer) on both backends: type mapping, names, evolution, errors."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
from typing import Annotated, Any, Dict, List, Optional, Tuple, Union

import pytest

from hazelcast.errors import HazelcastSerializationError as HSE
from hazelcast.serialization import FieldKind, GenericRecord, ReflectiveCompactSerializer, Schema
from hazelcast.serialization.compact import DefaultCompactReader, DefaultCompactWriter

K = FieldKind


@dataclasses.dataclass
class Address:
    street: str
    zip_code: Annotated[int, FieldKind.INT32]


@dataclasses.dataclass
class Everything:
    i: int
    f: float
    b: bool
    s: str
    d: decimal.Decimal
    t: datetime.time
    day: datetime.date
    ts: datetime.datetime
    raw: bytes
    ni: Optional[int]
    nf: Optional[float]
    nb: Optional[bool]
    ns: Optional[str]
    i8: Annotated[int, FieldKind.INT8]
    i16: Annotated[int, FieldKind.INT16]
    f32: Annotated[float, FieldKind.FLOAT32]
    n32: Optional[Annotated[int, FieldKind.INT32]]
    tz: Annotated[datetime.datetime, FieldKind.TIMESTAMP_WITH_TIMEZONE]
    ints: List[int]
    nints: List[Optional[int]]
    i32s: List[Annotated[int, FieldKind.INT32]]
    explicit_i16s: Annotated[List[int], FieldKind.ARRAY_OF_INT16]
    nullable_bools: Annotated[List[bool], FieldKind.ARRAY_OF_NULLABLE_BOOLEAN]
    strings: List[Optional[str]]
    decimals: List[decimal.Decimal]
    address: Address
    maybe_address: Optional[Address]
    addresses: List[Optional[Address]]
    i8_bytes: Annotated[bytes, FieldKind.ARRAY_OF_INT8]


EXPECTED_KINDS = dict(
    i=K.INT64, f=K.FLOAT64, b=K.BOOLEAN, s=K.STRING, d=K.DECIMAL, t=K.TIME, day=K.DATE, ts=K.TIMESTAMP,
    raw=K.ARRAY_OF_INT8, ni=K.NULLABLE_INT64, nf=K.NULLABLE_FLOAT64, nb=K.NULLABLE_BOOLEAN, ns=K.STRING, i8=K.INT8,
    i16=K.INT16, f32=K.FLOAT32, n32=K.NULLABLE_INT32, tz=K.TIMESTAMP_WITH_TIMEZONE, ints=K.ARRAY_OF_INT64,
    nints=K.ARRAY_OF_NULLABLE_INT64, i32s=K.ARRAY_OF_INT32, explicit_i16s=K.ARRAY_OF_INT16,
    nullable_bools=K.ARRAY_OF_NULLABLE_BOOLEAN, strings=K.ARRAY_OF_STRING, decimals=K.ARRAY_OF_DECIMAL,
    address=K.COMPACT, maybe_address=K.COMPACT, addresses=K.ARRAY_OF_COMPACT, i8_bytes=K.ARRAY_OF_INT8)


def everything() -> Everything:
    return Everything(
        i=2**40, f=0.5, b=True, s="ünïcode", d=decimal.Decimal("12.50"), t=datetime.time(10, 11, 12, 13),
        day=datetime.date(2021, 3, 4), ts=datetime.datetime(2021, 3, 4, 5, 6, 7), raw=b"\x00\xff\x7f", ni=None,
        nf=1.25, nb=False, ns=None, i8=-8, i16=1600, f32=0.25, n32=-32,
        tz=datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=2))), ints=[1, -2],
        nints=[None, 3], i32s=[4], explicit_i16s=[5, -5], nullable_bools=[True, None], strings=["x", None],
        decimals=[decimal.Decimal("-0.1")], address=Address("Main", 12345), maybe_address=None,
        addresses=[Address("A", 1), None], i8_bytes=b"\x80")


def test_type_mapping_and_round_trip(serialization):
    serializer = ReflectiveCompactSerializer(Everything)
    kinds = {f.name: f.kind for f in serializer.schema().fields}
    assert kinds == EXPECTED_KINDS
    assert serializer.get_type_name() == f"{__name__}.Everything" and serializer.get_class() is Everything
    service = serialization()
    obj = everything()
    back = service.to_object(service.to_data(obj))
    assert back == obj and type(back.address) is Address and back.raw == b"\x00\xff\x7f"
    assert isinstance(back.raw, bytes) and isinstance(back.i8_bytes, bytes)


def test_zero_config_needs_no_registration_but_can_be_disabled(serialization):
    service = serialization()
    data = service.to_data(Address("x", 1))
    assert service.to_object(data) == Address("x", 1)
    assert Address in service.compact.registered_classes()
    off = serialization(zero_config=False)
    with pytest.raises(HSE, match="no serializer"):
        off.to_data(Address("x", 1))


def test_type_names(serialization):
    @dataclasses.dataclass
    class Named:
        __compact_type_name__ = "com.acme.Named"
        x: Annotated[int, FieldKind.INT32]

    assert ReflectiveCompactSerializer(Named).get_type_name() == "com.acme.Named"
    assert ReflectiveCompactSerializer(Named, "com.acme.Override").get_type_name() == "com.acme.Override"
    service = serialization(ReflectiveCompactSerializer(Named, "com.acme.Override"))
    data = service.to_data(Named(1))
    assert service.schema_service.get(int.from_bytes(data.buffer[8:16], "big", signed=True)).type_name == \
        "com.acme.Override"
    with pytest.raises(HSE):
        ReflectiveCompactSerializer(Named, 5)  # type: ignore[arg-type]
    with pytest.raises(HSE):
        ReflectiveCompactSerializer("Named")  # type: ignore[arg-type]


def test_java_like_person_bytes_match_a_generic_record(serialization):
    @dataclasses.dataclass
    class Student:
        __compact_type_name__ = "student"
        age: Annotated[int, FieldKind.INT32]
        name: str
        active: bool
        score: Optional[int]

    service = serialization()
    assert service.to_data(Student(20, "Bob", True, None)).buffer.hex() == (
        "00000000ffffffc92b6ddc9ccd316b7d0000000c000000140100000003426f6205ff")


class AnnotatedInit:
    def __init__(self, name: str, count: Annotated[int, FieldKind.INT32] = 0, *, tags: Optional[List[str]] = None):
        self.name = name
        self.count = count
        self.tags = tags
        self.derived = name.upper()


def test_classes_with_an_annotated_init(serialization):
    assert ReflectiveCompactSerializer.supports(AnnotatedInit)
    service = serialization()
    back = service.to_object(service.to_data(AnnotatedInit("ada", 3, tags=["x"])))
    assert (back.name, back.count, back.tags, back.derived) == ("ada", 3, ["x"], "ADA")  # __init__ ran


@dataclasses.dataclass
class WithPostInit:
    a: int
    b: int = 2
    total: int = dataclasses.field(init=False, default=0)

    def __post_init__(self) -> None:
        self.total = self.a + self.b


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: int
    items: List[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Slotted:
    __slots__ = ("a", "b")
    a: int
    b: str


class CustomNew:
    instances = 0

    def __new__(cls, *args: Any, **kwargs: Any) -> "CustomNew":
        CustomNew.instances += 1
        return super().__new__(cls)


@dataclasses.dataclass
class WithCustomNew(CustomNew):
    a: int


class Descriptor:
    def __set_name__(self, owner: type, name: str) -> None:
        self.name = "_" + name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return getattr(obj, self.name) if obj is not None else 7

    def __set__(self, obj: Any, value: Any) -> None:
        object.__setattr__(obj, self.name, value * 10)


@dataclasses.dataclass
class WithDescriptor:
    a: int = Descriptor()  # type: ignore[assignment]


@pytest.mark.parametrize("obj", [WithPostInit(1, 5), Frozen(3, [1, 2]), Slotted(1, "x"), WithCustomNew(4)])
def test_reading_dataclasses(serialization, obj):
    service = serialization()
    back = service.to_object(service.to_data(obj))
    assert back == obj and type(back) is type(obj)


def test_reading_goes_around_init_unless_post_init_exists(serialization):
    service = serialization()
    assert service.to_object(service.to_data(WithPostInit(1, 5))).total == 6  # __post_init__ ran
    before = CustomNew.instances
    service.to_object(service.to_data(WithCustomNew(4)))
    assert CustomNew.instances == before + 2  # __new__ ran for the object and for the read
    # a data descriptor gets its value through __set__, as after __init__
    obj = WithDescriptor(2)
    assert obj.a == 20
    assert service.to_object(service.to_data(obj)).a == 200


def test_evolution_with_defaults_and_kind_checks(serialization):
    @dataclasses.dataclass
    class V1:
        __compact_type_name__ = "evo.Item"
        a: int
        b: str

    @dataclasses.dataclass
    class V2:
        __compact_type_name__ = "evo.Item"
        a: int
        c: List[int] = dataclasses.field(default_factory=lambda: [7])
        d: str = "new"

    @dataclasses.dataclass
    class V3:
        __compact_type_name__ = "evo.Item"
        a: Annotated[int, FieldKind.INT32]

    @dataclasses.dataclass
    class V4:
        __compact_type_name__ = "evo.Item"
        a: int
        required: int

    @dataclasses.dataclass
    class V5:
        __compact_type_name__ = "evo.Item"
        a: Optional[int]

    writer = serialization(V1)
    data = writer.to_data(V1(1, "gone"))
    schema = writer.schema_service.schemas()[0]
    v2 = serialization(V2)
    v2.schema_service.register(schema)
    assert v2.to_object(data) == V2(1, [7], "new")
    v3 = serialization(V3)
    v3.schema_service.register(schema)
    with pytest.raises(HSE, match="Mismatched"):
        v3.to_object(data)
    v4 = serialization(V4)
    v4.schema_service.register(schema)
    with pytest.raises(HSE, match="no default"):
        v4.to_object(data)
    v5 = serialization(V5)  # a nullable field reads a non-nullable one
    v5.schema_service.register(schema)
    assert v5.to_object(data) == V5(1)
    # and a non-nullable field reads a nullable one unless it is None

    @dataclasses.dataclass
    class V6:
        __compact_type_name__ = "evo.Item"
        a: int

    v6 = serialization(V6)
    v6.schema_service.register(v5.schema_service.get(int.from_bytes(v5.to_data(V5(3)).buffer[8:16], "big",
                                                                     signed=True)))
    assert v6.to_object(v5.to_data(V5(3))) == V6(3)
    with pytest.raises(HSE, match="not nullable"):
        v6.to_object(v5.to_data(V5(None)))


def test_kwargs_classes_without_a_field_use_their_init_defaults(serialization):
    @dataclasses.dataclass
    class Old:
        __compact_type_name__ = "evo.Init"
        name: str

    class New:
        __compact_type_name__ = "evo.Init"

        def __init__(self, name: str, size: int = 5) -> None:
            self.name, self.size = name, size

    writer = serialization(Old)
    data = writer.to_data(Old("x"))
    reader = serialization(New)
    reader.schema_service.register(writer.schema_service.schemas()[0])
    back = reader.to_object(data)
    assert (back.name, back.size) == ("x", 5)


@dataclasses.dataclass
class Leaf:
    v: int


@dataclasses.dataclass
class Tree:
    leaf: Leaf
    leaves: List[Leaf]


def test_nested_classes_are_registered_for_reading(serialization):
    writer = serialization()
    data = writer.to_data(Tree(Leaf(1), [Leaf(2)]))
    reader = serialization(Tree)  # Leaf is registered through Tree before anything is written
    assert Leaf in reader.compact.registered_classes()
    for schema in writer.schema_service.schemas():
        reader.schema_service.register(schema)
    assert reader.to_object(data) == Tree(Leaf(1), [Leaf(2)])


class Color(enum.Enum):
    RED = 1


@pytest.mark.parametrize("hint", [Dict[str, int], Union[int, str], Tuple[int, int], Any, Color, List, list,
                                  Annotated[int, FieldKind.STRING], Annotated[int, FieldKind.INT32, FieldKind.INT8],
                                  Annotated[str, FieldKind.CHAR], List[List[int]], object, Annotated[bytes,
                                                                                                      FieldKind.INT8]])
def test_unsupported_type_hints(serialization, hint):
    cls = dataclasses.make_dataclass("Bad", [("x", hint)])
    with pytest.raises(HSE, match="zero-config"):
        serialization(cls)


def test_unresolvable_hints_and_unsupported_classes(serialization):
    @dataclasses.dataclass
    class Forward:
        x: "Missing"  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(HSE, match="zero-config"):
        serialization(Forward)

    class Plain:
        pass

    assert not ReflectiveCompactSerializer.supports(Plain)
    with pytest.raises(HSE, match="neither a dataclass"):
        serialization(Plain)

    class Partial:
        def __init__(self, a: int, b) -> None:  # noqa: ANN001
            pass

    class Varargs:
        def __init__(self, *args: int) -> None:
            pass

    class BadSignature:
        __init__ = 5

    assert not ReflectiveCompactSerializer.supports(Partial)
    assert not ReflectiveCompactSerializer.supports(Varargs)
    assert not ReflectiveCompactSerializer.supports(BadSignature)
    assert not ReflectiveCompactSerializer.supports(int)


def test_values_that_do_not_fit_and_missing_attributes(serialization):
    service = serialization()
    with pytest.raises(HSE):
        service.to_data(Address("x", 2**31))
    with pytest.raises(HSE):
        service.to_data(Address(5, 1))  # type: ignore[arg-type]
    assert service.to_object(service.to_data(Address(None, 1))) == Address(None, 1)  # strings are nullable
    broken = Address("x", 1)
    del broken.zip_code
    with pytest.raises(HSE, match="zip_code"):
        service.to_data(broken)


@dataclasses.dataclass
class Node:
    value: int
    next: Optional[Node]


def test_cyclic_object_graphs_are_an_error(serialization):
    service = serialization()
    node = Node(1, None)
    node.next = node
    with pytest.raises(HSE, match="nested deeper"):
        service.to_data(node)
    chain = None
    for i in range(60):
        chain = Node(i, chain)
    assert service.to_object(service.to_data(chain)) == chain


def test_the_compact_serializer_interface_of_the_reflective_serializer():
    serializer = ReflectiveCompactSerializer(Everything)
    obj = everything()
    schema = serializer.schema()
    writer = DefaultCompactWriter(schema)
    serializer.write(writer, obj)
    values, order = writer.result()
    back = serializer.read(DefaultCompactReader(schema, values))
    assert back == obj and len(order) == len(schema.fields)
    # a reader of older data: missing fields with defaults, and without
    init_serializer = ReflectiveCompactSerializer(AnnotatedInit)
    old = Schema(init_serializer.get_type_name(), [("name", FieldKind.STRING)])
    back = init_serializer.read(DefaultCompactReader(old, ["ada"]))
    assert (back.name, back.count, back.tags) == ("ada", 0, None)
    with pytest.raises(HSE, match="no default"):
        ReflectiveCompactSerializer(Address).read(DefaultCompactReader(Schema("Address", []), []))
    post = ReflectiveCompactSerializer(WithPostInit)
    post_schema = post.schema()
    assert post.read(DefaultCompactReader(post_schema, [1, 2, 99])) == WithPostInit(1, 2)
    generic = GenericRecord(post_schema, [1, 2, 3])
    assert generic.get_int64("total") == 3


def test_supports_classes_whose_init_has_no_signature():
    class NoSignature:
        __init__ = max  # a builtin: inspect.signature raises ValueError

    assert not ReflectiveCompactSerializer.supports(NoSignature)


@dataclasses.dataclass
class Taken:
    v: int


@dataclasses.dataclass
class UsesTaken:
    t: Taken


def test_nested_classes_whose_type_name_is_taken_are_not_registered(serialization):
    @dataclasses.dataclass
    class Impostor:
        __compact_type_name__ = f"{__name__}.Taken"
        w: int

    service = serialization(Impostor, UsesTaken)
    assert Taken not in service.compact.registered_classes()
