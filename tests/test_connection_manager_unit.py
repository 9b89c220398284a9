"""ConnectionManager corners, with scripted loopback members (tests/fake_member.py) for fault injection:
authentication statuses and errors, reconnect give-up, shutdown while reconnecting, member-left closing,
cluster view re-registration, connect-to-all failures, listener errors."""

import asyncio
import uuid

import pytest

from hazelcast.config import ReconnectMode
from hazelcast.errors import ClientNotAllowedInClusterError, IllegalStateError
from hazelcast.lifecycle import LifecycleState
from hazelcast.network.address import Address
from hazelcast.network.connection import Connection
from hazelcast.network.connection_manager import ClientConnectionState
from hazelcast.protocol import ClientMessage
from hazelcast.protocol.codecs import client as c
from hazelcast.protocol.errors import ErrorHolder
from _fake_member import FakeMember, auth_response, members_view_event, response_frame
from test_connection_manager import Harness, eventually


class Cluster:
    """What Harness needs from a cluster: a name and addresses."""

    def __init__(self, *members: FakeMember) -> None:
        self.cluster_name = "fake"
        self.addresses = [m.address for m in members]


def error_response_bytes(correlation_id: int, code: int, class_name: str) -> bytes:
    msg = response_frame(0, correlation_id)
    msg.append_begin()
    msg.append_begin()
    import struct

    msg.append_frame(struct.pack("<i", code))
    msg.append_string(class_name)
    msg.append_string("refused")
    msg.append_begin()
    msg.append_end()
    msg.append_end()
    msg.append_end()
    return msg.to_bytes()


@pytest.fixture
async def fake():
    members = []

    async def make(**kwargs) -> FakeMember:
        m = await FakeMember(**kwargs).start()
        members.append(m)
        return m

    yield make
    for m in members:
        await m.kill()


FAST = dict(retry_initial_backoff=0.05, retry_max_backoff=0.1, cluster_connect_timeout=0.4, connection_timeout=1)


@pytest.mark.parametrize(
    "answer, log",
    [
        (lambda r: error_response_bytes(r.correlation_id, 3, "AuthenticationException"), "AuthenticationError"),
        (lambda r: auth_response(r.correlation_id, status=1, member_uuid=uuid.uuid4()), "wrong cluster name"),
        (lambda r: auth_response(r.correlation_id, status=9, member_uuid=uuid.uuid4()), "unknown authentication status"),
        (lambda r: auth_response(r.correlation_id, status=0, member_uuid=None), "without a member UUID"),
    ],
)
async def test_authentication_failures_are_retried_until_the_timeout(fake, caplog, answer, log):
    m = await fake(auth=answer)
    h = Harness(Cluster(m), **FAST)
    with pytest.raises(IllegalStateError, match="unable to connect"):
        await h.manager.start()
    assert log in caplog.text
    assert len([r for r in m.requests if r.message_type == c.AUTHENTICATION_REQUEST]) >= 2


@pytest.mark.parametrize("status, message", [(3, "does not allow this client"), (2, "serialization version mismatch")])
async def test_not_allowed_stops_at_once(fake, status, message):
    m = await fake(auth=lambda r: auth_response(r.correlation_id, status=status, member_uuid=uuid.uuid4()))
    h = Harness(Cluster(m), **FAST)
    with pytest.raises(ClientNotAllowedInClusterError, match=message):
        await h.manager.start()
    assert len(m.requests) == 1


async def test_auth_that_never_answers_times_out_after_the_heartbeat_timeout(fake):
    m = await fake(auth=lambda r: None)
    h = Harness(Cluster(m), heartbeat_timeout=0.2, **FAST)
    with pytest.raises(IllegalStateError):
        await h.manager.start()


async def test_protocol_2_0_member_gets_its_member_list_from_the_view_event(fake):
    m = await fake()
    m.auth = lambda r: auth_response(r.correlation_id, member_uuid=m.member_uuid, cluster_id=m.cluster_id, layout="2.0")
    async with Harness(Cluster(m)) as h:
        await eventually(lambda: [x.uuid for x in h.cluster_service.members] == [m.member_uuid])
        assert h.partition_service.partition_count == 271


async def test_reconnect_gives_up_after_the_connect_timeout_and_reports_it(fake):
    m = await fake()
    lost = []
    async with Harness(Cluster(m), on_cluster_lost=lambda: lost.append(True), **FAST) as h:
        await m.kill()
        await eventually(lambda: lost, timeout=10)
        assert "unable to reconnect" in h.manager.terminal_reason
        assert h.lifecycle == [LifecycleState.CONNECTED, LifecycleState.DISCONNECTED]
        assert h.manager.state is ClientConnectionState.DISCONNECTED  # the hook decides what happens next


async def test_shutdown_while_reconnecting_stops_the_reconnect(fake):
    m = await fake()
    h = Harness(Cluster(m), retry_initial_backoff=0.05, retry_max_backoff=0.05)
    await h.manager.start()
    await m.kill()
    await eventually(lambda: h.manager.state is ClientConnectionState.DISCONNECTED)
    await asyncio.sleep(0.2)  # a few rounds of attempts
    reconnect = h.manager._reconnect_task
    assert reconnect is not None and not reconnect.done()
    await h.manager.shutdown()
    assert reconnect.done() and h.manager.state is ClientConnectionState.SHUTDOWN
    assert h.manager._tasks == set()


