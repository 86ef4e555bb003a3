#!/usr/bin/env bash
# Makes a `temporal` CLI available and prints its path on the last line.
# Order: $TEMPORAL_CLI_PATH, a `temporal` on PATH, the project cache, else build it
# from Go modules into the cache. v1.5.1 is the last tag whose go.mod has no
# `replace` directive; later tags cannot be built with `go install`.
set -euo pipefail
VERSION=v1.5.1
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/warden/temporal-cli"
BIN="$CACHE/bin/temporal"

if [[ -n "${TEMPORAL_CLI_PATH:-}" && -x "${TEMPORAL_CLI_PATH}" ]]; then
  echo "$TEMPORAL_CLI_PATH"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then
  command -v temporal; exit 0
fi
if [[ -x "$BIN" ]]; then
  echo "$BIN"; exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-temporal: no temporal CLI and no Go toolchain to build one." >&2
  echo "Install Go (https://go.dev/dl) or set TEMPORAL_CLI_PATH to a temporal binary." >&2
  exit 1
fi
echo "install-temporal: building temporal CLI $VERSION with go install (a few minutes, once)..." >&2
mkdir -p "$CACHE/bin"
GOBIN="$CACHE/bin" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/temporalio/cli/cmd/temporal@${VERSION}" >&2
"$BIN" --version >&2
echo "$BIN"
