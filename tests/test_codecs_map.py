"""Map service codecs (``hazelcast.protocol.codecs.map``) on both backends, checked against the protocol YAML.

``MAP_YAML`` transcribes ``protocol-definitions/Map.yaml`` (hazelcast/hazelcast-client-protocol, HEAD f33179b):
method id, ``retryable``, and the request parameters in declaration order with their types. The expected bytes of
every request are derived from it by ``tests/_wire.py``, independently of the codecs.
"""

from __future__ import annotations

import inspect
import struct
import uuid

import pytest

from hazelcast.errors import ProtocolError
from hazelcast.protocol.codecs import map as m
from _wire import (
    BACKUP_EVENT,
    BEGIN,
    END,
    FIXED_SIZES,
    IS_FINAL,
    NULL,
    U1,
    U2,
    UNFRAGMENTED,
    build,
    codecs,  # noqa: F401  (fixture)
    event,
    expected_request,
    pack_fixed,
    parse_frames,
    response,
    snake,
    uuid_bytes,
)

SERVICE = 1
S, D = "String", "Data"

# method name -> (method id, retryable, request params in YAML declaration order)
MAP_YAML = {
    "put": (1, False, [("name", S), ("key", D), ("value", D), ("threadId", "long"), ("ttl", "long")]),
    "get": (2, True, [("name", S), ("key", D), ("threadId", "long")]),
    "remove": (3, False, [("name", S), ("key", D), ("threadId", "long")]),
    "replace": (4, False, [("name", S), ("key", D), ("value", D), ("threadId", "long")]),
    "replaceIfSame": (5, False, [("name", S), ("key", D), ("testValue", D), ("value", D), ("threadId", "long")]),
    "containsKey": (6, True, [("name", S), ("key", D), ("threadId", "long")]),
    "containsValue": (7, True, [("name", S), ("value", D)]),
    "removeIfSame": (8, False, [("name", S), ("key", D), ("value", D), ("threadId", "long")]),
    "delete": (9, False, [("name", S), ("key", D), ("threadId", "long")]),
    "putIfAbsent": (14, False, [("name", S), ("key", D), ("value", D), ("threadId", "long"), ("ttl", "long")]),
    "set": (15, False, [("name", S), ("key", D), ("value", D), ("threadId", "long"), ("ttl", "long")]),
    "addEntryListenerToKey": (
        24,
        False,
        [("name", S), ("key", D), ("includeValue", "boolean"), ("listenerFlags", "int"), ("localOnly", "boolean")],
    ),
    "addEntryListener": (
        25,
        False,
        [("name", S), ("includeValue", "boolean"), ("listenerFlags", "int"), ("localOnly", "boolean")],
    ),
    "removeEntryListener": (26, True, [("name", S), ("registrationId", "UUID")]),
    "keySet": (34, True, [("name", S)]),
    "getAll": (35, False, [("name", S), ("keys", "List_Data")]),
    "values": (36, True, [("name", S)]),
    "entrySet": (37, True, [("name", S)]),
    "size": (42, True, [("name", S)]),
    "isEmpty": (43, True, [("name", S)]),
    "putAll": (44, False, [("name", S), ("entries", "EntryList_Data_Data"), ("triggerMapLoader", "boolean")]),
    "clear": (45, False, [("name", S)]),
    "putWithMaxIdle": (
        68,
        False,
        [("name", S), ("key", D), ("value", D), ("threadId", "long"), ("ttl", "long"), ("maxIdle", "long")],
    ),
    "putIfAbsentWithMaxIdle": (
        70,
        False,
        [("name", S), ("key", D), ("value", D), ("threadId", "long"), ("ttl", "long"), ("maxIdle", "long")],
    ),
    "setWithMaxIdle": (
        71,
        False,
        [("name", S), ("key", D), ("value", D), ("threadId", "long"), ("ttl", "long"), ("maxIdle", "long")],
    ),
}

KEY = bytes.fromhex("00000000fffffff5000000046b657931")  # "key1" (A.1)
VALUE = bytes.fromhex("00000000fffffff90000002a")  # 42
OTHER = bytes.fromhex("00000000fffffff900000036")  # 54

