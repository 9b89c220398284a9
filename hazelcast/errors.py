"""The exception hierarchy of hazelcast-aio.

Every error this package raises on purpose derives from :class:`HazelcastError`. Errors that a member sends back
are mapped by :mod:`hazelcast.protocol.errors` onto the subclasses defined there.
"""

from __future__ import annotations


class HazelcastError(Exception):
    """Base class of every error raised by hazelcast-aio."""


class ProtocolError(HazelcastError):
    """Malformed client-protocol bytes: bad frame lengths, oversized messages, truncated or invalid frames.

    Raised by :class:`hazelcast.protocol.MessageReader` and by the frame readers of
    :class:`hazelcast.protocol.ClientMessage`. A connection that sees one is closed.
    """


class HazelcastSerializationError(HazelcastError):
    """Data that cannot be serialized or deserialized: truncated or malformed input, out-of-range offsets,
    negative or oversized lengths, invalid UTF-8, unknown schema ids, field-kind mismatches, values out of range.
    """


# -- client-side errors -----------------------------------------------------------------------------------------------


class InvalidConfigurationError(HazelcastError, ValueError):
    """A configuration value is invalid: a bad address, a missing or unreadable TLS file, an out-of-range option.

    Also the class of the member's ``INVALID_CONFIGURATION`` (32) error.
    """


class IllegalStateError(HazelcastError):
    """An operation is not allowed in the current state (e.g. connecting a connection twice).

    Also the class of the member's ``ILLEGAL_STATE`` (27) error.
    """


class HazelcastIOError(HazelcastError):
    """A client-side I/O failure: connect refused or timed out, a broken connection, no connection to the cluster.

    Always retryable by the invocation service (Java's ``IOException``).
    """


class TargetDisconnectedError(HazelcastError):
    """The connection an invocation was sent on closed before its response arrived (or a heartbeat timed out).

    Also the class of the member's ``TARGET_DISCONNECTED`` (52) error.
    """


class AuthenticationError(HazelcastError):
    """The cluster rejected the credentials, or the cluster name did not match (``CREDENTIALS_FAILED``).

    Also the class of the member's ``AUTHENTICATION`` (3) error.
    """


class ClientNotAllowedInClusterError(HazelcastError):
    """The cluster does not accept this client (``NOT_ALLOWED_IN_CLUSTER``, a partition count mismatch, a
    serialization version mismatch)."""


class ClientOfflineError(HazelcastError):
    """The client is disconnected from the cluster and its reconnect mode is ASYNC: operations fail fast
    (Java's ``HazelcastClientOfflineException``)."""


class ClientNotActiveError(HazelcastError):
    """The client (or its connection manager) is shut down (Java's ``HazelcastClientNotActiveException``)."""


class InvocationMightContainCompactDataError(HazelcastError):
    """Held back: the client reconnected to a new cluster and has not finished sending it its Compact schemas
    (``Client.SendAllSchemas``, docs/protocol.md §6.4), and this request may carry Compact data. Always retried by
    the invocation service, so callers only see it wrapped in a timeout."""

    retryable = True


# -- errors sent by members -------------------------------------------------------------------------------------------


class RemoteError(HazelcastError):
    """An error a member sent back in an error response (``docs/protocol.md`` §3).

    Every error decoded from the wire carries these attributes (set by :mod:`hazelcast.protocol.errors`), whatever
    its class: ``error_code`` (the protocol error code), ``class_name`` (the server-side Java class), ``server_message``
    (the server's message, may be ``None``) and ``stack_trace`` (the server's frames as strings). The server's cause
    chain becomes ``__cause__``. Subclasses of :class:`RemoteError` that the invocation service retries have
    ``retryable = True``.
    """

    retryable = False


class UndefinedErrorCodeError(RemoteError):
    """A member error whose code has no dedicated class here (``UNDEFINED`` (0), Jet and user codes)."""


class RetryableHazelcastError(RemoteError):
    """A transient member-side condition; the invocation is retried (``RETRYABLE_HAZELCAST`` (46))."""

    retryable = True


class RetryableIOError(RemoteError):
    """A transient member-side I/O error (``RETRYABLE_IO`` (47))."""

    retryable = True


