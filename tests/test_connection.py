"""Connection: state machine, socket options read back from the real socket, the CP2 preamble, the read path,
coalesced writes, backpressure, closing. Against a real member and against loopback servers for fault injection."""

import asyncio
import gc
import socket
import struct
import uuid

import pytest

from hazelcast.errors import HazelcastIOError, IllegalStateError, ProtocolError, TargetDisconnectedError
from hazelcast.network import connection as connection_module
from hazelcast.network.address import Address
from hazelcast.network.connection import PREAMBLE, Connection, ConnectionOptions, ConnectionState
from hazelcast.network.socket_interceptor import SocketInterceptor
from hazelcast.protocol import ClientMessage
from hazelcast.protocol.codecs.client import (
    AUTHENTICATION_RESPONSE,
    PING_RESPONSE,
    decode_authentication_response,
    encode_authentication_request,
    encode_ping_request,
)


class Recorder:
    """A message handler that keeps what it gets."""

    def __init__(self) -> None:
        self.messages = []
        self.arrived = asyncio.Event()

    def __call__(self, connection, message) -> None:
        self.messages.append(message)
        self.arrived.set()

    async def wait_for(self, n: int, timeout: float = 10.0) -> None:
        async def loop():
            while len(self.messages) < n:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(loop(), timeout)


