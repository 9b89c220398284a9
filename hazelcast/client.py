"""``HazelcastClient``: builds the services of the client, owns their lifecycle, hands out proxies.

::

    from hazelcast import HazelcastClient

    async with HazelcastClient(cluster_members=["127.0.0.1:5701"], cluster_name="dev") as client:
        m = await client.get_map("people")
        await m.put("ada", Person("Ada", 36))

    # or
    client = await HazelcastClient.create_and_start(cluster_name="dev")
    ...
    await client.shutdown()

What it wires (architecture.md): the :class:`~hazelcast.network.connection_manager.ConnectionManager` (connections,
reconnects, the cluster view), the :class:`~hazelcast.invocation.InvocationService` (every request; its inbound
messages come from the manager), the :class:`~hazelcast.listener.ListenerService` (listeners on every connection,
the local backup listener), the :class:`~hazelcast.network.failure_detector.HeartbeatManager` (pings and the
heartbeat timeout) and, when enabled, the ICMP ping manager, the
:class:`~hazelcast.serialization.SerializationService` with a :class:`~hazelcast.serialization.SchemaService`
replicating through :class:`~hazelcast.schema_replicator.ClusterSchemaReplicator`, and the proxy manager.

Connecting and switching: the manager connects (and reconnects); when it reaches a cluster with a new cluster id it
awaits :meth:`HazelcastClient._send_state_to_cluster` (all Compact schemas with ``Client.SendAllSchemas``, then the
proxies with ``Client.CreateProxy``) before invocations go out again, and fires CHANGED_CLUSTER; when it gives up
on the cluster it calls :meth:`HazelcastClient._on_cluster_lost`, which shuts the client down.

A **failover client** (blue/green, Java's ``HazelcastClient.newHazelcastFailoverClient``)::

    failover = FailoverConfig(try_count=3, base_config=Config(cluster_connect_timeout=10.0))
    failover.add_cluster(ClusterConfig(cluster_name="blue", cluster_members=["10.0.0.1:5701"]))
    failover.add_cluster(ClusterConfig(cluster_name="green", cluster_members=["10.0.1.1:5701"]))
    async with HazelcastClient(failover_config=failover) as client:
        ...

When the current cluster cannot be reached within its ``cluster_connect_timeout`` (or refuses the client), the
connection manager asks :meth:`HazelcastClient._select_next_cluster` for the next cluster (round robin, see
:class:`~hazelcast.failover.ClusterSelector`) and connects there with that cluster's name, addresses (resolved from
DNS for a CNAME cluster), credentials, TLS and socket interceptor; after ``try_count`` rounds without success the
client shuts down. With a CNAME cluster as the current one, a :class:`~hazelcast.failover.CNAMEWatcher` follows the
name: when its target changes (blue → green), the client holds new requests back, lets those already sent finish
(``switch_drain_timeout``), closes its connections and connects to the new target, while the old cluster is still
up. Pending retryable requests are retried on the new cluster within their timeout; listeners are registered there
and the schemas sent before other data. Unlike Java's failover client, clusters whose authentication says they do
not support failover (all OSS members) are used anyway; the client logs that once per cluster.

Lifecycle: STARTING, then CONNECTED (first connection), STARTED; DISCONNECTED / CONNECTED as connections come and
go; CHANGED_CLUSTER after reaching a cluster with a new cluster id (failover, CNAME flip, restarted cluster);
SHUTTING_DOWN, DISCONNECTED, SHUTDOWN on shutdown. Logging goes to the ``hazelcast`` logger and is silent unless
the application configures logging.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import uuid
from typing import Any, List, Optional

from hazelcast.cluster import ClusterService
from hazelcast.config import Config, RoutingMode
from hazelcast.errors import ClientNotActiveError, IllegalStateError, InvalidConfigurationError
from hazelcast.failover import CNAMEAnswer, ClusterConfig, ClusterSelector, CNAMEWatcher, FailoverConfig
from hazelcast.invocation import InvocationService
from hazelcast.lifecycle import LifecycleService, LifecycleState
from hazelcast.listener import ListenerService
from hazelcast.network.connection_manager import ConnectionManager
from hazelcast.network.failure_detector import HeartbeatManager, IcmpPingManager
from hazelcast.partition import PartitionService
from hazelcast.protocol import ClientMessage
from hazelcast.protocol.codecs.client import encode_ping_request
from hazelcast.proxy.base import ProxyContext
from hazelcast.proxy.manager import ProxyManager
from hazelcast.proxy.map import IMap
from hazelcast.schema_replicator import ClusterSchemaReplicator, hold_back_compact_data
from hazelcast.serialization import SchemaService, SerializationService
from hazelcast.serialization.builtin import IntType

_logger = logging.getLogger(__name__)

_DRAIN_POLL = 0.005
"""Seconds between checks for requests still pending on the connections a CNAME flip leaves."""

__all__ = ["HazelcastClient"]


class _Registrar:
    """The network layer's ListenerRegistrar, forwarding to the invocation service (built after the manager)."""

    def __init__(self) -> None:
        self.invocations: Optional[InvocationService] = None

    async def register_on_connection(self, connection: Any, request: ClientMessage, event_handler: Any) -> Any:
        assert self.invocations is not None
        return await self.invocations.register_on_connection(connection, request, event_handler)


