"""Failover configuration and CNAME resolution, against a real DNS server (dnsmasq) on loopback."""

from __future__ import annotations

import pytest

from hazelcast.failover import (
    INFINITE_TRY_COUNT,
    ClusterConfig,
    CNAMEResolutionError,
    CNAMEResolver,
    FailoverConfig,
    InvalidConfigurationError,
)
from hazelcast.testing.dns import DnsmasqServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dns_server():
    server = DnsmasqServer(ttl=30)
    server.hosts.update({"blue.hz.test": "127.0.0.2", "green.hz.test": "127.0.0.3", "plain.hz.test": "127.0.0.4"})
    server.cnames["cluster.hz.test"] = "blue.hz.test"
    server.start()
    yield server
    server.close()


def resolver_for(server: DnsmasqServer, name: str = "cluster.hz.test", **kwargs) -> CNAMEResolver:
    return CNAMEResolver(name, nameservers=[server.address], port=server.port, timeout=1.0, **kwargs)


# -- ClusterConfig ----------------------------------------------------------------------------------------------------


def test_cluster_config_defaults_and_addresses():
    c = ClusterConfig(cluster_name="blue", cluster_members=["127.0.0.1:5701", "[::1]:5702", " localhost", "::1"])
    assert c.cluster_members == ("127.0.0.1:5701", "[::1]:5702", "localhost", "::1")
    assert not c.is_cname_cluster
    assert ClusterConfig(cluster_name="g", cname="cluster.hz.test").is_cname_cluster


@pytest.mark.parametrize("kwargs,match", [
    ({"cluster_name": ""}, "cluster_name"),
    ({"cluster_name": 5}, "cluster_name"),
    ({"cluster_members": "127.0.0.1"}, "not a string"),
    ({"cluster_members": [""]}, "must not be empty"),
    ({"cluster_members": [5701]}, "must be a string"),
    ({"cluster_members": ["[::1"]}, "unclosed"),
    ({"cluster_members": ["[::1]5701"]}, "unexpected"),
    ({"cluster_members": [":5701"]}, "invalid host"),
    ({"cluster_members": ["host:99999"]}, "outside 1..65535"),
    ({"cluster_members": ["host:abc"]}, "invalid port"),
    ({"cname": "x.test", "ssl_config": {"enabled": True}}, "SSLConfig"),
    ({"cname": "x.test", "socket_interceptor": object()}, "on_connect"),
    ({"cluster_members": []}, "neither"),
    ({"cluster_members": ["a"], "cname": "x.test"}, "not both"),
    ({"cname": "a..b"}, "invalid cname"),
    ({"cname": "x.test", "port": 0}, "port"),
    ({"cname": "x.test", "port": True}, "port"),
    ({"cname": "x.test", "priority": "high"}, "priority"),
    ({"cname": "x.test", "username": "u"}, "together"),
])
def test_cluster_config_validation(kwargs, match):
    with pytest.raises(InvalidConfigurationError, match=match):
        ClusterConfig(**kwargs)


# -- FailoverConfig ---------------------------------------------------------------------------------------------------


def clusters(*names, priorities=None):
    priorities = priorities or [0] * len(names)
    return [ClusterConfig(cluster_name=n, cluster_members=[f"127.0.0.1:{5701 + i}"], priority=p)
            for i, (n, p) in enumerate(zip(names, priorities))]


def test_round_robin_as_java_client_failover_config():
    config = FailoverConfig(try_count=2, clusters=clusters("A", "B", "C"))
    order = [config.get_current_cluster().cluster_name]
    for _ in range(config.max_attempts - 1):
        order.append(config.switch_to_next_cluster().cluster_name)
    assert order == ["A", "B", "C", "A", "B", "C"]
    assert config.max_attempts == 6
    config.reset()
    config.switch_to_next_cluster()  # disconnected from A, now on B
    assert [config.switch_to_next_cluster().cluster_name for _ in range(3)] == ["C", "A", "B"]


