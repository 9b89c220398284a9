"""PhiAccrualFailureDetector and HeartbeatHistory on synthetic arrival times (protocol.md §7.3).

Expected values come from :func:`reference_phi`, the formula written out again here from the document (not from
the module), and a few are pinned as literals computed once by hand from the same formula.
"""

from __future__ import annotations

import math
from typing import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hazelcast.network.phi_accrual import (
    DEFAULT_ACCEPTABLE_HEARTBEAT_PAUSE,
    DEFAULT_FIRST_HEARTBEAT_ESTIMATE,
    DEFAULT_MAX_SAMPLE_SIZE,
    DEFAULT_MIN_STD_DEVIATION,
    DEFAULT_THRESHOLD,
    HeartbeatHistory,
    PhiAccrualFailureDetector,
    phi,
)


def reference_phi(t: float, intervals: Sequence[float], pause: float, min_std: float) -> float:
    """protocol.md §7.3, straight from the text."""
    n = len(intervals)
    mean = sum(intervals) / n
    variance = sum(x * x for x in intervals) / n - mean * mean
    std = max(math.sqrt(max(variance, 0.0)), min_std)
    m = mean + pause
    y = (t - m) / std
    e = math.exp(-y * (1.5976 + 0.070566 * y * y))
    if t > m:
        return -math.log10(e / (1 + e))
    return -math.log10(1 - 1 / (1 + e))


def reference_phi_with_limits(t: float, intervals: Sequence[float], pause: float, min_std: float) -> float:
    """:func:`reference_phi`, with the limits where a double overflows (phi 0) or underflows (phi infinite)."""
    try:
        return reference_phi(t, intervals, pause, min_std)
    except OverflowError:
        return 0.0
    except ValueError:  # log10(0)
        return math.inf


def test_defaults_are_the_members():
    assert DEFAULT_THRESHOLD == 10
    assert DEFAULT_MAX_SAMPLE_SIZE == 200
    assert DEFAULT_MIN_STD_DEVIATION == 0.1  # 100 ms
    assert DEFAULT_ACCEPTABLE_HEARTBEAT_PAUSE == 60.0
    assert DEFAULT_FIRST_HEARTBEAT_ESTIMATE == 5.0
    detector = PhiAccrualFailureDetector()
    assert detector.threshold == 10
    assert detector.history.max_sample_size == 200


def test_no_heartbeat_yet_means_phi_zero_and_alive():
    detector = PhiAccrualFailureDetector()
    assert detector.last_heartbeat is None
    assert detector.phi(0.0) == 0.0
    assert detector.phi(1e9) == 0.0
    assert detector.is_alive(1e9)


def test_bootstrap_is_estimate_plus_minus_a_quarter():
    detector = PhiAccrualFailureDetector(first_heartbeat_estimate=5.0)
    assert detector.history.intervals == (3.75, 6.25)
    assert detector.history.mean() == 5.0
    assert detector.history.std_deviation() == 1.25


def test_first_heartbeat_adds_no_interval():
    detector = PhiAccrualFailureDetector()
    detector.heartbeat(100.0)
    assert detector.last_heartbeat == 100.0
    assert detector.history.intervals == (3.75, 6.25)


@pytest.mark.parametrize(
    "t, pinned",
    [
        (65.0, 0.3010299956639812),  # t == m: the "t <= m" branch, y = 0: -log10(1/2)
        (62.5, 0.009998761629963108),  # t < m, y = -2
        (60.0, 7.963311608865193e-06),  # t < m, y = -4
        (66.25, 0.7995083208395598),  # t > m, y = 1
        (67.5, 1.6428278854871123),  # t > m, y = 2
        (70.0, 4.736694582705181),  # t > m, y = 4
    ],
)
def test_phi_after_one_heartbeat_pinned(t: float, pinned: float):
    # bootstrap (3.75, 6.25): mean 5, std 1.25; acceptable pause 60 -> m = 65
    detector = PhiAccrualFailureDetector()
    detector.heartbeat(1000.0)
    value = detector.phi(1000.0 + t)
    assert value == pytest.approx(pinned, rel=1e-12)
    assert value == pytest.approx(reference_phi(t, [3.75, 6.25], 60.0, 0.1), rel=1e-12)


def test_both_branches_meet_at_the_mean():
    below = phi(9.999999, 10.0, 1.0)
    at = phi(10.0, 10.0, 1.0)
    above = phi(10.000001, 10.0, 1.0)
    assert below < at < above
    assert at == pytest.approx(math.log10(2))
    assert above - below == pytest.approx(0.0, abs=1e-5)


