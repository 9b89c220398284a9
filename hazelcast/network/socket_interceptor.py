"""Socket interceptors: user code that runs on every new connection before the protocol starts.

Subclass :class:`SocketInterceptor` and override :meth:`~SocketInterceptor.on_connect` (a plain method or a
coroutine function). It runs after the TCP (and TLS) connect and before the ``CP2`` preamble, and gets the
:class:`~hazelcast.network.connection.Connection`; ``connection.socket`` is the real socket (read-only use: options,
peer name) and ``connection.write_raw(data)`` can send bytes ahead of the preamble. If ``on_connect`` raises, the
connection is closed with that exception as the cause and connecting fails with it.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from hazelcast.network.connection import Connection


class SocketInterceptor:
    """Base class of socket interceptors; the default does nothing."""

    def on_connect(self, connection: "Connection") -> Any:
        """Called once per connection after the socket is connected and before the protocol preamble.

        May be a coroutine function; its result is awaited. Raising closes the connection with the error as cause.
        """
        return None


async def run_interceptor(interceptor: SocketInterceptor, connection: "Connection") -> None:
    """Call ``interceptor.on_connect(connection)`` and await the result when it is awaitable."""
    result = interceptor.on_connect(connection)
    if inspect.isawaitable(result):
        await result
