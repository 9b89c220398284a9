"""hazelcast-aio: a fast asyncio client for Hazelcast.

``hazelcast.BACKEND`` tells which implementation of the hot paths is in use: ``"compiled"`` (the Cython
extensions) or ``"python"`` (the pure-Python twins); see :mod:`hazelcast._backend`.
"""

import logging

from hazelcast._backend import BACKEND
from hazelcast.errors import HazelcastError, HazelcastSerializationError, ProtocolError

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())  # quiet unless the application configures logging


def __getattr__(name: str):  # HazelcastClient / Config on first use: importing the package stays light
    if name == "HazelcastClient":
        from hazelcast.client import HazelcastClient

        return HazelcastClient
    if name == "Config":
        from hazelcast.config import Config

        return Config
    if name in ("FailoverConfig", "ClusterConfig"):
        from hazelcast import failover

        return getattr(failover, name)
    raise AttributeError(f"module 'hazelcast' has no attribute {name!r}")


__all__ = ["BACKEND", "ClusterConfig", "Config", "FailoverConfig", "HazelcastClient", "HazelcastError",
           "HazelcastSerializationError", "ProtocolError", "__version__"]
