"""The invocation service against honest fakes of the network layer, on a virtual clock (no real waiting).

Every test that builds messages runs on both framing backends (``framing`` fixture): requests are built with the
backend's ``ClientMessage``, and responses, events and errors come through its ``MessageReader``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from typing import Any, List, Optional

import pytest

from _fakes import (
    BACKUP_AWARE,
    FakePartitions,
    FakeRegistry,
    backup_event,
    error_response,
    event,
    malformed_error_response,
    request,
    response,
    run,
    settle,
)
from hazelcast.errors import (
    ClientNotActiveError,
    ClientOfflineError,
    HazelcastInstanceNotActiveError,
    HazelcastIOError,
    IndeterminateOperationStateError,
    InvalidConfigurationError,
    OperationTimeoutError,
    ProtocolError,
    RemoteError,
    RetryableHazelcastError,
    TargetDisconnectedError,
    TargetNotMemberError,
)
from hazelcast.config import Config
from hazelcast.invocation import (
    MAX_FAST_INVOCATION_COUNT,
    Invocation,
    InvocationService,
    _TimerWheel,
    retry_delay,
)

LOGGER = "hazelcast.invocation"


class Env:
    """A started service over a fake registry and partition table."""

    def __init__(self, framing: Any, *, smart: bool = True, registry: Optional[FakeRegistry] = None, **kwargs: Any):
        self.framing = framing
        self.registry = registry or FakeRegistry(framing)
        self.partitions = FakePartitions()
        config = kwargs.pop("config", None) or Config(**kwargs.pop("options", {}))
        self.service = InvocationService(self.registry, self.partitions, config, smart_routing=smart, **kwargs)

    @classmethod
    async def started(cls, framing: Any, **kwargs: Any) -> "Env":
        env = cls(framing, **kwargs)
        await env.service.start()
        return env

    def invoke(self, req: Any = None, **kwargs: Any) -> "asyncio.Task[Any]":
        return asyncio.ensure_future(self.service.invoke(req if req is not None else request(self.framing), **kwargs))

    def respond(self, connection: Any, acks: int = 0, sent: Any = None) -> Any:
        sent = sent if sent is not None else connection.last()
        msg = response(self.framing, sent.correlation_id, acks=acks)
        self.service.handle_message(connection, msg)
        return msg

    def fail(self, connection: Any, code: int, sent: Any = None) -> None:
        sent = sent if sent is not None else connection.last()
        self.service.handle_message(connection, error_response(self.framing, sent.correlation_id, code))


def now() -> float:
    return asyncio.get_running_loop().time()


# -- configuration and pacing -------------------------------------------------------------------------------------


def test_config_defaults_match_the_official_client() -> None:
    c = Config()
    assert (c.invocation_timeout, c.invocation_retry_pause, c.redo_operation) == (120.0, 1.0, False)
    assert (c.backup_ack_to_client_enabled, c.operation_backup_timeout) == (True, 5.0)
    assert c.fail_on_indeterminate_operation_state is False
    assert c.max_concurrent_invocations == 65536
    assert Config(invocation_timeout=math.inf).invocation_timeout == math.inf


@pytest.mark.parametrize(
    "options",
    [
        {"invocation_timeout": 0},
        {"invocation_timeout": -1.0},
        {"invocation_timeout": "5"},
        {"invocation_timeout": True},
        {"invocation_timeout": math.nan},
        {"invocation_retry_pause": math.inf},
        {"invocation_retry_pause": 0},
        {"operation_backup_timeout": -5},
        {"max_concurrent_invocations": 0},
        {"max_concurrent_invocations": 1.5},
        {"max_concurrent_invocations": True},
        {"redo_operation": 1},
        {"backup_ack_to_client_enabled": "yes"},
        {"fail_on_indeterminate_operation_state": None},
    ],
)
def test_bad_config_values_raise_invalid_configuration(options: Any) -> None:
    with pytest.raises(InvalidConfigurationError, match=next(iter(options))):
        Config(**options)


def test_bad_timer_resolution_is_rejected(framing: Any) -> None:
    with pytest.raises(InvalidConfigurationError, match="timer_resolution"):
        InvocationService(FakeRegistry(framing), FakePartitions(), timer_resolution=0)


def test_retry_delay_is_javas_progressive_pacing() -> None:
    delays = [retry_delay(n, 1.0) for n in range(1, 21)]
    assert delays == [0.0] * 4 + [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512] + [1.0] * 6
    assert MAX_FAST_INVOCATION_COUNT == 5
    assert retry_delay(5, 0.0005) == 0.0005
    assert retry_delay(10_000, 2.5) == 2.5  # no overflow, unlike Java's int shift


def test_retry_pacing_observed_on_the_clock(framing: Any) -> None:
    """Attempts of an invocation that keeps failing with a retryable error: 5 at once, then 1, 2, 4 ... ms, then
    the retry pause."""

    async def main() -> None:
        env = await Env.started(framing, options={"invocation_retry_pause": 0.1})
        times: List[float] = []
        original = env.registry.check_invocation_allowed

        def check() -> None:
            times.append(now())
            original()  # no connection: HazelcastIOError, retryable

        env.registry.check_invocation_allowed = check  # type: ignore[method-assign]
        task = env.invoke()
        while len(times) < 14:
            await asyncio.sleep(0.01)
        task.cancel()
        deltas = [round(b - a, 9) for a, b in zip(times, times[1:])][:13]
        assert deltas == [0.0] * 4 + [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.1, 0.1]
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main)


# -- lifecycle -----------------------------------------------------------------------------------------------------


def test_invoke_before_start_and_after_shutdown_raises_client_not_active(framing: Any) -> None:
    async def main() -> None:
        env = Env(framing)
        with pytest.raises(ClientNotActiveError, match="not started"):
            await env.service.invoke(request(framing))
        assert not env.service.is_running
        await env.service.start()
        await env.service.start()  # no-op
        assert env.service.is_running
        assert len(env.registry.listeners) == 1
        await env.service.shutdown()
        await env.service.shutdown()  # idempotent
        with pytest.raises(ClientNotActiveError, match="shut down"):
            await env.service.invoke(request(framing))
        with pytest.raises(ClientNotActiveError, match="shut down"):
            await env.service.start()

    run(main)


def test_shutdown_before_start_is_allowed(framing: Any) -> None:
    async def main() -> None:
        env = Env(framing)
        await env.service.shutdown()
        assert not env.service.is_running

    run(main)


def test_properties_and_correlation_id_source(framing: Any) -> None:
    ids = iter(range(500, 600))
    env = Env(framing, smart=False, correlation_ids=lambda: next(ids))
    assert env.service.smart_routing is False
    assert env.service.backup_acks_enabled is False  # only with smart routing
    assert env.service.next_correlation_id() == 500
    assert Env(framing).service.backup_acks_enabled is True
    assert Env(framing, options={"backup_ack_to_client_enabled": False}).service.backup_acks_enabled is False

    async def main() -> None:
        await env.service.start()
        conn = env.registry.open()
        task = env.invoke()
        await settle()
        assert conn.last().correlation_id == 501
        env.respond(conn)
        await task

    run(main)


# -- routing -------------------------------------------------------------------------------------------------------


def test_response_completes_the_invocation(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke()
        await settle()
        sent = conn.last()
        assert env.service.pending_count == 1 and env.service.in_flight == 1
        msg = env.respond(conn)
        assert await task is msg
        assert env.service.pending_count == 0 and env.service.in_flight == 0
        assert sent.partition_id == -1

    run(main)


def test_partition_invocations_go_to_the_owner_with_the_partition_id_set(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        a, b, c = env.registry.open("a"), env.registry.open("b"), env.registry.open("c")
        env.partitions.owners = {7: b.member_uuid, 8: c.member_uuid}
        for pid, owner in ((7, b), (8, c), (7, b)):
            task = env.invoke(partition_id=pid)
            await settle()
            assert owner.last().partition_id == pid
            env.respond(owner)
            await task
        assert (len(a.sent), len(b.sent), len(c.sent)) == (0, 2, 1)
        assert env.registry.random_calls == 0

    run(main)


class EpochPartitions(FakePartitions):
    """A partition table with an ``epoch``: the service caches partition -> connection routes."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0
        self.lookups = 0

    def get_partition_owner(self, partition_id: int) -> Optional[uuid.UUID]:
        self.lookups += 1
        return super().get_partition_owner(partition_id)


