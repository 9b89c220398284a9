"""Client-protocol framing on both backends: messages, the stream reader, fragments, limits and the checksum."""

from __future__ import annotations

import struct
import uuid

import pytest

from hazelcast.errors import ProtocolError

# Appendix A of docs/protocol.md -------------------------------------------------------------------------------------

A2_AUTH = bytes.fromhex(
    "2a000000" "00c0" "00010000" "0100000000000000" "ffffffff"
    "00" "0100000000000000" "0200000000000000" "01" "01" "00"
    "09000000" "0000" "646576"
    "06000000" "0004"
    "06000000" "0004"
    "09000000" "0000" "505948"
    "0b000000" "0000" "352e372e30"
    "11000000" "0000" "687a2e636c69656e745f30"
    "06000000" "0010"
    "06000000" "0028"
)
A3_PUT = bytes.fromhex(
    "26000000" "00c0" "00010100" "1502000000000000" "11010000" "f1fb090000000000" "1027000000000000"
    "09000000" "0000" "6d6170"
    "16000000" "0000" "00000000fffffff5000000046b657931"
    "12000000" "0020" "00000000fffffff900000036"
)
A4_PING = bytes.fromhex("16000000" "00e0" "000b0000" "0700000000000000" "ffffffff")


def build_auth(framing):
    m = framing.ClientMessage.create_request(0x000100, -1, 20)
    m.correlation_id = 1
    m.set_uuid(16, uuid.UUID(int=(1 << 64) | 2))
    m.set_uint8(33, 1)
    m.set_int8(34, 1)
    m.set_bool(35, False)
    m.append_string("dev")
    m.append_nullable_string(None)
    m.append_nullable_bytes(None)
    m.append_string("PYH")
    m.append_string("5.7.0")
    m.append_string("hz.client_0")
    m.append_begin()
    m.append_end()
    return m


def build_put(framing):
    m = framing.ClientMessage.create_request(0x010100, 0x111, 16)
    m.correlation_id = 0x215
    m.set_int64(16, 654321)
    m.set_int64(24, 10000)
    m.append_string("map")
    m.append_data(bytes.fromhex("00000000fffffff5000000046b657931"))
    m.append_data(bytes.fromhex("00000000fffffff900000036"))
    return m


@pytest.mark.parametrize("builder,expected", [(build_auth, A2_AUTH), (build_put, A3_PUT)])
def test_vectors_encode_byte_for_byte(framing, builder, expected):
    assert builder(framing).to_bytes() == expected


def test_ping_vector(framing):
    m = framing.ClientMessage.create_request(0x000B00)
    m.correlation_id = 7
    assert m.to_bytes() == A4_PING
    assert m.flags == framing.UNFRAGMENTED_MESSAGE | framing.IS_FINAL_FLAG
    assert m.to_bytes() == A4_PING


@pytest.mark.parametrize("vector", [A2_AUTH, A3_PUT, A4_PING])
def test_vectors_decode_at_every_split_point(framing, vector):
    for split in range(len(vector) + 1):
        reader = framing.MessageReader()
        msgs = reader.feed(vector[:split]) + reader.feed(vector[split:])
        assert len(msgs) == 1
        assert msgs[0].to_bytes() == vector
        assert reader.buffered_bytes == 0


def test_decode_auth_fields(framing):
    (msg,) = framing.MessageReader().feed(A2_AUTH)
    assert msg.message_type == 0x100
    assert msg.correlation_id == 1
    assert msg.partition_id == -1
    assert msg.frame_count == 9
    initial = msg.next_frame()
    assert framing.read_uuid(initial.content, 16) == uuid.UUID(int=(1 << 64) | 2)
    assert framing.read_uint8(initial.content, 33) == 1
    assert framing.read_int8(initial.content, 34) == 1
    assert framing.read_bool(initial.content, 35) is False
    assert msg.read_string() == "dev"
    assert msg.read_nullable_string() is None
    assert msg.read_nullable_bytes() is None
    assert msg.read_string() == "PYH"
    assert msg.read_string() == "5.7.0"
    assert msg.read_string() == "hz.client_0"
    msg.read_begin()
    assert msg.next_is_end()
    msg.read_end()
    assert not msg.has_next_frame()
    assert msg.peek_flags() == -1
    with pytest.raises(ProtocolError):
        msg.next_frame()


