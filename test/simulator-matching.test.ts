import { BadRequest, InsufficientFunds, InvalidOrder } from 'ccxt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VENUES, type Simulator, type VenueId } from '../simulator/index';
import { ACCOUNT, amountOf, fetchParams, fundedClient, rejection, simulatorOptions, startSimulator, testKey, clientFor } from './helpers/simulator';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(simulatorOptions());
});
afterAll(() => sim.close());
beforeEach(() => sim.reset(42));

const FEE = 0.001;

/** ccxt's class for an order below the minimum notional: binance's "NOTIONAL" filter is a plain -1013 BadRequest. */
/** The error ccxt maps each venue's minimum-value refusal to; okx publishes no minimum value (only minSz), so it enforces none. */
const MIN_NOTIONAL: Record<VenueId, (new (...a: never[]) => Error) | undefined> = { binance: BadRequest, okx: undefined, bybit: InvalidOrder };

describe.each(VENUES)('%s matching and balances', (venue) => {
  it('a resting limit buy fills when the price crosses it, moving balances net of the maker fee', async () => {
    const ex = fundedClient(sim, venue, { USDT: 10_000, BTC: 0 });
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.1, 59_000, { clientOrderId: `cross${venue}1` });
    const id = String(placed.id);
    sim.setPrice('BTC/USDT', 59_500); // not yet
    expect((await ex.fetchOrder(id, 'BTC/USDT', fetchParams(venue))).status).toBe('open');
    sim.setPrice('BTC/USDT', 58_990); // through it
    const filled = await ex.fetchOrder(id, 'BTC/USDT', fetchParams(venue));
    expect(filled).toMatchObject({ status: 'closed', filled: 0.1, average: 59_000 });
    const b = await ex.fetchBalance();
    expect(amountOf(b, 'total', 'USDT')).toBeCloseTo(10_000 - 5_900, 8);
    expect(amountOf(b, 'used', 'USDT')).toBe(0);
    expect(amountOf(b, 'total', 'BTC')).toBeCloseTo(0.1 * (1 - FEE), 10);
    const [order] = sim.orders(venue, ACCOUNT);
    expect(order?.fills.map((f) => [f.price, f.qty, f.liquidity])).toEqual([[59_000, 0.1, 'maker']]);
    expect(order?.fee).toBeCloseTo(0.0001, 12);
  });

  it('a resting limit sell fills on the tick that carries the random walk through it', async () => {
    const ex = fundedClient(sim, venue, { USDT: 0, BTC: 1 });
    const limit = 60_100;
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.5, limit);
    let ticks = 0;
    while (sim.price('BTC/USDT') < limit && ticks < 5_000) {
      expect(sim.orders(venue, ACCOUNT)[0]?.status).toBe('open');
      sim.tick();
      ticks++;
    }
    expect(ticks).toBeGreaterThan(0);
    expect(sim.price('BTC/USDT')).toBeGreaterThanOrEqual(limit);
    const done = await ex.fetchOrder(String(placed.id), 'BTC/USDT', fetchParams(venue));
    expect(done.status).toBe('closed');
    const b = await ex.fetchBalance();
    expect(amountOf(b, 'total', 'BTC')).toBeCloseTo(0.5, 10);
    expect(amountOf(b, 'total', 'USDT')).toBeCloseTo(0.5 * limit * (1 - FEE), 6);
  });

  it('a market buy walks the synthetic book: a large order pays more than the best ask', async () => {
    const ex = fundedClient(sim, venue, { USDT: 1_000_000, BTC: 0 });
    const { ask, bid } = await ex.fetchTicker('BTC/USDT');
    expect(ask).toBeGreaterThan(60_000);
    expect(bid).toBeLessThan(60_000);
    await ex.createOrder('BTC/USDT', 'market', 'buy', 0.1);
    await ex.createOrder('BTC/USDT', 'market', 'buy', 3);
    const [small, large] = sim.orders(venue, ACCOUNT);
    expect(small?.status).toBe('filled');
    expect((small?.cost ?? 0) / (small?.filled ?? 1)).toBe(ask);
    expect(large?.filled).toBe(3);
    const avg = (large?.cost ?? 0) / (large?.filled ?? 1);
    expect(avg).toBeGreaterThan(ask ?? Infinity);
    expect(large?.fills.length).toBeGreaterThan(1);
    expect(large?.fills.every((f) => f.liquidity === 'taker')).toBe(true);
    const b = await ex.fetchBalance();
    expect(amountOf(b, 'total', 'BTC')).toBeCloseTo(3.1 * (1 - FEE), 10);
    expect(amountOf(b, 'total', 'USDT')).toBeCloseTo(1_000_000 - (small?.cost ?? 0) - (large?.cost ?? 0), 6);
  });

  it('an order the account cannot pay for is InsufficientFunds and leaves nothing at the venue', async () => {
    const ex = fundedClient(sim, venue, { USDT: 100, BTC: 0.001 });
    expect(await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50_000))).toBeInstanceOf(InsufficientFunds);
    expect(await rejection(ex.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 70_000))).toBeInstanceOf(InsufficientFunds);
    expect(sim.orders(venue, ACCOUNT).filter((o) => o.status === 'open')).toHaveLength(0);
    // A deposit (admin balance) makes the same order affordable.
    sim.setBalance(venue, ACCOUNT, 'USDT', 1_000);
    const ok = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50_000);
    expect(ok.id).toBeTruthy();
  });

  it('an order below the minimum value is refused only where the market data publishes one', async () => {
    const ex = fundedClient(sim, venue);
    const refusal = MIN_NOTIONAL[venue];
    const placing = ex.createOrder('BTC/USDT', 'limit', 'buy', 0.00005, 50_000);
    if (!refusal) {
      await placing;
      expect(sim.orders(venue, ACCOUNT)).toHaveLength(1);
      return;
    }
    expect(await rejection(placing)).toBeInstanceOf(refusal);
    expect(sim.orders(venue, ACCOUNT)).toHaveLength(0);
  });

  it('a marketable limit order takes liquidity at once and rests nothing', async () => {
    const ex = fundedClient(sim, venue);
    const { ask } = await ex.fetchTicker('BTC/USDT');
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.1, 60_100);
    const [o] = sim.orders(venue, ACCOUNT);
    expect(o?.status).toBe('filled');
    expect(o?.fills[0]).toMatchObject({ price: ask, liquidity: 'taker' });
    expect(amountOf(await ex.fetchBalance(), 'used', 'USDT')).toBe(0);
  });
});

