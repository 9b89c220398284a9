"""The listener service against honest fakes of the network layer and scripted members, on a virtual clock.

Requests are built by the real codecs on both framing backends (the ``codecs`` fixture); the fake members answer
through the backend's ``MessageReader``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Dict, List, Optional, Set, Tuple

import pytest

from _fakes import (
    FakeConnection,
    FakePartitions,
    FakeRegistry,
    backup_event,
    bool_response,
    error_response,
    event,
    response,
    run,
    settle,
    uuid_response,
)
from _wire import codecs  # noqa: F401  (fixture: codecs build requests with the ``framing`` backend)
from hazelcast.errors import ClientNotActiveError, ProtocolError, RemoteError
from hazelcast.config import Config
from hazelcast.invocation import InvocationService
from hazelcast.listener import LOCAL_BACKUP_LISTENER, ConnectionRegistration, ListenerCodec, ListenerService
from hazelcast.protocol import read_uuid
from hazelcast.protocol.codecs import map as map_codec
from hazelcast.protocol.codecs.backup import LOCAL_BACKUP_LISTENER as LOCAL_BACKUP_LISTENER_TYPE

LOGGER = "hazelcast.listener"

ENTRY_LISTENER = ListenerCodec(
    lambda local_only: map_codec.encode_add_entry_listener_request("m", True, 1, local_only),
    map_codec.decode_add_entry_listener_response,
    lambda registration_id: map_codec.encode_remove_entry_listener_request("m", registration_id),
)


class Members:
    """Plays the members: answers add-listener requests with a fresh registration id and remove requests with
    ``true``, one loop iteration later; scripted errors and silence per connection."""

    def __init__(self, framing: Any) -> None:
        self.framing = framing
        self.service: Optional[InvocationService] = None
        self.registered: Dict[Any, Dict[uuid.UUID, int]] = {}  # connection -> registration id -> correlation id
        self.removed: List[Tuple[Any, uuid.UUID]] = []
        self.add_errors: Dict[Any, int] = {}
        self.remove_errors: Dict[Any, int] = {}
        self.silent: Set[Any] = set()
        self.adds: List[Tuple[Any, Any]] = []

    def __call__(self, connection: FakeConnection, message: Any) -> None:
        if connection not in self.silent:
            asyncio.get_running_loop().call_soon(self.answer, connection, message)

    def answer(self, connection: FakeConnection, message: Any) -> None:
        assert self.service is not None
        corr = message.correlation_id
        if message.message_type in (map_codec.ADD_ENTRY_LISTENER, LOCAL_BACKUP_LISTENER_TYPE):
            self.adds.append((connection, message))
            code = self.add_errors.get(connection)
            if code is not None:
                reply = error_response(self.framing, corr, code)
            else:
                registration_id = uuid.uuid4()
                self.registered.setdefault(connection, {})[registration_id] = corr
                reply = uuid_response(self.framing, corr, registration_id)
        elif message.message_type == map_codec.REMOVE_ENTRY_LISTENER:
            code = self.remove_errors.get(connection)
            if code is not None:
                reply = error_response(self.framing, corr, code)
            else:
                registration_id = read_uuid(message.next_frame().content, 16)
                self.removed.append((connection, registration_id))
                self.registered[connection].pop(registration_id)
                reply = bool_response(self.framing, corr)
        else:
            reply = response(self.framing, corr)
        self.service.handle_message(connection, reply)

    def fire(self, connection: Any, payload: bytes = b"e") -> Any:
        """An entry event from this member to every registration it holds."""
        assert self.service is not None
        for corr in list(self.registered.get(connection, {}).values()):
            self.service.handle_message(connection, event(self.framing, corr, payload=payload))


class Env:
    def __init__(self, framing: Any, smart: bool = True, **options: Any) -> None:
        self.framing = framing
        self.members = Members(framing)
        self.registry = FakeRegistry(framing)
        self.registry.responder = self.members
        self.invocations = InvocationService(
            self.registry, FakePartitions(), Config(**options), smart_routing=smart
        )
        self.members.service = self.invocations
        self.listeners = ListenerService(self.invocations, self.registry)

    @classmethod
    async def started(cls, framing: Any, smart: bool = True, connections: int = 0, **options: Any) -> "Env":
        env = cls(framing, smart, **options)
        for i in range(connections):
            env.registry.open(f"m{i + 1}")
        await env.invocations.start()
        await env.listeners.start()
        return env

    async def register(self, codec: ListenerCodec = ENTRY_LISTENER) -> Tuple[uuid.UUID, List[Any]]:
        got: List[Any] = []
        registration_id = await self.listeners.register_listener(codec, lambda c, m: got.append((c, m)))
        return registration_id, got


def local_only_of(message: Any) -> bool:
    content = message.next_frame().content
    return bool(content[16 + 5])  # includeValue:bool, listenerFlags:int, localOnly:bool


# -- the local backup listener ---------------------------------------------------------------------------------------


def test_start_registers_the_backup_listener_on_every_connection_and_acks_flow(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=2)
        backup_id = env.listeners.backup_listener_registration_id
        assert backup_id is not None and env.listeners.registration_ids() == [backup_id]
        per_connection = env.listeners.connection_registrations(backup_id)
        assert set(per_connection) == set(env.registry.connections.values())
        a, b = env.registry.connections.values()
        env.members.silent.update((a, b))  # the test answers from here on
        # an invocation with one backup, acked through `b`'s backup listener
        task = asyncio.ensure_future(env.invocations.invoke(map_codec.encode_size_request("m")))
        await settle()
        sent = next(c for c in (a, b) if c.last().message_type == map_codec.SIZE).last()
        env.invocations.handle_message(a if a.last() is sent else b, response(codecs, sent.correlation_id, acks=1))
        await settle()
        assert not task.done()
        listener_corr = per_connection[b].correlation_id
        env.invocations.handle_message(b, backup_event(codecs, listener_corr, sent.correlation_id))
        await task

    run(main)


def test_no_backup_listener_without_smart_routing_or_with_acks_disabled(codecs: Any) -> None:
    async def main() -> None:
        for env in (
            await Env.started(codecs, smart=False, connections=1),
            await Env.started(codecs, connections=1, backup_ack_to_client_enabled=False),
        ):
            assert env.listeners.backup_listener_registration_id is None
            assert env.listeners.registration_ids() == [] and env.members.adds == []

    run(main)


def test_the_backup_listener_reaches_connections_opened_later_and_is_never_removed(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs)
        backup_id = env.listeners.backup_listener_registration_id
        assert backup_id is not None
        assert env.listeners.connection_registrations(backup_id) == {}
        conn = env.registry.open()
        await settle()
        (entry,) = env.listeners.connection_registrations(backup_id).values()
        assert isinstance(entry, ConnectionRegistration)
        assert entry.server_registration_id in env.members.registered[conn]
        sent_before = len(conn.sent)
        assert await env.listeners.deregister_listener(backup_id) is True
        assert len(conn.sent) == sent_before  # no remove request exists for it
        assert env.listeners.backup_listener_registration_id is None
        assert env.invocations.event_handler_count == 0

    run(main)


# -- registering -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("smart", [True, False])
def test_listeners_register_on_every_live_connection_with_local_only_in_smart_mode(codecs: Any, smart: bool) -> None:
    async def main() -> None:
        env = await Env.started(codecs, smart=smart, connections=1 if not smart else 3)
        registration_id, got = await env.register()
        conns = env.registry.get_active_connections()
        adds = [m for c, m in env.members.adds if m.message_type == map_codec.ADD_ENTRY_LISTENER]
        assert len(adds) == len(conns)
        assert all(local_only_of(m) is smart for m in adds)
        entries = env.listeners.connection_registrations(registration_id)
        assert set(entries) == set(conns)
        for conn in conns:
            assert entries[conn].server_registration_id in env.members.registered[conn]
            env.members.fire(conn)
        entry_events = [c for c, m in got]
        assert sorted(map(id, entry_events)) == sorted(map(id, conns))

    run(main)


def test_listeners_follow_new_connections_and_reconnects(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=1, backup_ack_to_client_enabled=False)
        first = env.registry.connections[next(iter(env.registry.connections))]
        registration_id, got = await env.register()
        second = env.registry.open("late")
        await settle()
        assert set(env.listeners.connection_registrations(registration_id)) == {first, second}
        await first.close("member left")
        await second.close("member left")
        assert env.listeners.connection_registrations(registration_id) == {}
        assert env.invocations.event_handler_count == 0
        again = env.registry.open("after reconnect")
        await settle()
        assert set(env.listeners.connection_registrations(registration_id)) == {again}
        env.members.fire(again, b"x")
        assert [c for c, _ in got] == [again]

    run(main)


def test_concurrent_registration_and_connection_open_register_once_per_connection(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, backup_ack_to_client_enabled=False)
        conn = env.registry.open()  # its on_added task is queued...
        registration_id, _ = await env.register()  # ...while the registration runs
        await settle()
        assert len(env.members.adds) == 1
        assert set(env.listeners.connection_registrations(registration_id)) == {conn}

    run(main)


def test_a_refusal_on_a_live_connection_rolls_back_and_raises(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=2, backup_ack_to_client_enabled=False)
        a, b = env.registry.connections.values()
        env.members.add_errors[b] = 23  # IllegalArgument: not retryable
        with pytest.raises(RemoteError):
            await env.register()
        assert env.listeners.registration_ids() == []
        assert env.members.registered.get(a, {}) == {}  # removed again from the member that accepted it
        assert env.invocations.event_handler_count == 0

    run(main)


def test_a_connection_that_dies_during_registration_is_skipped(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=2, backup_ack_to_client_enabled=False)
        a, b = env.registry.connections.values()
        env.members.silent.add(a)
        task = asyncio.ensure_future(env.register())
        await settle()
        await a.close("died")
        registration_id, _ = await task
        assert set(env.listeners.connection_registrations(registration_id)) == {b}

    run(main)


def test_a_connection_closing_right_after_the_response_is_not_recorded(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=1, backup_ack_to_client_enabled=False)
        (conn,) = env.registry.connections.values()
        env.members.silent.add(conn)
        task = asyncio.ensure_future(env.register())
        await settle()
        env.members.answer(conn, conn.last())  # the response is in...
        conn.begin_close("gone")  # ...and the connection closes before the registration resumes
        registration_id, _ = await task
        assert env.listeners.connection_registrations(registration_id) == {}

    run(main)


def test_a_malformed_add_response_drops_the_event_handler(codecs: Any) -> None:
    def broken(message: Any) -> Optional[uuid.UUID]:
        raise ProtocolError("bad response")

    codec = ListenerCodec(ENTRY_LISTENER.encode_add_request, broken, ENTRY_LISTENER.encode_remove_request)

    async def main() -> None:
        env = await Env.started(codecs, connections=1, backup_ack_to_client_enabled=False)
        with pytest.raises(ProtocolError):
            await env.register(codec)
        assert env.invocations.event_handler_count == 0
        assert env.listeners.registration_ids() == []

    run(main)


def test_cancelling_a_registration_removes_it_everywhere(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=2, backup_ack_to_client_enabled=False)
        a, b = env.registry.connections.values()
        env.members.silent.add(b)
        task = asyncio.ensure_future(env.register())
        await settle()
        assert len(env.members.registered[a]) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await settle(10)
        assert env.listeners.registration_ids() == []
        assert env.members.registered[a] == {}  # removed in the background
        assert env.invocations.event_handler_count == 0

    run(main)


def test_a_failure_on_a_new_connection_is_logged_and_the_others_still_register(
    codecs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        env = await Env.started(codecs, backup_ack_to_client_enabled=False)
        first_id, _ = await env.register()
        second_id, _ = await env.register()
        calls = []

        def add_request(local_only: bool) -> Any:
            calls.append(local_only)
            if len(calls) == 1:
                raise ProtocolError("cannot encode")
            return ENTRY_LISTENER.encode_add_request(local_only)

        env.listeners._registrations[first_id].codec = ListenerCodec(  # type: ignore[misc]
            add_request, ENTRY_LISTENER.decode_add_response
        )
        conn = env.registry.open()
        await settle()
        assert env.listeners.connection_registrations(first_id) == {}
        assert set(env.listeners.connection_registrations(second_id)) == {conn}
        assert "could not register listener" in caplog.text

    run(main)


def test_registering_on_a_new_connection_stops_when_it_dies(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, backup_ack_to_client_enabled=False)
        await env.register()
        await env.register()
        conn = env.registry.open()
        env.members.silent.add(conn)
        await settle()
        await conn.close("died")  # the first registration fails, the second is not attempted
        await settle()
        assert len(conn.sent) == 1

    run(main)


# -- deregistering ---------------------------------------------------------------------------------------------------


def test_deregistration_removes_the_listener_from_every_member(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=2, backup_ack_to_client_enabled=False)
        registration_id, got = await env.register()
        server_ids = {c: e.server_registration_id for c, e in env.listeners.connection_registrations(registration_id).items()}
        assert await env.listeners.deregister_listener(registration_id) is True
        assert sorted(env.members.removed, key=lambda x: id(x[0])) == sorted(server_ids.items(), key=lambda x: id(x[0]))
        assert env.listeners.registration_ids() == [] and env.invocations.event_handler_count == 0
        assert await env.listeners.deregister_listener(registration_id) is False
        assert await env.listeners.deregister_listener(uuid.uuid4()) is False
        assert env.listeners.connection_registrations(registration_id) == {}

    run(main)


def test_a_failed_removal_on_a_live_connection_keeps_the_registration(
    codecs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=2, backup_ack_to_client_enabled=False)
        a, b = env.registry.connections.values()
        registration_id, got = await env.register()
        env.members.remove_errors[b] = 23
        assert await env.listeners.deregister_listener(registration_id) is False
        assert set(env.listeners.connection_registrations(registration_id)) == {b}
        assert "could not remove listener" in caplog.text
        env.members.fire(b)
        assert len(got) == 1  # still listening there
        del env.members.remove_errors[b]
        assert await env.listeners.deregister_listener(registration_id) is True
        assert env.invocations.event_handler_count == 0

    run(main)


def test_a_removal_that_fails_because_the_connection_died_counts_as_removed(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=1, backup_ack_to_client_enabled=False)
        (conn,) = env.registry.connections.values()
        registration_id, _ = await env.register()
        env.members.silent.add(conn)
        task = asyncio.ensure_future(env.listeners.deregister_listener(registration_id))
        await settle()
        conn.begin_close("died")
        conn.finish_close()
        assert await task is True
        assert env.listeners.registration_ids() == []

    run(main)


def test_a_registration_without_server_id_needs_no_remove_request(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=1, backup_ack_to_client_enabled=False)
        (conn,) = env.registry.connections.values()
        codec = ListenerCodec(ENTRY_LISTENER.encode_add_request, lambda m: None, ENTRY_LISTENER.encode_remove_request)
        registration_id, _ = await env.register(codec)
        sent = len(conn.sent)
        assert await env.listeners.deregister_listener(registration_id) is True
        assert len(conn.sent) == sent

    run(main)


# -- lifecycle -------------------------------------------------------------------------------------------------------


def test_lifecycle(codecs: Any) -> None:
    async def main() -> None:
        env = Env(codecs)
        with pytest.raises(ClientNotActiveError, match="not started"):
            await env.register()
        await env.invocations.start()
        await env.listeners.start()
        await env.listeners.start()  # no-op
        assert env.listeners.is_running and len(env.registry.listeners) == 2
        conn = env.registry.open()
        env.members.silent.add(conn)
        await settle()  # a registration on `conn` is in progress
        await env.listeners.shutdown()
        await env.listeners.shutdown()
        assert not env.listeners.is_running and env.listeners.registration_ids() == []
        assert env.listeners.backup_listener_registration_id is None
        assert env.invocations.pending_count == 0  # the cancelled registration took its invocation along
        env.registry.open()  # ignored now
        await settle()
        for call in (env.register(), env.listeners.deregister_listener(uuid.uuid4()), env.listeners.start()):
            with pytest.raises(ClientNotActiveError, match="shut down"):
                await call

    run(main)


def test_registration_waiting_for_the_lock_fails_if_shut_down_meanwhile(codecs: Any) -> None:
    async def main() -> None:
        env = await Env.started(codecs, connections=1, backup_ack_to_client_enabled=False)
        (conn,) = env.registry.connections.values()
        env.members.silent.add(conn)
        holder = asyncio.ensure_future(env.register())
        await settle()
        waiter = asyncio.ensure_future(env.register())
        await settle()
        await env.listeners.shutdown()
        env.members.answer(conn, conn.last())
        await holder  # was already under way
        with pytest.raises(ClientNotActiveError, match="shut down"):
            await waiter
        assert env.listeners.registration_ids() == []

    run(main)


def test_local_backup_listener_codec_builds_the_real_request(codecs: Any) -> None:
    request = LOCAL_BACKUP_LISTENER.encode_add_request(True)
    assert request.message_type == LOCAL_BACKUP_LISTENER_TYPE
    assert LOCAL_BACKUP_LISTENER.encode_remove_request is None
    value = uuid.uuid4()
    assert LOCAL_BACKUP_LISTENER.decode_add_response(uuid_response(codecs, 1, value)) == value
