"""Framing and checksum benchmarks, compiled vs pure, in one run (see benchmarks/report.py for the ratios)."""

from __future__ import annotations

import pytest

MIB = 1024 * 1024


def put_request(framing, value_size: int):
    m = framing.ClientMessage.create_request(0x010100, 17, 16)
    m.correlation_id = 12345
    m.set_int64(16, 1)
    m.set_int64(24, 0)
    m.append_string("map")
    m.append_data(b"\x00\x00\x00\x00\xff\xff\xff\xf5\x00\x00\x00\x04key1")
    m.append_data(b"\x00\x00\x00\x00\xff\xff\xff\xf5" + bytes(value_size))
    return m


def stream_of(framing, message_size: int, total: int = 16 * MIB) -> bytes:
    # a Map.Put request of exactly message_size bytes: 38 + 9 + 22 + (6 + 8 + value) bytes
    one = put_request(framing, message_size - 83).to_bytes()
    assert len(one) == message_size
    return one * (total // message_size)


@pytest.mark.parametrize("message_size", [224, 64 * 1024], ids=["224B", "64KiB"])
def test_scan_16mib(benchmark, framing, message_size):
    data = stream_of(framing, message_size)
    chunk = 64 * 1024
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]  # as a socket delivers them
    benchmark.extra_info["bytes"] = len(data)
    benchmark.extra_info["messages"] = len(data) // message_size

    def scan():
        reader = framing.MessageReader()
        n = 0
        for piece in pieces:
            n += len(reader.feed(piece))
        return n

    assert benchmark.pedantic(scan, rounds=5, iterations=1, warmup_rounds=1) == len(data) // message_size


def test_encode_map_put(benchmark, framing):
    def encode():
        return put_request(framing, 100).to_bytes()

    assert len(benchmark(encode)) == 183


@pytest.mark.parametrize("size", [64, 64 * 1024], ids=["64B", "64KiB"])
def test_checksum(benchmark, framing, size):
    data = bytes(range(256)) * (size // 256) if size >= 256 else bytes(range(size))
    benchmark.extra_info["bytes"] = size
    assert 0 <= benchmark(framing.calculate_checksum, data) <= 0xFFFF
