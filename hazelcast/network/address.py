"""Member addresses: parsing, the default port range, and resolution through the event loop.

* :class:`Address` is an immutable ``(host, port)`` pair; equal addresses hash equally.
* :func:`parse_address` accepts ``host``, ``host:port``, ``[v6]``, ``[v6]:port`` and a bare IPv6 literal.
* :func:`candidate_addresses` expands a configured address without a port to 5701 (primary), then 5702 and 5703
  (secondary), as Java's ``AddressHelper`` does (``docs/protocol.md`` §8.4).
* :func:`resolve` turns a host name into socket addresses with ``loop.getaddrinfo`` at connect time, so every
  reconnect sees DNS changes; nothing is cached here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Iterable, List, NamedTuple, Optional, Tuple

from hazelcast.errors import HazelcastIOError, InvalidConfigurationError

DEFAULT_PORT = 5701
"""The first port a member listens on by default."""
PORT_TRIES = 3
"""Ports tried for an address given without one: 5701, 5702, 5703."""


class Address(NamedTuple):
    """A member endpoint: ``host`` (name or IP literal, IPv6 without brackets) and ``port``."""

    host: str
    port: int

    def __str__(self) -> str:
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


class ResolvedAddress(NamedTuple):
    """One result of :func:`resolve`: the address family and the ``sockaddr`` to connect to."""

    family: int
    sockaddr: Tuple


def _check_port(port: int, text: str) -> int:
    if not 0 < port < 65536:
        raise InvalidConfigurationError(f"port {port} of address {text!r} is outside 1..65535")
    return port


def _parse_port(value: str, text: str) -> int:
    if not value.isdigit():
        raise InvalidConfigurationError(f"invalid port {value!r} in address {text!r}")
    return _check_port(int(value), text)


def _check_host(host: str, text: str) -> str:
    if not host or any(c.isspace() for c in host) or "/" in host:
        raise InvalidConfigurationError(f"invalid host in address {text!r}")
    return host


def parse_address(text: str) -> Tuple[str, Optional[int]]:
    """Split ``text`` into ``(host, port)``; ``port`` is ``None`` when the text has none.

    Raises :class:`~hazelcast.errors.InvalidConfigurationError` for empty text, an unbalanced bracket, a port
    that is not a number in 1..65535, or whitespace in the host.
    """
    if not isinstance(text, str):
        raise InvalidConfigurationError(f"an address must be a string, got {text!r}")
    value = text.strip()
    if not value:
        raise InvalidConfigurationError("an address must not be empty")
    if value.startswith("["):
        close = value.find("]")
        if close < 0:
            raise InvalidConfigurationError(f"address {text!r} has an unclosed '['")
        host = value[1:close]
        rest = value[close + 1 :]
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise InvalidConfigurationError(f"{host!r} in address {text!r} is not an IPv6 address") from None
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise InvalidConfigurationError(f"unexpected {rest!r} after ']' in address {text!r}")
        return host, _parse_port(rest[1:], text)
    if value.count(":") > 1:
        try:
            ipaddress.IPv6Address(value.split("%", 1)[0])
        except ValueError:
            raise InvalidConfigurationError(f"address {text!r} is neither host:port nor an IPv6 address") from None
        return value, None
    if ":" in value:
        host, port = value.split(":", 1)
        return _check_host(host, text), _parse_port(port, text)
    return _check_host(value, text), None


def candidate_addresses(text: str) -> Tuple[List[Address], List[Address]]:
    """The ``(primary, secondary)`` addresses to try for one configured address.

    With a port, primary is that address and secondary is empty. Without one, primary is port 5701 and secondary
    ports 5702 and 5703.
    """
    host, port = parse_address(text)
    if port is not None:
        return [Address(host, port)], []
    return [Address(host, DEFAULT_PORT)], [Address(host, DEFAULT_PORT + i) for i in range(1, PORT_TRIES)]


def addresses_to_try(configured: Iterable[str]) -> Tuple[List[Address], List[Address]]:
    """Primary and secondary candidates of all configured addresses, without duplicates, in configuration order.

    An empty configuration means ``127.0.0.1`` (ports 5701-5703).
    """
    primary: List[Address] = []
    secondary: List[Address] = []
    items = list(configured) or ["127.0.0.1"]
    for text in items:
        first, rest = candidate_addresses(text)
        for address in first:
            if address not in primary:
                primary.append(address)
        for address in rest:
            if address not in secondary:
                secondary.append(address)
    return primary, [a for a in secondary if a not in primary]


async def resolve(address: Address, loop: Optional[asyncio.AbstractEventLoop] = None) -> List[ResolvedAddress]:
    """Resolve ``address`` to the socket addresses to try, in the resolver's order, without duplicates.

    Uses ``loop.getaddrinfo`` (a thread of the default executor; never blocks the loop). Raises
    :class:`~hazelcast.errors.HazelcastIOError` when the name does not resolve.
    """
    loop = loop or asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        raise HazelcastIOError(f"cannot resolve {address}: {e}") from e
    out: List[ResolvedAddress] = []
    for family, _, _, _, sockaddr in infos:
        item = ResolvedAddress(family, tuple(sockaddr))
        if item not in out:
            out.append(item)
    return out
