#!/usr/bin/env bash
# Makes Python's aiosmtpd (a real SMTP server with STARTTLS and AUTH) available for the email channel's tests.
set -euo pipefail
if python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  python3 -c 'import aiosmtpd, sys; print(f"aiosmtpd {aiosmtpd.__version__} for {sys.executable}")'; exit 0
fi
echo "ensure-aiosmtpd: installing aiosmtpd from PyPI..." >&2
python3 -m pip install --quiet 'aiosmtpd>=1.4,<2' >&2
python3 -c 'import aiosmtpd, sys; print(f"aiosmtpd {aiosmtpd.__version__} for {sys.executable}")'