def test_priority_order_is_stable():
    config = FailoverConfig()
    for c in clusters("low1", "high", "low2", "mid", priorities=[5, 0, 5, 1]):
        config.add_cluster(c)
    assert [c.cluster_name for c in config.clusters] == ["high", "mid", "low1", "low2"]
    assert config.add_cname_cluster("dns", "cluster.hz.test", priority=1) is config
    assert [c.cluster_name for c in config.clusters] == ["high", "mid", "dns", "low1", "low2"]


def test_failover_config_validation():
    assert FailoverConfig().try_count == INFINITE_TRY_COUNT
    for bad in (0, -1, True, 1.5):
        with pytest.raises(InvalidConfigurationError, match="try_count"):
            FailoverConfig(try_count=bad)
    with pytest.raises(InvalidConfigurationError, match="cname_check_interval"):
        FailoverConfig(cname_check_interval=0)
    empty = FailoverConfig()
    for call in (empty.get_current_cluster, empty.switch_to_next_cluster, lambda: empty.max_attempts):
        with pytest.raises(InvalidConfigurationError, match="no clusters"):
            call()
    with pytest.raises(InvalidConfigurationError, match="ClusterConfig"):
        empty.add_cluster({"cluster_name": "x"})
    with pytest.raises(InvalidConfigurationError, match="not a CNAME"):
        empty.resolver_for(clusters("A")[0])


async def test_static_cluster_addresses():
    config = FailoverConfig(clusters=clusters("A", "B"))
    assert await config.get_cluster_addresses() == ["127.0.0.1:5701"]
    assert await config.get_cluster_addresses(config.clusters[1]) == ["127.0.0.1:5702"]


# -- CNAMEResolver (real dnsmasq) -------------------------------------------------------------------------------------


async def test_resolves_cname_target_and_addresses(dns_server):
    answer = await resolver_for(dns_server).resolve()
    assert answer.name == "cluster.hz.test"
    assert answer.target == "blue.hz.test"
    assert answer.addresses == ("127.0.0.2",)
    assert answer.ttl == 30
    assert not answer.stale


def _hold_tcp_port() -> "socket.socket":
    import socket

    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    held.listen()
    return held


def test_dns_server_moves_to_another_port_when_its_port_is_taken(monkeypatch):
    """dnsmasq listens on UDP and TCP; a port taken on TCP alone (or taken after the check) is retried elsewhere."""
    import hazelcast.testing.dns as dns

    held = _hold_tcp_port()
    busy = held.getsockname()[1]
    ports = iter([busy, dns.free_udp_port()])
    monkeypatch.setattr(dns, "free_udp_port", lambda: next(ports))
    server = dns.DnsmasqServer()
    try:
        assert server.port == busy
        server.start()
        assert server.port != busy and server._answers()
    finally:
        server.close()
        held.close()


def test_free_port_is_free_for_udp_and_tcp():
    import socket

    from hazelcast.testing.dns import free_udp_port

    port = free_udp_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", port))
        udp.bind(("127.0.0.1", port))


def test_dns_server_on_a_fixed_busy_port_gives_a_clear_error(monkeypatch):
    import hazelcast.testing.dns as dns

    monkeypatch.setattr(dns.time, "sleep", lambda s: None)
    held = _hold_tcp_port()
    server = dns.DnsmasqServer(port=held.getsockname()[1])
    try:
        with pytest.raises(RuntimeError, match="address in use"):
            server.start()
    finally:
        server.close()
        held.close()


async def test_cache_hit_sends_no_query(dns_server):
    clock = FakeClock()
    resolver = resolver_for(dns_server, clock=clock)
    first = await resolver.resolve()
    clock.now += 29
    assert await resolver.resolve() is first
    assert resolver.queries == 1
    assert dns_server.query_count("cluster.hz.test") == 1
    clock.now += 2  # the TTL has run out
    await resolver.resolve()
    assert resolver.queries == 2
    assert dns_server.query_count("cluster.hz.test") == 2


