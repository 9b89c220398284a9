"""One connection to one member: socket, TLS, preamble, framing in, coalesced writes out.

A :class:`Connection` is an :class:`asyncio.BufferedProtocol`. Its states::

    CREATED --connect()--> CONNECTING --socket open, interceptor run, "CP2" written--> CONNECTED --close()--> CLOSED
                                     \\--failure / timeout / close()-----------------------------------------> CLOSED

* :meth:`Connection.connect` is allowed only from CREATED. It resolves the address through the event loop (every
  connect resolves again), opens the socket with the configured options (TCP_NODELAY, SO_KEEPALIVE, SO_SNDBUF,
  SO_RCVBUF, SO_LINGER, then the user's list), connects (TLS when configured), runs the socket interceptor and
  writes the ``CP2`` preamble, all within ``connect_timeout``.
* Read path: the kernel writes into one preallocated buffer (``get_buffer``) and the chosen backend's
  :class:`~hazelcast.protocol.MessageReader` is fed a memoryview of it (``buffer_updated``): no bytes object per
  read, one copy per message. Measured against asyncio streams and ``asyncio.Protocol`` in
  ``benchmarks/test_bench_read_path.py``. While a handshake waiter is set (:meth:`expect_handshake_response`), the
  next message completes it; every other message goes to ``message_handler(connection, message)``.
* Write path: :meth:`send_sync` queues the encoded message; all messages queued in one loop iteration go out in
  one ``transport.write``. Exception: the first message after bytes were read goes out at once (a request-response
  client then needs no extra loop iteration per round trip; the rest of a burst is still coalesced). When the transport's buffer is over its high-water mark (``pause_writing``) nothing is
  written until ``resume_writing``; :meth:`send` waits for that before queueing.
* :meth:`close` is idempotent: the first call records the reason and cause, stops reading, cancels a connect in
  progress, closes the transport and waits for it (aborting after a grace period), fails the handshake waiter and
  tells the close listeners; later calls wait for the first to finish.
* ``last_read_time`` / ``last_write_time`` (``loop.time()`` seconds) feed the heartbeat.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import enum
import logging
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Sequence, Tuple

from hazelcast.errors import HazelcastError, HazelcastIOError, IllegalStateError, ProtocolError, TargetDisconnectedError
from hazelcast.network.address import Address, resolve
from hazelcast.network.socket_interceptor import SocketInterceptor, run_interceptor
from hazelcast.protocol import ClientMessage, MessageReader

_logger = logging.getLogger(__name__)

PREAMBLE = b"CP2"
"""The client binary protocol preamble, sent once before the first message."""
READ_BUFFER_SIZE = 128 * 1024
"""Size of the buffer the kernel reads into."""
CLOSE_GRACE = 2.0
"""Seconds :meth:`Connection.close` waits for the transport to finish before aborting it."""

MessageHandler = Callable[["Connection", ClientMessage], None]
CloseListener = Callable[["Connection"], None]


class ConnectionState(enum.Enum):
    """Lifecycle of a :class:`Connection`."""

    CREATED = "CREATED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    CLOSED = "CLOSED"


@dataclass(frozen=True)
class ConnectionOptions:
    """What a :class:`Connection` needs to open its socket. :meth:`from_config` derives it from a client config."""

    connect_timeout: float = 5.0
    """Seconds for resolve + TCP + TLS + interceptor + preamble; 0 means no limit."""
    ssl_context: Optional[ssl.SSLContext] = None
    server_hostname: Optional[str] = None
    """Name to send (SNI) and verify with TLS; the address's host when ``None``."""
    tcp_no_delay: bool = True
    keep_alive: bool = True
    send_buffer_size: Optional[int] = None
    receive_buffer_size: Optional[int] = None
    linger_seconds: Optional[int] = None
    socket_options: Sequence[Tuple[int, int, Any]] = field(default_factory=tuple)
    interceptor: Optional[SocketInterceptor] = None
    max_message_size: int = 256 * 1024 * 1024
    read_buffer_size: int = READ_BUFFER_SIZE

    @classmethod
    def from_config(cls, config: Any) -> "ConnectionOptions":
        """Options from a :class:`hazelcast.config.Config` (builds the TLS context when ``ssl_enabled``)."""
        ssl_config = config.ssl_config()
        return cls(
            connect_timeout=config.connection_timeout,
            ssl_context=ssl_config.create_context() if ssl_config.enabled else None,
            server_hostname=ssl_config.server_hostname,
            tcp_no_delay=config.tcp_no_delay,
            keep_alive=config.keep_alive,
            send_buffer_size=config.socket_send_buffer_size,
            receive_buffer_size=config.socket_receive_buffer_size,
            linger_seconds=config.socket_linger_seconds,
            socket_options=tuple(config.socket_options),
            interceptor=config.socket_interceptor,
            max_message_size=config.max_message_size,
        )

    def apply(self, sock: socket.socket) -> None:
        """Set the configured options on ``sock`` (before it connects, so buffer sizes shape the TCP window)."""
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if self.tcp_no_delay else 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1 if self.keep_alive else 0)
        if self.send_buffer_size is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer_size)
        if self.receive_buffer_size is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer_size)
        if self.linger_seconds is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, self.linger_seconds))
        for level, option, value in self.socket_options:
            sock.setsockopt(level, option, value)