def test_far_before_the_mean_phi_is_zero_not_an_overflow():
    # y = -52: exp(52 * (1.5976 + 0.070566 * 52**2)) overflows a double (Java gets Infinity, then -log10(1) = 0)
    detector = PhiAccrualFailureDetector()
    detector.heartbeat(0.0)
    assert detector.phi(0.0) == 0.0
    assert math.copysign(1.0, detector.phi(0.0)) == 1.0  # +0.0, not -0.0
    assert detector.is_alive(0.0)


def test_far_after_the_mean_phi_is_infinite_not_a_math_error():
    # y = 40: exp(-40 * (1.5976 + 0.070566 * 1600)) underflows to 0 (Java: -log10(0) = Infinity)
    detector = PhiAccrualFailureDetector()
    detector.heartbeat(0.0)
    assert detector.phi(65.0 + 40 * 1.25) == math.inf
    assert not detector.is_alive(65.0 + 40 * 1.25)


def test_regular_heartbeats_follow_the_reference_and_the_std_floor():
    # Heartbeats exactly 1 s apart: once the bootstrap samples are pushed out the history is [1, 1, 1], its
    # standard deviation 0, and the floor min_std_deviation (0.1) is what divides.
    detector = PhiAccrualFailureDetector(max_sample_size=3, acceptable_heartbeat_pause=0.5)
    for second in range(5):
        detector.heartbeat(float(second))
    assert detector.history.intervals == (1.0, 1.0, 1.0)
    assert detector.history.std_deviation() == 0.0
    for t in (0.5, 1.0, 1.5, 1.6, 1.8, 2.0):
        expected = reference_phi(t, [1.0, 1.0, 1.0], 0.5, 0.1)
        assert detector.phi(4.0 + t) == pytest.approx(expected, rel=1e-12)
    # m = 1.5, std 0.1: phi is about 7.3 at y = 5 and 10.8 at y = 6
    assert detector.is_alive(4.0 + 2.0)
    assert not detector.is_alive(4.0 + 2.1)
    assert reference_phi(2.0, [1.0, 1.0, 1.0], 0.5, 0.1) < 10 < reference_phi(2.1, [1.0, 1.0, 1.0], 0.5, 0.1)


def test_std_floor_only_applies_below_it():
    detector = PhiAccrualFailureDetector(max_sample_size=4, min_std_deviation=0.1, acceptable_heartbeat_pause=0.0)
    arrivals = [0.0, 1.0, 3.0, 4.0, 6.0]  # intervals 1, 2, 1, 2: std 0.5 > floor
    for arrival in arrivals:
        detector.heartbeat(arrival)
    assert detector.history.intervals == (1.0, 2.0, 1.0, 2.0)
    assert detector.history.std_deviation() == 0.5
    for t in (0.5, 1.5, 2.0, 3.0):
        assert detector.phi(6.0 + t) == pytest.approx(reference_phi(t, [1, 2, 1, 2], 0.0, 0.1), rel=1e-12)


def test_history_is_bounded_by_the_sample_size():
    detector = PhiAccrualFailureDetector(max_sample_size=5, acceptable_heartbeat_pause=100.0)
    arrivals = [0.0]
    for i in range(1, 12):
        arrivals.append(arrivals[-1] + 1.0 + i / 10)
    for arrival in arrivals:
        detector.heartbeat(arrival)
    intervals = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(detector.history) == 5
    assert detector.history.intervals == pytest.approx(intervals[-5:])
    assert detector.history.mean() == pytest.approx(sum(intervals[-5:]) / 5)
    t = 101.0
    assert detector.phi(arrivals[-1] + t) == pytest.approx(reference_phi(t, intervals[-5:], 100.0, 0.1), rel=1e-9)


def test_default_sample_size_keeps_200_intervals():
    detector = PhiAccrualFailureDetector()
    for i in range(300):
        detector.heartbeat(i * 5.0)
    assert len(detector.history) == 200
    assert set(detector.history.intervals) == {5.0}


def test_a_heartbeat_after_the_peer_was_suspected_is_not_a_sample():
    detector = PhiAccrualFailureDetector(max_sample_size=10, acceptable_heartbeat_pause=0.0,
                                         first_heartbeat_estimate=1.0)
    detector.heartbeat(0.0)
    detector.heartbeat(1.0)  # on time: recorded
    assert detector.history.intervals == (0.75, 1.25, 1.0)
    assert not detector.is_alive(1.0 + 30.0)
    detector.heartbeat(31.0)  # the peer was already dead by then (Akka's rule): not recorded
    assert detector.history.intervals == (0.75, 1.25, 1.0)
    assert detector.last_heartbeat == 31.0
    assert detector.is_alive(31.5)
    detector.heartbeat(32.0)
    assert detector.history.intervals == (0.75, 1.25, 1.0, 1.0)