async def test_refresh_queries_and_follows_a_cname_flip(dns_server):
    resolver = resolver_for(dns_server)
    assert (await resolver.resolve()).target == "blue.hz.test"
    dns_server.set_cname("cluster.hz.test", "green.hz.test")
    assert (await resolver.resolve()).target == "blue.hz.test"  # cached
    answer = await resolver.refresh()
    assert (answer.target, answer.addresses) == ("green.hz.test", ("127.0.0.3",))
    assert resolver.last_answer is answer
    assert resolver.queries == 2


async def test_name_without_cname_resolves_to_itself(dns_server):
    answer = await resolver_for(dns_server, "plain.hz.test").resolve()
    assert (answer.target, answer.addresses) == ("plain.hz.test", ("127.0.0.4",))


async def test_unknown_name_is_a_clear_error(dns_server):
    with pytest.raises(CNAMEResolutionError, match="missing.hz.test"):
        await resolver_for(dns_server, "missing.hz.test").resolve()


async def test_failure_keeps_last_good_answer_for_the_grace_period(dns_server):
    clock = FakeClock()
    resolver = resolver_for(dns_server, clock=clock, grace_period=60)
    good = await resolver.resolve()
    dns_server.stop()
    with pytest.raises(CNAMEResolutionError):
        await resolver.refresh()
    clock.now += 85  # TTL (30 s) over, grace (60 s after the TTL) not
    stale = await resolver.resolve()
    assert stale.stale and stale.target == good.target and stale.addresses == good.addresses
    clock.now += 6  # grace over (91 s > 30 + 60)
    with pytest.raises(CNAMEResolutionError):
        await resolver.resolve()
    dns_server.start()
    assert (await resolver.resolve()).stale is False


async def test_failover_config_resolves_cname_clusters(dns_server):
    config = FailoverConfig(dns_nameservers=[dns_server.address], dns_port=dns_server.port, dns_timeout=1.0)
    config.add_cname_cluster("dns-cluster", "cluster.hz.test", port=5710)
    assert await config.get_cluster_addresses() == ["127.0.0.2:5710"]
    resolver = config.resolver_for(config.get_current_cluster())
    assert config.resolver_for(config.get_current_cluster()) is resolver
    dns_server.set_cname("cluster.hz.test", "green.hz.test")
    await resolver.refresh()
    assert await config.get_cluster_addresses() == ["127.0.0.3:5710"]


def test_resolver_validation():
    for kwargs in ({"timeout": 0}, {"grace_period": -1}):
        with pytest.raises(InvalidConfigurationError):
            CNAMEResolver("x.test", **kwargs)
    with pytest.raises(InvalidConfigurationError, match="invalid DNS name"):
        CNAMEResolver("a..b")
    assert CNAMEResolver("x.test").name == "x.test"


# -- client configs ---------------------------------------------------------------------------------------------------

from hazelcast.config import Config, ReconnectMode  # noqa: E402
from hazelcast.failover import CLUSTER_SPECIFIC_OPTIONS, FAILOVER_DEFAULT_CLUSTER_CONNECT_TIMEOUT  # noqa: E402
from hazelcast.network.ssl_config import SSLConfig  # noqa: E402


def test_from_configs_builds_clusters_in_order():
    blue = Config(cluster_name="blue", cluster_members=["127.0.0.1:5701"], creds_username="u", creds_password="p",
                  heartbeat_timeout=9.0)
    green = Config(cluster_name="green", cluster_members=["127.0.0.1:6701"], ssl_enabled=True, heartbeat_timeout=9.0)
    config = FailoverConfig.from_configs([blue, green], try_count=3)
    assert config.try_count == 3 and config.base_config is blue
    assert [c.cluster_name for c in config.clusters] == ["blue", "green"]
    assert config.clusters[0].username == "u" and config.clusters[1].ssl_config.enabled
    client = config.to_client_config()
    assert (client.cluster_name, client.cluster_members, client.creds_username) == ("blue", ["127.0.0.1:5701"], "u")
    assert client.heartbeat_timeout == 9.0 and not client.ssl_enabled
    assert client.cluster_connect_timeout == FAILOVER_DEFAULT_CLUSTER_CONNECT_TIMEOUT
    other = config.to_client_config(config.switch_to_next_cluster())
    assert (other.cluster_name, other.ssl_enabled, other.creds_username) == ("green", True, None)


