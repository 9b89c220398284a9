#!/usr/bin/env bash
# The test command of the README. Does all set-up on a fresh machine, then runs the suite:
#   1. a virtualenv in .venv with the pinned test requirements,
#   2. the Cython extensions built in place (required, with line tracing for .pyx coverage),
#   3. pytest tests/ on the compiled backend (every backend-parametrized test also runs the pure twins),
#      with coverage of the package and of the .pyx sources,
#   4. the coverage gate on the modules the design names.
# Extra arguments go to pytest (e.g. `scripts/test.sh -k framing`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements/test.txt
./scripts/fetch_hazelcast.sh  # the pinned member jar for the integration tests (.cache/hazelcast/)
scripts/setup_official_client.sh  # the official client 5.7.0 in .venv-official (interop tests, benchmark table)

echo "== system packages"
./scripts/setup_system.sh

echo "== building the compiled extensions (required, traced for coverage)"
HAZELCAST_REQUIRE_EXTENSIONS=1 HAZELCAST_CYTHON_TRACE=1 .venv/bin/python setup.py -q build_ext --inplace --force

echo "== running the test suite"
rm -f .coverage .coverage.*
HAZELCAST_REQUIRE_EXTENSIONS=1 .venv/bin/python -m pytest tests/ --cov=hazelcast --cov=src --cov-branch \
  --cov-report=term-missing:skip-covered "$@"

if [ "$#" -eq 0 ]; then
  echo "== coverage gate (>= 95 % line and branch, module by module)"
  for f in hazelcast/_framing_py.py hazelcast/_codec_py.py src/_framing.pyx src/_codec.pyx \
      hazelcast/protocol/codecs/*.py hazelcast/network/*.py hazelcast/invocation.py hazelcast/listener.py \
      hazelcast/client.py hazelcast/failover.py hazelcast/serialization/compact.py; do
    case "$f" in */__init__.py) continue ;; esac
    [ -f "$f" ] || continue
    .venv/bin/python -m coverage report --fail-under=95 --include="$f" >/dev/null \
      || { .venv/bin/python -m coverage report --include="$f"; echo "coverage gate failed: $f" >&2; exit 1; }
  done
  echo "coverage gate passed"
fi
