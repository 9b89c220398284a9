"""Codecs of ``Client.CreateProxy`` and ``Client.DestroyProxy`` (service 0, methods 4 and 5).

Source: ``protocol-definitions/Client.yaml`` of hazelcast/hazelcast-client-protocol. Both requests carry only the
var-sized ``name`` and ``serviceName`` strings, are not retryable, go to any member (partition -1) and have
responses without parameters.
"""

from __future__ import annotations

from hazelcast.protocol import ClientMessage

_create_request = ClientMessage.create_request

CREATE_PROXY = 0x000400
DESTROY_PROXY = 0x000500

MAP_SERVICE_NAME = "hz:impl:mapService"
"""The service name of ``IMap``."""


def _proxy_request(message_type: int, name: str, service_name: str) -> ClientMessage:
    msg = _create_request(message_type, -1, 0)
    msg.retryable = False
    msg.append_string(name)
    msg.append_string(service_name)
    return msg


def encode_create_proxy_request(name: str, service_name: str) -> ClientMessage:
    """``Client.CreateProxy`` (not retryable): var ``name``, ``serviceName`` (e.g. :data:`MAP_SERVICE_NAME`)."""
    return _proxy_request(CREATE_PROXY, name, service_name)


def encode_destroy_proxy_request(name: str, service_name: str) -> ClientMessage:
    """``Client.DestroyProxy`` (not retryable): var ``name``, ``serviceName``."""
    return _proxy_request(DESTROY_PROXY, name, service_name)
