"""ICMP echo ("ping") on the event loop: packets, sockets and an asynchronous pinger.

Three ways to send an echo request, tried in this order by :func:`detect_icmp_mode`:

* a **raw** socket (``SOCK_RAW``): needs ``CAP_NET_RAW`` (root). We build the whole ICMP message, choose the
  identifier, and receive every ICMP packet of the host (IPv4: with its IP header), so replies are filtered;
* the unprivileged **datagram** ICMP socket (``SOCK_DGRAM`` + ``IPPROTO_ICMP``/``IPPROTO_ICMPV6``, Linux and
  macOS): allowed when the process's group is inside ``net.ipv4.ping_group_range`` (the same range governs
  ICMPv6). The kernel sets the identifier and delivers only replies to this socket, without IP header;
* neither: :attr:`IcmpMode.UNAVAILABLE`, and :class:`IcmpNotAvailableError` from anything that would need ICMP.

Replies are hostile input. :func:`parse_ipv4_packet` and :func:`parse_echo_reply` never raise: anything
truncated, malformed, of another type, with a bad checksum or not matching an outstanding request (identifier,
sequence, payload and source address) is dropped, and the request simply times out.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import itertools
import logging
import os
import socket
import struct
from dataclasses import dataclass
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

from hazelcast._backend import framing as _framing
from hazelcast.errors import HazelcastError

__all__ = [
    "EchoReply",
    "IcmpMode",
    "IcmpNotAvailableError",
    "IcmpPinger",
    "build_echo_request",
    "detect_icmp_mode",
    "parse_echo_reply",
    "parse_ipv4_packet",
]

_logger = logging.getLogger(__name__)

Buffer = Union[bytes, bytearray, memoryview]
IpAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
SockAddr = Tuple[Any, ...]

ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8
ICMPV6_ECHO_REQUEST = 128
ICMPV6_ECHO_REPLY = 129

_ECHO_HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence
_ECHO_HEADER_SIZE = _ECHO_HEADER.size
_IPV4_MIN_HEADER_SIZE = 20
_IPPROTO_ICMP = 1
_IPPROTO_ICMPV6 = 58
_RECV_BUFFER_SIZE = 2048  # echo replies to our 16-byte payload are far smaller; longer packets fail the checks
_MAX_PACKETS_PER_WAKEUP = 64  # a raw socket sees all ICMP of the host: never let a flood starve the loop
_PAYLOAD_TOKEN_SIZE = 8

# Linux socket options that let the kernel drop what we do not want before it reaches a raw socket.
_SOL_RAW = 255
_ICMP_FILTER = 1
_ICMP6_FILTER = 1


def _calculate_checksum(data: Buffer) -> int:
    """RFC 1071 Internet checksum of ``data`` (any bytes-like object, odd lengths allowed), in ``0..0xFFFF``."""
    return _framing.calculate_checksum(data)


class IcmpNotAvailableError(HazelcastError):
    """ICMP echo cannot be used here: neither a raw ICMP socket (needs ``CAP_NET_RAW``) nor an unprivileged
    datagram ICMP socket (needs the process's group inside ``net.ipv4.ping_group_range``) can be opened."""


class IcmpMode(enum.Enum):
    """How echo requests are sent."""

    RAW = "raw"
    """``SOCK_RAW``: needs ``CAP_NET_RAW``."""
    DATAGRAM = "datagram"
    """``SOCK_DGRAM`` with ``IPPROTO_ICMP``/``IPPROTO_ICMPV6``: needs ``net.ipv4.ping_group_range``."""
    UNAVAILABLE = "unavailable"
    """Neither socket can be opened."""


def _icmp_protocol(family: int) -> int:
    return _IPPROTO_ICMPV6 if family == socket.AF_INET6 else _IPPROTO_ICMP


def _family_name(family: int) -> str:
    return "IPv6" if family == socket.AF_INET6 else "IPv4"


def _can_open(family: int, kind: int) -> bool:
    try:
        sock = socket.socket(family, kind, _icmp_protocol(family))
    except OSError:
        return False
    sock.close()
    return True


def _can_use_raw_sockets(family: int = socket.AF_INET) -> bool:
    """Whether this process may open a raw ICMP (``family`` AF_INET) or ICMPv6 (AF_INET6) socket."""
    return _can_open(family, socket.SOCK_RAW)


def _can_use_datagram_sockets(family: int = socket.AF_INET) -> bool:
    """Whether this process may open an unprivileged datagram ICMP/ICMPv6 socket."""
    return _can_open(family, socket.SOCK_DGRAM)


def detect_icmp_mode(family: int = socket.AF_INET) -> IcmpMode:
    """The best :class:`IcmpMode` this process can use for ``family``: raw, else datagram, else unavailable."""
    if _can_use_raw_sockets(family):
        return IcmpMode.RAW
    if _can_use_datagram_sockets(family):
        return IcmpMode.DATAGRAM
    return IcmpMode.UNAVAILABLE


def build_echo_request(identifier: int, sequence: int, payload: Buffer, *, family: int = socket.AF_INET) -> bytes:
    """An ICMP (``AF_INET``) or ICMPv6 (``AF_INET6``) echo request.

    IPv4 requests carry their checksum. ICMPv6 requests carry 0: their checksum covers the IPv6 pseudo-header
    (source address included), which only the kernel knows, and the kernel always fills it in for ICMPv6
    sockets (RFC 3542 §3.1).
    """
    if not 0 <= identifier <= 0xFFFF or not 0 <= sequence <= 0xFFFF:
        raise ValueError(f"identifier and sequence must be in 0..65535: {identifier}, {sequence}")
    if family == socket.AF_INET6:
        return _ECHO_HEADER.pack(ICMPV6_ECHO_REQUEST, 0, 0, identifier, sequence) + bytes(payload)
    message = bytearray(_ECHO_HEADER.pack(ICMP_ECHO_REQUEST, 0, 0, identifier, sequence))
    message += payload
    struct.pack_into("!H", message, 2, _calculate_checksum(message))
    return bytes(message)


class EchoReply(NamedTuple):
    """The fields of a well-formed echo reply."""

    identifier: int
    sequence: int
    payload: bytes


def parse_ipv4_packet(packet: Buffer) -> Optional[memoryview]:
    """The ICMP message inside an IPv4 ``packet`` as read from a raw socket, or ``None`` when the packet is not a
    well-formed IPv4 ICMP packet (too short, version not 4, header length below 20 or beyond the packet, another
    protocol). The header length comes from the IHL field and is checked against what was received."""
    view = memoryview(packet).cast("B")
    if len(view) < _IPV4_MIN_HEADER_SIZE:
        return None
    version_ihl = view[0]
    header_size = (version_ihl & 0x0F) * 4
    if version_ihl >> 4 != 4 or header_size < _IPV4_MIN_HEADER_SIZE or header_size > len(view):
        return None
    if view[9] != _IPPROTO_ICMP:
        return None
    return view[header_size:]


def _ipv6_pseudo_header(source: bytes, destination: bytes, length: int) -> bytes:
    return source + destination + struct.pack("!I3xB", length, _IPPROTO_ICMPV6)


def parse_echo_reply(
    message: Buffer,
    *,
    family: int = socket.AF_INET,
    source: Optional[bytes] = None,
    destination: Optional[bytes] = None,
) -> Optional[EchoReply]:
    """The :class:`EchoReply` in an ICMP/ICMPv6 ``message`` (no IP header), or ``None`` if it is not a valid echo
    reply: shorter than 8 bytes, another type or a non-zero code, or a wrong checksum.

    ICMPv6 checksums include the pseudo-header, so they are checked only when the packed 16-byte ``source`` and
    ``destination`` addresses are given (the pinger always gives them); the kernel checks them too.
    """
    view = memoryview(message).cast("B")
    if len(view) < _ECHO_HEADER_SIZE:
        return None
    kind, code, _checksum, identifier, sequence = _ECHO_HEADER.unpack_from(view)
    if code != 0:
        return None
    if family == socket.AF_INET6:
        if kind != ICMPV6_ECHO_REPLY:
            return None
        if source is not None and destination is not None:
            pseudo = _ipv6_pseudo_header(source, destination, len(view))
            if _calculate_checksum(pseudo + view.tobytes()) != 0:
                return None
    else:
        if kind != ICMP_ECHO_REPLY or _calculate_checksum(view) != 0:
            return None
    return EchoReply(identifier, sequence, view[_ECHO_HEADER_SIZE:].tobytes())


@dataclass
class _Outstanding:
    """An echo request waiting for its reply."""

    future: "asyncio.Future[bool]"
    address: IpAddress
    identifier: Optional[int]  # None: a datagram socket, whose kernel owns the identifier
    payload: bytes


class _EchoSocket:
    """One non-blocking ICMP socket of one family, registered with the loop, and its outstanding requests."""

    def __init__(self, loop: asyncio.AbstractEventLoop, family: int, mode: IcmpMode, ttl: int) -> None:
        kind = socket.SOCK_RAW if mode is IcmpMode.RAW else socket.SOCK_DGRAM
        try:
            sock = socket.socket(family, kind, _icmp_protocol(family))
        except OSError as e:
            raise IcmpNotAvailableError(
                f"cannot open a {mode.value} {_family_name(family)} ICMP socket: {e}"
            ) from e
        try:
            sock.setblocking(False)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
            else:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
            if mode is IcmpMode.RAW:
                _install_echo_reply_filter(sock, family)
            loop.add_reader(sock.fileno(), self._on_readable)
        except BaseException:
            sock.close()
            raise
        self._loop = loop
        self._sock = sock
        self.family = family
        self.mode = mode
        self._ancillary_size = socket.CMSG_SPACE(20) if family == socket.AF_INET6 else 0
        self.outstanding: Dict[int, _Outstanding] = {}

    def send(self, packet: bytes, sockaddr: SockAddr) -> None:
        """Send ``packet`` (``OSError`` when the kernel refuses it, e.g. no route, or a full buffer)."""
        self._sock.sendto(packet, sockaddr)

    def close(self) -> None:
        """Unregister and close the socket; outstanding requests complete as failed."""
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        for request in self.outstanding.values():
            if not request.future.done():
                request.future.set_result(False)
        self.outstanding.clear()

    def _on_readable(self) -> None:
        for _ in range(_MAX_PACKETS_PER_WAKEUP):
            try:
                data, ancillary, _flags, sockaddr = self._sock.recvmsg(_RECV_BUFFER_SIZE, self._ancillary_size)
            except BlockingIOError:
                return
            except OSError as e:  # e.g. a queued ICMP error report; the next read gets the next packet
                _logger.debug("ICMP socket read error: %s", e)
                continue
            self._on_packet(data, ancillary, sockaddr)

    def _on_packet(self, data: bytes, ancillary: List[Tuple[int, int, bytes]], sockaddr: SockAddr) -> None:
        source = _parse_ip(sockaddr[0])
        if source is None:
            return
        if self.family == socket.AF_INET6:
            destination = _pktinfo_destination(ancillary)
            if destination is None:
                return
            reply = parse_echo_reply(data, family=self.family, source=source.packed, destination=destination)
        else:
            message = parse_ipv4_packet(data) if self.mode is IcmpMode.RAW else memoryview(data)
            if message is None:
                return
            reply = parse_echo_reply(message, family=self.family)
        if reply is None:
            return
        request = self.outstanding.get(reply.sequence)
        if (
            request is None
            or request.future.done()
            or request.address != source
            or (request.identifier is not None and request.identifier != reply.identifier)
            or request.payload != reply.payload
        ):
            return
        request.future.set_result(True)


def _install_echo_reply_filter(sock: socket.socket, family: int) -> None:
    """Ask the kernel (Linux) to pass only echo replies to this raw socket; harmless where unsupported."""
    with contextlib.suppress(OSError):
        if family == socket.AF_INET6:
            blocked = [0xFFFFFFFF] * 8  # one bit per ICMPv6 type; a set bit blocks the type
            blocked[ICMPV6_ECHO_REPLY >> 5] &= ~(1 << (ICMPV6_ECHO_REPLY & 31))
            sock.setsockopt(_IPPROTO_ICMPV6, _ICMP6_FILTER, struct.pack("=8I", *blocked))
        else:
            sock.setsockopt(_SOL_RAW, _ICMP_FILTER, struct.pack("=I", ~(1 << ICMP_ECHO_REPLY) & 0xFFFFFFFF))


def _parse_ip(text: str) -> Optional[IpAddress]:
    """An IP address literal without its ``%scope`` suffix, or ``None``."""
    try:
        return ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None


def _pktinfo_destination(ancillary: List[Tuple[int, int, bytes]]) -> Optional[bytes]:
    """The destination address from an ``IPV6_PKTINFO`` control message (``struct in6_pktinfo``), if any."""
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO and len(data) >= 16:
            return bytes(data[:16])
    return None


class IcmpPinger:
    """Sends ICMP echo requests from the event loop and waits for the replies, without blocking the loop.

    One non-blocking socket per address family is opened on first use and shared by every :meth:`ping`;
    replies are matched to requests by sequence number, identifier (raw sockets), payload and source address.

    :param ttl: IPv4 time-to-live / IPv6 hop limit of the requests (1..255).
    :param mode: force :attr:`IcmpMode.RAW` or :attr:`IcmpMode.DATAGRAM`; by default each family uses
        :func:`detect_icmp_mode`.
    """

    def __init__(self, *, ttl: int = 255, mode: Optional[IcmpMode] = None) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= 255:
            raise ValueError(f"ttl must be an int in 1..255: {ttl!r}")
        self._ttl = ttl
        self._mode = mode
        self._sockets: Dict[int, _EchoSocket] = {}
        self._identifier = int.from_bytes(os.urandom(2), "big")
        self._token = os.urandom(_PAYLOAD_TOKEN_SIZE)
        self._nonces = itertools.count()
        self._next_sequence = int.from_bytes(os.urandom(2), "big")

    def mode(self, family: int = socket.AF_INET) -> IcmpMode:
        """The mode used for ``family``: the forced one, else the one detected now."""
        return self._mode if self._mode is not None else detect_icmp_mode(family)

    def open(self, family: int = socket.AF_INET) -> IcmpMode:
        """Open the socket of ``family`` now (call it on the loop), so that a permission problem shows at once.
        Returns the mode in use.

        :raises IcmpNotAvailableError: ICMP cannot be used for ``family``.
        """
        return self._socket(asyncio.get_running_loop(), family).mode

    async def ping(self, host: str, timeout: float) -> bool:
        """Send one echo request to ``host`` (an IP literal or a name, resolved through the loop) and wait up to
        ``timeout`` seconds for the reply. ``True`` if it came; ``False`` on timeout, when ``host`` does not
        resolve, or when the kernel refuses to send (no route, unreachable network).

        :raises IcmpNotAvailableError: ICMP cannot be used for the host's address family.
        """
        loop = asyncio.get_running_loop()
        name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        target = _literal_target(name)
        if target is None:
            # resolved here rather than in a helper coroutine: on CPython 3.11 a coroutine resumed by a thrown
            # exception loses the trace events of its caller (cpython#106749), which hides lines from coverage
            try:
                infos = await loop.getaddrinfo(name, 0, type=socket.SOCK_DGRAM)
            except (OSError, UnicodeError) as e:
                _logger.debug("cannot resolve %s for an ICMP ping: %s", host, e)
                return False
            sockaddr = infos[0][4]
            target = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0]), sockaddr
        address, sockaddr = target
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        echo = self._socket(loop, family)
        sequence = self._allocate_sequence(echo)
        payload = self._token + next(self._nonces).to_bytes(8, "big")
        identifier = self._identifier if echo.mode is IcmpMode.RAW else None
        future: asyncio.Future[bool] = loop.create_future()
        echo.outstanding[sequence] = _Outstanding(future, address, identifier, payload)
        try:
            try:
                echo.send(build_echo_request(self._identifier, sequence, payload, family=family), sockaddr)
            except OSError as e:
                _logger.debug("cannot send an ICMP echo request to %s: %s", host, e)
                return False
            try:
                async with asyncio.timeout(timeout):
                    return await future
            except TimeoutError:
                return False
        finally:
            echo.outstanding.pop(sequence, None)  # the sequence is ours until then: allocation skips taken ones

    def close(self) -> None:
        """Close the sockets; pings in flight return ``False``. A later :meth:`ping` opens new sockets."""
        sockets, self._sockets = self._sockets, {}
        for echo in sockets.values():
            echo.close()

    def _socket(self, loop: asyncio.AbstractEventLoop, family: int) -> _EchoSocket:
        echo = self._sockets.get(family)
        if echo is None:
            mode = self.mode(family)
            if mode is IcmpMode.UNAVAILABLE:
                raise IcmpNotAvailableError(
                    f"ICMP echo is not available for {_family_name(family)}: raw sockets need CAP_NET_RAW and "
                    "datagram ICMP sockets need the process's group inside net.ipv4.ping_group_range"
                )
            echo = self._sockets[family] = _EchoSocket(loop, family, mode, self._ttl)
        return echo

    def _allocate_sequence(self, echo: _EchoSocket) -> int:
        sequence = self._next_sequence
        while sequence in echo.outstanding:  # 65536 requests in flight on one socket cannot happen in practice
            sequence = (sequence + 1) & 0xFFFF
        self._next_sequence = (sequence + 1) & 0xFFFF
        return sequence


def _literal_target(name: str) -> Optional[Tuple[IpAddress, SockAddr]]:
    """``(address, sockaddr)`` for an IP literal without scope; ``None`` for anything to resolve (names, scoped
    IPv6 literals, which the resolver turns into a sockaddr with the scope id)."""
    address = None if "%" in name else _parse_ip(name)
    if address is None:
        return None
    return address, ((str(address), 0, 0, 0) if address.version == 6 else (str(address), 0))
