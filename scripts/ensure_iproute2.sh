#!/usr/bin/env bash
# The ICMP failure-detector tests make network namespaces and veth pairs with iproute2's `ip`.
# Installs it with apt-get only when it is missing (idempotent; needs root, as CI has).
set -euo pipefail
if command -v ip >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure_iproute2: 'ip' is missing and apt-get is not available; install iproute2" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq iproute2