describe('price model', () => {
  it('is deterministic for a seed: same seed, same path; another seed, another path', async () => {
    const a = await startSimulator(simulatorOptions({ seed: 99 }));
    const b = await startSimulator(simulatorOptions({ seed: 99 }));
    const c = await startSimulator(simulatorOptions({ seed: 100 }));
    try {
      const path = (s: Simulator) => Array.from({ length: 50 }, () => (s.tick(), s.price('BTC/USDT')));
      const pa = path(a);
      expect(path(b)).toEqual(pa);
      expect(path(c)).not.toEqual(pa);
      expect(new Set(pa).size).toBeGreaterThan(10);
      // reset(seed) replays the path from the start.
      a.reset(99);
      expect(path(a)).toEqual(pa);
      // And the venues serve the same candles for the same seed.
      sim.reset(99);
      const key = testKey('bybit');
      sim.registerKey(key);
      path(sim);
      const candles = await clientFor(sim, key).fetchOHLCV('BTC/USDT', '1m', undefined, 50);
      expect(candles.map((k) => k[4])).toEqual(pa);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('replays an OHLCV CSV: each tick reveals the next row, which the venues serve as candles', async () => {
    const t0 = Date.UTC(2025, 5, 1, 12, 0);
    const csv = ['timestamp,open,high,low,close,volume', ...[0, 1, 2, 3].map((i) => `${t0 + i * 60_000},${100 + i},${102 + i},${99 + i},${101 + i},${10 + i}`)].join('\n');
    const replay = await startSimulator(simulatorOptions({ symbols: ['SOL/USDT'], csvReplay: [{ symbol: 'SOL/USDT', csv, warmup: 2 }] }));
    try {
      expect(replay.price('SOL/USDT')).toBe(102);
      replay.tick();
      expect(replay.price('SOL/USDT')).toBe(103);
      const key = testKey('okx');
      replay.registerKey(key);
      const candles = await clientFor(replay, key).fetchOHLCV('SOL/USDT', '1m', undefined, 10);
      expect(candles).toEqual([
        [t0, 100, 102, 99, 101, 10],
        [t0 + 60_000, 101, 103, 100, 102, 11],
        [t0 + 120_000, 102, 104, 101, 103, 12],
      ]);
      replay.tick();
      replay.tick(); // past the end: the last price holds
      expect(replay.price('SOL/USDT')).toBe(104);
    } finally {
      await replay.close();
    }
  });
});
