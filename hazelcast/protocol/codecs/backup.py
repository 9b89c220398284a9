"""Codecs of ``Client.LocalBackupListener`` (service 0, method 15) and its backup-ack event (``docs/protocol.md``
§9).

Source: ``protocol-definitions/Client.yaml`` of hazelcast/hazelcast-client-protocol. The request has no parameters
and is not retryable; the response carries the registration ``UUID``; every backup event carries, as a fixed-size
``long`` right after the 16-byte event header, the correlation id of the invocation whose backup completed.
"""

from __future__ import annotations

import uuid
from typing import Optional

from hazelcast.protocol import EVENT_HEADER_SIZE, ClientMessage, read_int64
from hazelcast.protocol.codecs.builtin import decode_uuid_response, initial_frame

_create_request = ClientMessage.create_request

LOCAL_BACKUP_LISTENER = 0x000F00
BACKUP_EVENT = 0x000F02
"""Message type of a backup-ack event (its initial frame carries ``BACKUP_EVENT_FLAG``)."""


def encode_local_backup_listener_request() -> ClientMessage:
    """``Client.LocalBackupListener`` (not retryable): a header-only request. Response:
    :func:`decode_local_backup_listener_response`; events: :data:`BACKUP_EVENT`."""
    msg = _create_request(LOCAL_BACKUP_LISTENER, -1, 0)
    msg.retryable = False
    return msg


def decode_local_backup_listener_response(msg: ClientMessage) -> Optional[uuid.UUID]:
    """The registration id of the backup listener."""
    return decode_uuid_response(msg)


def decode_backup_event(msg: ClientMessage) -> int:
    """The ``sourceInvocationCorrelationId`` of a backup event: the correlation id of the acknowledged request."""
    return read_int64(initial_frame(msg), EVENT_HEADER_SIZE)