def test_decode_put_fields(framing):
    (msg,) = framing.MessageReader().feed(A3_PUT)
    assert (msg.message_type, msg.correlation_id, msg.partition_id) == (0x010100, 0x215, 0x111)
    initial = msg.next_frame()
    assert framing.read_int64(initial.content, 16) == 654321
    assert framing.read_int64(initial.content, 24) == 10000
    assert msg.read_string() == "map"
    assert msg.read_data() == bytes.fromhex("00000000fffffff5000000046b657931")
    assert msg.read_nullable_data() == bytes.fromhex("00000000fffffff900000036")


def test_many_messages_fed_one_byte_at_a_time(framing):
    stream = A2_AUTH + A4_PING + A3_PUT + A4_PING
    reader = framing.MessageReader()
    out = []
    for i in range(len(stream)):
        out.extend(reader.feed(stream[i : i + 1]))
    assert [m.to_bytes() for m in out] == [A2_AUTH, A4_PING, A3_PUT, A4_PING]


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_reader_accepts_any_buffer(framing, kind):
    (msg,) = framing.MessageReader().feed(kind(A4_PING))
    assert msg.correlation_id == 7


def test_reader_rejects_non_buffers(framing):
    with pytest.raises(TypeError):
        framing.MessageReader().feed("text")
    with pytest.raises(TypeError):
        framing.MessageReader().feed(memoryview(A4_PING * 2)[::2])


@pytest.mark.parametrize("length", [-1, 0, 5, -(2**31)])
def test_frame_shorter_than_header_is_rejected(framing, length):
    reader = framing.MessageReader()
    with pytest.raises(ProtocolError, match="at least 6"):
        reader.feed(struct.pack("<iH", length, 0x2000))
    with pytest.raises(ProtocolError, match="earlier error"):
        reader.feed(A4_PING)


def test_oversized_frame_rejected_before_its_content_arrives(framing):
    reader = framing.MessageReader(max_message_size=1024)
    with pytest.raises(ProtocolError, match="max_message_size"):
        reader.feed(struct.pack("<iH", 0x7FFFFFFF, 0))
    assert reader.buffered_bytes <= 6


def test_message_size_counts_all_frames(framing):
    reader = framing.MessageReader(max_message_size=30)
    frame = struct.pack("<iH", 16, 0xC000) + bytes(10)
    assert reader.feed(frame) == []
    with pytest.raises(ProtocolError):
        reader.feed(frame)


def test_message_of_exactly_max_size_is_accepted(framing):
    reader = framing.MessageReader(max_message_size=len(A4_PING))
    assert len(reader.feed(A4_PING + A4_PING)) == 2
    assert framing.MessageReader(max_message_size=len(A4_PING)).max_message_size == len(A4_PING)


@pytest.mark.parametrize("bad,exc", [(5, ValueError), (-1, ValueError), (1 << 63, ValueError), ("x", TypeError),
                                     (True, TypeError), (1.5, TypeError)])
def test_max_message_size_validated(framing, bad, exc):
    with pytest.raises(exc):
        framing.MessageReader(max_message_size=bad)


def test_default_max_message_size_is_generous(framing):
    assert framing.MessageReader().max_message_size == framing.DEFAULT_MAX_MESSAGE_SIZE == 256 * 1024 * 1024


def test_partial_message_is_held_until_complete(framing):
    reader = framing.MessageReader()
    assert reader.feed(A3_PUT[:40]) == []
    assert reader.buffered_bytes == 40
    (msg,) = reader.feed(A3_PUT[40:])
    assert msg.to_bytes() == A3_PUT


# fragments ----------------------------------------------------------------------------------------------------------


def fragment(fragment_id: int, flags: int, body: bytes, final_last: bool = True) -> bytes:
    frag_frame = struct.pack("<iHq", 14, flags | (0x2000 if not body else 0), fragment_id)
    return frag_frame + body


def frames(*contents, final=True):
    out = b""
    for i, c in enumerate(contents):
        flags = 0x2000 if final and i == len(contents) - 1 else 0
        out += struct.pack("<iH", 6 + len(c), flags) + c
    return out


def test_fragmented_message_is_reassembled(framing):
    header = struct.pack("<iqi", 0x010200, 99, 5)
    first = fragment(42, 0x8000, frames(header, b"part-a"))
    middle = fragment(42, 0, frames(b"part-b"))
    last = fragment(42, 0x4000, frames(b"part-c", b"tail"))
    stream = first + A4_PING + middle + last
    for split in range(0, len(stream) + 1, 7):
        reader = framing.MessageReader()
        msgs = reader.feed(stream[:split]) + reader.feed(stream[split:])
        assert [m.correlation_id for m in msgs] == [7, 99]
        msg = msgs[1]
        assert msg.message_type == 0x010200
        contents = [f.content for f in msg.frames]
        assert contents == [header, b"part-a", b"part-b", b"part-c", b"tail"]
        finals = [bool(f.flags & 0x2000) for f in msg.frames]
        assert finals == [False, False, False, False, True]
        assert reader.buffered_bytes == 0


