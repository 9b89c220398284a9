"""Lifecycle states of the client and the service that reports them to listeners (names as in the official
clients)."""

from __future__ import annotations

import enum
import logging
import uuid
from typing import Callable, Dict

_logger = logging.getLogger(__name__)


class LifecycleState(str, enum.Enum):
    """A client lifecycle event. The connection manager reports CONNECTED, DISCONNECTED and CHANGED_CLUSTER; the
    client reports the others."""

    STARTING = "STARTING"
    STARTED = "STARTED"
    CONNECTED = "CONNECTED"
    """The client has a connection to the cluster again (or for the first time)."""
    DISCONNECTED = "DISCONNECTED"
    """The client lost its last connection to the cluster."""
    CHANGED_CLUSTER = "CHANGED_CLUSTER"
    """The client reached a cluster with another cluster id than before (a failover switch, a CNAME flip, or a
    cluster restarted from scratch) and has sent it its state (Compact schemas, proxies): data and listeners now
    live there. Fired after CONNECTED."""
    CLIENT_CHANGED_CLUSTER = "CHANGED_CLUSTER"
    """Java's name of :attr:`CHANGED_CLUSTER` (an alias: the same member)."""
    SHUTTING_DOWN = "SHUTTING_DOWN"
    SHUTDOWN = "SHUTDOWN"


LifecycleListener = Callable[[LifecycleState], None]


class LifecycleService:
    """Lifecycle listeners of one client (``client.lifecycle_service``, as in the official client).

    Listeners are called synchronously, in registration order, with each :class:`LifecycleState` the client goes
    through; an exception in a listener is logged and does not stop the others.
    """

    def __init__(self) -> None:
        self._listeners: Dict[str, LifecycleListener] = {}
        self._running = False

    def is_running(self) -> bool:
        """Whether the client is started and not shutting down."""
        return self._running

    def add_listener(self, on_state_change: LifecycleListener) -> str:
        """Register ``on_state_change(state)``; returns a registration id for :meth:`remove_listener`."""
        if not callable(on_state_change):
            raise TypeError(f"a lifecycle listener must be callable, got {on_state_change!r}")
        registration_id = str(uuid.uuid4())
        self._listeners[registration_id] = on_state_change
        return registration_id

    def remove_listener(self, registration_id: str) -> bool:
        """Unregister; ``False`` if the id is unknown."""
        return self._listeners.pop(registration_id, None) is not None

    def fire(self, state: LifecycleState) -> None:
        """Report ``state`` (called by the client) and track whether the client is running."""
        if state is LifecycleState.STARTED:
            self._running = True
        elif state is LifecycleState.SHUTTING_DOWN:
            self._running = False
        _logger.info("lifecycle: %s", state.value)
        for listener in list(self._listeners.values()):
            try:
                listener(state)
            except Exception:
                _logger.exception("lifecycle listener %r failed on %s", listener, state.value)