async def test_two_members_connect_all_member_left_and_view_reregistration(fake):
    cluster_id = uuid.uuid4()
    a = await fake(cluster_id=cluster_id)
    b = await fake(cluster_id=cluster_id)
    a.members = b.members = [a.info, b.info]
    async with Harness(Cluster(a), shuffle_member_list=False) as h:
        m = h.manager
        await eventually(lambda: len(m.get_active_connections()) == 2)  # connect-to-all found b
        conn_a = m.get_connection(a.member_uuid)
        conn_b = m.get_connection(b.member_uuid)
        assert m.cluster_view_connection is conn_a
        # b leaves the cluster (a's view says so) while its socket stays open: the manager closes it
        listener_id = next(r.correlation_id for r in a.requests if r.message_type == c.ADD_CLUSTER_VIEW_LISTENER_REQUEST)
        a.writers[0].write(members_view_event(listener_id, 2, [a.info]))
        await conn_b.wait_closed()
        assert conn_b.close_reason == "Member left the cluster" and "member left event" in str(conn_b.close_cause)
        # b comes back; then a (the view carrier) dies: the view moves to b
        b.members = [a.info, b.info]
        a.writers[0].write(members_view_event(listener_id, 3, [a.info, b.info]))
        await eventually(lambda: len(m.get_active_connections()) == 2)
        await a.kill()
        await conn_a.wait_closed()
        await eventually(lambda: m.cluster_view_connection is m.get_connection(b.member_uuid))
        assert m.is_connected and h.lifecycle == [LifecycleState.CONNECTED]


async def test_connect_all_failures_are_logged_and_retried(fake, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="hazelcast.network.connection_manager")
    cluster_id = uuid.uuid4()
    a = await fake(cluster_id=cluster_id)
    b = await fake(cluster_id=cluster_id, auth=lambda r: auth_response(r.correlation_id, status=3, member_uuid=uuid.uuid4()))
    a.members = [a.info, b.info]
    async with Harness(Cluster(a), shuffle_member_list=False) as h:
        await eventually(lambda: "cannot connect to member" in caplog.text)
        assert len(h.manager.get_active_connections()) == 1


async def test_listener_errors_do_not_break_the_manager(fake, caplog):
    m = await fake()
    h = Harness(Cluster(m))
    h.manager.add_lifecycle_listener(lambda state: 1 / 0)
    h.manager.add_connection_listener(on_removed=lambda conn: 1 / 0)
    async with h:
        assert h.manager.is_connected
    assert "listener failed" in caplog.text


async def test_member_events_before_start_and_unknown_connections(fake):
    m = await fake()
    h = Harness(Cluster(m))
    h.cluster_service.handle_members_view(1, [m.info])  # no connect-all loop yet: nothing to wake
    h.cluster_service.handle_members_view(2, [])  # a member without a connection left: nothing to close
    stray = Connection(Address("127.0.0.1", 1), lambda *a: None)
    stray.member_uuid = uuid.uuid4()
    h.manager._on_connection_closed(stray)  # not one of ours: ignored
    assert h.manager.state is ClientConnectionState.INITIAL
    await h.manager.shutdown()


async def test_a_connection_closed_before_registration_is_not_kept(fake):
    m = await fake()
    async with Harness(Cluster(m)) as h:
        conn = Connection(Address("127.0.0.1", m.port), lambda *a: None)
        await conn.connect()
        await conn.close("gone", None)
        response = c.decode_authentication_response(
            __import__("hazelcast.protocol", fromlist=["MessageReader"]).MessageReader().feed(
                auth_response(1, member_uuid=uuid.uuid4(), cluster_id=m.cluster_id)
            )[0]
        )
        assert await h.manager._on_authenticated(conn, response) is None
        assert len(h.manager.get_active_connections()) == 1


async def test_unknown_messages_without_a_handler_are_dropped(fake):
    m = await fake()
    async with Harness(Cluster(m)) as h:
        h.manager._invoker._fallback = None
        [conn] = h.manager.get_active_connections()
        stray = ClientMessage.create_request(0x000B01, -1, 0)
        stray.correlation_id = 123456
        h.manager.direct_invoker.handle(conn, stray)  # logged at debug level, nothing raised
        assert h.messages == []


async def test_a_new_cluster_gets_the_client_state_before_invocations_are_allowed(fake):
    from hazelcast.errors import HazelcastIOError

    first = await fake()
    calls = []
    gate = asyncio.Event()

    async def send_state():
        calls.append(h.manager.cluster_id)
        if len(calls) == 1:
            raise RuntimeError("state rejected")  # the connection is closed and the hook runs again
        await gate.wait()

    h = Harness(Cluster(first), on_cluster_changed=send_state, retry_initial_backoff=0.05, retry_max_backoff=0.05)
    async with h:
        assert h.manager.initialized_on_cluster and calls == []  # the first cluster needs no state
        await first.kill()
        await eventually(lambda: h.manager.state is ClientConnectionState.DISCONNECTED)
        second = await fake(port=first.port)  # the same address, a new cluster id (a restarted cluster)
        await eventually(lambda: len(calls) == 2, timeout=10)
        assert calls == [second.cluster_id, second.cluster_id]
        assert not h.manager.initialized_on_cluster and h.manager.is_connected
        with pytest.raises(HazelcastIOError, match="sending its state"):
            h.manager.check_invocation_allowed()
        gate.set()
        await eventually(lambda: h.manager.initialized_on_cluster)
        h.manager.check_invocation_allowed()
