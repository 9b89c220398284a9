"""Helpers for the client tests against real members: clients on a cluster, waiting for conditions, and the
records used as Compact values."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from typing import Annotated, Any, Callable, List

from hazelcast.client import HazelcastClient
from hazelcast.serialization import FieldKind

I32 = Annotated[int, FieldKind.INT32]


@dataclasses.dataclass
class Person:
    """A zero-config Compact record (type name ``client.Person``)."""

    __compact_type_name__ = "client.Person"
    name: str
    age: I32
    tags: List[str]


@dataclasses.dataclass
class Address:
    """A second Compact record (type name ``client.Address``)."""

    __compact_type_name__ = "client.Address"
    street: str
    zip_code: I32


def client_options(cluster: Any, **options: Any) -> dict:
    """Options connecting to ``cluster`` (a HazelcastCluster), quick to give up when it is gone."""
    base = dict(
        cluster_name=cluster.cluster_name,
        cluster_members=list(cluster.addresses),
        retry_initial_backoff=0.1,
        retry_max_backoff=0.5,
        invocation_timeout=60.0,
    )
    base.update(options)
    return base


async def start_client(cluster: Any, **options: Any) -> HazelcastClient:
    """A started client on ``cluster``."""
    return await HazelcastClient.create_and_start(**client_options(cluster, **options))


async def eventually(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.02) -> None:
    """Wait until ``predicate()`` is true, or fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


def socket_count() -> int:
    """Open sockets of this process (Linux)."""
    fds = os.listdir("/proc/self/fd")
    count = 0
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count
