"""DirectInvoker (the network layer's own requests) and ClusterViewListener (registration and re-registration)."""

import asyncio
import itertools
import struct

import pytest

from hazelcast.cluster import ClusterService
from hazelcast.errors import TargetDisconnectedError
from hazelcast.network.cluster_view_listener import ClusterViewListener
from hazelcast.network.direct_invoker import DirectInvoker
from hazelcast.partition import PartitionService
from hazelcast.protocol import IS_EVENT_FLAG, ClientMessage, MessageReader
from hazelcast.protocol.codecs import client as c


class FakeConnection:
    """Records what is sent; ``alive`` decides whether sends succeed."""

    def __init__(self, alive: bool = True) -> None:
        self.sent = []
        self.is_alive = alive

    def send_sync(self, message) -> bool:
        if not self.is_alive:
            return False
        self.sent.append(message)
        return True


def message(message_type: int, correlation_id: int, event: bool = False) -> ClientMessage:
    msg = ClientMessage()
    if event:
        msg.append_frame(struct.pack("<iqi", message_type, correlation_id, -1), 0xC000 | IS_EVENT_FLAG)
    else:
        msg.append_frame(struct.pack("<iqB", message_type, correlation_id, 0), 0xC000)
    return MessageReader().feed(msg.to_bytes())[0]


async def test_invoke_routes_response_and_events_then_forgets():
    fallback = []
    inv = DirectInvoker(itertools.count(10).__next__, lambda conn, msg: fallback.append(msg))
    conn = FakeConnection()
    events = []
    task = asyncio.ensure_future(
        inv.invoke(conn, ClientMessage.create_request(0x300, -1, 0), lambda cn, m: events.append(m))
    )
    await asyncio.sleep(0)
    assert conn.sent[0].correlation_id == 10 and inv.pending == 1
    inv.handle(conn, message(0x302, 10, event=True))  # an event may arrive before the response
    inv.handle(conn, message(0x301, 10))
    response = await task
    assert response.message_type == 0x301 and len(events) == 1
    inv.handle(conn, message(0x302, 10, event=True))
    assert len(events) == 2 and inv.pending == 1  # still registered for events
    inv.handle(conn, message(0x101, 99))
    assert [m.correlation_id for m in fallback] == [99]
    inv.forget(10)
    inv.handle(conn, message(0x302, 10, event=True))
    assert len(events) == 2 and len(fallback) == 2
    assert inv.next_correlation_id() == 11


async def test_events_of_a_plain_request_are_ignored_and_errors_raise():
    inv = DirectInvoker(itertools.count(1).__next__)
    conn = FakeConnection()
    task = asyncio.ensure_future(inv.invoke(conn, ClientMessage.create_request(0x7F0100, -1, 0)))
    await asyncio.sleep(0)
    inv.handle(conn, message(0x7F0102, 1, event=True))  # no event handler: dropped
    assert not task.done()
    error = ClientMessage()
    error.append_frame(struct.pack("<iqB", 0, 1, 0), 0xC000)
    error.append_begin()
    error.append_begin()
    error.append_frame(struct.pack("<i", 61))
    error.append_string("java.lang.UnsupportedOperationException")
    error.append_null()
    error.append_begin()
    error.append_end()
    error.append_end()
    error.append_end()
    inv.handle(conn, MessageReader().feed(error.to_bytes())[0])
    from hazelcast.errors import UnsupportedOperationError

    with pytest.raises(UnsupportedOperationError):
        await task
    assert inv.pending == 0


async def test_send_failures_timeouts_and_closed_connections():
    inv = DirectInvoker(itertools.count(1).__next__)
    dead = FakeConnection(alive=False)
    with pytest.raises(TargetDisconnectedError, match="not alive"):
        await inv.invoke(dead, ClientMessage.create_request(0xB00, -1, 0))
    assert not inv.send_and_forget(dead, ClientMessage.create_request(0xB00, -1, 0))
    assert inv.pending == 0
    conn = FakeConnection()
    with pytest.raises(asyncio.TimeoutError):
        await inv.invoke(conn, ClientMessage.create_request(0xB00, -1, 0), timeout=0.01)
    assert inv.pending == 0
    assert inv.send_and_forget(conn, ClientMessage.create_request(0xB00, -1, 0))
    task = asyncio.ensure_future(inv.invoke(conn, ClientMessage.create_request(0xB00, -1, 0)))
    other = FakeConnection()
    inv.send_and_forget(other, ClientMessage.create_request(0xB00, -1, 0))
    await asyncio.sleep(0)
    assert inv.pending == 3
    inv.connection_closed(conn)
    with pytest.raises(TargetDisconnectedError, match="closed"):
        await task
    assert inv.pending == 1  # other's ping remains
    ping_id = other.sent[0].correlation_id
    inv.handle(other, message(0xB01, ping_id))  # a ping response is consumed
    assert inv.pending == 0


