"""Compact stream primitives on both backends: round trips, byte order, offset tables and bad input."""

from __future__ import annotations

import math
import struct

import pytest

from hazelcast.errors import HazelcastSerializationError as HSE

SCALARS = [
    ("int8", "b", [-128, 0, 127]),
    ("uint8", "B", [0, 255]),
    ("int16", "h", [-32768, 1, 32767]),
    ("uint16", "H", [0, 65535]),
    ("int32", "i", [-(2**31), 7, 2**31 - 1]),
    ("int64", "q", [-(2**63), 7, 2**63 - 1]),
    ("float32", "f", [0.0, -1.5, 2.0**100, float("inf")]),
    ("float64", "d", [0.0, -1.5, 1e308, float("-inf")]),
]


@pytest.mark.parametrize("big_endian", [True, False])
@pytest.mark.parametrize("kind,fmt,values", SCALARS)
def test_scalar_round_trip_and_byte_order(codec, big_endian, kind, fmt, values):
    w = codec.CompactStreamWriter(big_endian)
    for v in values:
        getattr(w, "write_" + kind)(v)
    data = w.to_bytes()
    assert data == struct.pack(("!" if big_endian else "<") + fmt * len(values), *values)
    assert w.position == len(data)
    r = codec.CompactStreamReader(data, big_endian)
    assert [getattr(r, "read_" + kind)() for _ in values] == values
    assert r.remaining == 0
    with pytest.raises(HSE):
        getattr(r, "read_" + kind)()


@pytest.mark.parametrize("kind,bad", [("int8", 128), ("int8", -129), ("uint8", -1), ("uint8", 256), ("int16", 2**15),
                                      ("uint16", -1), ("int32", 2**31), ("int64", -(2**63) - 1), ("int32", "1"),
                                      ("int64", 1.5), ("float32", 1e39), ("float32", "x"), ("float64", 10**400),
                                      ("float64", None), ("int32_be", 2**31)])
def test_out_of_range_writes(codec, kind, bad):
    w = codec.CompactStreamWriter()
    with pytest.raises(HSE):
        getattr(w, "write_" + kind)(bad)
    assert w.position == 0


def test_nan_and_bool(codec):
    w = codec.CompactStreamWriter(False)
    w.write_float32(float("nan"))
    w.write_float64(float("nan"))
    w.write_bool(True)
    w.write_bool(0)
    w.write_int32_be(1)
    w.write_int8(True)
    r = codec.CompactStreamReader(w.to_bytes(), False)
    assert math.isnan(r.read_float32()) and math.isnan(r.read_float64())
    assert (r.read_bool(), r.read_bool()) == (True, False)
    assert r.read_int32_be() == 1
    assert r.read_int8() == 1
    assert w.to_bytes()[-5:-1] == b"\x00\x00\x00\x01"


def test_strings(codec):
    w = codec.CompactStreamWriter()
    w.write_string("Bob")
    w.write_string("")
    w.write_string(None)
    w.write_string("äö✓𝄞")
    data = w.to_bytes()
    assert data[:7] == b"\x00\x00\x00\x03Bob"
    r = codec.CompactStreamReader(data)
    assert [r.read_string() for _ in range(4)] == ["Bob", "", None, "äö✓𝄞"]


@pytest.mark.parametrize("bad", ["\ud800", b"bytes", 5])
def test_unwritable_strings(codec, bad):
    with pytest.raises(HSE):
        codec.CompactStreamWriter().write_string(bad)


@pytest.mark.parametrize("data", [b"\x00\x00\x00\x02\xc3\x28", b"\x00\x00\x00\x01\xff", b"\x00\x00\x00\x02\xed\xa0"])
def test_invalid_utf8(codec, data):
    r = codec.CompactStreamReader(data)
    with pytest.raises(HSE, match="UTF-8"):
        r.read_string()