def test_from_configs_rejects_differences_java_does_not_allow():
    a = Config(cluster_name="a", heartbeat_timeout=10.0)
    b = Config(cluster_name="b", heartbeat_timeout=20.0)
    with pytest.raises(InvalidConfigurationError, match="'heartbeat_timeout'"):
        FailoverConfig.from_configs([a, b])
    with pytest.raises(InvalidConfigurationError, match="at least one"):
        FailoverConfig.from_configs([])
    with pytest.raises(InvalidConfigurationError, match="expected a Config"):
        FailoverConfig.from_configs([a, "b"])
    with pytest.raises(InvalidConfigurationError, match="reconnect_mode OFF"):
        FailoverConfig.from_configs([Config(reconnect_mode=ReconnectMode.OFF)])
    with pytest.raises(InvalidConfigurationError, match="base_config"):
        FailoverConfig(base_config={"cluster_name": "x"})
    assert {"cluster_name", "cluster_members", "ssl_enabled", "socket_interceptor"} <= CLUSTER_SPECIFIC_OPTIONS


def test_cluster_specific_options_exist_in_config():
    import dataclasses

    names = {f.name for f in dataclasses.fields(Config)}
    assert CLUSTER_SPECIFIC_OPTIONS <= names


def test_to_client_config_keeps_a_finite_connect_timeout_and_takes_cluster_options_from_the_cluster():
    from hazelcast.network.socket_interceptor import SocketInterceptor

    interceptor = SocketInterceptor()
    base = Config(cluster_connect_timeout=7.0, ssl_enabled=True, ssl_cafile="/base/ca.pem", socket_interceptor=interceptor,
                  creds_username="base", creds_password="secret")
    cluster = ClusterConfig(cluster_name="x", cluster_members=["127.0.0.1:1"], socket_interceptor=interceptor,
                            ssl_config=SSLConfig(enabled=True, cafile="/x/ca.pem"))
    config = FailoverConfig(clusters=[cluster], base_config=base).to_client_config(addresses=["127.0.0.9:2"])
    assert config.cluster_connect_timeout == 7.0
    assert config.cluster_members == ["127.0.0.9:2"]
    assert config.socket_interceptor is interceptor and config.ssl_cafile == "/x/ca.pem"
    # the base config's cluster-specific options never leak into a cluster (from_configs relies on it)
    plain = FailoverConfig(clusters=[ClusterConfig(cluster_members=["h"])], base_config=base).to_client_config()
    assert not plain.ssl_enabled and plain.ssl_cafile is None and plain.socket_interceptor is None
    assert plain.creds_username is None and plain.creds_password is None


def test_from_configs_does_not_lend_the_first_configs_interceptor_to_the_others():
    from hazelcast.network.socket_interceptor import SocketInterceptor

    first = Config(cluster_name="a", socket_interceptor=SocketInterceptor())
    second = Config(cluster_name="b")
    config = FailoverConfig.from_configs([first, second])
    assert config.to_client_config(config.clusters[1]).socket_interceptor is None
    assert config.to_client_config(config.clusters[0]).socket_interceptor is first.socket_interceptor


async def test_to_client_config_of_a_cname_cluster(dns_server):
    config = FailoverConfig(dns_nameservers=[dns_server.address], dns_port=dns_server.port, dns_timeout=1.0)
    config.add_cname_cluster("dns", "cluster.hz.test", port=5801)
    with pytest.raises(InvalidConfigurationError, match="not resolved yet"):
        config.to_client_config()
    await config.get_cluster_addresses()
    assert config.to_client_config().cluster_members == ["127.0.0.2:5801"]
    assert FailoverConfig(clusters=[ClusterConfig(cluster_members=["h"])]).to_client_config().cluster_name == "dev"


