"""Compact schemas between this client and the cluster (``docs/protocol.md`` §6.4).

:class:`ClusterSchemaReplicator` is the client side of :class:`~hazelcast.serialization.SchemaReplicator`: the
serialization layer's :class:`~hazelcast.serialization.SchemaService` owns the schemas and asks it to move them.

* ``send_schema`` — ``Client.SendSchema`` until every member of the current member list is in the response's
  ``replicatedMembers`` (a member that just joined may not have it yet); between attempts it waits
  ``invocation_retry_pause``; after ``max_attempts`` it gives up with :class:`~hazelcast.errors.IllegalStateError`.
* ``fetch_schema`` — ``Client.FetchSchema``: the schema of an id found in a response, or ``None``.
* ``send_all_schemas`` — ``Client.SendAllSchemas`` as an urgent invocation, after the client connected to a new
  cluster (the connection manager's ``on_cluster_changed`` hook), before other data goes out.

:func:`hold_back_compact_data` is the invocation service's ``urgent_check``: until the schemas reached the new
cluster, urgent requests that may carry Compact data (every urgent request outside the ``Client`` service, e.g. a
key-bound entry listener registration) fail with the retryable
:class:`~hazelcast.errors.InvocationMightContainCompactDataError`; non-urgent ones are held back by the connection
manager's ``check_invocation_allowed``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Callable, Iterable, Optional, Sequence

from hazelcast.errors import IllegalStateError, InvocationMightContainCompactDataError
from hazelcast.protocol.codecs.schema import (
    decode_fetch_schema_response,
    decode_send_schema_response,
    encode_fetch_schema_request,
    encode_send_all_schemas_request,
    encode_send_schema_request,
)
from hazelcast.serialization import Schema

_logger = logging.getLogger(__name__)

__all__ = ["ClusterSchemaReplicator", "MAX_SEND_SCHEMA_ATTEMPTS", "hold_back_compact_data"]

MAX_SEND_SCHEMA_ATTEMPTS = 100
"""As the official Python client: ``Client.SendSchema`` attempts before giving up."""

_CLIENT_SERVICE = 0


class ClusterSchemaReplicator:
    """Sends and fetches schemas through ``invocations`` (see the module docstring).

    ``member_uuids()`` returns the UUIDs of the current members; ``retry_pause`` is the pause between
    ``Client.SendSchema`` attempts (the client passes ``invocation_retry_pause``).
    """

    def __init__(
        self,
        invocations: Any,
        member_uuids: Callable[[], Iterable[uuid.UUID]],
        retry_pause: float,
        max_attempts: int = MAX_SEND_SCHEMA_ATTEMPTS,
    ) -> None:
        self._invocations = invocations
        self._member_uuids = member_uuids
        self._retry_pause = retry_pause
        self._max_attempts = max_attempts

    async def send_schema(self, schema: Schema) -> None:
        """``Client.SendSchema`` until every member has ``schema``.

        Raises :class:`~hazelcast.errors.IllegalStateError` after ``max_attempts`` attempts, and the invocation's
        error if an attempt fails (it is already retried by the invocation service until its timeout)."""
        missing: Sequence[uuid.UUID] = ()
        for attempt in range(self._max_attempts):
            if attempt:
                await asyncio.sleep(self._retry_pause)
            response = await self._invocations.invoke(encode_send_schema_request(schema))
            replicated = decode_send_schema_response(response)
            missing = [m for m in self._member_uuids() if m not in replicated]
            if not missing:
                return
            _logger.debug("schema %s not on members %s yet (attempt %d)", schema.schema_id, missing, attempt + 1)
        raise IllegalStateError(
            f"the schema {schema.type_name!r} ({schema.schema_id}) could not be replicated to members "
            f"{', '.join(map(str, missing))} after {self._max_attempts} attempts"
        )

    async def fetch_schema(self, schema_id: int) -> Optional[Schema]:
        """``Client.FetchSchema``: the schema with ``schema_id``, or ``None`` when the cluster does not know it."""
        response = await self._invocations.invoke(encode_fetch_schema_request(schema_id))
        description = decode_fetch_schema_response(response)
        if description is None:
            return None
        return Schema(description.type_name, description.fields)

    async def send_all_schemas(self, schemas: Sequence[Schema]) -> None:
        """``Client.SendAllSchemas`` (urgent: it runs while other invocations are held back); nothing to send is
        no request."""
        if schemas:
            await self._invocations.invoke(encode_send_all_schemas_request(schemas), urgent=True)


def hold_back_compact_data(initialized: Callable[[], bool], has_schemas: Callable[[], bool]) -> Callable[[Any], None]:
    """The invocation service's ``urgent_check``: raise :class:`InvocationMightContainCompactDataError` for an
    urgent invocation outside the ``Client`` service while ``initialized()`` is False and ``has_schemas()`` is
    True."""

    def check(invocation: Any) -> None:
        if initialized() or not has_schemas():
            return
        if invocation.request.message_type >> 16 != _CLIENT_SERVICE:
            raise InvocationMightContainCompactDataError(
                f"{invocation!r} may carry Compact data; held back until the schemas reach the new cluster"
            )

    return check
