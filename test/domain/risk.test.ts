import { describe, expect, it } from 'vitest';
import { RiskConfig } from '../../config/schema';
import type { OrderIntent } from '../../domain/market';
import { checkOrder, checkPortfolio, initialRiskState, markToMarket, ordersInLastMinute, recordOrder, type RiskState } from '../../domain/risk';
import { bal, px, snapshot } from './fixtures';

const limits = RiskConfig.parse({});
const T0 = Date.parse('2025-01-15T12:00:00.000Z');

describe('markToMarket', () => {
  it('starts the day at UTC midnight', () => {
    expect(initialRiskState(10_000, T0)).toEqual({ dayStartedAt: '2025-01-15T00:00:00.000Z', dayStartValue: 10_000, peakValue: 10_000, recentOrderTimes: [] });
  });

  it('measures daily P&L from the day start and drawdown from the peak', () => {
    let s = initialRiskState(10_000, T0);
    let m = markToMarket(s, 9_500, T0 + 1_000);
    expect([m.dailyPnlPct, m.drawdownPct]).toEqual([-5, 5]);
    m = markToMarket(m.state, 11_000, T0 + 2_000);
    expect([m.dailyPnlPct, m.drawdownPct, m.state.peakValue]).toEqual([10, 0, 11_000]);
    m = markToMarket(m.state, 8_800, T0 + 3_000);
    expect(m.dailyPnlPct).toBeCloseTo(-12, 10);
    expect(m.drawdownPct).toBeCloseTo(20, 10);
    s = m.state;
    expect(s.peakValue).toBe(11_000);
  });

  it('rolls the day at UTC midnight and keeps the peak', () => {
    const s = markToMarket(initialRiskState(10_000, T0), 12_000, T0).state;
    const before = markToMarket(s, 9_000, Date.parse('2025-01-15T23:59:59.999Z'));
    expect(before.state.dayStartedAt).toBe('2025-01-15T00:00:00.000Z');
    expect(before.dailyPnlPct).toBe(-10);
    const after = markToMarket(before.state, 9_000, Date.parse('2025-01-16T00:00:00.000Z'));
    expect(after.state).toMatchObject({ dayStartedAt: '2025-01-16T00:00:00.000Z', dayStartValue: 9_000, peakValue: 12_000 });
    expect(after.dailyPnlPct).toBe(0);
    expect(after.drawdownPct).toBe(25);
    // Several days skipped at once roll once, to the current day.
    const later = markToMarket(after.state, 9_500, Date.parse('2025-01-20T08:00:00.000Z'));
    expect(later.state.dayStartedAt).toBe('2025-01-20T00:00:00.000Z');
  });

  it('does not roll back when the clock goes backwards, and rolls on an unreadable day', () => {
    const s = initialRiskState(10_000, T0);
    expect(markToMarket(s, 9_000, T0 - 86_400_000).state.dayStartedAt).toBe(s.dayStartedAt);
    expect(markToMarket({ ...s, dayStartedAt: 'garbage' }, 9_000, T0).state).toMatchObject({ dayStartedAt: '2025-01-15T00:00:00.000Z', dayStartValue: 9_000 });
  });

  it('an unfunded day starts at the first funded mark, not at 0', () => {
    const s = initialRiskState(0, T0);
    expect(markToMarket(s, 0, T0)).toMatchObject({ dailyPnlPct: 0, drawdownPct: 0 });
    const m = markToMarket(s, 1_000, T0 + 1);
    expect(m).toMatchObject({ dailyPnlPct: 0, drawdownPct: 0, state: { dayStartValue: 1_000, peakValue: 1_000 } });
    // Everything lost: -100%, not NaN.
    expect(markToMarket(m.state, 0, T0 + 2)).toMatchObject({ dailyPnlPct: -100, drawdownPct: 100 });
  });

  it('refuses a value that would disable every limit', () => {
    const s = initialRiskState(10_000, T0);
    expect(() => markToMarket(s, Number.NaN, T0)).toThrow(RangeError);
    expect(() => markToMarket(s, -1, T0)).toThrow(/finite number >= 0/);
    expect(() => initialRiskState(Number.POSITIVE_INFINITY, T0)).toThrow(RangeError);
  });

  it('prunes order times older than a minute', () => {
    const s: RiskState = { ...initialRiskState(1, T0), recentOrderTimes: [T0 - 120_000, T0 - 60_000, T0 - 59_999] };
    expect(markToMarket(s, 1, T0).state.recentOrderTimes).toEqual([T0 - 59_999]);
    expect(recordOrder(s, T0).recentOrderTimes).toEqual([T0 - 59_999, T0]);
    expect(ordersInLastMinute(s, T0)).toBe(1);
    expect(s.recentOrderTimes).toHaveLength(3); // inputs are not mutated
  });
});

