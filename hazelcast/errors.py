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


class TargetDisconnectedError(HazelcastError):
    """The connection to a member was lost or declared dead: the member closed it, or a failure detector
    (heartbeat timeout, phi accrual, ICMP ping) gave up on it. The client-side name of Java's
    ``TargetDisconnectedException``; pending invocations on that connection fail with it (and may be retried).
    """