def test_routes_are_cached_until_the_epoch_or_the_connections_change(framing: Any) -> None:
    async def main() -> None:
        env = Env(framing)
        env.partitions = env.service._partitions = EpochPartitions()
        env.service._cache_routes = True
        await env.service.start()
        a, b = env.registry.open("a"), env.registry.open("b")
        env.partitions.owners = {7: a.member_uuid}

        async def call(expected: Any) -> None:
            task = env.invoke(partition_id=7)
            await settle()
            assert expected.last().partition_id == 7
            env.respond(expected)
            await task

        await call(a)
        await call(a)
        assert env.partitions.lookups == 1  # the second call used the cached route
        env.partitions.owners = {7: b.member_uuid}
        env.partitions.epoch += 1  # a new table: routes dropped
        await call(b)
        assert env.partitions.lookups == 2
        env.registry.open("c")  # a connection added: routes dropped
        await call(b)
        assert env.partitions.lookups == 3
        await b.close("gone")  # a connection closed: routes dropped; no owner connection: a random one
        env.partitions.owners = {}
        task = env.invoke(partition_id=7)
        await settle()
        target = next(c for c in env.registry.connections.values() if c.sent and c.last().partition_id == 7
                      and c is not a)
        env.respond(target)
        await task
        assert env.partitions.lookups == 4

    run(main)


def test_a_cached_route_whose_connection_refuses_falls_back_and_handlers_use_it(framing: Any) -> None:
    async def main() -> None:
        env = Env(framing)
        env.partitions = env.service._partitions = EpochPartitions()
        env.service._cache_routes = True
        await env.service.start()
        a, b = env.registry.open("a"), env.registry.open("b")
        env.partitions.owners = {7: a.member_uuid}
        first = env.invoke(partition_id=7)
        await settle()
        env.respond(a)
        await first
        events: List[Any] = []
        registration = env.invoke(partition_id=7, event_handler=lambda c, m: events.append(m))
        await settle()
        env.respond(a)  # a cached route and an event handler: the general send path
        await registration
        env.service.handle_message(a, event(framing, a.last().correlation_id))
        assert len(events) == 1
        a.begin_close("going")  # not alive, the registry not told yet: the cached route refuses the send
        task = env.invoke(partition_id=7)
        await settle()
        assert b.last().partition_id == 7  # fell back to a random (live) connection
        env.respond(b)
        await task

    run(main)


def test_invoke_on_partition_over_a_cached_route_checks_refuses_and_falls_back(framing: Any) -> None:
    """The cached-route send of invoke_on_partition (inlined): the §8.2 check still runs first, a refused send
    falls back to another connection, and an attempt counts once."""

    async def main() -> None:
        env = Env(framing)
        env.partitions = env.service._partitions = EpochPartitions()
        env.service._cache_routes = True
        await env.service.start()
        a, b = env.registry.open("a"), env.registry.open("b")
        env.partitions.owners = {7: a.member_uuid}
        first = env.service.invoke_on_partition(request(framing), 7)  # caches the route
        env.respond(a)
        await first
        second = env.service.invoke_on_partition(request(framing), 7)
        invocation = env.service._pending[a.last().correlation_id]
        assert invocation.invoke_count == 1 and invocation.sent_connection is a
        env.respond(a)
        await second
        a.begin_close("going")  # not alive, the registry not told: the cached route refuses the send
        third = env.service.invoke_on_partition(request(framing), 7)
        assert b.last().partition_id == 7
        assert env.service._pending[b.last().correlation_id].invoke_count == 1
        env.respond(b)
        await third
        env.registry.state = "SHUTDOWN"  # the check refuses: the invocation fails through the future
        with pytest.raises(ClientNotActiveError):
            await env.service.invoke_on_partition(request(framing), 7)
        assert env.service.in_flight == 0 and env.service.pending_count == 0

    run(main)


