"""Error responses (message type 0): the ``List<ErrorHolder>`` codec and the mapping of protocol error codes onto
the exception classes of :mod:`hazelcast.errors` (``docs/protocol.md`` §3).

:func:`decode_error_response` turns an error response into one exception: the first holder is the error, each next
holder the ``__cause__`` of the previous one. Every exception made here carries ``error_code``, ``class_name``,
``server_message`` and ``stack_trace`` (the server frames as ``"Class.method(File:line)"`` strings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Type

from hazelcast import errors as e
from hazelcast.protocol import read_int32
from hazelcast.protocol.codecs.builtin import decode_list, initial_frame

ERROR_MESSAGE_TYPE = 0
"""Message type of every error response."""


@dataclass(frozen=True)
class StackTraceElement:
    """One frame of a server-side stack trace."""

    class_name: str
    method_name: str
    file_name: Optional[str]
    line_number: int

    def __str__(self) -> str:
        return f"{self.class_name}.{self.method_name}({self.file_name}:{self.line_number})"


@dataclass(frozen=True)
class ErrorHolder:
    """One element of the error cause chain as sent by the member."""

    error_code: int
    class_name: str
    message: Optional[str]
    stack_trace: List[StackTraceElement] = field(default_factory=list)


# code -> class; codes not listed map to UndefinedErrorCodeError (the generic RemoteError)
ERROR_CLASSES: Dict[int, Type[BaseException]] = {
    1: e.RemoteRuntimeError,  # ARRAY_INDEX_OUT_OF_BOUNDS
    2: e.RemoteRuntimeError,  # ARRAY_STORE
    3: e.AuthenticationError,
    4: e.RemoteRuntimeError,  # CACHE
    5: e.RemoteRuntimeError,  # CACHE_LOADER
    6: e.RemoteRuntimeError,  # CACHE_NOT_EXISTS
    7: e.RemoteRuntimeError,  # CACHE_WRITER
    8: e.CallerNotMemberError,
    9: e.RemoteRuntimeError,  # CANCELLATION
    10: e.ClassCastError,
    11: e.ClassNotFoundError,
    12: e.RemoteRuntimeError,  # CONCURRENT_MODIFICATION
    13: e.InvalidConfigurationError,  # CONFIG_MISMATCH
    14: e.DistributedObjectDestroyedError,
    15: e.RemoteRuntimeError,  # EOF
    16: e.RemoteRuntimeError,  # ENTRY_PROCESSOR
    17: e.RemoteRuntimeError,  # EXECUTION
    18: e.RemoteRuntimeError,  # HAZELCAST
    19: e.HazelcastInstanceNotActiveError,
    20: e.HazelcastOverloadError,
    21: e.RemoteSerializationError,
    22: e.RemoteRuntimeError,  # IO
    23: e.IllegalArgumentError,
    24: e.SecurityError,  # ILLEGAL_ACCESS_EXCEPTION
    25: e.RemoteJavaError,  # ILLEGAL_ACCESS_ERROR
    26: e.RemoteRuntimeError,  # ILLEGAL_MONITOR_STATE
    27: e.IllegalStateError,
    28: e.RemoteRuntimeError,  # ILLEGAL_THREAD_STATE
    29: e.RemoteRuntimeError,  # INDEX_OUT_OF_BOUNDS
    30: e.RemoteRuntimeError,  # INTERRUPTED
    31: e.IllegalArgumentError,  # INVALID_ADDRESS
    32: e.InvalidConfigurationError,
    33: e.MemberLeftError,
    34: e.RemoteRuntimeError,  # NEGATIVE_ARRAY_SIZE
    35: e.RemoteRuntimeError,  # NO_SUCH_ELEMENT
    36: e.RemoteSerializationError,  # NOT_SERIALIZABLE
    37: e.NullPointerError,
    38: e.OperationTimeoutError,
    39: e.PartitionMigratingError,
    40: e.QueryError,
    41: e.QueryError,  # QUERY_RESULT_SIZE_EXCEEDED
    42: e.SplitBrainProtectionError,
    43: e.RemoteRuntimeError,  # REACHED_MAX_SIZE
    44: e.RemoteRuntimeError,  # REJECTED_EXECUTION
    45: e.RemoteRuntimeError,  # RESPONSE_ALREADY_SENT
    46: e.RetryableHazelcastError,
    47: e.RetryableIOError,
    48: e.RemoteRuntimeError,  # RUNTIME
    49: e.SecurityError,
    50: e.RemoteRuntimeError,  # SOCKET
    51: e.StaleSequenceError,
    52: e.TargetDisconnectedError,
    53: e.TargetNotMemberError,
    54: e.HazelcastTimeoutError,
    55: e.HazelcastOverloadError,  # TOPIC_OVERLOAD
    56: e.TransactionError,
    57: e.TransactionError,  # TRANSACTION_NOT_ACTIVE
    58: e.TransactionError,  # TRANSACTION_TIMED_OUT
    59: e.IllegalArgumentError,  # URI_SYNTAX
    60: e.RemoteSerializationError,  # UTF_DATA_FORMAT
    61: e.UnsupportedOperationError,
    62: e.WrongTargetError,
    63: e.TransactionError,  # XA
    64: e.SecurityError,  # ACCESS_CONTROL
    65: e.AuthenticationError,  # LOGIN
    66: e.UnsupportedOperationError,  # UNSUPPORTED_CALLBACK
    67: e.NoDataMemberError,
    68: e.RemoteRuntimeError,  # REPLICATED_MAP_CANT_BE_CREATED
    69: e.MaxMessageSizeExceededError,
    70: e.HazelcastOverloadError,  # WAN_REPLICATION_QUEUE_FULL
    71: e.RemoteJavaError,  # ASSERTION_ERROR
    72: e.RemoteJavaError,  # OUT_OF_MEMORY_ERROR
    73: e.RemoteJavaError,  # STACK_OVERFLOW_ERROR
    74: e.RemoteJavaError,  # NATIVE_OUT_OF_MEMORY_ERROR
    75: e.RemoteRuntimeError,  # SERVICE_NOT_FOUND
    76: e.RemoteRuntimeError,  # STALE_TASK_ID
    77: e.RemoteRuntimeError,  # DUPLICATE_TASK
    78: e.RemoteRuntimeError,  # STALE_TASK
    79: e.RemoteRuntimeError,  # LOCAL_MEMBER_RESET
    80: e.IndeterminateOperationStateError,
    81: e.RemoteRuntimeError,  # FLAKE_ID_NODE_ID_OUT_OF_RANGE
    82: e.TargetNotReplicaError,
    83: e.RemoteRuntimeError,  # MUTATION_DISALLOWED
    84: e.ConsistencyLostError,
    85: e.RemoteRuntimeError,  # SESSION_EXPIRED
    86: e.RemoteRuntimeError,  # WAIT_KEY_CANCELLED
    87: e.RemoteRuntimeError,  # LOCK_ACQUIRE_LIMIT_REACHED
    88: e.IllegalStateError,  # LOCK_OWNERSHIP_LOST
    89: e.IllegalStateError,  # CP_GROUP_DESTROYED
    90: e.CannotReplicateError,
    91: e.RemoteRuntimeError,  # LEADER_DEMOTED
    92: e.RemoteRuntimeError,  # STALE_APPEND_REQUEST
    93: e.RemoteRuntimeError,  # NOT_LEADER
    94: e.RemoteRuntimeError,  # VERSION_MISMATCH
    95: e.RemoteJavaError,  # NO_SUCH_METHOD_ERROR
    96: e.RemoteRuntimeError,  # NO_SUCH_METHOD_EXCEPTION
    97: e.RemoteJavaError,  # NO_SUCH_FIELD_ERROR
    98: e.RemoteRuntimeError,  # NO_SUCH_FIELD_EXCEPTION
    99: e.RemoteJavaError,  # NO_CLASS_DEF_FOUND_ERROR
}


def _decode_stack_trace_element(msg: Any) -> StackTraceElement:
    msg.read_begin()
    line = read_int32(msg.next_frame().content, 0)
    class_name = msg.read_string()
    method_name = msg.read_string()
    file_name = msg.read_nullable_string()
    msg.fast_forward_to_end_frame()
    return StackTraceElement(class_name, method_name, file_name, line)


def _decode_error_holder(msg: Any) -> ErrorHolder:
    msg.read_begin()
    code = read_int32(msg.next_frame().content, 0)
    class_name = msg.read_string()
    message = msg.read_nullable_string()
    trace = decode_list(msg, _decode_stack_trace_element)
    msg.fast_forward_to_end_frame()
    return ErrorHolder(code, class_name, message, trace)


def decode_error_holders(msg: Any) -> List[ErrorHolder]:
    """The cause chain of an error response, outermost first."""
    initial_frame(msg)
    return decode_list(msg, _decode_error_holder)


def error_from_holder(holder: ErrorHolder) -> BaseException:
    """One exception for one holder (no cause attached)."""
    cls = ERROR_CLASSES.get(holder.error_code, e.UndefinedErrorCodeError)
    text = f"{holder.class_name}: {holder.message}" if holder.message is not None else holder.class_name
    error = cls(text)
    error.error_code = holder.error_code  # type: ignore[attr-defined]
    error.class_name = holder.class_name  # type: ignore[attr-defined]
    error.server_message = holder.message  # type: ignore[attr-defined]
    error.stack_trace = [str(frame) for frame in holder.stack_trace]  # type: ignore[attr-defined]
    return error


def error_from_holders(holders: List[ErrorHolder]) -> BaseException:
    """The exception for a cause chain: ``holders[0]`` with ``holders[1]`` as ``__cause__``, and so on."""
    if not holders:
        return e.UndefinedErrorCodeError("error response without error holders")
    errors = [error_from_holder(h) for h in holders]
    for outer, inner in zip(errors, errors[1:]):
        outer.__cause__ = inner
    return errors[0]


def decode_error_response(msg: Any) -> BaseException:
    """Decode an error response (message type 0) into its exception."""
    return error_from_holders(decode_error_holders(msg))
