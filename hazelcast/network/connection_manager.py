"""The connection manager: owns every connection to the cluster, authenticates them, keeps them healthy.

* **Connecting to the cluster** (:meth:`ConnectionManager.start`, and again after the last connection is lost):
  attempts go through the known members (shuffled), then the configured addresses (primary, then secondary ports),
  with Java's backoff between rounds (:class:`~hazelcast.network.wait_strategy.WaitStrategy`) until
  ``cluster_connect_timeout``.
* **Authentication** is a handshake on the new connection: the ``Client.Authentication`` response is delivered to the
  connection's handshake waiter, then the connection is registered under its member UUID (one connection per
  member; a duplicate is closed) and every further inbound message goes to the message handler.
* **Routing modes**: ALL_MEMBERS connects to every member in the background (on member-list changes and every
  second) and closes the connection of a member that left; SINGLE_MEMBER keeps one connection.
* **Reconnect modes** (§8.2): when the last connection closes, DISCONNECTED is fired; OFF then reports the cluster
  as lost (``on_cluster_lost``, or the manager shuts itself down); ON and ASYNC reconnect in the background, and
  :meth:`ConnectionManager.check_invocation_allowed` fails fast with ``ClientOfflineError`` only under ASYNC.
* **Heartbeat**: unless ``builtin_heartbeat=False`` (the client then plugs in
  ``failure_detector.HeartbeatManager(manager.get_active_connections, manager.send_ping, ...)``), a built-in idle
  check pings connections that wrote nothing for ``heartbeat_interval`` and closes those that read nothing for
  ``heartbeat_timeout`` with a :class:`~hazelcast.errors.TargetDisconnectedError` cause.
* **A new cluster** (its cluster id differs from the previous connection's, e.g. after the whole cluster
  restarted, or a failover switch): the member list and the partition table are reset (the partition count must
  stay the same, as in Java), and ``on_cluster_changed()`` (the client's "send state to cluster": all Compact
  schemas, §6.4) is awaited before invocations are allowed again; :meth:`ConnectionManager.check_invocation_allowed`
  raises a retryable ``HazelcastIOError`` meanwhile. If it fails, the connections are closed and the hook runs again
  on the next connection to that cluster. Then CHANGED_CLUSTER is fired. A connection to another cluster while
  connections to the current one are alive is closed ("does not belong to this cluster", as in Java).
* **Switching clusters** (failover, §8.1): when the current cluster cannot be reached within its
  ``cluster_connect_timeout`` (or refuses the client), ``select_next_cluster(error)`` returns the config of the
  cluster to try next (or raises to give up) and the manager is re-pointed at it (:meth:`ConnectionManager.retarget`:
  cluster name, credentials, TLS, socket interceptor, addresses; the known member list is not tried until the new
  target answers). :meth:`ConnectionManager.begin_switch` and :meth:`ConnectionManager.switch_cluster` move a
  connected client to another target on purpose (a CNAME flip). Connection attempts begun for an old target are
  abandoned. With ``failover=True``, a cluster whose authentication response says it does not support failover (OSS
  members) is logged once per cluster and used anyway (Java's failover client refuses it).
* **Messages**: all inbound messages go through :class:`~hazelcast.network.direct_invoker.DirectInvoker` (the few
  requests this layer sends itself, with ids from ``correlation_id_source``), then to
  ``message_handler(connection, message)``.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import itertools
import logging
import random
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from hazelcast import __version__
from hazelcast.cluster import ClusterService, MembershipEvent
from hazelcast.config import Config, ReconnectMode, RoutingMode
from hazelcast.errors import (
    AuthenticationError,
    ClientNotActiveError,
    ClientNotAllowedInClusterError,
    ClientOfflineError,
    HazelcastIOError,
    IllegalStateError,
    InvalidConfigurationError,
    TargetDisconnectedError,
)
from hazelcast.lifecycle import LifecycleState
from hazelcast.network.address import Address, addresses_to_try
from hazelcast.network.cluster_view_listener import ClusterViewListener
from hazelcast.network.connection import Connection, ConnectionOptions, MessageHandler
from hazelcast.network.direct_invoker import DirectInvoker, ListenerRegistrar
from hazelcast.network.load_balancer import LoadBalancer, RoundRobinLoadBalancer
from hazelcast.network.wait_strategy import WaitStrategy
from hazelcast.partition import PartitionService
from hazelcast.protocol.codecs.client import (
    AUTHENTICATED,
    CREDENTIALS_FAILED,
    NOT_ALLOWED_IN_CLUSTER,
    SERIALIZATION_VERSION_MISMATCH,
    AuthenticationResponse,
    decode_authentication_response,
    encode_authentication_request,
    encode_ping_request,
)
from hazelcast.protocol.errors import ERROR_MESSAGE_TYPE, decode_error_response

_logger = logging.getLogger(__name__)

CONNECT_ALL_PERIOD = 1.0
"""Seconds between passes that connect to members without a connection (ALL_MEMBERS), as in Java."""

ConnectionCallback = Callable[[Connection], None]
LifecycleCallback = Callable[[LifecycleState], None]
NextClusterSelector = Callable[[BaseException], Awaitable[Config]]
"""``select_next_cluster(error)``: the config of the cluster to try after the current one failed with ``error``;
raises to give up."""

_SWITCHING = object()
"""``_uninitialized_cluster`` while a deliberate switch is under way (invocations are held back)."""

_client_names = itertools.count()


class ClientConnectionState(enum.Enum):
    """Where the manager stands with the cluster."""

    INITIAL = "INITIAL"
    """Not started, or the first connection attempt is in progress."""
    CONNECTED = "CONNECTED"
    """At least one authenticated connection is alive."""
    DISCONNECTED = "DISCONNECTED"
    """Lost every connection; reconnecting (ON / ASYNC)."""
    SHUTDOWN = "SHUTDOWN"
    """Terminal: shut down by the user, or because the cluster was lost with OFF / after the connect timeout."""


class ConnectionManager:
    """Owns the client's connections (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        *,
        cluster_service: ClusterService,
        partition_service: PartitionService,
        message_handler: Optional[MessageHandler] = None,
        correlation_id_source: Optional[Callable[[], int]] = None,
        listener_registrar: Optional[ListenerRegistrar] = None,
        client_uuid: Optional[uuid.UUID] = None,
        client_name: Optional[str] = None,
        client_version: str = __version__,
        on_cluster_lost: Optional[Callable[[], Any]] = None,
        on_cluster_changed: Optional[Callable[[], Awaitable[Any]]] = None,
        select_next_cluster: Optional[NextClusterSelector] = None,
        failover: bool = False,
        builtin_heartbeat: bool = True,
        wait_strategy: Optional[WaitStrategy] = None,
        options: Optional[ConnectionOptions] = None,
        rng: Optional[random.Random] = None,
    ) -> None:
        self.config = config
        self.routing_mode = config.effective_routing_mode
        self.client_uuid = client_uuid or uuid.uuid4()
        self.client_name = client_name or config.client_name or f"hz.client_{next(_client_names)}"
        self.client_version = client_version
        self._cluster = cluster_service
        self._partitions = partition_service
        self._options = options or ConnectionOptions.from_config(config)
        self._primary, self._secondary = addresses_to_try(config.cluster_members)
        self._random = rng or random.Random()
        self._wait = wait_strategy or WaitStrategy(config.retry_config())
        self._load_balancer: LoadBalancer = config.load_balancer or RoundRobinLoadBalancer()
        self._invoker = DirectInvoker(correlation_id_source or itertools.count(1).__next__, message_handler)
        self._cluster_view = ClusterViewListener(
            cluster_service, partition_service, listener_registrar or self._invoker, self.get_active_connections
        )
        self._on_cluster_lost = on_cluster_lost
        self._on_cluster_changed = on_cluster_changed
        self._select_next_cluster = select_next_cluster
        self._failover = failover
        self._failover_warned: Set[uuid.UUID] = set()
        self._generation = 0
        self._members_trusted = True
        self._uninitialized_cluster: Any = None
        self._initialize_task: Optional[asyncio.Task] = None
        self._builtin_heartbeat = builtin_heartbeat
        self._state = ClientConnectionState.INITIAL
        self._connections: Dict[uuid.UUID, Connection] = {}
        self._unauthenticated: Set[Connection] = set()
        self._connecting_members: Dict[uuid.UUID, asyncio.Task] = {}
        self._tasks: Set[asyncio.Task] = set()
        self._reconnect_task: Optional[asyncio.Task] = None
        self._wake: Optional[asyncio.Event] = None
        self._connection_ids = itertools.count(1)
        self._cluster_id: Optional[uuid.UUID] = None
        self._lifecycle_listeners: List[LifecycleCallback] = []
        self._connection_listeners: List[tuple] = []
        self._shutdown_done: Optional[asyncio.Future] = None
        self.terminal_reason: Optional[str] = None
        """Why the manager shut itself down (cluster lost), or ``None``."""
        self.terminal_error: Optional[BaseException] = None
        """The error that made the manager give up on the cluster, or ``None``."""
        cluster_service.add_membership_listener(self._member_added, self._member_removed)

    # -- queries ------------------------------------------------------------------------------------------------

    @property
    def state(self) -> ClientConnectionState:
        """The :class:`ClientConnectionState`."""
        return self._state

    @property
    def is_connected(self) -> bool:
        """Whether at least one authenticated connection is alive."""
        return self._state is ClientConnectionState.CONNECTED

    @property
    def cluster_id(self) -> Optional[uuid.UUID]:
        """The id of the cluster connected to last."""
        return self._cluster_id

    @property
    def initialized_on_cluster(self) -> bool:
        """False while ``on_cluster_changed`` has not yet completed for the cluster connected to."""
        return self._uninitialized_cluster is None

    @property
    def cluster_view_connection(self) -> Optional[Connection]:
        """The connection carrying the cluster view listener."""
        return self._cluster_view.listening_connection

    @property
    def direct_invoker(self) -> DirectInvoker:
        """The table of this layer's own requests (its ``handle`` is every connection's message handler)."""
        return self._invoker

    def get_active_connections(self) -> List[Connection]:
        """The authenticated, live connections."""
        return [c for c in self._connections.values() if c.is_alive]

    def get_connection(self, member_uuid: uuid.UUID) -> Optional[Connection]:
        """The live connection to the member with ``member_uuid``, or ``None``."""
        connection = self._connections.get(member_uuid)
        if connection is not None and connection.is_alive:
            return connection
        return None

    def get_connection_for_address(self, address: Address) -> Optional[Connection]:
        """The live connection opened to ``address`` or to the member that reports ``address``, or ``None``."""
        for connection in self._connections.values():
            if connection.is_alive and connection.remote_address == address:
                return connection
        for member in self._cluster.members:
            if member.address == address:
                return self.get_connection(member.uuid)
        return None

    def get_random_connection(self) -> Optional[Connection]:
        """A live connection chosen by the load balancer, or ``None`` when disconnected."""
        return self._load_balancer.next(self.get_active_connections())

    def check_invocation_allowed(self) -> None:
        """Raise unless a request may be sent now: ClientNotActiveError after shutdown, ClientOfflineError while
        disconnected under ASYNC, HazelcastIOError (retryable) while disconnected otherwise."""
        state = self._state
        if state is ClientConnectionState.CONNECTED and self._uninitialized_cluster is None:
            return  # a connection that is closing but not yet removed just makes the send fail (and retry)
        if state is ClientConnectionState.SHUTDOWN:
            raise ClientNotActiveError("the client is shut down")
        if state is ClientConnectionState.CONNECTED:
            if self._uninitialized_cluster is _SWITCHING:
                raise HazelcastIOError("the client is switching to another cluster")
            raise HazelcastIOError("the client is sending its state to a new cluster")
        if self._state is ClientConnectionState.DISCONNECTED and self.config.reconnect_mode == ReconnectMode.ASYNC:
            raise ClientOfflineError("the client is disconnected from the cluster (reconnect mode ASYNC)")
        raise HazelcastIOError("no connection found to the cluster")

    # -- listeners ----------------------------------------------------------------------------------------------

    def add_lifecycle_listener(self, listener: LifecycleCallback) -> None:
        """``listener(LifecycleState.CONNECTED | DISCONNECTED)`` on every transition."""
        self._lifecycle_listeners.append(listener)

    def add_connection_listener(
        self, on_added: Optional[ConnectionCallback] = None, on_removed: Optional[ConnectionCallback] = None
    ) -> None:
        """Callbacks for authenticated connections being added and removed."""
        self._connection_listeners.append((on_added, on_removed))

    # -- switching clusters -----------------------------------------------------------------------------------------

    def retarget(self, config: Config, *, same_cluster: bool = False) -> None:
        """Point the manager at another cluster: ``config``'s cluster name, credentials, TLS, socket interceptor and
        member addresses are used from the next connection attempt on (its other options must match the current
        ones; routing mode is checked). Live connections are kept (see :meth:`switch_cluster`).

        Unless ``same_cluster`` (new addresses of the same cluster, e.g. new DNS records), connection attempts still
        under way for the old target are abandoned, and the known member list is not tried until a member of the new
        target has answered. Raises :class:`~hazelcast.errors.InvalidConfigurationError` (changing nothing) for a
        bad TLS setup or another routing mode."""
        if config.effective_routing_mode != self.routing_mode:
            raise InvalidConfigurationError(
                f"cannot switch from routing mode {self.routing_mode.name} to {config.effective_routing_mode.name}"
            )
        options = ConnectionOptions.from_config(config)
        primary, secondary = addresses_to_try(config.cluster_members)
        self.config = config
        self._options = options
        self._primary, self._secondary = primary, secondary
        if same_cluster:
            return
        self._generation += 1
        self._members_trusted = False
        for task in list(self._connecting_members.values()):
            task.cancel()
        _logger.info("client %s: now targeting cluster %r at %s", self.client_name, config.cluster_name,
                     ", ".join(map(str, primary)))

    def begin_switch(self) -> None:
        """Hold back invocations (they get a retryable error, as while disconnected) until a cluster is reached
        again after :meth:`switch_cluster`; meanwhile pending ones can finish on the current connections."""
        self._check_active()
        self._uninitialized_cluster = _SWITCHING

    async def switch_cluster(self, config: Config, reason: str) -> None:
        """Leave the current cluster for ``config``'s (:meth:`retarget`): every connection is closed with a
        :class:`~hazelcast.errors.TargetDisconnectedError` cause naming ``reason``, and the manager reconnects to the
        new target (DISCONNECTED, CONNECTED and, for another cluster id, CHANGED_CLUSTER follow)."""
        self._check_active()
        self.retarget(config)
        self._uninitialized_cluster = _SWITCHING
        cause = TargetDisconnectedError(f"the client is switching clusters: {reason}")
        connections = list(self._connections.values())
        await asyncio.gather(*(c.close(reason, cause) for c in connections), return_exceptions=True)

    def _fire_lifecycle(self, state: LifecycleState) -> None:
        _logger.info("client %s: %s", self.client_name, state.value)
        for listener in list(self._lifecycle_listeners):
            _call(listener, state)

    def _fire_connection(self, index: int, connection: Connection) -> None:
        for pair in list(self._connection_listeners):
            if pair[index] is not None:
                _call(pair[index], connection)

    # -- lifecycle ----------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the cluster (raising if that fails within ``cluster_connect_timeout``) and start the
        background work (connect-to-all in ALL_MEMBERS, the built-in heartbeat)."""
        if self._state is not ClientConnectionState.INITIAL or self._wake is not None:
            raise IllegalStateError(f"start() needs an INITIAL connection manager, this one is {self._state.value}")
        self._wake = asyncio.Event()
        try:
            await self._connect_to_cluster()
        except BaseException:
            await self.shutdown()
            raise
        if self.routing_mode == RoutingMode.ALL_MEMBERS:
            self._spawn(self._connect_all_loop())
        if self._builtin_heartbeat:
            self._spawn(self._heartbeat_loop())

    async def shutdown(self) -> None:
        """Close every connection and stop every task of the manager; idempotent. Fires DISCONNECTED when it was
        connected."""
        if self._shutdown_done is not None:
            await asyncio.shield(self._shutdown_done)
            return
        self._shutdown_done = asyncio.get_running_loop().create_future()
        was_connected = self._state is ClientConnectionState.CONNECTED
        self._state = ClientConnectionState.SHUTDOWN
        try:
            current = asyncio.current_task()
            tasks = [t for t in itertools.chain(self._tasks, self._connecting_members.values()) if t is not current]
            if self._reconnect_task is not None and self._reconnect_task is not current:
                tasks.append(self._reconnect_task)
            for task in tasks:
                task.cancel()
            await self._cluster_view.stop()
            connections = list(self._connections.values()) + list(self._unauthenticated)
            await asyncio.gather(
                *(c.close("Client is shutting down", None) for c in connections), return_exceptions=True
            )
            await asyncio.gather(*tasks, return_exceptions=True)
            self._connections.clear()
            if was_connected:
                self._fire_lifecycle(LifecycleState.DISCONNECTED)
        finally:
            self._shutdown_done.set_result(None)

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _check_active(self) -> None:
        if self._state is ClientConnectionState.SHUTDOWN:
            raise ClientNotActiveError("the connection manager is shut down")

    # -- connecting to the cluster ----------------------------------------------------------------------------------

    def _candidate_addresses(self) -> List[Address]:
        members = [m.address for m in self._cluster.members] if self._members_trusted else []
        primary = list(self._primary)
        secondary = list(self._secondary)
        if self.config.shuffle_member_list:
            for group in (members, primary, secondary):
                self._random.shuffle(group)
        out: List[Address] = []
        for address in itertools.chain(members, primary, secondary):
            if address not in out:
                out.append(address)
        return out

    async def _connect_to_cluster(self) -> None:
        while True:
            failure = await self._try_current_cluster()
            if failure is None:
                return
            if self._select_next_cluster is None:
                raise failure
            _logger.warning("client %s: giving up on cluster %r: %s", self.client_name, self.config.cluster_name,
                            failure)
            config = await self._select_next_cluster(failure)
            self._check_active()
            self.retarget(config)

    async def _try_current_cluster(self) -> Optional[Exception]:
        """Connect to the current target with the backoff until its connect timeout: ``None`` once connected, else
        the reason to give up on it (ClientNotAllowedInClusterError propagates without a next-cluster selector)."""
        self._wait.reset()
        while True:
            generation = self._generation
            for address in self._candidate_addresses():
                self._check_active()
                if generation != self._generation:
                    break  # re-pointed meanwhile: start over with the new target's addresses
                try:
                    if await self._connect(address) is not None:
                        return None
                except ClientNotAllowedInClusterError as e:
                    if self._select_next_cluster is None:
                        raise
                    return e
            else:
                self._check_active()
                if not await self._wait.sleep():
                    return IllegalStateError(
                        f"unable to connect to any cluster member within cluster_connect_timeout "
                        f"{self.config.cluster_connect_timeout} s (tried {self._wait.attempt} rounds)"
                    )

    async def _connect(self, address: Address) -> Optional[Connection]:
        """An authenticated connection to ``address`` (an existing one when there is one), or ``None`` on a
        recoverable failure. ClientNotAllowedInClusterError propagates."""
        existing = self.get_connection_for_address(address)
        if existing is not None:
            return existing
        generation = self._generation
        connection = Connection(
            address, self._invoker.handle, connection_id=next(self._connection_ids), options=self._options
        )
        self._unauthenticated.add(connection)
        try:
            await connection.connect()
            response = await self._authenticate(connection)
        except ClientNotAllowedInClusterError as e:
            await connection.close("Client not allowed in cluster", e)
            raise
        except (asyncio.CancelledError, ClientNotActiveError):
            await connection.close("Connect cancelled", None)
            raise
        except Exception as e:
            _logger.warning("cannot connect to %s: %r", address, e)
            await connection.close("Connect or authentication failed", e)
            return None
        finally:
            self._unauthenticated.discard(connection)
        return await self._on_authenticated(connection, response, generation)

    async def _authenticate(self, connection: Connection) -> AuthenticationResponse:
        config = self.config
        request = encode_authentication_request(
            config.cluster_name,
            config.creds_username,
            config.creds_password,
            self.client_uuid,
            self.client_version,
            self.client_name,
            config.labels,
            int(self.routing_mode),
        )
        request.correlation_id = self._invoker.next_correlation_id()
        waiter = connection.expect_handshake_response()
        if not connection.send_sync(request):
            raise TargetDisconnectedError(f"{connection!r} closed before authentication")
        async with asyncio.timeout(config.heartbeat_timeout):
            message = await waiter
        if message.message_type == ERROR_MESSAGE_TYPE:
            raise decode_error_response(message)
        response = decode_authentication_response(message)
        if response.status == CREDENTIALS_FAILED:
            raise AuthenticationError(
                f"authentication to {connection.remote_address} failed: wrong cluster name "
                f"({config.cluster_name!r}) or credentials"
            )
        if response.status == NOT_ALLOWED_IN_CLUSTER:
            raise ClientNotAllowedInClusterError(f"{connection.remote_address} does not allow this client")
        if response.status == SERIALIZATION_VERSION_MISMATCH:
            raise ClientNotAllowedInClusterError(
                f"serialization version mismatch with {connection.remote_address} "
                f"(member uses {response.serialization_version})"
            )
        if response.status != AUTHENTICATED:
            raise AuthenticationError(f"unknown authentication status {response.status}")
        if response.member_uuid is None:
            raise AuthenticationError(f"{connection.remote_address} authenticated without a member UUID")
        if self._failover and not response.failover_supported and response.cluster_id not in self._failover_warned:
            self._failover_warned.add(response.cluster_id)
            _logger.warning(
                "cluster %r (id %s, at %s, server %s) says it does not support failover (a Hazelcast Enterprise "
                "feature); this client switches clusters anyway (Java's failover client would refuse this cluster)",
                config.cluster_name, response.cluster_id, connection.remote_address,
                response.server_hazelcast_version,
            )
        self._partitions.check_and_set_partition_count(response.partition_count)
        connection.member_uuid = response.member_uuid
        connection.cluster_uuid = response.cluster_id
        connection.server_version = response.server_hazelcast_version
        return response

    async def _on_authenticated(
        self, connection: Connection, response: AuthenticationResponse, generation: Optional[int] = None
    ) -> Optional[Connection]:
        """Register an authenticated connection; ``generation`` is the target generation its attempt began in
        (``None``: the current one)."""
        member_uuid = response.member_uuid
        assert member_uuid is not None
        if generation is not None and generation != self._generation:
            await connection.close("The client switched to another cluster meanwhile", None)
            return None
        existing = self.get_connection(member_uuid)
        if existing is not None:
            await connection.close("Duplicate connection to the same member", None)
            return existing
        changed = self._cluster_id is not None and response.cluster_id != self._cluster_id
        if changed:
            if self.get_active_connections():
                _logger.warning("%r belongs to cluster %s, not to %s: closing it", connection, response.cluster_id,
                                self._cluster_id)
                await connection.close("Connection does not belong to this cluster", None)
                return None
            _logger.warning("connected to a new cluster %s (was %s)", response.cluster_id, self._cluster_id)
            self._cluster.reset()
            self._partitions.reset(keep_count=True)
            self._uninitialized_cluster = response.cluster_id if self._on_cluster_changed is not None else None
        elif self._uninitialized_cluster is _SWITCHING:
            self._uninitialized_cluster = None  # a switch that led back to the same cluster: nothing to send
        self._members_trusted = True
        self._cluster_id = response.cluster_id
        self._connections[member_uuid] = connection
        connection.add_close_listener(self._on_connection_closed)
        if not connection.is_alive:  # closed while we were registering it; the listener has run
            return None
        _logger.info("authenticated %r (server %s)", connection, response.server_hazelcast_version)
        if response.members:
            self._cluster.handle_members_view(response.member_list_version, response.members)
        if response.partitions:
            self._partitions.handle_partitions_view(connection, response.partition_list_version, response.partitions)
        if self._state is not ClientConnectionState.CONNECTED:
            self._state = ClientConnectionState.CONNECTED
            self._fire_lifecycle(LifecycleState.CONNECTED)
        self._cluster_view.connection_added(connection)
        self._fire_connection(0, connection)
        if changed and self._on_cluster_changed is None:
            self._fire_lifecycle(LifecycleState.CHANGED_CLUSTER)
        self._maybe_initialize()
        return connection

    def _maybe_initialize(self) -> None:
        cluster_id = self._uninitialized_cluster
        if isinstance(cluster_id, uuid.UUID) and cluster_id == self._cluster_id and self._initialize_task is None:
            self._initialize_task = self._spawn(self._initialize_on_cluster(cluster_id))

    async def _initialize_on_cluster(self, cluster_id: uuid.UUID) -> None:
        assert self._on_cluster_changed is not None
        try:
            await self._on_cluster_changed()
        except Exception as e:
            _logger.warning("could not send the client state to cluster %s: %r", cluster_id, e)
            for connection in list(self._connections.values()):
                if connection.cluster_uuid == cluster_id:
                    self._spawn(connection.close("Failed to send the client state to the cluster", e))
        else:
            if self._uninitialized_cluster == cluster_id:
                self._uninitialized_cluster = None
                _logger.info("client %s: initialized on cluster %s", self.client_name, cluster_id)
                self._fire_lifecycle(LifecycleState.CHANGED_CLUSTER)
        finally:
            self._initialize_task = None
            if self._uninitialized_cluster != cluster_id and self._state is not ClientConnectionState.SHUTDOWN:
                self._maybe_initialize()  # another cluster was reached while this one was being initialized

    # -- losing connections ----------------------------------------------------------------------------------------

    def _on_connection_closed(self, connection: Connection) -> None:
        self._invoker.connection_closed(connection)
        member_uuid = connection.member_uuid
        if self._connections.get(member_uuid) is not connection:
            return
        del self._connections[member_uuid]
        self._cluster_view.connection_removed(connection)
        self._fire_connection(1, connection)
        if self._connections or self._state is not ClientConnectionState.CONNECTED:
            return
        self._state = ClientConnectionState.DISCONNECTED
        self._fire_lifecycle(LifecycleState.DISCONNECTED)
        if self.config.reconnect_mode == ReconnectMode.OFF:
            self._spawn(self._cluster_lost("the last connection closed and reconnect_mode is OFF"))
        elif self._reconnect_task is None:
            self._reconnect_task = self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        try:
            await self._connect_to_cluster()
        except (ClientNotActiveError, asyncio.CancelledError):
            return
        except Exception as e:
            _logger.error("giving up reconnecting to the cluster: %r", e)
            await self._cluster_lost(f"unable to reconnect: {e}", e)
        finally:
            self._reconnect_task = None

    async def _cluster_lost(self, reason: str, error: Optional[BaseException] = None) -> None:
        self.terminal_reason = reason
        self.terminal_error = error
        _logger.warning("cluster lost: %s", reason)
        if self._on_cluster_lost is not None:
            result = self._on_cluster_lost()
            if inspect.isawaitable(result):
                await result
        else:
            await self.shutdown()

    # -- ALL_MEMBERS: one connection per member ---------------------------------------------------------------------

    def _member_added(self, event: MembershipEvent) -> None:
        if self._wake is not None:
            self._wake.set()

    def _member_removed(self, event: MembershipEvent) -> None:
        connection = self._connections.get(event.member.uuid)
        if connection is None or self._state is ClientConnectionState.SHUTDOWN:
            return
        cause = TargetDisconnectedError(
            f"closed the connection to {event.member} after receiving a member left event from the cluster"
        )
        self._spawn(connection.close("Member left the cluster", cause))

    async def _connect_all_loop(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            if self._state is ClientConnectionState.CONNECTED:
                self._connect_to_all_members()
            try:
                async with asyncio.timeout(CONNECT_ALL_PERIOD):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _connect_to_all_members(self) -> None:
        if not self._members_trusted:
            return  # the member list is the old target's until the new one answers
        for member in self._cluster.members:
            if member.uuid in self._connections or member.uuid in self._connecting_members:
                continue
            task = asyncio.get_running_loop().create_task(self._connect_member(member.uuid, member.address))
            self._connecting_members[member.uuid] = task

    async def _connect_member(self, member_uuid: uuid.UUID, address: Address) -> None:
        try:
            await self._connect(address)
        except Exception as e:
            _logger.debug("cannot connect to member %s at %s: %r", member_uuid, address, e)
        finally:
            self._connecting_members.pop(member_uuid, None)

    # -- heartbeat ---------------------------------------------------------------------------------------------

    def send_ping(self, connection: Connection) -> bool:
        """Send ``Client.Ping`` on ``connection`` (its response is dropped); False if it is not alive."""
        return self._invoker.send_and_forget(connection, encode_ping_request())

    def check_heartbeats(self, now: float) -> None:
        """One pass of the built-in idle check at loop time ``now``."""
        interval = self.config.heartbeat_interval
        timeout = self.config.heartbeat_timeout
        for connection in self.get_active_connections():
            if now - connection.last_read_time > timeout:
                cause = TargetDisconnectedError(f"Heartbeat timed out to connection {connection!r}")
                self._spawn(connection.close("Heartbeat timed out", cause))
            elif now - connection.last_write_time > interval:
                self.send_ping(connection)

    async def _heartbeat_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = min(self.config.heartbeat_interval, self.config.heartbeat_timeout / 2)
        while True:
            await asyncio.sleep(period)
            self.check_heartbeats(loop.time())


def _call(callback: Callable[[Any], Any], argument: Any) -> None:
    try:
        callback(argument)
    except Exception:
        _logger.exception("listener failed")
