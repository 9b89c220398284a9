"""Lifecycle states of the client, reported to lifecycle listeners (names as in the official clients)."""

from __future__ import annotations

import enum


class LifecycleState(str, enum.Enum):
    """A client lifecycle event. The connection manager reports CONNECTED and DISCONNECTED; the client reports
    the others."""

    STARTING = "STARTING"
    STARTED = "STARTED"
    CONNECTED = "CONNECTED"
    """The client has a connection to the cluster again (or for the first time)."""
    DISCONNECTED = "DISCONNECTED"
    """The client lost its last connection to the cluster."""
    SHUTTING_DOWN = "SHUTTING_DOWN"
    SHUTDOWN = "SHUTDOWN"
