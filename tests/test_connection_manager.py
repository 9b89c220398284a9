"""ConnectionManager against a real member: start, authentication handshake, cluster view, partition table,
message routing, error responses, connection reuse, lifecycle events, heartbeat, clean shutdown."""

import asyncio
import itertools
import os
import uuid

import pytest

from hazelcast.cluster import ClusterService
from hazelcast.config import Config, ReconnectMode
from hazelcast.errors import (
    ClientNotActiveError,
    ClientNotAllowedInClusterError,
    HazelcastIOError,
    IllegalStateError,
    UnsupportedOperationError,
)
from hazelcast.lifecycle import LifecycleState
from hazelcast.network.address import Address
from hazelcast.network.connection_manager import ClientConnectionState, ConnectionManager
from hazelcast.partition import PartitionService
from hazelcast.protocol import ClientMessage
from hazelcast.protocol.codecs.client import PING_RESPONSE, encode_ping_request

pytestmark = pytest.mark.integration


def map_put_request(name: str, key_data: bytes, value_data: bytes, partition_id: int) -> ClientMessage:
    """Map.Put (vector A.3 layout): enough to make the member assign its partitions."""
    msg = ClientMessage.create_request(0x010100, partition_id, 16)
    msg.set_int64(16, 1)
    msg.set_int64(24, 0)
    msg.append_string(name)
    msg.append_data(key_data)
    msg.append_data(value_data)
    return msg


class Harness:
    """A manager with its services and what it reported."""

    def __init__(self, cluster, **kwargs) -> None:
        config_keys = set(Config.__dataclass_fields__)
        config = Config(
            cluster_name=kwargs.pop("cluster_name", cluster.cluster_name if cluster else "dev"),
            cluster_members=kwargs.pop("cluster_members", cluster.addresses if cluster else []),
            **{k: kwargs.pop(k) for k in list(kwargs) if k in config_keys},
        )
        self.cluster_service = ClusterService()
        self.partition_service = PartitionService()
        self.messages = []
        self.lifecycle = []
        self.added = []
        self.removed = []
        self.ids = itertools.count(1000)
        self.manager = ConnectionManager(
            config,
            cluster_service=self.cluster_service,
            partition_service=self.partition_service,
            message_handler=lambda conn, msg: self.messages.append((conn, msg)),
            correlation_id_source=self.ids.__next__,
            **kwargs,
        )
        self.manager.add_lifecycle_listener(self.lifecycle.append)
        self.manager.add_connection_listener(self.added.append, self.removed.append)

    async def __aenter__(self) -> "Harness":
        await self.manager.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.manager.shutdown()


async def eventually(predicate, timeout: float = 30.0, interval: float = 0.05):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def test_start_cluster_view_and_partition_table(hazelcast_cluster):
    async with Harness(hazelcast_cluster) as h:
        m = h.manager
        assert m.state is ClientConnectionState.CONNECTED and m.is_connected
        assert h.lifecycle == [LifecycleState.CONNECTED]
        [conn] = m.get_active_connections()
        assert h.added == [conn] and conn.member_uuid is not None and conn.server_version.startswith("5.7")
        assert m.cluster_id is not None and conn.cluster_uuid == m.cluster_id
        assert [x.uuid for x in h.cluster_service.members] == [conn.member_uuid]
        assert h.partition_service.partition_count == 271
        await eventually(lambda: m.cluster_view_connection is conn and m.direct_invoker.pending >= 1)
        # a partition operation makes the member assign partitions; the PartitionsView event fills the table
        key = bytes.fromhex("00000000fffffff5000000046b657931")
        pid = h.partition_service.get_partition_id(key)
        assert pid == 43
        response = await m.direct_invoker.invoke(conn, map_put_request("m", key, key, pid), timeout=30)
        assert response.message_type == 0x010101
        await eventually(lambda: len(h.partition_service.owners()) == 271)
        assert h.partition_service.get_partition_owner(pid) == conn.member_uuid
        assert m.get_connection(conn.member_uuid) is conn
        assert m.get_connection(uuid.uuid4()) is None
        assert m.get_connection_for_address(conn.remote_address) is conn
        assert m.get_connection_for_address(Address("127.0.0.1", 1)) is None
        assert m.get_random_connection() is conn
        m.check_invocation_allowed()
    assert m.state is ClientConnectionState.SHUTDOWN
    assert h.lifecycle == [LifecycleState.CONNECTED, LifecycleState.DISCONNECTED]
    assert h.removed == [conn] and not conn.is_alive
    with pytest.raises(ClientNotActiveError):
        m.check_invocation_allowed()
    await m.shutdown()  # idempotent


