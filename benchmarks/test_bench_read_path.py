"""Connection read path: asyncio streams vs ``asyncio.Protocol`` vs ``asyncio.BufferedProtocol``, each feeding the
chosen backend's ``MessageReader`` from a real loopback socket, measured side by side in one run.

A server on 127.0.0.1 writes 8 MiB of client messages and closes; a round is one connection that reads and
decodes all of them. ``hazelcast.network.connection`` uses the fastest (BufferedProtocol: the kernel writes into
one preallocated buffer and the reader gets a memoryview of it, so no bytes object is made per read).
Ratios: ``python benchmarks/read_path_ratios.py``.
"""

from __future__ import annotations

import asyncio

import pytest

from hazelcast.protocol import ClientMessage, MessageReader

MIB = 1024 * 1024
READ_SIZE = 256 * 1024


def _payload(message_size: int, total: int = 8 * MIB) -> "tuple[bytes, int]":
    msg = ClientMessage.create_request(0x010201, -1, 0)
    msg.append_bytes(bytes(message_size - 22 - 6))
    one = msg.to_bytes()
    assert len(one) == message_size
    count = total // message_size
    return one * count, count


async def _serve(blob: bytes):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(blob)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _read_streams(port: int, expected: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=READ_SIZE)
    decoder = MessageReader()
    n = 0
    while n < expected:
        data = await reader.read(READ_SIZE)
        if not data:
            break
        n += len(decoder.feed(data))
    writer.close()
    await writer.wait_closed()
    return n


class _Plain(asyncio.Protocol):
    def __init__(self, done: asyncio.Future) -> None:
        self.decoder = MessageReader()
        self.count = 0
        self.done = done

    def data_received(self, data: bytes) -> None:
        self.count += len(self.decoder.feed(data))

    def connection_lost(self, exc: object) -> None:
        self.done.set_result(self.count)


class _Buffered(asyncio.BufferedProtocol):
    def __init__(self, done: asyncio.Future) -> None:
        self.decoder = MessageReader()
        self.count = 0
        self.done = done
        self.buffer = bytearray(READ_SIZE)
        self.view = memoryview(self.buffer)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view

    def buffer_updated(self, nbytes: int) -> None:
        self.count += len(self.decoder.feed(self.view[:nbytes]))

    def connection_lost(self, exc: object) -> None:
        self.done.set_result(self.count)


async def _read_protocol(port: int, factory) -> int:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    transport, _ = await loop.create_connection(lambda: factory(done), "127.0.0.1", port)
    try:
        return await done
    finally:
        transport.close()


async def _read_plain(port: int, expected: int) -> int:
    return await _read_protocol(port, _Plain)


async def _read_buffered(port: int, expected: int) -> int:
    return await _read_protocol(port, _Buffered)


READERS = {"streams": _read_streams, "protocol": _read_plain, "buffered": _read_buffered}


@pytest.mark.parametrize("message_size", [64, 8192], ids=["64B", "8KiB"])
@pytest.mark.parametrize("path", list(READERS))
def test_read_path(benchmark, path, message_size):
    blob, count = _payload(message_size)
    loop = asyncio.new_event_loop()
    try:
        server, port = loop.run_until_complete(_serve(blob))
        read = READERS[path]
        benchmark.group = f"read path {message_size} B messages"
        benchmark.extra_info["bytes"] = len(blob)

        def run() -> int:
            return loop.run_until_complete(read(port, count))

        assert benchmark.pedantic(run, rounds=15, iterations=1, warmup_rounds=2) == count
        server.close()
        loop.run_until_complete(server.wait_closed())
    finally:
        loop.close()
