"""Which cluster to talk to: blue/green failover and CNAME-driven cluster selection.

* :class:`ClusterConfig` — one cluster the client may use: its name, member addresses (static, or resolved from a
  DNS CNAME), credentials, TLS and socket-interceptor settings, and a priority.
* :class:`CNAMEResolver` — resolves a DNS name to its CNAME target and that target's addresses with dnspython,
  caching the answer for its TTL and keeping the last good answer for a grace period when resolution fails.
* :class:`FailoverConfig` — the ordered list of clusters and the round-robin switching of Java's
  ``ClientFailoverConfig``: with clusters A, B, C and ``try_count=2`` the client tries A, B, C, A, B, C and then
  gives up; after a disconnect from B it continues with C, A, B, ...
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from hazelcast.errors import HazelcastError, InvalidConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from hazelcast.config import Config

_logger = logging.getLogger(__name__)

DEFAULT_PORT = 5701
INFINITE_TRY_COUNT = 2**31 - 1
FAILOVER_DEFAULT_CLUSTER_CONNECT_TIMEOUT = 120.0
"""Seconds a failover client tries one cluster before switching, when its config says "forever" (as in Java)."""

_SSL_FIELDS = ("enabled", "cafile", "certfile", "keyfile", "password", "protocol", "ciphers", "check_hostname",
               "server_hostname")
CLUSTER_SPECIFIC_OPTIONS = frozenset(
    {"cluster_name", "cluster_members", "creds_username", "creds_password", "socket_interceptor"}
    | {f"ssl_{name}" for name in _SSL_FIELDS}
)
"""The client options in which the configs of a failover client may differ (Java allows cluster name, security,
addresses, socket interceptor and TLS/discovery); every other option must be equal."""

__all__ = ["CNAMEAnswer", "CNAMEResolutionError", "CNAMEResolver", "ClusterConfig", "FailoverConfig",
           "InvalidConfigurationError"]


class CNAMEResolutionError(HazelcastError):
    """A DNS name could not be resolved (and no last good answer within the grace period is available)."""


# --------------------------------------------------------------------------------------------------------------------
# ClusterConfig
# --------------------------------------------------------------------------------------------------------------------


def _validate_address(address: str) -> str:
    if not isinstance(address, str) or not address.strip():
        raise InvalidConfigurationError(f"member address must be a non-empty string, got {address!r}")
    address = address.strip()
    host, port = address, None
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise InvalidConfigurationError(f"unterminated IPv6 address in {address!r}")
        host, rest = address[1:end], address[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise InvalidConfigurationError(f"invalid member address {address!r}")
            port = rest[1:]
    elif address.count(":") == 1:
        host, port = address.split(":")
    if not host:
        raise InvalidConfigurationError(f"member address {address!r} has no host")
    if port is not None and (not port.isdigit() or not 0 < int(port) < 65536):
        raise InvalidConfigurationError(f"member address {address!r} has an invalid port")
    return address


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
    ssl_config: Optional[Any] = None
    socket_interceptor: Optional[Any] = None
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
    :class:`CNAMEResolutionError`; :meth:`resolve` returns the last good answer (marked ``stale``) while it is
    younger than ``grace_period`` seconds, and raises after that. ``nameservers``/``port`` point the resolver at a
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
            self._resolver = dns.asyncresolver.Resolver()
        else:
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = list(nameservers)
            self._resolver.port = port
        self._resolver.lifetime = timeout
        self._resolver.timeout = timeout
        self._grace = grace_period
        self._clock = clock
        self._answer: Optional[CNAMEAnswer] = None
        self._good_at = 0.0
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
                if answer is not None and self._clock() - self._good_at <= self._grace:
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
        self._good_at = now
        return answer


# --------------------------------------------------------------------------------------------------------------------
# FailoverConfig
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class FailoverConfig:
    """The clusters a failover client switches between, in order, for ``try_count`` rounds.

    Clusters are kept sorted by ``priority`` (lower first, stable for equal priorities). The *current* cluster
    starts as the first one; :meth:`switch_to_next_cluster` moves round-robin to the next, as Java's client does.
    """

    try_count: int = INFINITE_TRY_COUNT
    clusters: List[ClusterConfig] = field(default_factory=list)
    base_config: Optional["Config"] = None
    """The options every cluster shares (timeouts, routing, serialization, ...); a default ``Config`` when
    ``None``. Its cluster-specific options are replaced by each cluster's in :meth:`to_client_config`."""
    cname_check_interval: float = 5.0
    dns_nameservers: Optional[Sequence[str]] = None
    dns_port: int = 53
    dns_timeout: float = 2.0
    dns_grace_period: float = 30.0

    def __post_init__(self) -> None:
        if isinstance(self.try_count, bool) or not isinstance(self.try_count, int) or self.try_count < 1:
            raise InvalidConfigurationError(f"try_count must be an int >= 1, got {self.try_count!r}")
        if self.cname_check_interval <= 0:
            raise InvalidConfigurationError("cname_check_interval must be positive")
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
        """The member addresses of ``cluster`` (default: the current one), resolving a CNAME cluster's name."""
        cluster = cluster or self.get_current_cluster()
        if cluster.cname is None:
            return list(cluster.cluster_members)
        answer = await self.resolver_for(cluster).resolve()
        return [f"[{a}]:{cluster.port}" if ":" in a else f"{a}:{cluster.port}" for a in answer.addresses]

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
        from hazelcast.network.ssl_config import SSLConfig

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
        with the cluster's name, addresses, credentials, TLS and socket interceptor.

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
                addresses = [f"[{a}]:{cluster.port}" if ":" in a else f"{a}:{cluster.port}" for a in answer.addresses]
        changes: Dict[str, Any] = {
            "cluster_name": cluster.cluster_name,
            "cluster_members": list(addresses),
            "creds_username": cluster.username,
            "creds_password": cluster.password,
        }
        if cluster.ssl_config is not None:
            changes.update({f"ssl_{name}": getattr(cluster.ssl_config, name) for name in _SSL_FIELDS})
        if cluster.socket_interceptor is not None:
            changes["socket_interceptor"] = cluster.socket_interceptor
        if base.cluster_connect_timeout < 0:
            changes["cluster_connect_timeout"] = FAILOVER_DEFAULT_CLUSTER_CONNECT_TIMEOUT
        return dataclasses.replace(base, **changes)
