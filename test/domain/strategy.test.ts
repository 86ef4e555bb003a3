import { describe, expect, it } from 'vitest';
import type { MarketSnapshot } from '../../domain/market';
import {
  GridParams,
  StrategyConfig,
  TargetWeightParams,
  gridLevels,
  gridStrategy,
  runStrategy,
  strategies,
  targetWeightStrategy,
} from '../../domain/strategy';
import { bal, order, px, rules, snapshot } from './fixtures';

const tw = (over: Partial<Omit<TargetWeightParams, 'kind'>> = {}): TargetWeightParams =>
  TargetWeightParams.parse({ kind: 'target-weight', targetWeights: { BTC: 0.5 }, ...over });
const grid = (over: Partial<Omit<GridParams, 'kind'>> = {}): GridParams =>
  GridParams.parse({ kind: 'grid', symbol: 'BTC/USDT', lower: 100, upper: 200, levels: 5, orderAmount: 1, ...over });

const decideTw = (s: MarketSnapshot, p: TargetWeightParams) => targetWeightStrategy.decide(s, targetWeightStrategy.initialState(), p);
const decideGrid = (s: MarketSnapshot, p: GridParams) => gridStrategy.decide(s, gridStrategy.initialState(), p);

describe('strategy params schemas', () => {
  it('applies defaults', () => {
    expect(tw()).toEqual({ kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.5 }, band: 0.05, orderType: 'limit' });
  });

  it('rejects weights over 1, the quote currency as a target, an empty target and bad bands', () => {
    const bad = (p: object) => TargetWeightParams.safeParse({ kind: 'target-weight', ...p });
    expect(bad({ targetWeights: { BTC: 0.6, ETH: 0.5 } }).error?.issues[0]?.message).toBe('weights sum to 1.1, must be at most 1');
    expect(bad({ targetWeights: { BTC: 0.5, ETH: 0.5 } }).success).toBe(true);
    expect(bad({ targetWeights: { BTC: 0.1, USDT: 0.2 } }).success).toBe(false);
    expect(bad({ targetWeights: {} }).error?.issues[0]?.message).toBe('must name at least one asset');
    expect(bad({ targetWeights: { BTC: -0.1 } }).success).toBe(false);
    expect(bad({ targetWeights: { btc: 0.1 } }).success).toBe(false);
    expect(bad({ targetWeights: { BTC: 0.1 }, band: 0 }).success).toBe(false);
    expect(bad({ targetWeights: { BTC: 0.1 }, surprise: 1 }).success).toBe(false);
  });

  it('validates grids', () => {
    const bad = (p: object) => GridParams.safeParse({ kind: 'grid', symbol: 'BTC/USDT', lower: 100, upper: 200, levels: 5, orderAmount: 1, ...p });
    expect(bad({}).success).toBe(true);
    expect(bad({ upper: 100 }).error?.issues[0]?.message).toBe('must be greater than lower');
    expect(bad({ levels: 1 }).success).toBe(false);
    expect(bad({ levels: 2.5 }).success).toBe(false);
    expect(bad({ orderAmount: 0 }).success).toBe(false);
    expect(bad({ symbol: 'btcusdt' }).success).toBe(false);
  });

  it('StrategyConfig discriminates on kind', () => {
    expect(StrategyConfig.parse({ kind: 'grid', symbol: 'ETH/USDT', lower: 1, upper: 2, levels: 2, orderAmount: 1 }).kind).toBe('grid');
    expect(StrategyConfig.parse({ kind: 'target-weight', targetWeights: { ETH: 0.2 } }).kind).toBe('target-weight');
    expect(StrategyConfig.safeParse({ kind: 'martingale' }).success).toBe(false);
    expect(StrategyConfig.safeParse({ kind: 'grid', targetWeights: { ETH: 0.2 } }).success).toBe(false);
  });
});

