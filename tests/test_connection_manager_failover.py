"""ConnectionManager switching between clusters, with scripted loopback members (tests/_fake_member.py) for the
corners: the next-cluster selector, retargeting, deliberate switches, attempts begun for an old target, members of
another cluster, initialization races, the failover-not-supported warning. The whole path against real clusters
and a real DNS server is in test_failover_client.py."""

import asyncio
import logging
import uuid

import pytest

from hazelcast.config import Config
from hazelcast.errors import (
    ClientNotActiveError,
    ClientNotAllowedInClusterError,
    HazelcastIOError,
    IllegalStateError,
    InvalidConfigurationError,
    TargetDisconnectedError,
)
from hazelcast.lifecycle import LifecycleState
from hazelcast.network.connection_manager import ClientConnectionState
from hazelcast.protocol.codecs import client as c
from _fake_member import FakeMember, auth_response
from test_connection_manager import Harness, eventually
from test_connection_manager_unit import FAST, Cluster, fake  # noqa: F401 - ``fake`` is a fixture


def target(*members: FakeMember, **options) -> Config:
    """The config of a cluster made of ``members``."""
    return Config(cluster_name="fake", cluster_members=[m.address for m in members], **{**FAST, **options})


def auth_requests(member: FakeMember) -> int:
    return sum(1 for r in member.requests if r.message_type == c.AUTHENTICATION_REQUEST)


async def test_the_selector_moves_to_the_next_cluster_and_raises_to_give_up(fake):
    dead = await fake()
    await dead.kill()  # nothing listens there any more
    live = await fake()
    errors = []

    async def select(error):
        errors.append(error)
        return target(live)

    async with Harness(Cluster(dead), select_next_cluster=select, **FAST) as h:
        [connection] = h.manager.get_active_connections()
        assert connection.member_uuid == live.member_uuid and h.manager.config.cluster_members == [live.address]
        assert len(errors) == 1 and isinstance(errors[0], IllegalStateError)
        assert "cluster_connect_timeout" in str(errors[0])

    async def give_up(error):
        raise IllegalStateError("no cluster left") from error

    h = Harness(Cluster(dead), select_next_cluster=give_up, **FAST)
    with pytest.raises(IllegalStateError, match="no cluster left"):
        await h.manager.start()
    assert h.manager.state is ClientConnectionState.SHUTDOWN


async def test_a_cluster_that_refuses_the_client_is_left_at_once_with_a_selector(fake):
    first = await fake()  # 271 partitions
    refusing = await fake(auth=lambda r: auth_response(r.correlation_id, status=3, member_uuid=uuid.uuid4()))
    other_count = await fake(auth=lambda r: auth_response(r.correlation_id, member_uuid=uuid.uuid4(),
                                                          cluster_id=uuid.uuid4(), partition_count=100))
    live = await fake()
    order = [refusing, other_count, live]
    errors = []

    async def select(error):
        errors.append(error)
        return target(order.pop(0))

    async with Harness(Cluster(first), select_next_cluster=select, **FAST) as h:
        await first.kill()
        await eventually(lambda: h.manager.cluster_id == live.cluster_id and h.manager.is_connected, timeout=10)
        assert h.manager.get_active_connections()[0].member_uuid == live.member_uuid
    # refused at once (not retried until the connect timeout): by status, and for another partition count (the
    # count is kept across clusters, as in Java)
    assert auth_requests(refusing) == 1 and auth_requests(other_count) == 1
    assert [type(e) for e in errors] == [IllegalStateError, ClientNotAllowedInClusterError,
                                         ClientNotAllowedInClusterError]
    assert "does not allow this client" in str(errors[1]) and "100 partitions" in str(errors[2])


async def test_retarget_checks_the_routing_mode_and_tls_and_changes_nothing_on_error(fake):
    m = await fake()
    async with Harness(Cluster(m), **FAST) as h:
        before = h.manager.config
        with pytest.raises(InvalidConfigurationError, match="routing mode"):
            h.manager.retarget(target(m, smart_routing=False))
        with pytest.raises(InvalidConfigurationError, match="ssl_cafile"):
            h.manager.retarget(target(m, ssl_enabled=True, ssl_cafile="/nonexistent/ca.pem"))
        assert h.manager.config is before and h.manager.is_connected


