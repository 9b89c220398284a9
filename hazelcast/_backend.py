"""Chooses, once at import time, between the compiled extensions and their pure-Python twins.

* ``HAZELCAST_NO_EXTENSIONS=1`` forces the pure-Python twins.
* ``HAZELCAST_REQUIRE_EXTENSIONS=1`` makes a missing compiled module an :class:`ImportError` instead of a silent
  fallback (CI sets it so that a broken build can never pass as tested).
* Otherwise the compiled modules are used when they import, and the twins when they do not.

``NO_EXTENSIONS`` wins when both flags are set. :data:`BACKEND` is ``"compiled"`` or ``"python"``.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Tuple

from hazelcast._flags import NO_EXTENSIONS_VAR, REQUIRE_EXTENSIONS_VAR, flag_enabled

NO_EXTENSIONS: bool = flag_enabled(NO_EXTENSIONS_VAR) or sys.implementation.name != "cpython"
REQUIRE_EXTENSIONS: bool = flag_enabled(REQUIRE_EXTENSIONS_VAR) and not NO_EXTENSIONS


def _load() -> Tuple[ModuleType, ModuleType, str]:
    from hazelcast import _codec_py, _framing_py

    if NO_EXTENSIONS:
        return _framing_py, _codec_py, "python"
    try:
        from hazelcast import _codec, _framing  # type: ignore[attr-defined]
    except ImportError as e:
        if REQUIRE_EXTENSIONS:
            raise ImportError(
                f"{REQUIRE_EXTENSIONS_VAR} is set but the compiled extensions could not be imported: {e}"
            ) from e
        return _framing_py, _codec_py, "python"
    return _framing, _codec, "compiled"


if TYPE_CHECKING:
    from hazelcast import _codec_py as codec
    from hazelcast import _framing_py as framing

    BACKEND: str
else:
    framing, codec, BACKEND = _load()

COMPILED: bool = BACKEND == "compiled"
