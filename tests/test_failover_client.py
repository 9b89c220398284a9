"""The failover client against real parts: real clusters (Java members on loopback, different names and ports,
or the same name and port on 127.0.0.2 / 127.0.0.3 behind a CNAME) and a real DNS server (dnsmasq on loopback)
whose CNAME records the tests rewrite.

Scenarios: blue killed -> green takes over while a map loop goes on (schemas re-sent, listeners re-registered);
green killed -> back to a restarted blue; every cluster down -> shutdown after ``try_count`` rounds with the
configured backoff; a CNAME flip (both clusters up) is followed within TTL + check interval; a DNS outage changes
nothing; a new cluster on the same address (cluster id change) is a switch. How long each switch took (from the
kill / flip to the first successful operation on the new cluster) is shown in the terminal summary ("measured");
only functional bounds are asserted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import time
import uuid
from typing import Any, List, Optional, Tuple

import pytest

from _clients import Person, eventually, socket_count, start_client
from hazelcast import HazelcastClient
from hazelcast.config import Config
from hazelcast.errors import (
    ClientNotActiveError,
    IllegalStateError,
    InvalidConfigurationError,
    TargetDisconnectedError,
)
from hazelcast.failover import ClusterConfig, CNAMEAnswer, FailoverConfig
from hazelcast.lifecycle import LifecycleState
from hazelcast.network.ssl_config import SSLConfig
from hazelcast.testing.dns import DnsmasqServer
from hazelcast.testing.members import HazelcastCluster, free_port

pytestmark = pytest.mark.integration

FAST = dict(
    cluster_connect_timeout=2.0,
    retry_initial_backoff=0.1,
    retry_max_backoff=0.3,
    invocation_timeout=60.0,
    invocation_retry_pause=0.2,
)
"""Shared client options: two seconds per cluster before moving on, short backoff."""


# -- helpers ------------------------------------------------------------------------------------------------------


@pytest.fixture
def switch_times(measured: List[str]) -> Any:
    """Collects ``(scenario, seconds)``; shown in the terminal summary under "measured"."""

    class Times:
        def append(self, item: Tuple[str, float]) -> None:
            measured.append(f"failover switch time: {item[0]}: {item[1]:.3f} s")

    return Times()


def static_cluster(cluster: HazelcastCluster, **options: Any) -> ClusterConfig:
    return ClusterConfig(cluster_name=cluster.cluster_name, cluster_members=cluster.addresses, **options)


class MapLoop:
    """put / get on one map, one operation at a time, as an application would; records each success with the
    cluster id it was done on. A put in flight when its connection breaks may fail (Map.Put is not retryable);
    a get must never fail."""

    def __init__(self, client: HazelcastClient, imap: Any) -> None:
        self.client = client
        self.map = imap
        self.ok: List[Tuple[float, Optional[uuid.UUID]]] = []
        self.put_errors: List[BaseException] = []
        self.task: Optional[asyncio.Task] = None

    def start(self) -> "MapLoop":
        self.task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        i = 0
        while True:
            i += 1
            key = f"k{i % 50}"
            before = self.client._manager.cluster_id
            try:
                await self.map.put(key, i)
            except TargetDisconnectedError as e:
                self.put_errors.append(e)
                continue
            value = await self.map.get(key)
            after = self.client._manager.cluster_id
            if before == after:
                assert value == i, (key, value, i)
            self.ok.append((time.monotonic(), after))

    def first_success_after(self, t: float, cluster_ids: Any) -> Optional[float]:
        """When the first operation after ``t`` succeeded on a cluster not in ``cluster_ids``."""
        for at, cluster_id in self.ok:
            if at > t and cluster_id not in cluster_ids:
                return at
        return None

    async def wait_successes(self, n: int) -> None:
        target = len(self.ok) + n
        await eventually(lambda: len(self.ok) >= target or (self.task is not None and self.task.done()), timeout=30)
        self.check()

    def check(self) -> None:
        assert self.task is not None
        if self.task.done():
            self.task.result()  # a failed get (or a wrong value) surfaces here

    async def stop(self) -> None:
        self.check()
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def after_index(states: List[LifecycleState], index: int) -> List[LifecycleState]:
    return states[index:]


class DeadCluster:
    """A loopback TCP endpoint that accepts connections and closes them at once: a cluster that never answers.
    Records when each connection attempt arrived."""

    def __init__(self) -> None:
        self.accepted: List[float] = []
        self.server: Optional[asyncio.base_events.Server] = None
        self.port = 0

    async def start(self) -> "DeadCluster":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted.append(time.monotonic())
        writer.transport.abort()

    def config(self, name: str) -> ClusterConfig:
        return ClusterConfig(cluster_name=name, cluster_members=[f"127.0.0.1:{self.port}"])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def runs(events: List[Tuple[float, str]]) -> List[Tuple[str, List[float]]]:
    """Consecutive connection attempts to the same cluster, grouped: [(name, [times...]), ...]."""
    out: List[Tuple[str, List[float]]] = []
    for at, name in sorted(events):
        if out and out[-1][0] == name:
            out[-1][1].append(at)
        else:
            out.append((name, [at]))
    return out


# -- the API ------------------------------------------------------------------------------------------------------


def test_failover_client_configuration_errors(tmp_path):
    config = FailoverConfig(clusters=[ClusterConfig(cluster_name="a", cluster_members=["127.0.0.1:1"])])
    with pytest.raises(InvalidConfigurationError, match="base_config"):
        HazelcastClient(Config(), failover_config=config)
    with pytest.raises(InvalidConfigurationError, match="base_config"):
        HazelcastClient(failover_config=config, cluster_name="x")
    with pytest.raises(InvalidConfigurationError, match="FailoverConfig"):
        HazelcastClient(failover_config={"clusters": []})  # type: ignore[arg-type]
    with pytest.raises(InvalidConfigurationError, match="no clusters"):
        HazelcastClient(failover_config=FailoverConfig())
    bad_tls = ClusterConfig(cluster_name="b", cluster_members=["127.0.0.1:2"],
                            ssl_config=SSLConfig(enabled=True, cafile=str(tmp_path / "missing.pem")))
    with pytest.raises(InvalidConfigurationError, match="ssl_cafile"):
        HazelcastClient(failover_config=FailoverConfig(clusters=[config.clusters[0], bad_tls]))
    client = HazelcastClient(failover_config=config)
    assert client.failover_config is not config and client.failover_config.clusters == config.clusters
    assert client.config.cluster_name == "a" and client.config.cluster_connect_timeout == 120.0
    assert HazelcastClient().failover_config is None
    import hazelcast

    assert hazelcast.FailoverConfig is FailoverConfig and hazelcast.ClusterConfig is ClusterConfig
    with pytest.raises(AttributeError):
        hazelcast.NoSuchThing  # noqa: B018


async def test_start_skips_clusters_that_are_down_or_do_not_resolve(hazelcast_cluster):
    dns = DnsmasqServer(ttl=1)
    dns.start()
    dead = await DeadCluster().start()
    try:
        states: List[LifecycleState] = []
        failover = FailoverConfig(
            try_count=2,
            base_config=Config(**{**FAST, "cluster_connect_timeout": 0.3}, lifecycle_listeners=[states.append]),
            dns_nameservers=[dns.address], dns_port=dns.port, dns_timeout=1.0,
        )
        failover.add_cname_cluster("nowhere", "missing.hz.test", port=5701)
        failover.add_cluster(dead.config("dead"))
        failover.add_cluster(static_cluster(hazelcast_cluster))
        async with HazelcastClient(failover_config=failover) as client:
            assert client.config.cluster_name == hazelcast_cluster.cluster_name
            assert client._selector.history == ["nowhere", "dead", hazelcast_cluster.cluster_name]
            assert client._selector.failed == 0  # connected: the count starts again
            m = await client.get_map("skip-" + uuid.uuid4().hex[:6])
            await m.put("k", 1)
            assert await m.get("k") == 1
            assert dead.accepted  # the dead cluster was tried (until its connect timeout)
        assert failover.get_current_cluster().cluster_name == "nowhere"  # the user's config is not moved
        assert LifecycleState.CHANGED_CLUSTER not in states  # the first cluster reached is no change
    finally:
        await dead.close()
        dns.close()


async def test_following_a_cname_without_a_connection():
    failover = FailoverConfig(base_config=Config(**FAST), clusters=[ClusterConfig(cluster_name="a",
                                                                                  cluster_members=["127.0.0.1:1"])])
    failover.add_cname_cluster("dns", "cluster.hz.test", port=5801, priority=-1)
    client = HazelcastClient(failover_config=failover)
    cluster, other = client.failover_config.clusters
    blue = CNAMEAnswer("cluster.hz.test", "blue.hz.test", ("127.0.0.2",), 1, 0.0)
    manager = client._manager
    generation = manager._generation
    # new addresses of the same target: used from now on, nothing is abandoned
    await client._follow_cname(cluster, blue, dataclasses.replace(blue, addresses=("127.0.0.2", "127.0.0.5")))
    assert client.config.cluster_members == ["127.0.0.2:5801", "127.0.0.5:5801"] and manager.config is client.config
    assert manager._generation == generation
    # a new target while not connected: re-pointed at once (nothing to drain)
    green = dataclasses.replace(blue, target="green.hz.test", addresses=("127.0.0.3",))
    await client._follow_cname(cluster, blue, green)
    assert manager.config.cluster_members == ["127.0.0.3:5801"] and manager._generation == generation + 1
    # a change reported for a cluster the client has left meanwhile is ignored
    await client._follow_cname(other, green, blue)
    assert manager.config.cluster_members == ["127.0.0.3:5801"]
    await client.shutdown()
    await client._follow_cname(cluster, green, blue)  # shut down: ignored
    assert manager.config.cluster_members == ["127.0.0.3:5801"]


# -- every cluster down -----------------------------------------------------------------------------------------


async def test_every_cluster_down_at_start_gives_up_after_try_count_rounds_with_the_backoff():
    a, b = await DeadCluster().start(), await DeadCluster().start()
    try:
        states: List[LifecycleState] = []
        base = Config(cluster_connect_timeout=0.5, retry_initial_backoff=0.1, retry_multiplier=2.0,
                      retry_max_backoff=0.4, lifecycle_listeners=[states.append])
        client = HazelcastClient(failover_config=FailoverConfig(try_count=2, base_config=base,
                                                                clusters=[a.config("A"), b.config("B")]))
        with pytest.raises(IllegalStateError, match=r"any cluster \(A, B\) in 2 round\(s\) \(4 attempts\)") as info:
            await client.start()
        assert "cluster_connect_timeout" in str(info.value.__cause__)
        assert states == [LifecycleState.STARTING, LifecycleState.SHUTTING_DOWN, LifecycleState.SHUTDOWN]
        assert client._selector.history == ["A", "B", "A", "B"]
        attempts = runs([(t, "A") for t in a.accepted] + [(t, "B") for t in b.accepted])
        assert [name for name, _ in attempts] == ["A", "B", "A", "B"]  # round robin, two rounds, then stop
        for name, times in attempts:
            # each cluster gets rounds 100 ms, 200 ms, then the rest of its 500 ms apart (Java's WaitStrategy)
            assert 2 <= len(times) <= 6, (name, times)
            gaps = [later - earlier for earlier, later in zip(times, times[1:])]
            assert gaps[0] >= 0.095 and (len(gaps) < 3 or gaps[1] >= 0.195), (name, gaps)
    finally:
        await a.close()
        await b.close()


async def test_losing_every_cluster_shuts_down_and_fails_pending_calls_with_the_cause(cluster_factory):
    blue = cluster_factory(size=1)
    dead = await DeadCluster().start()
    try:
        states: List[LifecycleState] = []
        base = Config(**{**FAST, "cluster_connect_timeout": 0.5}, lifecycle_listeners=[states.append])
        failover = FailoverConfig(try_count=2, base_config=base, clusters=[static_cluster(blue), dead.config("dead")])
        client = await HazelcastClient.create_and_start(failover_config=failover)
        m = await client.get_map("lost")
        await m.put("k", 1)
        blue.members[0].kill()
        pending = asyncio.get_running_loop().create_task(m.get("k"))  # retryable: waits through the switching
        await eventually(lambda: LifecycleState.SHUTDOWN in states, timeout=30)
        with pytest.raises(ClientNotActiveError, match="unable to connect to any cluster") as info:
            await pending
        assert isinstance(info.value.__cause__, IllegalStateError) and "2 round(s)" in str(info.value.__cause__)
        assert client._selector.history == [blue.cluster_name, "dead", blue.cluster_name, "dead"]
        assert states[-3:] == [LifecycleState.DISCONNECTED, LifecycleState.SHUTTING_DOWN, LifecycleState.SHUTDOWN]
        # the dead cluster was tried twice: two bursts of attempts (backoff <= 0.3 s apart), with blue's 0.5 s between
        gaps = [later - earlier for earlier, later in zip(dead.accepted, dead.accepted[1:])]
        assert len([g for g in gaps if g > 0.45]) == 1, gaps
        with pytest.raises(ClientNotActiveError):
            await client.get_map("after")
        await client.shutdown()
    finally:
        await dead.close()


# -- blue / green with static addresses ---------------------------------------------------------------------------


async def test_blue_killed_then_green_killed_the_client_follows_and_the_loop_goes_on(cluster_factory, caplog,
                                                                                     switch_times):
    caplog.set_level(logging.WARNING, logger="hazelcast")
    blue = cluster_factory(size=1)
    green = cluster_factory(size=1)
    assert blue.cluster_name != green.cluster_name and blue.addresses != green.addresses
    states: List[LifecycleState] = []
    failover = FailoverConfig(try_count=5, base_config=Config(**FAST, lifecycle_listeners=[states.append]),
                              clusters=[static_cluster(blue), static_cluster(green)])
    client = await HazelcastClient.create_and_start(failover_config=failover)
    reader: Optional[HazelcastClient] = None
    try:
        people = await client.get_map("people")
        events: List[Any] = []
        await people.add_entry_listener(include_value=True, added_func=events.append)
        await people.put("ada", Person("Ada", 36, ["math"]))  # Compact: blue gets the schema
        data = client.serialization_service.to_data(Person("x", 1, []))
        schema_id = int.from_bytes(bytes(data)[8:16], "big", signed=True)
        await eventually(lambda: len(events) == 1)
        blue_id = client._manager.cluster_id
        loop = MapLoop(client, await client.get_map("loop")).start()
        await loop.wait_successes(20)

        # blue dies: after its connect timeout the client moves to green
        mark = len(states)
        killed_at = time.monotonic()
        blue.members[0].kill()
        await eventually(lambda: loop.first_success_after(killed_at, {blue_id}) is not None, timeout=60)
        switch_times.append(("blue killed -> green (static, connect timeout 2 s)",
                             loop.first_success_after(killed_at, {blue_id}) - killed_at))
        green_id = client._manager.cluster_id
        assert client.config.cluster_name == green.cluster_name and client.config.cluster_members == green.addresses
        assert client.failover_config.get_current_cluster().cluster_name == green.cluster_name
        assert after_index(states, mark) == [LifecycleState.DISCONNECTED, LifecycleState.CONNECTED,
                                             LifecycleState.CHANGED_CLUSTER]
        await loop.wait_successes(20)

        # green has the Compact schema before any Compact value was written there (SendAllSchemas) ...
        reader = await start_client(green, compact_serializers=[Person])
        assert await reader._schema_service._replicator.fetch_schema(schema_id) is not None
        # ... Compact values written now are readable there, and the entry listener lives on green
        await people.put("grace", Person("Grace", 45, ["navy"]))
        assert await (await reader.get_map("people")).get("grace") == Person("Grace", 45, ["navy"])
        assert await people.get("grace") == Person("Grace", 45, ["navy"])
        await eventually(lambda: [e.key for e in events] == ["ada", "grace"], timeout=30)
        await reader.shutdown()
        reader = None

        # blue comes back (a new cluster on the same address); green dies: back to blue
        blue.members[0].start()
        await blue.members[0].wait_ready_async()
        mark = len(states)
        killed_at = time.monotonic()
        green.members[0].kill()
        await eventually(lambda: loop.first_success_after(killed_at, {blue_id, green_id}) is not None, timeout=60)
        switch_times.append(("green killed -> blue restarted (static, connect timeout 2 s)",
                             loop.first_success_after(killed_at, {blue_id, green_id}) - killed_at))
        assert client.config.cluster_name == blue.cluster_name
        assert after_index(states, mark) == [LifecycleState.DISCONNECTED, LifecycleState.CONNECTED,
                                             LifecycleState.CHANGED_CLUSTER]
        await people.put("hopper", Person("Hopper", 85, []))
        await eventually(lambda: [e.key for e in events] == ["ada", "grace", "hopper"], timeout=30)
        await loop.wait_successes(20)
        await loop.stop()
        # a put in flight at each kill may fail (it is not retryable); nothing else did
        assert len(loop.put_errors) <= 2, loop.put_errors
        assert client._selector.history == [blue.cluster_name, green.cluster_name, blue.cluster_name]
        # OSS members say "no failover": logged once per cluster (blue, green, restarted blue), not per connection
        warned = [r.getMessage() for r in caplog.records if "does not support failover" in r.getMessage()]
        assert len(warned) == 3 and len({w.split("(id ")[1].split(",")[0] for w in warned}) == 3
    finally:
        if reader is not None:
            await reader.shutdown()
        await client.shutdown()


# -- blue / green behind a CNAME ----------------------------------------------------------------------------------


def _free_on_both(hosts: Tuple[str, ...]) -> int:
    for _ in range(50):
        port = free_port(hosts[0])
        try:
            for host in hosts[1:]:
                with socket.socket() as s:
                    s.bind((host, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no port free on every host")


@pytest.fixture
def cname_clusters():
    """blue on 127.0.0.2 and green on 127.0.0.3, same cluster name and port; dnsmasq serving
    blue.hz.test / green.hz.test and the CNAME cluster.hz.test -> blue.hz.test (TTL 1 s)."""
    port = _free_on_both(("127.0.0.2", "127.0.0.3"))
    name = f"bg-{uuid.uuid4().hex[:8]}"
    blue = HazelcastCluster(1, cluster_name=name, host="127.0.0.2", ports=[port])
    green = HazelcastCluster(1, cluster_name=name, host="127.0.0.3", ports=[port])
    dns = DnsmasqServer(ttl=1)
    dns.hosts.update({"blue.hz.test": "127.0.0.2", "green.hz.test": "127.0.0.3"})
    dns.cnames["cluster.hz.test"] = "blue.hz.test"
    try:
        blue.start()
        green.start()
        dns.start()
        yield blue, green, dns, port
    finally:
        dns.close()
        blue.shutdown()
        green.shutdown()


async def test_cname_flip_is_followed_while_both_clusters_are_up(cname_clusters, caplog, switch_times):
    blue, green, dns, port = cname_clusters
    caplog.set_level(logging.INFO, logger="hazelcast")
    sockets_before = socket_count()
    tasks_before = set(asyncio.all_tasks())
    states: List[LifecycleState] = []
    interval, ttl = 0.5, dns.ttl
    failover = FailoverConfig(try_count=10, base_config=Config(**FAST, lifecycle_listeners=[states.append]),
                              cname_check_interval=interval, dns_nameservers=[dns.address], dns_port=dns.port,
                              dns_timeout=0.5, dns_grace_period=1.0, switch_drain_timeout=30.0)
    failover.add_cname_cluster(blue.cluster_name, "cluster.hz.test", port=port)
    client = await HazelcastClient.create_and_start(failover_config=failover)
    try:
        assert client.config.cluster_members == [f"127.0.0.2:{port}"]
        assert all(c.remote_address.host == "127.0.0.2" for c in client._manager.get_active_connections())
        blue_id = client._manager.cluster_id
        events: List[Any] = []
        watched = await client.get_map("watched")
        await watched.add_entry_listener(added_func=events.append)
        loop = MapLoop(client, await client.get_map("loop")).start()
        await loop.wait_successes(10)
        watcher = client._watcher
        assert watcher is not None and watcher.running

        # a DNS outage longer than TTL + grace: logged, nothing moves (no flapping)
        dns.stop()
        checks = watcher.checks
        await eventually(lambda: watcher.checks >= checks + 6, timeout=30)  # ~3 s of failing lookups
        assert "CNAME watcher" in caplog.text and "keeping blue.hz.test" in caplog.text
        assert client._manager.cluster_id == blue_id and LifecycleState.DISCONNECTED not in states
        await loop.wait_successes(10)
        dns.start()
        await eventually(lambda: "resolves again" in caplog.text, timeout=10)
        assert client._manager.cluster_id == blue_id

        # the flip: blue stays up, the client leaves it for green within TTL + one check interval
        mark = len(states)
        dns.set_cname("cluster.hz.test", "green.hz.test")
        flipped_at = time.monotonic()
        await eventually(lambda: loop.first_success_after(flipped_at, {blue_id}) is not None, timeout=30)
        took = loop.first_success_after(flipped_at, {blue_id}) - flipped_at
        switch_times.append((f"CNAME flipped blue -> green (TTL {ttl} s, check every {interval} s)", took))
        assert took < ttl + interval + FAST["cluster_connect_timeout"] + 5  # a functional bound, not a benchmark
        assert blue.members[0].is_running
        green_id = client._manager.cluster_id
        assert client.config.cluster_members == [f"127.0.0.3:{port}"]
        assert all(c.remote_address.host == "127.0.0.3" for c in client._manager.get_active_connections())
        assert after_index(states, mark) == [LifecycleState.DISCONNECTED, LifecycleState.CONNECTED,
                                             LifecycleState.CHANGED_CLUSTER]
        assert loop.put_errors == []  # requests in flight finished on blue; new ones waited for green
        await watched.put("on-green", 1)
        await eventually(lambda: [e.key for e in events] == ["on-green"], timeout=30)

        # a new cluster on the same address (same name and port, new cluster id): handled as a switch
        mark = len(states)
        killed_at = time.monotonic()
        green.members[0].kill()
        green.members[0].start()
        await eventually(lambda: loop.first_success_after(killed_at, {blue_id, green_id}) is not None, timeout=60)
        switch_times.append(("green replaced by a new cluster on the same address",
                             loop.first_success_after(killed_at, {blue_id, green_id}) - killed_at))
        assert after_index(states, mark)[0] == LifecycleState.DISCONNECTED
        assert after_index(states, mark)[-2:] == [LifecycleState.CONNECTED, LifecycleState.CHANGED_CLUSTER]
        assert [m.address.host for m in client.cluster_service.get_members()] == ["127.0.0.3"]
        assert client.partition_service.partition_count == 271
        await watched.put("on-new-green", 2)
        await eventually(lambda: [e.key for e in events] == ["on-green", "on-new-green"], timeout=30)
        await loop.wait_successes(10)
        await loop.stop()
        assert len(loop.put_errors) <= 1
        new_green_id = client._manager.cluster_id

        # flip back to blue while a request waits on a frozen green member: it completes there before the switch
        drain = await client.get_map("drain")
        await drain.put("x", "green")
        green.members[0].freeze()
        try:
            pending = asyncio.get_running_loop().create_task(drain.get("x"))
            await eventually(lambda: client._invocations.pending_on(set(client._manager.get_active_connections())))
            dns.set_cname("cluster.hz.test", "blue.hz.test")
            await eventually(lambda: not client._manager.initialized_on_cluster, timeout=10)  # holding, draining
            assert not pending.done() and client._manager.cluster_id == new_green_id
            assert client._manager.is_connected
        finally:
            green.members[0].thaw()
        assert await pending == "green"
        await eventually(lambda: client._manager.cluster_id == blue_id and client._manager.initialized_on_cluster,
                         timeout=30)
        assert await drain.get("x") is None  # blue never had it
        assert states.count(LifecycleState.CHANGED_CLUSTER) == 3
    finally:
        await client.shutdown()
    assert set(asyncio.all_tasks()) <= tasks_before  # no watcher, reconnect or connect task left behind
    await eventually(lambda: socket_count() <= sockets_before, timeout=10)