async def test_a_deliberate_switch_holds_invocations_and_moves_to_the_new_cluster(fake):
    blue = await fake()
    green = await fake()
    sent_state = []

    async def send_state():
        sent_state.append(h.manager.cluster_id)

    h = Harness(Cluster(blue), on_cluster_changed=send_state, **FAST)
    async with h:
        [old] = h.manager.get_active_connections()
        h.manager.begin_switch()
        assert not h.manager.initialized_on_cluster
        with pytest.raises(HazelcastIOError, match="switching to another cluster"):
            h.manager.check_invocation_allowed()
        await h.manager.switch_cluster(target(green), "blue is retired")
        assert not old.is_alive and old.close_reason == "blue is retired"
        assert isinstance(old.close_cause, TargetDisconnectedError) and "blue is retired" in str(old.close_cause)
        await eventually(lambda: h.manager.initialized_on_cluster and h.manager.is_connected, timeout=10)
        [new] = h.manager.get_active_connections()
        assert new.member_uuid == green.member_uuid and h.manager.cluster_id == green.cluster_id
        assert sent_state == [green.cluster_id]
        assert h.lifecycle == [LifecycleState.CONNECTED, LifecycleState.DISCONNECTED, LifecycleState.CONNECTED,
                               LifecycleState.CHANGED_CLUSTER]
        h.manager.check_invocation_allowed()
        # the member list and partition table were reset for the new cluster; the count is kept
        assert [m.uuid for m in h.cluster_service.members] == [green.member_uuid]
        assert h.partition_service.partition_count == 271
    with pytest.raises(ClientNotActiveError):
        h.manager.begin_switch()
    with pytest.raises(ClientNotActiveError):
        await h.manager.switch_cluster(target(blue), "too late")


async def test_a_switch_that_leads_back_to_the_same_cluster_releases_invocations(fake):
    cluster_id = uuid.uuid4()
    a = await fake(cluster_id=cluster_id)
    b = await fake(cluster_id=cluster_id)  # another member of the same cluster
    async with Harness(Cluster(a), **FAST) as h:
        h.manager.begin_switch()
        await h.manager.switch_cluster(target(b), "new addresses")
        await eventually(lambda: h.manager.is_connected and h.manager.initialized_on_cluster, timeout=10)
        h.manager.check_invocation_allowed()
        assert LifecycleState.CHANGED_CLUSTER not in h.lifecycle


async def test_without_a_state_hook_a_new_cluster_is_reported_at_once(fake):
    blue = await fake()
    green = await fake()
    async with Harness(Cluster(blue), **FAST) as h:
        await h.manager.switch_cluster(target(green), "moving")
        await eventually(lambda: LifecycleState.CHANGED_CLUSTER in h.lifecycle, timeout=10)
        assert h.manager.initialized_on_cluster and h.lifecycle[-2:] == [LifecycleState.CONNECTED,
                                                                         LifecycleState.CHANGED_CLUSTER]


async def test_an_attempt_begun_for_the_old_target_is_dropped(fake):
    held = []
    slow = await fake(auth=lambda r: held.append(r) or None)  # answers only when the test says so
    other = await fake()  # the old target's second address: not tried once the target changed
    green = await fake()
    h = Harness(Cluster(slow, other), shuffle_member_list=False, **FAST)
    start = asyncio.get_running_loop().create_task(h.manager.start())
    try:
        await eventually(lambda: held, timeout=10)
        h.manager.retarget(target(green))
        [request] = held
        slow.writers[0].write(auth_response(request.correlation_id, member_uuid=slow.member_uuid,
                                            cluster_id=slow.cluster_id))
        await start
        [connection] = h.manager.get_active_connections()
        assert connection.member_uuid == green.member_uuid and h.manager.cluster_id == green.cluster_id
        assert h.lifecycle == [LifecycleState.CONNECTED]
        assert auth_requests(other) == 0
    finally:
        await h.manager.shutdown()


