"""Drives the OFFICIAL hazelcast-python-client 5.7.0 offline (no member): encodes and decodes the interop corpus.

Run with the official client's interpreter (``.venv-official/bin/python -E -s tests/official/driver.py``); it must
never run in our venv, since both packages are named ``hazelcast``. Reads a JSON request on stdin and writes a JSON
answer on stdout:

    request:  {"order": "declared" | "sorted", "encode": [corpus indexes], "decode": [hex Data]}
    answer:   {"schema_ids": {type name: id}, "encoded": [hex Data], "decoded": [to_json(value) or {"$error": ...}]}

``order`` is the order in which the official serializers write the fields (the corpus order, or sorted by name as a
GenericRecord writes them), so that byte-for-byte comparisons are meaningful.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import corpus  # noqa: E402  (the shared corpus, next to this file)
from hazelcast.config import Config  # noqa: E402
from hazelcast.serialization.api import CompactSerializer, FieldKind  # noqa: E402
from hazelcast.serialization.compact import FieldDescriptor, Schema, SchemaNotReplicatedError  # noqa: E402
from hazelcast.serialization.data import Data  # noqa: E402
from hazelcast.serialization.service import SerializationServiceV1  # noqa: E402

CLASSES = {name: type(name.replace(".", "_"), (), {"type_name": name}) for name in corpus.TYPES}


class CorpusSerializer(CompactSerializer):
    """Writes and reads one corpus type with the official writer/reader methods, field by field."""

    def __init__(self, type_name, fields):
        self._type_name = type_name
        self._fields = fields
        self._cls = CLASSES[type_name]

    def read(self, reader):
        obj = self._cls()
        for name, kind in self._fields:
            setattr(obj, name, getattr(reader, "read_" + corpus.KIND_NAMES[kind].lower())(name))
        return obj

    def write(self, writer, obj):
        for name, kind in self._fields:
            getattr(writer, "write_" + corpus.KIND_NAMES[kind].lower())(name, getattr(obj, name))

    def get_class(self):
        return self._cls

    def get_type_name(self):
        return self._type_name


def to_official(value):
    if isinstance(value, corpus.Rec):
        obj = CLASSES[value.type_name]()
        for name, v in value.fields.items():
            setattr(obj, name, to_official(v))
        return obj
    if isinstance(value, list):
        return [to_official(v) for v in value]
    return value


def from_official(value):
    if type(value) in CLASSES.values():
        fields = {name: from_official(getattr(value, name)) for name, _ in corpus.TYPES[value.type_name]}
        return corpus.Rec(value.type_name, fields)
    if isinstance(value, (list, bytearray)):
        return [from_official(v) for v in value]
    return value


def main():
    request = json.load(sys.stdin)
    sort = request.get("order") == "sorted"
    serializers = []
    for name, fields in corpus.TYPES.items():
        serializers.append(CorpusSerializer(name, sorted(fields) if sort else fields))
    config = Config()
    config.compact_serializers = serializers
    service = SerializationServiceV1(config)
    compact = service.compact_stream_serializer
    schemas = {name: Schema(name, [FieldDescriptor(n, FieldKind(k)) for n, k in fields])
               for name, fields in corpus.TYPES.items()}
    for schema in schemas.values():
        compact.register_schema_to_id(schema)  # what FetchSchema would do: the official client can read our data
    answer = {"schema_ids": {name: schema.schema_id for name, schema in schemas.items()}, "encoded": [], "decoded": []}
    for index in request.get("encode", []):
        obj = to_official(corpus.CORPUS[index])
        for _ in range(20):
            try:
                data = service.to_data(obj)
                break
            except SchemaNotReplicatedError as e:  # offline: accept the schema locally, as after SendSchema
                compact.register_schema_to_type(e.schema, e.clazz)
        answer["encoded"].append(bytes(data.buffer).hex())
    for hex_data in request.get("decode", []):
        try:
            answer["decoded"].append(corpus.to_json(from_official(service.to_object(Data(bytes.fromhex(hex_data))))))
        except Exception as e:  # reported to the test, which fails on it
            answer["decoded"].append({"$error": repr(e)})
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
