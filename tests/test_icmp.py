"""ICMP echo for real: raw sockets on 127.0.0.1 and ::1 (we run as root), the unprivileged datagram socket and the
"not available" case inside network namespaces made by the test, timeouts and forged replies.

Traffic goes only to loopback, inside namespaces created here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import struct
from typing import Any, List, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hazelcast.network.icmp import (
    ICMP_ECHO_REPLY,
    ICMPV6_ECHO_REPLY,
    EchoReply,
    IcmpMode,
    IcmpNotAvailableError,
    IcmpPinger,
    _calculate_checksum,
    _can_use_datagram_sockets,
    _can_use_raw_sockets,
    _EchoSocket,
    _Outstanding,
    build_echo_request,
    detect_icmp_mode,
    parse_echo_reply,
    parse_ipv4_packet,
)
from _netns import new_namespace, run_in_namespace, set_sysctl

V4, V6 = socket.AF_INET, socket.AF_INET6

# An echo reply from 127.0.0.1 as a raw socket received it (IPv4 header + ICMP), captured on this machine.
CAPTURED_RAW_REPLY = bytes.fromhex(
    "4500002595ef00004001e6e67f0000017f0000010000c0691234000168656c6c6f2d726177"
)
LOOPBACK6 = socket.inet_pton(V6, "::1")
LOCALHOST4 = socket.inet_aton("127.0.0.1")


def echo_reply(identifier: int, sequence: int, payload: bytes, *, code: int = 0, kind: int = ICMP_ECHO_REPLY) -> bytes:
    """An ICMPv4 echo reply with a correct checksum."""
    message = bytearray(struct.pack("!BBHHH", kind, code, 0, identifier, sequence) + payload)
    struct.pack_into("!H", message, 2, _calculate_checksum(message))
    return bytes(message)


def echo_reply6(identifier: int, sequence: int, payload: bytes, source: bytes, destination: bytes) -> bytes:
    """An ICMPv6 echo reply whose checksum covers the pseudo-header."""
    message = bytearray(struct.pack("!BBHHH", ICMPV6_ECHO_REPLY, 0, 0, identifier, sequence) + payload)
    pseudo = source + destination + struct.pack("!I3xB", len(message), 58)
    struct.pack_into("!H", message, 2, _calculate_checksum(pseudo + message))
    return bytes(message)


# -- packets --------------------------------------------------------------------------------------------------


def test_echo_request_v4_carries_a_valid_checksum():
    packet = build_echo_request(0x1234, 7, b"hello")
    assert packet[:2] == b"\x08\x00"
    assert struct.unpack("!HH", packet[4:8]) == (0x1234, 7)
    assert packet[8:] == b"hello"
    assert _calculate_checksum(packet) == 0


def test_echo_request_v6_leaves_the_checksum_to_the_kernel():
    packet = build_echo_request(1, 2, b"x", family=V6)
    assert packet == bytes([128, 0, 0, 0, 0, 1, 0, 2]) + b"x"


@pytest.mark.parametrize("identifier, sequence", [(-1, 0), (0x10000, 0), (0, -1), (0, 0x10000)])
def test_echo_request_fields_are_16_bit(identifier, sequence):
    with pytest.raises(ValueError, match="0..65535"):
        build_echo_request(identifier, sequence, b"")


def test_captured_raw_reply_parses():
    message = parse_ipv4_packet(CAPTURED_RAW_REPLY)
    assert message is not None
    assert parse_echo_reply(message) == EchoReply(0x1234, 1, b"hello-raw")


def test_ipv4_header_length_comes_from_ihl():
    header = bytearray(CAPTURED_RAW_REPLY[:20])
    header[0] = 0x46  # IHL 6: 4 bytes of options follow the fixed header
    packet = bytes(header) + b"\x01\x01\x01\x00" + CAPTURED_RAW_REPLY[20:]
    message = parse_ipv4_packet(packet)
    assert message is not None and bytes(message) == CAPTURED_RAW_REPLY[20:]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p[:19],  # shorter than an IPv4 header
        lambda p: b"",
        lambda p: b"\x65" + p[1:],  # version 6
        lambda p: b"\x44" + p[1:],  # IHL 4: below the minimum
        lambda p: b"\x4f" + p[1:40],  # IHL 15 = 60 bytes, only 40 received
        lambda p: p[:9] + b"\x06" + p[10:],  # TCP, not ICMP
    ],
)
def test_malformed_ipv4_packets_are_ignored(mutate):
    assert parse_ipv4_packet(mutate(CAPTURED_RAW_REPLY)) is None


@pytest.mark.parametrize(
    "message",
    [
        b"",
        echo_reply(1, 2, b"")[:7],  # truncated header
        echo_reply(1, 2, b"abc", kind=8),  # an echo request, not a reply
        echo_reply(1, 2, b"abc", kind=3),  # destination unreachable
        echo_reply(1, 2, b"abc", code=1),  # reply with a non-zero code
        echo_reply(1, 2, b"abc")[:-1],  # truncated payload: checksum no longer matches
        echo_reply(1, 2, b"abc")[:2] + b"\x00\x00" + echo_reply(1, 2, b"abc")[4:],  # zeroed checksum
    ],
)
def test_malformed_echo_replies_are_ignored(message):
    assert parse_echo_reply(message) is None


def test_well_formed_echo_replies_parse():
    assert parse_echo_reply(echo_reply(1, 2, b"abc")) == EchoReply(1, 2, b"abc")
    assert parse_echo_reply(bytearray(echo_reply(0xFFFF, 0, b""))) == EchoReply(0xFFFF, 0, b"")


def test_icmpv6_replies_are_checked_against_the_pseudo_header():
    other = socket.inet_pton(V6, "fe80::1")
    good = echo_reply6(7, 8, b"payload", LOOPBACK6, LOOPBACK6)
    assert parse_echo_reply(good, family=V6, source=LOOPBACK6, destination=LOOPBACK6) == EchoReply(7, 8, b"payload")
    assert parse_echo_reply(good, family=V6, source=other, destination=LOOPBACK6) is None
    assert parse_echo_reply(good[:-1], family=V6, source=LOOPBACK6, destination=LOOPBACK6) is None
    # without the addresses only the kernel's checksum check applies
    assert parse_echo_reply(good[:-1], family=V6) == EchoReply(7, 8, b"payloa")
    assert parse_echo_reply(echo_reply(7, 8, b"x"), family=V6) is None  # an ICMPv4 reply type


@given(st.binary(max_size=120))
def test_parsers_never_raise_on_arbitrary_bytes(data):
    message = parse_ipv4_packet(data)
    assert message is None or len(message) <= len(data) - 20
    for family in (V4, V6):
        reply = parse_echo_reply(data, family=family, source=LOOPBACK6, destination=LOOPBACK6)
        assert reply is None or isinstance(reply, EchoReply)


@given(st.binary(min_size=20, max_size=80), st.integers(0, 255))
def test_ipv4_parser_never_reads_past_the_packet(data, version_ihl):
    packet = bytes([version_ihl]) + data[1:9] + b"\x01" + data[10:]
    message = parse_ipv4_packet(packet)
    if message is not None:
        assert bytes(message) == packet[(version_ihl & 0x0F) * 4:]


# -- real pings on this host's loopback (raw sockets: we are root) ---------------------------------------------


def test_raw_sockets_are_permitted_here():
    assert _can_use_raw_sockets(V4)
    assert _can_use_raw_sockets(V6)
    assert detect_icmp_mode(V4) is IcmpMode.RAW
    assert IcmpPinger().mode(V6) is IcmpMode.RAW


async def test_raw_ping_loopback():
    pinger = IcmpPinger()
    try:
        results = await asyncio.gather(
            pinger.ping("127.0.0.1", 2.0),
            pinger.ping("::1", 2.0),
            pinger.ping("[::1]", 2.0),
            pinger.ping("127.1", 2.0),  # not an ipaddress literal: goes through getaddrinfo (numeric, no DNS)
            *(pinger.ping("127.0.0.1", 2.0) for _ in range(20)),
        )
        assert results == [True] * 24
        assert pinger.open(V4) is IcmpMode.RAW
        for echo in pinger._sockets.values():
            assert echo.outstanding == {}
    finally:
        pinger.close()
    assert pinger._sockets == {}


async def test_pinger_reopens_after_close():
    pinger = IcmpPinger()
    assert await pinger.ping("127.0.0.1", 2.0)
    pinger.close()
    assert await pinger.ping("127.0.0.1", 2.0)
    pinger.close()


async def test_ttl_is_set_on_the_sockets():
    pinger = IcmpPinger(ttl=17)
    try:
        pinger.open(V4)
        pinger.open(V6)
        assert pinger._sockets[V4]._sock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == 17
        assert pinger._sockets[V6]._sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS) == 17
        assert await pinger.ping("127.0.0.1", 2.0)
    finally:
        pinger.close()


@pytest.mark.parametrize("ttl", [0, 256, -1, 1.5, True, "64"])
def test_invalid_ttl_is_rejected(ttl):
    with pytest.raises(ValueError, match="ttl"):
        IcmpPinger(ttl=ttl)


async def test_a_name_that_does_not_resolve_is_a_failed_ping():
    pinger = IcmpPinger()
    try:
        # a 64-character label is refused by the IDNA codec before any resolver is asked (no DNS traffic)
        assert await pinger.ping("a" * 64 + ".invalid", 1.0) is False
        assert pinger._sockets == {}
    finally:
        pinger.close()


async def test_forced_unavailable_mode_raises_a_clear_error():
    pinger = IcmpPinger(mode=IcmpMode.UNAVAILABLE)
    with pytest.raises(IcmpNotAvailableError, match="CAP_NET_RAW.*ping_group_range"):
        await pinger.ping("127.0.0.1", 1.0)
    with pytest.raises(IcmpNotAvailableError):
        pinger.open()


async def test_a_loop_without_add_reader_leaves_no_socket_behind():
    class NoReaderLoop:
        def add_reader(self, *args: Any) -> None:
            raise NotImplementedError("add_reader")  # e.g. the Windows proactor loop

    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(NotImplementedError):
        _EchoSocket(NoReaderLoop(), V4, IcmpMode.RAW, 64)  # type: ignore[arg-type]
    assert len(os.listdir("/proc/self/fd")) == before


class ScriptedSocket:
    """Stands in for the socket inside an _EchoSocket: recvmsg follows a script (unit-level fault injection)."""

    def __init__(self, script: List[Any]) -> None:
        self.script = script
        self.reads = 0

    def recvmsg(self, size: int, ancillary_size: int) -> Tuple[bytes, list, int, Tuple[str, int]]:
        self.reads += 1
        step = self.script.pop(0) if self.script else BlockingIOError()
        if isinstance(step, BaseException):
            raise step
        return step


async def test_read_errors_and_floods_do_not_break_the_reader():
    loop = asyncio.get_running_loop()
    echo = _EchoSocket(loop, V4, IcmpMode.RAW, 64)
    real = echo._sock
    try:
        future = loop.create_future()
        echo.outstanding[5] = _Outstanding(future, ipaddress.ip_address("127.0.0.1"), 0x42, b"p")
        packet = CAPTURED_RAW_REPLY[:20] + echo_reply(0x42, 5, b"p")
        garbage = (b"\x00" * 3, [], 0, ("127.0.0.1", 0))
        scripted = ScriptedSocket([OSError("queued error"), garbage] + [garbage] * 70)
        echo._sock = scripted  # type: ignore[assignment]
        echo._on_readable()
        assert scripted.reads == 64  # a flood is read in bounded batches
        echo._on_readable()
        assert scripted.reads == 64 + 9  # the rest, then BlockingIOError
        assert not future.done()
        scripted.script = [(packet, [], 0, ("not an address", 0)), (packet, [], 0, ("127.0.0.1", 0))]
        echo._on_readable()
        assert future.result() is True
    finally:
        echo._sock = real
        echo.close()


async def test_icmpv6_reply_without_destination_info_is_ignored():
    loop = asyncio.get_running_loop()
    echo = _EchoSocket(loop, V6, IcmpMode.RAW, 64)
    try:
        future = loop.create_future()
        echo.outstanding[9] = _Outstanding(future, ipaddress.ip_address("::1"), 3, b"q")
        reply = echo_reply6(3, 9, b"q", LOOPBACK6, LOOPBACK6)
        echo._on_packet(reply, [], ("::1", 0, 0, 0))  # no IPV6_PKTINFO: cannot check the checksum
        echo._on_packet(reply, [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, b"\x00" * 8)], ("::1", 0, 0, 0))
        assert not future.done()
        pktinfo = LOOPBACK6 + struct.pack("=I", 1)
        echo._on_packet(reply, [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, pktinfo)], ("::1%lo", 0, 0, 1))
        assert future.result() is True
    finally:
        echo.close()
    assert future.result() is True  # close leaves completed requests alone


# -- inside namespaces made by the test -----------------------------------------------------------------------


@pytest.fixture
def namespace(request: pytest.FixtureRequest) -> str:
    return new_namespace(request)


def test_datagram_sockets_when_the_group_range_allows_them(namespace: str):
    set_sysctl(namespace, "net.ipv4.ping_group_range", "0 0")

    async def scenario() -> Tuple[Any, ...]:
        forced = IcmpPinger(mode=IcmpMode.DATAGRAM)
        auto = IcmpPinger()  # without CAP_NET_RAW the datagram socket is the best choice
        try:
            return (
                _can_use_raw_sockets(V4),
                _can_use_datagram_sockets(V4),
                _can_use_datagram_sockets(V6),
                auto.mode(V4),
                auto.mode(V6),
                await forced.ping("127.0.0.1", 2.0),
                await forced.ping("::1", 2.0),
                await auto.ping("127.0.0.1", 2.0),
                await auto.ping("::1", 2.0),
                forced._sockets[V4].mode,
                auto._sockets[V6].mode,
            )
        finally:
            forced.close()
            auto.close()

    results = run_in_namespace(namespace, lambda: asyncio.run(scenario()), without_net_raw=True)
    assert results == (False, True, True, IcmpMode.DATAGRAM, IcmpMode.DATAGRAM, True, True, True, True,
                       IcmpMode.DATAGRAM, IcmpMode.DATAGRAM)


def test_not_available_without_raw_or_datagram_permission(namespace: str):
    # a fresh namespace's ping_group_range is "1 0" (nobody); CAP_NET_RAW is dropped for the thread
    async def scenario() -> List[Any]:
        seen: List[Any] = [_can_use_raw_sockets(V4), _can_use_datagram_sockets(V4), detect_icmp_mode(V4),
                           detect_icmp_mode(V6)]
        pinger = IcmpPinger()
        for action in (lambda: pinger.ping("127.0.0.1", 1.0), lambda: pinger.ping("::1", 1.0)):
            try:
                await action()
            except IcmpNotAvailableError as e:
                seen.append(str(e))
        forced = IcmpPinger(mode=IcmpMode.RAW)
        try:
            forced.open()
        except IcmpNotAvailableError as e:
            seen.append((str(e), type(e.__cause__)))
        return seen

    seen = run_in_namespace(namespace, lambda: asyncio.run(scenario()), without_net_raw=True)
    assert seen[:4] == [False, False, IcmpMode.UNAVAILABLE, IcmpMode.UNAVAILABLE]
    assert "ICMP echo is not available for IPv4" in seen[4]
    assert "ICMP echo is not available for IPv6" in seen[5]
    assert seen[6] == ("cannot open a raw IPv4 ICMP socket: [Errno 1] Operation not permitted", PermissionError)


def test_unanswered_pings_time_out_and_close_completes_pending_ones(namespace: str):
    set_sysctl(namespace, "net.ipv4.icmp_echo_ignore_all", "1")
    set_sysctl(namespace, "net.ipv6.icmp.echo_ignore_all", "1")

    async def scenario() -> List[Any]:
        pinger = IcmpPinger()
        seen: List[Any] = [await pinger.ping("127.0.0.1", 0.2), await pinger.ping("::1", 0.2)]
        pending = asyncio.ensure_future(pinger.ping("127.0.0.1", 30.0))
        while not pinger._sockets[V4].outstanding:
            await asyncio.sleep(0.01)
        pinger.close()
        seen.append(await pending)
        seen.append(pinger._sockets)
        return seen

    assert run_in_namespace(namespace, lambda: asyncio.run(scenario())) == [False, False, False, {}]


def test_no_route_is_a_failed_ping(namespace: str):
    # a fresh namespace has no route but loopback's: sendto fails with ENETUNREACH, nothing leaves
    async def scenario() -> List[bool]:
        pinger = IcmpPinger()
        try:
            return [await pinger.ping("198.18.0.1", 1.0), await pinger.ping("2001:db8::1", 1.0)]
        finally:
            pinger.close()

    assert run_in_namespace(namespace, lambda: asyncio.run(scenario())) == [False, False]


def test_forged_replies_are_ignored_and_a_genuine_one_is_accepted(namespace: str):
    set_sysctl(namespace, "net.ipv4.icmp_echo_ignore_all", "1")  # the kernel stays silent: we answer

    async def scenario() -> List[Any]:
        pinger = IcmpPinger()
        injector = socket.socket(V4, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        stranger = socket.socket(V4, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        stranger.bind(("127.0.0.2", 0))
        header_injector = socket.socket(V4, socket.SOCK_RAW, socket.IPPROTO_RAW)  # IP_HDRINCL
        try:
            ping = asyncio.ensure_future(pinger.ping("127.0.0.1", 30.0))
            echo = None
            while echo is None or not echo.outstanding:
                await asyncio.sleep(0.01)
                echo = pinger._sockets.get(V4)
            ((sequence, request),) = echo.outstanding.items()
            identifier, payload = request.identifier, request.payload
            assert identifier is not None  # a raw socket: the identifier is ours
            good = echo_reply(identifier, sequence, payload)
            forged = [
                good[:2] + bytes([good[2] ^ 0xFF]) + good[3:],  # bad checksum
                echo_reply(identifier ^ 1, sequence, payload),  # another pinger's identifier
                echo_reply(identifier, sequence ^ 1, payload),  # another sequence
                echo_reply(identifier, sequence, payload[:-1] + bytes([payload[-1] ^ 1])),  # not our payload
                echo_reply(identifier, sequence, payload, code=3),  # non-zero code
                good[:6],  # truncated
            ]
            for packet in forged:
                injector.sendto(packet, ("127.0.0.1", 0))
            for icmp in (b"", good[:1]):  # shorter than a raw ICMP socket sends: a whole IPv4 packet of ours
                ip_header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64, 1, 0, LOCALHOST4, LOCALHOST4)
                header_injector.sendto(ip_header + icmp, ("127.0.0.1", 0))
            stranger.sendto(good, ("127.0.0.1", 0))  # right contents, wrong source address
            await asyncio.sleep(0.3)
            seen: List[Any] = [ping.done()]
            injector.sendto(good, ("127.0.0.1", 0))
            seen.append(await asyncio.wait_for(ping, 10))
            return seen
        finally:
            injector.close()
            stranger.close()
            header_injector.close()
            pinger.close()

    assert run_in_namespace(namespace, lambda: asyncio.run(scenario())) == [False, True]


def test_forged_icmpv6_replies_are_ignored(namespace: str):
    set_sysctl(namespace, "net.ipv6.icmp.echo_ignore_all", "1")

    async def scenario() -> List[Any]:
        pinger = IcmpPinger()
        injector = socket.socket(V6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)  # the kernel fills the checksum
        try:
            ping = asyncio.ensure_future(pinger.ping("::1", 30.0))
            echo = None
            while echo is None or not echo.outstanding:
                await asyncio.sleep(0.01)
                echo = pinger._sockets.get(V6)
            ((sequence, request),) = echo.outstanding.items()
            identifier, payload = request.identifier, request.payload
            assert identifier is not None
            header = struct.Struct("!BBHHH")
            for fields, body in [
                ((ICMPV6_ECHO_REPLY, 0, 0, identifier ^ 1, sequence), payload),
                ((ICMPV6_ECHO_REPLY, 0, 0, identifier, sequence), payload[::-1]),
                ((ICMPV6_ECHO_REPLY, 1, 0, identifier, sequence), payload),
            ]:
                injector.sendto(header.pack(*fields) + body, ("::1", 0))
            await asyncio.sleep(0.3)
            seen: List[Any] = [ping.done()]
            injector.sendto(header.pack(ICMPV6_ECHO_REPLY, 0, 0, identifier, sequence) + payload, ("::1", 0))
            seen.append(await asyncio.wait_for(ping, 10))
            return seen
        finally:
            injector.close()
            pinger.close()

    assert run_in_namespace(namespace, lambda: asyncio.run(scenario())) == [False, True]


async def test_sequence_numbers_wrap_and_skip_those_in_flight():
    pinger = IcmpPinger()
    try:
        pinger.open(V4)
        echo = pinger._sockets[V4]
        placeholder = object()
        echo.outstanding[0xFFFF] = placeholder  # type: ignore[assignment]
        echo.outstanding[0] = placeholder  # type: ignore[assignment]
        pinger._next_sequence = 0xFFFE
        assert pinger._allocate_sequence(echo) == 0xFFFE
        assert pinger._allocate_sequence(echo) == 1
        assert pinger._next_sequence == 2
        echo.outstanding.clear()
        assert await pinger.ping("127.0.0.1", 2.0)
    finally:
        pinger.close()

