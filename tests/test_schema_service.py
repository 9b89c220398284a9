"""The schema service: the local registry, replication state, and the hooks the client layer drives.

``InMemoryCluster`` is a test implementation of the ``SchemaReplicator`` protocol (what the client will implement
with Client.SendSchema / FetchSchema / SendAllSchemas); it counts requests so deduplication can be checked.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Dict, List, Optional, Sequence

import pytest

from hazelcast.errors import HazelcastSerializationError as HSE
from hazelcast.serialization import FieldKind, Schema, SchemaNotFoundError, SchemaReplicator, SchemaService

K = FieldKind


class InMemoryCluster:
    """The cluster side of schema replication, in memory."""

    def __init__(self, delay: float = 0.0) -> None:
        self.schemas: Dict[int, Schema] = {}
        self.sent: List[int] = []
        self.fetched: List[int] = []
        self.sent_all: List[List[int]] = []
        self.delay = delay
        self.answer_for_fetch: Optional[Schema] = None

    async def send_schema(self, schema: Schema) -> None:
        self.sent.append(schema.schema_id)
        await asyncio.sleep(self.delay)
        self.schemas[schema.schema_id] = schema

    async def fetch_schema(self, schema_id: int) -> Optional[Schema]:
        self.fetched.append(schema_id)
        await asyncio.sleep(self.delay)
        if self.answer_for_fetch is not None:
            return self.answer_for_fetch
        return self.schemas.get(schema_id)

    async def send_all_schemas(self, schemas: Sequence[Schema]) -> None:
        self.sent_all.append([s.schema_id for s in schemas])
        for s in schemas:
            self.schemas[s.schema_id] = s


A = Schema("a", [("x", K.INT32)])
B = Schema("b", [("y", K.STRING)])


def test_the_replicator_protocol():
    assert isinstance(InMemoryCluster(), SchemaReplicator)
    assert not isinstance(object(), SchemaReplicator)


def test_registry():
    service = SchemaService()
    assert service.register(A) is True and service.register(A) is False
    assert service.get(A.schema_id) is A and service.get(B.schema_id) is None
    assert A.schema_id in service and B.schema_id not in service
    assert service.schemas() == [A]
    with pytest.raises(HSE, match="not a Schema"):
        service.register("a")  # type: ignore[arg-type]
    impostor = Schema("c", [("z", K.INT64)])
    impostor.schema_id = A.schema_id  # a fingerprint collision
    with pytest.raises(HSE, match="collision"):
        service.register(impostor)


def test_replication_state():
    service = SchemaService()
    service.register(A)
    assert not service.has_pending_replication and service.pending_replication() == []
    service.register(B, for_write=True)
    assert service.has_pending_replication and service.pending_replication() == [B]
    assert not service.has_replicated(B.schema_id)
    service.mark_replicated(B.schema_id)
    assert service.has_replicated(B.schema_id) and not service.has_pending_replication
    service.register(B, for_write=True)  # already replicated: not pending again
    assert not service.has_pending_replication
    service.mark_replicated(12345)  # unknown ids are fine
    service.reset_replication()  # a new cluster: everything known is pending
    assert service.has_pending_replication and set(service.pending_replication()) == {A, B}
    assert not service.has_replicated(B.schema_id)


async def test_replicate_pending_sends_each_schema_once():
    cluster = InMemoryCluster(delay=0.01)
    service = SchemaService(cluster)
    service.register(A, for_write=True)
    service.register(B, for_write=True)
    await asyncio.gather(service.replicate_pending(), service.replicate_pending(), service.replicate(A))
    assert sorted(cluster.sent) == sorted([A.schema_id, B.schema_id])
    assert not service.has_pending_replication and service.has_replicated(A.schema_id)
    await service.replicate(A)
    assert len(cluster.sent) == 2


async def test_fetch_schema():
    cluster = InMemoryCluster(delay=0.01)
    cluster.schemas[A.schema_id] = A
    service = SchemaService(cluster)
    fetched = await asyncio.gather(service.fetch_schema(A.schema_id), service.fetch_schema(A.schema_id))
    assert fetched == [A, A] and cluster.fetched == [A.schema_id]
    assert service.get(A.schema_id) == A and service.has_replicated(A.schema_id)
    assert await service.fetch_schema(A.schema_id) == A and len(cluster.fetched) == 1
    with pytest.raises(SchemaNotFoundError) as e:
        await service.fetch_schema(B.schema_id)
    assert e.value.schema_id == B.schema_id
    cluster.answer_for_fetch = A  # a wrong answer: its fingerprint is not the id asked for
    with pytest.raises(HSE, match="answered"):
        await service.fetch_schema(B.schema_id)


async def test_send_all_schemas():
    cluster = InMemoryCluster()
    service = SchemaService(cluster)
    service.register(A, for_write=True)
    service.register(B)
    await service.send_all_schemas()
    assert sorted(cluster.sent_all[0]) == sorted([A.schema_id, B.schema_id])
    assert not service.has_pending_replication and service.has_replicated(B.schema_id)


async def test_offline_service_hooks_raise():
    service = SchemaService()
    service.register(A, for_write=True)
    for call in (service.replicate_pending(), service.fetch_schema(B.schema_id), service.send_all_schemas()):
        with pytest.raises(HSE, match="offline"):
            await call


@dataclasses.dataclass
class Item:
    __compact_type_name__ = "shop.Item"
    name: str
    qty: int


async def test_serialization_hooks_for_the_client(serialization):
    """The flow the client will run: write (pending schema) → replicate → send; read unknown → fetch → decode."""
    cluster = InMemoryCluster()
    writer = serialization(schema_service=SchemaService(cluster))
    data = writer.to_data(Item("apple", 3))
    assert writer.schema_service.has_pending_replication
    assert [s.type_name for s in writer.schema_service.pending_replication()] == ["shop.Item"]
    assert await writer.to_data_async(Item("pear", 1)) is not None
    assert not writer.schema_service.has_pending_replication and len(cluster.sent) == 1
    writer.to_data(Item("plum", 2))  # known and replicated: nothing pending
    assert not writer.schema_service.has_pending_replication

    reader = serialization(schema_service=SchemaService(cluster))
    with pytest.raises(SchemaNotFoundError):
        reader.to_object(data)
    record = await reader.to_object_async(data)  # fetched, then decoded (as a GenericRecord: Item is unknown here)
    assert record.get_string("name") == "apple" and cluster.fetched == [int.from_bytes(data.buffer[8:16], "big",
                                                                                          signed=True)]
    assert await reader.to_object_async(reader.to_data("plain")) == "plain"

    lonely = serialization(schema_service=SchemaService(InMemoryCluster()))
    with pytest.raises(SchemaNotFoundError):
        await lonely.to_object_async(data)


async def test_to_object_async_gives_up_after_repeated_misses(serialization, monkeypatch):
    service = serialization(schema_service=SchemaService(InMemoryCluster()))
    data = serialization().to_data(Item("x", 1))

    async def pretend(schema_id: int) -> Schema:  # a fetch that never makes the schema known
        return A

    monkeypatch.setattr(service.schema_service, "fetch_schema", pretend)
    with pytest.raises(SchemaNotFoundError):
        await service.to_object_async(data)
