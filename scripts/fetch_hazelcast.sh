#!/usr/bin/env bash
# Copies the pinned Hazelcast member jar (com.hazelcast:hazelcast, see hazelcast/testing/members.py) from Maven
# Central into the ignored .cache/hazelcast/ folder with `mvn dependency:copy`. Idempotent. Needs Java and Maven
# (installed with apt-get when missing and running as root).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if ! command -v mvn >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven openjdk-17-jre-headless >/dev/null
  else
    echo "Java and Maven are needed for the integration tests (apt-get install maven openjdk-17-jre-headless)" >&2
    exit 1
  fi
fi
"$PY" -m hazelcast.testing.members fetch