class HazelcastClient:
    """An asyncio client of one Hazelcast cluster (see the module docstring).

    ``config`` is a :class:`~hazelcast.config.Config`; keyword arguments are its options (``cluster_name=...``,
    ``cluster_members=[...]``, ...), applied on top of ``config`` when both are given. The client is created
    stopped: ``await client.start()`` (or ``async with``, or :meth:`create_and_start`) connects it.

    ``failover_config`` (a :class:`~hazelcast.failover.FailoverConfig`) makes it a failover client over several
    clusters (see the module docstring); the shared options then come from ``failover_config.base_config`` and
    neither ``config`` nor keyword options may be given.
    """

    def __init__(self, config: Optional[Config] = None, *, failover_config: Optional[FailoverConfig] = None,
                 **kwargs: Any) -> None:
        self._selector: Optional[ClusterSelector] = None
        if failover_config is not None:
            own = self._own_failover_config(failover_config, config, kwargs)
            self._selector = ClusterSelector(own)
            config = own.to_client_config(own.get_current_cluster(), addresses=())  # addresses: at start()
        elif config is None:
            config = Config(**kwargs)
        elif kwargs:
            config = dataclasses.replace(config, **kwargs)
        if not isinstance(config, Config):
            raise InvalidConfigurationError(f"config must be a hazelcast.config.Config, got {config!r}")
        self._config = config
        self._watcher: Optional[CNAMEWatcher] = None
        self._switch_lock = asyncio.Lock()
        self._client_uuid = uuid.uuid4()
        self._lifecycle = LifecycleService()
        for listener in config.lifecycle_listeners:
            self._lifecycle.add_listener(listener)
        self._cluster = ClusterService()
        self._partitions = PartitionService()
        correlation_ids = itertools.count(1).__next__
        smart = config.effective_routing_mode == RoutingMode.ALL_MEMBERS
        registrar = _Registrar()
        self._manager = ConnectionManager(
            config,
            cluster_service=self._cluster,
            partition_service=self._partitions,
            correlation_id_source=correlation_ids,
            listener_registrar=registrar,
            client_uuid=self._client_uuid,
            on_cluster_lost=self._on_cluster_lost,
            on_cluster_changed=self._send_state_to_cluster,
            select_next_cluster=self._select_next_cluster if self._selector is not None else None,
            failover=self._selector is not None,
            builtin_heartbeat=False,
        )
        self._invocations = InvocationService(
            self._manager,
            self._partitions,
            config,
            smart_routing=smart,
            correlation_ids=correlation_ids,
            urgent_check=hold_back_compact_data(
                lambda: self._manager.initialized_on_cluster, lambda: bool(self._schema_service.schemas())
            ),
        )
        self._manager.direct_invoker.fallback = self._invocations.handle_message  # every inbound message
        registrar.invocations = self._invocations
        self._schema_service = SchemaService(
            ClusterSchemaReplicator(self._invocations, self._member_uuids, config.invocation_retry_pause)
        )
        self._listeners = ListenerService(self._invocations, self._manager, self._member_uuids)
        self._cluster.add_membership_listener(self._members_changed, self._members_changed)
        for added, removed in config.membership_listeners:
            self._cluster.add_listener(added, removed)
        self._serialization = SerializationService(
            config.compact_serializers,
            default_int_type=config.default_int_type if config.default_int_type is not None else IntType.INT,
            big_endian=config.is_big_endian,
            schema_service=self._schema_service,
        )
        self._heartbeat = HeartbeatManager(
            self._manager.get_active_connections,
            self._send_ping,
            interval=config.heartbeat_interval,
            timeout=config.heartbeat_timeout,
        )
        self._icmp = (
            IcmpPingManager(config.icmp_ping_config(), self._manager.get_active_connections)
            if config.icmp_ping_enabled
            else None
        )
        self._proxies = ProxyManager(ProxyContext(self._invocations, self._serialization, self._partitions,
                                                  self._listeners))
        self._manager.add_lifecycle_listener(self._lifecycle.fire)
        if self._selector is not None:
            self._manager.add_lifecycle_listener(self._on_connection_state)
        self._started = False
        self._shutdown_task: Optional["asyncio.Task[None]"] = None

    # -- creation and lifecycle ----------------------------------------------------------------------------------

    @staticmethod
    def _own_failover_config(failover_config: FailoverConfig, config: Optional[Config], kwargs: dict
                             ) -> FailoverConfig:
        if not isinstance(failover_config, FailoverConfig):
            raise InvalidConfigurationError(f"failover_config must be a FailoverConfig, got {failover_config!r}")
        if config is not None or kwargs:
            raise InvalidConfigurationError(
                "a failover client takes its shared options from failover_config.base_config; "
                "do not pass config or keyword options as well"
            )
        own = dataclasses.replace(failover_config)  # the client's own copy: its own current cluster and resolvers
        for cluster in own.clusters:
            ssl = own.to_client_config(cluster, addresses=()).ssl_config()
            if ssl.enabled:
                ssl.create_context()  # a bad TLS setup of any cluster is an error now, not at a switch
        return own

    @classmethod
    async def create_and_start(cls, config: Optional[Config] = None, *,
                               failover_config: Optional[FailoverConfig] = None, **kwargs: Any) -> "HazelcastClient":
        """Create a client (as the constructor, also a failover client) and start it."""
        client = cls(config, failover_config=failover_config, **kwargs)
        await client.start()
        return client

    async def start(self) -> None:
        """Connect to the cluster and start the background work. Raises what the connection manager raises when
        the cluster cannot be reached within ``cluster_connect_timeout`` (the client is then shut down), and
        :class:`~hazelcast.errors.IllegalStateError` when called twice."""
        if self._started:
            raise IllegalStateError("the client was already started")
        self._started = True
        self._lifecycle.fire(LifecycleState.STARTING)
        try:
            await self._invocations.start()
            await self._listeners.start()
            if self._selector is not None:
                cluster, config = await self._selector.first()
                self._config = config
                self._manager.retarget(config)
                self._start_watcher(cluster)
            await self._manager.start()
            self._heartbeat.start()
            if self._icmp is not None:
                self._icmp.start()
        except BaseException:
            await self.shutdown()
            raise
        self._lifecycle.fire(LifecycleState.STARTED)

    async def shutdown(self) -> None:
        """Stop everything: pending invocations fail with :class:`~hazelcast.errors.ClientNotActiveError`,
        connections close, every task of the client ends. Idempotent; concurrent calls wait for the first."""
        if self._shutdown_task is None:
            self._shutdown_task = asyncio.get_running_loop().create_task(self._shutdown())
        await asyncio.shield(self._shutdown_task)

    async def _shutdown(self, cause: Optional[BaseException] = None) -> None:
        self._lifecycle.fire(LifecycleState.SHUTTING_DOWN)
        try:
            await self._stop_watcher()
            await self._heartbeat.shutdown()
            if self._icmp is not None:
                await self._icmp.shutdown()
            await self._listeners.shutdown()
            await self._invocations.shutdown(cause)
            await self._manager.shutdown()
        finally:
            self._lifecycle.fire(LifecycleState.SHUTDOWN)

    async def __aenter__(self) -> "HazelcastClient":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()

    # -- what users ask for --------------------------------------------------------------------------------------

    async def get_map(self, name: str) -> IMap:
        """The distributed map ``name`` (created on the cluster on first use; the same object on later calls)."""
        self._check_running()
        return await self._proxies.get_or_create(IMap, name)

    @property
    def name(self) -> str:
        """The client's name (``client_name``, or ``hz.client_<n>``)."""
        return self._manager.client_name

    @property
    def config(self) -> Config:
        """The configuration (of a failover client: the current cluster's, see
        :meth:`~hazelcast.failover.FailoverConfig.to_client_config`)."""
        return self._config

    @property
    def failover_config(self) -> Optional[FailoverConfig]:
        """A failover client's own copy of its :class:`~hazelcast.failover.FailoverConfig` (its current cluster is
        the one in use); ``None`` for a client of one cluster."""
        return self._selector.config if self._selector is not None else None

    @property
    def lifecycle_service(self) -> LifecycleService:
        """Lifecycle listeners and ``is_running()``."""
        return self._lifecycle

    @property
    def cluster_service(self) -> ClusterService:
        """The member list (``get_members()``) and membership listeners (``add_listener``)."""
        return self._cluster

    @property
    def partition_service(self) -> PartitionService:
        """Partition count, owners and the partition id of serialized keys."""
        return self._partitions

    @property
    def serialization_service(self) -> SerializationService:
        """The serialization service (``to_data`` / ``to_object``) with the client's Compact serializers."""
        return self._serialization

    def _check_running(self) -> None:
        if self._shutdown_task is not None or not self._lifecycle.is_running():
            raise ClientNotActiveError("the client is not running")

    # -- wiring ------------------------------------------------------------------------------------------------

    def _member_uuids(self) -> List[uuid.UUID]:
        return [member.uuid for member in self._cluster.members]

    def _members_changed(self, event: Any) -> None:
        self._listeners.members_changed()

    def _send_ping(self, connection: Any) -> Any:
        return self._invocations.invoke(encode_ping_request(), connection=connection, urgent=True)

    async def _send_state_to_cluster(self) -> None:
        """The connection manager reached a new cluster: make every known schema go there before other data
        (``Client.SendAllSchemas``, docs/protocol.md §6.4), then create the proxies there (as Java)."""
        self._schema_service.reset_replication()
        await self._schema_service.send_all_schemas()
        await self._proxies.create_on_cluster()

    async def _on_cluster_lost(self) -> None:
        """The connection manager gave up on the cluster (reconnect mode OFF, or the connect timeout ran out; for a
        failover client: on every cluster, ``try_count`` times)."""
        _logger.warning("client %s: the cluster is lost (%s); shutting down", self.name, self._manager.terminal_reason)
        if self._shutdown_task is None:
            cause = self._manager.terminal_error
            self._shutdown_task = asyncio.get_running_loop().create_task(self._shutdown(cause))

    # -- failover ----------------------------------------------------------------------------------------------

    def _on_connection_state(self, state: LifecycleState) -> None:
        if state is LifecycleState.CONNECTED:
            assert self._selector is not None
            self._selector.connected()

    async def _select_next_cluster(self, error: BaseException) -> Config:
        """The manager's ``select_next_cluster``: the current cluster failed; choose the next one (raises
        IllegalStateError after ``try_count`` rounds)."""
        assert self._selector is not None
        async with self._switch_lock:
            await self._stop_watcher()
            cluster, config = await self._selector.next(error)
            _logger.warning("client %s: switching to cluster %r (%s)", self.name, cluster.cluster_name,
                            ", ".join(config.cluster_members))
            self._config = config
            self._start_watcher(cluster)
            return config

    def _start_watcher(self, cluster: ClusterConfig) -> None:
        assert self._selector is not None
        if cluster.cname is None:
            return
        failover = self._selector.config
        resolver = failover.resolver_for(cluster)

        async def on_change(old: Optional[CNAMEAnswer], new: CNAMEAnswer) -> None:
            await self._follow_cname(cluster, old, new)

        self._watcher = CNAMEWatcher(resolver, failover.cname_check_interval, on_change, baseline=resolver.last_answer)
        self._watcher.start()

    async def _stop_watcher(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            await watcher.stop()

    async def _follow_cname(self, cluster: ClusterConfig, old: Optional[CNAMEAnswer], new: CNAMEAnswer) -> None:
        """The current CNAME cluster's name has a new answer: new addresses of the same target are just used from
        now on; a new target (blue → green) is switched to at once, even while the old cluster is up."""
        assert self._selector is not None
        async with self._switch_lock:
            if self._selector.current is not cluster or self._shutdown_task is not None:
                return  # the client moved on meanwhile
            failover = self._selector.config
            config = failover.to_client_config(cluster, addresses=failover.addresses_of(cluster, new))
            self._config = config
            if old is not None and old.target == new.target:
                _logger.info("client %s: %s (%s) has new addresses %s", self.name, cluster.cname, new.target,
                             ", ".join(new.addresses))
                self._manager.retarget(config, same_cluster=True)
                return
            _logger.warning("client %s: %s now points to %s (was %s): switching to %s", self.name, cluster.cname,
                            new.target, old.target if old is not None else "unknown", ", ".join(config.cluster_members))
            if self._manager.is_connected:
                self._manager.begin_switch()
                await self._drain(failover.switch_drain_timeout)
            await self._manager.switch_cluster(config, f"{cluster.cname} now points to {new.target}")

    async def _drain(self, timeout: float) -> None:
        """Wait (up to ``timeout`` s) until no invocation waits for a response on the current connections."""
        connections = set(self._manager.get_active_connections())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._invocations.pending_on(connections) and loop.time() < deadline:
            await asyncio.sleep(_DRAIN_POLL)

    def __repr__(self) -> str:
        return f"HazelcastClient(name={self.name!r}, cluster={self._config.cluster_name!r})"
