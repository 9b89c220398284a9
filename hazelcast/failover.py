"""Which cluster to talk to: blue/green failover and CNAME-driven cluster selection.

* :class:`ClusterConfig` — one cluster the client may use: its name, member addresses (static, or resolved from a
  DNS CNAME), credentials, TLS and socket-interceptor settings, and a priority.
* :class:`CNAMEResolver` — resolves a DNS name to its CNAME target and that target's addresses with dnspython,
  caching the answer for its TTL and keeping the last good answer for a grace period when resolution fails.
* :class:`FailoverConfig` — the ordered list of clusters and the round-robin switching of Java's
  ``ClientFailoverConfig``: with clusters A, B, C and ``try_count=2`` the client tries A, B, C, A, B, C and then
  gives up; after a disconnect from B it continues with C, A, B, ...
* :class:`ClusterSelector` — a failover client's walk over those clusters: the cluster to try next, its client
  config (CNAME clusters resolved), and the count of clusters tried since the last successful connection.
* :class:`CNAMEWatcher` — checks a CNAME cluster's name every ``cname_check_interval`` and reports a new target
  (blue → green) or new addresses.

A failover client is ``HazelcastClient(failover_config=FailoverConfig(...))`` (see :mod:`hazelcast.client`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype

from hazelcast.errors import HazelcastError, IllegalStateError, InvalidConfigurationError
from hazelcast.network.address import parse_address
from hazelcast.network.socket_interceptor import SocketInterceptor
from hazelcast.network.ssl_config import SSLConfig

if TYPE_CHECKING:  # pragma: no cover
    from hazelcast.config import Config

_logger = logging.getLogger(__name__)

DEFAULT_PORT = 5701
INFINITE_TRY_COUNT = 2**31 - 1
FAILOVER_DEFAULT_CLUSTER_CONNECT_TIMEOUT = 120.0
"""Seconds a failover client tries one cluster before switching, when its config says "forever" (as in Java)."""

_SWITCH_DRAIN_TIMEOUT = 5.0

_SSL_FIELDS = ("enabled", "cafile", "certfile", "keyfile", "password", "protocol", "ciphers", "check_hostname",
               "server_hostname")
CLUSTER_SPECIFIC_OPTIONS = frozenset(
    {"cluster_name", "cluster_members", "creds_username", "creds_password", "socket_interceptor"}
    | {f"ssl_{name}" for name in _SSL_FIELDS}
)
"""The client options in which the configs of a failover client may differ (Java allows cluster name, security,
addresses, socket interceptor and TLS/discovery); every other option must be equal."""

__all__ = ["CNAMEAnswer", "CNAMEResolutionError", "CNAMEResolver", "CNAMEWatcher", "ClusterConfig", "ClusterSelector",
           "FailoverConfig", "InvalidConfigurationError"]


class CNAMEResolutionError(HazelcastError):
    """A DNS name could not be resolved (and no last good answer within the grace period is available)."""


# --------------------------------------------------------------------------------------------------------------------
# ClusterConfig
# --------------------------------------------------------------------------------------------------------------------


def _validate_address(address: str) -> str:
    parse_address(address)  # raises InvalidConfigurationError naming what is wrong
    return address.strip()


def _with_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class ClusterConfig:
    """One cluster a failover client may connect to.

    Exactly one of ``cluster_members`` (static ``host[:port]`` addresses) and ``cname`` (a DNS name whose CNAME
    target's addresses are the members, each at ``port``) must be given. Lower ``priority`` values are tried
    first; equal priorities keep the order in which the clusters were added.
    """

    cluster_name: str = "dev"
    cluster_members: Tuple[str, ...] = ()
    cname: Optional[str] = None
    port: int = DEFAULT_PORT
    username: Optional[str] = None
    password: Optional[str] = None
    ssl_config: Optional[SSLConfig] = None
    """TLS towards this cluster; ``None`` means no TLS."""
    socket_interceptor: Optional[SocketInterceptor] = None
    priority: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.cluster_name, str) or not self.cluster_name:
            raise InvalidConfigurationError("cluster_name must be a non-empty string")
        if isinstance(self.cluster_members, str):
            raise InvalidConfigurationError("cluster_members must be a sequence of addresses, not a string")
        members = tuple(_validate_address(a) for a in self.cluster_members)
        object.__setattr__(self, "cluster_members", members)
        if self.cname is not None:
            if members:
                raise InvalidConfigurationError("give either cluster_members or cname, not both")
            try:
                dns.name.from_text(self.cname)
            except (dns.exception.DNSException, TypeError, AttributeError) as e:
                raise InvalidConfigurationError(f"invalid cname {self.cname!r}: {e}") from None
        elif not members:
            raise InvalidConfigurationError(f"cluster {self.cluster_name!r} has neither cluster_members nor a cname")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise InvalidConfigurationError(f"port must be in 1..65535, got {self.port!r}")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise InvalidConfigurationError(f"priority must be an int, got {self.priority!r}")
        if (self.username is None) != (self.password is None):
            raise InvalidConfigurationError("username and password must be given together")
        if self.ssl_config is not None and not isinstance(self.ssl_config, SSLConfig):
            raise InvalidConfigurationError(f"ssl_config must be an SSLConfig, got {type(self.ssl_config).__name__}")
        if self.socket_interceptor is not None and not callable(getattr(self.socket_interceptor, "on_connect", None)):
            raise InvalidConfigurationError("socket_interceptor must have an on_connect(connection) method")

    @property
    def is_cname_cluster(self) -> bool:
        """Whether the member addresses come from a DNS CNAME."""
        return self.cname is not None


# --------------------------------------------------------------------------------------------------------------------
# CNAMEResolver
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CNAMEAnswer:
    """A resolved name: the CNAME ``target`` (the name itself when it has no CNAME), its ``addresses``, the TTL
    of the answer and the monotonic time at which it expires."""

    name: str
    target: str
    addresses: Tuple[str, ...]
    ttl: int
    expires_at: float
    stale: bool = False


class CNAMEResolver:
    """Resolves a DNS name to its CNAME target and addresses with dnspython, with a TTL cache.

    :meth:`resolve` answers from the cache while the answer's TTL has not run out (a cache hit sends no query),
    and otherwise queries. :meth:`refresh` always queries. When a query fails, :meth:`refresh` raises
    :class:`CNAMEResolutionError`; :meth:`resolve` returns the last good answer (marked ``stale``) until
    ``grace_period`` seconds after its TTL ran out, and raises after that. ``nameservers``/``port`` point the resolver at a
    specific DNS server (tests, private DNS); by default the system configuration is used.
    """

    def __init__(
        self,
        name: str,
        *,
        nameservers: Optional[Sequence[str]] = None,
        port: int = 53,
        timeout: float = 2.0,
        grace_period: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            self._name = dns.name.from_text(name)
        except (dns.exception.DNSException, TypeError, AttributeError) as e:
            raise InvalidConfigurationError(f"invalid DNS name {name!r}: {e}") from None
        if timeout <= 0:
            raise InvalidConfigurationError("timeout must be positive")
        if grace_period < 0:
            raise InvalidConfigurationError("grace_period must not be negative")
        if nameservers is None:
            try:
                self._resolver = dns.asyncresolver.Resolver()
            except dns.exception.DNSException as e:
                raise InvalidConfigurationError(f"no usable system DNS configuration: {e}") from None
        else:
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = list(nameservers)
            self._resolver.port = port
        self._resolver.lifetime = timeout
        self._resolver.timeout = timeout
        self._grace = grace_period
        self._clock = clock
        self._answer: Optional[CNAMEAnswer] = None
        self._lock = asyncio.Lock()
        self.queries = 0  # number of DNS lookups sent (observability, and what the tests check)

    @property
    def name(self) -> str:
        """The name this resolver resolves (without the trailing dot)."""
        return self._name.to_text(omit_final_dot=True)

    @property
    def last_answer(self) -> Optional[CNAMEAnswer]:
        """The last good answer, if any."""
        return self._answer

    async def resolve(self) -> CNAMEAnswer:
        """The cached answer while its TTL lasts, otherwise a fresh one (see the class docstring for failures)."""
        async with self._lock:
            answer = self._answer
            if answer is not None and self._clock() < answer.expires_at:
                return answer
            try:
                return await self._query()
            except CNAMEResolutionError:
                if answer is not None and self._clock() <= answer.expires_at + self._grace:
                    _logger.warning("DNS resolution of %s failed; using the last good answer %s", self.name,
                                    answer.target)
                    return replace(answer, stale=True)
                raise

    async def refresh(self) -> CNAMEAnswer:
        """Query now, whatever the cache holds."""
        async with self._lock:
            return await self._query()

    async def _query(self) -> CNAMEAnswer:
        self.queries += 1
        try:
            result = await self._resolver.resolve(self._name, dns.rdatatype.A, raise_on_no_answer=True)
        except dns.exception.DNSException as e:
            raise CNAMEResolutionError(f"cannot resolve {self.name}: {e.__class__.__name__}: {e}") from e
        addresses = tuple(sorted(r.address for r in result))
        ttl = min(rrset.ttl for rrset in result.response.answer)
        now = self._clock()
        answer = CNAMEAnswer(
            name=self.name,
            target=result.canonical_name.to_text(omit_final_dot=True),
            addresses=addresses,
            ttl=ttl,
            expires_at=now + ttl,
        )
        self._answer = answer
        return answer


# --------------------------------------------------------------------------------------------------------------------
# FailoverConfig
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class FailoverConfig:
    """The clusters a failover client switches between, in order, for ``try_count`` rounds.

    Clusters are kept sorted by ``priority`` (lower first, stable for equal priorities). The *current* cluster
    starts as the first one; :meth:`switch_to_next_cluster` moves round-robin to the next, as Java's client does.
    A client works on its own copy (``client.failover_config``), so one config can serve several clients.
    """

    try_count: int = INFINITE_TRY_COUNT
    """Rounds over all clusters before the client gives up and shuts down (Java's ``tryCount``)."""
    clusters: List[ClusterConfig] = field(default_factory=list)
    base_config: Optional["Config"] = None
    """The options every cluster shares (timeouts, routing, serialization, listeners, ...); a default ``Config``
    when ``None``. Its cluster-specific options (:data:`CLUSTER_SPECIFIC_OPTIONS`) are replaced by each cluster's in
    :meth:`to_client_config`. An infinite ``cluster_connect_timeout`` means 120 s per cluster (as in Java)."""
    cname_check_interval: float = 5.0
    """Seconds between checks of the current CNAME cluster's name; a new target is followed within its DNS TTL
    plus this interval."""
    dns_nameservers: Optional[Sequence[str]] = None
    """DNS servers to ask (IP addresses); the system's when ``None``."""
    dns_port: int = 53
    dns_timeout: float = 2.0
    """Seconds for one DNS lookup."""
    dns_grace_period: float = 30.0
    """Seconds after its TTL ran out for which the last good DNS answer is used while lookups fail."""
    switch_drain_timeout: float = _SWITCH_DRAIN_TIMEOUT
    """When a CNAME flip moves the client while the old cluster is still up: seconds to let requests already
    sent there finish (new ones wait for the new cluster) before its connections are closed."""

    def __post_init__(self) -> None:
        if isinstance(self.try_count, bool) or not isinstance(self.try_count, int) or self.try_count < 1:
            raise InvalidConfigurationError(f"try_count must be an int >= 1, got {self.try_count!r}")
        for name in ("cname_check_interval", "dns_timeout"):
            _check_seconds(name, getattr(self, name), positive=True)
        for name in ("dns_grace_period", "switch_drain_timeout"):
            _check_seconds(name, getattr(self, name), positive=False)
        if isinstance(self.dns_port, bool) or not isinstance(self.dns_port, int) or not 0 < self.dns_port < 65536:
            raise InvalidConfigurationError(f"dns_port must be in 1..65535, got {self.dns_port!r}")
        if self.dns_nameservers is not None:
            if isinstance(self.dns_nameservers, str) or not all(isinstance(n, str) for n in self.dns_nameservers):
                raise InvalidConfigurationError("dns_nameservers must be a list of IP address strings")
            self.dns_nameservers = list(self.dns_nameservers)
        if self.base_config is not None:
            from hazelcast.config import Config, ReconnectMode

            if not isinstance(self.base_config, Config):
                raise InvalidConfigurationError(f"base_config must be a Config, got {type(self.base_config).__name__}")
            if self.base_config.reconnect_mode == ReconnectMode.OFF:
                raise InvalidConfigurationError("reconnect_mode OFF cannot be used with failover (as in Java)")
        clusters, self.clusters = list(self.clusters), []
        for cluster in clusters:
            self.add_cluster(cluster)
        self._index = 0
        self._resolvers: dict = {}

    def add_cluster(self, cluster: ClusterConfig) -> "FailoverConfig":
        """Add a cluster in priority order (after existing clusters of the same priority)."""
        if not isinstance(cluster, ClusterConfig):
            raise InvalidConfigurationError(f"expected a ClusterConfig, got {type(cluster).__name__}")
        position = len(self.clusters)
        for i, existing in enumerate(self.clusters):
            if cluster.priority < existing.priority:
                position = i
                break
        self.clusters.insert(position, cluster)
        return self

    def add_cname_cluster(self, cluster_name: str, cname: str, *, port: int = DEFAULT_PORT, priority: int = 0,
                          **options: Any) -> "FailoverConfig":
        """Add a cluster whose member addresses are the addresses of ``cname``'s CNAME target, at ``port``."""
        return self.add_cluster(ClusterConfig(cluster_name=cluster_name, cname=cname, port=port, priority=priority,
                                              **options))

    def _require_clusters(self) -> None:
        if not self.clusters:
            raise InvalidConfigurationError("the failover config has no clusters")

    def get_current_cluster(self) -> ClusterConfig:
        """The cluster the client should use now."""
        self._require_clusters()
        return self.clusters[self._index % len(self.clusters)]

    def switch_to_next_cluster(self) -> ClusterConfig:
        """Move round-robin to the next cluster and return it."""
        self._require_clusters()
        self._index = (self._index + 1) % len(self.clusters)
        return self.clusters[self._index]

    def reset(self) -> None:
        """Start again from the first cluster."""
        self._index = 0

    @property
    def max_attempts(self) -> int:
        """Clusters tried before giving up: ``try_count`` rounds over all clusters."""
        self._require_clusters()
        return self.try_count * len(self.clusters)

    def resolver_for(self, cluster: ClusterConfig) -> CNAMEResolver:
        """The (shared, cached) resolver of a CNAME cluster."""
        if cluster.cname is None:
            raise InvalidConfigurationError(f"cluster {cluster.cluster_name!r} is not a CNAME cluster")
        resolver = self._resolvers.get(cluster.cname)
        if resolver is None:
            resolver = CNAMEResolver(cluster.cname, nameservers=self.dns_nameservers, port=self.dns_port,
                                     timeout=self.dns_timeout, grace_period=self.dns_grace_period)
            self._resolvers[cluster.cname] = resolver
        return resolver

    async def get_cluster_addresses(self, cluster: Optional[ClusterConfig] = None) -> List[str]:
        """The member addresses of ``cluster`` (default: the current one), resolving a CNAME cluster's name
        (:class:`CNAMEResolutionError` when that fails)."""
        cluster = cluster or self.get_current_cluster()
        if cluster.cname is None:
            return list(cluster.cluster_members)
        answer = await self.resolver_for(cluster).resolve()
        return self.addresses_of(cluster, answer)

    @staticmethod
    def addresses_of(cluster: ClusterConfig, answer: CNAMEAnswer) -> List[str]:
        """The member addresses a DNS answer gives a CNAME cluster (each address at the cluster's port)."""
        return [_with_port(address, cluster.port) for address in answer.addresses]

    # -- client configs ------------------------------------------------------------------------------------------------

    @classmethod
    def from_configs(cls, configs: Sequence["Config"], *, try_count: int = INFINITE_TRY_COUNT,
                     **options: Any) -> "FailoverConfig":
        """A failover config from several client configs, tried in the given order.

        The configs may differ only in :data:`CLUSTER_SPECIFIC_OPTIONS`; any other difference is an
        :class:`InvalidConfigurationError` naming the option. The first config supplies the shared options.
        """
        from hazelcast.config import Config

        configs = list(configs)
        if not configs:
            raise InvalidConfigurationError("from_configs needs at least one client config")
        for config in configs:
            if not isinstance(config, Config):
                raise InvalidConfigurationError(f"expected a Config, got {type(config).__name__}")
        first = configs[0]
        for index, other in enumerate(configs[1:], start=1):
            for f in dataclasses.fields(Config):
                if f.name in CLUSTER_SPECIFIC_OPTIONS:
                    continue
                if getattr(first, f.name) != getattr(other, f.name):
                    raise InvalidConfigurationError(
                        f"client config {index} differs from config 0 in {f.name!r} "
                        f"({getattr(other, f.name)!r} != {getattr(first, f.name)!r}); failover configs may differ "
                        f"only in {', '.join(sorted(CLUSTER_SPECIFIC_OPTIONS))}"
                    )
        clusters = [cls._cluster_from(config) for config in configs]
        return cls(try_count=try_count, clusters=clusters, base_config=first, **options)

    @staticmethod
    def _cluster_from(config: "Config") -> ClusterConfig:
        ssl = SSLConfig(**{name: getattr(config, f"ssl_{name}") for name in _SSL_FIELDS})
        return ClusterConfig(
            cluster_name=config.cluster_name,
            cluster_members=tuple(config.cluster_members) or ("127.0.0.1",),
            username=config.creds_username,
            password=config.creds_password,
            ssl_config=ssl,
            socket_interceptor=config.socket_interceptor,
        )

    def to_client_config(self, cluster: Optional[ClusterConfig] = None, *,
                         addresses: Optional[Sequence[str]] = None) -> "Config":
        """The client ``Config`` for ``cluster`` (default: the current one): the shared options of ``base_config``
        with the cluster's name, addresses, credentials, TLS and socket interceptor (all taken from the cluster,
        never from ``base_config``: a cluster without ``ssl_config`` gets no TLS).

        A CNAME cluster's addresses are ``addresses`` when given, otherwise its resolver's last answer (call
        :meth:`get_cluster_addresses` first). An infinite ``cluster_connect_timeout`` becomes
        :data:`FAILOVER_DEFAULT_CLUSTER_CONNECT_TIMEOUT`, so that the client moves on to the next cluster.
        """
        from hazelcast.config import Config

        cluster = cluster or self.get_current_cluster()
        base = self.base_config if self.base_config is not None else Config()
        if addresses is None:
            if cluster.cname is None:
                addresses = cluster.cluster_members
            else:
                answer = self.resolver_for(cluster).last_answer
                if answer is None:
                    raise InvalidConfigurationError(
                        f"the addresses of CNAME cluster {cluster.cluster_name!r} are not resolved yet; "
                        "call get_cluster_addresses() first"
                    )
                addresses = self.addresses_of(cluster, answer)
        ssl = cluster.ssl_config if cluster.ssl_config is not None else SSLConfig()
        changes: Dict[str, Any] = {
            "cluster_name": cluster.cluster_name,
            "cluster_members": list(addresses),
            "creds_username": cluster.username,
            "creds_password": cluster.password,
            "socket_interceptor": cluster.socket_interceptor,
        }
        changes.update({f"ssl_{name}": getattr(ssl, name) for name in _SSL_FIELDS})
        if base.cluster_connect_timeout < 0:
            changes["cluster_connect_timeout"] = FAILOVER_DEFAULT_CLUSTER_CONNECT_TIMEOUT
        return dataclasses.replace(base, **changes)


def _check_seconds(name: str, value: Any, *, positive: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value == float("inf"):
        raise InvalidConfigurationError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise InvalidConfigurationError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value!r}")


# --------------------------------------------------------------------------------------------------------------------
# ClusterSelector
# --------------------------------------------------------------------------------------------------------------------


class ClusterSelector:
    """A failover client's walk over the clusters of its :class:`FailoverConfig` (Java's cluster discovery).

    :meth:`first` gives the current cluster and its client config, :meth:`next` moves round-robin to the next one
    after the current one could not be reached. Every cluster that fails counts against
    :attr:`FailoverConfig.max_attempts` (``try_count`` rounds over all clusters) until :meth:`connected` says a
    connection succeeded; once they are used up, :meth:`next` raises :class:`~hazelcast.errors.IllegalStateError`.
    A CNAME cluster whose name does not resolve counts as a cluster that failed.
    """

    def __init__(self, config: FailoverConfig) -> None:
        config.get_current_cluster()  # an empty config is an error now, not at the first switch
        self.config = config
        self.failed = 0
        """Clusters that failed since the last successful connection."""
        self.history: List[str] = []
        """Names of the clusters chosen, in order (observability and tests)."""

    @property
    def current(self) -> ClusterConfig:
        """The cluster in use (or being tried)."""
        return self.config.get_current_cluster()

    def connected(self) -> None:
        """A connection to the current cluster succeeded: the count of failed clusters starts again."""
        self.failed = 0

    async def first(self) -> Tuple[ClusterConfig, "Config"]:
        """The current cluster and its client config; moves on (as :meth:`next`) while its name does not
        resolve."""
        cluster = self.current
        try:
            return cluster, await self._config_of(cluster)
        except CNAMEResolutionError as e:
            _logger.warning("cluster %r: %s", cluster.cluster_name, e)
            return await self.next(e)

    async def next(self, error: BaseException) -> Tuple[ClusterConfig, "Config"]:
        """The current cluster failed with ``error``: the next cluster that resolves and its client config.
        Raises :class:`~hazelcast.errors.IllegalStateError` (its cause ``error``) once ``try_count`` rounds
        failed."""
        while True:
            self.failed += 1
            if self.failed >= self.config.max_attempts:
                names = ", ".join(c.cluster_name for c in self.config.clusters)
                raise IllegalStateError(
                    f"unable to connect to any cluster ({names}) in {self.config.try_count} round(s) "
                    f"({self.failed} attempts); last error: {error}"
                ) from error
            cluster = self.config.switch_to_next_cluster()
            try:
                return cluster, await self._config_of(cluster)
            except CNAMEResolutionError as e:
                _logger.warning("cluster %r: %s", cluster.cluster_name, e)
                error = e

    async def _config_of(self, cluster: ClusterConfig) -> "Config":
        self.history.append(cluster.cluster_name)
        addresses = await self.config.get_cluster_addresses(cluster)
        return self.config.to_client_config(cluster, addresses=addresses)


# --------------------------------------------------------------------------------------------------------------------
# CNAMEWatcher
# --------------------------------------------------------------------------------------------------------------------

CNAMEChangeHandler = Callable[[Optional[CNAMEAnswer], CNAMEAnswer], Awaitable[Any]]


class CNAMEWatcher:
    """Checks a resolver every ``interval`` seconds and calls ``await on_change(old, new)`` when the answer's target
    or addresses differ from the last one seen (``baseline`` at first).

    :meth:`CNAMEResolver.resolve` answers from its cache within the TTL, so a new target is seen within the TTL
    plus one interval. A failed lookup is logged (a warning once per outage) and changes nothing: the resolver's
    grace period keeps the last good answer, and after it the watcher keeps the current target rather than
    flapping. An exception from ``on_change`` is logged; the watcher goes on.
    """

    def __init__(self, resolver: CNAMEResolver, interval: float, on_change: CNAMEChangeHandler,
                 baseline: Optional[CNAMEAnswer] = None) -> None:
        _check_seconds("interval", interval, positive=True)
        self.resolver = resolver
        self.interval = interval
        self._on_change = on_change
        self.baseline = baseline
        """The last answer acted on."""
        self.checks = 0
        """Completed checks (observability and tests)."""
        self._task: Optional["asyncio.Task[None]"] = None
        self._failing = False

    @property
    def running(self) -> bool:
        """Whether the watcher's task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start checking (in a task of the running loop); a second call does nothing."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"cname-watcher-{self.resolver.name}")

    async def stop(self) -> None:
        """Stop checking and wait until the task has ended (an ``on_change`` under way is cancelled)."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check()

    async def check(self) -> None:
        """One check: resolve (from the cache within the TTL) and report a change."""
        try:
            answer = await self.resolver.resolve()
        except CNAMEResolutionError as e:
            if not self._failing:
                _logger.warning("CNAME watcher: %s; keeping %s", e,
                                self.baseline.target if self.baseline is not None else "no target")
            self._failing = True
            return
        finally:
            self.checks += 1
        if self._failing:
            _logger.info("CNAME watcher: %s resolves again (%s)", self.resolver.name, answer.target)
            self._failing = False
        old = self.baseline
        if old is not None and (answer.target, answer.addresses) == (old.target, old.addresses):
            return
        self.baseline = answer
        try:
            await self._on_change(old, answer)
        except Exception:
            _logger.exception("CNAME watcher: handling the change of %s to %s failed", self.resolver.name,
                              answer.target)