describe('target-weight rebalancer', () => {
  it('does nothing inside the band', () => {
    // BTC 0.1 x 50,000 = 5,000 of 10,000: exactly on target.
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(5_000), BTC: bal(0.1) } });
    expect(decideTw(s, tw()).intents).toEqual([]);
    // 54% is inside 50% +- 5%.
    const s2 = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(4_600), BTC: bal(0.108) } });
    expect(decideTw(s2, tw()).intents).toEqual([]);
  });

  it('sells an overweight asset back to target at the bid, rounded down to the amount step', () => {
    // BTC 10,000 of 15,000 = 66.7%: sell 2,500 worth = 0.05 BTC.
    const s = snapshot({
      quotes: { 'BTC/USDT': px(50_000, 20) },
      balances: { USDT: bal(5_000), BTC: bal(0.2) },
    });
    const d = decideTw(s, tw());
    expect(d.intents).toEqual([
      { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: 0.05, price: 49_990, reason: 'rebalance BTC: weight 66.7% vs target 50.0% ± 5.0%' },
    ]);
  });

  it('buys an underweight asset net of fees, never spending more than the gap', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000, 20) }, balances: { USDT: bal(10_000) }, takerFeeRate: 0.001 });
    const [buy] = decideTw(s, tw()).intents;
    // 5,000 / (50,010 x 1.001) = 0.09988..., rounded down to 0.0998.
    expect(buy).toMatchObject({ side: 'buy', type: 'limit', amount: 0.0998, price: 50_010 });
    expect((buy?.amount ?? 0) * 50_010 * 1.001).toBeLessThanOrEqual(5_000);
  });

  it('never buys more than the free quote balance', () => {
    // 10,000 USDT but 9,000 locked in an order on another market.
    const s = snapshot({
      quotes: { 'BTC/USDT': px(50_000), 'ETH/USDT': px(2_000) },
      balances: { USDT: bal(1_000, 9_000) },
      takerFeeRate: 0.001,
    });
    const d = decideTw(s, tw());
    expect(d.intents).toHaveLength(1);
    expect(d.intents[0]?.amount).toBe(0.0199); // 1,000 / 50,050 = 0.01998
    expect((d.intents[0]?.amount ?? 0) * 50_000 * 1.001).toBeLessThanOrEqual(1_000);
  });

  it('shares the free quote across several buys', () => {
    const s = snapshot({
      quotes: { 'BTC/USDT': px(50_000), 'ETH/USDT': px(2_000) },
      balances: { USDT: bal(10_000) },
    });
    const d = decideTw(s, tw({ targetWeights: { BTC: 0.4, ETH: 0.4 } }));
    expect(d.intents.map((i) => [i.symbol, i.amount])).toEqual([
      ['BTC/USDT', 0.08],
      ['ETH/USDT', 2],
    ]);
    const squeezed = snapshot({ ...s, balances: { USDT: bal(6_000, 4_000) } });
    const d2 = decideTw(squeezed, tw({ targetWeights: { BTC: 0.4, ETH: 0.4 } }));
    const spent = d2.intents.reduce((sum, i) => sum + i.amount * (i.price ?? 0), 0);
    expect(d2.intents.map((i) => [i.symbol, i.amount])).toEqual([
      ['BTC/USDT', 0.08],
      ['ETH/USDT', 1],
    ]);
    expect(spent).toBeLessThanOrEqual(6_000);
  });

  it('never sells more than the free balance', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(0), BTC: bal(0.01, 0.99) } });
    const d = decideTw(s, tw({ targetWeights: { BTC: 0.1 } }));
    // A resting order holds 0.99 BTC, but it is not on BTC/USDT: sells only the free 0.01.
    expect(d.intents).toEqual([expect.objectContaining({ side: 'sell', amount: 0.01 })]);
  });

  it('puts sells before buys so the cash they free comes first', () => {
    const s = snapshot({
      quotes: { 'BTC/USDT': px(50_000), 'ETH/USDT': px(2_000) },
      balances: { USDT: bal(1_000), ETH: bal(5) },
    });
    const d = decideTw(s, tw({ targetWeights: { BTC: 0.3, ETH: 0.3 } }));
    expect(d.intents.map((i) => `${i.side} ${i.symbol}`)).toEqual(['sell ETH/USDT', 'buy BTC/USDT']);
  });

  it('places no order at all when a price is missing', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(10_000) } });
    const d = decideTw(s, tw({ targetWeights: { BTC: 0.3, ETH: 0.3 } }));
    expect(d.intents).toEqual([]);
    expect(d.notes).toEqual(['no orders: no price for ETH']);
    const dead = snapshot({ quotes: { 'BTC/USDT': { bid: 0, ask: 0, last: 0 } }, balances: { USDT: bal(10_000) } });
    expect(decideTw(dead, tw()).intents).toEqual([]);
  });

  it('places nothing for an empty account', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: {} });
    const d = decideTw(s, tw());
    expect(d).toEqual({ intents: [], state: targetWeightStrategy.initialState(), notes: ['no orders: portfolio value is 0'] });
  });

  it('skips orders below the minimum amount or notional', () => {
    // 100 USDT, target 50%: a 50 USDT buy, under a 100 USDT minimum notional.
    const s = snapshot({
      quotes: { 'BTC/USDT': px(50_000) },
      balances: { USDT: bal(100) },
      markets: { 'BTC/USDT': rules('BTC/USDT', { minNotional: 100 }) },
    });
    const d = decideTw(s, tw());
    expect(d.intents).toEqual([]);
    expect(d.notes).toEqual(['BTC/USDT: buy skipped, notional 50 is below the minimum 100']);
    const s2 = snapshot({ ...s, markets: { 'BTC/USDT': rules('BTC/USDT', { minAmount: 0.01, minNotional: 0 }) } });
    expect(decideTw(s2, tw()).notes).toEqual(['BTC/USDT: buy skipped, amount 0.001 is below the minimum 0.01']);
    // A coarse lot size rounds the whole order away.
    const s3 = snapshot({ ...s, markets: { 'BTC/USDT': rules('BTC/USDT', { amountStep: 0.01, minAmount: 0, minNotional: 0 }) } });
    expect(decideTw(s3, tw()).notes).toEqual(['BTC/USDT: buy skipped, rounds to 0 at the amount step']);
  });

  it('handles tiny lot sizes without float garbage', () => {
    const s = snapshot({
      quotes: { 'BTC/USDT': px(43_210.5) },
      balances: { USDT: bal(123.45) },
      markets: { 'BTC/USDT': rules('BTC/USDT', { amountStep: 1e-8, minAmount: 1e-8, minNotional: 1 }) },
    });
    const [buy] = decideTw(s, tw()).intents;
    expect(buy?.amount).toBe(0.00142847); // 61.725 / 43,210.5 = 0.0014284723...
    expect(String(buy?.amount)).toBe('0.00142847');
  });

  it('waits for a resting order on the symbol instead of doubling it', () => {
    const s = snapshot({
      quotes: { 'BTC/USDT': px(50_000) },
      balances: { USDT: bal(10_000) },
      openOrders: [order({ side: 'buy', price: 49_000 })],
    });
    const d = decideTw(s, tw());
    expect(d.intents).toEqual([]);
    expect(d.notes).toEqual(['BTC/USDT: open order pending, not rebalancing']);
    // A filled or cancelled order does not block.
    const done = snapshot({ ...s, openOrders: [order({ side: 'buy', price: 49_000, status: 'closed' })] });
    expect(decideTw(done, tw()).intents).toHaveLength(1);
  });

  it('needs the market rules to size an order', () => {
    const s = snapshot({ quotes: { 'SOL/USDT': px(100) }, balances: { USDT: bal(1_000) } });
    expect(decideTw(s, tw({ targetWeights: { SOL: 0.5 } })).notes).toEqual(['SOL/USDT: no market rules, cannot size an order']);
  });

  it('rounds the limit price outward to the price step so it stays marketable', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': { bid: 49_999.994, ask: 50_000.004, last: 50_000 } }, balances: { USDT: bal(10_000) } });
    expect(decideTw(s, tw()).intents[0]?.price).toBe(50_000.01);
    const s2 = snapshot({ quotes: s.quotes, balances: { BTC: bal(1) } });
    expect(decideTw(s2, tw()).intents[0]).toMatchObject({ side: 'sell', price: 49_999.99 });
  });

  it('emits market orders when configured', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(10_000) } });
    const [o] = decideTw(s, tw({ orderType: 'market' })).intents;
    expect(o).toEqual({ symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.1, reason: 'rebalance BTC: weight 0.0% vs target 50.0% ± 5.0%' });
  });

  it('caps each order at maxOrderNotional so the risk engine can accept it', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(10_000) } });
    expect(decideTw(s, tw({ maxOrderNotional: 1_000 })).intents[0]).toMatchObject({ side: 'buy', amount: 0.02, price: 50_000 });
    const heavy = snapshot({ quotes: { 'BTC/USDT': px(50_000, 20) }, balances: { BTC: bal(1) } });
    const [sell] = decideTw(heavy, tw({ maxOrderNotional: 1_000 })).intents;
    expect(sell).toMatchObject({ side: 'sell', amount: 0.02 });
    expect((sell?.amount ?? 0) * (sell?.price ?? 0)).toBeLessThanOrEqual(1_000);
    expect(TargetWeightParams.safeParse({ kind: 'target-weight', targetWeights: { BTC: 0.1 }, maxOrderNotional: 0 }).success).toBe(false);
  });

  it('ignores holdings outside its universe', () => {
    // DOGE has no price and is not a target: it neither blocks nor counts.
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(10_000), DOGE: bal(1e6) } });
    expect(decideTw(s, tw()).intents[0]?.amount).toBe(0.1);
  });

  it('sells everything of an asset with a zero target', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(0), BTC: bal(0.12345678) } });
    expect(decideTw(s, tw({ targetWeights: { BTC: 0 } })).intents[0]).toMatchObject({ side: 'sell', amount: 0.1234 });
  });

  it('counts rebalances in its state and is deterministic', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { USDT: bal(10_000) } });
    const first = decideTw(s, tw());
    expect(first.state).toEqual({ kind: 'target-weight', rebalances: 1, lastRebalanceAt: '2025-01-15T12:00:00.000Z' });
    expect(decideTw(s, tw())).toEqual(first);
    const idle = snapshot({ ...s, balances: { USDT: bal(5_000), BTC: bal(0.1) } });
    const state = { kind: 'target-weight' as const, rebalances: 3 };
    expect(targetWeightStrategy.decide(idle, state, tw()).state).toBe(state);
  });
});