SAMPLE = {
    "name": "my-map-ü",
    "key": KEY,
    "value": VALUE,
    "testValue": OTHER,
    "threadId": -(2**63) + 5,
    "ttl": 10_000,
    "maxIdle": 2**40 + 3,
    "includeValue": True,
    "listenerFlags": int(m.EntryEventType.ADDED | m.EntryEventType.EVICT_ALL | m.EntryEventType.LOADED),
    "localOnly": False,
    "registrationId": U2,
    "keys": [KEY, bytearray(VALUE), memoryview(OTHER)],
    "entries": [(KEY, VALUE), (bytearray(OTHER), memoryview(VALUE))],
    "triggerMapLoader": False,
}


def _encoder(method: str):
    return getattr(m, f"encode_{snake(method)}_request")


@pytest.mark.parametrize("method", sorted(MAP_YAML))
def test_request_layout_matches_yaml(codecs, method):
    method_id, retryable, params = MAP_YAML[method]
    encode = _encoder(method)
    # the encoder's parameters are exactly the YAML's, in declaration order, in snake case
    assert list(inspect.signature(encode).parameters) == [snake(n) for n, _ in params]
    msg = encode(**{snake(n): SAMPLE[n] for n, _ in params})
    assert isinstance(msg, codecs.ClientMessage)
    assert msg.retryable is retryable
    assert msg.partition_id == -1
    assert msg.message_type == (SERVICE << 16) | (method_id << 8)
    frames = parse_frames(msg.to_bytes())
    expected = expected_request(SERVICE, method_id, params, SAMPLE)
    assert frames == expected
    fixed = sum(FIXED_SIZES[t] for _, t in params if t in FIXED_SIZES)
    assert len(frames[0][1]) == 16 + fixed


def test_fixed_offsets_spelled_out(codecs):
    """The offsets the YAML implies, written out for the messages with several fixed-size parameters."""
    content = parse_frames(m.encode_put_with_max_idle_request("n", KEY, VALUE, 1, 2, 3).to_bytes())[0][1]
    assert len(content) == 40
    assert struct.unpack_from("<qqq", content, 16) == (1, 2, 3)
    content = parse_frames(m.encode_add_entry_listener_request("n", True, 0x7FFFFFFF, True).to_bytes())[0][1]
    assert len(content) == 22 and content[16] == 1 and content[21] == 1
    assert struct.unpack_from("<i", content, 17)[0] == 0x7FFFFFFF
    content = parse_frames(m.encode_remove_entry_listener_request("n", None).to_bytes())[0][1]
    assert len(content) == 33 and content[16:] == b"\x01" + bytes(16)
    content = parse_frames(m.encode_put_all_request("n", []).to_bytes())[0][1]
    assert len(content) == 17 and content[16] == 1  # triggerMapLoader defaults to True, as Java's putAll


def test_a3_map_put_byte_for_byte(codecs):
    """Appendix A.3: Map.Put("map", "key1", 54, threadId=654321, ttl=10000), corrId 0x215, pid 0x111."""
    msg = m.encode_put_request("map", KEY, OTHER, 654321, 10000)
    msg.correlation_id = 0x215
    msg.partition_id = 0x111
    expected = bytes.fromhex(
        "26000000 00c0 00010100 1502000000000000 11010000 f1fb090000000000 1027000000000000"
        "09000000 0000 6d6170"
        "16000000 0000 00000000fffffff5000000046b657931"
        "12000000 0020 00000000fffffff900000036".replace(" ", "")
    )
    assert msg.to_bytes() == expected


def test_memoryview_and_bytearray_data(codecs):
    msg = m.encode_set_request("m", memoryview(KEY), bytearray(VALUE), 0, 0)
    assert [c for _, c in parse_frames(msg.to_bytes())[1:]] == [b"m", KEY, VALUE]


def test_entry_event_type_flags():
    """com.hazelcast.core.EntryEventType ids (bits of listenerFlags)."""
    assert [int(t) for t in m.EntryEventType] == [1 << i for i in range(10)]
    assert m.EntryEventType.EXPIRED == 16 and m.EntryEventType.EVICT_ALL == 32 and m.EntryEventType.LOADED == 512


# -- responses ----------------------------------------------------------------------------------------------------

