/**
 * The one clock tests hand to the code under test (activity deps, adapters,
 * audit trails, alert routers) and derive their time-dependent fixtures from,
 * so no test depends on the calendar date it runs on.
 *
 * WARDEN_TEST_CLOCK_SHIFT_DAYS=N moves this clock N days ahead of real time
 * (scripts/clock-shift.sh runs the clock-dependent suites that way). What cannot
 * be shifted keeps real time: Temporal workflow time and timers, the schedule
 * spec, moto's server clock, and the simulator's. A test comparing against one
 * of those uses Date.now() on purpose and says so.
 */
const DAY_MS = 86_400_000;

function shiftDays(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 0;
  const n = Number(raw);
  // Backwards is refused: S3 Object Lock retain-until dates derived from this clock must stay in the future for moto, which keeps real time.
  if (!Number.isInteger(n) || n < 0) throw new Error(`WARDEN_TEST_CLOCK_SHIFT_DAYS must be a whole number of days >= 0 (got "${raw}")`);
  return n;
}

export const CLOCK_SHIFT_DAYS = shiftDays(process.env.WARDEN_TEST_CLOCK_SHIFT_DAYS);
const SHIFT_MS = CLOCK_SHIFT_DAYS * DAY_MS;

/** Epoch ms of the test clock: real now plus the shift. */
export function testNowMs(): number {
  return Date.now() + SHIFT_MS;
}

/** The test clock as the `now: () => Date` that activity deps and adapters take. */
export function testClock(): Date {
  return new Date(testNowMs());
}

/** ISO time `days` before the test clock's now (negative: after). */
export function daysAgo(days: number): string {
  return new Date(testNowMs() - days * DAY_MS).toISOString();
}

/** ISO time `days` after an ISO time: what a fixture's derived expectations are computed with. */
export function plusDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}