class Registrar:
    def __init__(self) -> None:
        self.calls = []
        self.outcomes = []

    async def register_on_connection(self, connection, request, handler):
        self.calls.append(connection)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome == "hang":
            await asyncio.sleep(10)
        return request


async def test_cluster_view_listener_registration_moves_between_connections(caplog):
    registrar = Registrar()
    a, b, dead = FakeConnection(), FakeConnection(), FakeConnection(alive=False)
    live = [a, b, dead]
    listener = ClusterViewListener(ClusterService(), PartitionService(), registrar, lambda: live)
    listener.connection_added(a)
    listener.connection_added(b)  # already registered on a
    await asyncio.sleep(0)
    assert registrar.calls == [a] and listener.listening_connection is a
    listener.connection_removed(b)  # not the carrier: nothing happens
    listener.connection_removed(a)
    await asyncio.sleep(0)
    assert registrar.calls == [a, b] and listener.listening_connection is b
    # a failed registration moves on to another live connection
    registrar.outcomes = [RuntimeError("refused")]
    live[:] = [b, dead, a]
    listener.connection_removed(b)
    for _ in range(3):
        await asyncio.sleep(0)
    assert registrar.calls[-2:] == [a, b] and "registration on" in caplog.text  # a refused: b took it
    assert listener.listening_connection is b
    # nothing live: no registration until the next connection arrives
    live[:] = []
    listener.connection_removed(b)
    assert listener.listening_connection is None
    registrar.outcomes = ["hang"]
    listener.connection_added(b)
    await asyncio.sleep(0)
    await listener.stop()  # cancels the registration in flight
    listener.connection_removed(b)
    listener.connection_added(a)
    assert listener.listening_connection is None and registrar.calls[-1] is b


def test_cluster_view_events_are_applied_and_junk_is_logged(caplog):
    cluster, partitions = ClusterService(), PartitionService()
    listener = ClusterViewListener(cluster, partitions, Registrar(), lambda: [])
    from _fake_member import members_view_event
    from hazelcast.protocol.codecs.custom import MemberInfo
    from hazelcast.network.address import Address
    import uuid

    member = MemberInfo(Address("127.0.0.1", 5701), uuid.UUID(int=5))
    listener.handle_event("conn", MessageReader().feed(members_view_event(1, 4, [member]))[0])
    assert cluster.members == [member] and cluster.member_list_version == 4
    pv = ClientMessage.create_request(c.PARTITIONS_VIEW_EVENT, -1, 4)
    pv.set_int32(16, 2)
    from hazelcast.protocol.codecs.builtin import encode_uuid_int32_list_entry_list

    encode_uuid_int32_list_entry_list(pv, [(member.uuid, [0, 1])])
    listener.handle_event("conn", MessageReader().feed(pv.to_bytes())[0])
    assert partitions.get_partition_owner(1) == member.uuid
    listener.handle_event("conn", message(c.CLUSTER_VERSION_EVENT, 1, event=True))  # ignored
    broken = ClientMessage.create_request(c.MEMBERS_VIEW_EVENT, -1, 0)  # no version, no list
    listener.handle_event("conn", MessageReader().feed(broken.to_bytes())[0])
    assert "malformed cluster view event" in caplog.text


def test_the_fallback_handler_can_be_set_after_construction():
    seen = []
    invoker = DirectInvoker(itertools.count(1).__next__)
    assert invoker.fallback is None
    invoker.fallback = lambda connection, msg: seen.append(msg.correlation_id)
    invoker.handle(FakeConnection(), message(0x000B01, 77))
    assert seen == [77] and invoker.fallback is not None