async def test_a_member_of_another_cluster_is_refused_while_connected(fake, caplog):
    a = await fake()
    stranger = await fake()  # its own cluster id
    a.members = [a.info, stranger.info]
    async with Harness(Cluster(a), shuffle_member_list=False) as h:
        await eventually(lambda: auth_requests(stranger) >= 1, timeout=10)
        await eventually(lambda: "belongs to cluster" in caplog.text, timeout=10)
        assert [x.member_uuid for x in h.manager.get_active_connections()] == [a.member_uuid]
        assert h.manager.cluster_id == a.cluster_id and h.lifecycle == [LifecycleState.CONNECTED]


async def test_the_member_list_of_the_old_target_is_not_tried(fake):
    blue = await fake()
    green = await fake()
    async with Harness(Cluster(blue), **FAST) as h:
        assert [m.uuid for m in h.cluster_service.members] == [blue.member_uuid]
        h.manager.retarget(target(green))
        assert h.manager._candidate_addresses() == [green.info.address]  # blue's member list is not trusted
        h.manager.retarget(target(blue, green), same_cluster=True)  # new addresses of the same target
        assert set(h.manager._candidate_addresses()) == {blue.info.address, green.info.address}


async def test_a_cluster_reached_while_another_is_initializing_is_initialized_too(fake):
    first = await fake()
    gate = asyncio.Event()
    calls = []

    async def send_state():
        calls.append(h.manager.cluster_id)
        if len(calls) == 1:
            await gate.wait()

    h = Harness(Cluster(first), on_cluster_changed=send_state, retry_initial_backoff=0.05, retry_max_backoff=0.05)
    async with h:
        await first.kill()
        second = await fake(port=first.port)  # a restarted cluster: a new cluster id
        await eventually(lambda: calls == [second.cluster_id], timeout=10)
        await second.kill()  # gone while the client sends it its state
        await eventually(lambda: not h.manager.is_connected, timeout=10)
        third = await fake(port=first.port)
        await eventually(lambda: h.manager.cluster_id == third.cluster_id, timeout=10)
        assert calls == [second.cluster_id]  # still busy with the second cluster
        gate.set()
        await eventually(lambda: h.manager.initialized_on_cluster, timeout=10)
        assert calls == [second.cluster_id, third.cluster_id]
        assert h.lifecycle.count(LifecycleState.CHANGED_CLUSTER) == 1


async def test_failover_not_supported_is_logged_once_per_cluster(fake, caplog):
    caplog.set_level(logging.WARNING, logger="hazelcast.network.connection_manager")
    blue = await fake()  # the fake says failoverSupported = false, as OSS members do
    async with Harness(Cluster(blue), failover=True, retry_initial_backoff=0.05, retry_max_backoff=0.05) as h:
        [first] = h.manager.get_active_connections()
        for writer in blue.writers:
            writer.transport.abort()  # the connection breaks; the client reconnects to the same cluster
        await first.wait_closed()
        await eventually(lambda: h.manager.is_connected, timeout=10)
        assert auth_requests(blue) == 2
        green = await fake()
        await h.manager.switch_cluster(target(green), "moving")
        await eventually(lambda: h.manager.cluster_id == green.cluster_id, timeout=10)
    warnings = [r.getMessage() for r in caplog.records if "does not support failover" in r.getMessage()]
    assert len(warnings) == 2
    assert str(blue.cluster_id) in warnings[0] and str(green.cluster_id) in warnings[1]
    assert "Enterprise" in warnings[0]


async def test_without_failover_nothing_is_said_about_it(fake, caplog):
    m = await fake()
    async with Harness(Cluster(m)):
        pass
    assert "does not support failover" not in caplog.text


async def test_retarget_abandons_connections_to_members_of_the_old_target(fake):
    held = []
    a = await fake()
    slow = await fake(cluster_id=a.cluster_id, auth=lambda r: held.append(r) or None)
    a.members = [a.info, slow.info]
    green = await fake()
    async with Harness(Cluster(a), shuffle_member_list=False, **FAST) as h:
        await eventually(lambda: held, timeout=10)  # connect-to-all is authenticating with the slow member
        [task] = h.manager._connecting_members.values()
        h.manager.retarget(target(green))
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled() or task.done()
        assert h.manager._connecting_members == {}
        assert [c.member_uuid for c in h.manager.get_active_connections()] == [a.member_uuid]
