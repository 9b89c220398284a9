"""hazelcast-aio: a fast asyncio client for Hazelcast.

``hazelcast.BACKEND`` tells which implementation of the hot paths is in use: ``"compiled"`` (the Cython
extensions) or ``"python"`` (the pure-Python twins); see :mod:`hazelcast._backend`.
"""

from hazelcast._backend import BACKEND
from hazelcast.errors import HazelcastError, HazelcastSerializationError, ProtocolError

__version__ = "0.1.0"

__all__ = ["BACKEND", "HazelcastError", "HazelcastSerializationError", "ProtocolError", "__version__"]
