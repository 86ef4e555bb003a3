import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayProvider } from '../adapters/exchange/provider';
import { createMetrics } from '../adapters/metrics';
import { RiskConfig } from '../config/schema';
import { statusQuery, type SessionInput } from '../contracts/session';
import type { ExchangeId } from '../domain/market';
import { startSession } from '../workers/sessions';
import { eventsOf } from './helpers/audit-read';
import { ExchangeHarness, VENUE_IDS } from './helpers/exchange';
import { overrideGateways } from './helpers/gateway-override';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

let h: ExchangeHarness;
let t: TemporalHarness;
const metrics = createMetrics();
/** Accounts whose fill history the venue does not answer for now (the read fails as a venue outage would). */
const historyDown = new Set<string>();

/** The real gateways, with the fill-history read failing for the accounts in `historyDown`. */
const withHistoryOutages = (provider: GatewayProvider) =>
  overrideGateways(provider, (method, at) =>
    method === 'myTrades' && historyDown.has(at.key) ? ((() => Promise.reject(new Error('simulated: trade history unavailable'))) as never) : undefined,
  );

beforeAll(async () => {
  h = await ExchangeHarness.start(23);
  t = await temporalHarness();
  const secrets = h.secrets();
  const { CcxtGatewayProvider } = await import('../adapters/exchange/provider');
  const provider = new CcxtGatewayProvider({ secrets, accounts: ['books'].flatMap((a) => h.accounts(a)), enableRateLimit: false, timeoutMs: 3000 });
  await t.startWorker({ gateways: withHistoryOutages(provider), audit: h.audit, secrets, metrics });
});
afterAll(async () => {
  await t?.close();
  await h?.close();
});

/** Buys BTC with market orders of at most 200 USDT until it is 10% of the account. */
function buyingSession(exchange: ExchangeId): SessionInput {
  return {
    exchange,
    account: 'books',
    symbols: ['BTC/USDT'],
    strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.1 }, band: 0.01, orderType: 'market', maxOrderNotional: 200 },
    risk: RiskConfig.parse({ maxConcentrationPct: 100, lowBalanceUsd: 0 }),
    tickSeconds: 1,
  };
}

describe.each(VENUE_IDS)('%s: fills in the books', (venue) => {
  it('every fill is counted once, audited once, and none is missed while the history cannot be read', async () => {
    h.addKey(venue, 'books');
    h.sim.setBalance(venue, 'books', 'USDT', 10_000);
    h.sim.setBalance(venue, 'books', 'BTC', 0);
    const venueFills = () => h.sim.orders(venue, 'books').flatMap((o) => o.fills.map((f) => ({ ...f, orderId: o.id })));
    const session = await startSession(t.client, t.taskQueue, buyingSession(venue));

    // The history goes dark before the first fill: the session keeps trading, its books wait.
    const key = `${venue}/books`;
    historyDown.add(key);
    const first = await waitFor(() => session.query(statusQuery), (s) => s.orderSeq >= 2, 30_000, 'orders placed while the history is down');
    expect(first.books?.fills ?? 0).toBe(0);
    historyDown.delete(key);

    // Target reached: no more orders, and the books catch up with every fill the venue made.
    const settled = await waitFor(
      () => session.query(statusQuery),
      (s) => s.orderSeq > 0 && s.openOrders.length === 0 && s.books?.fills === venueFills().length && venueFills().length >= 2,
      30_000,
      'the books hold every venue fill',
    );
    const fills = venueFills();
    const trades = eventsOf(h.audit, 'trade').filter((e) => e.data.exchange === venue && e.data.account === 'books');
    // Exactly once each: the trail's trades are the venue's fills, by trade id.
    expect(trades.map((e) => String(e.data.tradeId)).sort()).toEqual(fills.map((f) => String(f.tradeId)).sort());
    const feesInQuote = fills.reduce((sum, f) => sum + (f.feeAsset === 'BTC' ? f.fee * f.price : f.fee), 0);
    expect(settled.books!.feesPaid).toBeCloseTo(feesInQuote, 6);
    expect(settled.books!.fillRate).toBe(1);
    // Bought only: nothing realized but the fees are in the position's cost.
    expect(settled.books!.realizedPnl).toBe(0);
    expect(settled.books!.unrealizedPnl).toBeLessThan(0);

    // The books are in /metrics: fees, fills, fill rate and the orders the fill-rate alert divides.
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`trading_fees_paid_total\\{exchange="${venue}",account="books"\\} [0-9.e-]+`));
    expect(text).toContain(`trading_fill_rate{exchange="${venue}",account="books"} 1`);
    expect(text).toContain(`trading_fills_total{exchange="${venue}",symbol="BTC/USDT"} ${fills.length}`);
    expect(text).toContain(`trading_orders_filled_total{exchange="${venue}",symbol="BTC/USDT"} ${new Set(fills.map((f) => f.orderId)).size}`);
    await session.terminate('test done');
  });
});
