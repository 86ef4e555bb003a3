import {
  AuthenticationError,
  DDoSProtection,
  ExchangeNotAvailable,
  NetworkError,
  OnMaintenance,
  RateLimitExceeded,
  RequestTimeout,
} from 'ccxt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VENUES, type Simulator, type VenueId } from '../simulator/index';
import { ACCOUNT, byClientId, clientFor, fundedClient, rejection, simulatorOptions, startSimulator, testKey } from './helpers/simulator';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(simulatorOptions());
});
afterAll(() => sim.close());
beforeEach(() => sim.reset(42));

type ErrorClass = new (...a: never[]) => Error;

/** The ccxt class each injected fault must surface as, per venue. */
const EXPECTED: Record<VenueId, { rateLimit: ErrorClass; maintenance: ErrorClass }> = {
  // ccxt's binance handler turns any 429/418 into DDoSProtection before reading the body.
  binance: { rateLimit: DDoSProtection, maintenance: OnMaintenance },
  okx: { rateLimit: RateLimitExceeded, maintenance: OnMaintenance },
  // bybit has no maintenance code ccxt maps; a bare 503 is ExchangeNotAvailable.
  bybit: { rateLimit: RateLimitExceeded, maintenance: ExchangeNotAvailable },
};

describe.each(VENUES)('%s faults, as ccxt sees them', (venue) => {
  it('a rate-limit burst refuses exactly the next N requests', async () => {
    const ex = fundedClient(sim, venue);
    await ex.loadMarkets();
    sim.setFaults(venue, { rateLimitRemaining: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await rejection(ex.fetchTicker('BTC/USDT'));
      expect(err.constructor).toBe(EXPECTED[venue].rateLimit);
    }
    expect((await ex.fetchTicker('BTC/USDT')).last).toBe(60_000);
    // Other venues are untouched.
    expect(sim.faults(venue === 'okx' ? 'bybit' : 'okx').rateLimitRemaining).toBe(0);
  });

  it('a gateway 5xx is ExchangeNotAvailable, a 504 RequestTimeout', async () => {
    const ex = fundedClient(sim, venue);
    await ex.loadMarkets();
    sim.setFaults(venue, { errorRate: 1, errorStatus: 502 });
    expect((await rejection(ex.fetchBalance())).constructor).toBe(ExchangeNotAvailable);
    sim.setFaults(venue, { errorStatus: 504 });
    expect((await rejection(ex.fetchBalance())).constructor).toBe(RequestTimeout);
    sim.clearFaults(venue);
    expect(await ex.fetchBalance()).toBeTruthy();
  });

  it('maintenance answers with the venue maintenance response', async () => {
    const ex = fundedClient(sim, venue);
    await ex.loadMarkets();
    sim.setFaults(venue, { maintenance: true });
    const err = await rejection(ex.fetchTicker('BTC/USDT'));
    expect(err.constructor).toBe(EXPECTED[venue].maintenance);
    expect(err).toBeInstanceOf(ExchangeNotAvailable);
  });

  it('a revoked key is refused as an authentication failure', async () => {
    const ex = fundedClient(sim, venue);
    await ex.loadMarkets();
    sim.revokeKey(venue, testKey(venue).apiKey);
    const fresh = clientFor(sim, testKey(venue));
    const err = await rejection(fresh.fetchBalance());
    expect(err).toBeInstanceOf(AuthenticationError);
    const open = await rejection(ex.fetchOpenOrders('BTC/USDT'));
    expect(open).toBeInstanceOf(AuthenticationError);
  });

  it('a dropped order response is a NetworkError, yet the order exists at the venue', async () => {
    const ex = fundedClient(sim, venue);
    await ex.loadMarkets();
    sim.setFaults(venue, { dropOrderResponses: 1 });
    const cid = `dropped${venue}01`;
    const err = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50_000, { clientOrderId: cid }));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).not.toBeInstanceOf(ExchangeNotAvailable);
    const atVenue = sim.orders(venue, ACCOUNT);
    expect(atVenue.map((o) => [o.clientOrderId, o.status])).toEqual([[cid, 'open']]);
    // The caller can recover the outcome by client order id.
    const found = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', byClientId(venue, cid));
    expect(found.id).toBe(atVenue[0]?.id);
    // The fault is spent: the next placement is answered.
    const next = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50_000);
    expect(next.id).toBeTruthy();
    expect(sim.orders(venue, ACCOUNT)).toHaveLength(2);
  });

  it('added latency delays answers, and beyond the client timeout is a RequestTimeout', async () => {
    const key = testKey(venue);
    sim.registerKey(key);
    const patient = clientFor(sim, key);
    const impatient = clientFor(sim, key, { timeoutMs: 100 });
    await Promise.all([patient.loadMarkets(), impatient.loadMarkets()]);
    sim.setFaults(venue, { latencyMs: 60 });
    const t0 = performance.now();
    await patient.fetchTicker('BTC/USDT');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    sim.setFaults(venue, { latencyMs: 300 });
    expect((await rejection(impatient.fetchTicker('BTC/USDT'))).constructor).toBe(RequestTimeout);
  });
});

describe('binance key refusals after a successful call', () => {
  it('ccxt reports a revoked key as DDoSProtection once the same client has authenticated', async () => {
    const ex = fundedClient(sim, 'binance');
    await ex.fetchBalance(); // marks the client as having authenticated successfully
    sim.revokeKey('binance', testKey('binance').apiKey);
    const err = await rejection(ex.fetchBalance());
    expect(err.constructor).toBe(DDoSProtection);
    expect(err.message).toContain('-2015');
  });

  it('an IP ban (418) is DDoSProtection too', async () => {
    const ex = fundedClient(sim, 'binance');
    await ex.loadMarkets();
    sim.setFaults('binance', { rateLimitRemaining: 1, rateLimitStatus: 418 });
    const err = await rejection(ex.fetchTicker('BTC/USDT'));
    expect(err.constructor).toBe(DDoSProtection);
    expect(err.message).toContain('418');
  });
});

describe('fault determinism', () => {
  it('the same seed fails the same requests at a partial error rate', async () => {
    const outcomes = async (): Promise<boolean[]> => {
      sim.reset(7);
      sim.setFaults('okx', { errorRate: 0.5 });
      const ex = fundedClient(sim, 'okx');
      const seen: boolean[] = [];
      for (let i = 0; i < 16; i++) seen.push(await ex.fetchTime().then(() => true, () => false));
      return seen;
    };
    const first = await outcomes();
    expect(first).toContain(true);
    expect(first).toContain(false);
    expect(await outcomes()).toEqual(first);
  });
});
