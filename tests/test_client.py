"""HazelcastClient against real members: configuration, lifecycle and membership listeners, partition routing on a
2-member cluster, failover when a member dies, invocation timeouts and the heartbeat on a frozen member, backup
acks, entry listeners across a member restart, and a clean shutdown."""

from __future__ import annotations

import asyncio
import math
import uuid
from typing import Any, List

import pytest

from _clients import Person, client_options, eventually, socket_count, start_client
from hazelcast import HazelcastClient
from hazelcast.config import Config
from hazelcast.errors import (
    ClientNotActiveError,
    IllegalStateError,
    InvalidConfigurationError,
    OperationTimeoutError,
    TargetDisconnectedError,
)
from hazelcast.lifecycle import LifecycleService, LifecycleState
from hazelcast.testing.members import free_port

pytestmark = pytest.mark.integration


# -- configuration and lifecycle -----------------------------------------------------------------------------------


def test_config_from_keywords_or_object_with_overrides():
    assert HazelcastClient(cluster_name="a").config.cluster_name == "a"
    base = Config(cluster_name="base", invocation_timeout=3.0)
    merged = HazelcastClient(base, cluster_members=["127.0.0.1:1"]).config
    assert (merged.cluster_name, merged.cluster_members, merged.invocation_timeout) == ("base", ["127.0.0.1:1"], 3.0)
    assert HazelcastClient(base).config is base
    with pytest.raises(InvalidConfigurationError):
        HazelcastClient("not a config")  # type: ignore[arg-type]
    with pytest.raises(InvalidConfigurationError, match="invocation_timeout"):
        HazelcastClient(invocation_timeout=0)
    with pytest.raises(InvalidConfigurationError, match="lifecycle_listeners"):
        HazelcastClient(lifecycle_listeners=[42])
    with pytest.raises(InvalidConfigurationError, match="membership_listeners"):
        HazelcastClient(membership_listeners=[print])
    with pytest.raises(InvalidConfigurationError, match="icmp"):
        HazelcastClient(icmp_ping_enabled=True, icmp_ping_interval=0.1)
    with pytest.raises(InvalidConfigurationError, match="default_int_type"):
        HazelcastClient(default_int_type=99)


def test_lifecycle_service_listeners():
    service = LifecycleService()
    seen: List[Any] = []
    rid = service.add_listener(seen.append)
    service.add_listener(lambda state: 1 / 0)  # a failing listener is logged, the others still run
    service.fire(LifecycleState.STARTED)
    assert service.is_running() and seen == [LifecycleState.STARTED]
    assert service.remove_listener(rid) and not service.remove_listener(rid)
    service.fire(LifecycleState.SHUTTING_DOWN)
    assert not service.is_running() and seen == [LifecycleState.STARTED]
    with pytest.raises(TypeError):
        service.add_listener("nope")  # type: ignore[arg-type]


async def test_lifecycle_and_membership_listeners(hazelcast_cluster):
    states: List[LifecycleState] = []
    added: List[Any] = []
    client = HazelcastClient(**client_options(hazelcast_cluster, lifecycle_listeners=[states.append],
                                              membership_listeners=[(added.append, None)]))
    async with client:
        assert states == [LifecycleState.STARTING, LifecycleState.CONNECTED, LifecycleState.STARTED]
        assert client.lifecycle_service.is_running()
        members = client.cluster_service.get_members()
        assert [m.uuid for m in added] == [m.uuid for m in members] and len(members) == 1
        existing: List[Any] = []
        rid = client.cluster_service.add_listener(existing.append, fire_for_existing=True)
        assert existing == members
        assert client.cluster_service.remove_listener(rid) and not client.cluster_service.remove_listener("x")
        assert client.name.startswith("hz.client_") and repr(client).startswith("HazelcastClient(")
        assert client.partition_service.partition_count == 271
        assert client.serialization_service.to_object(client.serialization_service.to_data("x")) == "x"
        with pytest.raises(IllegalStateError, match="already started"):
            await client.start()
    assert states[3:] == [LifecycleState.SHUTTING_DOWN, LifecycleState.DISCONNECTED, LifecycleState.SHUTDOWN]
    assert not client.lifecycle_service.is_running()
    with pytest.raises(ClientNotActiveError):
        await client.get_map("late")
    await client.shutdown()  # idempotent
    assert states.count(LifecycleState.SHUTDOWN) == 1


async def test_a_client_that_cannot_connect_shuts_down_cleanly():
    states: List[LifecycleState] = []
    before = {t for t in asyncio.all_tasks()}
    with pytest.raises(IllegalStateError, match="unable to connect"):
        await HazelcastClient.create_and_start(
            cluster_members=[f"127.0.0.1:{free_port()}"], cluster_connect_timeout=0.3, retry_initial_backoff=0.05,
            lifecycle_listeners=[states.append],
        )
    assert states == [LifecycleState.STARTING, LifecycleState.SHUTTING_DOWN, LifecycleState.SHUTDOWN]
    assert {t for t in asyncio.all_tasks()} <= before


