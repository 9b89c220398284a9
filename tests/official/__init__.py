"""Interop with the official hazelcast-python-client 5.7.0 (run in its own venv, .venv-official)."""
