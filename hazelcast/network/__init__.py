"""Connections to Hazelcast members: addresses, TLS, socket interceptors, connection management and failure
detection."""
