"""Codecs of the custom types used by the client service: ``Address``, ``MemberVersion``, ``EndpointQualifier``,
``MemberInfo`` (``docs/protocol.md`` §1.7).

A custom type is ``BEGIN``, an initial frame with its fixed-size fields (when it has any), its var-sized fields in
order, ``END``. Decoders skip fields added by later protocol versions with ``fast_forward_to_end_frame``.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from hazelcast.errors import ProtocolError
from hazelcast.network.address import Address
from hazelcast.protocol import read_bool, read_int32, read_uint8, read_uuid
from hazelcast.protocol.codecs.builtin import (
    decode_entry_list,
    decode_string_map,
    encode_entry_list,
    encode_string_map,
    uuid_to_bytes,
)


@dataclass(frozen=True)
class MemberVersion:
    """A member's codebase version (``major.minor.patch``)."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class EndpointQualifier:
    """Which endpoint of a member an address is for: ``type`` (0 MEMBER, 1 CLIENT, 2 WAN, 3 REST, 4 MEMCACHE)
    and an optional ``identifier`` (e.g. ``"public"``)."""

    type: int
    identifier: Optional[str]


CLIENT_ENDPOINT = 1
"""``EndpointQualifier.type`` of the client endpoint."""


@dataclass(frozen=True)
class MemberInfo:
    """A cluster member as the cluster view reports it."""

    address: Address
    uuid: uuid.UUID
    lite_member: bool = False
    attributes: Dict[str, str] = field(default_factory=dict)
    version: MemberVersion = MemberVersion(0, 0, 0)
    address_map: Dict[EndpointQualifier, Address] = field(default_factory=dict)

    def __str__(self) -> str:
        lite = " lite" if self.lite_member else ""
        return f"Member [{self.address.host}]:{self.address.port} - {self.uuid}{lite}"


# -- Address -------------------------------------------------------------------------------------------------------


def encode_address(msg: Any, address: Address) -> None:
    """Append an ``Address``: BEGIN, [port:int], host, END."""
    msg.append_begin()
    msg.append_frame(struct.pack("<i", address.port))
    msg.append_string(address.host)
    msg.append_end()


def decode_address(msg: Any) -> Address:
    """Read an ``Address``."""
    msg.read_begin()
    port = read_int32(msg.next_frame().content, 0)
    host = msg.read_string()
    msg.fast_forward_to_end_frame()
    return Address(host, port)


def decode_nullable_address(msg: Any) -> Optional[Address]:
    """Read an ``Address`` or a NULL frame."""
    if msg.next_is_null():
        return None
    return decode_address(msg)


# -- MemberVersion, EndpointQualifier ------------------------------------------------------------------------------


def encode_member_version(msg: Any, version: MemberVersion) -> None:
    """Append a ``MemberVersion``: BEGIN, [major, minor, patch: byte], END."""
    msg.append_begin()
    msg.append_frame(bytes((version.major, version.minor, version.patch)))
    msg.append_end()


def decode_member_version(msg: Any) -> MemberVersion:
    """Read a ``MemberVersion``."""
    msg.read_begin()
    content = msg.next_frame().content
    version = MemberVersion(read_uint8(content, 0), read_uint8(content, 1), read_uint8(content, 2))
    msg.fast_forward_to_end_frame()
    return version


def encode_endpoint_qualifier(msg: Any, qualifier: EndpointQualifier) -> None:
    """Append an ``EndpointQualifier``: BEGIN, [type:int], identifier?, END."""
    msg.append_begin()
    msg.append_frame(struct.pack("<i", qualifier.type))
    msg.append_nullable_string(qualifier.identifier)
    msg.append_end()


def decode_endpoint_qualifier(msg: Any) -> EndpointQualifier:
    """Read an ``EndpointQualifier``."""
    msg.read_begin()
    kind = read_int32(msg.next_frame().content, 0)
    identifier = msg.read_nullable_string()
    msg.fast_forward_to_end_frame()
    return EndpointQualifier(kind, identifier)


# -- MemberInfo ----------------------------------------------------------------------------------------------------


def encode_member_info(msg: Any, member: MemberInfo) -> None:
    """Append a ``MemberInfo``: BEGIN, [uuid, liteMember], address, attributes, version, addressMap, END."""
    msg.append_begin()
    msg.append_frame(uuid_to_bytes(member.uuid) + (b"\x01" if member.lite_member else b"\x00"))
    encode_address(msg, member.address)
    encode_string_map(msg, member.attributes)
    encode_member_version(msg, member.version)
    encode_entry_list(msg, member.address_map.items(), encode_endpoint_qualifier, encode_address)
    msg.append_end()


def decode_member_info(msg: Any) -> MemberInfo:
    """Read a ``MemberInfo`` (``addressMap`` is optional: added in protocol 2.0.1)."""
    msg.read_begin()
    content = msg.next_frame().content
    member_uuid = read_uuid(content, 0)
    lite = read_bool(content, 17)
    address = decode_address(msg)
    attributes = decode_string_map(msg)
    version = decode_member_version(msg)
    address_map: Dict[EndpointQualifier, Address] = {}
    if not msg.next_is_end():
        address_map = dict(decode_entry_list(msg, decode_endpoint_qualifier, decode_address))
    msg.fast_forward_to_end_frame()
    if member_uuid is None:
        raise ProtocolError(f"member {address} has a null UUID")
    return MemberInfo(address, member_uuid, lite, attributes, version, address_map)
