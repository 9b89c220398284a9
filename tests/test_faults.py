"""Fault tests against real members: killed, frozen, leaving and joining members; reconnect modes ON / OFF /
ASYNC with the configured backoff; one connection per member in ALL_MEMBERS mode."""

import asyncio
import time

import pytest

from hazelcast.config import ConnectionRetryConfig, ReconnectMode
from hazelcast.errors import ClientNotActiveError, ClientOfflineError, HazelcastIOError, TargetDisconnectedError
from hazelcast.lifecycle import LifecycleState
from hazelcast.network.connection_manager import ClientConnectionState
from hazelcast.network.wait_strategy import WaitStrategy
from test_connection_manager import Harness, eventually

pytestmark = pytest.mark.integration


class RecordingSleep:
    """Real sleeps, recorded with the loop time at which each started."""

    def __init__(self) -> None:
        self.calls = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append((asyncio.get_running_loop().time(), seconds))
        await asyncio.sleep(seconds)


async def test_kill_then_reconnect_on_with_the_configured_backoff(cluster_factory):
    cluster = cluster_factory(size=1)
    member = cluster.members[0]
    sleep = RecordingSleep()
    retry = ConnectionRetryConfig(initial_backoff=0.1, max_backoff=0.8, multiplier=2.0)
    wait = WaitStrategy(retry, sleep=sleep)
    async with Harness(cluster, reconnect_mode=ReconnectMode.ON, wait_strategy=wait) as h:
        [before] = h.manager.get_active_connections()
        old_member = before.member_uuid
        killed_at = asyncio.get_running_loop().time()
        member.kill()
        await before.wait_closed()
        noticed = asyncio.get_running_loop().time() - killed_at
        assert noticed < 5  # the socket closes at once; far within the heartbeat bounds
        assert before.close_reason in ("Connection closed by the member", "Connection broke")
        await eventually(lambda: h.manager.state is ClientConnectionState.DISCONNECTED, timeout=5)
        assert h.lifecycle == [LifecycleState.CONNECTED, LifecycleState.DISCONNECTED] and h.removed == [before]
        with pytest.raises(HazelcastIOError, match="no connection"):  # ON: retryable, not offline
            h.manager.check_invocation_allowed()
        await eventually(lambda: len(sleep.calls) >= 5, timeout=20)  # let the backoff grow while it is down
        member.start()
        await member.wait_ready_async(60)
        await eventually(lambda: h.manager.is_connected, timeout=30)
        [after] = h.manager.get_active_connections()
        assert after is not before and after.member_uuid != old_member
        # a restarted member is a new cluster (new cluster id): CHANGED_CLUSTER follows CONNECTED
        assert h.lifecycle == [LifecycleState.CONNECTED, LifecycleState.DISCONNECTED, LifecycleState.CONNECTED,
                               LifecycleState.CHANGED_CLUSTER]
        assert h.added == [before, after]
        # delays in ms: Java's sequence for 100 ms x 2 capped at 800 ms (no jitter)
        expected = [100, 200, 400, 800, 800, 800, 800, 800, 800, 800]
        delays = wait.delays
        assert delays == expected[: len(delays)] and len(delays) >= 5
        assert [round(s, 3) for _, s in sleep.calls] == [d / 1000 for d in delays]
        starts = [t for t, _ in sleep.calls]
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        assert all(g >= d / 1000 - 0.005 for g, d in zip(gaps, delays))  # the sleeps really happened
        # the member list and partition count follow the new cluster
        await eventually(lambda: [m.uuid for m in h.cluster_service.members] == [after.member_uuid])


async def test_kill_with_reconnect_off_shuts_the_manager_down(cluster_factory):
    cluster = cluster_factory(size=1)
    lost = []

    async def on_cluster_lost():
        lost.append(time.monotonic())
        await h.manager.shutdown()

    h = Harness(cluster, reconnect_mode=ReconnectMode.OFF, on_cluster_lost=on_cluster_lost)
    async with h:
        [conn] = h.manager.get_active_connections()
        cluster.members[0].kill()
        await eventually(lambda: h.manager.state is ClientConnectionState.SHUTDOWN, timeout=10)
        assert len(lost) == 1 and "reconnect_mode is OFF" in h.manager.terminal_reason
        assert h.lifecycle == [LifecycleState.CONNECTED, LifecycleState.DISCONNECTED]
        assert not conn.is_alive and h.manager.get_active_connections() == []
        with pytest.raises(ClientNotActiveError):
            h.manager.check_invocation_allowed()
        assert [t for t in asyncio.all_tasks() if "connection_manager" in repr(t.get_coro())] == []