def test_from_configs_defaults_to_loopback_when_no_members():
    config = FailoverConfig.from_configs([Config(cluster_name="only")])
    assert config.clusters[0].cluster_members == ("127.0.0.1",)


# -- options, selector, watcher ---------------------------------------------------------------------------------------

import asyncio  # noqa: E402
import dataclasses  # noqa: E402
import logging  # noqa: E402

from hazelcast.errors import IllegalStateError  # noqa: E402
from hazelcast.failover import CNAMEWatcher, ClusterSelector  # noqa: E402


@pytest.mark.parametrize("kwargs,match", [
    ({"cname_check_interval": "5"}, "cname_check_interval"),
    ({"cname_check_interval": float("nan")}, "cname_check_interval"),
    ({"dns_timeout": 0}, "dns_timeout"),
    ({"dns_grace_period": -1}, "dns_grace_period"),
    ({"switch_drain_timeout": float("inf")}, "switch_drain_timeout"),
    ({"switch_drain_timeout": True}, "switch_drain_timeout"),
    ({"dns_port": 0}, "dns_port"),
    ({"dns_port": "53"}, "dns_port"),
    ({"dns_nameservers": "127.0.0.1"}, "dns_nameservers"),
    ({"dns_nameservers": [1]}, "dns_nameservers"),
])
def test_failover_options_are_validated(kwargs, match):
    with pytest.raises(InvalidConfigurationError, match=match):
        FailoverConfig(**kwargs)
    config = FailoverConfig(dns_nameservers=("127.0.0.1",), switch_drain_timeout=0, dns_grace_period=0)
    assert config.dns_nameservers == ["127.0.0.1"]


def test_a_missing_system_dns_configuration_is_a_configuration_error(monkeypatch):
    import dns.asyncresolver
    import dns.resolver

    def no_configuration(*args, **kwargs):
        raise dns.resolver.NoResolverConfiguration("no nameservers")

    monkeypatch.setattr(dns.asyncresolver, "Resolver", no_configuration)
    with pytest.raises(InvalidConfigurationError, match="system DNS"):
        CNAMEResolver("x.test")


async def test_selector_walks_round_robin_skips_unresolvable_clusters_and_gives_up(dns_server):
    config = FailoverConfig(try_count=2, dns_nameservers=[dns_server.address], dns_port=dns_server.port,
                            dns_timeout=1.0, clusters=clusters("A"))
    config.add_cname_cluster("gone", "missing.hz.test")
    config.add_cluster(clusters("A", "B")[1])
    selector = ClusterSelector(config)
    cluster, client_config = await selector.first()
    assert cluster.cluster_name == "A" and client_config.cluster_members == ["127.0.0.1:5701"]
    cluster, client_config = await selector.next(RuntimeError("A is down"))  # "gone" does not resolve: counted
    assert cluster.cluster_name == "B" and client_config.cluster_name == "B"
    assert selector.failed == 2 and selector.current is cluster
    selector.connected()
    assert selector.failed == 0
    seen = []
    with pytest.raises(IllegalStateError, match=r"\(A, gone, B\) in 2 round\(s\) \(6 attempts\)") as info:
        while True:
            seen.append((await selector.next(RuntimeError("down")))[0].cluster_name)
    assert seen == ["A", "B", "A"]  # from B: A, gone (skipped), B, A, gone (skipped): 6 failed, give up
    assert isinstance(info.value.__cause__, CNAMEResolutionError)
    assert selector.history == ["A", "gone", "B", "A", "gone", "B", "A", "gone"]
    with pytest.raises(InvalidConfigurationError, match="no clusters"):
        ClusterSelector(FailoverConfig())


