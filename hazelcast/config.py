"""Client configuration: plain dataclasses with the option names of the official Hazelcast clients.

:class:`Config` is flat, like the official Python client's: ``Config(cluster_name="dev", cluster_members=[...],
smart_routing=True, reconnect_mode=ReconnectMode.ON, retry_initial_backoff=1.0, ...)``. Durations are seconds
(floats). Values are validated when the object is built; a bad value raises
:class:`~hazelcast.errors.InvalidConfigurationError` naming the option. Derived views (:meth:`Config.retry_config`,
:meth:`Config.ssl_config`, :meth:`Config.socket_options`) are what the network layer consumes.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple

from hazelcast.errors import InvalidConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from hazelcast.network.failure_detector import IcmpPingConfig
    from hazelcast.network.load_balancer import LoadBalancer
    from hazelcast.network.socket_interceptor import SocketInterceptor
    from hazelcast.network.ssl_config import SSLConfig


class ReconnectMode(enum.IntEnum):
    """What the client does when it loses its last connection to the cluster (``docs/protocol.md`` §8.2)."""

    OFF = 0
    """Shut the client down."""
    ON = 1
    """Reconnect in the background; invocations wait and retry until their timeout."""
    ASYNC = 2
    """Reconnect in the background; invocations fail fast with :class:`~hazelcast.errors.ClientOfflineError`."""


class RoutingMode(enum.IntEnum):
    """How the client routes requests; sent in the authentication request (protocol 2.8 ``routingMode``)."""

    SINGLE_MEMBER = 0
    """One connection to one member ("unisocket"); every request goes there."""
    ALL_MEMBERS = 1
    """A connection to every member ("smart"); keyed requests go to the partition owner."""
    MULTI_MEMBER = 2
    """Connections to a subset of members (member groups). Not implemented by this client."""


INFINITE = -1.0
"""``cluster_connect_timeout`` value meaning "retry forever" (the default, as in the Java client)."""


@dataclass(frozen=True)
class ConnectionRetryConfig:
    """Backoff between attempts to connect to the cluster (Java's ``ConnectionRetryConfig``, §8.3).

    ``initial_backoff`` / ``max_backoff`` / ``cluster_connect_timeout`` are seconds; ``cluster_connect_timeout`` < 0
    means infinite. ``multiplier`` >= 1; ``jitter`` in [0, 1].
    """

    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    multiplier: float = 1.05
    jitter: float = 0.0
    cluster_connect_timeout: float = INFINITE

    def __post_init__(self) -> None:
        _non_negative("retry_initial_backoff", self.initial_backoff)
        _non_negative("retry_max_backoff", self.max_backoff)
        _number("retry_multiplier", self.multiplier)
        if self.multiplier < 1.0:
            raise InvalidConfigurationError(f"retry_multiplier must be >= 1.0, got {self.multiplier}")
        _number("retry_jitter", self.jitter)
        if not 0.0 <= self.jitter <= 1.0:
            raise InvalidConfigurationError(f"retry_jitter must be in [0.0, 1.0], got {self.jitter}")
        _number("cluster_connect_timeout", self.cluster_connect_timeout)


SocketOption = Tuple[int, int, Any]
"""``(level, option, value)`` as passed to :meth:`socket.socket.setsockopt`."""


@dataclass
class Config:
    """The client's configuration. Option names follow the official Hazelcast Python client."""

    # -- cluster ---------------------------------------------------------------------------------------------------
    cluster_name: str = "dev"
    """Must equal the members' cluster name, or authentication fails."""
    cluster_members: List[str] = field(default_factory=list)
    """Addresses to try: ``"host"``, ``"host:port"``, ``"[v6]:port"``. Without a port: 5701, then 5702-5703.
    Empty means ``127.0.0.1``."""
    client_name: Optional[str] = None
    """Name sent to the cluster; ``hz.client_<n>`` when ``None``."""
    labels: List[str] = field(default_factory=list)
    """Labels sent to the cluster in the authentication request."""
    creds_username: Optional[str] = None
    creds_password: Optional[str] = None

    # -- routing and connection strategy ----------------------------------------------------------------------------
    smart_routing: bool = True
    """``True``: ALL_MEMBERS routing; ``False``: SINGLE_MEMBER. Ignored when ``routing_mode`` is set."""
    routing_mode: Optional[RoutingMode] = None
    """Overrides ``smart_routing`` when set."""
    reconnect_mode: ReconnectMode = ReconnectMode.ON
    shuffle_member_list: bool = True
    """Try the known members in random order when (re)connecting to the cluster."""
    load_balancer: Optional["LoadBalancer"] = None
    """Chooses a connection for requests that have no partition/member target; round robin when ``None``."""

    # -- timeouts and retries ---------------------------------------------------------------------------------------
    connection_timeout: float = 5.0
    """Seconds to open a socket (TCP + TLS + socket interceptor); 0 means no limit."""
    retry_initial_backoff: float = 1.0
    retry_max_backoff: float = 30.0
    retry_multiplier: float = 1.05
    retry_jitter: float = 0.0
    cluster_connect_timeout: float = INFINITE
    """Seconds to keep trying to reach the cluster; negative means forever."""
    heartbeat_interval: float = 5.0
    """Ping a connection that wrote nothing for this long."""
    heartbeat_timeout: float = 60.0
    """Close a connection that read nothing for this long."""

    # -- sockets ---------------------------------------------------------------------------------------------------
    tcp_no_delay: bool = True
    keep_alive: bool = True
    socket_send_buffer_size: Optional[int] = 128 * 1024
    socket_receive_buffer_size: Optional[int] = 128 * 1024
    socket_linger_seconds: Optional[int] = None
    """SO_LINGER: ``None`` leaves the OS default; ``n`` >= 0 enables lingering for ``n`` seconds."""
    socket_options: List[SocketOption] = field(default_factory=list)
    """Extra ``(level, option, value)`` triples set on every socket after the built-in ones."""
    socket_interceptor: Optional["SocketInterceptor"] = None

    # -- TLS -------------------------------------------------------------------------------------------------------
    ssl_enabled: bool = False
    ssl_cafile: Optional[str] = None
    ssl_certfile: Optional[str] = None
    ssl_keyfile: Optional[str] = None
    ssl_password: Optional[str] = None
    ssl_protocol: Optional[str] = None
    """Minimum TLS version: ``"TLSv1_2"`` (default when ``None``) or ``"TLSv1_3"``."""
    ssl_ciphers: Optional[str] = None
    ssl_check_hostname: bool = True
    """Verify that the member's certificate names the host connected to (on by default, unlike the official
    client)."""
    ssl_server_hostname: Optional[str] = None
    """Host name to send (SNI) and verify instead of the address's host."""

    # -- limits ----------------------------------------------------------------------------------------------------
    max_message_size: int = 256 * 1024 * 1024
    """Largest inbound message accepted from a member; larger ones close the connection."""

    # -- invocations (docs/protocol.md §9) -------------------------------------------------------------------------
    invocation_timeout: float = 120.0
    """Deadline of an invocation, from the call until the result, retries included; ``math.inf`` disables it.
    Unlike the official clients, it is enforced even when nothing (no error, no response) arrives."""
    invocation_retry_pause: float = 1.0
    """Upper bound of the pause between retries (Java's progressive pacing reaches it after ~15 attempts)."""
    redo_operation: bool = False
    """Retry non-idempotent requests after their connection closed (they may then run twice)."""
    max_concurrent_invocations: int = 65536
    """Invocations in flight at once; further calls wait for a slot (backpressure instead of unbounded queues)."""
    backup_ack_to_client_enabled: bool = True
    """With ALL_MEMBERS routing, receive backup acks directly (the member answers before its backups are done)."""
    operation_backup_timeout: float = 5.0
    """How long to wait for missing backup acks after the response."""
    fail_on_indeterminate_operation_state: bool = False
    """When backup acks are missing: fail with IndeterminateOperationStateError instead of completing."""

    # -- serialization ---------------------------------------------------------------------------------------------
    compact_serializers: List[Any] = field(default_factory=list)
    """:class:`~hazelcast.serialization.CompactSerializer` objects (or classes, for zero-config). Dataclasses and
    classes with an annotated ``__init__`` need no entry (zero-config)."""
    default_int_type: Any = None
    """How a Python ``int`` is written: a :class:`~hazelcast.serialization.IntType` (``None`` means INT, Java's
    Integer, as in the official client; an int out of its range is then an error)."""
    is_big_endian: bool = True
    """Byte order of serialized payloads (Hazelcast's default)."""

    # -- listeners -------------------------------------------------------------------------------------------------
    lifecycle_listeners: List[Callable[[Any], None]] = field(default_factory=list)
    """``listener(state)`` for every :class:`~hazelcast.lifecycle.LifecycleState` the client goes through,
    registered before the client starts (so STARTING is seen)."""
    membership_listeners: List[Tuple[Optional[Callable[[Any], None]], Optional[Callable[[Any], None]]]] = field(
        default_factory=list
    )
    """``(member_added, member_removed)`` pairs; each callback gets the :class:`~hazelcast.cluster.MemberInfo`."""

    # -- failure detection -----------------------------------------------------------------------------------------
    icmp_ping_enabled: bool = False
    """Also watch members with ICMP echo (docs/protocol.md §7.2; needs CAP_NET_RAW or unprivileged ICMP sockets)."""
    icmp_ping_timeout: float = 1.0
    icmp_ping_interval: float = 1.0
    icmp_ping_ttl: int = 255
    icmp_ping_max_attempts: int = 2
    icmp_echo_fail_fast_on_startup: bool = True
    """When ICMP cannot be used here, the client does not start (instead of running without ICMP)."""

    def __post_init__(self) -> None:
        if not isinstance(self.cluster_name, str) or not self.cluster_name:
            raise InvalidConfigurationError("cluster_name must be a non-empty string")
        if isinstance(self.cluster_members, str) or not isinstance(self.cluster_members, Sequence):
            raise InvalidConfigurationError("cluster_members must be a list of address strings")
        for member in self.cluster_members:
            if not isinstance(member, str):
                raise InvalidConfigurationError(f"cluster_members entries must be strings, got {member!r}")
        try:
            self.reconnect_mode = ReconnectMode(self.reconnect_mode)
        except ValueError:
            raise InvalidConfigurationError(f"reconnect_mode must be a ReconnectMode, got {self.reconnect_mode!r}")
        if self.routing_mode is not None:
            try:
                self.routing_mode = RoutingMode(self.routing_mode)
            except ValueError:
                raise InvalidConfigurationError(f"routing_mode must be a RoutingMode, got {self.routing_mode!r}")
            if self.routing_mode == RoutingMode.MULTI_MEMBER:
                raise InvalidConfigurationError("routing_mode MULTI_MEMBER is not supported by this client")
        _non_negative("connection_timeout", self.connection_timeout)
        _positive("heartbeat_interval", self.heartbeat_interval)
        _positive("heartbeat_timeout", self.heartbeat_timeout)
        for name in ("socket_send_buffer_size", "socket_receive_buffer_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise InvalidConfigurationError(f"{name} must be a positive int or None, got {value!r}")
        if self.socket_linger_seconds is not None and (
            not isinstance(self.socket_linger_seconds, int) or self.socket_linger_seconds < 0
        ):
            raise InvalidConfigurationError(
                f"socket_linger_seconds must be a non-negative int or None, got {self.socket_linger_seconds!r}"
            )
        for option in self.socket_options:
            if not isinstance(option, tuple) or len(option) != 3:
                raise InvalidConfigurationError(f"socket_options entries must be (level, option, value), got {option!r}")
        if not isinstance(self.max_message_size, int) or self.max_message_size < 4096:
            raise InvalidConfigurationError(f"max_message_size must be an int >= 4096, got {self.max_message_size!r}")
        self.retry_config()  # validates the retry options
        _positive_seconds("invocation_timeout", self.invocation_timeout, allow_inf=True)
        _positive_seconds("invocation_retry_pause", self.invocation_retry_pause)
        _positive_seconds("operation_backup_timeout", self.operation_backup_timeout)
        limit = self.max_concurrent_invocations
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidConfigurationError(f"max_concurrent_invocations must be an int >= 1, got {limit!r}")
        for name in ("redo_operation", "backup_ack_to_client_enabled", "fail_on_indeterminate_operation_state",
                     "is_big_endian", "icmp_ping_enabled", "icmp_echo_fail_fast_on_startup"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidConfigurationError(f"{name} must be a bool, got {getattr(self, name)!r}")
        for name in ("compact_serializers", "lifecycle_listeners", "membership_listeners"):
            if isinstance(getattr(self, name), (str, bytes)) or not isinstance(getattr(self, name), Sequence):
                raise InvalidConfigurationError(f"{name} must be a list, got {getattr(self, name)!r}")
        for listener in self.lifecycle_listeners:
            if not callable(listener):
                raise InvalidConfigurationError(f"lifecycle_listeners entries must be callables, got {listener!r}")
        for pair in self.membership_listeners:
            if not isinstance(pair, tuple) or len(pair) != 2 or not all(f is None or callable(f) for f in pair):
                raise InvalidConfigurationError(
                    f"membership_listeners entries must be (member_added, member_removed) pairs, got {pair!r}"
                )
        if self.default_int_type is not None:
            from hazelcast.serialization.builtin import IntType

            try:
                self.default_int_type = IntType(self.default_int_type)
            except ValueError:
                raise InvalidConfigurationError(
                    f"default_int_type must be an IntType, got {self.default_int_type!r}"
                ) from None
        if self.icmp_ping_enabled:
            self.icmp_ping_config()  # validates the ICMP options

    @property
    def effective_routing_mode(self) -> RoutingMode:
        """``routing_mode`` if set, else ALL_MEMBERS for ``smart_routing`` and SINGLE_MEMBER otherwise."""
        if self.routing_mode is not None:
            return self.routing_mode
        return RoutingMode.ALL_MEMBERS if self.smart_routing else RoutingMode.SINGLE_MEMBER

    def retry_config(self) -> ConnectionRetryConfig:
        """The connection retry options as a :class:`ConnectionRetryConfig`."""
        return ConnectionRetryConfig(
            initial_backoff=self.retry_initial_backoff,
            max_backoff=self.retry_max_backoff,
            multiplier=self.retry_multiplier,
            jitter=self.retry_jitter,
            cluster_connect_timeout=self.cluster_connect_timeout,
        )

    def icmp_ping_config(self) -> "IcmpPingConfig":
        """The ICMP options as an :class:`~hazelcast.network.failure_detector.IcmpPingConfig`."""
        from hazelcast.network.failure_detector import IcmpPingConfig

        try:
            return IcmpPingConfig(
                enabled=self.icmp_ping_enabled,
                timeout=self.icmp_ping_timeout,
                interval=self.icmp_ping_interval,
                ttl=self.icmp_ping_ttl,
                max_attempts=self.icmp_ping_max_attempts,
                echo_fail_fast_on_startup=self.icmp_echo_fail_fast_on_startup,
            )
        except (TypeError, ValueError) as e:
            raise InvalidConfigurationError(f"icmp_ping options: {e}") from None

    def ssl_config(self) -> "SSLConfig":
        """The TLS options as an :class:`~hazelcast.network.ssl_config.SSLConfig`."""
        from hazelcast.network.ssl_config import SSLConfig

        return SSLConfig(
            enabled=self.ssl_enabled,
            cafile=self.ssl_cafile,
            certfile=self.ssl_certfile,
            keyfile=self.ssl_keyfile,
            password=self.ssl_password,
            protocol=self.ssl_protocol,
            ciphers=self.ssl_ciphers,
            check_hostname=self.ssl_check_hostname,
            server_hostname=self.ssl_server_hostname,
        )


def _number(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise InvalidConfigurationError(f"{name} must be a number, got {value!r}")


def _non_negative(name: str, value: Any) -> None:
    _number(name, value)
    if value < 0:
        raise InvalidConfigurationError(f"{name} must be >= 0, got {value}")


def _positive(name: str, value: Any) -> None:
    _number(name, value)
    if value <= 0:
        raise InvalidConfigurationError(f"{name} must be > 0, got {value}")


def _positive_seconds(name: str, value: Any, allow_inf: bool = False) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
        or (math.isinf(value) and not allow_inf)
    ):
        raise InvalidConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")