@pytest.mark.parametrize("chunk", [None, 65536], ids=["whole", "64KiB-chunks"])
def test_fragment_payload_is_copied_once(framing, chunk):
    """The frames of a fragment go straight from the fed buffer onto the reassembled message: while 2 x 4 MiB of
    fragments are fed, the reader allocates little more than the 8 MiB message (an intermediate copy per fragment
    would add 4 MiB; a fragment buffered whole, then appended, would too)."""
    import tracemalloc

    size = 4 << 20
    header = struct.pack("<iqi", 0x010200, 5, 1)
    stream = fragment(7, 0x8000, frames(header, bytes(size), final=True)) + fragment(
        7, 0x4000, frames(b"\x01" * size))
    pieces = [stream] if chunk is None else [stream[i:i + chunk] for i in range(0, len(stream), chunk)]
    reader = framing.MessageReader()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        msgs = [m for piece in pieces for m in reader.feed(memoryview(piece))]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(msgs) == 1
    assert [len(f.content) for f in msgs[0].frames] == [len(header), size, size]
    assert peak < 2 * size + (1 << 20), f"peak {peak} bytes while reassembling {2 * size} bytes"


def test_buffered_bytes_while_a_fragment_streams_in(framing):
    reader = framing.MessageReader()
    first = fragment(1, 0x8000, frames(bytes(30)))
    assert reader.feed(first[:10]) == [] and reader.buffered_bytes == 10  # inside the fragmentation frame
    assert reader.feed(first[10:-5]) == [] and reader.buffered_bytes == 31  # its frames, without the 14-byte frame
    assert reader.feed(first[-5:]) == [] and reader.buffered_bytes == 50  # a held fragment counts whole
    last = fragment(1, 0x4000, frames(b"x"))
    assert len(reader.feed(last)) == 1 and reader.buffered_bytes == 0


def test_fragment_with_no_frames_in_the_middle(framing):
    reader = framing.MessageReader()
    first = fragment(1, 0x8000, frames(struct.pack("<iqi", 5, 6, 7)))
    empty = fragment(1, 0, b"")
    last = fragment(1, 0x4000, frames(b"x"))
    (msg,) = reader.feed(first + empty + last)
    assert [f.content for f in msg.frames][1:] == [b"x"]
    assert msg.correlation_id == 6


def test_unknown_fragment_id_is_an_error(framing):
    with pytest.raises(ProtocolError, match="unknown fragment"):
        framing.MessageReader().feed(fragment(5, 0, frames(b"x")))


def test_fragment_id_begun_twice_is_an_error(framing):
    reader = framing.MessageReader()
    reader.feed(fragment(5, 0x8000, frames(b"x")))
    with pytest.raises(ProtocolError, match="twice"):
        reader.feed(fragment(5, 0x8000, frames(b"y")))


def test_fragmentation_frame_too_short(framing):
    with pytest.raises(ProtocolError, match="fragment id"):
        framing.MessageReader().feed(struct.pack("<iH", 10, 0x8000 | 0x2000) + b"abcd")


def test_fragmented_message_without_frames(framing):
    reader = framing.MessageReader()
    reader.feed(fragment(3, 0x8000, b""))
    with pytest.raises(ProtocolError, match="no frames"):
        reader.feed(fragment(3, 0x4000, b""))


def test_pending_fragments_count_toward_the_limit(framing):
    reader = framing.MessageReader(max_message_size=100)
    reader.feed(fragment(1, 0x8000, frames(bytes(30))))
    reader.feed(fragment(2, 0x8000, frames(bytes(30))))
    assert reader.buffered_bytes == 100  # two fragments of 14 + 36 bytes each
    with pytest.raises(ProtocolError, match="max_message_size"):
        reader.feed(fragment(3, 0x8000, frames(bytes(30))))


def test_many_empty_fragments_do_not_grow_without_bound(framing):
    reader = framing.MessageReader(max_message_size=14 * 10)
    with pytest.raises(ProtocolError):
        for i in range(1000):
            reader.feed(fragment(i, 0x8000, b""))
    assert reader.buffered_bytes <= 14 * 10