@pytest.mark.parametrize("prefix", [b"\xff\xff\xff\xfe", b"\x80\x00\x00\x00", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x40"])
def test_hostile_lengths(codec, prefix):
    for method in ("read_string", "read_byte_array", "read_boolean_bits", "read_int8_array", "read_int16_array",
                   "read_int32_array", "read_int64_array", "read_float32_array", "read_float64_array"):
        r = codec.CompactStreamReader(prefix + b"abcd")
        with pytest.raises(HSE):
            getattr(r, method)()


def test_truncated_reads(codec):
    r = codec.CompactStreamReader(b"\x00\x01\x02")
    with pytest.raises(HSE):
        r.read_int32()
    assert r.position == 0
    with pytest.raises(HSE):
        r.read_bytes(4)
    with pytest.raises(HSE):
        r.read_bytes(-1)
    with pytest.raises(HSE):
        r.skip(5)
    r.skip(3)
    assert r.remaining == 0


def test_byte_arrays_and_raw_bytes(codec):
    w = codec.CompactStreamWriter()
    w.write_byte_array(b"\x01\x02")
    w.write_byte_array(None)
    w.write_byte_array(bytearray())
    w.write_bytes(memoryview(b"raw"))
    w.write_zeros(2)
    r = codec.CompactStreamReader(w.to_bytes())
    assert r.read_byte_array() == b"\x01\x02"
    assert r.read_byte_array() is None
    assert r.read_byte_array() == b""
    assert r.read_bytes(3) == b"raw"
    assert r.read_bytes(2) == b"\0\0"
    for bad in ("text", 5):
        with pytest.raises(HSE):
            codec.CompactStreamWriter().write_bytes(bad)
        with pytest.raises(HSE):
            codec.CompactStreamWriter().write_byte_array(bad)
    with pytest.raises(HSE):
        codec.CompactStreamWriter().write_zeros(-1)


def test_boolean_bits(codec):
    values = [True, False, True, True, False, False, False, False, True]
    w = codec.CompactStreamWriter()
    w.write_boolean_bits(values)
    w.write_boolean_bits([])
    w.write_boolean_bits(None)
    data = w.to_bytes()
    assert data[:6] == b"\x00\x00\x00\x09\x0d\x01"  # vector A.7
    r = codec.CompactStreamReader(data)
    assert r.read_boolean_bits() == values
    assert r.read_boolean_bits() == []
    assert r.read_boolean_bits() is None


@pytest.mark.parametrize("big_endian", [True, False])
@pytest.mark.parametrize("kind,values", [("int8", [-1, 5]), ("int16", [-300, 300]), ("int32", [-(2**31), 1]),
                                         ("int64", [2**63 - 1, -1]), ("float32", [1.5, -0.25]),
                                         ("float64", [1e-300, 2.5]), ("int32", [])])
def test_typed_arrays(codec, big_endian, kind, values):
    w = codec.CompactStreamWriter(big_endian)
    getattr(w, f"write_{kind}_array")(values)
    getattr(w, f"write_{kind}_array")(None)
    r = codec.CompactStreamReader(w.to_bytes(), big_endian)
    assert getattr(r, f"read_{kind}_array")() == values
    assert getattr(r, f"read_{kind}_array")() is None


@pytest.mark.parametrize("kind,bad", [("int8", [1, 200]), ("int16", [2**15]), ("int32", ["x"]), ("int64", [2**64]),
                                      ("float32", [1e39]), ("float64", [None])])
def test_bad_typed_arrays(codec, kind, bad):
    w = codec.CompactStreamWriter()
    w.write_int8(1)
    with pytest.raises(HSE):
        getattr(w, f"write_{kind}_array")(bad)
    assert w.position == 1


@pytest.mark.parametrize("data_length,width", [(0, 1), (254, 1), (255, 2), (65534, 2), (65535, 4), (2**31 - 1, 4)])
def test_offset_table_widths(codec, data_length, width):
    assert codec.offset_size(data_length) == width
    offsets = [0, -1, min(data_length, 250)]
    w = codec.CompactStreamWriter()
    w.write_offsets(offsets, data_length)
    data = w.to_bytes()
    assert len(data) == 3 * width
    r = codec.CompactStreamReader(data)
    assert [r.read_offset(0, i, data_length) for i in range(3)] == offsets
    with pytest.raises(HSE):
        r.read_offset(0, 3, data_length)


def test_null_offset_encodings(codec):
    r = codec.CompactStreamReader(b"\xff\xff\xff\xff")
    assert r.read_offset(0, 0, 10) == -1
    assert r.read_offset(0, 0, 300) == -1
    assert r.read_offset(0, 0, 70000) == -1
    r = codec.CompactStreamReader(b"\xff\xff\xff\xfe")
    with pytest.raises(HSE, match="invalid offset"):
        r.read_offset(0, 0, 70000)


@pytest.mark.parametrize("table_pos,index,data_length", [(-1, 0, 1), (0, -1, 1), (4, 0, 1), (3, 0, 300), (0, 0, -1),
                                                         (0, 2**40, 1)])
def test_offset_reads_out_of_bounds(codec, table_pos, index, data_length):
    with pytest.raises(HSE):
        codec.CompactStreamReader(b"\x00\x01\x02\x03").read_offset(table_pos, index, data_length)


@pytest.mark.parametrize("offsets,data_length", [([255], 10), ([70000], 300), ([-2], 10), ([2**31], 70000),
                                                 (["1"], 10)])
def test_unwritable_offsets(codec, offsets, data_length):
    w = codec.CompactStreamWriter()
    with pytest.raises(HSE):
        w.write_offsets(offsets, data_length)
    assert w.position == 0


@pytest.mark.parametrize("big_endian", [True, False])
def test_positional_writes_and_reads(codec, big_endian):
    w = codec.CompactStreamWriter(big_endian)
    w.write_zeros(28)
    w.write_int8_at(0, -3)
    w.write_int16_at(1, -300)
    w.write_int32_at(3, 123456)
    w.write_int64_at(7, -(2**60))
    w.write_float32_at(15, 0.5)
    w.write_float64_at(19, -2.25)
    w.write_bool_bit_at(27, 0, True)
    w.write_bool_bit_at(27, 7, True)
    w.write_bool_bit_at(27, 0, False)
    r = codec.CompactStreamReader(w.to_bytes(), big_endian)
    assert r.read_int8_at(0) == -3
    assert r.read_int16_at(1) == -300
    assert r.read_int32_at(3) == 123456
    assert r.read_int64_at(7) == -(2**60)
    assert r.read_float32_at(15) == 0.5
    assert r.read_float64_at(19) == -2.25
    assert r.read_bool_bit_at(27, 7) is True and r.read_bool_bit_at(27, 0) is False
    assert r.read_bool_at(27) is True
    w.write_bool_at(27, False)
    assert w.to_bytes()[27] == 0
    assert r.position == 0


@pytest.mark.parametrize("method,args", [("write_int8_at", (4, 1)), ("write_int16_at", (3, 1)),
                                         ("write_int32_at", (1, 1)), ("write_int64_at", (-1, 1)),
                                         ("write_float32_at", (2, 1.0)), ("write_float64_at", (0, 1.0)),
                                         ("write_bool_at", (4, True)), ("write_bool_bit_at", (4, 0, True)),
                                         ("write_bool_bit_at", (0, 8, True)), ("write_int32_at", (0, 2**32)),
                                         ("write_float32_at", (0, 1e39)), ("write_int8_at", (0, 300)),
                                         ("write_int16_at", (0, 2**15)), ("write_int64_at", (0, 2**63)),
                                         ("write_float64_at", (0, "x"))])
def test_positional_writes_checked(codec, method, args):
    w = codec.CompactStreamWriter()
    w.write_zeros(4)
    with pytest.raises(HSE):
        getattr(w, method)(*args)
    assert w.to_bytes() == b"\0\0\0\0"


@pytest.mark.parametrize("method,args", [("read_int8_at", (4,)), ("read_int16_at", (3,)), ("read_int32_at", (1,)),
                                         ("read_int64_at", (-1,)), ("read_float32_at", (2,)), ("read_float64_at", (0,)),
                                         ("read_bool_at", (-1,)), ("read_bool_bit_at", (0, 8)),
                                         ("read_bool_bit_at", (4, 0))])
def test_positional_reads_checked(codec, method, args):
    with pytest.raises(HSE):
        getattr(codec.CompactStreamReader(b"\0\0\0\0"), method)(*args)


def test_seek_and_position(codec):
    r = codec.CompactStreamReader(bytearray(b"\x00\x00\x00\x05xyz"))
    assert r.size == 7
    r.seek(4)
    assert r.read_bytes(3) == b"xyz"
    r.position = 0
    assert r.read_int32() == 5
    r.seek(7)
    assert r.remaining == 0
    for bad in (-1, 8):
        with pytest.raises(HSE):
            r.seek(bad)
    assert r.big_endian is True
    assert codec.CompactStreamWriter(False).big_endian is False


def test_reader_input_types(codec):
    assert codec.CompactStreamReader(memoryview(b"\x00\x00\x00\x01")).read_int32() == 1
    with pytest.raises(TypeError):
        codec.CompactStreamReader("text")
    with pytest.raises(TypeError):
        codec.CompactStreamReader(memoryview(b"abcdef")[::2])


def test_writer_grows_and_clears(codec):
    w = codec.CompactStreamWriter(initial_capacity=1)
    for i in range(10000):
        w.write_int32(i)
    data = w.to_bytes()
    assert len(data) == 40000 and data[-4:] == struct.pack(">i", 9999)
    w.clear()
    assert w.position == 0 and w.to_bytes() == b""
