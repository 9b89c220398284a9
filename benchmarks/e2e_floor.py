"""The member-bound floor of the end-to-end benchmark: what the member and the kernel allow on this machine.

Not a client anyone would use: one blocking socket, authenticated by hand, replaying requests that were encoded
before the clock starts (the same Map.Put / Map.Get requests, keys, values and partition ids our client sends), with
``tasks`` requests kept in flight and responses only counted (frames found by the compiled ``MessageReader``). Its
ops/s is an upper bound for any Python client on the same machine and member: whatever a client does per
operation beyond this (serialization, futures, the event loop) only lowers it. The e2e driver prints it next to
the clients so the targets can be read against it.

Served like the other clients (``e2e_workload.serve`` protocol: one scenario per stdin line, one JSON line back).

Usage: python benchmarks/e2e_floor.py <cluster name> <member address> -1 0
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import e2e_workload as w  # noqa: E402
from e2e_client import Address, Person  # noqa: E402

import hazelcast  # noqa: E402
from hazelcast import HazelcastClient  # noqa: E402
from hazelcast.protocol import MessageReader  # noqa: E402
from hazelcast.protocol.codecs import client as client_codec  # noqa: E402
from hazelcast.protocol.codecs import map as map_codec  # noqa: E402

REQUESTS = 2048
"""Distinct pre-encoded requests per scenario (keys ``key-0`` .. ``key-2047``), replayed in a cycle."""


def _connect(cluster_name: str, member: str) -> socket.socket:
    host, port = member.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    auth = client_codec.encode_authentication_request(
        cluster_name, None, None, uuid.uuid4(), "5.7.0", "floor", [], 1  # routing mode SINGLE_MEMBER
    )
    auth.set_request_header(1, -1, 0)
    sock.sendall(b"CP2" + auth.to_bytes())
    reader = MessageReader()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("the member closed the floor connection during authentication")
        messages = reader.feed(chunk)
        if messages:
            response = client_codec.decode_authentication_response(messages[0])
            if response.status != 0:
                raise SystemExit(f"floor authentication failed with status {response.status}")
            return sock


def _requests(client: HazelcastClient, op: str, value: object) -> list:
    serialization = client._serialization
    partitions = client._partitions
    value_data = serialization.to_bytes(value)
    out = []
    for i in range(REQUESTS):
        key_data = serialization.to_bytes("key-%d" % i)
        if op == "put":
            request = map_codec.encode_put_request("e2e-floor", key_data, value_data, 1, -1)
        else:
            request = map_codec.encode_get_request("e2e-floor", key_data, 1)
        request.set_request_header(i + 10, partitions.get_partition_id(key_data), 0)
        out.append(request.to_bytes())
    return out


def run(sock: socket.socket, requests: list, tasks: int, seconds: float) -> dict:
    """Keep ``tasks`` requests in flight for ``seconds``; counts completed responses."""
    reader = MessageReader()
    n = len(requests)
    sent = 0
    done = 0
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    wall, cpu = time.perf_counter(), time.process_time()
    deadline = wall + seconds
    sock.sendall(b"".join(requests[(sent + k) % n] for k in range(tasks)))
    sent += tasks
    stopping = False
    while done < sent:
        got = sock.recv_into(buffer)
        if not got:
            raise SystemExit("the member closed the floor connection")
        finished = len(reader.feed(view[:got]))
        done += finished
        if not stopping and time.perf_counter() >= deadline:
            stopping = True
        if not stopping and finished:
            sock.sendall(b"".join(requests[(sent + k) % n] for k in range(finished)))
            sent += finished
    return {"ops": done, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


async def main(cluster_name: str, member: str) -> None:
    async with HazelcastClient(cluster_name=cluster_name, cluster_members=[member]) as client:
        person = Person(address=Address(**w.ADDRESS), **w.PERSON)
        values = {"string": w.SHORT_STRING, "person": person}
        m = await client.get_map("e2e-floor")
        await m.put("key-0", person)  # the Person schema reaches the member before raw requests carry it
        sock = _connect(cluster_name, member)
        cache: dict = {}
        print(json.dumps({"ready": True, "client": "floor"}), flush=True)
        loop = asyncio.get_running_loop()
        try:
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line.strip():
                    return
                op, kind, tasks, seconds, warmup = line.split()
                if (op, kind) not in cache:
                    cache[(op, kind)] = _requests(client, op, values[kind])
                if float(warmup) > 0:
                    run(sock, cache[(op, kind)], int(tasks), float(warmup))
                result = run(sock, cache[(op, kind)], int(tasks), float(seconds))
                result.update(op=op, value=kind, tasks=int(tasks))
                print(json.dumps(result), flush=True)
        finally:
            sock.close()


if __name__ == "__main__":
    assert hazelcast.BACKEND == "compiled" or os.environ.get("HAZELCAST_NO_EXTENSIONS")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
