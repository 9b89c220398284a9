"""Codecs of the client service used by the network layer: ``Client.Authentication`` (protocol 2.8 layout with
the routing mode), ``Client.Ping`` and ``Client.AddClusterViewListener`` with its MembersView / PartitionsView
events (``docs/protocol.md`` §2).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from hazelcast.network.address import Address
from hazelcast.protocol import (
    RESPONSE_HEADER_SIZE,
    ClientMessage,
    read_bool,
    read_int32,
    read_uint8,
    read_uuid,
)
from hazelcast.protocol.codecs.builtin import (
    decode_int32_list,
    decode_list,
    decode_string_map,
    decode_uuid_int32_list_entry_list,
    encode_string_list,
    has_fixed,
    initial_frame,
)
from hazelcast.protocol.codecs.custom import MemberInfo, decode_member_info, decode_nullable_address

AUTHENTICATION_REQUEST = 0x000100
AUTHENTICATION_RESPONSE = 0x000101
ADD_CLUSTER_VIEW_LISTENER_REQUEST = 0x000300
ADD_CLUSTER_VIEW_LISTENER_RESPONSE = 0x000301
MEMBERS_VIEW_EVENT = 0x000302
PARTITIONS_VIEW_EVENT = 0x000303
MEMBER_GROUPS_VIEW_EVENT = 0x000304
CLUSTER_VERSION_EVENT = 0x000305
PING_REQUEST = 0x000B00
PING_RESPONSE = 0x000B01

CLIENT_TYPE = "PYH"
"""Client type sent in the authentication request: the Python client's (Java ``ConnectionType.PYTHON_CLIENT``)."""
SERIALIZATION_VERSION = 1

# request initial frame (content offsets)
_REQ_UUID = 16
_REQ_SERIALIZATION_VERSION = 33
_REQ_ROUTING_MODE = 34
_REQ_CP_DIRECT = 35
_REQ_FIXED = _REQ_CP_DIRECT + 1 - 16

# response initial frame (content offsets)
_RESP_STATUS = RESPONSE_HEADER_SIZE
_RESP_MEMBER_UUID = _RESP_STATUS + 1
_RESP_SERIALIZATION_VERSION = _RESP_MEMBER_UUID + 17
_RESP_PARTITION_COUNT = _RESP_SERIALIZATION_VERSION + 1
_RESP_CLUSTER_ID = _RESP_PARTITION_COUNT + 4
_RESP_FAILOVER_SUPPORTED = _RESP_CLUSTER_ID + 17
_RESP_MEMBER_LIST_VERSION = _RESP_FAILOVER_SUPPORTED + 1
_RESP_PARTITION_LIST_VERSION = _RESP_MEMBER_LIST_VERSION + 4

_EVENT_VERSION = 16

AUTHENTICATED = 0
CREDENTIALS_FAILED = 1
SERIALIZATION_VERSION_MISMATCH = 2
NOT_ALLOWED_IN_CLUSTER = 3

PartitionTable = List[Tuple[Optional[uuid.UUID], List[int]]]


@dataclass
class AuthenticationResponse:
    """The decoded ``Client.Authentication`` response. Fields of protocol 2.7+ are empty when absent."""

    status: int
    address: Optional[Address]
    member_uuid: Optional[uuid.UUID]
    serialization_version: int
    server_hazelcast_version: str
    partition_count: int
    cluster_id: Optional[uuid.UUID]
    failover_supported: bool
    tpc_ports: Optional[List[int]] = None
    tpc_token: Optional[bytes] = None
    member_list_version: int = -1
    members: List[MemberInfo] = field(default_factory=list)
    partition_list_version: int = -1
    partitions: PartitionTable = field(default_factory=list)
    key_value_pairs: Dict[str, str] = field(default_factory=dict)


