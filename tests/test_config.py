"""Config validation and the views the network layer consumes."""

import socket

import pytest

from hazelcast.config import INFINITE, Config, ConnectionRetryConfig, ReconnectMode, RoutingMode
from hazelcast.errors import InvalidConfigurationError
from hazelcast.network.connection import ConnectionOptions


def test_defaults_match_the_official_client():
    c = Config()
    assert c.cluster_name == "dev"
    assert c.effective_routing_mode is RoutingMode.ALL_MEMBERS
    assert c.reconnect_mode is ReconnectMode.ON
    assert (c.retry_initial_backoff, c.retry_max_backoff, c.retry_multiplier, c.retry_jitter) == (1.0, 30.0, 1.05, 0.0)
    assert c.cluster_connect_timeout == INFINITE
    assert (c.heartbeat_interval, c.heartbeat_timeout, c.connection_timeout) == (5.0, 60.0, 5.0)
    assert c.ssl_check_hostname is True
    r = c.retry_config()
    assert r == ConnectionRetryConfig(1.0, 30.0, 1.05, 0.0, -1.0)


def test_routing_mode():
    assert Config(smart_routing=False).effective_routing_mode is RoutingMode.SINGLE_MEMBER
    assert Config(smart_routing=False, routing_mode=1).effective_routing_mode is RoutingMode.ALL_MEMBERS
    with pytest.raises(InvalidConfigurationError, match="MULTI_MEMBER"):
        Config(routing_mode=RoutingMode.MULTI_MEMBER)
    with pytest.raises(InvalidConfigurationError, match="routing_mode"):
        Config(routing_mode=7)  # type: ignore[arg-type]


def test_reconnect_mode_coerced_and_checked():
    assert Config(reconnect_mode=2).reconnect_mode is ReconnectMode.ASYNC  # type: ignore[arg-type]
    with pytest.raises(InvalidConfigurationError, match="reconnect_mode"):
        Config(reconnect_mode=9)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cluster_name": ""}, "cluster_name"),
        ({"cluster_members": "127.0.0.1"}, "list of address strings"),
        ({"cluster_members": [5701]}, "must be strings"),
        ({"connection_timeout": -1}, "connection_timeout must be >= 0"),
        ({"connection_timeout": "5"}, "must be a number"),
        ({"connection_timeout": float("nan")}, "must be a number"),
        ({"connection_timeout": True}, "must be a number"),
        ({"heartbeat_interval": 0}, "heartbeat_interval must be > 0"),
        ({"heartbeat_timeout": -3}, "heartbeat_timeout must be > 0"),
        ({"socket_send_buffer_size": 0}, "socket_send_buffer_size"),
        ({"socket_receive_buffer_size": 1.5}, "socket_receive_buffer_size"),
        ({"socket_linger_seconds": -1}, "socket_linger_seconds"),
        ({"socket_options": [(1, 2)]}, "socket_options"),
        ({"max_message_size": 100}, "max_message_size"),
        ({"retry_multiplier": 0.5}, "retry_multiplier must be >= 1.0"),
        ({"retry_jitter": 1.5}, r"retry_jitter must be in \[0.0, 1.0\]"),
        ({"retry_initial_backoff": -1}, "retry_initial_backoff"),
        ({"retry_max_backoff": None}, "retry_max_backoff must be a number"),
        ({"retry_jitter": "x"}, "retry_jitter must be a number"),
        ({"cluster_connect_timeout": "x"}, "cluster_connect_timeout must be a number"),
    ],
)
def test_invalid_values(kwargs, message):
    with pytest.raises(InvalidConfigurationError, match=message):
        Config(**kwargs)


def test_invalid_configuration_is_a_value_error():
    with pytest.raises(ValueError):
        Config(retry_multiplier=0)


def test_connection_options_from_config():
    c = Config(
        connection_timeout=2.5,
        tcp_no_delay=False,
        keep_alive=False,
        socket_send_buffer_size=65536,
        socket_receive_buffer_size=32768,
        socket_linger_seconds=3,
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 42)],
        max_message_size=8192,
    )
    o = ConnectionOptions.from_config(c)
    assert o.connect_timeout == 2.5 and o.ssl_context is None
    assert (o.tcp_no_delay, o.keep_alive, o.send_buffer_size, o.receive_buffer_size) == (False, False, 65536, 32768)
    assert o.linger_seconds == 3 and o.max_message_size == 8192
    assert o.socket_options == ((socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 42),)
