"""Address parsing, default ports and resolution through the event loop."""

import socket

import pytest

from hazelcast.errors import HazelcastIOError, InvalidConfigurationError
from hazelcast.network.address import Address, addresses_to_try, candidate_addresses, parse_address, resolve


@pytest.mark.parametrize(
    "text, expected",
    [
        ("127.0.0.1", ("127.0.0.1", None)),
        ("  127.0.0.1:5702 ", ("127.0.0.1", 5702)),
        ("localhost:1", ("localhost", 1)),
        ("member-1.example", ("member-1.example", None)),
        ("[::1]:5701", ("::1", 5701)),
        ("[::1]", ("::1", None)),
        ("::1", ("::1", None)),
        ("fe80::1%eth0", ("fe80::1%eth0", None)),
        ("[fe80::1%eth0]:65535", ("fe80::1%eth0", 65535)),
    ],
)
def test_parse(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("[::1", "unclosed"),
        ("[::1]x", "unexpected"),
        ("[nothost]:1", "not an IPv6"),
        ("host:0", "outside 1..65535"),
        ("host:65536", "outside 1..65535"),
        ("host:abc", "invalid port"),
        ("host:", "invalid port"),
        (":5701", "invalid host"),
        ("a b:1", "invalid host"),
        ("a/b", "invalid host"),
        ("1:2:3:x", "neither host:port nor an IPv6"),
        ("[::1]:-1", "invalid port"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(InvalidConfigurationError, match=message):
        parse_address(text)


def test_parse_rejects_non_strings():
    with pytest.raises(InvalidConfigurationError, match="must be a string"):
        parse_address(5701)  # type: ignore[arg-type]


def test_default_port_range():
    assert candidate_addresses("10.0.0.1") == (
        [Address("10.0.0.1", 5701)],
        [Address("10.0.0.1", 5702), Address("10.0.0.1", 5703)],
    )
    assert candidate_addresses("10.0.0.1:6000") == ([Address("10.0.0.1", 6000)], [])


def test_addresses_to_try_dedups_and_defaults():
    primary, secondary = addresses_to_try(["a", "a:5702", "b:7000", "a"])
    assert primary == [Address("a", 5701), Address("a", 5702), Address("b", 7000)]
    assert secondary == [Address("a", 5703)]
    assert addresses_to_try([]) == (
        [Address("127.0.0.1", 5701)],
        [Address("127.0.0.1", 5702), Address("127.0.0.1", 5703)],
    )


def test_address_equality_hash_and_str():
    assert Address("h", 1) == Address("h", 1)
    assert hash(Address("h", 1)) == hash(Address("h", 1))
    assert Address("h", 1) != Address("h", 2)
    assert len({Address("h", 1), Address("h", 1), Address("h", 2)}) == 2
    assert str(Address("10.0.0.1", 5701)) == "10.0.0.1:5701"
    assert str(Address("::1", 5701)) == "[::1]:5701"
    assert Address("h", 1).host == "h"


async def test_resolve_loopback_names():
    resolved = await resolve(Address("127.0.0.1", 5701))
    assert resolved == [(socket.AF_INET, ("127.0.0.1", 5701))]
    resolved = await resolve(Address("localhost", 80))
    assert resolved and all(r.sockaddr[1] == 80 for r in resolved)
    assert len(set(resolved)) == len(resolved)


async def test_resolve_failure_is_an_io_error(monkeypatch):
    # fault injection: the resolver fails (no real DNS traffic leaves the machine)
    import asyncio

    loop = asyncio.get_running_loop()

    async def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(loop, "getaddrinfo", fail)
    with pytest.raises(HazelcastIOError, match="cannot resolve no-such-host:5701"):
        await resolve(Address("no-such-host", 5701))
