"""The str / int shortcut of SerializationService (no stream writer or reader for the commonest keys and values)
produces the same bytes as the stream path and raises the same errors, on both backends."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hazelcast.errors import HazelcastSerializationError
from hazelcast.serialization import IntType, SerializationService


def stream_bytes(codec, type_id: int, write) -> bytes:
    writer = codec.CompactStreamWriter(True)
    write(writer)
    return struct.pack(">ii", 0, type_id) + writer.to_bytes()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text())
def test_strings_match_the_stream_encoding(codec, text):
    service = SerializationService(codec=codec)
    data = service.to_data(text).buffer
    try:
        expected = stream_bytes(codec, -11, lambda w: w.write_string(text))
    except HazelcastSerializationError:
        return  # lone surrogates: not encodable either way (the shortcut falls back, see below)
    assert data == expected
    assert service.to_object(data) == text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.integers(-(2**31), 2**31 - 1))
def test_ints_match_the_stream_encoding(codec, value):
    service = SerializationService(codec=codec)
    data = service.to_data(value).buffer
    assert data == stream_bytes(codec, -7, lambda w: w.write_int32(value))
    assert service.to_object(data) == value


def test_other_int_types_byte_orders_and_bad_input_take_the_stream_path(codec):
    service = SerializationService(codec=codec)
    with pytest.raises(HazelcastSerializationError):
        service.to_data(2**31)  # does not fit INT
    with pytest.raises(HazelcastSerializationError):
        service.to_data("\ud800")  # a lone surrogate
    assert SerializationService(codec=codec, default_int_type=IntType.LONG).to_data(5).buffer[4:8] == b"\xff\xff\xff\xf8"
    little = SerializationService(codec=codec, big_endian=False)
    assert little.to_object(little.to_data("abc")) == "abc" and little.to_object(little.to_data(-3)) == -3
    header = struct.pack(">ii", 0, -11)
    assert service.to_object(header + struct.pack(">i", -1)) is None  # a null String
    for bad in (header + struct.pack(">i", 5) + b"abc", header + struct.pack(">i", -2), header + b"\x00\x00",
                header + struct.pack(">i", 2) + b"\xff\xfe"):
        with pytest.raises(HazelcastSerializationError):
            service.to_object(bad)
    assert service.to_object(struct.pack(">ii", 0, -7) + struct.pack(">i", 9) + b"tail") == 9  # as the stream path
