"""Distributed-object proxies: the user-facing data structures (``IMap``), their base class and their manager."""

from hazelcast.proxy.base import Proxy, ProxyContext
from hazelcast.proxy.map import EntryEvent, EntryEventType, IMap
from hazelcast.proxy.manager import ProxyManager

__all__ = ["EntryEvent", "EntryEventType", "IMap", "Proxy", "ProxyContext", "ProxyManager"]
