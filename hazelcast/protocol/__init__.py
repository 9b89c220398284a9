"""The Hazelcast Open Binary Client Protocol 2.x: frames, messages and the stream reader.

The classes come from the backend chosen by :mod:`hazelcast._backend` (compiled or pure Python); both behave the
same. :class:`MessageReader` splits a byte stream into :class:`ClientMessage` objects; ``ClientMessage`` builds and
reads messages frame by frame. Malformed input raises :class:`ProtocolError`.
"""

from hazelcast._backend import framing as _framing
from hazelcast.errors import ProtocolError

ClientMessage = _framing.ClientMessage
Frame = _framing.Frame
MessageReader = _framing.MessageReader

read_bool = _framing.read_bool
read_int8 = _framing.read_int8
read_uint8 = _framing.read_uint8
read_uint16 = _framing.read_uint16
read_int32 = _framing.read_int32
read_int64 = _framing.read_int64
read_uuid = _framing.read_uuid

BEGIN_FRAGMENT_FLAG = _framing.BEGIN_FRAGMENT_FLAG
END_FRAGMENT_FLAG = _framing.END_FRAGMENT_FLAG
UNFRAGMENTED_MESSAGE = _framing.UNFRAGMENTED_MESSAGE
IS_FINAL_FLAG = _framing.IS_FINAL_FLAG
BEGIN_DATA_STRUCTURE_FLAG = _framing.BEGIN_DATA_STRUCTURE_FLAG
END_DATA_STRUCTURE_FLAG = _framing.END_DATA_STRUCTURE_FLAG
IS_NULL_FLAG = _framing.IS_NULL_FLAG
IS_EVENT_FLAG = _framing.IS_EVENT_FLAG
BACKUP_AWARE_FLAG = _framing.BACKUP_AWARE_FLAG
BACKUP_EVENT_FLAG = _framing.BACKUP_EVENT_FLAG
SIZE_OF_FRAME_LENGTH_AND_FLAGS = _framing.SIZE_OF_FRAME_LENGTH_AND_FLAGS
REQUEST_HEADER_SIZE = _framing.REQUEST_HEADER_SIZE
RESPONSE_HEADER_SIZE = _framing.RESPONSE_HEADER_SIZE
EVENT_HEADER_SIZE = _framing.EVENT_HEADER_SIZE
DEFAULT_MAX_MESSAGE_SIZE = _framing.DEFAULT_MAX_MESSAGE_SIZE

__all__ = [
    "BACKUP_AWARE_FLAG",
    "BACKUP_EVENT_FLAG",
    "BEGIN_DATA_STRUCTURE_FLAG",
    "BEGIN_FRAGMENT_FLAG",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "END_DATA_STRUCTURE_FLAG",
    "END_FRAGMENT_FLAG",
    "EVENT_HEADER_SIZE",
    "IS_EVENT_FLAG",
    "IS_FINAL_FLAG",
    "IS_NULL_FLAG",
    "REQUEST_HEADER_SIZE",
    "RESPONSE_HEADER_SIZE",
    "SIZE_OF_FRAME_LENGTH_AND_FLAGS",
    "UNFRAGMENTED_MESSAGE",
    "ClientMessage",
    "Frame",
    "MessageReader",
    "ProtocolError",
    "read_bool",
    "read_int8",
    "read_uint8",
    "read_uint16",
    "read_int32",
    "read_int64",
    "read_uuid",
]
