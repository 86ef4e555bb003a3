import { describe, expect, it } from 'vitest';
import {
  assetPrice,
  assetValues,
  assetWeights,
  concentration,
  executionPrice,
  markPrice,
  notional,
  portfolioValue,
  roundDownToStep,
  roundToStep,
  roundUpToStep,
  splitSymbol,
  symbolAssets,
  valuePortfolio,
} from '../../domain/portfolio';
import { bal, px, rules, snapshot } from './fixtures';

describe('symbols', () => {
  it('splits spot and ccxt swap symbols', () => {
    expect(splitSymbol('BTC/USDT')).toEqual({ base: 'BTC', quote: 'USDT' });
    expect(splitSymbol('BTC/USDT:USDT')).toEqual({ base: 'BTC', quote: 'USDT' });
    expect(splitSymbol('BTC')).toEqual({ base: 'BTC', quote: '' });
  });

  it('prefers the venue market rules', () => {
    const s = snapshot({ markets: { XBTUSDT: rules('XBTUSDT', { base: 'BTC', quote: 'USDT' }) } });
    expect(symbolAssets(s, 'XBTUSDT')).toEqual({ base: 'BTC', quote: 'USDT' });
    expect(symbolAssets(s, 'ETH/USDT')).toEqual({ base: 'ETH', quote: 'USDT' });
  });
});

describe('markPrice', () => {
  it('uses the mid of a sane book', () => {
    expect(markPrice({ bid: 99, ask: 101, last: 50 })).toBe(100);
  });
  it('falls back to last on a crossed, one-sided or empty book', () => {
    expect(markPrice({ bid: 102, ask: 101, last: 100 })).toBe(100);
    expect(markPrice({ bid: 0, ask: 101, last: 100 })).toBe(100);
    expect(markPrice({ bid: 99, ask: Number.NaN, last: 100 })).toBe(100);
  });
  it('has no price when there is none', () => {
    expect(markPrice(undefined)).toBeUndefined();
    expect(markPrice({ bid: 0, ask: 0, last: 0 })).toBeUndefined();
    expect(markPrice({ bid: -1, ask: 0, last: Number.POSITIVE_INFINITY })).toBeUndefined();
  });
});

