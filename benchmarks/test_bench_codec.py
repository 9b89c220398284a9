"""Compact stream primitives: writing and reading a typical record, compiled vs pure."""

from __future__ import annotations


def write_record(codec):
    # the Person record of the serialization issue, laid out as compact does it by hand: dataLength, fixed
    # section (big, score, id, age-less fixed part, active bit), var section, offset table
    w = codec.CompactStreamWriter()
    w.write_zeros(4 + 8 + 8 + 4 + 4 + 1)
    w.write_int64_at(4, 1234567890123)
    w.write_float64_at(12, 98.5)
    w.write_int32_at(20, 42)
    w.write_int32_at(24, 10115)
    w.write_bool_bit_at(28, 0, True)
    offsets = []
    base = 4
    offsets.append(w.position - base)
    w.write_string("Ada Lovelace")
    offsets.append(w.position - base)
    w.write_string("ada@example.com")
    offsets.append(w.position - base)
    w.write_int32(37)
    offsets.append(w.position - base)
    w.write_int32_array([1, 2, 3, 4, 5])
    offsets.append(w.position - base)
    w.write_string("12 Analytical Engine Way")
    data_length = w.position - base
    w.write_int32_at(0, data_length)
    w.write_offsets(offsets, data_length)
    return w.to_bytes(), len(offsets)


def read_record(codec, data: bytes, count: int):
    r = codec.CompactStreamReader(data)
    data_length = r.read_int32()
    table = 4 + data_length
    out = [r.read_int64_at(4), r.read_float64_at(12), r.read_int32_at(20), r.read_int32_at(24),
           r.read_bool_bit_at(28, 0)]
    offsets = [r.read_offset(table, i, data_length) for i in range(count)]
    r.seek(4 + offsets[0])
    out.append(r.read_string())
    r.seek(4 + offsets[1])
    out.append(r.read_string())
    r.seek(4 + offsets[2])
    out.append(r.read_int32())
    r.seek(4 + offsets[3])
    out.append(r.read_int32_array())
    r.seek(4 + offsets[4])
    out.append(r.read_string())
    return out


def test_compact_primitives_write(benchmark, codec):
    data, count = benchmark(write_record, codec)
    assert read_record(codec, data, count)[5] == "Ada Lovelace"


def test_compact_primitives_read(benchmark, codec):
    data, count = write_record(codec)
    out = benchmark(read_record, codec, data, count)
    assert out[2] == 42 and out[-1] == "12 Analytical Engine Way"
