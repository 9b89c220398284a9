"""Built-in parameter codecs (lists, entry lists, maps, the partition table layout) on both backends."""

from __future__ import annotations

import struct
import uuid

import pytest

from hazelcast.errors import ProtocolError
from hazelcast.protocol.codecs import builtin as b

U1 = uuid.UUID(int=(1 << 64) | 2)
U2 = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")


def roundtrip(framing, encode, decode, value):
    m = framing.ClientMessage.create_request(1)
    encode(m, value)
    m.append_string("sentinel")
    (back,) = framing.MessageReader().feed(m.to_bytes())
    back.skip_frame()
    out = decode(back)
    assert back.read_string() == "sentinel"
    return out


@pytest.mark.parametrize(
    "encode,decode,value",
    [
        (b.encode_int32_list, b.decode_int32_list, [1, -2, 2**31 - 1]),
        (b.encode_int32_list, b.decode_int32_list, []),
        (b.encode_int64_list, b.decode_int64_list, [-(2**63), 5]),
        (b.encode_uuid_list, b.decode_uuid_list, [U1, None, U2]),
        (b.encode_uuid_int64_entry_list, b.decode_uuid_int64_entry_list, [(U1, 7), (U2, -1)]),
        (b.encode_string_list, b.decode_string_list, ["a", "", "ü"]),
        (b.encode_data_list, b.decode_data_list, [b"\x00\x01", b""]),
        (b.encode_data_entry_list, b.decode_data_entry_list, [(b"k1", b"v1"), (b"k2", b"v2")]),
        (b.encode_string_map, b.decode_string_map, {"clusterVersion": "5.7", "x": ""}),
        (b.encode_uuid_int32_list_entry_list, b.decode_uuid_int32_list_entry_list, [(U1, [0, 1, 2]), (U2, [3])]),
    ],
)
def test_round_trips(framing, encode, decode, value):
    assert roundtrip(framing, encode, decode, value) == value


def test_nullable_lists(framing):
    enc = lambda m, v: b.encode_nullable_list(m, v, lambda mm, s: mm.append_string(s))  # noqa: E731
    dec = lambda m: b.decode_nullable_list(m, lambda mm: mm.read_string())  # noqa: E731
    assert roundtrip(framing, enc, dec, None) is None
    assert roundtrip(framing, enc, dec, ["x"]) == ["x"]


def test_nullable_data_items(framing):
    def enc(m, values):
        m.append_begin()
        for v in values:
            m.append_nullable_data(v)
        m.append_end()

    assert roundtrip(framing, enc, b.decode_nullable_data_list, [b"a", None]) == [b"a", None]


def test_uuid_bytes():
    assert b.uuid_to_bytes(None) == b"\x01" + bytes(16)
    assert b.uuid_to_bytes(U1) == b"\x00" + struct.pack("<QQ", 1, 2)


def test_partition_table_wire_layout(framing):
    m = framing.ClientMessage.create_request(1)
    b.encode_uuid_int32_list_entry_list(m, [(U1, [5])])
    flags = [f.flags & ~0x2000 for f in m.frames[1:]]
    assert flags == [0x1000, 0, 0x0800, 0]  # BEGIN, values, END, then the keys frame after END
    assert m.frames[-1].content == b.uuid_to_bytes(U1)


@pytest.mark.parametrize("decode,content", [(b.decode_int32_list, b"\x01\x02\x03"),
                                            (b.decode_int64_list, b"\x00" * 9),
                                            (b.decode_uuid_list, b"\x00" * 18),
                                            (b.decode_uuid_int64_entry_list, b"\x00" * 24)])
def test_ragged_fixed_lists_are_rejected(framing, decode, content):
    m = framing.ClientMessage.create_request(1)
    m.append_frame(content)
    m.skip_frame()
    with pytest.raises(ProtocolError, match="whole number"):
        decode(m)


def test_unterminated_lists_are_rejected(framing):
    for decode in (b.decode_string_list, b.decode_data_entry_list):
        m = framing.ClientMessage.create_request(1)
        m.append_begin()
        m.append_string("a")
        m.append_string("b")
        m.skip_frame()
        with pytest.raises(ProtocolError):
            decode(m)


def test_partition_table_key_count_mismatch(framing):
    m = framing.ClientMessage.create_request(1)
    m.append_begin()
    b.encode_int32_list(m, [1])
    m.append_end()
    b.encode_uuid_list(m, [U1, U2])
    m.skip_frame()
    with pytest.raises(ProtocolError, match="2 keys for 1"):
        b.decode_uuid_int32_list_entry_list(m)


def test_initial_frame_and_has_fixed(framing):
    m = framing.ClientMessage.create_request(0x42, 3, 4)
    m.set_int32(16, 9)
    m.append_string("x")
    m.skip_frame()
    content = b.initial_frame(m)
    assert struct.unpack_from("<i", content, 16)[0] == 9
    assert b.has_fixed(content, 16, 4) and not b.has_fixed(content, 17, 4)
    assert m.read_string() == "x"


def _response(framing, fixed=b"", *frames):
    msg = framing.ClientMessage()
    msg.append_frame(struct.pack("<iqB", 0x10101, 9, 0) + fixed, 0xC000)
    for flags, content in frames:
        msg.append_frame(content, flags)
    (back,) = framing.MessageReader().feed(msg.to_bytes())
    return back


def test_fixed_response_helpers(framing):
    assert b.decode_bool_response(_response(framing, b"\x01")) is True
    assert b.decode_bool_response(_response(framing, b"\x00\x01")) is False
    assert b.decode_int32_response(_response(framing, struct.pack("<i", -7))) == -7
    assert b.decode_uuid_response(_response(framing, b.uuid_to_bytes(U2))) == U2
    assert b.decode_uuid_response(_response(framing, b.uuid_to_bytes(None))) is None
    for decode in (b.decode_bool_response, b.decode_int32_response, b.decode_uuid_response):
        with pytest.raises(ProtocolError):
            decode(_response(framing))


def test_nullable_data_response_helper(framing):
    msg = _response(framing, b"", (0, b"\x01\x02"), (0, b"later"))
    msg.next_frame()  # the helper resets the cursor itself
    assert b.decode_nullable_data_response(msg) == b"\x01\x02"
    assert b.decode_nullable_data_response(_response(framing, b"", (0x0400, b""))) is None
    with pytest.raises(ProtocolError):
        b.decode_nullable_data_response(_response(framing))


def test_skip_initial_frame(framing):
    msg = _response(framing, b"", (0, b"x"))
    msg.next_frame()
    msg.next_frame()
    b.skip_initial_frame(msg)
    assert msg.read_bytes() == b"x"
