"""Compact schema replication against real members (docs/protocol.md §6.4): SendSchema to every member (also one
that joined later), FetchSchema for unknown ids, SendAllSchemas after the client reached a new cluster, and the
hold-back of data-carrying urgent requests until then."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any, List

import pytest

from _clients import Address, Person, eventually, start_client
from hazelcast.errors import IllegalStateError, InvocationMightContainCompactDataError, is_retryable_error
from hazelcast.protocol.codecs.map import encode_add_entry_listener_request
from hazelcast.protocol.codecs.schema import encode_fetch_schema_request
from hazelcast.schema_replicator import ClusterSchemaReplicator, hold_back_compact_data
from hazelcast.serialization import GenericRecord, Schema, SchemaNotFoundError

pytestmark = pytest.mark.integration


def schema_of(client: Any, obj: Any) -> Schema:
    data = client.serialization_service.to_data(obj)
    schema_id = int.from_bytes(bytes(data)[8:16], "big", signed=True)
    schema = client._schema_service.get(schema_id)
    assert schema is not None
    return schema


async def test_unknown_schemas_are_fetched_and_the_value_decoded(hazelcast_cluster):
    writer = await start_client(hazelcast_cluster)
    reader = await start_client(hazelcast_cluster, compact_serializers=[Person])
    plain = await start_client(hazelcast_cluster)
    try:
        name = "fetch-" + uuid.uuid4().hex[:6]
        await (await writer.get_map(name)).put("p", Person("Ada", 36, ["x"]))
        schema = schema_of(writer, Person("a", 1, []))
        assert writer._schema_service.has_replicated(schema.schema_id)
        assert reader._schema_service.get(schema.schema_id) is None
        assert await (await reader.get_map(name)).get("p") == Person("Ada", 36, ["x"])
        assert reader._schema_service.get(schema.schema_id) == schema
        generic = await (await plain.get_map(name)).get("p")  # no class registered for the type: GenericRecord
        assert isinstance(generic, GenericRecord) and generic.get_string("name") == "Ada"
        missing = await reader._schema_service._replicator.fetch_schema(12345)
        assert missing is None
        with pytest.raises(SchemaNotFoundError):
            await reader._schema_service.fetch_schema(12345)
    finally:
        for c in (writer, reader, plain):
            await c.shutdown()


async def test_send_schema_retries_until_every_member_has_it_then_gives_up(hazelcast_cluster):
    client = await start_client(hazelcast_cluster)
    try:
        members = [m.uuid for m in client.cluster_service.get_members()]
        ghost = uuid.uuid4()
        replicator = ClusterSchemaReplicator(client._invocations, lambda: members + [ghost], 0.01, max_attempts=3)
        schema = Schema("client.Ghost", [("x", 8)])
        with pytest.raises(IllegalStateError, match="after 3 attempts"):
            await replicator.send_schema(schema)
        ok = ClusterSchemaReplicator(client._invocations, lambda: members, 0.01)
        await ok.send_schema(schema)
        response = await client._invocations.invoke(encode_fetch_schema_request(schema.schema_id))
        assert response is not None
        assert await ok.fetch_schema(schema.schema_id) == schema
        await ok.send_all_schemas([])  # nothing to send: no request
    finally:
        await client.shutdown()


async def test_a_member_that_joins_later_gets_new_schemas_and_serves_old_ones(cluster_factory):
    cluster = cluster_factory(size=1)
    writer = await start_client(cluster)
    try:
        m = await writer.get_map("join")
        await m.put("person", Person("Ada", 36, []))
        joined = await cluster.add_member_async()
        await eventually(lambda: len(writer.cluster_service.get_members()) == 2)
        sent: List[Any] = []
        original = writer._schema_service._replicator.send_schema

        async def spy(schema):
            sent.append(schema)
            await original(schema)

        writer._schema_service._replicator.send_schema = spy
        await m.put("address", Address("Main St", 1))  # a new schema: replicated to both members
        assert [s.type_name for s in sent] == ["client.Address"]
        # a fresh client talking only to the new member reads both values: it fetches both schemas from there
        reader = await start_client(cluster, cluster_members=[joined.address], smart_routing=False,
                                    compact_serializers=[Person, Address])
        try:
            r = await reader.get_map("join")
            assert await r.get("person") == Person("Ada", 36, [])
            assert await r.get("address") == Address("Main St", 1)
        finally:
            await reader.shutdown()
    finally:
        await writer.shutdown()


async def test_schemas_go_to_a_new_cluster_before_other_data(cluster_factory):
    cluster = cluster_factory(size=1)
    client = await start_client(cluster, cluster_connect_timeout=120.0)
    try:
        m = await client.get_map("restart")
        await m.put("p", Person("Ada", 36, []))
        schema = schema_of(client, Person("a", 1, []))
        first_cluster = client._manager.cluster_id
        replicator = client._schema_service._replicator
        sent_all: List[Any] = []
        send_all = replicator.send_all_schemas

        async def spy(schemas):
            sent_all.append(list(schemas))
            await send_all(schemas)

        replicator.send_all_schemas = spy
        member = cluster.members[0]
        member.restart()  # a new cluster (new cluster id), no data, no schemas
        await member.wait_ready_async()
        await eventually(lambda: client._manager.cluster_id not in (None, first_cluster), timeout=60)
        await eventually(lambda: client._manager.initialized_on_cluster, timeout=60)
        assert sent_all == [[schema]] and client._schema_service.has_replicated(schema.schema_id)
        await m.put("p", Person("Ada", 37, []))  # no SendSchema for it: the cluster must have it already
        reader = await start_client(cluster, compact_serializers=[Person])
        try:
            assert await (await reader.get_map("restart")).get("p") == Person("Ada", 37, [])
        finally:
            await reader.shutdown()
    finally:
        await client.shutdown()


def test_urgent_requests_that_may_carry_data_are_held_back_until_the_schemas_are_sent():
    state = SimpleNamespace(initialized=False, schemas=True)
    check = hold_back_compact_data(lambda: state.initialized, lambda: state.schemas)
    listener = SimpleNamespace(request=encode_add_entry_listener_request("m", True, 1, True))
    fetch = SimpleNamespace(request=encode_fetch_schema_request(1))
    check(fetch)  # Client service requests always pass (SendAllSchemas itself, listeners of the cluster view)
    with pytest.raises(InvocationMightContainCompactDataError) as info:
        check(listener)
    assert is_retryable_error(info.value)
    state.schemas = False
    check(listener)  # no schema known: nothing to hold back
    state.schemas, state.initialized = True, True
    check(listener)