NULLABLE_DATA_RESPONSES = [
    ("put", 1, m.decode_put_response),
    ("get", 2, m.decode_get_response),
    ("remove", 3, m.decode_remove_response),
    ("replace", 4, m.decode_replace_response),
    ("putIfAbsent", 14, m.decode_put_if_absent_response),
    ("putWithMaxIdle", 68, m.decode_put_response),
    ("putIfAbsentWithMaxIdle", 70, m.decode_put_if_absent_response),
    ("setWithMaxIdle", 71, m.decode_set_with_max_idle_response),
]
BOOL_RESPONSES = [
    ("replaceIfSame", 5, m.decode_replace_if_same_response),
    ("containsKey", 6, m.decode_contains_key_response),
    ("containsValue", 7, m.decode_contains_value_response),
    ("removeIfSame", 8, m.decode_remove_if_same_response),
    ("removeEntryListener", 26, m.decode_remove_entry_listener_response),
    ("isEmpty", 43, m.decode_is_empty_response),
]


def rtype(method_id: int) -> int:
    return (SERVICE << 16) | (method_id << 8) | 1


@pytest.mark.parametrize("method,method_id,decode", NULLABLE_DATA_RESPONSES)
def test_nullable_data_responses(framing, method, method_id, decode):
    assert decode(response(framing, rtype(method_id), b"", (0, VALUE))) == VALUE
    assert decode(response(framing, rtype(method_id), b"", (NULL, b""))) is None
    # trailing initial-frame bytes and frames of later versions are ignored
    assert decode(response(framing, rtype(method_id), b"\x07" * 9, (0, b""), (0, b"x"), (BEGIN, b""))) == b""
    # decoding twice gives the same result (the cursor is reset)
    msg = response(framing, rtype(method_id), b"", (0, VALUE), acks=1)
    assert decode(msg) == decode(msg) == VALUE and msg.backup_acks == 1
    with pytest.raises(ProtocolError):
        decode(response(framing, rtype(method_id)))  # the value frame is missing


@pytest.mark.parametrize("method,method_id,decode", BOOL_RESPONSES)
def test_boolean_responses(framing, method, method_id, decode):
    assert decode(response(framing, rtype(method_id), b"\x01")) is True
    assert decode(response(framing, rtype(method_id), b"\x00")) is False
    assert decode(response(framing, rtype(method_id), b"\x01" + b"\xff" * 4, (0, b"later"))) is True
    with pytest.raises(ProtocolError):
        decode(response(framing, rtype(method_id), b""))  # short initial frame


def test_delete_response_since_2_7(framing):
    assert m.decode_delete_response(response(framing, rtype(9), b"\x01")) is True
    assert m.decode_delete_response(response(framing, rtype(9), b"\x00", (0, b"later"))) is False
    assert m.decode_delete_response(response(framing, rtype(9))) is None  # a member older than 2.7


def test_size_response(framing):
    assert m.decode_size_response(response(framing, rtype(42), struct.pack("<i", 2**31 - 1))) == 2**31 - 1
    assert m.decode_size_response(response(framing, rtype(42), struct.pack("<ib", 3, 9))) == 3
    with pytest.raises(ProtocolError):
        m.decode_size_response(response(framing, rtype(42), b"\x01\x00\x00"))


def test_add_entry_listener_response(framing):
    for u in (U1, U2, None):
        assert m.decode_add_entry_listener_response(response(framing, rtype(25), uuid_bytes(u))) == u
    assert m.decode_add_entry_listener_response(response(framing, rtype(24), uuid_bytes(U1) + b"\x00")) == U1
    with pytest.raises(ProtocolError):
        m.decode_add_entry_listener_response(response(framing, rtype(25), uuid_bytes(U1)[:16]))


@pytest.mark.parametrize("method_id,decode", [(34, m.decode_key_set_response), (36, m.decode_values_response)])
def test_data_list_responses(framing, method_id, decode):
    msg = response(framing, rtype(method_id), b"", (BEGIN, b""), (0, KEY), (0, VALUE), (END, b""), (0, b"later"))
    assert decode(msg) == [KEY, VALUE]
    assert decode(response(framing, rtype(method_id), b"", (BEGIN, b""), (END, b""))) == []
    with pytest.raises(ProtocolError):  # not closed by END
        decode(response(framing, rtype(method_id), b"", (BEGIN, b""), (0, KEY)))
    with pytest.raises(ProtocolError):  # no BEGIN
        decode(response(framing, rtype(method_id), b"", (0, KEY), (END, b"")))
    with pytest.raises(ProtocolError):  # nothing at all
        decode(response(framing, rtype(method_id)))


