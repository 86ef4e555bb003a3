#!/usr/bin/env bash
# Makes `amtool` available (test/alertmanager.test.ts runs `amtool check-config` on
# ops/alertmanager/alertmanager.yml) and prints its path. Installs Debian's
# prometheus-alertmanager package without letting it start its service (see
# ensure-prometheus.sh, whose policy-rc.d approach this copies).
set -euo pipefail

if command -v amtool >/dev/null 2>&1; then
  command -v amtool; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-alertmanager: no amtool and no apt-get; install Alertmanager (it ships amtool) and put amtool on PATH." >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-alertmanager: installing Debian's prometheus-alertmanager package needs root (sudo bash $0)." >&2
  exit 1
fi

POLICY=/usr/sbin/policy-rc.d
added_policy=
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# added by warden scripts/ensure-alertmanager.sh for the duration of one apt-get install\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  added_policy=1
fi
cleanup() { if [[ -n $added_policy ]]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT

echo "ensure-alertmanager: installing Debian's prometheus-alertmanager package (amtool)..." >&2
export DEBIAN_FRONTEND=noninteractive
find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q . || apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends prometheus-alertmanager >&2

if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  systemctl stop prometheus-alertmanager.service >/dev/null 2>&1 || true
  systemctl disable prometheus-alertmanager.service >/dev/null 2>&1 || true
elif [[ -x /etc/init.d/prometheus-alertmanager ]]; then
  /etc/init.d/prometheus-alertmanager stop >/dev/null 2>&1 || true
fi

command -v amtool
amtool --version >&2
