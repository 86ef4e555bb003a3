import {
  AuthenticationError,
  DDoSProtection,
  ExchangeNotAvailable,
  InvalidNonce,
  NetworkError,
  OnMaintenance,
  RateLimitExceeded,
  RequestTimeout,
} from 'ccxt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VENUES, type Simulator, type VenueId } from '../simulator/index';
import { ACCOUNT, byClientId, clientFor, fundedClient, rejection, simulatorOptions, startSimulator, testKey } from './helpers/simulator';
import { waitFor } from './helpers/wait';

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

/** Each venue's own answer to a request past its window, as its API documents it. */
const WINDOW_CODE: Record<VenueId, string> = { binance: '-1021', okx: '50102', bybit: '10002' };

describe.each(VENUES)('%s request windows and order faults', (venue) => {
  /** A funded client whose signed requests are valid for 300 ms (binance recvWindow, bybit X-BAPI-RECV-WINDOW, okx expTime). */
  async function shortWindowClient() {
    const ex = fundedClient(sim, venue);
    ex.options['recvWindow'] = 300;
    await ex.loadMarkets();
    return ex;
  }
  const buy = (ex: Awaited<ReturnType<typeof shortWindowClient>>, cid: string) => ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50_000, { clientOrderId: cid });
  const placed = (cid: string) => sim.orders(venue, ACCOUNT).filter((o) => o.clientOrderId === cid);

  it('a request held past its window is refused with the venue\'s own code', async () => {
    const ex = await shortWindowClient();
    sim.setFaults(venue, { latencyMs: 500 });
    const err = await rejection(buy(ex, `held${venue}1`));
    expect(err).toBeInstanceOf(InvalidNonce);
    expect(err.message).toContain(WINDOW_CODE[venue]);
    expect(placed(`held${venue}1`)).toEqual([]);
  });

  it('an order the engine reaches after its window is refused; inside it, the order runs late', async () => {
    const ex = await shortWindowClient();
    sim.setFaults(venue, { orderLatencyMs: 500 });
    const t0 = performance.now();
    const lookup = await ex.fetchOpenOrders('BTC/USDT');
    expect(lookup).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(400); // lookups are not slowed
    const err = await rejection(buy(ex, `late${venue}1`));
    expect(err).toBeInstanceOf(InvalidNonce);
    expect(err.message).toContain(WINDOW_CODE[venue]);
    expect(placed(`late${venue}1`)).toEqual([]);

    sim.setFaults(venue, { orderLatencyMs: 150 });
    const t1 = performance.now();
    await buy(ex, `late${venue}2`);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(145);
    expect(placed(`late${venue}2`)).toHaveLength(1);
  });

  it('a latency spike delays only the next placements past the window; then the venue answers as before', async () => {
    const ex = await shortWindowClient();
    sim.setFaults(venue, { orderSpikes: 1, orderSpikeMs: 500 });
    const err = await rejection(buy(ex, `spike${venue}1`));
    expect(err).toBeInstanceOf(InvalidNonce);
    expect(placed(`spike${venue}1`)).toEqual([]);
    await buy(ex, `spike${venue}2`);
    expect(placed(`spike${venue}2`)).toHaveLength(1);
  });

  it('accept-then-drop: the connection drops at once and the engine still places the order', async () => {
    const ex = await shortWindowClient();
    sim.setFaults(venue, { acceptThenDrop: 1, orderLatencyMs: 200 });
    const err = await rejection(buy(ex, `acc${venue}1`));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).not.toBeInstanceOf(ExchangeNotAvailable);
    expect(placed(`acc${venue}1`)).toEqual([]); // a lookup now would find nothing
    await waitFor(async () => placed(`acc${venue}1`).length, (n) => n === 1, 5_000, 'the engine to place the order');
    expect(sim.faults(venue).acceptThenDrop).toBe(0);
  });

  it('accept-then-5xx: a bare 5xx at once while the engine still places the order', async () => {
    const ex = await shortWindowClient();
    sim.setFaults(venue, { acceptThen5xxRate: 1, errorStatus: 502, orderLatencyMs: 200 });
    expect((await rejection(buy(ex, `five${venue}1`))).constructor).toBe(ExchangeNotAvailable);
    expect(placed(`five${venue}1`)).toEqual([]);
    await waitFor(async () => placed(`five${venue}1`).length, (n) => n === 1, 5_000, 'the engine to place the order');
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
