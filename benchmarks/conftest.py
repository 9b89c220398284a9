"""Benchmarks reuse the backend fixtures of the test suite (ids ``compiled`` and ``python``)."""

from tests.conftest import codec, codec_pair, framing, framing_pair  # noqa: F401
