"""Client service codecs: authentication (vector A.2 byte for byte), ping (A.4), auth responses of every layout,
cluster view events, custom types, error responses and the exception mapping (§3)."""

import struct
import uuid

import pytest

from hazelcast import errors
from hazelcast.errors import ProtocolError
from hazelcast.network.address import Address
from hazelcast.protocol import ClientMessage, IS_EVENT_FLAG, MessageReader
from hazelcast.protocol.codecs import client as c
from hazelcast.protocol.codecs.builtin import (
    encode_int32_list,
    encode_list,
    encode_string_map,
    encode_uuid_int32_list_entry_list,
    uuid_to_bytes,
)
from hazelcast.protocol.codecs.custom import (
    EndpointQualifier,
    MemberInfo,
    MemberVersion,
    decode_address,
    decode_member_info,
    decode_nullable_address,
    encode_address,
    encode_member_info,
)
from hazelcast.protocol.errors import (
    ERROR_CLASSES,
    ErrorHolder,
    StackTraceElement,
    decode_error_holders,
    decode_error_response,
    error_from_holders,
)

A2 = bytes.fromhex(
    "2a000000" "00c0" "00010000" "0100000000000000" "ffffffff"
    "00" "0100000000000000" "0200000000000000" "01" "01" "00"
    "09000000" "0000" "646576"
    "06000000" "0004"
    "06000000" "0004"
    "09000000" "0000" "505948"
    "0b000000" "0000" "352e372e30"
    "11000000" "0000" "687a2e636c69656e745f30"
    "06000000" "0010"
    "06000000" "0028"
)


def test_authentication_request_vector_a2():
    msg = c.encode_authentication_request(
        "dev", None, None, uuid.UUID(int=(1 << 64) | 2), "5.7.0", "hz.client_0", [], routing_mode=1
    )
    msg.correlation_id = 1
    assert msg.to_bytes() == A2
    assert len(A2) == 112 and msg.retryable


def test_authentication_request_with_credentials_and_labels():
    msg = c.encode_authentication_request("c", "user", "pw", uuid.uuid4(), "v", "n", ["a", "b"], 0, True)
    msg.correlation_id = 5
    back = MessageReader().feed(msg.to_bytes())[0]
    content = back.next_frame().content
    assert content[34] == 0 and content[35] == 1
    assert [back.read_string() for _ in range(3)] == ["c", "user", "pw"]


def test_ping_vector_a4():
    msg = c.encode_ping_request()
    msg.correlation_id = 7
    assert msg.to_bytes() == bytes.fromhex("16000000" "00e0" "000b0000" "0700000000000000" "ffffffff")


def test_add_cluster_view_listener_request():
    msg = c.encode_add_cluster_view_listener_request()
    msg.correlation_id = 3
    assert msg.message_type == 0x000300 and not msg.retryable and len(msg.to_bytes()) == 22


# -- custom types --------------------------------------------------------------------------------------------------


def member(port=5701, lite=False, address_map=True):
    addr = Address("127.0.0.1", port)
    return MemberInfo(
        addr,
        uuid.UUID(int=port),
        lite,
        {"k": "v"},
        MemberVersion(5, 7, 0),
        {EndpointQualifier(1, "public"): Address("10.0.0.1", port)} if address_map else {},
    )


def roundtrip(encode, decode, value):
    msg = ClientMessage.create_request(1, -1, 0)
    encode(msg, value)
    back = MessageReader().feed(msg.to_bytes())[0]
    back.skip_frame()
    return decode(back)


def test_member_info_roundtrip():
    m = member(lite=True)
    assert roundtrip(encode_member_info, decode_member_info, m) == m
    assert str(m) == f"Member [127.0.0.1]:5701 - {m.uuid} lite" and str(m.version) == "5.7.0"
    plain = member(address_map=False)
    assert roundtrip(encode_member_info, decode_member_info, plain) == plain


def test_member_info_without_address_map_and_with_extra_fields():
    # a 2.0 member (no addressMap) followed by a future field: both handled
    msg = ClientMessage.create_request(1, -1, 0)
    msg.append_begin()
    msg.append_frame(uuid_to_bytes(uuid.UUID(int=9)) + b"\x00" + b"\xff" * 4)  # + an unknown fixed field
    encode_address(msg, Address("h", 1))
    encode_string_map(msg, {})
    msg.append_begin()
    msg.append_frame(b"\x05\x07\x00")
    msg.append_end()
    msg.append_end()
    msg.append_string("after")
    back = MessageReader().feed(msg.to_bytes())[0]
    back.skip_frame()
    info = decode_member_info(back)
    assert info.uuid == uuid.UUID(int=9) and info.address_map == {} and info.version == MemberVersion(5, 7, 0)
    assert back.read_string() == "after"


def test_member_info_with_null_uuid_is_rejected():
    msg = ClientMessage.create_request(1, -1, 0)
    encode_member_info(msg, member())
    raw = bytearray(msg.to_bytes())
    begin = 22
    raw[begin + 6 + 6] = 1  # the is_null byte of the member UUID
    back = MessageReader().feed(bytes(raw))[0]
    back.skip_frame()
    with pytest.raises(ProtocolError, match="null UUID"):
        decode_member_info(back)


