import { describe, expect, it } from 'vitest';
import type { Venue } from '../../domain/market';
import {
  CCXT_TIMEOUT_MS,
  CLOCK_SKEW_MS,
  nextAttemptDelayMs,
  ORDER_HEARTBEAT_TIMEOUT_MS,
  ORDER_RETRY_INTERVAL_MS,
  ORDER_START_TO_CLOSE_MS,
  REQUEST_WINDOW_MS,
  sendDeadline,
} from '../../domain/order-timing';

const VENUES: Venue[] = ['binance', 'okx', 'bybit'];

describe('order placement timing', () => {
  it.each(VENUES)('%s: window + skew < ccxt timeout < start-to-close, and the retry interval outlasts the window', (venue) => {
    expect(REQUEST_WINDOW_MS[venue] + CLOCK_SKEW_MS).toBeLessThan(CCXT_TIMEOUT_MS);
    expect(CCXT_TIMEOUT_MS).toBeLessThan(ORDER_START_TO_CLOSE_MS);
    expect(ORDER_RETRY_INTERVAL_MS).toBeGreaterThanOrEqual(REQUEST_WINDOW_MS[venue] + 2 * CLOCK_SKEW_MS);
  });

  it('sends only while Temporal cannot have given up on the attempt, with time left to hear back', () => {
    const scheduledAtMs = 1_000_000;
    // Heartbeat timeout: written off at the earliest one timeout after it started, which is no earlier than scheduled.
    const hb = sendDeadline({ attempt: 1, scheduledAtMs, startToCloseMs: ORDER_START_TO_CLOSE_MS, heartbeatTimeoutMs: ORDER_HEARTBEAT_TIMEOUT_MS });
    expect(hb).toBe(scheduledAtMs + ORDER_HEARTBEAT_TIMEOUT_MS - CLOCK_SKEW_MS);
    // The answer (or ccxt's timeout) and a lookup after it fit in start-to-close.
    expect(hb + 2 * CCXT_TIMEOUT_MS).toBeLessThan(scheduledAtMs + ORDER_START_TO_CLOSE_MS);
    // Without a heartbeat timeout: there must be room for ccxt's full timeout before start-to-close.
    expect(sendDeadline({ attempt: 2, scheduledAtMs, startToCloseMs: 20_000 })).toBe(scheduledAtMs + 20_000 - CCXT_TIMEOUT_MS - CLOCK_SKEW_MS);
    // The old options (5 s, no heartbeat) leave no moment at which sending is safe.
    expect(sendDeadline({ attempt: 1, scheduledAtMs, startToCloseMs: 5_000 })).toBeLessThan(scheduledAtMs);
  });

  it.each(VENUES)('%s: after a possibly live request, the next attempt waits out its window; otherwise it comes soon', (venue) => {
    expect(nextAttemptDelayMs(venue, 1, true)).toBe(REQUEST_WINDOW_MS[venue] + 2 * CLOCK_SKEW_MS);
    expect(nextAttemptDelayMs(venue, 7, true)).toBe(REQUEST_WINDOW_MS[venue] + 2 * CLOCK_SKEW_MS);
    expect([1, 2, 3, 4, 5, 6].map((n) => nextAttemptDelayMs(venue, n, false))).toEqual([250, 500, 1_000, 2_000, 4_000, REQUEST_WINDOW_MS[venue] + 2 * CLOCK_SKEW_MS]);
  });
});
