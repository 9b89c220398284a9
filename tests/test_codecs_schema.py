"""Schema distribution codecs (``codecs.schema``) on both backends, checked against ``Client.yaml`` (SendSchema 19,
FetchSchema 20, SendAllSchemas 21, since 2.5, retryable) and ``custom/Custom.yaml`` (Schema, FieldDescriptor)."""

from __future__ import annotations

import enum
import inspect
import struct
from dataclasses import dataclass
from typing import List

import pytest

from hazelcast.errors import ProtocolError
from hazelcast.protocol.codecs import schema as sc
from _wire import (
    BEGIN,
    END,
    NULL,
    U1,
    U2,
    codecs,  # noqa: F401  (fixture)
    expected_request,
    parse_frames,
    response,
    schema_frames,
    snake,
    uuid_bytes,
)

SERVICE = 0
CLIENT_YAML = {
    "sendSchema": (19, True, [("schema", "Schema")]),
    "fetchSchema": (20, True, [("schemaId", "long")]),
    "sendAllSchemas": (21, True, [("schemas", "List_Schema")]),
}


class Kind(enum.IntEnum):
    BOOLEAN = 0
    INT32 = 8
    STRING = 14
    NULLABLE_INT64 = 33


@dataclass
class Field:
    name: str
    kind: int


@dataclass
class Schema:
    type_name: str
    fields: List[Field]


STUDENT = Schema(
    "student",
    [Field("active", Kind.BOOLEAN), Field("age", Kind.INT32), Field("name", 14), Field("score", Kind.NULLABLE_INT64)],
)
EMPTY = Schema("com.acme.Empty", [])
SAMPLE = {"schema": STUDENT, "schemaId": 3129399882107939709, "schemas": [STUDENT, EMPTY]}
STUDENT_DESC = sc.SchemaDescription("student", (("active", 0), ("age", 8), ("name", 14), ("score", 33)))


@pytest.mark.parametrize("method", sorted(CLIENT_YAML))
def test_request_layout_matches_yaml(codecs, method):
    method_id, retryable, params = CLIENT_YAML[method]
    encode = getattr(sc, f"encode_{snake(method)}_request")
    assert list(inspect.signature(encode).parameters) == [snake(n) for n, _ in params]
    msg = encode(**{snake(n): SAMPLE[n] for n, _ in params})
    assert isinstance(msg, codecs.ClientMessage)
    assert msg.retryable is retryable and msg.partition_id == -1
    assert parse_frames(msg.to_bytes()) == expected_request(SERVICE, method_id, params, SAMPLE)


def test_schema_wire_layout_spelled_out(codecs):
    frames = parse_frames(sc.encode_send_schema_request(Schema("t", [Field("x", 5)])).to_bytes())
    assert frames[1:] == [
        (BEGIN, b""),  # Schema
        (0, b"t"),  # typeName
        (BEGIN, b""),  # List_FieldDescriptor
        (BEGIN, b""),  # FieldDescriptor
        (0, b"\x05\x00\x00\x00"),  # its initial frame: kind
        (0, b"x"),  # fieldName
        (END, b""),
        (END, b""),
        (END | 0x2000, b""),
    ]
    content = frames[0][1]
    assert len(content) == 16 and struct.unpack("<i", content[:4])[0] == 0x001300


def test_fetch_schema_negative_id(codecs):
    content = parse_frames(sc.encode_fetch_schema_request(-(2**63)).to_bytes())[0][1]
    assert len(content) == 24 and content[16:] == struct.pack("<q", -(2**63))


def test_send_schema_response(framing):
    msg = response(framing, 0x001301, b"", (0, uuid_bytes(U1) + uuid_bytes(None) + uuid_bytes(U2)))
    assert sc.decode_send_schema_response(msg) == {U1, U2}
    assert sc.decode_send_schema_response(response(framing, 0x001301, b"\x00", (0, b""), (0, b"later"))) == set()
    with pytest.raises(ProtocolError):  # ragged Set_UUID
        sc.decode_send_schema_response(response(framing, 0x001301, b"", (0, uuid_bytes(U1) + b"\x00")))
    with pytest.raises(ProtocolError):  # the set frame is missing
        sc.decode_send_schema_response(response(framing, 0x001301))


