#!/usr/bin/env bash
# Creates .venv-official with the OFFICIAL hazelcast-python-client 5.7.0 (the reference for the interop tests and the
# benchmark table). It lives in its own venv because it also installs a package named `hazelcast`: never import it
# in-process; drive it through a subprocess (tests/official/driver.py, benchmarks/official_bench.py).
# Idempotent: does nothing when the pinned version is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv-official
PIN="hazelcast-python-client==5.7.0"

if [ -x "$VENV/bin/python" ]; then
  INSTALLED=$("$VENV/bin/python" -m pip show hazelcast-python-client 2>/dev/null || true)
  if grep -q '^Version: 5.7.0$' <<<"$INSTALLED"; then
    exit 0
  fi
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "$PIN"
echo "== $PIN installed in $VENV"