class LoopbackServer:
    """A loopback TCP server that records what it receives and lets the test script its side."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.got_data = asyncio.Event()
        self.writers = []
        self.server = None
        self.port = 0
        self.on_accept = None

    async def __aenter__(self) -> "LoopbackServer":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        for w in self.writers:
            w.close()
        self.server.close()
        await self.server.wait_closed()

    @property
    def address(self) -> Address:
        return Address("127.0.0.1", self.port)

    async def _handle(self, reader, writer):
        self.writers.append(writer)
        if self.on_accept is not None:
            await self.on_accept(reader, writer)
            return
        while True:
            data = await reader.read(65536)
            if not data:
                break
            self.received += data
            self.got_data.set()
        writer.close()

    async def wait_bytes(self, n: int, timeout: float = 5.0) -> None:
        async def loop():
            while len(self.received) < n:
                self.got_data.clear()
                await self.got_data.wait()

        await asyncio.wait_for(loop(), timeout)


def auth_request(cluster_name: str) -> ClientMessage:
    msg = encode_authentication_request(cluster_name, None, None, uuid.uuid4(), "0.1.0", "test", [], 1)
    msg.correlation_id = 1
    return msg


async def authenticated(address: Address, cluster_name: str, handler=None, options=None) -> Connection:
    c = Connection(address, handler or Recorder(), options=options)
    await c.connect()
    waiter = c.expect_handshake_response()
    assert c.send_sync(auth_request(cluster_name))
    response = decode_authentication_response(await asyncio.wait_for(waiter, 30))
    assert response.status == 0
    return c


def member_address(cluster) -> Address:
    return Address("127.0.0.1", cluster.members[0].port)


# -- against a real member ---------------------------------------------------------------------------------------


@pytest.mark.integration
async def test_connect_authenticate_ping_close(hazelcast_cluster):
    recorder = Recorder()
    closed = []
    c = Connection(member_address(hazelcast_cluster), recorder, connection_id=7, close_listeners=[closed.append])
    assert c.state is ConnectionState.CREATED and not c.is_alive and c.socket is None and c.transport is None
    await c.connect()
    assert c.state is ConnectionState.CONNECTED and c.is_alive
    assert c.local_address is not None and c.local_address.host == "127.0.0.1"
    assert c.remote_address.host == "127.0.0.1"
    waiter = c.expect_handshake_response()
    assert c.send_sync(auth_request(hazelcast_cluster.cluster_name))
    response = await asyncio.wait_for(waiter, 30)
    assert response.message_type == AUTHENTICATION_RESPONSE and response.correlation_id == 1
    assert recorder.messages == []  # the handshake response bypasses the handler
    auth = decode_authentication_response(response)
    assert auth.status == 0 and auth.partition_count == 271 and auth.server_hazelcast_version.startswith("5.7")
    before = c.last_read_time
    ping = encode_ping_request()
    ping.correlation_id = 2
    assert await c.send(ping)
    await recorder.wait_for(1)
    assert recorder.messages[0].message_type == PING_RESPONSE and recorder.messages[0].correlation_id == 2
    assert c.last_read_time >= before and c.last_write_time >= before
    await c.close("done", None)
    assert c.state is ConnectionState.CLOSED and c.close_reason == "done" and c.close_cause is None
    assert closed == [c] and c.socket is None
    assert not c.send_sync(ping) and not await c.send(ping)
    await c.close("again", ValueError())  # idempotent: the first reason stays, listeners are not called again
    assert c.close_reason == "done" and closed == [c]
    late = []
    c.add_close_listener(late.append)
    assert late == [c]
    await c.wait_closed()
    with pytest.raises(TargetDisconnectedError):
        c.expect_handshake_response()


@pytest.mark.integration
async def test_socket_options_are_set_on_the_real_socket(hazelcast_cluster):
    options = ConnectionOptions(
        tcp_no_delay=True,
        keep_alive=True,
        send_buffer_size=64 * 1024,
        receive_buffer_size=32 * 1024,
        linger_seconds=3,
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 42), (socket.SOL_SOCKET, socket.SO_PRIORITY, 2)],
    )
    c = await authenticated(member_address(hazelcast_cluster), hazelcast_cluster.cluster_name, options=options)
    try:
        s = c.socket
        assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 2 * 64 * 1024  # Linux doubles the value
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 2 * 32 * 1024
        assert struct.unpack("ii", s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)) == (1, 3)
        assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 42
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY) == 2
    finally:
        await c.close()


async def test_socket_options_can_be_turned_off():
    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder(), options=ConnectionOptions(tcp_no_delay=False, keep_alive=False))
        await c.connect()
        s = c.socket
        # asyncio itself turns TCP_NODELAY on for TCP transports; keep-alive stays as configured
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8) == struct.pack("ii", 0, 0)
        await c.close()


def test_options_apply_to_unix_sockets_without_tcp_options():
    a, b = socket.socketpair()
    try:
        ConnectionOptions(send_buffer_size=8192).apply(a)
        assert a.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 16384
    finally:
        a.close()
        b.close()


@pytest.mark.integration
async def test_member_closes_on_a_wrong_first_message_and_listeners_learn_why(hazelcast_cluster):
    c = Connection(member_address(hazelcast_cluster), Recorder())
    reasons = []
    c.add_close_listener(lambda conn: reasons.append(conn.close_reason))
    await c.connect()
    ping = encode_ping_request()  # not an authentication request: the member drops the connection
    ping.correlation_id = 1
    c.send_sync(ping)
    await asyncio.wait_for(c.wait_closed(), 30)
    assert reasons == ["Connection closed by the member"] or reasons[0] == "Connection broke"
    assert c.state is ConnectionState.CLOSED


# -- state machine and failures ----------------------------------------------------------------------------------


async def test_preamble_first_then_coalesced_messages():
    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder())
        await c.connect()
        writes = []
        real_write = c.transport.write
        c.transport.write = lambda data: (writes.append(bytes(data)), real_write(data))[1]
        messages = []
        for i in range(5):
            m = encode_ping_request()
            m.correlation_id = i
            messages.append(m.to_bytes())
            assert c.send_sync(m)
        assert writes == []  # nothing written until the loop turns
        await server.wait_bytes(3 + 5 * 22)
        assert writes == [b"".join(messages)]  # five messages, one write
        assert bytes(server.received) == PREAMBLE + b"".join(messages)
        with pytest.raises(IllegalStateError, match="connect\\(\\) needs a CREATED"):
            await c.connect()
        await c.close()
        with pytest.raises(IllegalStateError, match="not open"):
            c.write_raw(b"x")


async def test_the_first_message_after_a_read_is_written_at_once_the_rest_coalesced():
    async with LoopbackServer() as server:
        recorder = Recorder()
        c = Connection(server.address, recorder)
        await c.connect()
        writes = []
        real_write = c.transport.write
        c.transport.write = lambda data: (writes.append(bytes(data)), real_write(data))[1]
        await server.wait_bytes(3)
        server.writers[0].write(encode_ping_request().to_bytes())  # a message arrives: bytes were read
        await recorder.wait_for(1)
        messages = []
        for i in range(3):
            m = encode_ping_request()
            m.correlation_id = i
            messages.append(m.to_bytes())
            assert c.send_sync(m)
        assert writes == [messages[0]]  # at once, no loop turn needed
        await server.wait_bytes(3 + 3 * 22)
        assert writes == [messages[0], messages[1] + messages[2]]
        assert c.send_sync(m)  # no read since: queued again
        assert writes == [messages[0], messages[1] + messages[2]]
        await c.close()


async def test_connect_refused_is_an_io_error_and_closes():
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    address = Address("127.0.0.1", port.getsockname()[1])
    port.close()
    c = Connection(address, Recorder())
    with pytest.raises(HazelcastIOError, match="cannot connect to"):
        await c.connect()
    assert c.state is ConnectionState.CLOSED and isinstance(c.close_cause, HazelcastIOError)


async def test_unresolvable_host(monkeypatch):
    loop = asyncio.get_running_loop()

    async def fail(*a, **k):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(loop, "getaddrinfo", fail)
    c = Connection(Address("no-such-member", 5701), Recorder())
    with pytest.raises(HazelcastIOError, match="cannot resolve"):
        await c.connect()
    assert c.state is ConnectionState.CLOSED


async def test_resolution_happens_on_every_connect(monkeypatch):
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    calls = []

    async def counting(host, port, **kw):
        calls.append(host)
        return await real("127.0.0.1", port, **kw)

    monkeypatch.setattr(loop, "getaddrinfo", counting)
    async with LoopbackServer() as server:
        for _ in range(3):
            c = Connection(Address("member.test", server.port), Recorder())
            await c.connect()
            await c.close()
    assert calls == ["member.test"] * 3


async def test_second_resolved_address_is_tried(monkeypatch):
    loop = asyncio.get_running_loop()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    async with LoopbackServer() as server:

        async def two(host, port, **kw):
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", dead_port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port)),
            ]

        monkeypatch.setattr(loop, "getaddrinfo", two)
        c = Connection(Address("multi.test", 1), Recorder())
        await c.connect()
        assert c.socket.getpeername()[1] == server.port
        await c.close()


async def test_connect_timeout():
    class Slow(SocketInterceptor):
        async def on_connect(self, connection):
            await asyncio.sleep(10)

    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder(), options=ConnectionOptions(connect_timeout=0.2, interceptor=Slow()))
        with pytest.raises(HazelcastIOError, match="timed out after 0.2 s"):
            await c.connect()
        assert c.state is ConnectionState.CLOSED and c.close_reason == "Connect timed out"
        assert c.transport is None


async def test_interceptor_runs_before_the_preamble_and_may_be_sync():
    seen = []

    class Intercept(SocketInterceptor):
        def on_connect(self, connection):
            seen.append((connection.state, connection.socket.getpeername()))
            connection.write_raw(b"HELLO")

    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder(), options=ConnectionOptions(interceptor=Intercept()))
        await c.connect()
        await server.wait_bytes(8)
        assert bytes(server.received[:8]) == b"HELLOCP2"
        assert seen == [(ConnectionState.CONNECTING, ("127.0.0.1", server.port))]
        await c.close()
    assert SocketInterceptor().on_connect(c) is None  # the default does nothing


async def test_interceptor_failure_closes_with_that_cause():
    error = RuntimeError("interceptor says no")

    class Refuse(SocketInterceptor):
        async def on_connect(self, connection):
            raise error

    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder(), options=ConnectionOptions(interceptor=Refuse()))
        with pytest.raises(RuntimeError, match="interceptor says no"):
            await c.connect()
        assert c.state is ConnectionState.CLOSED and c.close_cause is error
        await asyncio.sleep(0.05)
        assert server.received == b""  # no preamble was sent


async def test_close_during_connect():
    started = asyncio.Event()

    class Wait(SocketInterceptor):
        async def on_connect(self, connection):
            started.set()
            await asyncio.sleep(10)

    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder(), options=ConnectionOptions(interceptor=Wait()))
        task = asyncio.ensure_future(c.connect())
        await started.wait()
        await c.close("user closed it", None)
        with pytest.raises(HazelcastIOError, match="closed while connecting: user closed it"):
            await task


async def test_cancelling_connect_closes():
    started = asyncio.Event()

    class Wait(SocketInterceptor):
        async def on_connect(self, connection):
            started.set()
            await asyncio.sleep(10)

    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder(), options=ConnectionOptions(interceptor=Wait()))
        task = asyncio.ensure_future(c.connect())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert c.state is ConnectionState.CLOSED and c.close_reason == "Connect cancelled"


async def test_remote_close_fails_the_handshake_and_tells_listeners():
    async with LoopbackServer() as server:

        async def close_at_once(reader, writer):
            await reader.read(3)
            writer.close()

        server.on_accept = close_at_once
        c = Connection(server.address, Recorder())
        await c.connect()
        waiter = c.expect_handshake_response()
        with pytest.raises(TargetDisconnectedError, match="Connection closed by the member"):
            await asyncio.wait_for(waiter, 5)
        await c.wait_closed()
        assert c.close_reason == "Connection closed by the member" and c.close_cause is None


async def test_connection_reset_is_a_broken_connection():
    async with LoopbackServer() as server:

        async def reset(reader, writer):
            await reader.read(3)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()  # RST

        server.on_accept = reset
        c = Connection(server.address, Recorder())
        await c.connect()
        c.send_sync(encode_ping_request())  # writing into the reset socket surfaces the error
        await asyncio.wait_for(c.wait_closed(), 5)
        assert c.state is ConnectionState.CLOSED
        assert c.close_reason in ("Connection broke", "Connection closed by the member")
        if c.close_reason == "Connection broke":
            assert isinstance(c.close_cause, HazelcastIOError)


async def test_malformed_frames_close_with_a_protocol_error():
    async with LoopbackServer() as server:

        async def garbage(reader, writer):
            await reader.read(3)
            writer.write(struct.pack("<iH", 3, 0))  # a frame length below 6

        server.on_accept = garbage
        recorder = Recorder()
        c = Connection(server.address, recorder)
        await c.connect()
        await asyncio.wait_for(c.wait_closed(), 5)
        assert c.close_reason == "Malformed message from member" and isinstance(c.close_cause, ProtocolError)
        assert recorder.messages == []


async def test_messages_split_and_merged_arbitrarily_reach_the_handler_in_order():
    msgs = []
    for i in range(50):
        m = ClientMessage.create_request(0x000B01, -1, 0)
        m.correlation_id = i
        m.append_bytes(bytes(i * 97 % 3000))
        msgs.append(m.to_bytes())
    blob = b"".join(msgs)

    async with LoopbackServer() as server:

        async def dribble(reader, writer):
            await reader.read(3)
            pos = 0
            step = 1
            while pos < len(blob):
                writer.write(blob[pos : pos + step])
                await writer.drain()
                pos += step
                step = step * 3 % 7919 + 1

        server.on_accept = dribble
        recorder = Recorder()
        c = Connection(server.address, recorder, options=ConnectionOptions(read_buffer_size=1024))
        await c.connect()
        await recorder.wait_for(50)
        assert [m.correlation_id for m in recorder.messages] == list(range(50))
        await c.close()


async def test_handler_errors_do_not_kill_the_connection(caplog):
    async with LoopbackServer() as server:

        async def two(reader, writer):
            await reader.read(3)
            for i in (1, 2):
                m = ClientMessage.create_request(0x000B01, -1, 0)
                m.correlation_id = i
                writer.write(m.to_bytes())

        server.on_accept = two
        seen = []

        def handler(conn, msg):
            seen.append(msg.correlation_id)
            if msg.correlation_id == 1:
                raise ValueError("handler bug")

        c = Connection(server.address, handler)
        await c.connect()
        for _ in range(100):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.01)
        assert seen == [1, 2] and c.is_alive
        assert "message handler failed" in caplog.text
        await c.close()


async def test_close_listener_errors_are_logged(caplog):
    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder())
        c.add_close_listener(lambda conn: 1 / 0)
        await c.connect()
        await c.close()
        assert "close listener failed" in caplog.text


async def test_backpressure_pauses_and_resumes_writes():
    async with LoopbackServer() as server:
        release = asyncio.Event()

        async def slow_reader(reader, writer):
            await release.wait()
            total = 0
            while True:
                data = await reader.read(1 << 20)
                if not data:
                    break
                total += len(data)
                server.received += data
                server.got_data.set()

        server.on_accept = slow_reader
        c = Connection(server.address, Recorder(), options=ConnectionOptions(send_buffer_size=4096))
        await c.connect()
        c.transport.set_write_buffer_limits(high=16 * 1024)
        big = ClientMessage.create_request(0x000B00, -1, 0)
        big.append_bytes(bytes(64 * 1024))
        size = len(big.to_bytes())
        sent = 0
        for _ in range(1000):  # the peer does not read: fill the buffers until writing stays paused
            if c.write_paused:
                await asyncio.sleep(0.2)
                if c.write_paused:
                    break
                continue
            assert await c.send(big)
            sent += 1
            await asyncio.sleep(0.001)
        assert c.write_paused and sent < 1000
        assert c.send_sync(big)  # queued, not written while paused
        assert len(c._pending) == 1
        blocked = asyncio.ensure_future(c.send(big))
        await asyncio.sleep(0.05)
        assert not blocked.done()  # send() waits for resume_writing
        release.set()
        assert await asyncio.wait_for(blocked, 10)
        await server.wait_bytes(3 + (sent + 2) * size, timeout=20)
        assert not c.write_paused and c._pending == []
        await c.close()


async def test_close_unblocks_waiting_senders():
    c = Connection(Address("127.0.0.1", 1), Recorder())
    c._state = ConnectionState.CONNECTED
    c.pause_writing()
    blocked = asyncio.ensure_future(c.send(encode_ping_request()))
    await asyncio.sleep(0)
    await c.close("bye", None)
    assert await blocked is False
    c.resume_writing()  # after close: nothing to flush, no error
    assert c._pending == []


async def test_close_aborts_a_transport_that_does_not_finish(monkeypatch):
    monkeypatch.setattr(connection_module, "CLOSE_GRACE", 0.05)
    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder())
        await c.connect()
        transport = c.transport
        transport.close = lambda: None  # a transport whose close never completes
        await c.close()
        assert transport.is_closing() and c.transport is None


async def test_no_tasks_or_sockets_left_after_many_connections():
    import os

    async with LoopbackServer() as server:
        fds_before = len(os.listdir("/proc/self/fd"))
        tasks_before = len(asyncio.all_tasks())
        for _ in range(50):
            c = Connection(server.address, Recorder())
            await c.connect()
            await c.close()
        await asyncio.sleep(0.05)
        gc.collect()
        assert len(os.listdir("/proc/self/fd")) == fds_before
        assert len(asyncio.all_tasks()) == tasks_before


# -- corners ---------------------------------------------------------------------------------------------------


async def test_connect_timeout_while_the_tcp_handshake_hangs():
    # a listener whose accept queue is full drops further SYNs: the TCP connect itself hangs
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        await asyncio.sleep(0.1)
        c = Connection(Address("127.0.0.1", port), Recorder(), options=ConnectionOptions(connect_timeout=0.3))
        with pytest.raises(HazelcastIOError, match="timed out"):
            await c.connect()
        assert c.state is ConnectionState.CLOSED
    finally:
        for s in fillers:
            s.close()
        listener.close()


async def test_closed_right_after_the_preamble():
    async with LoopbackServer() as server:
        holder = {}

        class CloseSoon(SocketInterceptor):
            def on_connect(self, connection):
                # the close task's first step is scheduled before connect() resumes: the connection is closed
                # (after the preamble was written) when connect() looks again
                holder["t"] = asyncio.get_running_loop().create_task(connection.close("raced", None))

        c = Connection(server.address, Recorder(), options=ConnectionOptions(interceptor=CloseSoon()))
        with pytest.raises(HazelcastIOError, match="closed while connecting: raced"):
            await c.connect()
        await holder["t"]


async def test_data_after_close_is_ignored_and_double_close_soon_is_one_close():
    async with LoopbackServer() as server:
        recorder = Recorder()
        c = Connection(server.address, recorder)
        await c.connect()
        c._close_soon("first", None)
        c._close_soon("second", None)
        await c.wait_closed()
        assert c.close_reason == "first"
        buf = c.get_buffer(-1)
        ping = encode_ping_request()
        ping.correlation_id = 1
        data = ping.to_bytes()
        buf[: len(data)] = data
        c.buffer_updated(len(data))
        assert recorder.messages == []


async def test_a_cancelled_handshake_waiter_swallows_the_response():
    async with LoopbackServer() as server:

        async def answer(reader, writer):
            await reader.read(3)
            m = ClientMessage.create_request(0x000101, -1, 0)
            await asyncio.sleep(0.05)
            writer.write(m.to_bytes())

        server.on_accept = answer
        recorder = Recorder()
        c = Connection(server.address, recorder)
        await c.connect()
        waiter = c.expect_handshake_response()
        waiter.cancel()
        await asyncio.sleep(0.2)
        assert recorder.messages == []  # the late response never reaches the handler
        await c.close()


async def test_cancelled_sender_while_paused():
    c = Connection(Address("127.0.0.1", 1), Recorder())
    c._state = ConnectionState.CONNECTED
    c.pause_writing()
    blocked = asyncio.ensure_future(c.send(encode_ping_request()))
    await asyncio.sleep(0)
    blocked.cancel()
    await asyncio.sleep(0)
    c.resume_writing()  # the cancelled waiter is skipped
    assert blocked.cancelled()
    c._state = ConnectionState.CLOSED


async def test_wait_closed_before_any_close():
    async with LoopbackServer() as server:
        c = Connection(server.address, Recorder())
        await c.connect()
        waiter = asyncio.ensure_future(c.wait_closed())
        await asyncio.sleep(0)
        assert not waiter.done()
        await c.close()
        await waiter
