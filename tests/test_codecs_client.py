"""Client-service codecs: CreateProxy / DestroyProxy (``codecs.proxy``) and LocalBackupListener with its backup
event (``codecs.backup``), on both backends, checked against ``protocol-definitions/Client.yaml``."""

from __future__ import annotations

import inspect
import struct

import pytest

from hazelcast.errors import ProtocolError
from hazelcast.protocol.codecs import backup, proxy
from _wire import (
    BACKUP_EVENT,
    U1,
    U2,
    codecs,  # noqa: F401  (fixture)
    event,
    expected_request,
    parse_frames,
    response,
    snake,
    uuid_bytes,
)

SERVICE = 0

# Client.yaml: method -> (method id, retryable, request params in declaration order)
CLIENT_YAML = {
    "createProxy": (4, False, [("name", "String"), ("serviceName", "String")]),
    "destroyProxy": (5, False, [("name", "String"), ("serviceName", "String")]),
    "localBackupListener": (15, False, []),
}
MODULES = {"createProxy": proxy, "destroyProxy": proxy, "localBackupListener": backup}
SAMPLE = {"name": "orders-ü", "serviceName": proxy.MAP_SERVICE_NAME}


@pytest.mark.parametrize("method", sorted(CLIENT_YAML))
def test_request_layout_matches_yaml(codecs, method):
    method_id, retryable, params = CLIENT_YAML[method]
    encode = getattr(MODULES[method], f"encode_{snake(method)}_request")
    assert list(inspect.signature(encode).parameters) == [snake(n) for n, _ in params]
    msg = encode(**{snake(n): SAMPLE[n] for n, _ in params})
    assert isinstance(msg, codecs.ClientMessage)
    assert msg.retryable is retryable and msg.partition_id == -1
    assert parse_frames(msg.to_bytes()) == expected_request(SERVICE, method_id, params, SAMPLE)


def test_map_service_name():
    assert proxy.MAP_SERVICE_NAME == "hz:impl:mapService"


def test_local_backup_listener_is_header_only(codecs):
    raw = backup.encode_local_backup_listener_request().to_bytes()
    assert raw == struct.pack("<iHiqi", 22, 0xE000, 0x000F00, 0, -1)


def test_local_backup_listener_response(framing):
    for u in (U1, U2, None):
        assert backup.decode_local_backup_listener_response(response(framing, 0x000F01, uuid_bytes(u))) == u
    msg = response(framing, 0x000F01, uuid_bytes(U2) + b"\x09" * 5, (0, b"later"))
    assert backup.decode_local_backup_listener_response(msg) == U2
    with pytest.raises(ProtocolError):
        backup.decode_local_backup_listener_response(response(framing, 0x000F01, b"\x00" * 16))


def test_backup_event(framing):
    assert backup.BACKUP_EVENT == 0x000F02
    msg = event(framing, backup.BACKUP_EVENT, struct.pack("<q", 0x1122334455667788), flag=BACKUP_EVENT)
    assert msg.is_backup_event()
    assert backup.decode_backup_event(msg) == 0x1122334455667788
    assert backup.decode_backup_event(msg) == 0x1122334455667788  # the cursor is reset
    msg = event(framing, backup.BACKUP_EVENT, struct.pack("<qi", -2, 3), (0, b"later"), flag=BACKUP_EVENT)
    assert backup.decode_backup_event(msg) == -2
    with pytest.raises(ProtocolError):
        backup.decode_backup_event(event(framing, backup.BACKUP_EVENT, b"\x01" * 7, flag=BACKUP_EVENT))
