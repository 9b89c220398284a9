"""Failure detection for member connections.

:func:`_calculate_checksum` is the RFC 1071 checksum of ICMP echo packets, from the compiled backend when present.
"""

from __future__ import annotations

from typing import Union

from hazelcast._backend import framing as _framing


def _calculate_checksum(data: Union[bytes, bytearray, memoryview]) -> int:
    """RFC 1071 Internet checksum of ``data`` (any bytes-like object, odd lengths allowed), in ``0..0xFFFF``."""
    return _framing.calculate_checksum(data)