# ClientMessage ----------------------------------------------------------------------------------------------------


def test_header_fields_round_trip(framing):
    m = framing.ClientMessage.create_request(0x123456, 17, 8)
    m.correlation_id = -(2**63)
    m.partition_id = 2**31 - 1
    m.message_type = 5
    assert (m.message_type, m.correlation_id, m.partition_id) == (5, -(2**63), 2**31 - 1)
    m.set_int64(16, 2**63 - 1)
    m.flags = m.flags | framing.BACKUP_AWARE_FLAG
    (back,) = framing.MessageReader().feed(m.to_bytes())
    assert back.flags == framing.UNFRAGMENTED_MESSAGE | framing.BACKUP_AWARE_FLAG | framing.IS_FINAL_FLAG
    assert framing.read_int64(back.next_frame().content, 16) == 2**63 - 1
    assert back.retryable is False
    m.retryable = True
    assert m.retryable is True


def test_initial_frame_field_bounds(framing):
    m = framing.ClientMessage.create_request(1, -1, 0)
    with pytest.raises(ProtocolError):
        m.set_int32(14, 1)
    with pytest.raises(ProtocolError):
        m.set_int64(-1, 1)
    with pytest.raises(ProtocolError):
        m.set_uuid(0, None)
    with pytest.raises(ValueError):
        framing.ClientMessage.create_request(1, -1, -1)


def test_response_fields_and_short_initial_frames(framing):
    m = framing.ClientMessage()
    with pytest.raises(ProtocolError):
        m.flags
    with pytest.raises(ProtocolError):
        m.flags = 0
    with pytest.raises(ProtocolError):
        m.message_type
    with pytest.raises(ProtocolError):
        m.to_bytes()
    m.append_frame(struct.pack("<iqB", 0x101, 9, 2), framing.UNFRAGMENTED_MESSAGE)
    assert m.backup_acks == 2
    assert m.correlation_id == 9
    with pytest.raises(ProtocolError):
        m.partition_id
    assert not m.is_event() and not m.is_backup_event()
    e = framing.ClientMessage()
    e.append_frame(struct.pack("<iqi", 0x302, 9, -1), framing.UNFRAGMENTED_MESSAGE | framing.IS_EVENT_FLAG)
    assert e.is_event()
    e.flags = framing.UNFRAGMENTED_MESSAGE | framing.BACKUP_EVENT_FLAG
    assert e.is_backup_event() and not e.is_event()


def test_uuid_round_trip(framing):
    for value in (None, uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.uuid4()):
        m = framing.ClientMessage.create_request(1, -1, 17)
        m.set_uuid(16, value)
        assert framing.read_uuid(m.next_frame().content, 16) == value


def test_append_and_read_every_kind(framing):
    m = framing.ClientMessage.create_request(7)
    m.append_string("héllo ✓")
    m.append_nullable_string("x")
    m.append_bytes(b"\x00\x01")
    m.append_nullable_data(bytearray(b"\x02"))
    m.append_nullable_data(None)
    m.append_begin()
    m.append_begin()
    m.append_frame(b"inner")
    m.append_end()
    m.append_null()
    m.append_end()
    m.append_frame(memoryview(b"after"))
    (msg,) = framing.MessageReader().feed(m.to_bytes())
    msg.skip_frame()
    assert msg.read_string() == "héllo ✓"
    assert msg.read_nullable_string() == "x"
    assert msg.read_bytes() == b"\x00\x01"
    assert msg.read_nullable_bytes() == b"\x02"
    assert msg.read_nullable_data() is None
    assert msg.peek_flags() & framing.BEGIN_DATA_STRUCTURE_FLAG
    msg.read_begin()
    msg.fast_forward_to_end_frame()
    assert msg.read_bytes() == b"after"
    msg.reset_read()
    assert msg.next_frame().content[:4] == struct.pack("<i", 7)


def test_reading_the_wrong_frame_kind(framing):
    m = framing.ClientMessage.create_request(1)
    m.append_null()
    m.append_null()
    m.append_frame(b"\xff\xfe")
    m.append_frame(b"x")
    m.skip_frame()
    with pytest.raises(ProtocolError, match="NULL"):
        m.read_string()
    with pytest.raises(ProtocolError, match="NULL"):
        m.read_bytes()
    with pytest.raises(ProtocolError, match="UTF-8"):
        m.read_string()
    with pytest.raises(ProtocolError, match="BEGIN"):
        m.read_begin()
    with pytest.raises(ProtocolError):
        m.read_end()
    assert m.next_is_null() is False
    assert m.next_is_end() is False
    with pytest.raises(ProtocolError):
        m.fast_forward_to_end_frame()