def encode_authentication_request(
    cluster_name: str,
    username: Optional[str],
    password: Optional[str],
    client_uuid: uuid.UUID,
    client_version: str,
    client_name: str,
    labels: Sequence[str],
    routing_mode: int,
    cp_direct_to_leader_routing: bool = False,
    client_type: str = CLIENT_TYPE,
    serialization_version: int = SERIALIZATION_VERSION,
) -> ClientMessage:
    """``Client.Authentication`` in the protocol 2.8 layout (vector A.2 of ``docs/protocol.md``)."""
    msg = ClientMessage.create_request(AUTHENTICATION_REQUEST, -1, _REQ_FIXED)
    msg.retryable = True
    msg.set_uuid(_REQ_UUID, client_uuid)
    msg.set_uint8(_REQ_SERIALIZATION_VERSION, serialization_version)
    msg.set_uint8(_REQ_ROUTING_MODE, routing_mode)
    msg.set_bool(_REQ_CP_DIRECT, cp_direct_to_leader_routing)
    msg.append_string(cluster_name)
    msg.append_nullable_string(username)
    msg.append_nullable_string(password)
    msg.append_string(client_type)
    msg.append_string(client_version)
    msg.append_string(client_name)
    encode_string_list(msg, labels)
    return msg


def decode_authentication_response(msg: Any) -> AuthenticationResponse:
    """Decode a ``Client.Authentication`` response of any 2.x layout (later fields optional)."""
    content = initial_frame(msg)
    response = AuthenticationResponse(
        status=read_uint8(content, _RESP_STATUS),
        address=None,
        member_uuid=read_uuid(content, _RESP_MEMBER_UUID),
        serialization_version=read_uint8(content, _RESP_SERIALIZATION_VERSION),
        server_hazelcast_version="",
        partition_count=read_int32(content, _RESP_PARTITION_COUNT),
        cluster_id=read_uuid(content, _RESP_CLUSTER_ID),
        failover_supported=read_bool(content, _RESP_FAILOVER_SUPPORTED),
    )
    if has_fixed(content, _RESP_MEMBER_LIST_VERSION, 4):
        response.member_list_version = read_int32(content, _RESP_MEMBER_LIST_VERSION)
    if has_fixed(content, _RESP_PARTITION_LIST_VERSION, 4):
        response.partition_list_version = read_int32(content, _RESP_PARTITION_LIST_VERSION)
    response.address = decode_nullable_address(msg)
    response.server_hazelcast_version = msg.read_string()
    if msg.has_next_frame():
        response.tpc_ports = None if msg.next_is_null() else decode_int32_list(msg)
        response.tpc_token = msg.read_nullable_bytes()
    if msg.has_next_frame():
        response.members = decode_list(msg, decode_member_info)
        response.partitions = decode_uuid_int32_list_entry_list(msg)
    if msg.has_next_frame():
        response.key_value_pairs = decode_string_map(msg)
    return response


def encode_ping_request() -> ClientMessage:
    """``Client.Ping``: header only."""
    msg = ClientMessage.create_request(PING_REQUEST, -1, 0)
    msg.retryable = True
    return msg


def encode_add_cluster_view_listener_request() -> ClientMessage:
    """``Client.AddClusterViewListener``: header only; events follow with the same correlation id."""
    msg = ClientMessage.create_request(ADD_CLUSTER_VIEW_LISTENER_REQUEST, -1, 0)
    msg.retryable = False
    return msg


def decode_members_view_event(msg: Any) -> Tuple[int, List[MemberInfo]]:
    """``(version, members)`` of a MembersView event."""
    content = initial_frame(msg)
    return read_int32(content, _EVENT_VERSION), decode_list(msg, decode_member_info)


def decode_partitions_view_event(msg: Any) -> Tuple[int, PartitionTable]:
    """``(version, [(member uuid, partition ids)])`` of a PartitionsView event."""
    content = initial_frame(msg)
    return read_int32(content, _EVENT_VERSION), decode_uuid_int32_list_entry_list(msg)
