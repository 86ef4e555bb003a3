import { AuthenticationError, DDoSProtection, ExchangeError, OrderNotFound, PermissionDenied } from 'ccxt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VENUES, type Simulator, type VenueId } from '../simulator/index';
import { ACCOUNT, amountOf, byClientId, clientFor, fetchParams, fundedClient, rejection, simulatorOptions, startSimulator, testKey } from './helpers/simulator';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(simulatorOptions());
});
afterAll(() => sim.close());
beforeEach(() => sim.reset(42));

/** What each venue answers, and what ccxt makes of it, for each way a key can be refused. */
const REFUSALS: Record<VenueId, Record<'badSignature' | 'unknownKey' | 'ipNotWhitelisted' | 'noTradePermission', [new (...a: never[]) => Error, string]>> = {
  binance: {
    badSignature: [AuthenticationError, '-1022'],
    unknownKey: [AuthenticationError, '-2015'],
    ipNotWhitelisted: [AuthenticationError, '-2015'],
    noTradePermission: [AuthenticationError, '-2015'],
  },
  okx: {
    badSignature: [AuthenticationError, '50113'],
    unknownKey: [AuthenticationError, '50111'],
    ipNotWhitelisted: [PermissionDenied, '50110'],
    // ccxt has no mapping for okx 50120, so it stays a plain ExchangeError.
    noTradePermission: [ExchangeError, '50120'],
  },
  bybit: {
    badSignature: [AuthenticationError, '10004'],
    unknownKey: [AuthenticationError, '10003'],
    ipNotWhitelisted: [PermissionDenied, '10010'],
    noTradePermission: [PermissionDenied, '10005'],
  },
};

