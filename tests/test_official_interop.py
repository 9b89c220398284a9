"""Byte compatibility with the OFFICIAL hazelcast-python-client 5.7.0, in both directions, on both backends.

The official client runs in its own venv (``.venv-official``, installed by ``scripts/setup_official_client.sh``,
which ``scripts/test.sh`` runs) through ``tests/official/driver.py``. The corpus (``tests/official/corpus.py``)
covers every field kind, nulls, empty arrays, non-ASCII strings, the 255/65535 offset-width thresholds, nested
records and arrays of records.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, Dict, List, Optional

import pytest

from hazelcast.serialization import (
    CompactSerializer,
    FieldKind,
    GenericRecord,
    GenericRecordBuilder,
    Schema,
    SerializationService,
)
from official import corpus  # tests/ is on sys.path (rootdir conftest, no tests/__init__.py)

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_PYTHON = ROOT / ".venv-official" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
DRIVER = ROOT / "tests" / "official" / "driver.py"
ALL = list(range(len(corpus.CORPUS)))


def run_official(request: Dict[str, Any]) -> Dict[str, Any]:
    """One run of the driver in the official client's venv (never imported here: it is also called hazelcast)."""
    if not OFFICIAL_PYTHON.exists():
        pytest.fail(f"{OFFICIAL_PYTHON} is missing: run scripts/setup_official_client.sh (scripts/test.sh does)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([str(OFFICIAL_PYTHON), "-E", "-s", str(DRIVER)], input=json.dumps(request),
                          capture_output=True, text=True, timeout=300, env=env, cwd=str(DRIVER.parent))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def official() -> Dict[str, Dict[str, Any]]:
    """What the official client writes for the whole corpus, with fields in corpus order and in name order."""
    return {order: run_official({"order": order, "encode": ALL}) for order in ("declared", "sorted")}


# -- our side of the corpus ----------------------------------------------------------------------------------------

CLASSES = {name: type(name.replace(".", "_"), (), {"type_name": name}) for name in corpus.TYPES}


class CorpusSerializer(CompactSerializer):
    """Our CompactSerializer for a corpus type: the same calls, in the same order, as the driver's."""

    def __init__(self, type_name: str) -> None:
        self._type_name = type_name
        self._fields = corpus.TYPES[type_name]

    def read(self, reader: Any) -> Any:
        obj = CLASSES[self._type_name]()
        for name, kind in self._fields:
            setattr(obj, name, getattr(reader, "read_" + corpus.KIND_NAMES[kind].lower())(name))
        return obj

    def write(self, writer: Any, obj: Any) -> None:
        for name, kind in self._fields:
            getattr(writer, "write_" + corpus.KIND_NAMES[kind].lower())(name, getattr(obj, name))

    def get_class(self) -> type:
        return CLASSES[self._type_name]

    def get_type_name(self) -> str:
        return self._type_name


def to_ours(value: Any) -> Any:
    if isinstance(value, corpus.Rec):
        obj = CLASSES[value.type_name]()
        for name, v in value.fields.items():
            setattr(obj, name, to_ours(v))
        return obj
    if isinstance(value, list):
        return [to_ours(v) for v in value]
    return value


def from_ours(value: Any) -> Any:
    if type(value) in CLASSES.values():
        return corpus.Rec(value.type_name, {n: from_ours(getattr(value, n)) for n, _ in corpus.TYPES[value.type_name]})
    if isinstance(value, GenericRecord):
        return corpus.Rec(value.type_name, {n: from_ours(value._values[value.schema.slot(n)])
                                            for n in value.get_field_names()})
    if isinstance(value, list):
        return [from_ours(v) for v in value]
    if dataclasses.is_dataclass(value):
        name = DATACLASS_NAMES[type(value)]
        return corpus.Rec(name, {n: from_ours(getattr(value, n)) for n, _ in corpus.TYPES[name]})
    return value


def _setter(kind: int) -> str:
    name = corpus.KIND_NAMES[kind].lower()
    return {"compact": "generic_record", "array_of_compact": "array_of_generic_record"}.get(name, name)


def to_record(rec: corpus.Rec) -> GenericRecord:
    builder = GenericRecordBuilder.compact(rec.type_name)
    for name, kind in corpus.TYPES[rec.type_name]:
        value = rec.fields[name]
        if isinstance(value, corpus.Rec):
            value = to_record(value)
        elif isinstance(value, list) and kind == corpus.KINDS["ARRAY_OF_COMPACT"]:
            value = [None if v is None else to_record(v) for v in value]
        getattr(builder, "set_" + _setter(kind))(name, value)
    return builder.build()


def jsons(values: List[Any]) -> List[Any]:
    return [corpus.to_json(v) for v in values]


EXPECTED = jsons(corpus.CORPUS)


def knowing_the_schemas(service: SerializationService) -> SerializationService:
    """Register the corpus schemas, as fetching them from a cluster (Client.FetchSchema) would."""
    for name, fields in corpus.TYPES.items():
        service.schema_service.register(Schema(name, fields))
    return service


@pytest.fixture
def service(codec) -> SerializationService:
    return knowing_the_schemas(
        SerializationService(compact_serializers=[CorpusSerializer(n) for n in corpus.TYPES], codec=codec))


# -- the tests -----------------------------------------------------------------------------------------------------


def test_schema_ids_agree(official):
    ours = {name: Schema(name, fields).schema_id for name, fields in corpus.TYPES.items()}
    assert ours == official["declared"]["schema_ids"] == official["sorted"]["schema_ids"]


