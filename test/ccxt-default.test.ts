import ccxt, { type Exchange, type Market, type Order } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoint } from '../adapters/exchange/ccxt-factory';
import { VENUES, type Simulator, type VenueId } from '../simulator/index';
import { simulatorOptions, startSimulator, testKey } from './helpers/simulator';

/**
 * The simulator as a bot sees it: ccxt with its default options (every market type, currencies
 * fetched because keys are set), only the hosts pointed at `warden sim`. The desk's own factory
 * trims those options; a bot or a future desk version may not, and the venue would serve it.
 */
function defaultClient(sim: Simulator, venue: VenueId): Exchange {
  const key = testKey(venue);
  const Venue = ccxt[venue];
  const ex: Exchange = new Venue({ apiKey: key.apiKey, secret: key.secret, ...(key.passphrase ? { password: key.passphrase } : {}) });
  ex.urls = { ...ex.urls, api: repoint(ex.urls.api, sim.url.replace(/\/+$/, '')) as Exchange['urls']['api'] };
  return ex;
}

/** The smallest order the venue's own market data allows: its minimum amount, raised to its minimum value. */
function publishedMinimum(m: Market | undefined, price: number): number {
  if (!m) throw new Error('markets not loaded');
  const step = m.precision.amount ?? 0;
  const byCost = m.limits.cost?.min ? m.limits.cost.min / price : 0;
  const raw = Math.max(m.limits.amount?.min ?? 0, byCost);
  // Rounded up to the lot step: a step below the minimum would be refused.
  return step ? Math.ceil(raw / step - 1e-9) * step : raw;
}

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(simulatorOptions());
  // A tape to read: the market prints a few moves before anyone trades.
  sim.tick(5);
});
afterAll(() => sim.close());

describe.each(VENUES)('%s with ccxt default options and keys set', (venue) => {
  let ex: Exchange;
  let market: Market;
  let price: number;
  let resting: Order & { id: string };
  let taken: Order & { id: string };
  const placed = (o: Order): Order & { id: string } => {
    expect(o.id).toBeTruthy();
    return { ...o, id: o.id! };
  };
  const symbol = 'BTC/USDT';
  const params = venue === 'bybit' ? { acknowledged: true } : {};

  beforeAll(() => {
    const key = testKey(venue);
    sim.registerKey(key);
    sim.setBalance(venue, key.account, 'USDT', 10_000);
    sim.setBalance(venue, key.account, 'BTC', 1);
    ex = defaultClient(sim, venue);
  });

  it('loadMarkets, with currencies, and every trading rule in the market data', async () => {
    const markets = await ex.loadMarkets();
    market = markets[symbol]!;
    expect(market).toMatchObject({ spot: true, active: true, base: 'BTC', quote: 'USDT' });
    expect(market.limits.amount?.min).toBeGreaterThan(0);
    expect(market.precision.amount).toBeGreaterThan(0);
    expect(market.precision.price).toBeGreaterThan(0);
    expect(Object.keys(ex.currencies)).toEqual(expect.arrayContaining(['BTC', 'USDT']));
  });

  it('fetchTime and fetchStatus', async () => {
    expect(Math.abs((await ex.fetchTime())! - Date.now())).toBeLessThan(5_000);
    expect((await ex.fetchStatus()).status).toBe('ok');
  });

  it('fetchTicker, fetchOrderBook, fetchTrades, fetchOHLCV', async () => {
    const ticker = await ex.fetchTicker(symbol);
    price = ticker.last!;
    expect(price).toBeCloseTo(sim.price(symbol), 2);
    const book = await ex.fetchOrderBook(symbol);
    expect(book.bids[0]![0]).toBeLessThan(book.asks[0]![0]!);
    const trades = await ex.fetchTrades(symbol);
    expect(trades.length).toBeGreaterThan(0);
    expect(trades.at(-1)).toMatchObject({ symbol, price: expect.any(Number), amount: expect.any(Number) });
    const candles = await ex.fetchOHLCV(symbol, '1m', undefined, 10);
    expect(candles.length).toBeGreaterThan(0);
    expect(candles[0]).toHaveLength(6);
  });

  it('fetchBalance and the trading fee', async () => {
    const balance = await ex.fetchBalance();
    expect((balance.total as unknown as Record<string, number>)['USDT']).toBe(10_000);
    const fee = await ex.fetchTradingFee(symbol);
    expect(fee).toMatchObject({ symbol, maker: expect.any(Number), taker: expect.any(Number) });
  });

  it('createOrder, limit and market, at the published minimum', async () => {
    // A venue checks a limit order's value at its own price: sized there, it meets the minimum too.
    const below = Number(ex.priceToPrecision(symbol, price * 0.9));
    resting = placed(await ex.createOrder(symbol, 'limit', 'buy', publishedMinimum(market, below), below));
    const amount = publishedMinimum(market, price);
    // bybit sizes a market buy in quote unless told otherwise; ccxt asks for the price to convert.
    taken = placed(await ex.createOrder(symbol, 'market', 'buy', amount, venue === 'bybit' ? price : undefined));
  });

  it('fetchOrder, fetchOpenOrders, cancelOrder', async () => {
    expect(await ex.fetchOrder(resting.id, symbol, params)).toMatchObject({ id: resting.id, status: 'open' });
    expect((await ex.fetchOpenOrders(symbol)).map((o) => o.id)).toContain(resting.id);
    await ex.cancelOrder(resting.id, symbol);
    expect((await ex.fetchOrder(resting.id, symbol, params)).status).toBe('canceled');
  });

  it('fetchMyTrades (and fetchOrderTrades where the venue has it): the market order filled, with its fee', async () => {
    const mine = await ex.fetchMyTrades(symbol);
    const fill = mine.find((t) => t.order === taken.id);
    expect(fill).toMatchObject({ symbol, side: 'buy', price: expect.any(Number), amount: expect.any(Number) });
    expect(fill!.fee).toMatchObject({ cost: expect.any(Number), currency: expect.any(String) });
    expect(fill!.fee!.cost).toBeGreaterThan(0);
    if (ex.has['fetchOrderTrades'] === true) {
      expect((await ex.fetchOrderTrades(taken.id, symbol)).map((t) => t.order)).toContain(taken.id);
    }
  });
});
