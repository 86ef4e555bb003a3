import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../adapters/exchange/ccxt-factory';
import { GatewayError } from '../adapters/exchange/errors';
import { ExchangeGateway } from '../adapters/exchange/gateway';
import { RateLimitGate } from '../adapters/exchange/rate-limit-gate';
import type { Simulator, VenueId } from '../simulator/index';
import { clientFor, simulatorOptions, startSimulator, testKey } from './helpers/simulator';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(simulatorOptions());
});
afterAll(() => sim.close());

/** The venue's answer by status (ccxt's binance raises DDoSProtection for both 429 and 418), or the gateway's own backoff. */
function answerOf(err: unknown): string {
  if (err instanceof GatewayError && err.ccxtClass === 'RateLimitBackoff') return 'backoff';
  const status = /\b(418|429)\b/.exec(err instanceof Error ? err.message : String(err));
  return status ? status[1]! : err instanceof Error ? err.constructor.name : String(err);
}

/** What a caller that retries at once does (Temporal's 200 ms retries, the next tick, another session): calls until one succeeds or the deadline passes. */
async function hammer(call: () => Promise<unknown>, deadlineMs: number): Promise<{ errors: string[]; succeeded: boolean }> {
  const errors: string[] = [];
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    try {
      await call();
      return { errors, succeeded: true };
    } catch (err) {
      errors.push(answerOf(err));
    }
  }
  return { errors, succeeded: false };
}

function gatewayFor(venue: VenueId, account: string, gate: RateLimitGate): ExchangeGateway {
  const key = testKey(venue, { account });
  sim.registerKey(key);
  return new ExchangeGateway(createCcxtExchange(venue, { baseUrl: sim.url, credentials: key, enableRateLimit: false, timeoutMs: 3000 }), venue, gate);
}

describe('rate limits: a 429 is honoured for its Retry-After, so it never becomes a ban', () => {
  it("binance: the desk's gateway sends nothing until the Retry-After has passed, and is never banned", async () => {
    sim.clearFaults();
    const gw = gatewayFor('binance', 'rl-desk', new RateLimitGate());
    await gw.accountState(['BTC/USDT']);
    sim.setFaults('binance', { rateLimitRemaining: 1, rateLimitRetryAfterSec: 1, banMs: 60_000 });
    const bansBefore = sim.banAnswers('binance');
    const r = await hammer(() => gw.accountState(['BTC/USDT']), 5_000);
    expect(r.succeeded).toBe(true);
    // The venue's refusal once, then the gate's own (nothing sent) until the Retry-After ran out.
    expect(r.errors[0]).toBe('429');
    expect(r.errors.slice(1).length).toBeGreaterThan(0);
    expect(new Set(r.errors.slice(1))).toEqual(new Set(['backoff']));
    expect(sim.banAnswers('binance')).toBe(bansBefore);
  });

  it('the control: a client that retries at once after the 429 is banned (418), and stays banned', async () => {
    sim.clearFaults();
    const key = testKey('binance', { account: 'rl-raw' });
    sim.registerKey(key);
    const raw = clientFor(sim, key);
    await raw.fetchBalance();
    sim.setFaults('binance', { rateLimitRemaining: 1, rateLimitRetryAfterSec: 1, banMs: 60_000 });
    const bansBefore = sim.banAnswers('binance');
    const r = await hammer(() => raw.fetchBalance(), 1_500);
    expect(r.succeeded).toBe(false);
    expect(r.errors[0]).toBe('429');
    expect(r.errors).toContain('418');
    expect(sim.banAnswers('binance')).toBeGreaterThan(bansBefore);
    sim.clearFaults();
  });

  it.each(['okx', 'bybit'] as const)('%s: the gateway holds back for the Retry-After too, and other venues are not held', async (venue) => {
    sim.clearFaults();
    const gate = new RateLimitGate();
    const gw = gatewayFor(venue, `rl-${venue}`, gate);
    const other = gatewayFor('binance', `rl-other-${venue}`, gate);
    await gw.accountState(['BTC/USDT']);
    sim.setFaults(venue, { rateLimitRemaining: 1, rateLimitRetryAfterSec: 2 });
    await expect(gw.accountState(['BTC/USDT'])).rejects.toMatchObject({ ccxtClass: 'RateLimitExceeded', kind: 'retryable' });
    await expect(gw.accountState(['BTC/USDT'])).rejects.toMatchObject({ ccxtClass: 'RateLimitBackoff', kind: 'retryable' });
    // The venue that limited is the one held: another venue's calls go through.
    await other.accountState(['BTC/USDT']);
    expect(gate.waitMs(`${venue} ${sim.url.replace(/\/+$/, '')}`)).toBeGreaterThan(1_000);
  });
});

describe("the venue's clock: measured, and signed requests stamped on it", () => {
  it.each(['binance', 'okx', 'bybit'] as const)('%s: a venue clock 40 s behind refuses signed requests until the gateway measures it, then they pass', async (venue) => {
    sim.clearFaults();
    const gw = gatewayFor(venue, `skew-${venue}`, new RateLimitGate());
    await gw.accountState(['BTC/USDT']);
    // Past every venue's request window (binance and bybit 5 s, okx 30 s).
    sim.setFaults(venue, { clockSkewMs: -40_000 });
    await expect(gw.accountState(['BTC/USDT'])).rejects.toMatchObject({ kind: 'retryable' });
    const clock = await gw.venueClock();
    expect(clock.adjusted).toBe(true);
    expect(Math.abs(clock.skewMs + 40_000)).toBeLessThan(clock.rttMs + 50);
    await gw.accountState(['BTC/USDT']);
    // The venue's clock back in line: measured again, the adjustment goes.
    sim.clearFaults();
    expect((await gw.venueClock()).adjusted).toBe(false);
    await gw.accountState(['BTC/USDT']);
  });
});