def test_we_write_exactly_what_the_official_client_writes(service, official):
    ours = [service.to_data(to_ours(rec)).buffer.hex() for rec in corpus.CORPUS]
    assert ours == official["declared"]["encoded"]


def test_we_read_what_the_official_client_writes(service, official):
    for order in ("declared", "sorted"):
        values = [from_ours(service.to_object(bytes.fromhex(h))) for h in official[order]["encoded"]]
        assert jsons(values) == EXPECTED


def test_the_official_client_reads_what_we_write(service):
    ours = [service.to_data(to_ours(rec)).buffer.hex() for rec in corpus.CORPUS]
    answer = run_official({"decode": ours})
    assert answer["decoded"] == EXPECTED


def test_generic_records_match_the_official_bytes(codec, official):
    service = knowing_the_schemas(SerializationService(codec=codec))  # no classes: everything is a GenericRecord
    records = [to_record(rec) for rec in corpus.CORPUS]
    assert [service.to_data(r).buffer.hex() for r in records] == official["sorted"]["encoded"]
    read = [service.to_object(bytes.fromhex(h)) for h in official["declared"]["encoded"]]
    assert all(isinstance(r, GenericRecord) for r in read)
    assert [r.schema for r in read] == [r.schema for r in records]
    assert jsons([from_ours(r) for r in read]) == EXPECTED


# zero-config dataclasses with the corpus field order and kinds (Java-style type names)

I32 = Annotated[int, FieldKind.INT32]


@dataclasses.dataclass
class Inner:
    __compact_type_name__ = "interop.Inner"
    x: I32
    label: Optional[str]


@dataclasses.dataclass
class Outer:
    __compact_type_name__ = "interop.Outer"
    inner: Optional[Inner]
    note: Optional[str]
    inners: Optional[List[Optional[Inner]]]
    count: I32


@dataclasses.dataclass
class Fixed:
    __compact_type_name__ = "interop.Fixed"
    flag: bool
    i8: Annotated[int, FieldKind.INT8]
    b0: bool
    i16: Annotated[int, FieldKind.INT16]
    i32: I32
    b1: bool
    i64: int
    f32: Annotated[float, FieldKind.FLOAT32]
    f64: float
    b2: bool
    b3: bool
    b4: bool
    b5: bool
    b6: bool
    b7: bool
    b8: bool


@dataclasses.dataclass
class Nullable:
    __compact_type_name__ = "interop.Nullable"
    nb: Optional[bool]
    n8: Optional[Annotated[int, FieldKind.INT8]]
    n16: Annotated[Optional[int], FieldKind.NULLABLE_INT16]
    n32: Optional[I32]
    n64: Optional[int]
    nf32: Optional[Annotated[float, FieldKind.FLOAT32]]
    nf64: Optional[float]


@dataclasses.dataclass
class Temporal:
    __compact_type_name__ = "interop.Temporal"
    d: Optional[decimal.Decimal]
    t: Optional[datetime.time]
    day: Optional[datetime.date]
    ts: Optional[datetime.datetime]
    tz: Annotated[Optional[datetime.datetime], FieldKind.TIMESTAMP_WITH_TIMEZONE]
    ad: Optional[List[Optional[decimal.Decimal]]]
    at: Optional[List[Optional[datetime.time]]]
    aday: Optional[List[Optional[datetime.date]]]
    ats: Optional[List[Optional[datetime.datetime]]]
    atz: Annotated[Optional[List[Optional[datetime.datetime]]], FieldKind.ARRAY_OF_TIMESTAMP_WITH_TIMEZONE]


DATACLASSES = {"interop.Inner": Inner, "interop.Outer": Outer, "interop.Fixed": Fixed, "interop.Nullable": Nullable,
               "interop.Temporal": Temporal}
DATACLASS_NAMES = {cls: name for name, cls in DATACLASSES.items()}


def to_dataclass(value: Any) -> Any:
    if isinstance(value, corpus.Rec):
        return DATACLASSES[value.type_name](**{k: to_dataclass(v) for k, v in value.fields.items()})
    if isinstance(value, list):
        return [to_dataclass(v) for v in value]
    return value


def test_zero_config_dataclasses_match_the_official_bytes(codec, official):
    service = knowing_the_schemas(SerializationService(compact_serializers=list(DATACLASSES.values()), codec=codec))
    for index, rec in enumerate(corpus.CORPUS):
        if rec.type_name not in DATACLASSES:
            continue
        obj = to_dataclass(rec)
        assert service.to_data(obj).buffer.hex() == official["declared"]["encoded"][index], rec
        read = service.to_object(bytes.fromhex(official["declared"]["encoded"][index]))
        assert type(read) is type(obj)
        assert corpus.to_json(from_ours(read)) == EXPECTED[index]


def test_the_driver_runs_in_the_official_venv():
    # the interop tests are meaningless if the driver imported this repository's package by accident
    assert Path(sys.prefix).resolve() != OFFICIAL_PYTHON.parent.parent.resolve()
    code = "import hazelcast, json; print(json.dumps(hazelcast.__file__))"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([str(OFFICIAL_PYTHON), "-E", "-s", "-c", code], capture_output=True, text=True,
                          cwd=str(DRIVER.parent), env=env, timeout=60)
    assert Path(json.loads(done.stdout)).resolve().is_relative_to(OFFICIAL_PYTHON.parent.parent.resolve())
