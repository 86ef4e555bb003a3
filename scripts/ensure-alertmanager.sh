#!/usr/bin/env bash
# Makes `amtool` and the Alertmanager server available and prints their paths, one per
# line: test/alertmanager.test.ts runs `amtool check-config` on ops/alertmanager/alertmanager.yml,
# test/alertmanager-live.test.ts runs the server itself (Debian names it prometheus-alertmanager,
# upstream alertmanager). Installs Debian's prometheus-alertmanager package, which ships both,
# without letting it start its service (see ensure-prometheus.sh, whose policy-rc.d approach this copies).
set -euo pipefail

server() { command -v prometheus-alertmanager 2>/dev/null || command -v alertmanager 2>/dev/null; }
if command -v amtool >/dev/null 2>&1 && server >/dev/null; then
  command -v amtool; server; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-alertmanager: no amtool/alertmanager and no apt-get; install Alertmanager (it ships amtool) and put amtool and alertmanager on PATH." >&2
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

echo "ensure-alertmanager: installing Debian's prometheus-alertmanager package (amtool + server)..." >&2
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
server || { echo "ensure-alertmanager: prometheus-alertmanager installed but no alertmanager server on PATH." >&2; exit 1; }
amtool --version >&2
