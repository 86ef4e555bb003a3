import { describe, expect, it } from 'vitest';
import { applyFills, emptyLedger, feeInQuote, fillRate, startLedger, unrealizedPnl, VENUE_CLOCK_SKEW_MS, type Fill } from '../../domain/fill-ledger';

const T0 = 1_000_000;
let n = 0;
function fill(over: Partial<Fill> = {}): Fill {
  n += 1;
  return { id: `t${n}`, orderId: `o${n}`, clientOrderId: `c${n}`, symbol: 'BTC/USDT', side: 'buy', price: 100, amount: 1, fee: { cost: 0.001, currency: 'BTC' }, timeMs: T0 + n, ...over };
}

describe('fill ledger', () => {
  it('counts each fill once however often the history is read again (overlapping reads, a replay, a tie at the cursor)', () => {
    const a = fill({ timeMs: T0 + 10 });
    const b = fill({ timeMs: T0 + 20 });
    const c = fill({ timeMs: T0 + 20 });
    let l = emptyLedger(T0);
    const first = applyFills(l, [a, b]);
    l = first.ledger;
    expect(first.fresh.map((f) => f.id)).toEqual([a.id, b.id]);
    // The next read asks from the cursor (inclusive): it sees b again, and c at the same time.
    const second = applyFills(l, [b, c, b]);
    expect(second.fresh.map((f) => f.id)).toEqual([c.id]);
    l = second.ledger;
    // A whole replay of the history changes nothing.
    const replay = applyFills(l, [a, b, c]);
    expect(replay.fresh).toEqual([]);
    expect(replay.ledger).toBe(l);
    expect(l.fills).toBe(3);
    expect(l.idsAtSince.sort()).toEqual([b.id, c.id].sort());
  });

  it('ignores fills from before the session began', () => {
    expect(applyFills(emptyLedger(T0), [fill({ timeMs: T0 - 1 })]).fresh).toEqual([]);
  });

  it("starts after the venue's history, counting none of it, and allows for a venue clock behind the worker's", () => {
    const old = [fill({ timeMs: T0 - 5_000 }), fill({ timeMs: T0 - 100 })];
    const l = startLedger(old, T0);
    expect(applyFills(l, old).fresh).toEqual([]);
    // A venue 30 s behind: the session's first fill is stamped before the worker's now, and still counts.
    const behind = fill({ timeMs: T0 - 30_000 + 10 });
    const empty = startLedger([], T0);
    expect(empty.sinceMs).toBe(T0 - VENUE_CLOCK_SKEW_MS);
    expect(applyFills(empty, [behind]).fresh).toEqual([behind]);
    // The newest old fill is the cursor when it is later than the allowance.
    expect(l.sinceMs).toBe(T0 - 100);
    expect(l.idsAtSince).toEqual([old[1]!.id]);
  });

  it('realized P&L by average cost, fees in base and in quote valued in quote', () => {
    let l = emptyLedger(T0);
    // Buys: 1 BTC at 100 (fee 0.001 BTC = 0.1 USDT), 1 BTC at 200 (fee 0.2 USDT).
    l = applyFills(l, [fill({ price: 100, amount: 1, fee: { cost: 0.001, currency: 'BTC' } }), fill({ price: 200, amount: 1, fee: { cost: 0.2, currency: 'USDT' } })]).ledger;
    expect(l.positions['BTC/USDT']!.qty).toBeCloseTo(1.999, 9);
    expect(l.positions['BTC/USDT']!.cost).toBeCloseTo(300.2, 9);
    expect(l.feesPaid).toBeCloseTo(0.3, 9);
    // Sell 1 BTC at 250, fee 0.25 USDT: basis is half the position's cost per BTC held.
    l = applyFills(l, [fill({ side: 'sell', price: 250, amount: 1, fee: { cost: 0.25, currency: 'USDT' } })]).ledger;
    const basis = 300.2 / 1.999;
    expect(l.realizedPnl).toBeCloseTo(250 - basis - 0.25, 9);
    expect(l.positions['BTC/USDT']!.qty).toBeCloseTo(0.999, 9);
    expect(l.feesPaid).toBeCloseTo(0.55, 9);
    expect(unrealizedPnl(l, { 'BTC/USDT': { bid: 299, ask: 301, last: 300 } })).toBeCloseTo(300 * 0.999 - (300.2 - basis), 9);
  });

  it('a sale beyond what the session bought realizes only the price (no cost basis), and never goes short', () => {
    const l = applyFills(emptyLedger(T0), [fill({ side: 'sell', price: 100, amount: 1, fee: { cost: 0.1, currency: 'USDT' } })]).ledger;
    expect(l.realizedPnl).toBeCloseTo(-0.1, 9);
    expect(l.positions['BTC/USDT']!.qty).toBe(0);
  });

  it('fill rate: orders with a fill over orders placed, each order once however many partial fills', () => {
    const l = applyFills(emptyLedger(T0), [fill({ orderId: 'x' }), fill({ orderId: 'x' }), fill({ orderId: 'y' })]).ledger;
    expect(l.ordersFilled).toBe(2);
    expect(applyFills(l, [fill({ orderId: 'x' }), fill({ orderId: 'z' })]).firstFills.map((f) => f.orderId)).toEqual(['z']);
    expect(fillRate(l, 4)).toBe(0.5);
    expect(fillRate(l, 0)).toBeUndefined();
    expect(feeInQuote(fill({ price: 50, fee: { cost: 2, currency: 'BTC' } }))).toBe(100);
  });
});