def test_phi_does_not_depend_on_the_time_unit():
    seconds = PhiAccrualFailureDetector(acceptable_heartbeat_pause=3.0, first_heartbeat_estimate=2.0)
    millis = PhiAccrualFailureDetector(min_std_deviation=100.0, acceptable_heartbeat_pause=3000.0,
                                       first_heartbeat_estimate=2000.0)
    for arrival in (0.0, 2.0, 4.5, 6.0, 8.25):
        seconds.heartbeat(arrival)
        millis.heartbeat(arrival * 1000)
    for t in (1.0, 5.0, 6.0, 7.5, 9.0):
        assert seconds.phi(8.25 + t) == pytest.approx(millis.phi((8.25 + t) * 1000), rel=1e-9)


@given(
    intervals=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=30),
    pause=st.floats(0.0, 100.0),
    since=st.floats(0.0, 1000.0),
)
def test_phi_matches_the_reference_formula(intervals, pause, since):
    detector = PhiAccrualFailureDetector(max_sample_size=len(intervals) + 2, acceptable_heartbeat_pause=pause,
                                         first_heartbeat_estimate=4.0)
    history = [3.0, 5.0]
    arrival = 0.0
    detector.heartbeat(arrival)
    for interval in intervals:
        before = detector.phi(arrival + interval)
        assert before == pytest.approx(reference_phi_with_limits(interval, history, pause, 0.1), rel=1e-9, abs=1e-12)
        if before < 10:
            history.append(interval)
        arrival += interval
        detector.heartbeat(arrival)
    assert detector.history.intervals == pytest.approx(history)
    expected = reference_phi_with_limits(since, history, pause, 0.1)
    assert detector.phi(arrival + since) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(st.lists(st.floats(0.0, 10.0), min_size=2, max_size=20), st.floats(0.0, 50.0), st.floats(0.0, 50.0))
def test_phi_grows_with_silence(intervals, earlier, later):
    detector = PhiAccrualFailureDetector(acceptable_heartbeat_pause=1.0)
    t = 0.0
    for interval in intervals:
        t += interval
        detector.heartbeat(t)
    low, high = sorted((earlier, later))
    assert detector.phi(t + low) <= detector.phi(t + high) + 1e-12  # rounding where the two branches meet


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": -1.0}, "threshold"),
        ({"threshold": math.nan}, "threshold"),
        ({"min_std_deviation": 0.0}, "min_std_deviation"),
        ({"acceptable_heartbeat_pause": -0.001}, "acceptable_heartbeat_pause"),
        ({"first_heartbeat_estimate": 0.0}, "first_heartbeat_estimate"),
        ({"max_sample_size": 0}, "max_sample_size"),
    ],
)
def test_invalid_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PhiAccrualFailureDetector(**kwargs)


@pytest.mark.parametrize("size", [2.5, "200", True, None])
def test_history_size_must_be_an_int(size):
    with pytest.raises(TypeError, match="max_sample_size"):
        HeartbeatHistory(size)


def test_history_statistics():
    history = HeartbeatHistory(3)
    for value in (1.0, 2.0, 3.0, 10.0):
        history.add(value)
    assert history.intervals == (2.0, 3.0, 10.0)
    assert len(history) == 3
    assert history.mean() == pytest.approx(5.0)
    assert history.variance() == pytest.approx((4 + 9 + 100) / 3 - 25)
    assert history.std_deviation() == pytest.approx(math.sqrt((4 + 9 + 100) / 3 - 25))


def test_history_variance_never_goes_negative():
    # 0.1 three times: sum_of_squares / n - mean**2 rounds to about -1.7e-18 in doubles
    history = HeartbeatHistory(3)
    for _ in range(3):
        history.add(0.1)
    raw = (0.1 * 0.1 + 0.1 * 0.1 + 0.1 * 0.1) / 3 - ((0.1 + 0.1 + 0.1) / 3) ** 2
    assert raw < 0  # the hazard is real
    assert history.variance() == 0.0
    assert history.std_deviation() == 0.0


def test_empty_history_has_no_statistics():
    with pytest.raises(ZeroDivisionError):
        HeartbeatHistory(1).mean()
