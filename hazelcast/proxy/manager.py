"""The proxy manager: one proxy object per (service, name), created on the cluster once (``Client.CreateProxy``)."""

from __future__ import annotations

import asyncio
from typing import Dict, Tuple, Type, TypeVar

from hazelcast.proxy.base import Proxy, ProxyContext
from hazelcast.protocol.codecs.proxy import encode_create_proxy_request

__all__ = ["ProxyManager"]

P = TypeVar("P", bound=Proxy)


class ProxyManager:
    """Creates proxies and keeps them: ``get_or_create`` returns the same object for the same service and name.

    Concurrent first calls for one name share one ``Client.CreateProxy`` invocation. If it fails, nothing is kept
    and the error is raised (the next call tries again).
    """

    def __init__(self, context: ProxyContext) -> None:
        self._context = context
        self._proxies: Dict[Tuple[str, str], "asyncio.Future[Proxy]"] = {}

    async def get_or_create(self, proxy_class: Type[P], name: str) -> P:
        """The proxy of ``proxy_class`` (its ``service_name``) named ``name``, created on the cluster if new."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a distributed object name must be a non-empty string, got {name!r}")
        key = (proxy_class.service_name, name)
        future = self._proxies.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._proxies[key] = future
            try:
                await self._context.invocations.invoke(encode_create_proxy_request(name, proxy_class.service_name))
            except asyncio.CancelledError:
                del self._proxies[key]
                future.cancel()
                raise
            except Exception as error:
                del self._proxies[key]
                future.set_exception(error)
                future.exception()  # retrieved here; concurrent waiters re-raise it
                raise
            future.set_result(proxy_class(name, self._context, self._forget))
        return await asyncio.shield(future)  # type: ignore[return-value]

    async def create_on_cluster(self) -> None:
        """``Client.CreateProxy`` for every proxy again, as urgent invocations (the client reached a new cluster
        that has never seen them; Java's ``createDistributedObjectsOnCluster``)."""
        requests = [encode_create_proxy_request(p.name, p.service_name) for p in self.proxies()]
        await asyncio.gather(*(self._context.invocations.invoke(r, urgent=True) for r in requests))

    def _forget(self, proxy: Proxy) -> None:
        key = (proxy.service_name, proxy.name)
        future = self._proxies.get(key)
        if future is not None and future.done() and not future.cancelled() and future.result() is proxy:
            del self._proxies[key]

    def proxies(self) -> list:
        """The proxies created so far (and not destroyed)."""
        return [f.result() for f in self._proxies.values() if f.done() and not f.cancelled() and not f.exception()]
