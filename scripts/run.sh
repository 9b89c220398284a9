#!/usr/bin/env bash
# The main job of the README. Does all set-up on a fresh machine: .venv with the pinned requirements, the
# extensions built in place (without tracing; falls back to pure Python without a C compiler), the member jar
# (unless --cluster names a cluster), then the demo workload: N Compact records written, read back and verified
# against a local member (or the named cluster), with a throughput summary. Extra arguments go to the demo
# (`python -m hazelcast.demo --help`), e.g. `./scripts/run.sh --cluster 10.0.0.1:5701 --cluster-name prod`.
# `./scripts/run.sh --benchmarks` prints the benchmark tables instead (micro benchmarks, end-to-end table).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements/test.txt
.venv/bin/python setup.py -q build_ext --inplace --force

if [ "${1:-}" = "--benchmarks" ]; then
  shift
  ./scripts/fetch_hazelcast.sh
  scripts/setup_official_client.sh
  echo "== benchmarks (compiled vs pure, one run)"
  .venv/bin/python benchmarks/report.py
  echo
  echo "== compact Person: compiled, pure, the official client 5.7.0 and msgpack (one run)"
  .venv/bin/python benchmarks/compact_report.py
  echo
  echo "== end to end: map put/get against one real member, compiled vs pure vs the official client 5.7.0 (one run)"
  .venv/bin/python benchmarks/e2e.py "$@"
  exit 0
fi

case " $* " in
  *" --cluster "*|*" --cluster="*) ;;  # an existing cluster: no local member, no jar needed
  *) ./scripts/fetch_hazelcast.sh ;;  # the pinned member jar (needs Java and Maven; installs them as root)
esac
exec .venv/bin/python -m hazelcast.demo "$@"
