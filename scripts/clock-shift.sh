#!/usr/bin/env bash
# Runs the clock-dependent suites with the test clock (test/helpers/clock.ts)
# shifted 1, 89, 91 and 400 days ahead: around the 90-day rotation interval and
# past a year, so a fixture or comparison tied to the calendar fails here first.
# Every shift runs even after a failure; exits 1 if any failed. Needs what
# `npm test` needs (a temporal CLI via TEMPORAL_CLI_PATH or PATH, moto_server).
set -uo pipefail
cd "$(dirname "$0")/.."

SHIFTS=(1 89 91 400)
FILES=(
  test/rotation.test.ts
  test/timers.test.ts
  test/key-audit.test.ts
  test/key-audit-venues.test.ts
  test/key-audit-cli.test.ts
  test/security-schedules.test.ts
  test/audit.test.ts
  test/audit-cli.test.ts
  test/aws.test.ts
  test/daily-report.test.ts
)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()
summary=()
for n in "${SHIFTS[@]}"; do
  echo "::: WARDEN_TEST_CLOCK_SHIFT_DAYS=$n npx vitest run ${FILES[*]}"
  start=$(date +%s)
  WARDEN_TEST_CLOCK_SHIFT_DAYS=$n npx vitest run "${FILES[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  took=$(( $(date +%s) - start ))
  # vitest's own count line ("Tests  53 passed (53)"), without its colours.
  counts=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -n 1 | sed -E 's/^ +Tests +//')
  if [[ $rc -eq 0 ]]; then
    summary+=("shift $n days: passed, tests ${counts:-?}, ${took}s")
  else
    summary+=("shift $n days: FAILED (exit $rc), tests ${counts:-?}, ${took}s")
    failed+=("$n")
  fi
done

echo "::: clock shifts"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "clock-shift: failed at shift(s) ${failed[*]} days" >&2
  exit 1
fi
