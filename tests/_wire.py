"""Test helpers for the service codecs: an independent model of the wire layout, derived from the protocol YAML.

Nothing here uses the codecs under test. Request expectations are computed from a transcription of the
protocol-definitions YAML (service id, method id, ``retryable``, parameters in declaration order with their types):
fixed-size parameters are packed with :mod:`struct` after the 16-byte request header, in declaration order, and
var-sized ones become the expected frames. Responses and events are built by hand with the backend's
``ClientMessage`` and passed through its ``MessageReader``, as if they came from a socket.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import struct
import uuid
from typing import Any, Dict, List, Sequence, Tuple

import pytest

import hazelcast.protocol.codecs

UNFRAGMENTED = 0xC000
IS_FINAL = 0x2000
BEGIN = 0x1000
END = 0x0800
NULL = 0x0400
IS_EVENT = 0x0200
BACKUP_EVENT = 0x0080

FIXED_SIZES = {"byte": 1, "boolean": 1, "int": 4, "long": 8, "UUID": 17}

Frames = List[Tuple[int, bytes]]


@pytest.fixture
def codecs(framing: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make every codec module build its requests with the ``framing`` fixture's backend."""
    package = hazelcast.protocol.codecs
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "_create_request"):
            monkeypatch.setattr(module, "_create_request", framing.ClientMessage.create_request)
        if hasattr(module, "_create_keyed"):
            monkeypatch.setattr(module, "_create_keyed", framing.ClientMessage.create_keyed_request)
    return framing


def snake(name: str) -> str:
    """The Python parameter name of a YAML parameter name (``threadId`` -> ``thread_id``)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def pack_fixed(kind: str, value: Any) -> bytes:
    """The little-endian fixed-size encoding of a YAML fixed-size type."""
    if kind == "boolean":
        return b"\x01" if value else b"\x00"
    if kind == "byte":
        return struct.pack("<b", value)
    if kind == "int":
        return struct.pack("<i", value)
    if kind == "long":
        return struct.pack("<q", value)
    if kind == "UUID":
        if value is None:
            return b"\x01" + bytes(16)
        msb, lsb = value.int >> 64, value.int & ((1 << 64) - 1)
        return b"\x00" + struct.pack("<qq", _signed(msb), _signed(lsb))
    raise AssertionError(kind)


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def var_frames(kind: str, value: Any) -> Frames:
    """The frames of a var-sized YAML type."""
    if kind == "String":
        return [(0, value.encode("utf-8"))]
    if kind == "Data":
        return [(0, bytes(value))]
    if kind == "List_Data":
        return [(BEGIN, b"")] + [(0, bytes(v)) for v in value] + [(END, b"")]
    if kind == "EntryList_Data_Data":
        out: Frames = [(BEGIN, b"")]
        for k, v in value:
            out += [(0, bytes(k)), (0, bytes(v))]
        return out + [(END, b"")]
    if kind == "Schema":
        return schema_frames(value)
    if kind == "List_Schema":
        out = [(BEGIN, b"")]
        for s in value:
            out += schema_frames(s)
        return out + [(END, b"")]
    raise AssertionError(kind)


def schema_frames(s: Any) -> Frames:
    """``Schema`` per custom/Custom.yaml: no fixed fields; var typeName, List_FieldDescriptor. ``FieldDescriptor``:
    fixed kind:int; var fieldName."""
    out: Frames = [(BEGIN, b""), (0, s.type_name.encode())]
    out.append((BEGIN, b""))
    for f in s.fields:
        out += [(BEGIN, b""), (0, struct.pack("<i", int(f.kind))), (0, f.name.encode()), (END, b"")]
    out.append((END, b""))
    out.append((END, b""))
    return out


def expected_request(service: int, method: int, params: Sequence[Tuple[str, str]], values: Dict[str, Any]) -> Frames:
    """The frames of a request from its YAML definition: initial frame (type, correlation id 0, partition -1,
    fixed params in declaration order), then the var-sized params in declaration order; IS_FINAL on the last."""
    message_type = (service << 16) | (method << 8)
    initial = struct.pack("<iqi", message_type, 0, -1)
    frames: Frames = []
    for name, kind in params:
        if kind in FIXED_SIZES:
            packed = pack_fixed(kind, values[name])
            assert len(packed) == FIXED_SIZES[kind]
            initial += packed
        else:
            frames += var_frames(kind, values[name])
    frames.insert(0, (UNFRAGMENTED, initial))
    flags, content = frames[-1]
    frames[-1] = (flags | IS_FINAL, content)
    return frames


def parse_frames(raw: bytes) -> Frames:
    """Split encoded bytes into (flags, content) frames, checking every length."""
    out: Frames = []
    pos = 0
    while pos < len(raw):
        length, flags = struct.unpack_from("<iH", raw, pos)
        assert length >= 6 and pos + length <= len(raw)
        out.append((flags, raw[pos + 6 : pos + length]))
        pos += length
    assert pos == len(raw)
    return out


def build(framing: Any, frames: Frames) -> Any:
    """An inbound message made of ``frames`` (the last gets IS_FINAL), read back through the backend's reader."""
    msg = framing.ClientMessage()
    for flags, content in frames:
        msg.append_frame(content, flags)
    (back,) = framing.MessageReader().feed(msg.to_bytes())
    return back


def response(framing: Any, message_type: int, fixed: bytes = b"", *frames: Tuple[int, bytes], acks: int = 0) -> Any:
    """A response: the 13-byte header (type, correlation id, backup acks), ``fixed``, then ``frames``."""
    header = struct.pack("<iqB", message_type, 0x1234, acks)
    return build(framing, [(UNFRAGMENTED, header + fixed), *frames])


def event(framing: Any, message_type: int, fixed: bytes, *frames: Tuple[int, bytes], flag: int = IS_EVENT) -> Any:
    """An event: the 16-byte header (type, correlation id, partition id), ``fixed``, then ``frames``."""
    header = struct.pack("<iqi", message_type, 0x1234, 17)
    return build(framing, [(UNFRAGMENTED | flag, header + fixed), *frames])


def uuid_bytes(u: Any) -> bytes:
    return pack_fixed("UUID", u)


U1 = uuid.UUID(int=(1 << 64) | 2)
U2 = uuid.UUID("f2345678-9abc-def0-8234-56789abcdef0")  # both halves negative as Java longs
