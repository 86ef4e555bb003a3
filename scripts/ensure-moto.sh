#!/usr/bin/env bash
# Makes moto's server (local AWS: Secrets Manager, KMS, S3 Object Lock) available for tests.
set -euo pipefail
if command -v moto_server >/dev/null 2>&1; then
  command -v moto_server; exit 0
fi
echo "ensure-moto: installing moto[server] from PyPI..." >&2
python3 -m pip install --quiet 'moto[server]>=5.1,<6' >&2
# pyenv shims need a rehash before a new console script is on PATH.
command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
command -v moto_server