@pytest.mark.parametrize("method_id,decode", [(35, m.decode_get_all_response), (37, m.decode_entry_set_response)])
def test_entry_list_responses(framing, method_id, decode):
    frames = [(BEGIN, b""), (0, KEY), (0, VALUE), (0, OTHER), (0, b""), (END, b"")]
    assert decode(response(framing, rtype(method_id), b"\x00" * 3, *frames, (NULL, b""))) == [
        (KEY, VALUE),
        (OTHER, b""),
    ]
    with pytest.raises(ProtocolError):  # a key without its value
        decode(response(framing, rtype(method_id), b"", (BEGIN, b""), (0, KEY)))


# -- events -------------------------------------------------------------------------------------------------------


def entry_fixed(event_type: int, member: uuid.UUID, affected: int) -> bytes:
    return pack_fixed("int", event_type) + uuid_bytes(member) + pack_fixed("int", affected)


@pytest.mark.parametrize("event_message_type", [0x011802, 0x011902])
def test_entry_event(framing, event_message_type):
    assert event_message_type in m.ENTRY_EVENT_TYPES
    msg = event(
        framing,
        event_message_type,
        entry_fixed(4, U2, 1),
        (0, KEY),
        (0, VALUE),
        (0, OTHER),
        (NULL, b""),
    )
    assert m.decode_entry_event(msg) == m.EntryEventMessage(KEY, VALUE, OTHER, None, 4, U2, 1)
    ev = m.decode_entry_event(msg)
    assert ev.event_type == m.EntryEventType.UPDATED and ev.member_uuid == U2
    with pytest.raises(AttributeError):
        ev.key = b""  # frozen


def test_entry_event_map_wide_with_trailing_data(framing):
    msg = event(
        framing,
        m.ENTRY_EVENT,
        entry_fixed(int(m.EntryEventType.CLEAR_ALL), None, 12) + b"\x01\x02",
        *[(NULL, b"")] * 4,
        (0, b"a later var param"),
        (BEGIN, b""),
        (END, b""),
    )
    assert m.decode_entry_event(msg) == m.EntryEventMessage(None, None, None, None, 64, None, 12)


def test_entry_event_offsets(framing):
    """eventType @16, uuid @20, numberOfAffectedEntries @37: 41 bytes of initial-frame content."""
    msg = event(framing, m.ENTRY_EVENT, entry_fixed(1, U1, 7), *[(NULL, b"")] * 4)
    content = msg.frames[0].content
    assert len(content) == 41 and content[20:37] == uuid_bytes(U1)
    assert struct.unpack_from("<i", content, 37)[0] == 7 and struct.unpack_from("<i", content, 16)[0] == 1


@pytest.mark.parametrize(
    "fixed,frames",
    [
        (entry_fixed(1, U1, 7)[:-1], [(NULL, b"")] * 4),  # short initial frame
        (entry_fixed(1, U1, 7), [(NULL, b"")] * 3),  # mergingValue missing
        (b"", []),
    ],
)
def test_malformed_entry_events(framing, fixed, frames):
    with pytest.raises(ProtocolError):
        m.decode_entry_event(event(framing, m.ENTRY_EVENT, fixed, *frames))


def test_handle_entry_event_dispatches_by_type(framing):
    seen = []
    msg = event(framing, m.ENTRY_EVENT_TO_KEY, entry_fixed(2, U1, 1), (0, KEY), *[(NULL, b"")] * 3)
    assert m.handle_entry_event(msg, seen.append) is True
    assert seen == [m.EntryEventMessage(KEY, None, None, None, 2, U1, 1)]
    other = event(framing, 0x000F02, struct.pack("<q", 5), flag=BACKUP_EVENT)
    assert m.handle_entry_event(other, seen.append) is False
    assert len(seen) == 1


def test_request_flags_and_final_frame(codecs):
    frames = parse_frames(m.encode_clear_request("c").to_bytes())
    assert [f for f, _ in frames] == [UNFRAGMENTED, IS_FINAL]
    msg = build(codecs, frames)
    assert msg.message_type == 0x012D00