describe('checkPortfolio', () => {
  it('passes inside every limit', () => {
    expect(checkPortfolio(limits, { dailyPnlPct: -4.99, drawdownPct: 19.99 }, 3, 30)).toEqual([]);
    expect(checkPortfolio(limits, { dailyPnlPct: 12, drawdownPct: 0 })).toEqual([]);
  });

  it('trips the daily loss limit when it is hit', () => {
    expect(checkPortfolio(limits, { dailyPnlPct: -5, drawdownPct: 5 })).toEqual([
      { rule: 'daily_loss', value: -5, limit: -5, reason: 'daily P&L -5.00% hit the daily loss limit of -5%' },
    ]);
  });

  it('trips max drawdown, leverage and margin health', () => {
    const b = checkPortfolio(limits, { dailyPnlPct: -1, drawdownPct: 20 }, 3.5, 29.9);
    expect(b.map((x) => x.rule)).toEqual(['max_drawdown', 'leverage', 'margin_health']);
    expect(b.map((x) => x.reason)).toEqual([
      'drawdown 20.00% from peak hit the max drawdown of 20%',
      'leverage 3.50x exceeds the max leverage of 3x',
      'margin health 29.90% is below the 30% buffer',
    ]);
    expect(b[1]).toMatchObject({ value: 3.5, limit: 3 });
  });

  it('treats an unreadable leverage or margin health as a breach', () => {
    expect(checkPortfolio(limits, { dailyPnlPct: 0, drawdownPct: 0 }, Number.NaN, Number.NaN).map((x) => x.rule)).toEqual(['leverage', 'margin_health']);
  });

  it('reports every breach at once', () => {
    expect(checkPortfolio(limits, { dailyPnlPct: -30, drawdownPct: 40 }, 10, 0)).toHaveLength(4);
  });

  it('uses the configured limits', () => {
    const strict = RiskConfig.parse({ dailyLossLimitPct: 2, maxDrawdownPct: 10 });
    expect(checkPortfolio(strict, { dailyPnlPct: -2.5, drawdownPct: 9 }).map((x) => x.rule)).toEqual(['daily_loss']);
  });
});