async def test_selector_starts_on_the_next_cluster_when_the_first_does_not_resolve(dns_server):
    config = FailoverConfig(dns_nameservers=[dns_server.address], dns_port=dns_server.port, dns_timeout=1.0)
    config.add_cname_cluster("gone", "missing.hz.test")
    config.add_cname_cluster("dns", "cluster.hz.test", port=5801)
    cluster, client_config = await ClusterSelector(config).first()
    assert cluster.cluster_name == "dns" and client_config.cluster_members == ["127.0.0.2:5801"]


async def test_watcher_reports_target_and_address_changes_and_keeps_the_target_while_dns_fails(dns_server, caplog):
    caplog.set_level(logging.INFO, logger="hazelcast.failover")
    clock = FakeClock()
    resolver = resolver_for(dns_server, clock=clock, grace_period=5)
    changes = []

    async def on_change(old, new):
        changes.append((old.target if old else None, new.target, new.addresses))
        if new.target == "plain.hz.test":
            raise RuntimeError("the handler failed")

    watcher = CNAMEWatcher(resolver, 0.05, on_change)
    await watcher.check()  # no baseline: the first answer is a change
    assert changes == [(None, "blue.hz.test", ("127.0.0.2",))]
    await watcher.check()  # cached (TTL 30 s), unchanged: nothing
    assert len(changes) == 1 and resolver.queries == 1 and watcher.checks == 2
    dns_server.hosts["blue.hz.test"] = "127.0.0.5"
    dns_server.restart()
    clock.now += 31
    await watcher.check()  # same target, new addresses
    assert changes[-1] == ("blue.hz.test", "blue.hz.test", ("127.0.0.5",))
    dns_server.stop()
    clock.now += 31
    await watcher.check()  # fails, within the grace period: the stale answer is no change
    clock.now += 10
    await watcher.check()  # grace over: logged once, nothing changes
    await watcher.check()
    assert len(changes) == 2 and watcher.baseline.target == "blue.hz.test"
    assert caplog.text.count("keeping blue.hz.test") == 1
    dns_server.set_cname("cluster.hz.test", "plain.hz.test")
    dns_server.start()
    await watcher.check()  # a new target: reported; the handler's error is logged, the watcher goes on
    assert changes[-1] == ("blue.hz.test", "plain.hz.test", ("127.0.0.4",))
    assert "resolves again" in caplog.text and "the handler failed" in caplog.text
    assert watcher.baseline.target == "plain.hz.test"


async def test_watcher_task_checks_every_interval_and_stops_cleanly(dns_server):
    resolver = resolver_for(dns_server)
    seen = asyncio.Event()

    async def on_change(old, new):
        seen.set()

    watcher = CNAMEWatcher(resolver, 0.02, on_change)
    assert not watcher.running
    await watcher.stop()  # not started: nothing to do
    watcher.start()
    task = watcher._task
    watcher.start()  # already running: the same task
    assert watcher._task is task and watcher.running
    async with asyncio.timeout(10):
        await seen.wait()
    await watcher.stop()
    assert task.done() and not watcher.running
    with pytest.raises(InvalidConfigurationError, match="interval"):
        CNAMEWatcher(resolver, 0, on_change)

    stopped_from_inside = []

    async def stop_myself(old, new):
        await watcher2.stop()  # from the watcher's own task: it does not wait for itself
        stopped_from_inside.append(True)

    watcher2 = CNAMEWatcher(resolver, 0.02, stop_myself)
    watcher2.start()
    await eventually_true(lambda: stopped_from_inside)
    assert not watcher2.running or watcher2._task is None


async def eventually_true(predicate, timeout=10.0):
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def test_a_client_copy_of_the_failover_config_has_its_own_position():
    config = FailoverConfig(try_count=2, clusters=clusters("A", "B"))
    copy = dataclasses.replace(config)
    copy.switch_to_next_cluster()
    assert copy.get_current_cluster().cluster_name == "B" and config.get_current_cluster().cluster_name == "A"
    assert copy.clusters == config.clusters and copy.clusters is not config.clusters