async def test_shutdown_leaves_no_task_socket_or_pending_future(hazelcast_cluster):
    sockets_before = socket_count()
    tasks_before = set(asyncio.all_tasks())
    client = await start_client(hazelcast_cluster, icmp_ping_enabled=True, icmp_echo_fail_fast_on_startup=False)
    m = await client.get_map("shutdown-" + uuid.uuid4().hex[:6])
    await m.add_entry_listener(added_func=lambda e: None)
    await m.put("k", Person("Ada", 36, []))
    in_flight = [asyncio.ensure_future(m.get("k")) for _ in range(200)]
    await asyncio.sleep(0)
    await client.shutdown()
    outcomes = await asyncio.gather(*in_flight, return_exceptions=True)
    assert all(o == Person("Ada", 36, []) or isinstance(o, ClientNotActiveError) for o in outcomes)
    assert client._invocations.pending_count == 0 and client._invocations.in_flight == 0
    assert client._invocations.event_handler_count == 0
    assert client._manager.get_active_connections() == []
    await asyncio.sleep(0)
    assert set(asyncio.all_tasks()) <= tasks_before
    assert socket_count() <= sockets_before
    with pytest.raises(ClientNotActiveError):
        await m.get("k")


# -- a 2-member cluster -------------------------------------------------------------------------------------------


async def warm_partition_table(client: HazelcastClient, members: int) -> None:
    """Make the members assign partitions and wait until the client knows owners and connections for all."""
    m = await client.get_map("warm-up")
    await m.put("warm", "up")
    partitions = client.partition_service
    await eventually(lambda: len(partitions.owners()) == 271 and len(set(partitions.owners().values())) == members)
    await eventually(lambda: len(client._manager.get_active_connections()) == members)


async def test_keyed_operations_go_to_the_partition_owner(cluster_factory):
    cluster = cluster_factory(size=2)
    client = await start_client(cluster)
    try:
        await warm_partition_table(client, 2)
        sent: List[Any] = []
        for connection in client._manager.get_active_connections():
            original = connection.send_sync

            def spy(message, _connection=connection, _original=original):
                sent.append((message.partition_id, _connection.member_uuid))
                return _original(message)

            connection.send_sync = spy
        m = await client.get_map("routing")
        for i in range(200):
            await m.put(f"key-{i}", i)
            assert await m.get(f"key-{i}") == i
        keyed = [(pid, member) for pid, member in sent if pid != -1]
        assert len(keyed) == 400
        owners = client.partition_service.owners()
        assert all(owners[pid] == member for pid, member in keyed)
        assert len({member for _, member in keyed}) == 2  # both members got requests
    finally:
        await client.shutdown()


async def test_a_member_killed_during_a_put_get_loop_loses_no_acknowledged_write(cluster_factory):
    cluster = cluster_factory(size=2)
    client = await start_client(cluster, invocation_timeout=60.0)
    try:
        await warm_partition_table(client, 2)
        m = await client.get_map("failover")
        acknowledged = {}
        retried = 0
        for i in range(600):
            if i == 200:
                cluster.members[1].kill()
            while True:
                try:
                    await m.put(i, f"value-{i}")  # Map.Put is not retryable after a disconnect: the loop retries
                    break
                except TargetDisconnectedError:
                    retried += 1
            acknowledged[i] = f"value-{i}"
            assert await m.get(i) == f"value-{i}"
        await eventually(lambda: len(client.cluster_service.get_members()) == 1)
        assert len(client._manager.get_active_connections()) == 1
        assert await m.get_all(list(acknowledged)) == acknowledged
        assert await m.size() == 600
    finally:
        await client.shutdown()


async def test_backup_acks_do_not_wait_for_the_member_side_backup(cluster_factory):
    cluster = cluster_factory(size=2)
    # a lost ack would hold a put for operation_backup_timeout (60 s): every put below must finish long before
    client = await start_client(cluster, operation_backup_timeout=60.0)
    try:
        invocations = client._invocations
        m = await client.get_map("backups")
        # the first requests, possibly before the backup listener reached every member: never a 60 s stall
        await asyncio.wait_for(asyncio.gather(*(m.put(f"early-{i}", i) for i in range(50))), 20)
        await warm_partition_table(client, 2)
        await eventually(lambda: invocations.backup_listener_ready)
        acks: List[int] = []
        original = invocations.handle_backup_event

        def count(connection, message):
            acks.append(message.correlation_id)
            original(connection, message)

        for registration in client._listeners.connection_registrations(client._listeners.backup_listener_registration_id
                                                                       ).items():
            connection, entry = registration
            invocations.add_event_handler(connection, entry.correlation_id, count)
        await asyncio.wait_for(asyncio.gather(*(m.put(f"k{i}", i) for i in range(100))), 20)
        assert len(acks) >= 100  # backup count 1: one ack per put, straight from the backup member
        assert await m.size() == 150
    finally:
        await client.shutdown()


