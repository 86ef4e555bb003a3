/**
 * When a session measures its venue's clock, and what a measured skew means. Venues refuse a signed
 * request stamped outside their window (binance and bybit 5 s, okx 30 s): a host clock drifting
 * that far stops trading and, worse, cancelling. The gateway stamps requests on the venue's clock;
 * past a second of skew an operator is told, since the host's time sync is broken.
 */
export const CLOCK_SKEW_ALERT_MS = 1_000;

/** How often a running session measures again (and on the first tick of every run). */
export const CLOCK_CHECK_EVERY_MS = 10 * 60_000;

export function clockCheckDue(lastCheckMs: number | undefined, nowMs: number): boolean {
  return lastCheckMs === undefined || nowMs - lastCheckMs >= CLOCK_CHECK_EVERY_MS;
}

export function skewAlarming(skewMs: number): boolean {
  return Math.abs(skewMs) > CLOCK_SKEW_ALERT_MS;
}

/** "the venue's clock is 8.2 s behind this worker's" */
export function describeSkew(skewMs: number): string {
  const s = (Math.abs(skewMs) / 1000).toFixed(1);
  return `the venue's clock is ${s} s ${skewMs < 0 ? 'behind' : 'ahead of'} this worker's`;
}
