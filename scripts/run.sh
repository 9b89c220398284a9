#!/usr/bin/env bash
# The main job of the README. Does all set-up on a fresh machine: .venv with the pinned requirements, the
# extensions built in place (without tracing; falls back to pure Python without a C compiler), then the demo and
# the benchmark table. Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements/test.txt
.venv/bin/python setup.py -q build_ext --inplace --force

.venv/bin/python -m hazelcast.demo "$@"
echo
echo "== benchmarks (compiled vs pure, one run)"
.venv/bin/python benchmarks/report.py
echo
echo "== compact Person: compiled, pure, the official client 5.7.0 and msgpack (one run)"
scripts/setup_official_client.sh
.venv/bin/python benchmarks/compact_report.py
