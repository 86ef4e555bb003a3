/**
 * Order placement timing: how long a signed order request can still land at a
 * venue, and the order activity's timeouts built around that. They only work
 * together, so they live here (issue #12: an attempt abandoned at 5 s while its
 * request was accepted at 6 s, and a retry that placed the order again):
 *
 *   window + skew      <  ccxt timeout  <  start-to-close
 *   window + 2 x skew  <= retry interval
 *
 * - A venue refuses a signed request once its window, counted from the request's
 *   own timestamp, has passed. Past that, a lookup by client order id is final.
 * - ccxt gives up on a request only after the venue would refuse it anyway.
 * - Temporal gives up on an attempt only after ccxt has (the attempt sends early,
 *   see sendDeadline, and start-to-close leaves room for the answer and a lookup).
 * - An attempt that may have left a request behind (its worker died, or the
 *   outcome is unknown) is retried only after that request's window has passed.
 *
 * Pure numbers and arithmetic on times passed in: workflows import this too.
 */
import type { Venue } from './market';

/**
 * How long each venue accepts a signed request after the timestamp in it, ms: binance
 * `recvWindow`, bybit `X-BAPI-RECV-WINDOW`, okx `expTime` (absolute, so timestamp + this).
 * 5 s is binance's and bybit's own default: room for a slow network, and short enough
 * that waiting one out before a retry is cheap.
 */
export const REQUEST_WINDOW_MS: Readonly<Record<Venue, number>> = { binance: 5_000, okx: 5_000, bybit: 5_000 };

/**
 * How far the clocks of the worker, the venue and the Temporal server may disagree (NTP).
 * binance and bybit refuse a request stamped more than 1 s ahead of their clock, so a
 * worker running further ahead shows up as refusals, not as duplicates.
 */
export const CLOCK_SKEW_MS = 1_000;

/** ccxt's per-request timeout: when ccxt gives up, the venue no longer accepts the request. */
export const CCXT_TIMEOUT_MS = 8_000;

/**
 * The order activity heartbeats while it waits on the venue; a worker that dies mid-placement
 * is noticed this soon. Above the SDK's heartbeat throttle (0.8 x this) by enough for a busy host.
 */
export const ORDER_HEARTBEAT_TIMEOUT_MS = 8_000;

/** One attempt: a lookup, the placement with ccxt's full timeout, and a lookup after an unknown outcome. */
export const ORDER_START_TO_CLOSE_MS = 30_000;

/**
 * The shortest gap Temporal leaves after an attempt that timed out (its worker died or
 * stalled): every request that attempt sent has expired by then, so the retry's lookup is final.
 */
export const ORDER_RETRY_INTERVAL_MS = Math.max(...Object.values(REQUEST_WINDOW_MS)) + 2 * CLOCK_SKEW_MS;

/** What an attempt knows about itself (Temporal's activity info). */
export interface AttemptTiming {
  attempt: number;
  /** When the server scheduled this attempt, epoch ms (server clock). The attempt started no earlier. */
  scheduledAtMs: number;
  startToCloseMs: number;
  heartbeatTimeoutMs?: number;
}

/**
 * The latest time (epoch ms) this attempt may send its placement. Until then Temporal
 * cannot have given up on it, even if no heartbeat arrived, and ccxt's answer (or its
 * timeout) comes before start-to-close. An attempt that has been written off must not
 * send, or its request could land after the next attempt's lookup.
 */
export function sendDeadline(a: AttemptTiming): number {
  const alive = Math.min(a.heartbeatTimeoutMs ?? Number.POSITIVE_INFINITY, a.startToCloseMs - CCXT_TIMEOUT_MS);
  return a.scheduledAtMs + alive - CLOCK_SKEW_MS;
}

/**
 * How long Temporal should wait before the next attempt, from what this failed attempt left:
 * - `mayLand`: a placement whose outcome is unknown. It was signed before the failure, so the
 *   venue may accept it until window + skew later; the next attempt starts after that (plus
 *   skew between this worker's clock and the server's), and its lookup is final.
 * - otherwise nothing of this attempt's can land (nothing sent, or the venue refused it), and
 *   earlier attempts' requests had expired before this one was scheduled: retry soon, backing off.
 */
export function nextAttemptDelayMs(venue: Venue, attempt: number, mayLand: boolean): number {
  const windowsOut = REQUEST_WINDOW_MS[venue] + 2 * CLOCK_SKEW_MS;
  return mayLand ? windowsOut : Math.min(250 * 2 ** Math.max(0, attempt - 1), windowsOut);
}

const maxWindow = Math.max(...Object.values(REQUEST_WINDOW_MS));
if (
  !(maxWindow + CLOCK_SKEW_MS < CCXT_TIMEOUT_MS) ||
  !(ORDER_HEARTBEAT_TIMEOUT_MS - CLOCK_SKEW_MS + 2 * CCXT_TIMEOUT_MS < ORDER_START_TO_CLOSE_MS) ||
  !(ORDER_RETRY_INTERVAL_MS >= maxWindow + 2 * CLOCK_SKEW_MS)
) {
  throw new Error('order timing: need window + skew < ccxt timeout, send deadline + 2 x ccxt timeout < start-to-close, retry interval >= window + 2 x skew');
}