async def test_kill_with_reconnect_async_fails_fast_while_offline(cluster_factory):
    cluster = cluster_factory(size=1)
    member = cluster.members[0]
    async with Harness(cluster, reconnect_mode=ReconnectMode.ASYNC, retry_initial_backoff=0.1,
                       retry_max_backoff=0.2) as h:
        member.kill()
        await eventually(lambda: h.manager.state is ClientConnectionState.DISCONNECTED, timeout=10)
        started = time.monotonic()
        with pytest.raises(ClientOfflineError):
            h.manager.check_invocation_allowed()
        assert time.monotonic() - started < 0.1
        member.start()
        await member.wait_ready_async(60)
        await eventually(lambda: h.manager.is_connected, timeout=30)
        h.manager.check_invocation_allowed()


async def test_frozen_member_is_dropped_by_the_heartbeat_and_rejoined(cluster_factory):
    cluster = cluster_factory(size=1)
    member = cluster.members[0]
    async with Harness(cluster, heartbeat_interval=0.3, heartbeat_timeout=1.5, retry_initial_backoff=0.2,
                       retry_max_backoff=0.5, connection_timeout=1.0) as h:
        [conn] = h.manager.get_active_connections()
        member.freeze()  # the socket stays open; the member stops answering pings
        frozen_at = asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(conn.wait_closed(), 10)
            elapsed = asyncio.get_running_loop().time() - frozen_at
        finally:
            member.thaw()
        assert conn.close_reason == "Heartbeat timed out" and isinstance(conn.close_cause, TargetDisconnectedError)
        assert 1.5 <= elapsed + 0.3 and elapsed < 1.5 + 2 * 0.3 + 1.0  # timeout + at most about a check period
        await eventually(lambda: h.manager.is_connected, timeout=30)
        [again] = h.manager.get_active_connections()
        assert again is not conn and again.member_uuid == conn.member_uuid  # the same member, thawed


async def test_three_members_one_leaves_one_joins_one_connection_each(cluster_factory):
    cluster = cluster_factory(size=3, properties={"hazelcast.max.no.heartbeat.seconds": "4"})
    async with Harness(cluster) as h:
        m = h.manager

        def connected_members():
            return sorted(str(c.member_uuid) for c in m.get_active_connections())

        def listed_members():
            return sorted(str(x.uuid) for x in h.cluster_service.members)

        def member_of(conn):
            return next(x for x in cluster.members if x.port == conn.remote_address.port)

        await eventually(lambda: len(h.cluster_service.members) == 3 and connected_members() == listed_members())
        assert len(m.get_active_connections()) == 3
        # 1. the member carrying the cluster view listener is killed: the listener moves to a live connection
        carrier = m.cluster_view_connection
        member_of(carrier).kill()
        await carrier.wait_closed()
        await eventually(lambda: m.cluster_view_connection not in (None, carrier))
        await eventually(lambda: len(h.cluster_service.members) == 2, timeout=60)  # events still arrive
        await eventually(lambda: connected_members() == listed_members())
        # 2. a member joins: the client connects to it in the background
        await cluster.add_member_async(60)
        await eventually(lambda: len(h.cluster_service.members) == 3, timeout=60)
        await eventually(lambda: connected_members() == listed_members(), timeout=30)
        assert len(m.get_active_connections()) == 3 and len(set(connected_members())) == 3
        # 3. a member hangs: the others remove it, and the client closes its still-open connection to it
        hung_conn = next(c for c in m.get_active_connections() if c is not m.cluster_view_connection)
        hung = member_of(hung_conn)
        hung.freeze()
        try:
            await asyncio.wait_for(hung_conn.wait_closed(), 60)
        finally:
            hung.thaw()
        assert hung_conn.close_reason == "Member left the cluster"
        assert isinstance(hung_conn.close_cause, TargetDisconnectedError)
        await eventually(lambda: len(h.cluster_service.members) == 2 and connected_members() == listed_members())
        assert m.state is ClientConnectionState.CONNECTED
        assert h.lifecycle == [LifecycleState.CONNECTED]  # never fully disconnected
        hung.kill()


async def test_single_member_routing_keeps_one_connection(cluster_factory):
    cluster = cluster_factory(size=2)
    async with Harness(cluster, smart_routing=False) as h:
        await eventually(lambda: len(h.cluster_service.members) == 2)
        await asyncio.sleep(1.5)  # longer than the connect-to-all period
        [conn] = h.manager.get_active_connections()
        assert h.manager.get_random_connection() is conn
        # losing it: the manager reconnects to the other member
        victim = next(x for x in cluster.members if x.port == conn.remote_address.port)
        victim.kill()
        await eventually(lambda: h.manager.is_connected and h.manager.get_active_connections()[0] is not conn, 30)
        assert len(h.manager.get_active_connections()) == 1
