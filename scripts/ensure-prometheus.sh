#!/usr/bin/env bash
# Makes `promtool` and `prometheus` available (test/ops.test.ts runs both) and prints
# their paths, one per line. On a machine without them it installs Debian's
# `prometheus` package, which ships both binaries, without letting the package
# start its service: a system Prometheus bound to :9090 is not what the tests
# (which start their own on a free loopback port) or a developer want.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  command -v promtool; command -v prometheus; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-prometheus: no promtool/prometheus and no apt-get; install Prometheus 2.x (https://prometheus.io/download/) and put promtool and prometheus on PATH." >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-prometheus: installing Debian's prometheus package needs root (sudo bash $0)." >&2
  exit 1
fi

# invoke-rc.d / deb-systemd-invoke consult policy-rc.d: exit 101 = "do not start services".
# Only add one when the machine has none, and remove exactly what we added.
POLICY=/usr/sbin/policy-rc.d
added_policy=
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# added by warden scripts/ensure-prometheus.sh for the duration of one apt-get install\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  added_policy=1
fi
cleanup() { if [[ -n $added_policy ]]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT

echo "ensure-prometheus: installing Debian's prometheus package (promtool + prometheus)..." >&2
export DEBIAN_FRONTEND=noninteractive
# One package-list refresh per hour is enough: CI runs this script and its sibling back to back.
find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q . || apt-get update -qq >&2
# No recommends: they would add prometheus-node-exporter, another service on :9100.
apt-get install -y -qq --no-install-recommends prometheus >&2

# Belt and braces for hosts whose init ignored the policy: leave no system Prometheus running.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  systemctl stop prometheus.service >/dev/null 2>&1 || true
  systemctl disable prometheus.service >/dev/null 2>&1 || true
elif [[ -x /etc/init.d/prometheus ]]; then
  /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi

command -v promtool
command -v prometheus
promtool --version >&2
