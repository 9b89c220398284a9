"""Test support shipped with the package: real Hazelcast members on loopback (:mod:`hazelcast.testing.members`)."""
