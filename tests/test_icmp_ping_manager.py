"""IcmpPingConfig, PingFailureDetector and IcmpPingManager (protocol.md §7.2).

The manager pings for real: 127.0.0.1, and the far end of a veth pair into a namespace the test makes, which then
stops answering (its link goes down) or disappears (the namespace is deleted). Connections are fakes that record
how they were closed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, List

import pytest

from hazelcast.errors import TargetDisconnectedError
from hazelcast.network.failure_detector import IcmpPingConfig, IcmpPingManager, PingFailureDetector
from hazelcast.network.icmp import IcmpMode, IcmpNotAvailableError, IcmpPinger
from _fake_connections import FakeConnection
from _netns import VethPeer, new_namespace, new_veth_peer, remove_stale_namespaces, run_in_namespace

ENABLED = IcmpPingConfig(enabled=True, timeout=0.5, interval=1.0, max_attempts=2)


@pytest.fixture(scope="module", autouse=True)
def _stale_namespaces() -> None:
    remove_stale_namespaces()


@pytest.fixture
def peer(request: pytest.FixtureRequest) -> VethPeer:
    return new_veth_peer(request)


# -- configuration --------------------------------------------------------------------------------------------


def test_config_defaults_are_javas():
    config = IcmpPingConfig()
    assert config.enabled is False
    assert config.timeout == 1.0
    assert config.interval == 1.0
    assert config.ttl == 255
    assert config.max_attempts == 2
    assert config.echo_fail_fast_on_startup is True


def test_config_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        IcmpPingConfig().timeout = 5.0  # type: ignore[misc]
    assert dataclasses.replace(IcmpPingConfig(), interval=3.0, timeout=2.0).interval == 3.0


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"timeout": 1.5}, ValueError, "greater than the ICMP interval"),
        ({"interval": 0.999, "timeout": 0.5}, ValueError, "less than the minimum"),
        ({"timeout": 0.0}, ValueError, "timeout"),
        ({"timeout": -1.0}, ValueError, "timeout"),
        ({"interval": float("inf")}, ValueError, "interval"),
        ({"ttl": 0}, ValueError, "ttl"),
        ({"ttl": 256}, ValueError, "ttl"),
        ({"max_attempts": 0}, ValueError, "max_attempts"),
        ({"enabled": 1}, TypeError, "enabled"),
        ({"echo_fail_fast_on_startup": "yes"}, TypeError, "echo_fail_fast_on_startup"),
        ({"timeout": "1"}, TypeError, "timeout"),
        ({"ttl": 64.0}, TypeError, "ttl"),
        ({"max_attempts": True}, TypeError, "max_attempts"),
    ],
)
def test_config_validation(kwargs, error, message):
    with pytest.raises(error, match=message):
        IcmpPingConfig(**kwargs)


def test_config_accepts_the_bounds():
    config = IcmpPingConfig(enabled=True, timeout=2, interval=2, ttl=1, max_attempts=1)
    assert (config.timeout, config.interval) == (2, 2)


# -- the attempt counter --------------------------------------------------------------------------------------


def test_ping_failure_detector_counts_consecutive_failures():
    detector: PingFailureDetector[str] = PingFailureDetector(2)
    assert detector.is_alive("a") and detector.attempts("a") == 0  # never seen: alive
    detector.log_attempt("a")
    assert detector.is_alive("a") and detector.attempts("a") == 1
    detector.heartbeat("a")
    assert detector.attempts("a") == 0
    detector.log_attempt("a")
    detector.log_attempt("a")
    assert not detector.is_alive("a")
    detector.log_attempt("b")
    detector.retain({"b"})
    assert detector.attempts("a") == 0 and detector.attempts("b") == 1
    detector.remove("b")
    detector.remove("never-seen")
    assert detector.attempts("b") == 0
    detector.log_attempt("c")
    detector.reset()
    assert detector.attempts("c") == 0


@pytest.mark.parametrize("attempts", [0, -1, 1.0, True])
def test_ping_failure_detector_needs_a_positive_int(attempts):
    with pytest.raises(ValueError, match="max_attempts"):
        PingFailureDetector(attempts)


# -- the manager, for real ------------------------------------------------------------------------------------


async def test_disabled_manager_does_not_start():
    manager = IcmpPingManager(IcmpPingConfig(), list)
    manager.start()
    assert not manager.running
    await manager.shutdown()
    assert manager.config == IcmpPingConfig()


async def test_loopback_answers_and_nothing_is_closed():
    local = FakeConnection("127.0.0.1")
    local6 = FakeConnection("::1")
    unknown = FakeConnection(None)  # no remote address yet: nothing to ping
    manager = IcmpPingManager(ENABLED, lambda: [local, local6, unknown])
    try:
        manager.failure_detector.log_attempt("127.0.0.1")
        manager.failure_detector.log_attempt("host-without-connections")  # a host without connections any more
        await manager.check_connections()
        assert manager.failure_detector.attempts("127.0.0.1") == 0  # the reply reset the count
        assert manager.failure_detector.attempts("host-without-connections") == 0  # forgotten
        assert "host-without-connections" not in manager.failure_detector._attempts
        assert not any(c.closes for c in (local, local6, unknown))
    finally:
        await manager.shutdown()


async def test_a_peer_that_stops_answering_gets_its_connections_closed(peer: VethPeer):
    target_a = FakeConnection(peer.peer_address)
    target_b = FakeConnection(peer.peer_address)
    already_closed = FakeConnection(peer.peer_address)
    already_closed.is_alive = False
    local = FakeConnection("127.0.0.1")
    connections = [target_a, target_b, already_closed, local]
    manager = IcmpPingManager(ENABLED, lambda: connections)
    try:
        await manager.check_connections()
        assert manager.failure_detector.attempts(peer.peer_address) == 0  # the namespace answers
        peer.take_peer_down()
        await manager.check_connections()
        assert manager.failure_detector.attempts(peer.peer_address) == 1
        assert target_a.closes == [] and target_b.closes == []  # one failure is not enough
        await manager.check_connections()
        for connection in (target_a, target_b):
            assert len(connection.closes) == 1
            reason, cause = connection.closes[0]
            assert reason == "ICMP ping time out"
            assert isinstance(cause, TargetDisconnectedError)
            assert f"ICMP ping time out to connection FakeConnection(FakeAddress(host='{peer.peer_address}'" in str(
                cause)
        assert already_closed.closes == [] and local.closes == []
        assert manager.failure_detector.attempts(peer.peer_address) == 0  # counting starts over
    finally:
        await manager.shutdown()


async def test_a_peer_that_disappears_gets_its_connections_closed(peer: VethPeer):
    connection = FakeConnection(peer.peer_address)
    config = dataclasses.replace(ENABLED, max_attempts=3)
    manager = IcmpPingManager(config, lambda: [connection])
    try:
        await manager.check_connections()
        assert manager.failure_detector.attempts(peer.peer_address) == 0
        peer.delete_namespace()  # both ends of the pair go; the guard route makes the /30 unreachable
        for attempt in (1, 2):
            await manager.check_connections()
            assert manager.failure_detector.attempts(peer.peer_address) == attempt
            assert connection.closes == []
        await manager.check_connections()
        assert [reason for reason, _ in connection.closes] == ["ICMP ping time out"]
    finally:
        await manager.shutdown()


async def test_started_manager_notices_within_max_attempts_intervals(peer: VethPeer):
    closed = asyncio.Event()

    class Watched(FakeConnection):
        async def close(self, reason: str, cause: Any) -> None:
            await super().close(reason, cause)
            closed.set()

    connection = Watched(peer.peer_address)
    manager = IcmpPingManager(ENABLED, lambda: [connection])
    manager.start()
    try:
        assert manager.running
        manager.start()  # already running: nothing changes
        peer.take_peer_down()
        # max_attempts (2) rounds, one per interval (1 s): closed after about 2 s; the bound only guards a hang
        await asyncio.wait_for(closed.wait(), 30)
        assert [reason for reason, _ in connection.closes] == ["ICMP ping time out"]
    finally:
        await manager.shutdown()
    assert not manager.running
    assert manager._pinger._sockets == {}  # the manager's own pinger is closed
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_an_injected_pinger_stays_open_after_shutdown():
    pinger = IcmpPinger()
    manager = IcmpPingManager(ENABLED, lambda: [FakeConnection("127.0.0.1")], pinger=pinger)
    manager.start()
    await manager.check_connections()
    await manager.shutdown()
    try:
        assert pinger._sockets  # still the caller's
        assert await pinger.ping("127.0.0.1", 1.0)
    finally:
        pinger.close()


async def test_unavailable_icmp_is_not_counted_against_the_host(caplog: pytest.LogCaptureFixture):
    connection = FakeConnection("127.0.0.1")
    no_fail_fast = dataclasses.replace(ENABLED, echo_fail_fast_on_startup=False)
    manager = IcmpPingManager(no_fail_fast, lambda: [connection], pinger=IcmpPinger(mode=IcmpMode.UNAVAILABLE))
    with caplog.at_level(logging.WARNING, logger="hazelcast.network.failure_detector"):
        manager.start()
        assert not manager.running
        for _ in range(3):
            await manager.check_connections()
    assert "ICMP failure detector disabled" in caplog.text
    assert "cannot ping 127.0.0.1: ICMP echo is not available" in caplog.text
    assert manager.failure_detector.attempts("127.0.0.1") == 0
    assert connection.closes == []


async def test_fail_fast_with_a_forced_unavailable_pinger():
    manager = IcmpPingManager(ENABLED, list, pinger=IcmpPinger(mode=IcmpMode.UNAVAILABLE))
    with pytest.raises(IcmpNotAvailableError, match="can't be used in this environment"):
        manager.start()
    assert not manager.running


def test_fail_fast_on_startup_without_icmp_permission(request: pytest.FixtureRequest):
    # a namespace whose ping_group_range is the default "1 0", and a thread without CAP_NET_RAW: no ICMP at all
    namespace = new_namespace(request)

    async def scenario() -> List[Any]:
        seen: List[Any] = []
        strict: IcmpPingManager[FakeConnection] = IcmpPingManager(ENABLED, list)
        try:
            strict.start()
        except IcmpNotAvailableError as e:
            seen.append((str(e), type(e.__cause__)))
        seen.append(strict.running)
        lenient: IcmpPingManager[FakeConnection] = IcmpPingManager(
            dataclasses.replace(ENABLED, echo_fail_fast_on_startup=False), list
        )
        lenient.start()
        seen.append(lenient.running)
        await strict.shutdown()
        await lenient.shutdown()
        return seen

    (message, cause), strict_running, lenient_running = run_in_namespace(
        namespace, lambda: asyncio.run(scenario()), without_net_raw=True
    )
    assert message.startswith("ICMP failure detector can't be used in this environment: ICMP echo is not "
                              "available for IPv4")
    assert "CAP_NET_RAW" in message and "net.ipv4.ping_group_range" in message
    assert "echo_fail_fast_on_startup" in message
    assert cause is IcmpNotAvailableError
    assert strict_running is False and lenient_running is False


async def test_connections_closed_meanwhile_are_not_closed_again(peer: VethPeer):
    connection = FakeConnection(peer.peer_address)
    rounds: List[List[FakeConnection]] = []

    def connections() -> List[FakeConnection]:
        rounds.append([connection] if connection.is_alive else [])
        return rounds[-1]

    manager = IcmpPingManager(dataclasses.replace(ENABLED, max_attempts=1), connections)
    try:
        peer.take_peer_down()

        class ClosedDuringThePing(IcmpPinger):
            async def ping(self, host: str, timeout: float) -> bool:
                answered = await super().ping(host, timeout)
                connection.is_alive = False  # closed elsewhere (e.g. the heartbeat) while the ping waited
                return answered

        manager._pinger = ClosedDuringThePing()
        await manager.check_connections()
        assert len(rounds) == 2 and rounds[1] == []  # looked again before closing, found nothing to close
        assert connection.closes == []
        assert manager.failure_detector.attempts(peer.peer_address) == 0  # dead, forgotten
    finally:
        await manager.shutdown()
        manager._pinger.close()
