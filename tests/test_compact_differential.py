"""Differential property tests of the compact object plans: compiled and pure give the same bytes, the same values,
or the same exception type — on valid objects, invalid values, random plan layouts, and mutated or truncated real
encodings. Only HazelcastSerializationError may escape a read of hostile bytes.

Every function of the plan section of ``src/_codec.pyx`` is exercised here (WritePlan, ReadPlan, read_compact,
decode_compact_data, DataCodec), for both byte orders.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import math
import struct
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hazelcast.errors import HazelcastSerializationError as HSE
from hazelcast.serialization.compact import FieldKind, Schema

pytestmark = pytest.mark.hypothesis_diff

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])
K = FieldKind
SUPPORTED = [k for k in K if k not in (K.NOT_AVAILABLE, K.CHAR, K.ARRAY_OF_CHAR, K.PORTABLE, K.ARRAY_OF_PORTABLE)]
FLAT = [k for k in SUPPORTED if k not in (K.COMPACT, K.ARRAY_OF_COMPACT)]
INT_RANGES = {K.INT8: 8, K.INT16: 16, K.INT32: 32, K.INT64: 64}


def normalize(value: Any) -> Any:
    """Comparable form: floats by bits (NaN-safe), decimals and datetimes by text, objects by their fields."""
    if isinstance(value, float):
        return ("f", "nan") if math.isnan(value) else ("f", struct.pack(">d", value))
    if isinstance(value, decimal.Decimal):
        return ("dec", str(value))
    if isinstance(value, (datetime.date, datetime.time)):
        return (type(value).__name__, value.isoformat(), str(getattr(value, "tzinfo", None)))
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return (type(value).__name__, normalize(vars(value)))
    if hasattr(type(value), "__slots__") and not isinstance(value, (str, bytes, int, type(None))):
        return (type(value).__name__, normalize({k: getattr(value, k, "<unset>") for k in type(value).__slots__}))
    return value


def outcome(fn: Callable[[], Any]) -> Tuple[str, Any]:
    try:
        return ("ok", normalize(fn()))
    except Exception as e:
        return ("error", type(e).__name__)


# -- values ----------------------------------------------------------------------------------------------------------

def timezones() -> st.SearchStrategy:
    return st.integers(-18 * 3600, 18 * 3600).map(lambda s: datetime.timezone(datetime.timedelta(seconds=s)))


def decimals() -> st.SearchStrategy:
    return st.builds(lambda n, scale: decimal.Decimal(n).scaleb(-scale), st.integers(-(10**30), 10**30),
                     st.integers(-40, 40))


SCALARS: Dict[FieldKind, st.SearchStrategy] = {
    K.BOOLEAN: st.booleans(),
    K.INT8: st.integers(-(2**7), 2**7 - 1),
    K.INT16: st.integers(-(2**15), 2**15 - 1),
    K.INT32: st.integers(-(2**31), 2**31 - 1),
    K.INT64: st.integers(-(2**63), 2**63 - 1),
    K.FLOAT32: st.floats(width=32),
    K.FLOAT64: st.floats(),
    K.STRING: st.text(max_size=12),
    K.DECIMAL: decimals(),
    K.TIME: st.times(),
    K.DATE: st.dates(),
    K.TIMESTAMP: st.datetimes(),
    K.TIMESTAMP_WITH_TIMEZONE: st.datetimes(timezones=timezones()),
}
BAD_VALUES = st.sampled_from([None, "x", 2**70, -1.5, float("nan"), b"\x00", [None], [1, "x"], (), object(),
                              decimal.Decimal("nan"), datetime.datetime(2020, 1, 1), datetime.date(2020, 1, 1),
                              datetime.time(1, 2, tzinfo=datetime.timezone.utc), "\ud800", 2**31, 300, True])


def base_of(kind: FieldKind) -> Tuple[str, FieldKind]:
    """('scalar' | 'nullable' | 'array' | 'nullable_array', base kind)."""
    name = kind.name
    if name.startswith("ARRAY_OF_NULLABLE_"):
        return "nullable_array", K[name[18:]]
    if name.startswith("ARRAY_OF_"):
        return "array", K[name[9:]]
    if name.startswith("NULLABLE_"):
        return "nullable", K[name[9:]]
    return "scalar", kind


class Obj:
    """A nested compact object for the write resolvers: its schema and its field values."""

    def __init__(self, schema: Schema, values: Dict[str, Any]) -> None:
        self._schema = schema
        self.__dict__.update(values)


@st.composite
def value_for(draw: Any, kind: FieldKind, nested: Optional["Tree"], invalid: bool) -> Any:
    if invalid and draw(st.integers(0, 14)) == 0:
        return draw(BAD_VALUES)
    shape, base = base_of(kind)
    if base == K.COMPACT:
        item = st.builds(lambda: None) if nested is None else objects(nested, invalid)
    else:
        item = SCALARS[base]
    if shape == "scalar":
        if base in (K.STRING, K.DECIMAL, K.TIME, K.DATE, K.TIMESTAMP, K.TIMESTAMP_WITH_TIMEZONE, K.COMPACT):
            return draw(st.one_of(st.none(), item))
        return draw(item)
    if shape == "nullable":
        return draw(st.one_of(st.none(), item))
    items = st.one_of(st.none(), item) if shape == "nullable_array" or base in (
        K.STRING, K.DECIMAL, K.TIME, K.DATE, K.TIMESTAMP, K.TIMESTAMP_WITH_TIMEZONE, K.COMPACT) else item
    if base == K.INT8 and shape == "array" and draw(st.booleans()):
        return draw(st.binary(max_size=20))
    return draw(st.one_of(st.none(), st.lists(items, max_size=draw(st.sampled_from([3, 20])))))


class Tree:
    """A schema and the schemas of its COMPACT / ARRAY_OF_COMPACT fields."""

    def __init__(self, schema: Schema, nested: Dict[str, "Tree"]) -> None:
        self.schema = schema
        self.nested = nested

    def all(self) -> List[Schema]:
        out = [self.schema]
        for tree in self.nested.values():
            out.extend(tree.all())
        return out


@st.composite
def trees(draw: Any, depth: int = 0, max_fields: int = 8) -> Tree:
    kinds = SUPPORTED if depth < 2 else FLAT
    names = draw(st.lists(st.text(alphabet="abcdefgh_é", min_size=1, max_size=4), max_size=max_fields, unique=True))
    fields = [(n, draw(st.sampled_from(kinds))) for n in names]
    nested = {n: draw(trees(depth + 1, max_fields=4)) for n, k in fields if k in (K.COMPACT, K.ARRAY_OF_COMPACT)}
    return Tree(Schema(f"t{depth}", fields), nested)


@st.composite
def objects(draw: Any, tree: Tree, invalid: bool = False) -> Obj:
    return Obj(tree.schema, {f.name: draw(value_for(f.kind, tree.nested.get(f.name), invalid))
                             for f in tree.schema.fields})


# -- plans for one backend -------------------------------------------------------------------------------------------


class Plans:
    """Write and read plans of a schema tree for one backend."""

    def __init__(self, codec: ModuleType, tree: Any, big_endian: bool = True, extract: bool = False) -> None:
        self.codec = codec
        self.write: Dict[int, Any] = {}
        self.read: Dict[int, Any] = {}
        schema = tree.schema if isinstance(tree, Tree) else tree
        for s in (tree.all() if isinstance(tree, Tree) else [tree]):
            names = [f.name for f in s.fields]
            if extract:
                def take(obj: Obj, names: List[str] = names) -> Tuple[List[Any], Optional[List[int]]]:
                    return [obj.__dict__[n] for n in names], list(reversed(range(len(names))))

                w = codec.WritePlan(s.schema_id, s.fix_sized_fields_length, s.var_sized_field_count,
                                    s.plan_fields(), extract=take, resolve=self.resolve, big_endian=big_endian)
            else:
                w = codec.WritePlan(s.schema_id, s.fix_sized_fields_length, s.var_sized_field_count,
                                    s.plan_fields(names), resolve=self.resolve, big_endian=big_endian)
            self.write[s.schema_id] = w
            self.read[s.schema_id] = codec.ReadPlan(s.fix_sized_fields_length, s.var_sized_field_count,
                                                    s.plan_fields(), plans=self.read)
        self.top = self.write[schema.schema_id]

    def resolve(self, value: Any) -> Any:
        return self.write[value._schema.schema_id]

    def decode(self, data: bytes, big_endian: bool = True) -> Any:
        return self.codec.decode_compact_data(data, self.read, self.missing, big_endian)

    def missing(self, schema_id: int) -> Any:
        raise HSE(f"unknown {schema_id}")


def expected_values(tree: Tree, obj: Obj) -> List[Any]:
    """What reading ``obj`` back must give: values in schema order, float32 rounded, nested objects as lists."""
    return [_expected(f.kind, obj.__dict__[f.name], tree.nested.get(f.name)) for f in tree.schema.fields]


def _expected(kind: FieldKind, value: Any, nested: Optional[Tree]) -> Any:
    if value is None:
        return None
    shape, base = base_of(kind)
    if shape in ("array", "nullable_array"):
        if base == K.INT8 and isinstance(value, bytes):
            return [b - 256 if b > 127 else b for b in value]
        return [_expected(base, v, nested) for v in value]
    if base == K.FLOAT32:
        return struct.unpack(">f", struct.pack(">f", value))[0]
    if base == K.COMPACT:
        return expected_values(nested, value)
    return value


# -- round trips and agreement on generated objects -----------------------------------------------------------------


@SETTINGS
@given(data=st.data(), big_endian=st.booleans(), extract=st.booleans())
def test_valid_objects_round_trip_identically(codec_pair, data, big_endian, extract):
    tree = data.draw(trees())
    obj = data.draw(objects(tree))
    compiled, pure = (Plans(m, tree, big_endian, extract) for m in codec_pair)
    encoded = compiled.top.to_data(obj)
    assert pure.top.to_data(obj) == encoded
    for reader in (compiled, pure):
        assert normalize(reader.decode(encoded, big_endian)) == normalize(expected_values(tree, obj))


@SETTINGS
@given(data=st.data(), big_endian=st.booleans())
def test_invalid_values_fail_identically(codec_pair, data, big_endian):
    tree = data.draw(trees())
    obj = data.draw(objects(tree, invalid=True))
    results = []
    for codec in codec_pair:
        plans = Plans(codec, tree, big_endian)
        writer = codec.CompactStreamWriter(big_endian)
        writer.write_int32(12345)
        results.append((outcome(lambda: plans.top.to_data(obj)), outcome(lambda: plans.top.write(writer, obj)),
                        writer.to_bytes()))
    assert results[0] == results[1]
    assert results[0][0][0] == "ok" or results[0][0][1] == "HazelcastSerializationError"
    if results[0][1][0] == "error":
        assert results[0][2] == struct.pack(">i" if big_endian else "<i", 12345)  # the writer was rolled back


def mutations(data: bytes) -> st.SearchStrategy:
    size = len(data)
    position = st.integers(0, max(size - 1, 0))
    return st.one_of(
        st.builds(lambda n: data[:n], st.integers(0, size)),
        st.builds(lambda p, b: data[:p] + bytes([b]) + data[p + 1:], position, st.integers(0, 255)),
        st.builds(lambda p, v: data[:p] + struct.pack(">i", v) + data[p + 4:], position,
                  st.sampled_from([-2, -1, 0, 1, 7, 127, 255, 256, 65535, 2**31 - 1, -(2**31)])),
        st.builds(lambda p, extra: data[:p] + extra + data[p:], position, st.binary(min_size=1, max_size=6)),
        st.builds(lambda p, n: data[:p] + data[p + n:], position, st.integers(1, 8)),
    )


@SETTINGS
@given(data=st.data(), big_endian=st.booleans())
def test_mutated_and_truncated_encodings(codec_pair, data, big_endian):
    tree = data.draw(trees())
    obj = data.draw(objects(tree))
    compiled, pure = (Plans(m, tree, big_endian) for m in codec_pair)
    encoded = compiled.top.to_data(obj)
    for _ in range(4):
        bad = data.draw(mutations(encoded))
        a, b = outcome(lambda: compiled.decode(bad, big_endian)), outcome(lambda: pure.decode(bad, big_endian))
        assert a == b
        assert a[0] == "ok" or a[1] == "HazelcastSerializationError"


@SETTINGS
@given(garbage=st.binary(max_size=300), big_endian=st.booleans())
def test_byte_soup_after_a_known_schema_id(codec_pair, garbage, big_endian):
    schema = Schema("soup", [("a", K.STRING), ("b", K.INT32), ("c", K.ARRAY_OF_NULLABLE_INT16),
                             ("d", K.ARRAY_OF_STRING), ("e", K.BOOLEAN), ("f", K.DECIMAL),
                             ("g", K.TIMESTAMP_WITH_TIMEZONE), ("h", K.ARRAY_OF_BOOLEAN), ("i", K.TIME),
                             ("j", K.ARRAY_OF_INT64), ("k", K.DATE), ("l", K.TIMESTAMP), ("m", K.COMPACT)])
    header = b"\x00\x00\x00\x00\xff\xff\xff\xc9" + struct.pack(">q" if big_endian else "<q", schema.schema_id)
    outcomes = []
    for codec in codec_pair:
        plan = codec.ReadPlan(schema.fix_sized_fields_length, schema.var_sized_field_count, schema.plan_fields())
        plans = {schema.schema_id: plan}
        outcomes.append(outcome(lambda: codec.decode_compact_data(header + garbage, plans, plans.__getitem__,
                                                                  big_endian)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == "ok" or outcomes[0][1] in ("HazelcastSerializationError", "KeyError")


# -- plan layouts, modes and entry points ----------------------------------------------------------------------------

PLAN_FIELD = st.tuples(
    st.sampled_from(["a", "b", "c", 5]),
    st.one_of(st.sampled_from([int(k) for k in SUPPORTED]), st.sampled_from([0, 5, 31, 99, -1, 1.0, "x"])),
    st.one_of(st.integers(-2, 12), st.just(2**70), st.just("x")),
    st.one_of(st.integers(-1, 9), st.just(2**70)),
    st.one_of(st.integers(0, 7), st.just(2**70), st.just(None)),
    st.sampled_from(["a", "b", None, 3]),
)


@SETTINGS
@given(fields=st.lists(st.one_of(PLAN_FIELD, st.just(("short",)), st.just("str")), max_size=5),
       fixed=st.one_of(st.integers(-1, 12), st.just(2**40), st.just("x")),
       var=st.one_of(st.integers(-1, 4), st.just(2**40)),
       sid=st.one_of(st.integers(-(2**63), 2**63 - 1), st.just(2**63), st.just("x")),
       order=st.one_of(st.none(), st.lists(st.one_of(st.integers(-1, 5), st.just("x")), max_size=4)),
       mode=st.sampled_from([0, 1, 2, 3, "x"]),
       defaults=st.lists(st.one_of(st.tuples(st.sampled_from(["a", "z"]), st.integers(), st.booleans()),
                                   st.just(("z",)), st.just((5, 1, False))), max_size=2))
def test_plan_construction_agrees(codec_pair, fields, fixed, var, sid, order, mode, defaults):
    def build(codec: ModuleType) -> Any:
        w = outcome(lambda: (codec.WritePlan(sid, fixed, var, fields, order=order).schema_id, "w"))
        e = outcome(lambda: codec.WritePlan(sid, fixed, var, fields, extract=lambda o: ([], None)).var_count)
        r = outcome(lambda: codec.ReadPlan(fixed, var, fields, mode=mode, target=dict, defaults=defaults).mode)
        return w, e, r

    assert build(codec_pair[0]) == build(codec_pair[1])


class Slots:
    __slots__ = ("a", "b", "z")


class Plain:
    pass


class Kwargs:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


@dataclasses.dataclass(frozen=True)
class FrozenAB:
    a: Any = None
    b: Any = None


READ_FIELDS = [("a", int(K.STRING), 0, 0, 0, "a"), ("b", int(K.NULLABLE_INT32), 1, 0, 0, "b")]
AB = Schema("ab", [("a", K.STRING), ("b", K.NULLABLE_INT32)])


@SETTINGS
@given(a=st.one_of(st.none(), st.text(max_size=5)), b=st.one_of(st.none(), st.integers(-5, 5)),
       mode=st.sampled_from([0, 1, 2]), target=st.sampled_from([Slots, Plain, Kwargs, FrozenAB, None, list]),
       flags=st.sampled_from([0, 2]), factory=st.booleans(), big_endian=st.booleans())
def test_read_modes_agree(codec_pair, a, b, mode, target, flags, factory, big_endian):
    fields = [READ_FIELDS[0], READ_FIELDS[1][:4] + (flags, "b")]
    results = []
    for codec in codec_pair:
        writer = codec.WritePlan(AB.schema_id, 0, 2, READ_FIELDS, big_endian=big_endian)
        obj = Plain()
        obj.a, obj.b = a, b
        data = writer.to_data(obj)

        def read() -> Any:
            plan = codec.ReadPlan(0, 2, fields, mode=mode, target=target,
                                  defaults=[("z", (lambda: [1]) if factory else 9, factory)] if mode else ())
            value = codec.decode_compact_data(data, {AB.schema_id: plan}, None, big_endian)
            if isinstance(value, Slots):
                return ("slots", value.a, value.b, value.z)
            return value

        results.append(outcome(read))
    assert results[0] == results[1]


def test_read_plan_reads_at_the_stream_position_and_read_compact_moves_past_each_value(codec_pair):
    schema = Schema("pos", [("x", K.INT32), ("s", K.STRING)])
    positions = []
    for codec in codec_pair:
        writer = codec.CompactStreamWriter(True)
        plan = codec.WritePlan(schema.schema_id, 4, 1, schema.plan_fields(["s", "x"]))  # schema order: s, x
        assert plan.big_endian is True and plan.fixed_length == 4 and plan.var_count == 1
        writer.write_int32(-1)
        for i in range(3):
            obj = Plain()
            obj.x, obj.s = i, "v" * i
            plan.write(writer, obj)
        with pytest.raises(HSE):
            plan.write(codec.CompactStreamWriter(False), obj)  # byte order mismatch
        read = codec.ReadPlan(4, 1, schema.plan_fields())
        reader = codec.CompactStreamReader(writer.to_bytes(), True)
        reader.seek(4)
        got = [codec.read_compact(reader, {schema.schema_id: read}, None) for _ in range(3)]
        assert got == [["", 0], ["v", 1], ["vv", 2]] and reader.remaining == 0
        reader.seek(12)
        assert read.read(reader) == ["", 0]
        positions.append(reader.position)
        reader.seek(4)
        with pytest.raises(HSE, match="not a ReadPlan"):
            codec.read_compact(reader, {}, lambda sid: "not a plan")
        with pytest.raises(HSE):
            codec.read_compact(codec.CompactStreamReader(b"\x00" * 7), {}, None)
    assert positions[0] == positions[1]


def test_large_objects_use_wide_offsets_and_bad_wide_offsets_fail(codec_pair):
    schema = Schema("wide", [("a", K.STRING), ("b", K.ARRAY_OF_STRING), ("c", K.NULLABLE_INT8)])
    bad_entries = {1: [b"\xfe"], 2: [b"\xff\xfe"], 4: [b"\xff\xff\xff\xfe", b"\x7f\xff\xff\xff"]}
    for size, width in ((10, 1), (300, 2), (70000, 4)):
        encoded, results = [], []
        for codec in codec_pair:
            plans = Plans(codec, schema)
            obj = Obj(schema, {"a": "x" * size, "b": ["y" * size, None, "z"] + [str(i) for i in range(20)],
                               "c": None})
            data = plans.top.to_data(obj)
            encoded.append(data)
            assert plans.decode(data)[:2] == [obj.a, obj.b]
            table_start = len(data) - 3 * width
            for entry in bad_entries[width]:
                bad = data[:table_start] + entry + data[table_start + width:]
                results.append(outcome(lambda: plans.decode(bad)))
        assert encoded[0] == encoded[1]
        half = len(results) // 2
        assert results[:half] == results[half:] and all(r[0] == "error" for r in results)


def test_nested_resolution_paths(codec_pair):
    inner = Schema("in", [("v", K.INT32)])
    outer = Schema("out", [("i", K.COMPACT), ("many", K.ARRAY_OF_COMPACT)])
    results = []
    for codec in codec_pair:
        w_inner = codec.WritePlan(inner.schema_id, 4, 0, inner.plan_fields(["v"]), cls=Plain)
        calls = []

        def resolve(value: Any) -> Any:
            calls.append(value)
            return w_inner if isinstance(value, Plain) else "nonsense"

        w_outer = codec.WritePlan(outer.schema_id, 0, 2, outer.plan_fields(["i", "many"]), resolve=resolve)
        v = Plain()
        v.v = 3
        o = Plain()
        o.i, o.many = v, [v, None, v]
        data = w_outer.to_data(o)
        assert len(calls) == 1  # the class is cached after the first resolution (cls=Plain)
        r_inner = codec.ReadPlan(4, 0, inner.plan_fields())
        r_outer = codec.ReadPlan(0, 2, outer.plan_fields(), resolve=lambda sid: r_inner)
        assert codec.decode_compact_data(data, {outer.schema_id: r_outer}, None) == [[3], [[3], None, [3]]]
        no_resolver = codec.ReadPlan(0, 2, outer.plan_fields())
        bad_resolver = codec.ReadPlan(0, 2, outer.plan_fields(), resolve=lambda sid: "nonsense")
        o.i = Slots()
        results.append([
            outcome(lambda: codec.decode_compact_data(data, {outer.schema_id: no_resolver}, None)),
            outcome(lambda: codec.decode_compact_data(data, {outer.schema_id: bad_resolver}, None)),
            outcome(lambda: codec.decode_compact_data(data, {}, lambda sid: "nonsense")),
            outcome(lambda: codec.decode_compact_data(data[:-4] + b"\xff\xff\xff\xc8", {}, None)),
            outcome(lambda: codec.decode_compact_data(b"\x00\x00\x00\x00\xff\xff\xff\xc8" + data[8:], {}, None)),
            outcome(lambda: codec.decode_compact_data(memoryview(data)[::2], {}, None)),
            outcome(lambda: codec.decode_compact_data(5, {}, None)),
            outcome(lambda: w_outer.to_data(o)),
            outcome(lambda: codec.WritePlan(outer.schema_id, 0, 2, outer.plan_fields(["i", "many"])).to_data(o)),
        ])
        mixed = Plain()
        mixed.i, mixed.many = None, [v, Slots()]
        w_mixed = codec.WritePlan(outer.schema_id, 0, 2, outer.plan_fields(["i", "many"]),
                                  resolve=lambda value: w_inner if isinstance(value, Plain) else w_outer)
        results[-1].append(outcome(lambda: w_mixed.to_data(mixed)))
    assert results[0] == results[1]
    assert all(r[0] == "error" for r in results[0])


def test_cycles_and_deep_data(codec_pair):
    schema = Schema("node", [("next", K.COMPACT)])
    results = []
    for codec in codec_pair:
        plans: Dict[int, Any] = {}
        write = codec.WritePlan(schema.schema_id, 0, 1, schema.plan_fields(["next"]), resolve=lambda v: write)
        read = codec.ReadPlan(0, 1, schema.plan_fields(), plans=plans)
        plans[schema.schema_id] = read
        node = Plain()
        node.next = node
        deep = None
        for _ in range(65):  # the outermost object plus 64 nested levels: the deepest allowed
            link = Plain()
            link.next = deep
            deep = link
        data = write.to_data(deep)
        too_deep = Plain()
        too_deep.next = deep
        results.append([outcome(lambda: write.to_data(node)), outcome(lambda: write.to_data(too_deep)),
                        outcome(lambda: codec.decode_compact_data(data, plans, None)),
                        outcome(lambda: codec.decode_compact_data(write.to_data(too_deep.next.next), plans, None))])
        body = b"\xff"  # innermost: next = null (offset 0xFF), dataLength 0
        body = struct.pack(">i", 0) + body
        for _ in range(80):
            value = struct.pack(">q", schema.schema_id) + body
            body = struct.pack(">i", len(value)) + value + b"\x00"
        nested_bytes = b"\x00\x00\x00\x00\xff\xff\xff\xc9" + struct.pack(">q", schema.schema_id) + body
        results[-1].append(outcome(lambda: codec.decode_compact_data(nested_bytes, plans, None)))
    assert results[0] == results[1]
    assert [r[0] for r in results[0]] == ["error", "error", "ok", "ok", "error"]


def test_extract_mode_errors(codec_pair):
    schema = Schema("ex", [("a", K.INT32), ("b", K.STRING)])
    results = []
    for codec in codec_pair:
        def plan(extract: Any) -> Any:
            return codec.WritePlan(schema.schema_id, 4, 1, schema.plan_fields(), extract=extract)

        results.append([outcome(lambda: plan(lambda o: ([1, "x"], [1, 0])).to_data(None)),
                        outcome(lambda: plan(lambda o: ([1, "x"], None)).to_data(None)),
                        outcome(lambda: plan(lambda o: [1, "x"]).to_data(None)),
                        outcome(lambda: plan(lambda o: ([1], None)).to_data(None)),
                        outcome(lambda: plan(lambda o: ("ab", None)).to_data(None)),
                        outcome(lambda: plan(lambda o: ([1, "x"], [7])).to_data(None)),
                        outcome(lambda: plan(lambda o: ([1, "x"], ["x"])).to_data(None)),
                        outcome(lambda: plan(lambda o: 1 / 0).to_data(None)),
                        outcome(lambda: plan(lambda o: ([None, "x"], None)).to_data(None)),
                        outcome(lambda: plan(lambda o: ([1, 5], None)).to_data(None))])
    assert results[0] == results[1]
    assert [r[0] for r in results[0]] == ["ok", "ok"] + ["error"] * 8
    assert results[0][7] == ("error", "ZeroDivisionError")


def test_many_fields_and_long_arrays(codec_pair):
    schema = Schema("many", [(f"s{i:02}", K.STRING) for i in range(20)] + [("arr", K.ARRAY_OF_NULLABLE_INT32),
                                                                            ("c", K.ARRAY_OF_COMPACT)])
    inner = Schema("in", [("v", K.INT8)])
    encoded = []
    for codec in codec_pair:
        w_inner = codec.WritePlan(inner.schema_id, 1, 0, inner.plan_fields(["v"]))
        names = [f.name for f in schema.fields]
        w = codec.WritePlan(schema.schema_id, 0, 22, schema.plan_fields(names), resolve=lambda v: w_inner)
        obj = Plain()
        for i in range(20):
            setattr(obj, f"s{i:02}", None if i % 3 else str(i))
        obj.arr = [None if i % 4 == 0 else i for i in range(40)]
        item = Plain()
        item.v = -1
        obj.c = [item] * 20 + [None]
        encoded.append(w.to_data(obj))
        r = codec.ReadPlan(0, 22, schema.plan_fields(), plans={inner.schema_id: codec.ReadPlan(
            1, 0, inner.plan_fields())})
        values = codec.decode_compact_data(encoded[-1], {schema.schema_id: r}, None)
        assert values[0] == obj.arr and values[1] == [[-1]] * 20 + [None]  # "arr" and "c" sort first
    assert encoded[0] == encoded[1]


def test_null_flags(codec_pair):
    schema = Schema("fl", [("a", K.ARRAY_OF_NULLABLE_INT32), ("b", K.NULLABLE_INT32), ("c", K.ARRAY_OF_INT8)])
    results = []
    for codec in codec_pair:
        writer = codec.WritePlan(schema.schema_id, 0, 3, schema.plan_fields(["a", "b", "c"]))
        obj = Plain()
        obj.a, obj.b, obj.c = [1, None], None, b"\x01\x02"
        data = writer.to_data(obj)
        row = []
        for flags in ((0, 0, 0), (4, 0, 1), (0, 2, 0), (0, 0, 1)):
            fields = [f[:4] + (fl, f[5]) for f, fl in zip(schema.plan_fields(), flags)]
            plan = codec.ReadPlan(0, 3, fields)
            row.append(outcome(lambda: codec.decode_compact_data(data, {schema.schema_id: plan}, None)))
        results.append(row)
    assert results[0] == results[1]
    assert [r[0] for r in results[0]] == ["ok", "error", "error", "ok"]
    assert results[0][3][1][2] == b"\x01\x02"


# -- DataCodec -------------------------------------------------------------------------------------------------------


class DataLike:
    __slots__ = ("buffer",)


@SETTINGS
@given(value=st.one_of(st.integers(), st.text(max_size=4), st.none()), mutate=st.integers(0, 40),
       mutation=st.integers(0, 255), as_bytes=st.booleans())
def test_data_codec_agrees(codec_pair, value, mutate, mutation, as_bytes):
    schema = Schema("dc", [("v", K.STRING), ("n", K.INT64)])
    results = []
    for codec in codec_pair:
        write = {Plain: codec.WritePlan(schema.schema_id, 8, 1, schema.plan_fields(["n", "v"]))}
        read = {schema.schema_id: codec.ReadPlan(8, 1, schema.plan_fields())}
        fast = codec.DataCodec(write, read, read.get, DataLike, lambda o: ("to_data fallback", o),
                               lambda d: ("to_object fallback", type(d).__name__))
        obj = Plain()
        obj.v, obj.n = value if isinstance(value, str) or value is None else str(value), (
            value if isinstance(value, int) else 1)
        row = [outcome(lambda: fast.to_data(obj)), outcome(lambda: fast.to_data(value))]
        data = fast.to_data(obj) if row[0][0] == "ok" else None
        if data is not None:
            raw = bytearray(data.buffer)
            raw[mutate % len(raw)] = mutation
            candidate = bytes(raw) if as_bytes else data
            if not as_bytes:
                data.buffer = bytes(raw)
            row.append(outcome(lambda: fast.to_object(candidate)))
            row.append(outcome(lambda: fast.to_object(bytearray(raw))))
        results.append(row)
    assert results[0] == results[1]


@SETTINGS
@given(value=st.one_of(st.text(max_size=6), st.integers(-(2**40), 2**40), st.none(), st.booleans(),
                       st.binary(max_size=4)),
       mutate=st.integers(0, 40), mutation=st.integers(0, 255), cut=st.integers(0, 30), big_endian=st.booleans(),
       int_as_int32=st.booleans(), as_data=st.booleans())
def test_data_codec_builtin_fast_paths_agree(codec_pair, value, mutate, mutation, cut, big_endian, int_as_int32,
                                             as_data):
    """str and int32 to Data and back (and None), on bytes mutated and cut anywhere: both backends agree, and
    whatever the fast paths decline reaches the fallback unchanged."""
    results = []
    for codec in codec_pair:
        fast = codec.DataCodec({}, {}, None, DataLike, lambda o: ("to_data fallback", o),
                               lambda d: ("to_object fallback", type(d).__name__, bytes(getattr(d, "buffer", d))
                                          if d is not None and not isinstance(d, str) else d),
                               big_endian, int_as_int32)
        row = [outcome(lambda: fast.to_data(value)), outcome(lambda: fast.to_buffer(value)),
               outcome(lambda: fast.to_object(value))]
        data = fast.to_data(value)
        if isinstance(data, DataLike):
            assert fast.to_buffer(value) == data.buffer
            row.append(outcome(lambda: fast.to_object(data)))
            raw = bytearray(data.buffer)
            raw[mutate % len(raw)] = mutation
            raw = bytes(raw[: len(raw) - cut % len(raw)])
            candidate = raw
            if as_data:
                candidate = DataLike()
                candidate.buffer = raw
            row.append(outcome(lambda: fast.to_object(candidate)))
        results.append(row)
    assert results[0] == results[1]


def test_data_codec_builtin_fast_paths_are_the_builtin_encodings(codec_pair):
    for codec in codec_pair:
        fast = codec.DataCodec({}, {}, None, DataLike, lambda o: "fallback", lambda d: "fallback", True, True)
        assert fast.to_buffer("hé") == b"\x00\x00\x00\x00\xff\xff\xff\xf5\x00\x00\x00\x03h\xc3\xa9"
        assert fast.to_buffer(-2) == b"\x00\x00\x00\x00\xff\xff\xff\xf9\xff\xff\xff\xfe"
        assert fast.to_object(fast.to_data("hé")) == "hé" and fast.to_object(fast.to_buffer(-2)) == -2
        assert fast.to_object(None) is None
        assert fast.to_data("\ud800") == "fallback" and fast.to_data(2**31) == "fallback"
        assert fast.to_data(2**70) == "fallback" and fast.to_data(-(2**70)) == "fallback"
        assert fast.to_data(True) == "fallback" and fast.to_object(b"\x00" * 11) == "fallback"
        little = codec.DataCodec({}, {}, None, DataLike, lambda o: "fallback", lambda d: "fallback", False, True)
        assert little.to_data("a") == "fallback" and little.to_data(1) == "fallback"
        assert little.to_object(fast.to_buffer("a")) == "fallback"
        no_int = codec.DataCodec({}, {}, None, DataLike, lambda o: "fallback", lambda d: "fallback", True, False)
        assert no_int.to_data(1) == "fallback" and no_int.to_object(fast.to_buffer(1)) == 1
        none = codec.DataCodec({}, {}, None, DataLike, lambda o: None, lambda d: "fallback")
        assert none.to_buffer(None) is None
        wrapped = DataLike()
        wrapped.buffer = b"from the fallback"
        other = codec.DataCodec({}, {}, None, DataLike, lambda o: wrapped, lambda d: "fallback")
        assert other.to_buffer(object()) == b"from the fallback"


def test_data_codec_paths(codec_pair):
    schema = Schema("dcp", [("v", K.STRING)])
    results = []
    for codec in codec_pair:
        write = {Plain: codec.WritePlan(schema.schema_id, 0, 1, schema.plan_fields(["v"]))}

        def explode(values: List[Any]) -> Any:
            raise KeyError("user code")

        read = {schema.schema_id: codec.ReadPlan(0, 1, schema.plan_fields(), target=explode)}
        fast = codec.DataCodec(write, read, read.get, DataLike, lambda o: "fallback", lambda d: "fallback")
        obj = Plain()
        obj.v = "ok"
        good = fast.to_data(obj)
        odd = DataLike()
        odd.buffer = bytearray(good.buffer)
        bad_utf8 = good.buffer[:-6] + b"\x00\x00\x00\x01\xff\x04"
        obj_bad = Plain()
        obj_bad.v = 5

        class Exploding:
            @property
            def v(self) -> Any:
                raise KeyError("getter")

        write[Exploding] = write[Plain]
        results.append([outcome(lambda: fast.to_object(good)), outcome(lambda: fast.to_object(odd)),
                        outcome(lambda: fast.to_object(b"\x00" * 8)), outcome(lambda: fast.to_object("str")),
                        outcome(lambda: fast.to_object(bad_utf8)), outcome(lambda: fast.to_data(obj_bad)),
                        outcome(lambda: fast.to_data(Exploding())), outcome(lambda: fast.to_object(
                            good.buffer[:16])), outcome(lambda: fast.to_buffer(obj)),
                        outcome(lambda: fast.to_buffer(obj_bad)), outcome(lambda: fast.to_buffer(Exploding()))])
        with pytest.raises(TypeError):
            codec.DataCodec([], {}, None, DataLike, None, None)
    assert results[0] == results[1]
    assert [r[0] for r in results[0]] == ["error", "ok", "ok", "ok", "error", "error", "error", "error", "ok",
                                          "error", "error"]
    assert results[0][8][1] == good.buffer
    assert results[0][0] == ("error", "HazelcastSerializationError")


# -- deterministic edge cases (every error branch, both backends, compared) ------------------------------------------


def both(codec_pair: Tuple[ModuleType, ModuleType], fn: Callable[[ModuleType], Any]) -> Tuple[str, Any]:
    results = [outcome(lambda: fn(codec)) for codec in codec_pair]
    assert results[0] == results[1]
    return results[0]


BAD_SPECS = [
    ("short",), "str", ("a", 99, 0, 0, 0, "a"), ("a", 9, 1, 0, 0, "a"), ("a", 9, -1, 0, 0, "a"),
    ("a", 1, 0, 8, 0, "a"), ("a", 1, 0, -1, 0, "a"), ("a", 17, 1, 0, 0, "a"), ("a", 17, -1, 0, 0, "a"),
    ("a", 1.0, 0, 0, 0, "a"), ("a", 9, 0, 0, None, "a"), ("a", 5, 0, 0, 0, "a"),
]


@pytest.mark.parametrize("spec", BAD_SPECS)
def test_invalid_plan_fields(codec_pair, spec):
    for fn in (lambda c: c.WritePlan(1, 4, 1, [spec]), lambda c: c.ReadPlan(4, 1, [spec])):
        assert both(codec_pair, fn) == ("error", "HazelcastSerializationError")


@pytest.mark.parametrize("build", [
    lambda c: c.WritePlan(1, -1, 0, []), lambda c: c.WritePlan(1, 0, 2**31, []), lambda c: c.WritePlan(1, "0", 0, []),
    lambda c: c.WritePlan(2**63, 0, 0, []), lambda c: c.WritePlan("1", 0, 0, []),
    lambda c: c.WritePlan(1, 4, 0, [("a", 9, 0, 0, 0, None)]),
    lambda c: c.WritePlan(1, 4, 1, [("a", 9, 0, 0, 0, "a")], order=[3]),
    lambda c: c.ReadPlan(4, 0, [("a", 9, 0, 0, 0, None)], mode=1, target=Plain),
    lambda c: c.ReadPlan(4, 0, [("a", 9, 0, 0, 0, "a")], mode=1),
    lambda c: c.ReadPlan(4, 0, [], mode=7), lambda c: c.ReadPlan(4, 0, [], mode=1.0),
    lambda c: c.ReadPlan(4, 0, [], mode=1, target=Plain, defaults=[("a", 1)]),
    lambda c: c.ReadPlan(4, 0, [], mode=1, target=Plain, defaults=[(1, 1, True)]),
])
def test_invalid_plans(codec_pair, build):
    assert both(codec_pair, build) == ("error", "HazelcastSerializationError")


def test_valid_plan_shapes(codec_pair):
    one = [("a", 9, 0, 0, 0, "a")]
    assert both(codec_pair, lambda c: c.WritePlan(-(2**63), 4, 0, one).schema_id) == ("ok", -(2**63))
    assert both(codec_pair, lambda c: c.WritePlan(1, 0, 0, []).to_data(None)) == (
        "ok", b"\x00\x00\x00\x00\xff\xff\xff\xc9" + b"\x00" * 7 + b"\x01")
    obj = Plain()
    obj.a = 5
    assert both(codec_pair, lambda c: c.WritePlan(1, 4, 0, one, big_endian=False).to_data(obj))[1].endswith(
        b"\x05\x00\x00\x00")
    assert both(codec_pair, lambda c: c.ReadPlan(0, 0, [], mode=2, target=dict, defaults=[("x", 1, False)]).mode) == (
        "ok", 2)


def compact_with(kind: FieldKind, body: bytes, big_endian: bool = True) -> Tuple[Schema, bytes]:
    """Data of a one-field schema whose only (variable-size) value is ``body`` (at offset 0)."""
    schema = Schema("one", [("a", kind)])
    order = ">" if big_endian else "<"
    width = 1 if len(body) < 255 else 2 if len(body) < 65535 else 4
    data = (b"\x00\x00\x00\x00\xff\xff\xff\xc9" + struct.pack(order + "q", schema.schema_id)
            + struct.pack(order + "i", len(body)) + body + b"\x00" * width)
    return schema, data


def read_one(codec: ModuleType, schema: Schema, data: bytes, flags: int = 0, big_endian: bool = True) -> Any:
    fields = [f[:4] + (flags, f[5]) for f in schema.plan_fields()]
    inner = Schema("in", [("v", K.INT8)])
    plans: Dict[int, Any] = {inner.schema_id: codec.ReadPlan(1, 0, inner.plan_fields())}
    plans[schema.schema_id] = codec.ReadPlan(schema.fix_sized_fields_length, schema.var_sized_field_count, fields,
                                             plans=plans)
    return codec.decode_compact_data(data, plans, None, big_endian)


def array_body(items: bytes, count: int, offsets: bytes) -> bytes:
    return struct.pack(">ii", len(items), count) + items + offsets


INNER_ID = struct.pack(">q", Schema("in", [("v", K.INT8)]).schema_id)
EDGE_BODIES = [
    (K.ARRAY_OF_STRING, b"\x00\x00\x00"),  # the array header does not fit
    (K.ARRAY_OF_STRING, array_body(b"\x00\x00\x00\x01a", 1, b"\x05")),  # item offset outside the items
    (K.ARRAY_OF_STRING, array_body(b"\xff\xff\xff\xff", 1, b"\x00")),  # a -1 string item is None
    (K.ARRAY_OF_STRING, array_body(b"\xff\xff\xff\xfe", 1, b"\x00")),  # negative length
    (K.ARRAY_OF_STRING, array_body(b"\x00\x00", 1, b"\x00")),  # the length does not fit
    (K.ARRAY_OF_STRING, array_body(b"\x00\x00\x00\x09ab", 1, b"\x00")),  # the bytes do not fit
    (K.ARRAY_OF_STRING, struct.pack(">ii", -1, 1)),  # negative array length
    (K.ARRAY_OF_STRING, struct.pack(">ii", 0, -1)),  # negative count
    (K.ARRAY_OF_STRING, struct.pack(">ii", 9, 0)),  # array length past the object
    (K.ARRAY_OF_STRING, struct.pack(">ii", 0, 9)),  # offset table past the object
    (K.ARRAY_OF_COMPACT, array_body(INNER_ID[:5], 1, b"\x00")),  # the schema id does not fit
    (K.ARRAY_OF_COMPACT, array_body(INNER_ID + b"\x05", 1, b"\x00")),  # a nested item
    (K.ARRAY_OF_COMPACT, array_body(INNER_ID, 1, b"\x00")),  # its fixed section does not fit
    (K.ARRAY_OF_NULLABLE_INT32, array_body(b"\x00\x01", 1, b"\x00")),  # the value does not fit
    (K.ARRAY_OF_NULLABLE_BOOLEAN, array_body(b"", 1, b"\x00")),
    (K.ARRAY_OF_DECIMAL, array_body(b"\x00\x00", 1, b"\x00")),  # the length does not fit
    (K.ARRAY_OF_DECIMAL, array_body(b"\x00\x00\x00\x00\x00\x00\x00\x00", 1, b"\x00")),  # zero length
    (K.ARRAY_OF_DECIMAL, array_body(b"\x00\x00\x00\x02\x01\x00\x00\x00", 1, b"\x00")),  # the scale does not fit
    (K.ARRAY_OF_DECIMAL, array_body(b"\x00\x00\x00\x01\x85\x00\x00\x00\x02", 1, b"\x00")),  # -1.23
    (K.ARRAY_OF_TIME, array_body(b"\x01\x02", 1, b"\x00")),
    (K.ARRAY_OF_TIME, array_body(b"\x19\x00\x00\x00\x00\x00\x00", 1, b"\x00")),  # hour 25
    (K.ARRAY_OF_TIME, array_body(b"\x01\x00\x00\x3b\x9a\xca\x00", 1, b"\x00")),  # 10**9 nanoseconds
    (K.ARRAY_OF_DATE, array_body(b"\x00\x00\x07", 1, b"\x00")),
    (K.ARRAY_OF_DATE, array_body(b"\x00\x00\x00\x00\x01\x01", 1, b"\x00")),  # year 0
    (K.ARRAY_OF_TIMESTAMP, array_body(b"\x00" * 12, 1, b"\x00")),
    (K.ARRAY_OF_TIMESTAMP, array_body(b"\x00\x00\x07\xe4\x02\x1e" + b"\x00" * 7, 1, b"\x00")),  # 30 February
    (K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE, array_body(b"\x00" * 16, 1, b"\x00")),
    (K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE, array_body(b"\x00\x00\x07\xe4\x01\x01" + b"\x00" * 7 + b"\x00\x01\x00\x00",
                                                    1, b"\x00")),  # a 65536 s offset
    (K.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE, array_body(b"\x00\x00\x07\xe4\x01\x01" + b"\x00" * 7 + b"\xff\xff\xf1\xf0",
                                                    1, b"\x00")),  # -3600 s
    (K.ARRAY_OF_INT32, b"\x00\x00"),  # the count does not fit
    (K.ARRAY_OF_INT32, b"\xff\xff\xff\xff"),  # -1: None
    (K.ARRAY_OF_INT32, b"\x00\x00\x00\x02\x00\x00\x00\x01"),  # the items do not fit
    (K.ARRAY_OF_INT8, b"\x00\x00\x00\x02\x01\x02"),
    (K.ARRAY_OF_BOOLEAN, b"\x00\x00"),
    (K.ARRAY_OF_BOOLEAN, b"\xff\xff\xff\xff"),
    (K.ARRAY_OF_BOOLEAN, b"\x00\x00\x00\x09\x01"),  # 9 booleans need 2 bytes
    (K.ARRAY_OF_BOOLEAN, b"\xff\xff\xff\xfe"),
    (K.STRING, b"\x00\x00\x00\x01\xff"),  # invalid UTF-8
    (K.DECIMAL, b"\x00\x00\x00\x01\x7f\x80\x00\x00\x00"),  # scale -2**31
    (K.NULLABLE_INT64, b"\x00\x00\x00\x00\x00\x00\x00"),
    (K.ARRAY_OF_STRING, array_body(b"\x00\x00\x00\x01a" + b"\x00" * 65540, 1, struct.pack(">i", -2))),
    (K.ARRAY_OF_STRING, array_body(b"\x00\x00\x00\x01a" + b"\x00" * 65540, 1, struct.pack(">i", -1))),
    (K.ARRAY_OF_STRING, array_body(b"\x00\x00\x00\x01a" + b"\x00" * 300, 1, struct.pack(">H", 65535))),
]


@pytest.mark.parametrize("kind,body", EDGE_BODIES)
@pytest.mark.parametrize("flags", [0, 1, 4])
def test_crafted_values(codec_pair, kind, body, flags):
    schema, data = compact_with(kind, body)
    result = both(codec_pair, lambda c: read_one(c, schema, data, flags))
    assert result[0] == "ok" or result[1] == "HazelcastSerializationError"


def test_invalid_utf8_through_every_entry_point(codec_pair):
    schema, data = compact_with(K.STRING, b"\x00\x00\x00\x01\xff")
    for fn in (lambda c: read_one(c, schema, data),
               lambda c: c.read_compact(_reader_at(c, data, 8), {schema.schema_id: _plan(c, schema)}, None),
               lambda c: _plan(c, schema).read(_reader_at(c, data, 16))):
        assert both(codec_pair, fn) == ("error", "HazelcastSerializationError")


def _plan(codec: ModuleType, schema: Schema) -> Any:
    return codec.ReadPlan(schema.fix_sized_fields_length, schema.var_sized_field_count, schema.plan_fields())


def _reader_at(codec: ModuleType, data: bytes, position: int) -> Any:
    reader = codec.CompactStreamReader(data)
    reader.seek(position)
    return reader


def test_write_errors_of_every_kind(codec_pair):
    cases = [(K.ARRAY_OF_BOOLEAN, "x"), (K.ARRAY_OF_BOOLEAN, [True, None]), (K.ARRAY_OF_INT32, "x"),
             (K.ARRAY_OF_STRING, [1]), (K.DECIMAL, decimal.Decimal("1E-3000000000")), (K.DECIMAL, 1),
             (K.DECIMAL, decimal.Decimal("inf")), (K.TIMESTAMP_WITH_TIMEZONE, 5), (K.TIME, 5), (K.DATE, 5),
             (K.ARRAY_OF_INT8, memoryview(b"abcd")[::2]), (K.ARRAY_OF_FLOAT32, [1e300]), (K.NULLABLE_FLOAT32, 1e300),
             (K.ARRAY_OF_NULLABLE_INT8, [1000]), (K.COMPACT, 5), (K.ARRAY_OF_INT8, [1, 2, "x"]),
             (K.ARRAY_OF_FLOAT64, [1.0, None]), (K.ARRAY_OF_INT64, [2**64]), (K.ARRAY_OF_INT16, [2**16]),
             (K.TIMESTAMP_WITH_TIMEZONE, datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone(
                 datetime.timedelta(hours=23))))]
    for kind, value in cases:
        schema = Schema("w", [("a", kind)])

        def write(codec: ModuleType) -> Any:
            obj = Plain()
            obj.a = value
            return codec.WritePlan(schema.schema_id, schema.fix_sized_fields_length, schema.var_sized_field_count,
                                   schema.plan_fields(["a"]), resolve=lambda v: 1 / 0).to_data(obj)

        assert both(codec_pair, write)[0] == "error", (kind, value)


def forge_chain(schema_id: int, levels: int, big_endian: bool = True) -> bytes:
    """A Node{next: COMPACT} chain ``levels`` deep, built by hand (writers refuse more than 64 levels)."""
    order = ">" if big_endian else "<"
    body = struct.pack(order + "i", 0) + b"\xff"  # the innermost object: next is null
    for _ in range(levels):
        value = struct.pack(order + "q", schema_id) + body
        width = 1 if len(value) < 255 else 2 if len(value) < 65535 else 4
        entry = {1: b"\x00", 2: struct.pack(order + "H", 0), 4: struct.pack(order + "i", 0)}[width]
        body = struct.pack(order + "i", len(value)) + value + entry
    return b"\x00\x00\x00\x00\xff\xff\xff\xc9" + struct.pack(order + "q", schema_id) + body


@pytest.mark.parametrize("big_endian", [True, False])
def test_forged_nesting_depth(codec_pair, big_endian):
    schema = Schema("node", [("next", K.COMPACT)])

    def read(codec: ModuleType, levels: int) -> Any:
        plans: Dict[int, Any] = {}
        plans[schema.schema_id] = codec.ReadPlan(0, 1, schema.plan_fields(), plans=plans)
        value = codec.decode_compact_data(forge_chain(schema.schema_id, levels, big_endian), plans, None, big_endian)
        depth = 0
        while value[0] is not None:
            value, depth = value[0], depth + 1
        return depth

    assert both(codec_pair, lambda c: read(c, 64)) == ("ok", 64)
    assert both(codec_pair, lambda c: read(c, 65)) == ("error", "HazelcastSerializationError")
    assert both(codec_pair, lambda c: read(c, 300)) == ("error", "HazelcastSerializationError")


@pytest.mark.parametrize("big_endian", [True, False])
def test_overlapping_fixed_fields(codec_pair, big_endian):
    # hand-made layouts may overlap (never a Schema's): fields are written in field order, later ones win
    fields = [("a", int(K.INT32), 0, 0, 0, "a"), ("b", int(K.INT16), 2, 0, 0, "b"), ("c", int(K.BOOLEAN), 1, 3, 0, "c"),
              ("d", int(K.INT8), 5, 0, 0, "d")]

    def run(codec: ModuleType) -> Any:
        obj = Plain()
        obj.a, obj.b, obj.c, obj.d = -1, 0x1234, False, 3
        data = codec.WritePlan(7, 6, 0, fields, big_endian=big_endian).to_data(obj)
        obj.b = "bad"
        failed = outcome(lambda: codec.WritePlan(7, 6, 0, fields, big_endian=big_endian).to_data(obj))
        read = codec.decode_compact_data(data, {7: codec.ReadPlan(6, 0, fields)}, None, big_endian)
        return data, read, failed

    result = both(codec_pair, run)
    assert result[0] == "ok" and result[1][2] == ["error", "HazelcastSerializationError"]


class WithClassDefault:
    a = "class default"

    def __init__(self, b: int) -> None:
        self.b = b


class WithGetattr:
    def __getattr__(self, name: str) -> Any:
        if name == "a":
            return "from __getattr__"
        raise AttributeError(name)


class SubclassOfDefault(WithClassDefault):
    pass


class Guarded:
    def __getattribute__(self, name: str) -> Any:
        return "guarded" if name == "a" else object.__getattribute__(self, name)


def test_attribute_lookup_matches_getattr(codec_pair):
    schema = Schema("attrs", [("a", K.STRING), ("b", K.NULLABLE_INT32)])

    def write(codec: ModuleType, cls: type, obj: Any) -> Any:
        plan = codec.WritePlan(schema.schema_id, 0, 2, schema.plan_fields(["a", "b"]), cls=cls)
        read = codec.ReadPlan(0, 2, schema.plan_fields())
        return codec.decode_compact_data(plan.to_data(obj), {schema.schema_id: read}, None)

    getattr_only = WithGetattr()
    getattr_only.b = 1
    guarded = Guarded()
    guarded.b = 2
    cases = [(WithClassDefault, WithClassDefault(5)), (WithClassDefault, SubclassOfDefault(6)),
             (WithGetattr, getattr_only), (WithGetattr, WithGetattr()), (Guarded, guarded), (Plain, Plain())]
    results = [both(codec_pair, lambda c: write(c, cls, obj)) for cls, obj in cases]
    assert results[:3] == [("ok", ["class default", 5]), ("ok", ["class default", 6]), ("ok", ["from __getattr__", 1])]
    assert results[3] == results[5] == ("error", "HazelcastSerializationError")
    assert results[4] == ("ok", ["guarded", 2])


@dataclasses.dataclass(init=False)
class ReversedInit:
    a: int
    b: str

    def __init__(self, a: int, b: str) -> None:
        self.b = b  # the instances' shared key order is (b, a), the plan's is (a, b)
        self.a = a


def test_objects_read_in_setattr_mode_keep_the_plan_order(codec_pair):
    ReversedInit(1, "x")
    schema = Schema("rev", [("a", K.INT32), ("b", K.STRING)])
    fields = schema.plan_fields(["a", "b"])

    def read(codec: ModuleType) -> Any:
        plan = codec.ReadPlan(4, 1, fields, mode=1, target=ReversedInit)
        obj = ReversedInit(7, "seven")
        data = codec.WritePlan(schema.schema_id, 4, 1, fields).to_data(obj)
        back = codec.decode_compact_data(data, {schema.schema_id: plan}, None)
        return list(vars(back).items()), back == obj

    assert both(codec_pair, read) == ("ok", [[["a", 7], ["b", "seven"]], True])


def test_data_codec_with_a_data_class_without_slots(codec_pair):
    schema = Schema("dcs", [("v", K.STRING)])

    def run(codec: ModuleType) -> Any:
        write = {Plain: codec.WritePlan(schema.schema_id, 0, 1, schema.plan_fields(["v"]))}
        read = {schema.schema_id: codec.ReadPlan(0, 1, schema.plan_fields())}
        fast = codec.DataCodec(write, read, read.get, WithClassDefault, None, None)
        obj = Plain()
        obj.v = "x"
        data = fast.to_data(obj)
        return type(data).__name__, fast.to_object(data)

    assert both(codec_pair, run) == ("ok", ["WithClassDefault", ["x"]])


class WithProperty:
    @property
    def a(self) -> Any:
        return self._a

    @a.setter
    def a(self, value: Any) -> None:
        self._a = ("set", value)


def test_setattr_mode_with_descriptors_and_duplicate_keys(codec_pair):
    schema = Schema("sd", [("a", K.INT32), ("b", K.STRING)])

    def read(codec: ModuleType, target: type, keys: List[str]) -> Any:
        fields = schema.plan_fields(keys)
        obj = Plain()
        obj.a, obj.b = 3, "three"
        data = codec.WritePlan(schema.schema_id, 4, 1, schema.plan_fields(["a", "b"])).to_data(obj)
        back = codec.decode_compact_data(data, {schema.schema_id: codec.ReadPlan(4, 1, fields, mode=1,
                                                                                 target=target)}, None)
        return vars(back)

    assert both(codec_pair, lambda c: read(c, WithProperty, ["a", "b"])) == ("ok", {"_a": ["set", 3], "b": "three"})
    assert both(codec_pair, lambda c: read(c, Plain, ["x", "x"])) == ("ok", {"x": "three"})


def test_temporal_write_errors(codec_pair):
    aware = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    cases = [(K.TIMESTAMP_WITH_TIMEZONE, datetime.datetime(2020, 1, 1)),
             (K.TIMESTAMP_WITH_TIMEZONE, datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone(
                 datetime.timedelta(seconds=1, microseconds=1)))),
             (K.TIME, datetime.time(1, tzinfo=datetime.timezone.utc)), (K.TIMESTAMP, aware),
             (K.INT32, None)]
    for kind, value in cases:
        schema = Schema("tw", [("a", kind)])

        def write(codec: ModuleType) -> Any:
            plan = codec.WritePlan(schema.schema_id, schema.fix_sized_fields_length, schema.var_sized_field_count,
                                   schema.plan_fields(["a"]))
            obj = Plain()
            obj.a = value
            fast = codec.DataCodec({Plain: plan}, {}, None, DataLike, None, None)
            return [outcome(lambda: plan.to_data(obj)), outcome(lambda: fast.to_data(obj))]

        assert both(codec_pair, write) == ("ok", [["error", "HazelcastSerializationError"]] * 2), (kind, value)