async def test_backup_listener_readiness_follows_the_members(cluster_factory):
    cluster = cluster_factory(size=1)
    client = await start_client(cluster)
    try:
        await eventually(lambda: client._invocations.backup_listener_ready)
        history: List[bool] = []
        listeners = client._listeners
        original = listeners.members_changed

        def record() -> None:
            original()
            history.append(client._invocations.backup_listener_ready)

        listeners.members_changed = record  # type: ignore[method-assign]
        await cluster.add_member_async()
        # the new member is in the list before its connection carries the backup listener: no flag meanwhile
        await eventually(lambda: len(client.cluster_service.get_members()) == 2)
        await eventually(lambda: client._invocations.backup_listener_ready, timeout=30)
        assert len(client._manager.get_active_connections()) == 2
        assert history[0] is False and history[-1] is True
    finally:
        await client.shutdown()


# -- a frozen member --------------------------------------------------------------------------------------------


async def test_frozen_member_invocation_timeout_and_heartbeat(cluster_factory):
    cluster = cluster_factory(size=1)
    client = await start_client(cluster, invocation_timeout=1.5, heartbeat_interval=1.0, heartbeat_timeout=4.0,
                                cluster_connect_timeout=60.0)
    closed: List[Any] = []
    try:
        client._manager.add_connection_listener(None, closed.append)
        m = await client.get_map("frozen")
        await m.put("k", "v")
        cluster.members[0].freeze()
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(OperationTimeoutError):
            await m.get("k")
        elapsed = loop.time() - start
        assert 1.5 <= elapsed < 3.0, elapsed  # fires at the deadline (plus the timer resolution), not never
        await eventually(lambda: closed, timeout=15)
        assert closed[0].close_reason == "Heartbeat timed out"
        assert isinstance(closed[0].close_cause, TargetDisconnectedError)
        assert loop.time() - start < 4.0 + 1.0 + 5.0
    finally:
        cluster.members[0].thaw()
        await client.shutdown()


# -- reconnects ---------------------------------------------------------------------------------------------------


async def test_entry_listeners_survive_a_member_restart(cluster_factory):
    cluster = cluster_factory(size=1)
    states: List[LifecycleState] = []
    client = await start_client(cluster, lifecycle_listeners=[states.append], cluster_connect_timeout=120.0)
    try:
        m = await client.get_map("restart")
        events: List[Any] = []
        await m.add_entry_listener(include_value=True, added_func=events.append)
        await m.put("before", 1)
        await eventually(lambda: len(events) == 1)
        member = cluster.members[0]
        member.restart()
        await eventually(lambda: LifecycleState.DISCONNECTED in states)
        await member.wait_ready_async()
        await eventually(lambda: states[-1] == LifecycleState.CHANGED_CLUSTER, timeout=60)  # a new cluster id
        assert states[-3:] == [LifecycleState.DISCONNECTED, LifecycleState.CONNECTED, LifecycleState.CHANGED_CLUSTER]
        assert client._manager.initialized_on_cluster
        await m.put("after", 2)
        await eventually(lambda: len(events) == 2, timeout=30)
        assert [(e.key, e.value) for e in events] == [("before", 1), ("after", 2)]
    finally:
        await client.shutdown()


def test_math_inf_invocation_timeout_is_accepted():
    assert HazelcastClient(invocation_timeout=math.inf).config.invocation_timeout == math.inf


async def test_reconnect_mode_off_shuts_the_client_down_when_the_cluster_is_lost(cluster_factory):
    cluster = cluster_factory(size=1)
    states: List[LifecycleState] = []
    client = await start_client(cluster, reconnect_mode=0, lifecycle_listeners=[states.append])
    m = await client.get_map("off")
    await m.put("k", 1)
    cluster.members[0].kill()
    await eventually(lambda: LifecycleState.SHUTDOWN in states, timeout=30)
    assert states[-3:] == [LifecycleState.DISCONNECTED, LifecycleState.SHUTTING_DOWN, LifecycleState.SHUTDOWN]
    with pytest.raises(ClientNotActiveError):
        await m.get("k")
    await client.shutdown()  # already down: returns at once


def test_the_package_exports_the_client_and_config_lazily():
    import hazelcast

    assert hazelcast.HazelcastClient is HazelcastClient and hazelcast.Config is Config
    with pytest.raises(AttributeError, match="nope"):
        hazelcast.nope  # noqa: B018
