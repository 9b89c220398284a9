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
# The classes below mirror, name for name and base for base, those of the network branch (hazelcast/errors.py there
# is a superset): at merge, that version of this file replaces this block.


class InvalidConfigurationError(HazelcastError, ValueError):
    """A configuration value is invalid: a bad address, a missing or unreadable TLS file, an out-of-range option.

    Also the class of the member's ``INVALID_CONFIGURATION`` (32) error.
    """


class HazelcastIOError(HazelcastError):
    """A client-side I/O failure: connect refused or timed out, a broken connection, no connection to the cluster.

    Always retryable by the invocation service (Java's ``IOException``).
    """


class TargetDisconnectedError(HazelcastError):
    """The connection an invocation was sent on closed before its response arrived (or a heartbeat timed out).

    Also the class of the member's ``TARGET_DISCONNECTED`` (52) error.
    """


class ClientOfflineError(HazelcastError):
    """The client is disconnected from the cluster and its reconnect mode is ASYNC: operations fail fast
    (Java's ``HazelcastClientOfflineException``)."""


class ClientNotActiveError(HazelcastError):
    """The client (or its connection manager) is shut down (Java's ``HazelcastClientNotActiveException``)."""


# -- errors sent by members -------------------------------------------------------------------------------------------


class RemoteError(HazelcastError):
    """An error a member sent back in an error response (``docs/protocol.md`` §3).

    Every error decoded from the wire carries ``error_code`` (the protocol error code), ``class_name`` (the
    server-side Java class) and ``server_message``. Subclasses that the invocation service retries have
    ``retryable = True``.
    """

    retryable = False


class RetryableHazelcastError(RemoteError):
    """A transient member-side condition; the invocation is retried (``RETRYABLE_HAZELCAST`` (46))."""

    retryable = True


class TargetNotMemberError(RetryableHazelcastError):
    """The target is not a member of the cluster (``TARGET_NOT_MEMBER`` (53))."""


class HazelcastInstanceNotActiveError(RemoteError):
    """The member is shutting down or not yet started (``HAZELCAST_INSTANCE_NOT_ACTIVE`` (19)); always retried."""

    retryable = True


class OperationTimeoutError(RemoteError):
    """``OPERATION_TIMEOUT`` (38); also raised by the client when an invocation's deadline passes."""


class IndeterminateOperationStateError(RemoteError):
    """``INDETERMINATE_OPERATION_STATE`` (80)."""


def is_retryable_error(error: BaseException) -> bool:
    """Whether the invocation service retries an invocation that failed with ``error`` regardless of the request's
    ``retryable`` flag: the retryable member errors (§3), ``HAZELCAST_INSTANCE_NOT_ACTIVE`` and client-side I/O
    errors. :class:`TargetDisconnectedError` is NOT included: it is retried only for retryable requests or with
    ``redo_operation``."""
    return isinstance(error, HazelcastIOError) or bool(getattr(error, "retryable", False))
