"""A scripted stand-in for a member, on loopback, for unit-level fault injection in the manager tests.

It speaks just enough of the protocol: reads ``CP2`` and requests, answers ``Client.Authentication`` (2.8 layout by
default, or whatever ``auth`` returns), ``Client.Ping``, ``Client.AddClusterViewListener`` (response plus a
MembersView event), and hands everything else to ``on_request``. :meth:`FakeMember.kill` drops the server and
every connection at once. Real-member behaviour is tested against real members; this only reaches the corners.
"""

from __future__ import annotations

import asyncio
import struct
import uuid
from typing import Callable, List, Optional

from hazelcast.network.address import Address
from hazelcast.protocol import IS_EVENT_FLAG, ClientMessage, MessageReader
from hazelcast.protocol.codecs import client as c
from hazelcast.protocol.codecs.builtin import encode_list, encode_string_map, encode_uuid_int32_list_entry_list, uuid_to_bytes
from hazelcast.protocol.codecs.custom import MemberInfo, encode_address, encode_member_info


def response_frame(message_type: int, correlation_id: int, fixed: bytes = b"") -> ClientMessage:
    msg = ClientMessage()
    msg.append_frame(struct.pack("<iqB", message_type, correlation_id, 0) + fixed, 0xC000)
    return msg


def auth_response(
    correlation_id: int,
    *,
    status: int = 0,
    member_uuid: Optional[uuid.UUID] = None,
    cluster_id: Optional[uuid.UUID] = None,
    partition_count: int = 271,
    members: List[MemberInfo] = (),  # type: ignore[assignment]
    partitions=(),
    member_list_version: int = 1,
    layout: str = "2.8",
) -> bytes:
    fixed = bytearray(1 + 17 + 1 + 4 + 17 + 1)
    fixed[0] = status
    fixed[1:18] = uuid_to_bytes(member_uuid)
    fixed[18] = 1
    struct.pack_into("<i", fixed, 19, partition_count)
    fixed[23:40] = uuid_to_bytes(cluster_id)
    if layout != "2.0":
        fixed += struct.pack("<ii", member_list_version, 1)
    msg = response_frame(c.AUTHENTICATION_RESPONSE, correlation_id, bytes(fixed))
    encode_address(msg, Address("127.0.0.1", 5701))
    msg.append_string("5.7.0")
    if layout != "2.0":
        msg.append_null()
        msg.append_null()
        encode_list(msg, list(members), encode_member_info)
        encode_uuid_int32_list_entry_list(msg, list(partitions))
        encode_string_map(msg, {})
    return msg.to_bytes()


def members_view_event(correlation_id: int, version: int, members: List[MemberInfo]) -> bytes:
    msg = ClientMessage.create_request(c.MEMBERS_VIEW_EVENT, -1, 4)
    msg.flags = msg.flags | IS_EVENT_FLAG
    msg.correlation_id = correlation_id
    msg.set_int32(16, version)
    encode_list(msg, members, encode_member_info)
    return msg.to_bytes()


class FakeMember:
    """A loopback server answering like a member (see the module docstring)."""

    def __init__(
        self,
        *,
        member_uuid: Optional[uuid.UUID] = None,
        cluster_id: Optional[uuid.UUID] = None,
        auth: Optional[Callable[[ClientMessage], Optional[bytes]]] = None,
        on_request: Optional[Callable[[ClientMessage, asyncio.StreamWriter], None]] = None,
        port: int = 0,
    ) -> None:
        self.member_uuid = member_uuid or uuid.uuid4()
        self.cluster_id = cluster_id or uuid.uuid4()
        self.auth = auth
        self.on_request = on_request
        self.port = port
        self.server: Optional[asyncio.base_events.Server] = None
        self.writers: List[asyncio.StreamWriter] = []
        self.requests: List[ClientMessage] = []
        self.members: List[MemberInfo] = []

    @property
    def info(self) -> MemberInfo:
        return MemberInfo(Address("127.0.0.1", self.port), self.member_uuid)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> "FakeMember":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def kill(self) -> None:
        if self.server is not None:
            self.server.close()
            for w in self.writers:
                w.transport.abort()
            await self.server.wait_closed()
            self.server = None
        self.writers = []

    def default_auth(self, request: ClientMessage) -> bytes:
        return auth_response(
            request.correlation_id,
            member_uuid=self.member_uuid,
            cluster_id=self.cluster_id,
            members=self.members or [self.info],
        )

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        try:
            if await reader.readexactly(3) != b"CP2":
                writer.close()
                return
            decoder = MessageReader()
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for request in decoder.feed(data):
                    self.requests.append(request)
                    self._answer(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _answer(self, request: ClientMessage, writer: asyncio.StreamWriter) -> None:
        t = request.message_type
        if t == c.AUTHENTICATION_REQUEST:
            answer = (self.auth or self.default_auth)(request)
            if answer is not None:
                writer.write(answer)
        elif t == c.PING_REQUEST:
            writer.write(response_frame(c.PING_RESPONSE, request.correlation_id).to_bytes())
        elif t == c.ADD_CLUSTER_VIEW_LISTENER_REQUEST:
            writer.write(response_frame(c.ADD_CLUSTER_VIEW_LISTENER_RESPONSE, request.correlation_id).to_bytes())
            writer.write(members_view_event(request.correlation_id, 1, self.members or [self.info]))
        elif self.on_request is not None:
            self.on_request(request, writer)