def test_address_and_nullable_address():
    assert roundtrip(encode_address, decode_address, Address("::1", 5)) == Address("::1", 5)
    msg = ClientMessage.create_request(1, -1, 0)
    msg.append_null()
    back = MessageReader().feed(msg.to_bytes())[0]
    back.skip_frame()
    assert decode_nullable_address(back) is None


# -- authentication responses --------------------------------------------------------------------------------------


def auth_response(status=0, layout="2.8", member_uuid=uuid.UUID(int=1), partition_count=271, members=(), partitions=()):
    fixed = bytearray(c._RESP_PARTITION_LIST_VERSION + 4 - 13 if layout != "2.0" else c._RESP_MEMBER_LIST_VERSION - 13)
    msg = ClientMessage.create_request(c.AUTHENTICATION_RESPONSE, -1, 0)
    # build a response initial frame by hand: type, correlation id, backup acks, fields
    raw = bytearray(struct.pack("<iqB", c.AUTHENTICATION_RESPONSE, 11, 0)) + fixed
    raw[c._RESP_STATUS] = status
    raw[c._RESP_MEMBER_UUID : c._RESP_MEMBER_UUID + 17] = uuid_to_bytes(member_uuid)
    raw[c._RESP_SERIALIZATION_VERSION] = 1
    struct.pack_into("<i", raw, c._RESP_PARTITION_COUNT, partition_count)
    raw[c._RESP_CLUSTER_ID : c._RESP_CLUSTER_ID + 17] = uuid_to_bytes(uuid.UUID(int=77))
    raw[c._RESP_FAILOVER_SUPPORTED] = 0
    if layout != "2.0":
        struct.pack_into("<ii", raw, c._RESP_MEMBER_LIST_VERSION, 3, 4)
    msg = ClientMessage()
    msg.append_frame(bytes(raw), 0xC000)
    encode_address(msg, Address("127.0.0.1", 5701))
    msg.append_string("5.7.0")
    if layout != "2.0":
        msg.append_null()  # tpcPorts
        msg.append_null()  # tpcToken
        encode_list(msg, members, encode_member_info)
        encode_uuid_int32_list_entry_list(msg, list(partitions))
    if layout == "2.8":
        encode_string_map(msg, {"clusterVersion": "5.7"})
    return MessageReader().feed(msg.to_bytes())[0]


def test_auth_response_2_8():
    m1 = member(5701)
    r = c.decode_authentication_response(
        auth_response(members=[m1], partitions=[(m1.uuid, [0, 1, 2])])
    )
    assert r.status == c.AUTHENTICATED and r.member_uuid == uuid.UUID(int=1) and r.partition_count == 271
    assert r.cluster_id == uuid.UUID(int=77) and not r.failover_supported and r.serialization_version == 1
    assert r.address == Address("127.0.0.1", 5701) and r.server_hazelcast_version == "5.7.0"
    assert r.member_list_version == 3 and r.partition_list_version == 4
    assert r.members == [m1] and r.partitions == [(m1.uuid, [0, 1, 2])]
    assert r.tpc_ports is None and r.tpc_token is None and r.key_value_pairs == {"clusterVersion": "5.7"}


def test_auth_response_2_0_layout():
    r = c.decode_authentication_response(auth_response(layout="2.0", status=1))
    assert r.status == c.CREDENTIALS_FAILED and r.member_list_version == -1 and r.members == [] and r.partitions == []
    assert r.key_value_pairs == {}


def test_auth_response_2_7_layout_with_tpc_ports():
    msg = ClientMessage()
    raw = bytearray(struct.pack("<iqB", c.AUTHENTICATION_RESPONSE, 1, 0)) + bytes(c._RESP_PARTITION_LIST_VERSION + 4 - 13)
    msg.append_frame(bytes(raw), 0xC000)
    msg.append_null()
    msg.append_string("5.3.0")
    encode_int32_list(msg, [11000, 11001])
    msg.append_bytes(b"token")
    encode_list(msg, [], encode_member_info)
    encode_uuid_int32_list_entry_list(msg, [])
    r = c.decode_authentication_response(MessageReader().feed(msg.to_bytes())[0])
    assert r.address is None and r.tpc_ports == [11000, 11001] and r.tpc_token == b"token" and r.key_value_pairs == {}


def test_cluster_view_events():
    m1, m2 = member(5701), member(5702)
    ev = ClientMessage.create_request(c.MEMBERS_VIEW_EVENT, -1, 4)
    ev.flags = ev.flags | IS_EVENT_FLAG
    ev.set_int32(16, 9)
    encode_list(ev, [m1, m2], encode_member_info)
    back = MessageReader().feed(ev.to_bytes())[0]
    assert back.is_event() and c.decode_members_view_event(back) == (9, [m1, m2])
    pv = ClientMessage.create_request(c.PARTITIONS_VIEW_EVENT, -1, 4)
    pv.set_int32(16, 12)
    encode_uuid_int32_list_entry_list(pv, [(m1.uuid, [0, 2]), (m2.uuid, [1])])
    back = MessageReader().feed(pv.to_bytes())[0]
    assert c.decode_partitions_view_event(back) == (12, [(m1.uuid, [0, 2]), (m2.uuid, [1])])