class CallerNotMemberError(RetryableHazelcastError):
    """``CALLER_NOT_MEMBER`` (8)."""


class MemberLeftError(RemoteError):
    """The member that ran the operation left the cluster (``MEMBER_LEFT`` (33))."""

    retryable = True


class PartitionMigratingError(RetryableHazelcastError):
    """The partition is migrating (``PARTITION_MIGRATING`` (39))."""


class TargetNotMemberError(RetryableHazelcastError):
    """The target is not a member of the cluster (``TARGET_NOT_MEMBER`` (53))."""


class WrongTargetError(RetryableHazelcastError):
    """The operation reached a member that does not own the partition (``WRONG_TARGET`` (62))."""


class TargetNotReplicaError(RetryableHazelcastError):
    """``TARGET_NOT_REPLICA_EXCEPTION`` (82)."""


class CannotReplicateError(RetryableHazelcastError):
    """``CANNOT_REPLICATE_EXCEPTION`` (90)."""


class HazelcastInstanceNotActiveError(RemoteError):
    """The member is shutting down or not yet started (``HAZELCAST_INSTANCE_NOT_ACTIVE`` (19)); always retried."""

    retryable = True


class OperationTimeoutError(RemoteError):
    """``OPERATION_TIMEOUT`` (38); also raised by the client when an invocation's deadline passes."""


class HazelcastTimeoutError(RemoteError):
    """``TIMEOUT`` (54)."""


class IllegalArgumentError(RemoteError, ValueError):
    """``ILLEGAL_ARGUMENT`` (23)."""


class NullPointerError(RemoteError):
    """``NULL_POINTER`` (37)."""


class ClassCastError(RemoteError, TypeError):
    """``CLASS_CAST`` (10)."""


class ClassNotFoundError(RemoteError):
    """``CLASS_NOT_FOUND`` (11)."""


class UnsupportedOperationError(RemoteError):
    """``UNSUPPORTED_OPERATION`` (61): also what a member answers to an unknown message type."""


class DistributedObjectDestroyedError(RemoteError):
    """``DISTRIBUTED_OBJECT_DESTROYED`` (14)."""


class HazelcastOverloadError(RemoteError):
    """``HAZELCAST_OVERLOAD`` (20)."""


class RemoteSerializationError(RemoteError, HazelcastSerializationError):
    """``HAZELCAST_SERIALIZATION`` (21): the member could not (de)serialize a value."""


class QueryError(RemoteError):
    """``QUERY`` (40)."""


class SplitBrainProtectionError(RemoteError):
    """``SPLIT_BRAIN_PROTECTION`` (42)."""


class TransactionError(RemoteError):
    """``TRANSACTION`` (56)."""


class SecurityError(RemoteError):
    """``SECURITY`` (49) and ``ACCESS_CONTROL`` (64)."""


class IndeterminateOperationStateError(RemoteError):
    """``INDETERMINATE_OPERATION_STATE`` (80)."""


class NoDataMemberError(RemoteError):
    """``NO_DATA_MEMBER`` (67): the cluster has only lite members."""


class MaxMessageSizeExceededError(RemoteError):
    """``MAX_MESSAGE_SIZE_EXCEEDED`` (69)."""


class ConsistencyLostError(RemoteError):
    """``CONSISTENCY_LOST_EXCEPTION`` (84)."""


class StaleSequenceError(RemoteError):
    """``STALE_SEQUENCE`` (51)."""


class RemoteRuntimeError(RemoteError):
    """``RUNTIME`` (48), ``HAZELCAST`` (18) and the other generic Java runtime errors."""


class RemoteJavaError(RemoteError):
    """A Java ``Error`` (assertion, out of memory, stack overflow, linkage) on the member."""


def is_retryable_error(error: BaseException) -> bool:
    """Whether the invocation service retries an invocation that failed with ``error`` regardless of the request's
    ``retryable`` flag: the retryable member errors (§3), ``HAZELCAST_INSTANCE_NOT_ACTIVE`` and client-side I/O
    errors. :class:`TargetDisconnectedError` is NOT included: it is retried only for retryable requests or with
    ``redo_operation``."""
    return isinstance(error, HazelcastIOError) or bool(getattr(error, "retryable", False))