describe('grid', () => {
  const market = { 'BTC/USDT': rules('BTC/USDT', { amountStep: 0.001, priceStep: 0.01, minAmount: 0.001, minNotional: 1 }) };
  const rich = { USDT: bal(1_000_000), BTC: bal(100) };

  it('computes levels on the price step without duplicates', () => {
    expect(gridLevels({ lower: 100, upper: 200, levels: 5 }, 0.01)).toEqual([100, 125, 150, 175, 200]);
    expect(gridLevels({ lower: 100, upper: 101, levels: 4 }, 0.01)).toEqual([100, 100.33, 100.67, 101]);
    expect(gridLevels({ lower: 100, upper: 100.02, levels: 5 }, 0.01)).toEqual([100, 100.01, 100.02]);
    expect(gridLevels({ lower: 0.1, upper: 0.3, levels: 3 }, 0)).toEqual([0.1, 0.2, 0.3]);
  });

  it('buys below the price and sells above it, nearest levels first', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: rich, markets: market });
    const d = decideGrid(s, grid());
    expect(d.intents.map((i) => `${i.side}@${i.price}x${i.amount}`)).toEqual(['buy@150x1', 'buy@125x1', 'buy@100x1', 'sell@175x1', 'sell@200x1']);
    expect(d.intents.every((i) => i.type === 'limit' && i.symbol === 'BTC/USDT')).toBe(true);
    expect(d.intents[0]?.reason).toBe('grid buy level 150 (mark 160)');
  });

  it('leaves the level at the current price empty', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(150.004) }, balances: rich, markets: market });
    expect(decideGrid(s, grid()).intents.map((i) => i.price)).toEqual([125, 100, 175, 200]);
  });

  it('does not duplicate a level that has a live order', () => {
    const s = snapshot({
      quotes: { 'BTC/USDT': px(160) },
      balances: rich,
      markets: market,
      openOrders: [order({ side: 'buy', price: 150 }), order({ side: 'sell', price: 200.004 }), order({ side: 'buy', price: 125, symbol: 'ETH/USDT' })],
    });
    expect(decideGrid(s, grid()).intents.map((i) => i.price)).toEqual([125, 100, 175]);
  });

  it('replaces filled and cancelled orders', () => {
    const s = snapshot({
      quotes: { 'BTC/USDT': px(160) },
      balances: rich,
      markets: market,
      openOrders: [
        order({ side: 'buy', price: 150, status: 'closed', filled: 0.01 }),
        order({ side: 'buy', price: 125, status: 'canceled' }),
        order({ side: 'buy', price: 100 }),
        order({ side: 'sell', price: 175 }),
        order({ side: 'sell', price: 200 }),
      ],
    });
    expect(decideGrid(s, grid()).intents.map((i) => `${i.side}@${i.price}`)).toEqual(['buy@150', 'buy@125']);
  });

  it('after a buy fills and the price drops through it, the level becomes a sell', () => {
    const s = snapshot({
      quotes: { 'BTC/USDT': px(140) },
      balances: rich,
      markets: market,
      openOrders: [order({ side: 'buy', price: 125 }), order({ side: 'buy', price: 100 }), order({ side: 'sell', price: 175 }), order({ side: 'sell', price: 200 })],
    });
    expect(decideGrid(s, grid()).intents.map((i) => `${i.side}@${i.price}`)).toEqual(['sell@150']);
  });

  it('respects the free quote balance including fees, nearest levels first', () => {
    // 150 x 1.001 + 125 x 1.001 = 275.28; the 100 level would need 100.10 more.
    const s = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: { USDT: bal(300) }, markets: market, takerFeeRate: 0.001 });
    const d = decideGrid(s, grid());
    expect(d.intents.map((i) => `${i.side}@${i.price}`)).toEqual(['buy@150', 'buy@125']);
    expect(d.notes).toEqual([
      'buy at 100 and below skipped: needs 100.1 USDT, free 24.725',
      'sell at 175 and above skipped: needs 1 BTC, free 0',
    ]);
  });

  it('respects the free base balance for sells', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: { BTC: bal(1.5, 10) }, markets: market });
    expect(decideGrid(s, grid()).intents.filter((i) => i.side === 'sell').map((i) => i.price)).toEqual([175]);
  });

  it('rounds the order amount down to the lot size', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: rich, markets: market });
    expect(decideGrid(s, grid({ orderAmount: 0.123456 })).intents.every((i) => i.amount === 0.123)).toBe(true);
  });

  it('skips levels under the minimum amount or notional', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: rich, markets: market });
    const tiny = decideGrid(s, grid({ orderAmount: 0.0004 }));
    expect(tiny.intents).toEqual([]);
    expect(tiny.notes[0]).toBe('buy at 150 skipped: rounds to 0 at the amount step');
    // 0.007 x 125 = 0.875 and 0.007 x 100 = 0.7, under the 1 USDT minimum; 150 x 0.007 = 1.05 is fine.
    const small = decideGrid(s, grid({ orderAmount: 0.007 }));
    expect(small.intents.map((i) => i.price)).toEqual([150, 175, 200]);
    expect(small.notes).toEqual(['buy at 125 skipped: notional 0.875 is below the minimum 1', 'buy at 100 skipped: notional 0.7 is below the minimum 1']);
  });

  it('only buys when the price is above the range and only sells below it', () => {
    const above = snapshot({ quotes: { 'BTC/USDT': px(500) }, balances: rich, markets: market });
    expect(decideGrid(above, grid()).intents.every((i) => i.side === 'buy')).toBe(true);
    const below = snapshot({ quotes: { 'BTC/USDT': px(50) }, balances: rich, markets: market });
    expect(decideGrid(below, grid()).intents.map((i) => `${i.side}@${i.price}`)).toEqual(['sell@100', 'sell@125', 'sell@150', 'sell@175', 'sell@200']);
  });

  it('places nothing without a price or market rules', () => {
    const noPrice = snapshot({ balances: rich, markets: market });
    expect(decideGrid(noPrice, grid())).toEqual({ intents: [], state: gridStrategy.initialState(), notes: ['no orders: no price for BTC/USDT'] });
    const noRules = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: rich, markets: {} });
    expect(decideGrid(noRules, grid()).notes).toEqual(['no orders: no market rules for BTC/USDT']);
  });

  it('places nothing with zero balances', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: {}, markets: market });
    expect(decideGrid(s, grid()).intents).toEqual([]);
  });

  it('tracks proposals and the last price in its state', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: rich, markets: market });
    const d = gridStrategy.decide(s, { kind: 'grid', placed: 7 }, grid());
    expect(d.state).toEqual({ kind: 'grid', placed: 12, lastPrice: 160 });
  });
});

describe('registry', () => {
  it('names each strategy by its config kind', () => {
    expect(Object.keys(strategies).sort()).toEqual(['grid', 'target-weight']);
    expect(strategies.grid.name).toBe('grid');
    expect(strategies['target-weight'].name).toBe('target-weight');
  });

  it('runStrategy dispatches and resets a state left by another kind', () => {
    const s = snapshot({ quotes: { 'BTC/USDT': px(160) }, balances: { USDT: bal(1_000_000), BTC: bal(100) } });
    const g = runStrategy(grid(), s, { kind: 'target-weight', rebalances: 4 });
    expect(g.state).toMatchObject({ kind: 'grid', placed: 5 });
    const t = runStrategy(tw(), s, undefined);
    expect(t.state).toMatchObject({ kind: 'target-weight', rebalances: 1 });
    expect(runStrategy(tw(), s, { kind: 'target-weight', rebalances: 4 }).state).toMatchObject({ rebalances: 5 });
  });
});
