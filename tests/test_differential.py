"""Differential property tests: the compiled and pure backends give the same output or the same exception type.

Hypothesis drives both backends with the same input (byte soup split at random points, random operation
sequences) and compares every observable result.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Callable, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.hypothesis_diff

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def normalize(value: Any) -> Any:
    """Make results comparable: floats by bit pattern (NaN-safe), messages by their frames."""
    if isinstance(value, float):
        return ("float", struct.pack(">d", value)) if not math.isnan(value) else ("float", "nan")
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if hasattr(value, "frames") and hasattr(value, "to_bytes"):
        return [(f.flags, bytes(f.content)) for f in value.frames]
    if hasattr(value, "flags") and hasattr(value, "content"):
        return (value.flags, bytes(value.content))
    return value


def outcome(fn: Callable[[], Any]) -> Tuple[str, Any]:
    try:
        return ("ok", normalize(fn()))
    except Exception as e:  # the type is what must agree
        return ("error", type(e).__name__)


# -- MessageReader --------------------------------------------------------------------------------------------------

FLAG_BITS = [0x8000, 0x4000, 0x2000, 0x1000, 0x0800, 0x0400, 0x0200, 0x0080]


@st.composite
def frame_soup(draw) -> bytes:
    """Mostly well-formed frames with hostile lengths and flags mixed in."""
    out = b""
    for _ in range(draw(st.integers(0, 12))):
        content = draw(st.binary(max_size=24))
        flags = 0
        for bit in draw(st.lists(st.sampled_from(FLAG_BITS), max_size=3)):
            flags |= bit
        length = draw(st.one_of(st.just(6 + len(content)), st.integers(-(2**31), 2**31 - 1), st.integers(0, 40)))
        if draw(st.booleans()) and len(content) >= 8:
            content = struct.pack("<q", draw(st.integers(0, 3))) + content[8:]
        out += struct.pack("<iH", length, flags) + content
    return out + draw(st.binary(max_size=8))


def split_points(data: bytes, cuts: List[int]) -> List[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


def run_reader(module, pieces: List[bytes], max_size: int) -> List[Tuple[str, Any]]:
    reader = module.MessageReader(max_message_size=max_size)
    results = []
    for piece in pieces:
        results.append(outcome(lambda: reader.feed(piece)))
        results.append(("buffered", reader.buffered_bytes))
    return results


@SETTINGS
@given(data=st.one_of(st.binary(max_size=400), frame_soup()), cuts=st.lists(st.integers(0, 1000), max_size=8),
       max_size=st.sampled_from([6, 20, 64, 200, 1 << 20]))
def test_reader_byte_soup_split_anywhere(framing_pair, data, cuts, max_size):
    compiled, pure = framing_pair
    pieces = split_points(data, cuts)
    assert run_reader(compiled, pieces, max_size) == run_reader(pure, pieces, max_size)


@st.composite
def message_stream(draw) -> Tuple[bytes, List[List[Tuple[int, bytes]]]]:
    """Valid messages (some fragmented into up to 3 fragments, fragments of different messages interleaved) and the
    frames each must decode to, in the order the messages complete."""
    units: List[List[Tuple[bytes, Any]]] = []  # per message: its wire pieces, the last one carrying its frames
    for i in range(draw(st.integers(1, 5))):
        frames = [(0xC000 | draw(st.sampled_from([0, 0x0200, 0x0100])), draw(st.binary(min_size=16, max_size=40)))]
        for _ in range(draw(st.integers(0, 4))):
            frames.append((draw(st.sampled_from([0, 0x1000, 0x0800, 0x0400])), draw(st.binary(max_size=30))))
        last = len(frames) - 1
        decoded = [(f | (0x2000 if k == last else 0), c) for k, (f, c) in enumerate(frames)]
        if draw(st.booleans()) and len(frames) > 1:
            cuts = sorted(set(draw(st.lists(st.integers(1, len(frames) - 1), min_size=1, max_size=2))))
            parts = [frames[a:b] for a, b in zip([0, *cuts], [*cuts, len(frames)])]
            pieces = []
            for j, part in enumerate(parts):
                flag = 0x8000 if j == 0 else 0x4000 if j == len(parts) - 1 else 0
                piece = struct.pack("<iHq", 14, flag, i)
                for k, (f, c) in enumerate(part):
                    piece += struct.pack("<iH", 6 + len(c), f | (0x2000 if k == len(part) - 1 else 0)) + c
                pieces.append((piece, decoded if j == len(parts) - 1 else None))
            units.append(pieces)
        else:
            units.append([(b"".join(struct.pack("<iH", 6 + len(c), f) + c for f, c in decoded), decoded)])
    stream = b""
    expected = []
    while any(units):
        unit = draw(st.sampled_from([u for u in units if u]))
        piece, decoded = unit.pop(0)
        stream += piece
        if decoded is not None:
            expected.append(decoded)
    return stream, expected


@SETTINGS
@given(sample=message_stream(), cuts=st.lists(st.integers(0, 2000), max_size=10))
def test_reader_valid_streams_split_anywhere(framing_pair, sample, cuts):
    stream, expected = sample
    pieces = split_points(stream, cuts)
    for module in framing_pair:
        reader = module.MessageReader()
        msgs = [m for piece in pieces for m in reader.feed(piece)]
        assert [normalize(m) for m in msgs] == expected
        assert reader.buffered_bytes == 0
        for m, frames in zip(msgs, expected):
            assert m.to_bytes() == b"".join(struct.pack("<iH", 6 + len(c), f) + c for f, c in frames)


# -- ClientMessage --------------------------------------------------------------------------------------------------

ODD_VALUES = st.sampled_from([1.5, "x", None, True, b"\x01"])

MESSAGE_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append_frame"), st.binary(max_size=12), st.integers(0, 0xFFFF)),
        st.tuples(st.just("append_string"), st.text(max_size=8)),
        st.tuples(st.just("append_nullable_string"), st.one_of(st.none(), st.text(max_size=4))),
        st.tuples(st.just("append_bytes"), st.binary(max_size=8)),
        st.tuples(st.just("append_nullable_data"), st.one_of(st.none(), st.binary(max_size=4))),
        st.tuples(st.just("append_null")),
        st.tuples(st.just("append_begin")),
        st.tuples(st.just("append_end")),
        st.tuples(st.just("set_int32"), st.integers(-2, 40), st.one_of(st.integers(-(2**33), 2**33), ODD_VALUES)),
        st.tuples(st.just("set_int64"), st.integers(-2, 40), st.one_of(st.integers(-(2**65), 2**65), ODD_VALUES)),
        st.tuples(st.just("set_uint8"), st.integers(-2, 40), st.one_of(st.integers(-5, 300), ODD_VALUES)),
        st.tuples(st.just("set_int8"), st.integers(-2, 40), st.one_of(st.integers(-200, 200), ODD_VALUES)),
        st.tuples(st.sampled_from(["correlation_id", "partition_id", "message_type", "flags"]),
                  st.one_of(st.integers(-(2**65), 2**65), ODD_VALUES), st.just("=")),
        st.tuples(st.just("set_bool"), st.integers(-2, 40), st.booleans()),
        st.tuples(st.just("set_uuid"), st.integers(-2, 40), st.one_of(st.none(), st.uuids(), ODD_VALUES)),
        st.tuples(st.just("next_frame")),
        st.tuples(st.just("skip_frame")),
        st.tuples(st.just("read_string")),
        st.tuples(st.just("read_nullable_string")),
        st.tuples(st.just("read_bytes")),
        st.tuples(st.just("read_nullable_bytes")),
        st.tuples(st.just("read_begin")),
        st.tuples(st.just("read_end")),
        st.tuples(st.just("next_is_null")),
        st.tuples(st.just("next_is_end")),
        st.tuples(st.just("peek_flags")),
        st.tuples(st.just("fast_forward_to_end_frame")),
        st.tuples(st.just("reset_read")),
        st.tuples(st.just("to_bytes")),
        st.tuples(st.just("frame_count")),
        st.tuples(st.just("correlation_id")),
        st.tuples(st.just("message_type")),
        st.tuples(st.just("partition_id")),
        st.tuples(st.just("backup_acks")),
    ),
    max_size=25,
)


def apply_message_ops(module, start: Tuple[int, int, int], ops) -> List[Tuple[str, Any]]:
    mtype, pid, fixed = start
    msg = module.ClientMessage.create_request(mtype, pid, fixed)
    results = []
    for op, *args in ops:
        if args[-1:] == ["="]:
            results.append(outcome(lambda: setattr(msg, op, args[0])))
            continue
        attr = getattr(msg, op)
        results.append(outcome(lambda: attr(*args) if callable(attr) else attr))
    results.append(outcome(msg.to_bytes))
    results.append(outcome(lambda: msg.frames))
    return results


@SETTINGS
@given(start=st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31), 2**31 - 1), st.integers(0, 24)),
       ops=MESSAGE_OPS)
def test_client_message_operations_agree(framing_pair, start, ops):
    compiled, pure = framing_pair
    assert apply_message_ops(compiled, start, ops) == apply_message_ops(pure, start, ops)


@SETTINGS
@given(buf=st.binary(max_size=40), offset=st.integers(-5, 45),
       name=st.sampled_from(["read_uint8", "read_int8", "read_bool", "read_uint16", "read_int32", "read_int64",
                             "read_uuid"]))
def test_fixed_readers_agree(framing_pair, buf, offset, name):
    compiled, pure = framing_pair
    assert outcome(lambda: getattr(compiled, name)(buf, offset)) == outcome(lambda: getattr(pure, name)(buf, offset))


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_checksum_agrees(framing_pair, data):
    compiled, pure = framing_pair
    assert compiled.calculate_checksum(data) == pure.calculate_checksum(data)


# -- compact stream primitives -------------------------------------------------------------------------------------

ANY_NUMBER = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-300, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.just("x"),
    st.none(),
)

WRITE_OPS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["write_int8", "write_uint8", "write_int16", "write_uint16", "write_int32",
                                   "write_int64", "write_float32", "write_float64", "write_int32_be", "write_bool"]),
                  ANY_NUMBER),
        st.tuples(st.just("write_string"), st.one_of(st.none(), st.text(max_size=10), st.just("\ud800"))),
        st.tuples(st.just("write_byte_array"), st.one_of(st.none(), st.binary(max_size=10))),
        st.tuples(st.just("write_bytes"), st.binary(max_size=10)),
        st.tuples(st.just("write_zeros"), st.integers(-2, 10)),
        st.tuples(st.just("write_boolean_bits"), st.one_of(st.none(), st.lists(st.booleans(), max_size=20))),
        st.tuples(st.sampled_from(["write_int8_array", "write_int16_array", "write_int32_array", "write_int64_array",
                                   "write_float32_array", "write_float64_array"]),
                  st.one_of(st.none(), st.lists(ANY_NUMBER, max_size=5))),
        st.tuples(st.just("write_offsets"), st.lists(st.integers(-3, 70000), max_size=5), st.integers(0, 70000)),
        st.tuples(st.sampled_from(["write_int8_at", "write_int16_at", "write_int32_at", "write_int64_at",
                                   "write_float32_at", "write_float64_at", "write_bool_at"]),
                  st.integers(-3, 60), ANY_NUMBER),
        st.tuples(st.just("write_bool_bit_at"), st.integers(-3, 60), st.integers(-1, 8), st.booleans()),
    ),
    max_size=20,
)


def apply_write_ops(module, big_endian: bool, ops) -> List[Tuple[str, Any]]:
    w = module.CompactStreamWriter(big_endian)
    results = []
    for op, *args in ops:
        results.append(outcome(lambda: getattr(w, op)(*args)))
        results.append(("position", w.position))
    results.append(("bytes", w.to_bytes()))
    return results


@SETTINGS
@given(big_endian=st.booleans(), ops=WRITE_OPS)
def test_writer_operations_agree(codec_pair, big_endian, ops):
    compiled, pure = codec_pair
    assert apply_write_ops(compiled, big_endian, ops) == apply_write_ops(pure, big_endian, ops)


READ_OPS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["read_int8", "read_uint8", "read_bool", "read_int16", "read_uint16", "read_int32",
                                   "read_int64", "read_float32", "read_float64", "read_int32_be", "read_string",
                                   "read_byte_array", "read_boolean_bits", "read_int8_array", "read_int16_array",
                                   "read_int32_array", "read_int64_array", "read_float32_array",
                                   "read_float64_array"])),
        st.tuples(st.sampled_from(["read_bytes", "skip", "seek"]), st.integers(-3, 70)),
        st.tuples(st.sampled_from(["read_int8_at", "read_bool_at", "read_int16_at", "read_int32_at", "read_int64_at",
                                   "read_float32_at", "read_float64_at"]), st.integers(-3, 70)),
        st.tuples(st.just("read_bool_bit_at"), st.integers(-3, 70), st.integers(-1, 8)),
        st.tuples(st.just("read_offset"), st.integers(-3, 70), st.integers(-2, 40), st.integers(-1, 70000)),
    ),
    max_size=20,
)


@st.composite
def reader_input(draw) -> bytes:
    """Random bytes, often with small length prefixes so that variable-size reads succeed sometimes."""
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            parts.append(struct.pack(">i", draw(st.integers(-2, 12))))
        parts.append(draw(st.binary(max_size=12)))
    return b"".join(parts)


def apply_read_ops(module, data: bytes, big_endian: bool, ops) -> List[Tuple[str, Any]]:
    r = module.CompactStreamReader(data, big_endian)
    results = []
    for op, *args in ops:
        results.append(outcome(lambda: getattr(r, op)(*args)))
        results.append(("position", r.position, r.remaining))
    return results


@SETTINGS
@given(data=reader_input(), big_endian=st.booleans(), ops=READ_OPS)
def test_reader_operations_agree(codec_pair, data, big_endian, ops):
    compiled, pure = codec_pair
    assert apply_read_ops(compiled, data, big_endian, ops) == apply_read_ops(pure, data, big_endian, ops)


@SETTINGS
@given(big_endian=st.booleans(), ops=WRITE_OPS)
def test_what_one_backend_writes_the_other_reads(codec_pair, big_endian, ops):
    compiled, pure = codec_pair
    for writer_mod, reader_mod in ((compiled, pure), (pure, compiled)):
        w = writer_mod.CompactStreamWriter(big_endian)
        w.write_string("header ✓")
        w.write_int64_array([1, -1, 2**62])
        w.write_boolean_bits([True, False, True])
        w.write_offsets([0, -1, 3], 10)
        for op, *args in ops:
            if op.endswith("_at"):
                continue  # positional writes may overwrite the header this test reads back
            try:
                getattr(w, op)(*args)
            except Exception:
                pass
        r = reader_mod.CompactStreamReader(w.to_bytes(), big_endian)
        assert r.read_string() == "header ✓"
        assert r.read_int64_array() == [1, -1, 2**62]
        assert r.read_boolean_bits() == [True, False, True]
        assert [r.read_offset(r.position, i, 10) for i in range(3)] == [0, -1, 3]


@SETTINGS
@given(data_length=st.integers(-5, 2**31))
def test_offset_size_agrees(codec_pair, data_length):
    compiled, pure = codec_pair
    assert outcome(lambda: compiled.offset_size(data_length)) == outcome(lambda: pure.offset_size(data_length))


# -- one-call keyed requests and request headers ----------------------------------------------------------------------

INT64_OR_HOSTILE = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**70), 2**70), st.none(),
                             st.just(1.5), st.just("7"), st.booleans())


@SETTINGS
@given(message_type=st.one_of(st.integers(-(2**31), 2**31 - 1), st.just(2**31), st.just(1.0)),
       retryable=st.one_of(st.booleans(), st.integers(0, 2)),
       name=st.one_of(st.text(max_size=8), st.just("\ud800"), st.just(None), st.just(b"n")),
       key=st.one_of(st.binary(max_size=20), st.just("str key"), st.just(5)),
       value=st.one_of(st.none(), st.binary(max_size=20), st.just(3.0)),
       thread_id=INT64_OR_HOSTILE, ttl=INT64_OR_HOSTILE, max_idle=INT64_OR_HOSTILE,
       key_kind=st.sampled_from(["bytes", "bytearray", "memoryview"]))
def test_create_keyed_request_agrees_and_matches_the_composed_request(
        framing_pair, message_type, retryable, name, key, value, thread_id, ttl, max_idle, key_kind):
    if isinstance(key, bytes):
        key = {"bytes": bytes, "bytearray": bytearray, "memoryview": memoryview}[key_kind](key)
    results = []
    for framing in framing_pair:
        built = outcome(lambda: framing.ClientMessage.create_keyed_request(
            message_type, retryable, name, key, value, thread_id, ttl, max_idle))
        results.append(built)
        if built[0] == "ok":
            msg = framing.ClientMessage.create_keyed_request(message_type, retryable, name, key, value, thread_id,
                                                             ttl, max_idle)
            fixed = [p for p in (thread_id, ttl, max_idle) if p is not None]
            composed = framing.ClientMessage.create_request(message_type, -1, 8 * len(fixed))
            for i, param in enumerate(fixed):
                composed.set_int64(16 + 8 * i, param)
            composed.append_string(name)
            composed.append_data(key)
            if value is not None:
                composed.append_data(value)
            assert msg.frames == composed.frames and msg.retryable is bool(retryable)
            assert msg.to_bytes() == composed.to_bytes()
            msg.append_null()  # the builder's message keeps growing like any other
            composed.append_null()
            assert msg.to_bytes() == composed.to_bytes()
    assert results[0] == results[1]


@SETTINGS
@given(fixed_size=st.integers(0, 12), short=st.integers(0, 20),
       kind=st.sampled_from(["built", "inbound", "short", "empty"]),
       correlation_id=INT64_OR_HOSTILE, partition_id=st.one_of(st.integers(-(2**31), 2**31 - 1), st.just(2**31),
                                                                st.none()),
       add_flags=st.one_of(st.integers(-(2**20), 2**20), st.just("x")))
def test_set_request_header_agrees_and_matches_the_three_writes(
        framing_pair, fixed_size, short, kind, correlation_id, partition_id, add_flags):
    results = []
    for framing in framing_pair:
        def target() -> Any:
            msg = framing.ClientMessage.create_request(0x010200, 5, fixed_size)
            msg.append_bytes(b"key")
            if kind == "inbound":
                return framing.MessageReader().feed(msg.to_bytes())[0]
            if kind == "short":
                msg = framing.ClientMessage()
                msg.append_frame(bytes(range(short)), 0xC000)
                msg.append_bytes(b"key")
            if kind == "empty":
                return framing.ClientMessage()
            return msg
        msg = target()
        result = outcome(lambda: msg.set_request_header(correlation_id, partition_id, add_flags))
        after = outcome(lambda: msg.to_bytes())
        if result[0] == "ok":
            expected = target()
            expected.correlation_id = correlation_id
            expected.partition_id = partition_id
            expected.flags = expected.flags | (add_flags & 0xFFFF)
            assert after == ("ok", expected.to_bytes())
        else:
            assert after == outcome(lambda: target().to_bytes())  # nothing written on failure
        results.append((result, after))
    assert results[0] == results[1]


@SETTINGS
@given(initial=st.binary(max_size=24), frames=st.lists(st.tuples(st.sampled_from([0, 0x0400, 0x0800, 0x1000]),
                                                                  st.binary(max_size=10)), max_size=3),
       initial_flags=st.sampled_from([0xC000, 0xC200, 0xC080, 0x0000, 0xFFFF]))
def test_response_header_and_single_data_agree_with_the_property_reads(framing_pair, initial, frames, initial_flags):
    results = []
    for framing in framing_pair:
        def message() -> Any:
            msg = framing.ClientMessage()
            if initial or frames:
                msg.append_frame(initial, initial_flags)
            for flags, content in frames:
                msg.append_frame(content, flags)
            return msg if not (initial or frames) else framing.MessageReader().feed(msg.to_bytes())[0] \
                if initial_flags & 0xC000 == 0xC000 else msg

        header = outcome(lambda: message().response_header())
        if header[0] == "ok":
            msg = message()
            assert header[1] == [msg.correlation_id, msg.flags, msg.message_type, msg.backup_acks]
        single = message()
        data = outcome(single.read_response_nullable_data)
        composed = message()

        def three_calls() -> Any:
            composed.reset_read()
            composed.skip_frame()
            return composed.read_nullable_data()

        assert data == outcome(three_calls)
        assert (single.has_next_frame(), single.peek_flags()) == (composed.has_next_frame(), composed.peek_flags())
        results.append((header, data, single.peek_flags()))
    assert results[0] == results[1]
