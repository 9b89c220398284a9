"""Environment flags shared by ``setup.py`` (build time) and :mod:`hazelcast._backend` (run time).

This module imports nothing from the package so that ``setup.py`` can load it by path. Both sides parse a flag
the same way: unset, ``""``, ``"0"``, ``"false"``, ``"no"`` and ``"off"`` (any case, surrounding spaces ignored)
mean *off*; any other value means *on*.
"""

from __future__ import annotations

import os
from typing import Mapping, Optional

NO_EXTENSIONS_VAR = "HAZELCAST_NO_EXTENSIONS"
REQUIRE_EXTENSIONS_VAR = "HAZELCAST_REQUIRE_EXTENSIONS"
CYTHON_TRACE_VAR = "HAZELCAST_CYTHON_TRACE"

_OFF_VALUES = frozenset({"", "0", "false", "no", "off"})


def flag_enabled(name: str, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Return whether the environment flag ``name`` is switched on."""
    env = os.environ if environ is None else environ
    return env.get(name, "").strip().lower() not in _OFF_VALUES