describe.each(VENUES)('%s through the real ccxt client', (venue) => {
  it('loads the spot markets with the simulator lot size, tick size and min notional', async () => {
    const ex = fundedClient(sim, venue);
    const markets = await ex.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    const btc = markets['BTC/USDT'];
    expect(btc?.spot).toBe(true);
    expect(btc?.precision.amount).toBe(0.00001);
    expect(btc?.precision.price).toBe(0.01);
    expect(btc?.limits.amount?.min).toBe(0.00001);
    if (venue !== 'okx') expect(btc?.limits.cost?.min).toBe(5); // okx publishes no min notional for spot
    expect(await ex.fetchTime()).toBeGreaterThan(Date.UTC(2024, 0, 1));
    const ticker = await ex.fetchTicker('BTC/USDT');
    expect(ticker.last).toBe(60_000);
    expect(ticker.bid).toBeLessThan(60_000);
    expect(ticker.ask).toBeGreaterThan(60_000);
    const tickers = await ex.fetchTickers(['BTC/USDT', 'ETH/USDT']);
    expect(tickers['ETH/USDT']?.last).toBe(3_000);
    const book = await ex.fetchOrderBook('BTC/USDT', 5);
    expect(book.asks[0]?.[0]).toBe(ticker.ask);
    expect(book.bids[0]?.[0]).toBe(ticker.bid);
    const candles = await ex.fetchOHLCV('BTC/USDT', '1m', undefined, 5);
    expect(candles).toHaveLength(5);
    expect(candles.at(-1)?.[4]).toBe(60_000);
    expect((candles[1]?.[0] ?? 0) - (candles[0]?.[0] ?? 0)).toBe(60_000);
  });

  it('reports the balances set for the account', async () => {
    const ex = fundedClient(sim, venue, { USDT: 1234.5, BTC: 0.25 });
    const b = await ex.fetchBalance();
    expect(amountOf(b, 'total', 'USDT')).toBe(1234.5);
    expect(amountOf(b, 'free', 'BTC')).toBe(0.25);
  });

  it('places a limit order, finds it by id and by client order id, reserves funds, and cancels it', async () => {
    const ex = fundedClient(sim, venue);
    const cid = `wardenT${venue}001`;
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 55_000, { clientOrderId: cid });
    const id = String(placed.id);
    expect(placed.id).toBeTruthy();
    expect(placed.clientOrderId).toBe(cid);

    const byId = await ex.fetchOrder(id, 'BTC/USDT', fetchParams(venue));
    expect(byId).toMatchObject({ id, clientOrderId: cid, status: 'open', side: 'buy', type: 'limit', price: 55_000, amount: 0.01, filled: 0 });
    const byCid = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', byClientId(venue, cid));
    expect(byCid.id).toBe(id);

    const reserved = await ex.fetchBalance();
    expect(amountOf(reserved, 'used', 'USDT')).toBe(550);
    expect(amountOf(reserved, 'free', 'USDT')).toBe(9_450);
    expect((await ex.fetchOpenOrders('BTC/USDT')).map((o) => o.id)).toEqual([id]);

    await ex.cancelOrder(id, 'BTC/USDT');
    const after = await ex.fetchOrder(id, 'BTC/USDT', fetchParams(venue));
    expect(after.status).toBe('canceled');
    expect(await ex.fetchOpenOrders('BTC/USDT')).toHaveLength(0);
    expect(amountOf(await ex.fetchBalance(), 'free', 'USDT')).toBe(10_000);
    // The venue's own record, as the admin API shows it.
    expect(sim.orders(venue, ACCOUNT).map((o) => [o.clientOrderId, o.status])).toEqual([[cid, 'canceled']]);

    const again = await rejection(ex.cancelOrder(id, 'BTC/USDT'));
    expect(again).toBeInstanceOf(OrderNotFound);
  });

  it('cancels every open order of a symbol the way ccxt offers for the venue', async () => {
    const ex = fundedClient(sim, venue);
    for (const price of [50_000, 51_000]) await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, price);
    const eth = await ex.createOrder('ETH/USDT', 'limit', 'buy', 0.1, 2_000);
    if (venue === 'okx') {
      expect(ex.has['cancelAllOrders']).toBe(false);
      for (const o of await ex.fetchOpenOrders('BTC/USDT')) await ex.cancelOrder(String(o.id), 'BTC/USDT');
    } else {
      expect(ex.has['cancelAllOrders']).toBe(true);
      await ex.cancelAllOrders('BTC/USDT');
    }
    expect(await ex.fetchOpenOrders('BTC/USDT')).toHaveLength(0);
    expect((await ex.fetchOpenOrders('ETH/USDT')).map((o) => o.id)).toEqual([eth.id]);
    expect(sim.orders(venue, ACCOUNT).filter((o) => o.status === 'canceled')).toHaveLength(2);
  });

  it('reports key permissions and IP whitelist in the venue format through the implicit API', async () => {
    const key = testKey(venue, {
      apiKey: `${venue}Monitor0001`,
      permissions: { read: true, trade: false, withdraw: true, transfer: true },
      ipWhitelist: ['127.0.0.1', '10.1.2.3'],
    });
    sim.registerKey(key);
    const ex = clientFor(sim, key) as unknown as Record<string, (p?: object) => Promise<Record<string, unknown>>>;
    if (venue === 'binance') {
      const r = await ex['sapiGetAccountApiRestrictions']!();
      expect(r).toMatchObject({
        ipRestrict: true,
        enableReading: true,
        enableSpotAndMarginTrading: false,
        enableWithdrawals: true,
        enableInternalTransfer: true,
        permitsUniversalTransfer: true,
      });
      const ips = await ex['sapiGetAccountApiRestrictionsIpRestriction']!();
      expect(ips['ipList']).toEqual(['127.0.0.1', '10.1.2.3']);
    } else if (venue === 'okx') {
      const r = await ex['privateGetAccountConfig']!();
      const [cfg] = r['data'] as Array<Record<string, unknown>>;
      expect(cfg).toMatchObject({ perm: 'read_only,withdraw', ip: '127.0.0.1,10.1.2.3' });
    } else {
      const r = await ex['privateGetV5UserQueryApi']!();
      const result = r['result'] as Record<string, unknown>;
      expect(result).toMatchObject({ apiKey: key.apiKey, readOnly: 0, ips: ['127.0.0.1', '10.1.2.3'] });
      const perms = result['permissions'] as Record<string, string[]>;
      expect(perms['Spot']).toEqual([]);
      expect(perms['Wallet']).toEqual(['AccountTransfer', 'SubMemberTransfer', 'Withdraw']);
    }
  });

  it('refuses a wrong secret with the venue code, which ccxt raises as AuthenticationError', async () => {
    sim.registerKey(testKey(venue));
    const ex = clientFor(sim, { ...testKey(venue), secret: 'not-the-secret-at-all' });
    const [cls, code] = REFUSALS[venue].badSignature;
    const err = await rejection(ex.fetchBalance());
    expect(err).toBeInstanceOf(cls);
    expect(err.message).toContain(code);
  });

  it('refuses an unknown key, a non-whitelisted IP and a key without trade permission, each as the venue does', async () => {
    const unknown = await rejection(clientFor(sim, testKey(venue)).fetchBalance());
    expect(unknown).toBeInstanceOf(REFUSALS[venue].unknownKey[0]);
    expect(unknown.message).toContain(REFUSALS[venue].unknownKey[1]);

    const elsewhere = testKey(venue, { apiKey: `${venue}Elsewhere01`, ipWhitelist: ['10.9.9.9'] });
    sim.registerKey(elsewhere);
    const ip = await rejection(clientFor(sim, elsewhere).fetchBalance());
    expect(ip).toBeInstanceOf(REFUSALS[venue].ipNotWhitelisted[0]);
    expect(ip.message).toContain(REFUSALS[venue].ipNotWhitelisted[1]);

    const readOnly = testKey(venue, { apiKey: `${venue}ReadOnly001`, permissions: { read: true, trade: false, withdraw: false, transfer: false } });
    sim.registerKey(readOnly);
    sim.setBalance(venue, ACCOUNT, 'USDT', 10_000);
    const ro = clientFor(sim, readOnly);
    const [cls, code] = REFUSALS[venue].noTradePermission;
    const denied = await rejection(ro.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50_000));
    expect(denied.constructor).toBe(cls);
    expect(denied.message).toContain(code);
    expect(amountOf(await ro.fetchBalance(), 'total', 'USDT')).toBe(10_000);
    // Once a binance client has authenticated, ccxt reads -2015 as a temporary ban, not as a key problem.
    const later = await rejection(ro.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50_000));
    expect(later.constructor).toBe(venue === 'binance' ? DDoSProtection : cls);
    expect(later.message).toContain(code);
    expect(sim.orders(venue, ACCOUNT)).toHaveLength(0);
  });

  it('lets a monitoring key and a trading key share one account', async () => {
    const trader = fundedClient(sim, venue);
    const monitorKey = testKey(venue, { apiKey: `${venue}Monitor0002`, permissions: { read: true, trade: false, withdraw: false, transfer: false } });
    sim.registerKey(monitorKey);
    const monitor = clientFor(sim, monitorKey);
    const placed = await trader.createOrder('BTC/USDT', 'limit', 'sell', 0.1, 70_000, { clientOrderId: `shared${venue}1` });
    expect((await monitor.fetchOpenOrders('BTC/USDT')).map((o) => o.id)).toEqual([placed.id]);
    expect(amountOf(await monitor.fetchBalance(), 'used', 'BTC')).toBe(0.1);
  });
});
