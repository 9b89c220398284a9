"""Network namespaces for the ICMP tests (Linux, root; CI runs as root).

Everything here creates its own namespaces and links, with names unique to this process, and removes them again
(also when a test fails). Traffic stays on loopback or on a veth pair into a namespace made here; a guard route
makes the veth peer's /30 unreachable, instead of routed, once the pair is gone.

* :func:`new_namespace` makes a namespace with its loopback up.
* :func:`run_in_namespace` runs a function in a thread that entered a namespace (``setns`` is per thread; a
  socket stays in the namespace it was made in), optionally without ``CAP_NET_RAW`` (``capset`` is per thread).
* :func:`new_veth_peer` connects the host to a namespace over a veth pair with a free /30 of 198.18.0.0/15.
"""

from __future__ import annotations

import ctypes
import ipaddress
import itertools
import os
import random
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, TypeVar

import pytest

T = TypeVar("T")

PREFIX = "hzfd"
_CLONE_NEWNET = 0x40000000
_CAP_NET_RAW = 13
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_counter = itertools.count()
_libc = ctypes.CDLL(None, use_errno=True)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    ip = shutil.which("ip")
    if ip is None:
        pytest.fail("the ICMP tests need iproute2's `ip` (scripts/setup_system.sh installs iproute2)")
    result = subprocess.run([ip, *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        pytest.fail(f"`ip {' '.join(args)}` failed ({result.returncode}): {result.stderr.strip()} -- the ICMP "
                    "tests need root (CAP_NET_ADMIN) to create network namespaces; CI runs as root")
    return result


def unique_name(kind: str) -> str:
    """``hzfd<pid><kind><n>``: unique on this machine while this process lives, and at most 15 characters (an
    interface name's limit; pids have at most 7 digits)."""
    name = f"{PREFIX}{os.getpid()}{kind}{next(_counter)}"
    assert len(name) <= 15, name
    return name


def remove_stale_namespaces() -> None:
    """Remove namespaces left by test processes of ours that died (their pid is in the name)."""
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        match = re.match(rf"({PREFIX}(\d+)[a-z]\d+)\b", line)
        if match and not os.path.exists(f"/proc/{match.group(2)}"):
            _ip("netns", "del", match.group(1), check=False)


def new_namespace(request: pytest.FixtureRequest) -> str:
    """A fresh namespace with loopback up, deleted when the test ends."""
    name = unique_name("n")
    _ip("netns", "add", name)
    request.addfinalizer(lambda: _ip("netns", "del", name, check=False))
    _ip("-n", name, "link", "set", "lo", "up")
    return name


def set_sysctl(namespace: str, key: str, value: str) -> None:
    """Write a per-namespace ``net.*`` sysctl inside ``namespace``."""

    def write() -> None:
        with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
            f.write(value)

    run_in_namespace(namespace, write)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_net_raw_of_this_thread() -> None:
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if _libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    data[0].effective &= ~(1 << _CAP_NET_RAW)
    data[0].permitted &= ~(1 << _CAP_NET_RAW)
    if _libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def run_in_namespace(namespace: Optional[str], function: Callable[[], T], *, without_net_raw: bool = False) -> T:
    """Run ``function`` in a new thread that entered ``namespace`` (``None``: stay) and, if asked, dropped
    ``CAP_NET_RAW``; return its result or raise its exception. The thread ends afterwards, so nothing leaks."""
    results: List[T] = []
    errors: List[BaseException] = []

    def body() -> None:
        try:
            if namespace is not None:
                fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
                try:
                    if _libc.setns(fd, _CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), f"setns into {namespace} failed")
                finally:
                    os.close(fd)
            if without_net_raw:
                _drop_net_raw_of_this_thread()
            results.append(function())
        except BaseException as e:  # handed to the caller's thread
            errors.append(e)

    thread = threading.Thread(target=body, name=f"netns-{namespace}")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


@dataclass
class VethPeer:
    """A namespace reachable from the host over a veth pair."""

    namespace: str
    host_link: str
    peer_link: str
    host_address: str
    peer_address: str
    subnet: str

    def take_peer_down(self) -> None:
        """The peer stops answering: its end of the pair goes down (the host end loses its carrier)."""
        _ip("-n", self.namespace, "link", "set", self.peer_link, "down")

    def delete_namespace(self) -> None:
        """The peer disappears: deleting the namespace destroys both ends of the pair. The kernel tears a
        namespace down in the background, so this waits until the host end is gone."""
        _ip("netns", "del", self.namespace)
        deadline = time.monotonic() + 30
        while _ip("link", "show", self.host_link, check=False).returncode == 0:
            if time.monotonic() > deadline:  # pragma: no cover - a kernel that never tears the pair down
                pytest.fail(f"{self.host_link} still exists 30 s after deleting {self.namespace}")
            time.sleep(0.02)
        route = _ip("-4", "route", "get", self.peer_address, check=False)
        assert route.returncode != 0 and "no route to host" in route.stderr.lower(), route  # guard, not gateway


_ROUTE_TYPES = {"unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit", "blackhole",
                "nat", "anycast"}


def _subnet_is_free(subnet: ipaddress.IPv4Network) -> bool:
    """No address of this host and no route other than the default one covers ``subnet``."""
    routes = _ip("-4", "route", "show", "table", "all", "to", "match", str(subnet), check=False).stdout
    for line in routes.splitlines():
        words = line.split()
        destination = words[1] if words[0] in _ROUTE_TYPES else words[0]
        if destination != "default":
            return False
    addresses = _ip("-4", "-o", "addr", "show", check=False).stdout
    return not any(
        ipaddress.ip_interface(word).network.overlaps(subnet)
        for line in addresses.splitlines()
        for word in line.split()
        if re.fullmatch(r"\d+\.\d+\.\d+\.\d+/\d+", word)
    )


def new_veth_peer(request: pytest.FixtureRequest) -> VethPeer:
    """A namespace with a veth pair to the host on a free /30 of 198.18.0.0/15 (RFC 2544 benchmarking space).
    An ``unreachable`` guard route (lower priority than the link's own route) keeps packets for that /30 on this
    machine after the pair is gone. Everything is removed when the test ends."""
    benchmark_space = ipaddress.ip_network("198.18.0.0/15")
    for _ in range(50):
        subnet = ipaddress.IPv4Network(
            f"{benchmark_space.network_address + 4 * random.randrange(benchmark_space.num_addresses // 4)}/30"
        )
        if _subnet_is_free(subnet):
            break
    else:  # pragma: no cover - 50 random picks out of 32768 all taken
        pytest.fail("no free /30 in 198.18.0.0/15")
    # finalizers run last-in first-out: the guard route goes last, after the pair and the namespace
    _ip("route", "add", "unreachable", str(subnet), "metric", "4000")
    request.addfinalizer(lambda: _ip("route", "del", "unreachable", str(subnet), "metric", "4000", check=False))
    namespace = new_namespace(request)
    host_address, peer_address = (str(a) for a in subnet.hosts())
    host_link, peer_link = unique_name("h"), unique_name("p")
    _ip("link", "add", host_link, "type", "veth", "peer", "name", peer_link)
    request.addfinalizer(lambda: _ip("link", "del", host_link, check=False))
    _ip("link", "set", peer_link, "netns", namespace)
    _ip("addr", "add", f"{host_address}/30", "dev", host_link)
    _ip("link", "set", host_link, "up")
    _ip("-n", namespace, "addr", "add", f"{peer_address}/30", "dev", peer_link)
    _ip("-n", namespace, "link", "set", peer_link, "up")
    route = _ip("-4", "route", "get", peer_address).stdout
    assert f"dev {host_link}" in route, route  # packets for the peer go over our pair and nowhere else
    return VethPeer(namespace, host_link, peer_link, host_address, peer_address, str(subnet))