async def test_messages_flow_to_the_handler_and_errors_decode(hazelcast_cluster):
    async with Harness(hazelcast_cluster) as h:
        [conn] = h.manager.get_active_connections()
        ping = encode_ping_request()
        ping.correlation_id = next(h.ids)
        assert conn.send_sync(ping)
        await eventually(lambda: h.messages)
        got_conn, msg = h.messages[0]
        assert got_conn is conn and msg.message_type == PING_RESPONSE and msg.correlation_id == ping.correlation_id
        # an unknown message type: the member answers with an error response
        bogus = ClientMessage.create_request(0x7F0100, -1, 0)
        with pytest.raises(UnsupportedOperationError) as info:
            await h.manager.direct_invoker.invoke(conn, bogus, timeout=30)
        assert info.value.error_code == 61 and info.value.class_name
        # pings sent by the manager itself are consumed by it
        before = len(h.messages)
        assert h.manager.send_ping(conn)
        await eventually(lambda: h.manager.direct_invoker.pending == 1)
        assert len(h.messages) == before


async def test_connection_reuse_and_duplicates(hazelcast_cluster):
    async with Harness(hazelcast_cluster) as h:
        m = h.manager
        [conn] = m.get_active_connections()
        port = hazelcast_cluster.members[0].port
        assert await m._connect(Address("127.0.0.1", port)) is conn
        # another address of the same member authenticates, then is closed as a duplicate
        again = await m._connect(Address("localhost", port))
        assert again is conn and m.get_active_connections() == [conn]
        assert h.added == [conn]


async def test_wrong_cluster_name_gives_up_after_the_connect_timeout(hazelcast_cluster):
    h = Harness(
        hazelcast_cluster, cluster_name="not-" + hazelcast_cluster.cluster_name, cluster_connect_timeout=0.5,
        retry_initial_backoff=0.1,
    )
    with pytest.raises(IllegalStateError, match="unable to connect"):
        await h.manager.start()
    assert h.manager.state is ClientConnectionState.SHUTDOWN and h.lifecycle == []
    with pytest.raises(IllegalStateError, match="INITIAL"):
        await h.manager.start()


async def test_partition_count_mismatch_is_not_retried(hazelcast_cluster):
    h = Harness(hazelcast_cluster)
    h.partition_service.check_and_set_partition_count(7)
    with pytest.raises(ClientNotAllowedInClusterError, match="271 partitions"):
        await h.manager.start()
    assert h.manager.state is ClientConnectionState.SHUTDOWN


async def test_nobody_listening_then_a_member_appears(hazelcast_cluster):
    # the configured address list has a dead port first: the manager moves on to the member
    dead = Address("127.0.0.1", 1)
    async with Harness(hazelcast_cluster, cluster_members=[str(dead)] + hazelcast_cluster.addresses,
                       shuffle_member_list=False, connection_timeout=2) as h:
        assert len(h.manager.get_active_connections()) == 1


async def test_check_invocation_allowed_before_start():
    h = Harness(None, cluster_members=["127.0.0.1:1"])
    with pytest.raises(HazelcastIOError, match="no connection"):
        h.manager.check_invocation_allowed()
    await h.manager.shutdown()


async def test_builtin_heartbeat_pings_idle_connections(hazelcast_cluster):
    async with Harness(hazelcast_cluster, heartbeat_interval=0.2, heartbeat_timeout=30) as h:
        [conn] = h.manager.get_active_connections()
        first = conn.last_write_time
        await eventually(lambda: conn.last_write_time > first + 0.15, timeout=10)
        await eventually(lambda: conn.last_read_time > first + 0.15, timeout=10)  # the ping's response
        assert conn.is_alive and h.messages == []


async def test_heartbeat_timeout_closes_with_target_disconnected(hazelcast_cluster):
    from hazelcast.errors import TargetDisconnectedError

    async with Harness(hazelcast_cluster, reconnect_mode=ReconnectMode.OFF, builtin_heartbeat=False) as h:
        [conn] = h.manager.get_active_connections()
        h.manager.check_heartbeats(conn.last_read_time + 61)
        await conn.wait_closed()
        assert conn.close_reason == "Heartbeat timed out"
        assert isinstance(conn.close_cause, TargetDisconnectedError)
        await eventually(lambda: h.manager.state is ClientConnectionState.SHUTDOWN)
        assert h.manager.terminal_reason and "OFF" in h.manager.terminal_reason


async def test_many_start_shutdown_cycles_leak_nothing(hazelcast_cluster):
    fds = len(os.listdir("/proc/self/fd"))
    tasks = len(asyncio.all_tasks())
    for _ in range(200):
        h = Harness(hazelcast_cluster, smart_routing=False)
        await h.manager.start()
        assert len(h.manager.get_active_connections()) == 1
        await h.manager.shutdown()
    await asyncio.sleep(0.1)
    assert len(os.listdir("/proc/self/fd")) == fds
    assert len(asyncio.all_tasks()) == tasks