def test_backup_listener_readiness_switches_the_backup_aware_flag(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        assert env.service.backup_listener_ready
        env.service.backup_listener_ready = False
        task = env.invoke()
        await settle()
        assert not conn.last().flags & BACKUP_AWARE
        env.respond(conn)
        await task
        env.service.backup_listener_ready = True
        task = env.invoke()
        await settle()
        assert conn.last().flags & BACKUP_AWARE
        env.respond(conn)
        await task
        unisocket = await Env.started(framing, smart=False)
        unisocket.service.backup_listener_ready = True
        assert not unisocket.service.backup_listener_ready  # no backup acks without smart routing

    run(main)


def test_partition_without_owner_or_owner_connection_falls_back_to_a_random_connection(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        a = env.registry.open("a")
        env.partitions.owners = {1: uuid.uuid4()}  # owner not connected
        for pid in (1, 2):  # 2 has no owner yet
            task = env.invoke(partition_id=pid)
            await settle()
            assert a.last().partition_id == pid
            env.respond(a)
            await task
        assert env.registry.random_calls == 2

    run(main)


class StaleRegistry(FakeRegistry):
    """Fault injection: hands out a member's connection even after it stopped being alive."""

    def get_connection(self, member_uuid: uuid.UUID) -> Any:
        return self.connections.get(member_uuid)


def test_failed_send_to_the_owner_falls_back_to_a_random_connection(framing: Any) -> None:
    async def main() -> None:
        registry = StaleRegistry(framing)
        env = await Env.started(framing, registry=registry)
        owner, other = registry.open("owner"), registry.open("other")
        env.partitions.owners = {3: owner.member_uuid}
        owner.begin_close("going")  # closing, the registry not told yet
        task = env.invoke(partition_id=3)
        await settle()
        assert owner.sent == [] and len(other.sent) == 1
        env.respond(other)
        await task
        assert env.service.pending_count == 0

    run(main)


def test_unisocket_sends_partition_invocations_to_a_random_connection(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, smart=False)
        a = env.registry.open("a")
        b = env.registry.open("b")
        env.partitions.owners = {5: a.member_uuid}
        task = env.invoke(partition_id=5)
        await settle()
        assert env.registry.random_calls == 1
        conn = a if a.sent else b
        assert conn.last().partition_id == 5
        assert not conn.last().flags & BACKUP_AWARE
        env.respond(conn)
        await task

    run(main)


def test_member_invocations_go_to_that_member_or_fall_back(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        a, b = env.registry.open("a"), env.registry.open("b")
        task = env.invoke(member_uuid=b.member_uuid)
        await settle()
        assert len(b.sent) == 1 and not a.sent
        env.respond(b)
        await task
        task = env.invoke(member_uuid=uuid.uuid4())
        await settle()
        assert env.registry.random_calls == 1
        conn = a if a.sent else b
        env.respond(conn)
        await task

    run(main)


def test_bound_invocations_use_their_connection_and_never_move(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        a, b = env.registry.open("a"), env.registry.open("b")
        task = env.invoke(connection=b)
        await settle()
        assert len(b.sent) == 1 and not a.sent
        env.respond(b)
        await task
        await b.close("bye")
        task = env.invoke(connection=b)
        with pytest.raises(HazelcastIOError, match="not alive"):
            await task
        assert not a.sent and len(b.sent) == 1  # one attempt, no retry, no fallback

    run(main)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"partition_id": -2},
        {"partition_id": 1, "member_uuid": uuid.uuid4()},
        {"partition_id": 1, "connection": object()},
        {"member_uuid": uuid.uuid4(), "connection": object()},
        {"timeout": 0},
        {"timeout": -3},
        {"timeout": "1"},
        {"timeout": True},
    ],
)
def test_bad_arguments_raise_value_error(framing: Any, kwargs: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        env.registry.open()
        with pytest.raises(ValueError):
            await env.service.invoke(request(framing), **kwargs)
        assert env.service.in_flight == 0 and env.service.pending_count == 0

    run(main)


def test_a_request_without_frames_raises_and_frees_its_slot(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        env.registry.open()
        with pytest.raises(ProtocolError):
            await env.service.invoke(framing.ClientMessage())
        assert env.service.in_flight == 0 and env.service.pending_count == 0

    run(main)


# -- retries -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [8, 33, 39, 46, 47, 62, 82, 90, 19])
def test_retryable_member_errors_are_retried_with_a_new_correlation_id(framing: Any, code: int) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke(request(framing, payload=b"payload"))
        await settle()
        first = conn.last()
        env.fail(conn, code)
        await settle()
        second = conn.last()
        assert second is not first
        assert second.correlation_id != first.correlation_id
        second.next_frame()
        assert second.read_bytes() == b"payload"  # same request, new id
        env.respond(conn)
        await task
        assert env.service.pending_count == 0

    run(main)


def test_every_first_send_and_every_retry_get_fresh_correlation_ids(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        tasks = [env.invoke() for _ in range(3)]
        await settle()
        for _ in range(2):
            for sent in list(conn.sent[-3:]):
                env.fail(conn, 46, sent)
            await settle()
        ids = [m.correlation_id for m in conn.sent]
        assert len(ids) == 9 and len(set(ids)) == 9
        for sent in conn.sent[-3:]:
            env.respond(conn, sent=sent)
        await asyncio.gather(*tasks)

    run(main)


def test_member_errors_that_are_not_retryable_fail_the_invocation(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke()
        await settle()
        env.service.handle_message(
            conn, error_response(framing, conn.last().correlation_id, 23, "java.lang.IllegalArgumentException", "bad")
        )
        with pytest.raises(RemoteError) as info:
            await task
        error = info.value
        assert (error.error_code, error.class_name, error.server_message) == (  # type: ignore[attr-defined]
            23,
            "java.lang.IllegalArgumentException",
            "bad",
        )
        assert str(error) == "java.lang.IllegalArgumentException: bad"
        assert len(conn.sent) == 1

    run(main)


def test_error_holder_without_message(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke()
        await settle()
        env.service.handle_message(conn, error_response(framing, conn.last().correlation_id, 38, "x.Timeout", None))
        with pytest.raises(OperationTimeoutError, match="^x.Timeout$"):
            await task

    run(main)


def test_malformed_error_response_fails_the_invocation_with_protocol_error(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke()
        await settle()
        env.service.handle_message(conn, malformed_error_response(framing, conn.last().correlation_id))
        with pytest.raises(ProtocolError):
            await task
        assert env.service.pending_count == 0

    run(main)


def test_target_not_member_is_retried_unless_the_invocation_targets_that_member(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke(partition_id=1)
        await settle()
        env.fail(conn, 53)
        await settle()
        assert len(conn.sent) == 2
        env.respond(conn)
        await task
        task = env.invoke(member_uuid=conn.member_uuid)
        await settle()
        env.fail(conn, 53)
        with pytest.raises(TargetNotMemberError):
            await task

    run(main)


def test_instance_not_active_is_retried(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke()
        await settle()
        env.fail(conn, 19)
        await settle()
        assert len(conn.sent) == 2
        env.respond(conn)
        await task

    run(main)


def test_no_connection_is_retried_until_a_connection_appears(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        task = env.invoke()
        await asyncio.sleep(3.0)
        assert not task.done()
        conn = env.registry.open()
        await asyncio.sleep(1.0)  # the next attempt (within the 1 s retry pause) finds it
        assert len(conn.sent) == 1
        env.respond(conn)
        await task

    run(main)


def test_offline_client_fails_fast_and_shut_down_registry_fails(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, registry=FakeRegistry(framing, reconnect_mode="ASYNC"))
        conn = env.registry.open()
        await conn.close("lost")
        assert env.registry.state == "DISCONNECTED"
        start = now()
        with pytest.raises(ClientOfflineError):
            await env.service.invoke(request(framing))
        assert now() == start
        env.registry.state = "SHUTDOWN"
        with pytest.raises(ClientNotActiveError):
            await env.service.invoke(request(framing))

    run(main)


def test_urgent_invocations_skip_the_invocation_check(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, registry=FakeRegistry(framing, reconnect_mode="ASYNC"))
        env.registry.state = "DISCONNECTED"
        conn = env.registry.open()
        env.registry.state = "DISCONNECTED"  # e.g. while re-establishing the cluster connection
        env.registry.connections.clear()  # not registered yet
        task = env.invoke(connection=conn, urgent=True)
        await settle()
        assert len(conn.sent) == 1
        env.respond(conn)
        await task

    run(main)


def test_urgent_check_holds_back_urgent_invocations_until_it_passes(framing: Any) -> None:
    calls: List[Invocation] = []

    def urgent_check(invocation: Invocation) -> None:
        calls.append(invocation)
        if len(calls) < 3:
            raise RetryableHazelcastError("schemas not replicated yet")

    async def main() -> None:
        env = await Env.started(framing, urgent_check=urgent_check)
        conn = env.registry.open()
        task = env.invoke()  # not urgent: not checked
        await settle()
        env.respond(conn)
        await task
        assert calls == []
        task = env.invoke(urgent=True)
        await settle()
        assert len(calls) == 3 and len(conn.sent) == 2
        assert calls[0] is calls[2] and calls[2].invoke_count == 3
        env.respond(conn)
        await task

    run(main)


# -- closed connections --------------------------------------------------------------------------------------------


def test_connection_close_fails_invocations_at_once_with_target_disconnected(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        other = env.registry.open()
        env.partitions.owners = {1: conn.member_uuid}
        task = env.invoke(partition_id=1)  # Map.Put-like: not retryable
        await settle()
        cause = OSError("reset by peer")
        conn.begin_close("Connection reset", cause)
        await settle()
        assert not task.done()  # the registry has not told anyone yet
        start = now()
        conn.finish_close()
        await settle()
        assert task.done() and now() == start  # notified, not polled
        with pytest.raises(TargetDisconnectedError, match="Connection reset") as info:
            await task
        assert info.value.__cause__ is cause
        assert other.sent == [] and env.service.pending_count == 0

    run(main)


@pytest.mark.parametrize("retryable, redo", [(True, False), (False, True)])
def test_target_disconnected_is_retried_for_retryable_requests_or_with_redo(
    framing: Any, retryable: bool, redo: bool
) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"redo_operation": redo})
        conn = env.registry.open("a")
        task = env.invoke(request(framing, retryable=retryable), member_uuid=conn.member_uuid)
        await settle()
        other = env.registry.open("b")
        await conn.close("gone")
        await settle()
        assert len(other.sent) == 1
        assert other.last().correlation_id != conn.last().correlation_id
        env.respond(other)
        await task

    run(main)


def test_bound_invocations_are_not_retried_after_a_disconnect(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"redo_operation": True})
        conn = env.registry.open()
        task = env.invoke(request(framing, retryable=True), connection=conn)
        await settle()
        await conn.close("gone", None)
        with pytest.raises(TargetDisconnectedError, match="gone"):
            await task

    run(main)


def test_target_disconnected_from_a_member_follows_the_same_rules(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke(request(framing, retryable=False))
        await settle()
        env.fail(conn, 52)
        with pytest.raises(TargetDisconnectedError):
            await task
        task = env.invoke(request(framing, retryable=True))
        await settle()
        env.fail(conn, 52)
        await settle()
        env.respond(conn)
        await task

    run(main)


def test_on_connection_closed_with_explicit_reason_and_other_connections_untouched(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        a, b = env.registry.open("a"), env.registry.open("b")
        ta = env.invoke(connection=a)
        tb = env.invoke(connection=b)
        await settle()
        cause = TimeoutError("heartbeat")
        env.service.on_connection_closed(a, "explicit", cause)
        with pytest.raises(TargetDisconnectedError, match="explicit") as info:
            await ta
        assert info.value.__cause__ is cause
        assert not tb.done()
        env.respond(b)
        await tb

    run(main)


# -- deadlines -----------------------------------------------------------------------------------------------------


def test_invocation_without_any_answer_times_out_on_time(framing: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    async def main() -> None:
        env = await Env.started(framing, options={"invocation_timeout": 2.5})
        conn = env.registry.open()
        start = now()
        task = env.invoke()
        await asyncio.sleep(2.5 - 1e-6)
        assert not task.done()
        with pytest.raises(OperationTimeoutError, match="timed out after 2.5 s") as info:
            await task
        assert 2.5 <= now() - start <= 2.5 + 0.01
        assert info.value.__cause__ is None
        assert env.service.pending_count == 0 and env.service.in_flight == 0
        env.respond(conn)  # late: dropped
        assert "unknown correlation id" in caplog.text

    run(main)


def test_per_call_timeout_overrides_the_default_and_wraps_the_last_error(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        start = now()
        with pytest.raises(OperationTimeoutError, match="last error") as info:
            await env.service.invoke(request(framing), timeout=4)  # no connection: retried until the deadline
        assert 4 <= now() - start <= 4.01
        assert isinstance(info.value.__cause__, HazelcastIOError)

    run(main)


def test_error_after_the_deadline_fails_at_once_with_a_timeout(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, timer_resolution=10.0)  # coarse wheel: its timer fires late
        conn = env.registry.open()
        task = env.invoke(timeout=1)
        await asyncio.sleep(1.5)
        assert not task.done()
        env.fail(conn, 46)
        with pytest.raises(OperationTimeoutError) as info:
            await task
        assert isinstance(info.value.__cause__, RetryableHazelcastError)
        assert len(conn.sent) == 1

    run(main)


def test_infinite_timeout_arms_no_timer(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"invocation_timeout": math.inf})
        conn = env.registry.open()
        task = env.invoke()
        await asyncio.sleep(10_000)
        assert not task.done()
        assert env.service._wheel._handles == {}  # type: ignore[union-attr]
        env.respond(conn)
        await task
        task = env.invoke(timeout=math.inf)
        await settle()
        env.respond(conn)
        await task

    run(main)


def test_deadlines_share_one_loop_timer_per_bucket(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"invocation_timeout": 1.0})
        conn = env.registry.open()
        tasks = [env.invoke() for _ in range(200)]
        await settle()
        wheel = env.service._wheel
        assert wheel is not None and len(wheel._handles) == 1
        for sent in conn.sent[:100]:
            env.respond(conn, sent=sent)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert sum(isinstance(r, OperationTimeoutError) for r in results) == 100
        assert wheel._handles == {} and wheel._buckets == {}

    run(main)


def test_timer_wheel_rearms_an_invocation_whose_bucket_fired_early() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        expired: List[Invocation] = []
        wheel = _TimerWheel(loop, 0.5, expired.append)
        inv = Invocation(object(), loop.create_future(), loop.time(), 1.0)  # type: ignore[arg-type]
        wheel.schedule(inv, loop.time() + 1.0)
        inv._timer_at += 0.25  # as if the bucket fired before the invocation's time
        await asyncio.sleep(1.0)
        assert expired == [] and inv._bucket is not None
        await asyncio.sleep(0.5)
        assert expired == [inv]
        wheel.schedule(inv, loop.time() + 3)
        wheel.close()
        assert inv._bucket is None
        await asyncio.sleep(5)
        assert expired == [inv]

    run(main)


# -- backpressure --------------------------------------------------------------------------------------------------


def test_in_flight_cap_makes_callers_wait_for_a_slot_in_order(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"max_concurrent_invocations": 2})
        conn = env.registry.open()
        tasks = [env.invoke(request(framing, payload=bytes([i]))) for i in range(5)]
        await settle()
        assert len(conn.sent) == 2 and env.service.in_flight == 2
        urgent = env.invoke(urgent=True)  # not capped
        await settle()
        assert len(conn.sent) == 3 and env.service.in_flight == 2
        env.respond(conn, sent=conn.sent[2])
        await urgent
        env.respond(conn, sent=conn.sent[0])  # frees a slot: the third caller's request goes out
        for _ in range(3):
            await settle()
            assert env.service.in_flight == 2
            env.respond(conn)
        env.respond(conn, sent=conn.sent[1])
        await asyncio.gather(*tasks)
        payloads = []
        for m in [conn.sent[0], conn.sent[1]] + conn.sent[3:]:
            m.next_frame()
            payloads.append(m.read_bytes())
        assert payloads == [bytes([i]) for i in range(5)]
        assert env.service.in_flight == 0

    run(main)


def test_waiting_for_a_slot_counts_against_the_deadline(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"max_concurrent_invocations": 1, "invocation_timeout": 3})
        conn = env.registry.open()
        first = env.invoke(timeout=math.inf)
        await settle()
        start = now()
        with pytest.raises(OperationTimeoutError, match="free invocation slot"):
            await env.service.invoke(request(framing))
        assert now() - start == pytest.approx(3.0)
        second = env.invoke()
        await asyncio.sleep(2)
        env.respond(conn)
        await first
        with pytest.raises(OperationTimeoutError, match="timed out after 3"):
            await second  # got the slot after 2 s, then had 1 s left
        assert now() - start == pytest.approx(6.0, abs=0.011)
        assert env.service.in_flight == 0

    run(main)


def test_cancelled_slot_waiters_leave_the_queue(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"max_concurrent_invocations": 1})
        conn = env.registry.open()
        first = env.invoke()
        waiting = env.invoke()
        third = env.invoke()
        await settle()
        waiting.cancel()
        await settle()
        env.respond(conn)
        await first
        await settle()
        assert len(conn.sent) == 2 and env.service.in_flight == 1
        env.respond(conn)
        await third
        assert waiting.cancelled() and env.service.in_flight == 0

    run(main)


def test_a_slot_granted_to_a_caller_cancelled_before_it_resumed_passes_on(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"max_concurrent_invocations": 1})
        conn = env.registry.open()
        first = env.invoke()
        second = env.invoke()
        third = env.invoke()
        await settle()
        env.respond(conn)  # grants the slot to `second`...
        second.cancel()  # ...which is cancelled before it runs
        await first
        await settle()
        assert second.cancelled()
        assert len(conn.sent) == 2 and env.service.in_flight == 1  # `third` got it
        env.respond(conn)
        await third
        assert env.service.in_flight == 0

    run(main)


def test_shutdown_fails_slot_waiters_and_granted_callers(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"max_concurrent_invocations": 1})
        conn = env.registry.open()
        first = env.invoke()
        granted = env.invoke()
        waiting = env.invoke()
        await settle()
        env.respond(conn)  # `granted` holds the slot but has not resumed yet
        await env.service.shutdown()
        for task in (granted, waiting):
            with pytest.raises(ClientNotActiveError):
                await task
        await first
        assert env.service.in_flight == 0 and len(conn.sent) == 1

    run(main)


# -- cancellation --------------------------------------------------------------------------------------------------


def test_cancelling_the_caller_cancels_the_invocation(framing: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke(event_handler=lambda c, m: None)
        await settle()
        invocation = next(iter(env.service._pending.values()))
        assert env.service.event_handler_count == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert invocation.future.cancelled() and invocation.done
        assert env.service.pending_count == 0 and env.service.in_flight == 0
        assert env.service.event_handler_count == 0
        assert invocation._bucket is None
        caplog.clear()
        env.respond(conn)  # late response: dropped, nothing set on the cancelled future
        assert invocation.future.cancelled()
        assert "unknown correlation id" in caplog.text

    run(main)


def test_invoke_on_partition_is_invoke_with_a_partition_without_a_coroutine(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"max_concurrent_invocations": 2})
        a, b = env.registry.open("a"), env.registry.open("b")
        env.partitions.owners = {3: b.member_uuid}
        awaitable = env.service.invoke_on_partition(request(framing), 3)
        assert isinstance(awaitable, asyncio.Future) and env.service.in_flight == 1
        await settle()
        assert b.last().partition_id == 3 and not a.sent
        env.respond(b)
        assert (await awaitable).correlation_id == b.last().correlation_id
        assert env.service.in_flight == 0 and env.service.pending_count == 0
        # a full in-flight cap, a bad partition id, a stopped service: the general path (a coroutine)
        first = env.service.invoke_on_partition(request(framing), 3)
        second = env.service.invoke_on_partition(request(framing), 3)
        third = env.service.invoke_on_partition(request(framing), 3)  # waits for a slot
        assert asyncio.iscoroutine(third)
        waiting = asyncio.ensure_future(third)
        await settle()
        for sent in list(b.sent[-2:]):
            env.respond(b, sent=sent)
        await asyncio.gather(first, second)
        await settle()
        env.respond(b)
        await waiting
        with pytest.raises(ValueError):
            await env.service.invoke_on_partition(request(framing), -5)
        await env.service.shutdown()
        with pytest.raises(ClientNotActiveError):
            await env.service.invoke_on_partition(request(framing), 3)

    run(main)


def test_cancelling_an_invocation_future_cancels_the_invocation(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        env.partitions.owners = {1: conn.member_uuid}
        future = env.service.invoke_on_partition(request(framing), 1)
        waiter = asyncio.ensure_future(asyncio.wait_for(future, 30))
        await settle()
        invocation = next(iter(env.service._pending.values()))
        waiter.cancel()  # cancelling the awaiting task cancels the future it waits on
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert future.cancelled() and invocation.done and invocation._bucket is None
        assert env.service.pending_count == 0 and env.service.in_flight == 0
        assert not future.cancel()  # already done: nothing more
        env.respond(conn)  # late: dropped
        done = env.service.invoke_on_partition(request(framing), 1)
        await settle()
        env.respond(conn)
        await done
        assert not done.cancel()

    run(main)


def test_cancelling_during_the_retry_pause_stops_the_retries(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        attempts: List[float] = []
        original = env.registry.check_invocation_allowed

        def check() -> None:
            attempts.append(now())
            original()

        env.registry.check_invocation_allowed = check  # type: ignore[method-assign]
        task = env.invoke()
        await asyncio.sleep(0.05)
        count = len(attempts)
        assert env.service.pending_count == 1  # waiting for its next attempt
        task.cancel()
        await asyncio.sleep(10)
        assert len(attempts) == count and env.service.pending_count == 0 and env.service.in_flight == 0

    run(main)


def test_wait_for_cancels_the_invocation_at_its_own_timeout(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        env.registry.open()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(env.service.invoke(request(framing)), 0.5)
        assert env.service.pending_count == 0 and env.service.in_flight == 0

    run(main)


def test_cancelled_after_completion_changes_nothing(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke()
        await settle()
        invocation = next(iter(env.service._pending.values()))
        msg = env.respond(conn)  # result set, caller not resumed yet
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert invocation.future.result() is msg
        assert env.service.in_flight == 0

    run(main)


# -- events --------------------------------------------------------------------------------------------------------


def test_events_are_routed_by_connection_and_correlation_id(framing: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    async def main() -> None:
        env = await Env.started(framing)
        a, b = env.registry.open("a"), env.registry.open("b")
        got: List[Any] = []
        task = env.invoke(connection=a, urgent=True, event_handler=lambda c, m: got.append((c, m)))
        await settle()
        corr = a.last().correlation_id
        early = event(framing, corr, payload=b"early")
        env.service.handle_message(a, early)  # before the response: already routed
        env.respond(a)
        await task
        later = event(framing, corr, payload=b"later")
        env.service.handle_message(a, later)
        env.service.handle_message(b, event(framing, corr))  # same id, other connection: not ours
        env.service.handle_message(a, event(framing, corr + 1000))
        assert got == [(a, early), (a, later)]
        assert caplog.text.count("no handler for correlation id") == 2
        assert env.service.remove_event_handler(a, corr) is True
        assert env.service.remove_event_handler(a, corr) is False
        assert env.service.remove_event_handler(b, corr) is False
        env.service.handle_message(a, event(framing, corr))
        assert len(got) == 2

    run(main)


def test_a_failing_event_handler_is_logged_and_routing_goes_on(
    framing: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        calls: List[Any] = []

        def handler(connection: Any, message: Any) -> None:
            calls.append(message)
            raise RuntimeError("handler bug")

        env.service.add_event_handler(conn, 77, handler)
        env.service.handle_message(conn, event(framing, 77))
        env.service.handle_message(conn, event(framing, 77))
        assert len(calls) == 2
        assert "handler bug" in caplog.text

    run(main)


def test_event_handler_of_a_failed_or_retried_registration_is_dropped(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke(connection=conn, urgent=True, event_handler=lambda c, m: None)
        await settle()
        first = conn.last().correlation_id
        env.fail(conn, 46)  # retried on the same connection with a new id
        await settle()
        second = conn.last().correlation_id
        assert env.service._event_handlers[conn].keys() == {second}
        env.fail(conn, 23)
        with pytest.raises(RemoteError):
            await task
        assert env.service.event_handler_count == 0
        assert first != second

    run(main)


def test_closing_a_connection_drops_its_event_handlers(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        a, b = env.registry.open("a"), env.registry.open("b")
        env.service.add_event_handler(a, 1, lambda c, m: None)
        env.service.add_event_handler(a, 2, lambda c, m: None)
        env.service.add_event_handler(b, 1, lambda c, m: None)
        await a.close("bye")
        assert env.service.event_handler_count == 1

    run(main)


def test_register_on_connection_is_an_urgent_bound_invocation_with_events(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"max_concurrent_invocations": 1})
        conn = env.registry.open()
        blocker = env.invoke()
        got: List[Any] = []
        task = asyncio.ensure_future(
            env.service.register_on_connection(conn, request(framing), lambda c, m: got.append(m))
        )
        await settle()
        assert len(conn.sent) == 2  # not held back by the cap
        msg = env.respond(conn)
        assert await task is msg
        ev = event(framing, msg.correlation_id)
        env.service.handle_message(conn, ev)
        assert got == [ev]
        env.respond(conn, sent=conn.sent[0])
        await blocker

    run(main)


# -- backup acks ---------------------------------------------------------------------------------------------------


def backup_env(framing: Any, **options: Any) -> Any:
    async def make() -> Any:
        env = await Env.started(framing, options=options)
        conn = env.registry.open()
        listener_corr = 424242
        env.service.add_event_handler(conn, listener_corr, env.service.handle_backup_event)

        def ack(source: Any, via: Any = conn) -> None:
            env.service.handle_message(via, backup_event(framing, listener_corr, source.correlation_id))

        return env, conn, ack

    return make()


def test_requests_are_backup_aware_only_with_smart_routing_and_acks_enabled(framing: Any) -> None:
    async def main() -> None:
        for smart, enabled, expected in ((True, True, True), (True, False, False), (False, True, False)):
            env = await Env.started(framing, smart=smart, options={"backup_ack_to_client_enabled": enabled})
            conn = env.registry.open()
            task = env.invoke()
            await settle()
            assert bool(conn.last().flags & BACKUP_AWARE) is expected
            env.respond(conn, acks=2)  # without backup acks enabled, acks are not waited for
            await task

    run(main)


def test_response_waits_for_its_backup_acks(framing: Any) -> None:
    async def main() -> None:
        env, conn, ack = await backup_env(framing)
        task = env.invoke()
        await settle()
        sent = conn.last()
        msg = env.respond(conn, acks=2)
        await settle()
        assert not task.done()
        ack(sent)
        await settle()
        assert not task.done()
        ack(sent, via=env.registry.open("backup-member"))  # acks come from the backup members' connections
        assert await task is msg
        assert env.service.pending_count == 0

    run(main)


def test_backup_acks_may_arrive_before_the_response(framing: Any) -> None:
    async def main() -> None:
        env, conn, ack = await backup_env(framing)
        task = env.invoke()
        await settle()
        sent = conn.last()
        ack(sent)
        ack(sent)
        msg = env.respond(conn, acks=2)
        assert await task is msg

    run(main)


def test_missing_backup_acks_complete_after_the_backup_timeout(framing: Any) -> None:
    async def main() -> None:
        env, conn, ack = await backup_env(framing, operation_backup_timeout=2.0)
        task = env.invoke()
        await settle()
        sent = conn.last()
        start = now()
        msg = env.respond(conn, acks=2)
        ack(sent)
        await asyncio.sleep(2.0 - 1e-6)
        assert not task.done()
        assert await task is msg
        assert 2.0 <= now() - start <= 2.01

    run(main)


def test_missing_backup_acks_fail_when_indeterminate_state_must_fail(framing: Any) -> None:
    async def main() -> None:
        env, conn, ack = await backup_env(framing, fail_on_indeterminate_operation_state=True)
        task = env.invoke()
        await settle()
        env.respond(conn, acks=1)
        with pytest.raises(IndeterminateOperationStateError, match="0 of 1 backup acks"):
            await task
        assert env.service.pending_count == 0

    run(main)


def test_backup_wait_ends_at_the_invocation_deadline(framing: Any) -> None:
    async def main() -> None:
        env, conn, ack = await backup_env(framing, invocation_timeout=3.0)
        start = now()
        task = env.invoke()
        await asyncio.sleep(2.0)
        msg = env.respond(conn, acks=1)
        assert await task is msg
        assert 3.0 <= now() - start <= 3.01

    run(main)


def test_connection_close_after_the_response_does_not_fail_a_backup_wait(framing: Any) -> None:
    async def main() -> None:
        env, conn, ack = await backup_env(framing)
        other = env.registry.open("other")
        env.partitions.owners = {4: other.member_uuid}
        task = env.invoke(partition_id=4)
        await settle()
        sent = other.last()
        msg = env.respond(other, acks=1)
        await other.close("primary left")
        await settle()
        assert not task.done()
        ack(sent)
        assert await task is msg

    run(main)


def test_backup_acks_for_unknown_invocations_are_dropped(framing: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    async def main() -> None:
        env, conn, ack = await backup_env(framing)
        task = env.invoke()
        await settle()
        sent = conn.last()
        env.respond(conn)
        await task
        ack(sent)
        assert "dropped backup ack for unknown correlation id" in caplog.text

    run(main)


# -- malformed input and shutdown ------------------------------------------------------------------------------------


def test_malformed_inbound_message_raises_protocol_error_without_side_effects(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        task = env.invoke()
        await settle()
        from _fakes import build

        with pytest.raises(ProtocolError):
            env.service.handle_message(conn, build(framing, [(0xC000, b"\x01\x09\x01\x00")]))
        assert env.service.pending_count == 1
        env.respond(conn)
        await task

    run(main)


def test_shutdown_fails_everything_pending_with_client_not_active(framing: Any) -> None:
    async def main() -> None:
        env, conn, ack = await backup_env(framing)
        waiting = env.invoke()
        backing = env.invoke()
        await settle()
        env.respond(conn, acks=1, sent=conn.sent[1])  # waits for a backup ack
        env.registry.connections.clear()
        retrying = env.invoke()  # no connection: between attempts
        await asyncio.sleep(0.1)
        assert env.service.pending_count == 3
        await env.service.shutdown()
        for task in (waiting, backing, retrying):
            with pytest.raises(ClientNotActiveError, match="shutting down"):
                await task
        assert isinstance(retrying.exception().__cause__, HazelcastIOError)
        assert env.service.pending_count == 0 and env.service.in_flight == 0
        assert env.service.event_handler_count == 0
        assert env.service._wheel._handles == {}  # type: ignore[union-attr]
        env.respond(conn, sent=conn.sent[0])  # late: dropped
        env.service.on_connection_closed(conn)

    run(main)


# -- the Invocation object -------------------------------------------------------------------------------------------


def test_invocation_completion_never_touches_a_done_or_cancelled_future(framing: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        req = request(framing)
        inv = Invocation(req, loop.create_future(), loop.time(), 5.0)
        assert inv.deadline == loop.time() + 5.0 and not inv.done
        assert inv.set_response(req) is True
        assert inv.set_response(req) is False
        assert inv.set_exception(RuntimeError()) is False
        inv = Invocation(req, loop.create_future(), loop.time(), 5.0)
        inv.future.cancel()
        assert inv.set_response(req) is False and inv.set_exception(RuntimeError()) is False
        inv = Invocation(req, loop.create_future(), loop.time(), 5.0)
        assert inv.set_exception(RuntimeError("x")) is True
        assert isinstance(inv.future.exception(), RuntimeError)

    run(main)


def test_invocation_repr_names_its_target(framing: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        req = request(framing, message_type=0x010100)
        member = uuid.UUID(int=5)
        assert "target=random" in repr(Invocation(req, fut, 0.0, 1.0))
        assert "type=0x010100" in repr(Invocation(req, fut, 0.0, 1.0))
        assert "target=partition 3" in repr(Invocation(req, fut, 0.0, 1.0, partition_id=3))
        assert f"target=member {member}" in repr(Invocation(req, fut, 0.0, 1.0, member_uuid=member))
        assert "target=connection 'c'" in repr(Invocation(req, fut, 0.0, 1.0, connection="c"))  # type: ignore
        assert "type=?" in repr(Invocation(framing.ClientMessage(), fut, 0.0, 1.0))

    run(main)


# -- corner cases of the slot queue and routing ----------------------------------------------------------------------


def test_cancelled_waiters_still_queued_are_skipped_on_release_and_shutdown(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing, options={"max_concurrent_invocations": 1})
        conn = env.registry.open()
        first = env.invoke()
        gone = env.invoke()
        last = env.invoke(timeout=math.inf)  # waits without a deadline timer
        await settle()
        gone.cancel()  # its waiter is cancelled; it leaves the queue only when the task resumes
        env.respond(conn)  # the release skips it and grants `last`
        await first
        await settle()
        assert gone.cancelled() and len(conn.sent) == 2
        env.respond(conn)
        await last
        blocker = env.invoke()
        queued = env.invoke()
        await settle()
        queued.cancel()
        await env.service.shutdown()  # skips the cancelled waiter still in the queue
        with pytest.raises(asyncio.CancelledError):
            await queued
        with pytest.raises(ClientNotActiveError):
            await blocker
        assert env.service.in_flight == 0

    run(main)


def test_expired_slot_timer_leaves_a_granted_waiter_alone() -> None:
    from hazelcast.invocation import _expire_slot_waiter

    async def main() -> None:
        waiter = asyncio.get_running_loop().create_future()
        waiter.set_result(None)
        _expire_slot_waiter(waiter)
        assert waiter.result() is None

    run(main)


def test_no_random_connection_is_an_io_error_retried_until_the_deadline(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        env.registry.get_random_connection = lambda: None  # type: ignore[method-assign]  # e.g. a load balancer
        with pytest.raises(OperationTimeoutError) as info:
            await env.service.invoke(request(framing), timeout=2)
        assert isinstance(info.value.__cause__, HazelcastIOError)
        assert "no connection found" in str(info.value.__cause__)
        assert conn.sent == []

    run(main)


def test_removing_one_of_several_handlers_keeps_the_others(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        got: List[int] = []
        env.service.add_event_handler(conn, 1, lambda c, m: got.append(1))
        env.service.add_event_handler(conn, 2, lambda c, m: got.append(2))
        assert env.service.remove_event_handler(conn, 1)
        env.service.handle_message(conn, event(framing, 1))
        env.service.handle_message(conn, event(framing, 2))
        assert got == [2] and env.service.event_handler_count == 1

    run(main)


# -- waking the awaiting task ----------------------------------------------------------------------------------------


def test_a_response_from_a_loop_callback_resumes_the_awaiting_task_at_once(framing: Any) -> None:
    """Outside a task (as when a connection reads), completing an invocation runs its awaiting task's next step
    right away, in the task's context: no extra loop iteration per round trip."""
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="loop")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        env = await Env.started(framing)
        conn = env.registry.open()
        env.partitions.owners = {1: conn.member_uuid}
        seen: List[Any] = []

        async def caller() -> None:
            var.set("caller")
            response_message = await env.service.invoke_on_partition(request(framing), 1)
            seen.append((response_message.correlation_id, var.get(), asyncio.current_task() is task))

        task = asyncio.ensure_future(caller())
        await settle()
        observed: List[bool] = []

        def from_the_network() -> None:
            env.respond(conn)
            observed.append(task.done())  # already resumed and finished, inside this callback

        loop.call_soon(from_the_network)
        await task
        assert observed == [True]
        assert seen == [(conn.last().correlation_id, "caller", True)]
        assert var.get() == "loop" and env.service.in_flight == 0

    run(main)


def test_a_response_handled_inside_a_task_wakes_the_awaiting_task_on_the_next_iteration(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        env.partitions.owners = {1: conn.member_uuid}
        task = asyncio.ensure_future(env.service.invoke_on_partition(request(framing), 1))
        waiter = asyncio.ensure_future(_await(task))
        await settle()
        env.respond(conn)  # this test body is a task: the waiter is scheduled, not run here
        assert not waiter.done()
        await settle()
        assert waiter.done() and waiter.result().correlation_id == conn.last().correlation_id

    run(main)


async def _await(awaitable: Any) -> Any:
    return await awaitable


def test_invocation_future_callbacks_other_than_the_first_task_go_to_asyncio(framing: Any) -> None:
    import contextvars

    async def main() -> None:
        loop = asyncio.get_running_loop()
        env = await Env.started(framing)
        conn = env.registry.open()
        env.partitions.owners = {1: conn.member_uuid}
        future = env.service.invoke_on_partition(request(framing), 1)
        calls: List[str] = []
        context = contextvars.copy_context()
        first = lambda f: calls.append("first")  # noqa: E731 - kept by the future
        second = lambda f: calls.append("second")  # noqa: E731 - scheduled by asyncio
        plain = lambda f: calls.append("plain")  # noqa: E731 - no context: asyncio's
        future.add_done_callback(first, context=context)
        future.add_done_callback(second, context=context)
        future.add_done_callback(plain)
        assert future.remove_done_callback(plain) == 1
        assert future.remove_done_callback(first) == 1 and future.remove_done_callback(first) == 0
        future.add_done_callback(first, context=context)
        await settle()
        loop.call_soon(env.respond, conn)
        await settle()
        assert calls == ["first", "second"]
        future.add_done_callback(plain, context=context)  # done already: scheduled by asyncio
        await settle()
        assert calls == ["first", "second", "plain"]

    run(main)


def test_errors_and_cancellation_wake_the_awaiting_task_through_the_loop(framing: Any) -> None:
    async def main() -> None:
        env = await Env.started(framing)
        conn = env.registry.open()
        env.partitions.owners = {1: conn.member_uuid}
        failing = asyncio.ensure_future(_await(env.service.invoke_on_partition(request(framing), 1)))
        await settle()
        env.fail(conn, 2)  # a member error that is not retryable (ArrayIndexOutOfBounds)
        with pytest.raises(RemoteError):
            await failing
        future = env.service.invoke_on_partition(request(framing), 1)
        cancelled = asyncio.ensure_future(_await(future))
        await settle()
        assert future.cancel() and not future.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert env.service.pending_count == 0 and env.service.in_flight == 0
        direct = env.service.invoke_on_partition(request(framing), 1)
        waiting = asyncio.ensure_future(_await(direct))
        await settle()
        direct.set_result("set by hand")  # whoever completes the future wakes its task
        assert await waiting == "set by hand"
        other = env.service.invoke_on_partition(request(framing), 1)
        waiting = asyncio.ensure_future(_await(other))
        await settle()
        other.set_exception(KeyError("by hand"))
        with pytest.raises(KeyError):
            await waiting

    run(main)