describe('checkOrder', () => {
  const buy = (amount: number, price = 50_000, over: Partial<OrderIntent> = {}): OrderIntent => ({
    symbol: 'BTC/USDT',
    side: 'buy',
    type: 'limit',
    amount,
    price,
    reason: 'test',
    ...over,
  });
  const sell = (amount: number, price = 50_000): OrderIntent => buy(amount, price, { side: 'sell' });
  const state = initialRiskState(10_500, T0);
  const snap = snapshot({ quotes: { 'BTC/USDT': px(50_000, 10) }, balances: { USDT: bal(10_000), BTC: bal(0.01) } });

  it('accepts an order inside every limit', () => {
    expect(checkOrder(limits, buy(0.01), snap, state, T0)).toEqual({ ok: true });
    expect(checkOrder(limits, sell(0.01), snap, state, T0)).toEqual({ ok: true });
    expect(checkOrder(limits, buy(0.01, 0, { type: 'market', price: undefined }), snap, state, T0)).toEqual({ ok: true });
  });

  it('refuses malformed intents', () => {
    expect(checkOrder(limits, buy(0), snap, state, T0)).toEqual({ ok: false, rule: 'invalid_order', reason: 'order amount must be greater than 0, got 0' });
    expect(checkOrder(limits, buy(Number.NaN), snap, state, T0)).toMatchObject({ ok: false, rule: 'invalid_order' });
    expect(checkOrder(limits, buy(0.01, 0), snap, state, T0)).toEqual({ ok: false, rule: 'invalid_order', reason: 'limit order on BTC/USDT has no valid price' });
  });

  it('refuses to trade blind', () => {
    const noQuote = snapshot({ balances: snap.balances });
    expect(checkOrder(limits, buy(0.01), noQuote, state, T0)).toEqual({ ok: false, rule: 'missing_price', reason: 'no price for BTC/USDT in the snapshot' });
    const deadBook = snapshot({ ...snap, quotes: { 'BTC/USDT': { bid: 0, ask: 0, last: 0 } } });
    expect(checkOrder(limits, buy(0.01, 0, { type: 'market', price: undefined }), deadBook, state, T0)).toMatchObject({ rule: 'missing_price' });
  });

  it('refuses an order above the max order size, with the notional in USD', () => {
    expect(checkOrder(limits, buy(0.03), snap, state, T0)).toEqual({
      ok: false,
      rule: 'max_order_size',
      reason: 'order notional 1500.00 USD exceeds max order size 1000 USD',
    });
    // Exactly at the limit is allowed.
    const big = snapshot({ ...snap, balances: { USDT: bal(100_000) } });
    expect(checkOrder(limits, buy(0.02), big, state, T0)).toEqual({ ok: true });
    // A market buy is valued at the ask.
    expect(checkOrder(limits, buy(0.02, 0, { type: 'market', price: undefined }), big, state, T0)).toMatchObject({
      rule: 'max_order_size',
      reason: 'order notional 1000.10 USD exceeds max order size 1000 USD',
    });
  });

  it('values a cross pair in USD through its quote currency', () => {
    const cross = snapshot({
      quotes: { 'ETH/BTC': px(0.05), 'BTC/USDT': px(50_000) },
      balances: { BTC: bal(1), USDT: bal(100_000) },
    });
    const ethBuy = (amount: number) => buy(amount, 0.05, { symbol: 'ETH/BTC' });
    expect(checkOrder(limits, ethBuy(0.5), cross, state, T0)).toMatchObject({ reason: 'order notional 1250.00 USD exceeds max order size 1000 USD' });
    expect(checkOrder(limits, ethBuy(0.2), cross, state, T0)).toEqual({ ok: true });
    const noBtc = snapshot({ ...cross, quotes: { 'ETH/BTC': px(0.05) } });
    expect(checkOrder(limits, ethBuy(0.2), noBtc, state, T0)).toEqual({ ok: false, rule: 'missing_price', reason: 'no BTC/USDT price to value ETH/BTC in USD' });
  });

  it('limits the order rate per minute', () => {
    const busy: RiskState = { ...state, recentOrderTimes: Array.from({ length: 30 }, (_, i) => T0 - 59_000 + i) };
    expect(checkOrder(limits, buy(0.001), snap, busy, T0)).toEqual({
      ok: false,
      rule: 'order_rate',
      reason: 'order rate limit reached: 30 orders in the last minute, max 30 per minute',
    });
    // A minute later they no longer count.
    expect(checkOrder(limits, buy(0.001), snap, busy, T0 + 1_000)).toEqual({ ok: true });
    let s = state;
    for (let i = 0; i < 29; i++) s = recordOrder(s, T0 + i);
    expect(checkOrder(limits, buy(0.001), snap, s, T0 + 100)).toEqual({ ok: true });
    expect(checkOrder(limits, buy(0.001), snap, recordOrder(s, T0 + 99), T0 + 100)).toMatchObject({ rule: 'order_rate' });
  });

  it('refuses a buy the free quote cannot pay for, fees included', () => {
    const poor = snapshot({ ...snap, balances: { USDT: bal(500, 9_500), BTC: bal(0) }, takerFeeRate: 0.001 });
    expect(checkOrder(limits, buy(0.01), poor, state, T0)).toEqual({
      ok: false,
      rule: 'insufficient_balance',
      reason: 'insufficient USDT: buy of 0.01 BTC needs 500.50 USDT with fees, free 500.00',
    });
    // Without a fee, exactly the free balance is enough.
    const exact = snapshot({ ...poor, takerFeeRate: 0 });
    expect(checkOrder(limits, buy(0.01), exact, state, T0)).toEqual({ ok: true });
    const empty = snapshot({ ...snap, balances: {} });
    expect(checkOrder(limits, buy(0.001), empty, state, T0)).toMatchObject({ rule: 'insufficient_balance' });
  });

  it('refuses a sell of more than the free base', () => {
    const locked = snapshot({ ...snap, balances: { USDT: bal(10_000), BTC: bal(0.005, 1) } });
    expect(checkOrder(limits, sell(0.01), locked, state, T0)).toEqual({
      ok: false,
      rule: 'insufficient_balance',
      reason: 'insufficient BTC: sell of 0.01 needs 0.01 free, have 0.005',
    });
  });

  it('refuses a buy that would concentrate the portfolio above the limit', () => {
    // 4,000 USDT + 500 BTC; buying 500 more makes BTC 1,000 of 4,499.5 = 22.22%.
    const small = snapshot({ ...snap, balances: { USDT: bal(4_000), BTC: bal(0.01) }, takerFeeRate: 0.001 });
    expect(checkOrder(limits, buy(0.01), small, state, T0)).toEqual({
      ok: false,
      rule: 'concentration',
      reason: 'BTC would be 22.22% of the portfolio after this buy, above the 20% concentration limit',
    });
    // 0.008 would land at 20.002%; 0.007 at 18.9%.
    expect(checkOrder(limits, buy(0.008), small, state, T0)).toMatchObject({ rule: 'concentration' });
    expect(checkOrder(limits, buy(0.007), small, state, T0)).toEqual({ ok: true });
  });

  it('lets a sell through even when concentrated: selling reduces concentration', () => {
    const heavy = snapshot({ ...snap, balances: { BTC: bal(1) } });
    expect(checkOrder(limits, sell(0.01), heavy, state, T0)).toEqual({ ok: true });
    expect(checkOrder(limits, buy(0.001), snapshot({ ...heavy, balances: { BTC: bal(1), USDT: bal(100) } }), state, T0)).toMatchObject({
      rule: 'concentration',
    });
  });

  it('values an asset the portfolio could not price from the order market itself', () => {
    // SOL is traded against BTC only: the valuation cannot price it, the check can.
    const s = snapshot({
      quotes: { 'SOL/BTC': px(0.002), 'BTC/USDT': px(50_000) },
      balances: { USDT: bal(10_000), BTC: bal(0.1), SOL: bal(100) },
    });
    // 100 SOL = 0.2 BTC = 10,000 USD: already 50% of 20,000 + 5,000.
    expect(checkOrder(limits, buy(1, 0.002, { symbol: 'SOL/BTC' }), s, state, T0)).toMatchObject({ rule: 'concentration' });
  });
});