# -- errors --------------------------------------------------------------------------------------------------------


def error_response(holders):
    msg = ClientMessage()
    msg.append_frame(struct.pack("<iqB", 0, 42, 0), 0xC000)
    msg.append_begin()
    for h in holders:
        msg.append_begin()
        msg.append_frame(struct.pack("<i", h.error_code))
        msg.append_string(h.class_name)
        msg.append_nullable_string(h.message)
        msg.append_begin()
        for f in h.stack_trace:
            msg.append_begin()
            msg.append_frame(struct.pack("<i", f.line_number))
            msg.append_string(f.class_name)
            msg.append_string(f.method_name)
            msg.append_nullable_string(f.file_name)
            msg.append_end()
        msg.append_end()
        msg.append_end()
    msg.append_end()
    return MessageReader().feed(msg.to_bytes())[0]


def test_error_response_with_cause_chain():
    frames = [StackTraceElement("com.hazelcast.X", "run", "X.java", 12), StackTraceElement("Y", "call", None, -1)]
    holders = [
        ErrorHolder(62, "com.hazelcast.spi.exception.WrongTargetException", "not the owner", frames),
        ErrorHolder(37, "java.lang.NullPointerException", None, []),
        ErrorHolder(7777, "com.example.UserException", "custom", []),
    ]
    msg = error_response(holders)
    assert decode_error_holders(msg) == holders
    e = decode_error_response(msg)
    assert isinstance(e, errors.WrongTargetError) and isinstance(e, errors.RemoteError) and e.retryable
    assert errors.is_retryable_error(e)
    assert str(e) == "com.hazelcast.spi.exception.WrongTargetException: not the owner"
    assert e.error_code == 62 and e.server_message == "not the owner"
    assert e.class_name == "com.hazelcast.spi.exception.WrongTargetException"
    assert e.stack_trace == ["com.hazelcast.X.run(X.java:12)", "Y.call(None:-1)"]
    cause = e.__cause__
    assert isinstance(cause, errors.NullPointerError) and str(cause) == "java.lang.NullPointerException"
    assert cause.server_message is None and not errors.is_retryable_error(cause)
    assert isinstance(cause.__cause__, errors.UndefinedErrorCodeError) and cause.__cause__.error_code == 7777


@pytest.mark.parametrize(
    "code, cls, retryable",
    [
        (3, errors.AuthenticationError, False),
        (8, errors.CallerNotMemberError, True),
        (19, errors.HazelcastInstanceNotActiveError, True),
        (21, errors.RemoteSerializationError, False),
        (23, errors.IllegalArgumentError, False),
        (27, errors.IllegalStateError, False),
        (33, errors.MemberLeftError, True),
        (38, errors.OperationTimeoutError, False),
        (39, errors.PartitionMigratingError, True),
        (46, errors.RetryableHazelcastError, True),
        (47, errors.RetryableIOError, True),
        (52, errors.TargetDisconnectedError, False),
        (53, errors.TargetNotMemberError, True),
        (61, errors.UnsupportedOperationError, False),
        (62, errors.WrongTargetError, True),
        (82, errors.TargetNotReplicaError, True),
        (90, errors.CannotReplicateError, True),
        (0, errors.UndefinedErrorCodeError, False),
        (500, errors.UndefinedErrorCodeError, False),
    ],
)
def test_error_code_mapping(code, cls, retryable):
    e = error_from_holders([ErrorHolder(code, "java.X", "m", [])])
    assert type(e) is cls and e.error_code == code and isinstance(e, errors.HazelcastError)
    assert errors.is_retryable_error(e) is retryable


def test_every_documented_code_has_a_class():
    assert set(ERROR_CLASSES) == set(range(1, 100))
    for cls in ERROR_CLASSES.values():
        assert issubclass(cls, errors.HazelcastError)


def test_serialization_error_from_a_member_is_a_serialization_error():
    e = error_from_holders([ErrorHolder(21, "com.hazelcast.nio.serialization.HazelcastSerializationException", "x", [])])
    assert isinstance(e, errors.HazelcastSerializationError)


def test_client_side_io_errors_are_retryable_and_disconnects_are_not():
    assert errors.is_retryable_error(errors.HazelcastIOError("x"))
    assert not errors.is_retryable_error(errors.TargetDisconnectedError("x"))
    assert not errors.is_retryable_error(ValueError())


def test_empty_error_list():
    msg = error_response([])
    e = decode_error_response(msg)
    assert isinstance(e, errors.UndefinedErrorCodeError) and "without error holders" in str(e)