class Connection(asyncio.BufferedProtocol):
    """A client connection to one member (see the module docstring for the state machine and the data paths)."""

    def __init__(
        self,
        address: Address,
        message_handler: MessageHandler,
        *,
        connection_id: int = 0,
        options: Optional[ConnectionOptions] = None,
        close_listeners: Sequence[CloseListener] = (),
        loop: Optional[asyncio.AbstractEventLoop] = None,
    ) -> None:
        self.remote_address = address
        """The member address this connection was opened to (``.host``, ``.port``)."""
        self.connection_id = connection_id
        self.options = options or ConnectionOptions()
        self._loop = loop or asyncio.get_running_loop()
        # loop.time() without its Python frame when the loop keeps the standard clock (read and write times)
        self._clock = (
            time.monotonic if type(self._loop).time is asyncio.base_events.BaseEventLoop.time else self._loop.time
        )
        self._handler = message_handler
        self._close_listeners: List[CloseListener] = list(close_listeners)
        self._state = ConnectionState.CREATED
        self._transport: Optional[asyncio.Transport] = None
        self._reader = MessageReader(self.options.max_message_size)
        self._buffer = bytearray(self.options.read_buffer_size)
        self._view = memoryview(self._buffer)
        self._pending: List[bytes] = []
        self._flush_scheduled = False
        self._write_through = False
        self._write_paused = False
        self._writable_waiters: List[asyncio.Future] = []
        self._handshake: Optional[asyncio.Future] = None
        self._open_task: Optional[asyncio.Task] = None
        self._lost: Optional[asyncio.Future] = None
        self._closing: Optional[asyncio.Future] = None
        self._close_task: Optional[asyncio.Task] = None
        now = self._loop.time()
        self.last_read_time = now
        """``loop.time()`` of the last bytes read."""
        self.last_write_time = now
        """``loop.time()`` of the last bytes handed to the transport."""
        self.start_time = now
        self.local_address: Optional[Address] = None
        self.member_uuid: Any = None
        """The member's UUID, set by the connection manager after authentication."""
        self.cluster_uuid: Any = None
        """The cluster id from the authentication response."""
        self.server_version: Optional[str] = None
        self.close_reason: Optional[str] = None
        self.close_cause: Optional[BaseException] = None

    # -- state ----------------------------------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The current :class:`ConnectionState`."""
        return self._state

    @property
    def is_alive(self) -> bool:
        """Whether the connection is open and not closing."""
        return self._state is ConnectionState.CONNECTED

    @property
    def socket(self) -> Any:
        """The underlying socket (asyncio's read-only wrapper), or ``None`` before connect / after close."""
        if self._transport is None:
            return None
        return self._transport.get_extra_info("socket")

    @property
    def transport(self) -> Optional[asyncio.Transport]:
        """The asyncio transport while connected."""
        return self._transport

    @property
    def write_paused(self) -> bool:
        """Whether the transport asked to stop writing (its buffer is over the high-water mark)."""
        return self._write_paused

    def add_close_listener(self, listener: CloseListener) -> None:
        """Call ``listener(connection)`` once when the connection closes (at once if it already has)."""
        if self._closing is not None and self._closing.done():
            self._call_close_listener(listener)
        else:
            self._close_listeners.append(listener)

    # -- connecting -----------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the connection (see the module docstring). Raises :class:`~hazelcast.errors.IllegalStateError`
        unless CREATED, :class:`~hazelcast.errors.HazelcastIOError` on resolve/connect/TLS failures and timeouts,
        and the interceptor's own error if it raises. On any failure the connection ends CLOSED."""
        if self._state is not ConnectionState.CREATED:
            raise IllegalStateError(f"connect() needs a CREATED connection, this one is {self._state.value}")
        self._state = ConnectionState.CONNECTING
        timeout = self.options.connect_timeout or None
        self._open_task = self._loop.create_task(self._open())
        try:
            async with asyncio.timeout(timeout):
                await self._open_task
        except TimeoutError:
            error: BaseException = HazelcastIOError(f"connecting to {self.remote_address} timed out after {timeout} s")
            await self.close("Connect timed out", error)
            raise error from None
        except asyncio.CancelledError:
            if self._closing is None:
                await self.close("Connect cancelled", None)
                raise
            raise self._connect_error() from None
        except Exception as e:
            await self.close("Connect failed", e)
            raise
        finally:
            self._open_task = None
        if self._state is not ConnectionState.CONNECTING:  # closed while the preamble was written
            raise self._connect_error()
        self._state = ConnectionState.CONNECTED
        now = self._loop.time()
        self.last_read_time = self.last_write_time = self.start_time = now

    def _connect_error(self) -> HazelcastError:
        error = HazelcastIOError(f"connection to {self.remote_address} closed while connecting: {self.close_reason}")
        error.__cause__ = self.close_cause
        return error

    async def _open(self) -> None:
        candidates = await resolve(self.remote_address, self._loop)
        sock = await self._connect_socket(candidates)
        opts = self.options
        try:
            hostname = None
            if opts.ssl_context is not None:
                hostname = opts.server_hostname or self.remote_address.host
            await self._loop.create_connection(lambda: self, sock=sock, ssl=opts.ssl_context, server_hostname=hostname)
        except (OSError, ssl.SSLError) as e:
            sock.close()
            raise HazelcastIOError(f"cannot open {self.remote_address}: {e}") from e
        except BaseException:
            sock.close()
            raise
        if opts.interceptor is not None:
            await run_interceptor(opts.interceptor, self)
        self.write_raw(PREAMBLE)

    async def _connect_socket(self, candidates: Sequence[Any]) -> socket.socket:
        last: Optional[BaseException] = None
        for family, sockaddr in candidates:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setblocking(False)
                self.options.apply(sock)
                await self._loop.sock_connect(sock, sockaddr)
            except OSError as e:
                sock.close()
                last = e
                continue
            except BaseException:
                sock.close()
                raise
            return sock
        raise HazelcastIOError(f"cannot connect to {self.remote_address}: {last}") from last

    # -- asyncio.BufferedProtocol --------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D401 - asyncio callback
        self._transport = transport  # type: ignore[assignment]
        self._lost = self._loop.create_future()
        name = transport.get_extra_info("sockname")
        if name:
            self.local_address = Address(name[0], name[1])

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        if self._closing is not None:
            return
        self.last_read_time = self._clock()
        self._write_through = True
        try:
            messages = self._reader.feed(self._view[:nbytes])
        except ProtocolError as e:
            self._close_soon("Malformed message from member", e)
            return
        for message in messages:
            waiter = self._handshake
            if waiter is not None:
                self._handshake = None
                if not waiter.done():
                    waiter.set_result(message)
                continue
            try:
                self._handler(self, message)
            except Exception:  # a handler bug must not take the connection down
                _logger.exception("message handler failed on %r", self)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        self._wake_writers()
        if self._closing is None:
            cause: Optional[BaseException] = None
            if exc is not None:
                cause = HazelcastIOError(f"connection to {self.remote_address} broke: {exc}")
                cause.__cause__ = exc
            self._close_soon("Connection closed by the member" if exc is None else "Connection broke", cause)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_writers()
        if self._pending and not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    # -- writing ----------------------------------------------------------------------------------------------------

    def write_raw(self, data: bytes) -> None:
        """Write bytes to the socket at once, outside the message queue (for socket interceptors and the preamble)."""
        if self._transport is None or self._closing is not None:
            raise IllegalStateError(f"{self!r} is not open")
        self._transport.write(data)
        self.last_write_time = self._loop.time()

    def send_sync(self, message: ClientMessage) -> bool:
        """Queue ``message`` for writing without waiting; False when the connection is not alive.

        Messages queued in the same loop iteration are written together. While writing is paused the queue grows;
        callers that produce many messages should use :meth:`send`.
        """
        if self._state is not ConnectionState.CONNECTED:
            return False
        if self._write_through and not self._flush_scheduled and not self._write_paused:
            self._write_through = False  # the first message after a read goes out at once
            self._transport.write(message.to_bytes())  # type: ignore[union-attr]
            self.last_write_time = self._clock()
            return True
        self._pending.append(message.to_bytes())
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        return True

    async def send(self, message: ClientMessage) -> bool:
        """Wait while writing is paused (backpressure), then :meth:`send_sync`."""
        while self._write_paused and self._state is ConnectionState.CONNECTED:
            waiter = self._loop.create_future()
            self._writable_waiters.append(waiter)
            await waiter
        return self.send_sync(message)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._write_paused or self._closing is not None or not self._pending:
            return
        pending = self._pending
        self._pending = []
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        assert self._transport is not None
        self._transport.write(data)
        self.last_write_time = self._loop.time()

    def _wake_writers(self) -> None:
        waiters = self._writable_waiters
        self._writable_waiters = []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- handshake --------------------------------------------------------------------------------------------------

    def expect_handshake_response(self) -> "asyncio.Future[ClientMessage]":
        """A future completed by the next inbound message, which then bypasses the message handler.

        Used by the connection manager for the authentication response. Fails with
        :class:`~hazelcast.errors.TargetDisconnectedError` if the connection closes first.
        """
        if self._closing is not None:
            raise self._disconnected_error()
        waiter: asyncio.Future = self._loop.create_future()
        self._handshake = waiter
        return waiter

    def _disconnected_error(self) -> TargetDisconnectedError:
        error = TargetDisconnectedError(f"connection to {self.remote_address} closed: {self.close_reason}")
        error.__cause__ = self.close_cause
        return error

    # -- closing ------------------------------------------------------------------------------------------------

    def _close_soon(self, reason: str, cause: Optional[BaseException]) -> None:
        if self._closing is None and self._close_task is None:
            self._close_task = self._loop.create_task(self.close(reason, cause))

    async def close(self, reason: Optional[str] = None, cause: Optional[BaseException] = None) -> None:
        """Close the connection once (later calls wait for the first): record ``reason`` and ``cause``, stop reading,
        cancel a connect in progress, close the transport and wait for it, fail the handshake waiter, and call the
        close listeners."""
        if self._closing is not None:
            await asyncio.shield(self._closing)
            return
        self._closing = self._loop.create_future()
        self.close_reason = reason
        self.close_cause = cause
        previous = self._state
        self._state = ConnectionState.CLOSED
        try:
            if previous is ConnectionState.CONNECTED:
                _logger.info("closed %r: %s (cause: %r)", self, reason, cause)
            open_task = self._open_task
            if open_task is not None and open_task is not asyncio.current_task():
                open_task.cancel()
            waiter = self._handshake
            self._handshake = None
            if waiter is not None and not waiter.done():
                waiter.set_exception(self._disconnected_error())
                waiter.exception()  # mark retrieved: the manager may already have given up on it
            self._pending = []
            self._wake_writers()
            transport = self._transport
            if transport is not None:
                transport.close()
                assert self._lost is not None
                try:
                    async with asyncio.timeout(CLOSE_GRACE):
                        await asyncio.shield(self._lost)
                except TimeoutError:
                    transport.abort()
                    await self._lost
            self._transport = None
            listeners = self._close_listeners
            self._close_listeners = []
            for listener in listeners:
                self._call_close_listener(listener)
        finally:
            self._closing.set_result(None)

    def _call_close_listener(self, listener: CloseListener) -> None:
        try:
            listener(self)
        except Exception:
            _logger.exception("close listener failed on %r", self)

    async def wait_closed(self) -> None:
        """Wait until the connection is closed (by anyone)."""
        if self._closing is None:
            waiter = self._loop.create_future()
            self._close_listeners.append(lambda _: waiter.done() or waiter.set_result(None))
            await waiter
        else:
            await asyncio.shield(self._closing)

    def __repr__(self) -> str:
        return (
            f"Connection(id={self.connection_id}, {self._state.value}, remote={self.remote_address}, "
            f"member={self.member_uuid})"
        )