describe('valuation', () => {
  const s = snapshot({
    quotes: { 'BTC/USDT': px(50_000, 20), 'ETH/USDT': px(2_000) },
    balances: { USDT: bal(1_000, 500), BTC: bal(0.1), ETH: bal(0), DOGE: bal(1_000) },
  });

  it('values total balances (free + used) in USDT, skipping zero balances', () => {
    const v = valuePortfolio(s);
    expect(v.total).toBe(6_500);
    expect(v.assets.map((a) => [a.asset, a.value])).toEqual([
      ['BTC', 5_000],
      ['USDT', 1_500],
    ]);
    expect(portfolioValue(s)).toBe(6_500);
    expect(assetValues(s)).toEqual({ BTC: 5_000, USDT: 1_500 });
  });

  it('lists assets it cannot price instead of guessing', () => {
    expect(valuePortfolio(s).unpriced).toEqual(['DOGE']);
  });

  it('weights sum to 1', () => {
    const w = assetWeights(s);
    expect(w.BTC).toBeCloseTo(5_000 / 6_500, 12);
    expect(Object.values(w).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('prices the quote currency at 1', () => {
    expect(assetPrice(s, 'USDT')).toBe(1);
    expect(assetPrice(s, 'BTC')).toBe(50_000);
    expect(assetPrice(s, 'DOGE')).toBeUndefined();
  });

  it('an empty account is worth 0 with no weights', () => {
    const empty = snapshot();
    expect(portfolioValue(empty)).toBe(0);
    expect(assetWeights(empty)).toEqual({});
    expect(concentration(empty)).toBeUndefined();
  });

  it('zero total value gives zero weights, not NaN', () => {
    const s0 = snapshot({ quotes: { 'BTC/USDT': px(50_000) }, balances: { BTC: bal(0), USDT: bal(0) } });
    expect(valuePortfolio(s0)).toEqual({ quoteCurrency: 'USDT', total: 0, assets: [], unpriced: [] });
  });

  it('concentration is the largest non-cash weight', () => {
    expect(concentration(s)).toEqual({ asset: 'BTC', weight: 5_000 / 6_500 });
    const cashOnly = snapshot({ balances: { USDT: bal(100) } });
    expect(concentration(cashOnly)).toBeUndefined();
    const two = snapshot({
      quotes: { 'BTC/USDT': px(50_000), 'ETH/USDT': px(2_000) },
      balances: { USDT: bal(10_000), BTC: bal(0.01), ETH: bal(1) },
    });
    expect(concentration(two)).toEqual({ asset: 'ETH', weight: 2_000 / 12_500 });
  });
});

describe('step rounding', () => {
  it('avoids float garbage', () => {
    expect(roundDownToStep(0.1 + 0.2, 0.1)).toBe(0.3);
    expect(roundDownToStep(0.3, 0.1)).toBe(0.3);
    expect(roundDownToStep(1.23456789, 0.001)).toBe(1.234);
    expect(roundDownToStep(0.00012345, 1e-8)).toBe(0.00012345);
    expect(roundDownToStep(12345.6789, 0.01)).toBe(12345.67);
    expect(roundDownToStep(0.07, 0.01)).toBe(0.07); // 0.07 / 0.01 = 7.000000000000001
    expect(roundDownToStep(4.35, 0.05)).toBe(4.35); // 4.35 / 0.05 = 86.99999999999999
    expect(roundDownToStep(1.005, 0.001)).toBe(1.005);
  });

  it('rounds down to coarse and odd steps', () => {
    expect(roundDownToStep(7, 5)).toBe(5);
    expect(roundDownToStep(0.9999, 1)).toBe(0);
    expect(roundDownToStep(1, 0.25)).toBe(1);
    expect(roundDownToStep(1.2, 0.25)).toBe(1);
    expect(roundDownToStep(0.000123456, 2.5e-7)).toBe(0.00012325);
  });

  it('rounds negatives toward zero and keeps zero positive', () => {
    expect(roundDownToStep(-1.27, 0.1)).toBe(-1.2);
    expect(Object.is(roundDownToStep(-0.05, 0.1), 0)).toBe(true);
    expect(roundDownToStep(0, 0.001)).toBe(0);
  });

  it('leaves values alone without a usable step', () => {
    expect(roundDownToStep(1.2345, 0)).toBe(1.2345);
    expect(roundDownToStep(1.2345, -1)).toBe(1.2345);
    expect(roundDownToStep(1.2345, Number.NaN)).toBe(1.2345);
    expect(roundDownToStep(Number.NaN, 0.1)).toBeNaN();
  });

  it('falls back to float rounding beyond the exact integer range', () => {
    expect(roundDownToStep(1e12 + 0.123456789, 1e-8)).toBeCloseTo(1e12 + 0.12345678, 3);
    expect(roundDownToStep(1e12 + 0.5, 1e-8)).toBeLessThanOrEqual(1e12 + 0.5);
  });

  it('rounds up and to nearest', () => {
    expect(roundUpToStep(0.1 + 0.2, 0.1)).toBe(0.3);
    expect(roundUpToStep(1.2341, 0.001)).toBe(1.235);
    expect(roundUpToStep(1.234, 0.001)).toBe(1.234);
    expect(roundUpToStep(-1.21, 0.1)).toBe(-1.3);
    expect(roundToStep(1.2344, 0.001)).toBe(1.234);
    expect(roundToStep(1.2345, 0.001)).toBe(1.235);
    expect(roundToStep(112.5, 25)).toBe(125);
    expect(roundToStep(112.4, 25)).toBe(100);
    expect(roundToStep(0.1 + 0.7, 0.1)).toBe(0.8);
  });

  it('always yields a clean multiple within one step (property over many values)', () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const steps = [1e-8, 1e-6, 0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 10];
    for (let i = 0; i < 5_000; i++) {
      const step = steps[i % steps.length] ?? 1;
      const x = next() * 10 ** Math.floor(next() * 6);
      const down = roundDownToStep(x, step);
      const up = roundUpToStep(x, step);
      // Never above x by more than float noise (a few ulps).
      expect(down).toBeLessThanOrEqual(x * (1 + 8 * Number.EPSILON));
      expect(x - down).toBeLessThan(step + 1e-12);
      expect(up).toBeGreaterThanOrEqual(x * (1 - 8 * Number.EPSILON));
      expect(up - x).toBeLessThan(step + 1e-12);
      // A whole number of steps, counted in the step's smallest decimal unit.
      const decimals = Math.max(0, -Math.floor(Math.log10(step)) + (step === 0.05 || step === 0.5 ? 1 : 0));
      const unit = 10 ** decimals;
      expect(Math.round(down * unit) % Math.round(step * unit)).toBe(0);
      // No float garbage: at most as many decimals as the step.
      expect(Number(down.toFixed(decimals))).toBe(down);
    }
  });
});

describe('notional', () => {
  const q = { bid: 99, ask: 101, last: 100 };
  it('uses the limit price', () => {
    expect(notional({ side: 'buy', type: 'limit', amount: 2, price: 90 }, q)).toBe(180);
    expect(notional({ side: 'buy', type: 'limit', amount: 2, price: 90 }, undefined)).toBe(180);
  });
  it('uses the far touch for market orders', () => {
    expect(notional({ side: 'buy', type: 'market', amount: 2 }, q)).toBe(202);
    expect(notional({ side: 'sell', type: 'market', amount: 2 }, q)).toBe(198);
    expect(executionPrice({ side: 'sell', type: 'market' }, { bid: 0, ask: 101, last: 100 })).toBe(100);
  });
  it('is undefined without a price', () => {
    expect(notional({ side: 'buy', type: 'market', amount: 2 }, undefined)).toBeUndefined();
    expect(notional({ side: 'buy', type: 'market', amount: 2 }, { bid: 0, ask: 0, last: 0 })).toBeUndefined();
    expect(notional({ side: 'buy', type: 'limit', amount: 2 }, q)).toBeUndefined();
    expect(notional({ side: 'buy', type: 'limit', amount: 2, price: 0 }, q)).toBeUndefined();
  });
  it('is 0 for a zero amount', () => {
    expect(notional({ side: 'buy', type: 'limit', amount: 0, price: 5 }, q)).toBe(0);
  });
});