def test_fetch_schema_response(framing):
    assert sc.decode_fetch_schema_response(response(framing, 0x001401, b"", *schema_frames(STUDENT))) == STUDENT_DESC
    assert sc.decode_fetch_schema_response(response(framing, 0x001401, b"", (NULL, b""))) is None
    assert sc.decode_fetch_schema_response(response(framing, 0x001401, b"", *schema_frames(EMPTY))) == (
        sc.SchemaDescription("com.acme.Empty", ())
    )
    with pytest.raises(ProtocolError):
        sc.decode_fetch_schema_response(response(framing, 0x001401))


def test_schema_decoders_skip_later_fields(framing):
    """Fields added in later versions (extra fixed bytes, extra var frames, nested structures) are skipped."""
    frames = [
        (BEGIN, b""),
        (0, b"evolved"),
        (BEGIN, b""),
        (BEGIN, b""),
        (0, struct.pack("<ii", 8, 99)),  # kind plus a later fixed field
        (0, b"age"),
        (0, b"a later var field"),
        (BEGIN, b""),
        (0, b"nested"),
        (END, b""),
        (END, b""),
        (END, b""),
        (0, b"a later Schema field"),
        (END, b""),
        (0, b"a later response param"),
    ]
    msg = response(framing, 0x001401, b"\x00" * 4, *frames)
    assert sc.decode_fetch_schema_response(msg) == sc.SchemaDescription("evolved", (("age", 8),))


@pytest.mark.parametrize(
    "frames",
    [
        [(BEGIN, b""), (0, b"t"), (BEGIN, b""), (BEGIN, b""), (END, b""), (END, b""), (END, b"")],  # no kind frame
        [(BEGIN, b""), (0, b"t"), (BEGIN, b""), (BEGIN, b""), (0, b"\x01\x00\x00"), (0, b"x"), (END, b"")],  # short
        [(BEGIN, b""), (0, b"t"), (BEGIN, b""), (BEGIN, b""), (0, b"\x01\x00\x00\x00"), (0, b"x")],  # unterminated
        # the FieldDescriptor's BEGIN is missing
        [(BEGIN, b""), (0, b"t"), (BEGIN, b""), (0, b"\x01\x00\x00\x00"), (0, b"x"), (END, b""), (END, b"")],
        [(BEGIN, b""), (0, b"t")],  # fields missing
        [(0, b"t"), (BEGIN, b""), (END, b""), (END, b"")],  # Schema BEGIN missing
        [(BEGIN, b""), (0, b"\xff"), (BEGIN, b""), (END, b""), (END, b"")],  # typeName not UTF-8
    ],
)
def test_malformed_schemas(framing, frames):
    with pytest.raises(ProtocolError):
        sc.decode_fetch_schema_response(response(framing, 0x001401, b"", *frames))


def test_custom_codecs_round_trip(codecs):
    msg = codecs.ClientMessage.create_request(1)
    sc.encode_schema(msg, STUDENT)
    sc.encode_field_descriptor(msg, Field("z", Kind.STRING))
    (back,) = codecs.MessageReader().feed(msg.to_bytes())
    back.skip_frame()
    assert sc.decode_schema(back) == STUDENT_DESC
    assert sc.decode_field_descriptor(back) == ("z", 14)
    assert not back.has_next_frame()


def test_schema_description_is_frozen():
    with pytest.raises(AttributeError):
        STUDENT_DESC.type_name = "x"  # type: ignore[misc]
    assert hash(STUDENT_DESC) == hash(sc.SchemaDescription("student", STUDENT_DESC.fields))
