#!/usr/bin/env bash
# Makes Debian's Chromium available at /usr/bin/chromium for the browser test
# (test/ui-timeline.test.ts drives it with playwright-core) and prints its path.
# Playwright's own browser download does not work on our closed CI network, so
# the test uses the distribution's build instead. Idempotent: does nothing when
# chromium is already there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x $CHROMIUM ]]; then
  echo "$CHROMIUM"; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no $CHROMIUM and no apt-get; install Chromium and make it available at $CHROMIUM." >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-chromium: installing Debian's chromium package needs root (sudo bash $0)." >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium package..." >&2
export DEBIAN_FRONTEND=noninteractive
# One package-list refresh per hour is enough: CI runs this script and its sibling back to back.
find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q . || apt-get update -qq >&2
# No recommends: they pull in desktop extras (fonts aside) that a headless test never uses.
apt-get install -y -qq --no-install-recommends chromium >&2

if [[ ! -x $CHROMIUM ]]; then
  echo "ensure-chromium: the chromium package installed, but $CHROMIUM is missing." >&2
  exit 1
fi
"$CHROMIUM" --version >&2 || true
echo "$CHROMIUM"
