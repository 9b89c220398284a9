"""Codecs: one short module per protocol service, built on :mod:`hazelcast.protocol.codecs.builtin`."""
