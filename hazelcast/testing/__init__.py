"""Test support shipped with the package: real servers on loopback for the test suite and the demo (Hazelcast
members in :mod:`hazelcast.testing.members`, DNS in :mod:`hazelcast.testing.dns`)."""
