"""HeartbeatManager and its failure detectors (protocol.md §7.1, §7.3) with fake connections and a fake clock."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List

import pytest

from hazelcast.errors import HazelcastError, TargetDisconnectedError
from hazelcast.network.failure_detector import (
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DeadlineConnectionFailureDetector,
    HeartbeatManager,
    PhiAccrualConnectionFailureDetector,
    _calculate_checksum,
)
from hazelcast.network.phi_accrual import PhiAccrualFailureDetector
from _fake_connections import FakeClock, FakeConnection


class Pings:
    """A send_ping that records the connections it was called for."""

    def __init__(self, result: Any = None) -> None:
        self.sent: List[FakeConnection] = []
        self.result = result

    def __call__(self, connection: FakeConnection) -> Any:
        self.sent.append(connection)
        return self.result


def manager_for(connections: List[FakeConnection], clock: FakeClock, pings: Pings, **kwargs: Any) -> HeartbeatManager:
    return HeartbeatManager(lambda: connections, pings, clock=clock, **kwargs)


def test_defaults_are_javas():
    assert DEFAULT_HEARTBEAT_INTERVAL == 5.0
    assert DEFAULT_HEARTBEAT_TIMEOUT == 60.0
    manager = HeartbeatManager(list, Pings())
    assert manager.interval == 5.0
    assert isinstance(manager.failure_detector, DeadlineConnectionFailureDetector)
    assert manager.failure_detector.timeout == 60.0
    assert not manager.running


def test_target_disconnected_error_is_a_hazelcast_error():
    assert issubclass(TargetDisconnectedError, HazelcastError)


def test_checksum_is_still_exported_here():
    assert _calculate_checksum(b"\x08\x00\x00\x00\x00\x01\x00\x01") == 0xF7FD


async def test_silent_connection_is_closed_with_target_disconnected():
    clock = FakeClock(100.0)
    connection = FakeConnection(read=39.0, write=99.0)
    pings = Pings()
    await manager_for([connection], clock, pings).check_connections()
    assert len(connection.closes) == 1
    reason, cause = connection.closes[0]
    assert reason == "Heartbeat timed out"
    assert isinstance(cause, TargetDisconnectedError)
    assert "Heartbeat timed out to connection FakeConnection(" in str(cause)
    assert "nothing read for 61.000 s" in str(cause)
    assert pings.sent == []  # a dead connection gets no ping


async def test_exactly_at_the_timeout_is_still_alive():
    clock = FakeClock(100.0)
    connection = FakeConnection(read=40.0, write=99.0)
    await manager_for([connection], clock, Pings()).check_connections()
    assert connection.closes == []
    assert connection.is_alive


async def test_idle_writer_gets_a_ping_and_a_recent_writer_does_not():
    clock = FakeClock(100.0)
    idle = FakeConnection(read=99.0, write=94.9)
    exactly = FakeConnection(read=99.0, write=95.0)
    busy = FakeConnection(read=99.0, write=99.9)
    pings = Pings()
    await manager_for([idle, exactly, busy], clock, pings).check_connections()
    assert pings.sent == [idle]
    assert not any(c.closes for c in (idle, exactly, busy))


async def test_closed_connections_are_skipped_and_every_other_one_is_checked():
    clock = FakeClock(1000.0)
    closed = FakeConnection(read=0.0, write=0.0)
    closed.is_alive = False
    dead_a = FakeConnection(read=0.0, write=0.0)
    idle = FakeConnection(read=999.0, write=0.0)
    dead_b = FakeConnection(read=1.0, write=999.0)
    pings = Pings()
    # Java's loop returns at the first closed or timed-out connection; here every connection is checked
    await manager_for([closed, dead_a, idle, dead_b], clock, pings).check_connections()
    assert closed.closes == []
    assert [r for r, _ in dead_a.closes] == ["Heartbeat timed out"]
    assert [r for r, _ in dead_b.closes] == ["Heartbeat timed out"]
    assert pings.sent == [idle]


async def test_a_failing_close_is_logged_and_the_others_are_closed(caplog: pytest.LogCaptureFixture):
    clock = FakeClock(1000.0)
    failing = FakeConnection(read=0.0, fail_close=True)
    other = FakeConnection(read=0.0)
    with caplog.at_level(logging.ERROR, logger="hazelcast.network.failure_detector"):
        await manager_for([failing, other], clock, Pings()).check_connections()
    assert len(failing.closes) == 1 and len(other.closes) == 1
    assert "closing FakeConnection" in caplog.text and "close failed" in caplog.text


async def test_a_ping_that_raises_is_logged_and_the_round_goes_on(caplog: pytest.LogCaptureFixture):
    clock = FakeClock(100.0)
    first = FakeConnection(read=99.0, write=0.0)
    second = FakeConnection(read=99.0, write=0.0)
    sent = []

    def send_ping(connection: FakeConnection) -> None:
        sent.append(connection)
        if connection is first:
            raise ConnectionError("not connected")

    with caplog.at_level(logging.ERROR, logger="hazelcast.network.failure_detector"):
        await HeartbeatManager(lambda: [first, second], send_ping, clock=clock).check_connections()
    assert sent == [first, second]
    assert "sending a heartbeat ping over FakeConnection" in caplog.text


async def test_an_awaitable_ping_is_awaited_in_the_background():
    clock = FakeClock(100.0)
    connection = FakeConnection(read=99.0, write=0.0)
    loop = asyncio.get_running_loop()
    response: asyncio.Future[None] = loop.create_future()
    manager = manager_for([connection], clock, Pings(response))
    await manager.check_connections()  # returns without waiting for the response
    assert not response.done()
    assert len(manager._background) == 1
    response.set_result(None)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert manager._background == set()


async def test_a_failed_ping_response_is_logged_not_raised(caplog: pytest.LogCaptureFixture):
    clock = FakeClock(100.0)
    connection = FakeConnection(read=99.0, write=0.0)

    async def failing_ping() -> None:
        raise TargetDisconnectedError("gone")

    manager = HeartbeatManager(lambda: [connection], lambda c: failing_ping(), clock=clock)
    with caplog.at_level(logging.DEBUG, logger="hazelcast.network.failure_detector"):
        await manager.check_connections()
        task = next(iter(manager._background))
        await asyncio.wait([task])
        await asyncio.sleep(0)
    assert isinstance(task.exception(), TargetDisconnectedError)  # retrieved: no "never retrieved" warning
    assert manager._background == set()
    assert "heartbeat ping over FakeConnection" in caplog.text and "gone" in caplog.text


async def test_shutdown_cancels_pings_still_waiting():
    clock = FakeClock(100.0)
    connection = FakeConnection(read=99.0, write=0.0)
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    manager = manager_for([connection], clock, Pings(never))
    await manager.check_connections()
    await manager.shutdown()
    assert never.cancelled()
    pending_coroutine = asyncio.Event()
    manager = HeartbeatManager(lambda: [connection], lambda c: pending_coroutine.wait(), clock=clock)
    await manager.check_connections()
    await manager.shutdown()  # a coroutine never started is closed, not left "never awaited"
    assert manager._background == set()
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_default_clock_is_the_loop_time():
    loop = asyncio.get_running_loop()
    fresh = FakeConnection(read=loop.time(), write=loop.time())
    stale = FakeConnection(read=loop.time() - 61.0, write=loop.time())
    pings = Pings()
    await HeartbeatManager(lambda: [fresh, stale], pings).check_connections()
    assert fresh.closes == [] and len(stale.closes) == 1
    assert pings.sent == []


async def test_custom_timeout():
    clock = FakeClock(100.0)
    connection = FakeConnection(read=89.0, write=99.0)
    manager = manager_for([connection], clock, Pings(), timeout=10.0)
    assert manager.failure_detector.timeout == 10.0
    await manager.check_connections()
    assert len(connection.closes) == 1


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"interval": 0}, ValueError),
        ({"interval": -1.0}, ValueError),
        ({"interval": float("inf")}, ValueError),
        ({"interval": float("nan")}, ValueError),
        ({"interval": "5"}, TypeError),
        ({"interval": True}, TypeError),
        ({"timeout": 0.0}, ValueError),
        ({"timeout": None, "interval": None}, TypeError),
        ({"timeout": 10.0, "failure_detector": DeadlineConnectionFailureDetector(5.0)}, ValueError),
    ],
)
def test_invalid_settings_are_rejected(kwargs, error):
    with pytest.raises(error):
        HeartbeatManager(list, Pings(), **kwargs)


async def test_periodic_rounds_run_until_shutdown(caplog: pytest.LogCaptureFixture):
    connection = FakeConnection(read=0.0, write=0.0)
    clock = FakeClock(1.0)
    rounds = 0
    pinged = asyncio.Event()

    def connections() -> List[FakeConnection]:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise RuntimeError("connection manager hiccup")  # a failed round is logged, the next one runs
        return [connection]

    def send_ping(c: FakeConnection) -> None:
        pinged.set()

    manager = HeartbeatManager(connections, send_ping, interval=0.01, clock=clock)
    with caplog.at_level(logging.ERROR, logger="hazelcast.network.failure_detector"):
        manager.start()
        manager.start()  # already running: nothing changes
        assert manager.running
        await asyncio.wait_for(pinged.wait(), 10)
    assert rounds >= 2
    assert "a check round failed" in caplog.text and "connection manager hiccup" in caplog.text
    await manager.shutdown()
    await manager.shutdown()  # idempotent
    assert not manager.running
    assert asyncio.all_tasks() == {asyncio.current_task()}
    count = rounds
    await asyncio.sleep(0.05)
    assert rounds == count  # no round after shutdown


async def test_restart_after_shutdown():
    pinged = asyncio.Event()
    connection = FakeConnection(read=0.0, write=0.0)
    manager = HeartbeatManager(lambda: [connection], lambda c: pinged.set(), interval=0.01, clock=FakeClock(1.0))
    manager.start()
    await manager.shutdown()
    manager.start()
    await asyncio.wait_for(pinged.wait(), 10)
    await manager.shutdown()
    assert asyncio.all_tasks() == {asyncio.current_task()}


# -- the phi accrual strategy ---------------------------------------------------------------------------------


async def test_phi_strategy_closes_a_connection_that_stops_reading():
    clock = FakeClock(0.0)
    connection = FakeConnection(read=0.0, write=0.0)
    detector = PhiAccrualConnectionFailureDetector(acceptable_heartbeat_pause=2.0, first_heartbeat_estimate=1.0)
    pings = Pings()
    manager = manager_for([connection], clock, pings, interval=1.0, failure_detector=detector)
    assert manager.failure_detector is detector
    for second in range(1, 11):  # a read every second
        clock.now = float(second)
        connection.last_read_time = clock.now
        connection.last_write_time = clock.now
        await manager.check_connections()
    assert connection.closes == []
    reference = PhiAccrualFailureDetector(acceptable_heartbeat_pause=2.0, first_heartbeat_estimate=1.0)
    for second in range(1, 11):  # the first round saw the read at 1.0
        reference.heartbeat(float(second))
    assert detector.detector(connection).history.intervals == reference.history.intervals
    # silence: alive while the reference phi stays below 10, closed at the first round where it does not
    while reference.phi(clock.now + 0.5) < 10:
        clock.now += 0.5
        await manager.check_connections()
        assert connection.closes == []
        assert detector.phi(connection, clock.now) == pytest.approx(reference.phi(clock.now))
    clock.now += 0.5
    await manager.check_connections()
    assert [r for r, _ in connection.closes] == ["Heartbeat timed out"]
    assert isinstance(connection.closes[0][1], TargetDisconnectedError)
    assert 13.0 < clock.now <= 14.0  # mean 1 + pause 2 + a few floored standard deviations after the last read


async def test_phi_strategy_counts_a_read_once_and_forgets_closed_connections():
    detector = PhiAccrualConnectionFailureDetector(first_heartbeat_estimate=1.0)
    a = FakeConnection(read=5.0)
    b = FakeConnection(read=5.0)
    assert detector.is_alive(a, 5.5) and detector.is_alive(b, 5.5)
    assert detector.detector(a).last_heartbeat == 5.0
    assert detector.is_alive(a, 6.0)  # no new read: no new heartbeat
    assert detector.detector(a).history.intervals == (0.75, 1.25)
    a.last_read_time = 4.0  # a read time going backwards is not a heartbeat
    assert detector.detector(a).last_heartbeat == 5.0
    a.last_read_time = 6.0
    assert detector.detector(a).history.intervals == (0.75, 1.25, 1.0)
    detector.retain([a])
    assert set(detector._detectors) == {id(a)}
    b_again = detector.detector(b)
    assert b_again.history.intervals == (0.75, 1.25)  # b starts over


def test_phi_strategy_validates_its_parameters_up_front():
    with pytest.raises(ValueError, match="threshold"):
        PhiAccrualConnectionFailureDetector(threshold=0.0)


def test_deadline_strategy():
    detector = DeadlineConnectionFailureDetector(10.0)
    connection = FakeConnection(read=100.0)
    assert detector.is_alive(connection, 110.0)
    assert not detector.is_alive(connection, 110.001)
    detector.retain([])  # stateless
    assert detector.is_alive(connection, 105.0)
    with pytest.raises(ValueError):
        DeadlineConnectionFailureDetector(-1.0)


async def test_shutdown_from_inside_a_round_does_not_wait_for_itself():
    stopped = asyncio.Event()
    manager: HeartbeatManager[FakeConnection]

    class ShutsDownTheClient(FakeConnection):
        async def close(self, reason: str, cause: Any) -> None:
            await super().close(reason, cause)
            await manager.shutdown()  # e.g. reconnect mode OFF: the last connection gone shuts the client down
            stopped.set()

    connection = ShutsDownTheClient(read=0.0, write=0.0)
    manager = HeartbeatManager(lambda: [connection], Pings(), interval=0.01, clock=FakeClock(1000.0))
    manager.start()
    await asyncio.wait_for(stopped.wait(), 10)
    assert not manager.running
    assert len(connection.closes) == 1
    while len(asyncio.all_tasks()) > 1:  # the round ends by itself, and no other round starts
        await asyncio.sleep(0.01)
    assert len(connection.closes) == 1


async def test_a_hanging_close_does_not_stall_the_rounds_and_shutdown_cancels_it():
    loop = asyncio.get_running_loop()
    cancelled = asyncio.Event()

    class HangsOnClose(FakeConnection):
        async def close(self, reason: str, cause: Any) -> None:
            await super().close(reason, cause)
            try:
                await loop.create_future()  # e.g. flushing a write buffer to a peer that is gone
            except asyncio.CancelledError:
                cancelled.set()
                raise

    hanging = HangsOnClose(read=0.0, write=0.0)
    manager = HeartbeatManager(lambda: [hanging], Pings(), interval=0.05, clock=FakeClock(1000.0))
    await manager.check_connections()  # returns after one interval although the close has not finished
    assert len(hanging.closes) == 1
    assert len(manager._background) == 1
    await manager.shutdown()
    assert cancelled.is_set()
    assert manager._background == set()
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_shutdown_from_the_round_itself_ends_the_loop():
    rounds = 0

    class StopsItself(HeartbeatManager[FakeConnection]):
        async def check_connections(self) -> None:
            nonlocal rounds
            rounds += 1
            await self.shutdown()  # inside the periodic task: it must not wait for (or cancel) itself

    manager = StopsItself(list, Pings(), interval=0.01)
    manager.start()
    task = manager._task
    assert task is not None
    await asyncio.wait_for(asyncio.wait([task]), 10)
    assert rounds == 1
    assert not task.cancelled() and task.exception() is None  # ended normally, not by a cancellation
    assert not manager.running
