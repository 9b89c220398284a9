"""A TLS terminator on loopback for the TLS tests: accepts TLS connections and pipes the plaintext to a member.

Runs in the test's event loop; ``async with TLSTerminator(server_context, member_port) as port: ...``. Every
accepted connection and its upstream are closed on exit.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import List, Optional, Set


class TLSTerminator:
    """TLS on ``127.0.0.1:<port>`` in front of plain TCP ``127.0.0.1:<upstream_port>``."""

    def __init__(self, context: ssl.SSLContext, upstream_port: int) -> None:
        self.context = context
        self.upstream_port = upstream_port
        self.server: Optional[asyncio.base_events.Server] = None
        self.port = 0
        self.accepted = 0
        self.handshake_failures = 0
        self._writers: List[asyncio.StreamWriter] = []
        self._tasks: Set[asyncio.Task] = set()

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self._writers += [writer, up_writer]
        pipes = [self._pipe(reader, up_writer), self._pipe(up_reader, writer)]
        for coro in pipes:
            task = asyncio.get_running_loop().create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()
