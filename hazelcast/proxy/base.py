"""The base of every proxy and what proxies are given to work with.

A proxy turns calls into requests through the codecs of :mod:`hazelcast.protocol.codecs`, hands them to the
invocation service and turns responses back into objects; it never touches frames (architecture rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, ClassVar

from hazelcast.protocol.codecs.proxy import encode_destroy_proxy_request

if TYPE_CHECKING:  # pragma: no cover
    from hazelcast.invocation import InvocationService
    from hazelcast.listener import ListenerService
    from hazelcast.partition import PartitionService
    from hazelcast.serialization import SerializationService

__all__ = ["Proxy", "ProxyContext"]


@dataclass(frozen=True)
class ProxyContext:
    """The services a proxy uses, built once by the client."""

    invocations: "InvocationService"
    serialization: "SerializationService"
    partitions: "PartitionService"
    listeners: "ListenerService"


class Proxy:
    """A distributed object of service ``service_name`` named ``name`` (see :class:`ProxyManager` for creation).

    ``on_destroy(proxy)`` is called when :meth:`destroy` is called, so the manager forgets it.
    """

    service_name: ClassVar[str] = ""

    def __init__(self, name: str, context: ProxyContext, on_destroy: Callable[["Proxy"], Any]) -> None:
        self.name = name
        self._context = context
        self._on_destroy = on_destroy

    async def destroy(self) -> None:
        """Destroy the object on the cluster (``Client.DestroyProxy``): its data is gone for every client. A later
        ``get_map`` with the same name creates a new, empty one."""
        self._on_destroy(self)
        await self._context.invocations.invoke(encode_destroy_proxy_request(self.name, self.service_name))

    def _invoke(self, request: Any, **kwargs: Any) -> Awaitable[Any]:
        return self._context.invocations.invoke(request, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