def test_unencodable_string(framing):
    with pytest.raises(ProtocolError):
        framing.ClientMessage.create_request(1).append_string("\ud800")


def test_appending_after_to_bytes_moves_the_final_flag(framing):
    m = framing.ClientMessage.create_request(1)
    first = m.to_bytes()
    assert first[5] & 0x20
    m.append_string("x")
    data = m.to_bytes()
    assert not data[5] & 0x20
    assert data[len(first) + 5] & 0x20
    (back,) = framing.MessageReader().feed(data)
    assert [f.is_final_frame() for f in back.frames] == [False, True]


def test_inbound_message_can_be_extended_and_copied(framing):
    (msg,) = framing.MessageReader().feed(A4_PING)
    msg.correlation_id = 8
    msg.append_string("z")
    assert msg.nbytes == len(A4_PING) + 7
    copy = msg.copy()
    copy.correlation_id = 9
    assert msg.correlation_id == 8 and copy.correlation_id == 9
    (back,) = framing.MessageReader().feed(copy.to_bytes())
    assert [f.content for f in back.frames][1] == b"z"
    assert "type=0x000b00" in repr(back)
    assert "type=?" in repr(framing.ClientMessage())


def test_frame_object(framing):
    f = framing.Frame(b"ab", framing.IS_NULL_FLAG | framing.BEGIN_DATA_STRUCTURE_FLAG)
    assert f.is_null_frame() and f.is_begin_frame() and not f.is_end_frame() and not f.is_final_frame()
    assert framing.Frame(b"", framing.END_DATA_STRUCTURE_FLAG | framing.IS_FINAL_FLAG).is_end_frame()
    assert f == framing.Frame(bytearray(b"ab"), f.flags)
    assert f != framing.Frame(b"ab", 0)
    assert (f == 1) is False
    assert hash(f) == hash(framing.Frame(b"ab", f.flags))
    assert "0x1400" in repr(f)
    f.flags = 1
    f.content = b"c"
    assert (f.flags, f.content) == (1, b"c")


@pytest.mark.parametrize("name,size", [("read_uint8", 1), ("read_int8", 1), ("read_bool", 1), ("read_uint16", 2),
                                       ("read_int32", 4), ("read_int64", 8), ("read_uuid", 17)])
def test_fixed_readers_check_bounds(framing, name, size):
    reader = getattr(framing, name)
    buf = bytes(range(1, size + 3))
    reader(buf, 2)
    with pytest.raises(ProtocolError):
        reader(buf, 3)
    with pytest.raises(ProtocolError):
        reader(buf, -1)
    with pytest.raises(ProtocolError):
        reader(b"", 0)


def test_fixed_readers_values(framing):
    buf = struct.pack("<bBHiq", -2, 200, 65000, -5, -(2**40))
    assert framing.read_int8(buf, 0) == -2
    assert framing.read_uint8(buf, 1) == 200
    assert framing.read_uint16(buf, 2) == 65000
    assert framing.read_int32(buf, 4) == -5
    assert framing.read_int64(buf, 8) == -(2**40)
    assert framing.read_bool(b"\x02", 0) is True


# checksum ---------------------------------------------------------------------------------------------------------


def reference_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", b"\xff" * 3, bytes(range(256)) * 257,
                                  b"\x08\x00\x00\x00\x12\x34\x00\x01abc"])
def test_checksum_matches_rfc1071(framing, data):
    assert framing.calculate_checksum(data) == reference_checksum(data)


def test_checksum_rfc_example(framing):
    # RFC 1071 section 3: the one's complement sum of 0001 f203 f4f5 f6f7 is ddf2
    assert framing.calculate_checksum(bytes.fromhex("0001f203f4f5f6f7")) == (~0xDDF2 & 0xFFFF)


def test_checksum_verifies_to_zero(framing):
    packet = bytearray(b"\x08\x00\x00\x00\xbe\xef\x00\x01payload!")
    struct.pack_into(">H", packet, 2, framing.calculate_checksum(packet))
    assert framing.calculate_checksum(packet) == 0


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_checksum_buffer_types(framing, kind):
    assert framing.calculate_checksum(kind(b"abcde")) == reference_checksum(b"abcde")


def test_checksum_via_failure_detector():
    from hazelcast.network.failure_detector import _calculate_checksum

    assert _calculate_checksum(b"abc") == reference_checksum(b"abc")
