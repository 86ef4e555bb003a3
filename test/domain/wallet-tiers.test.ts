import { describe, expect, it } from 'vitest';
import { DEFAULT_TIERS, isLowBalance, rebalanceNeed, tierTargets } from '../../domain/wallet-tiers';

describe('wallet tiers', () => {
  it('splits 80 / 19 / 1 by default', () => {
    expect(DEFAULT_TIERS).toEqual({ cold: 0.8, warm: 0.19, hot: 0.01 });
    expect(tierTargets(100_000)).toEqual({ coldUsd: 80_000, warmUsd: 19_000, hotUsd: 1_000 });
  });

  it('works in cents and the parts always add up to the total', () => {
    for (const total of [12_345.67, 0.01, 0.99, 1_000_000.01, 33.33]) {
      const t = tierTargets(total);
      expect(Math.round((t.coldUsd + t.warmUsd + t.hotUsd) * 100)).toBe(Math.round(total * 100));
      for (const v of Object.values(t)) expect(Number(v.toFixed(2))).toBe(v);
    }
    expect(tierTargets(12_345.67)).toEqual({ coldUsd: 9_876.54, warmUsd: 2_345.68, hotUsd: 123.45 });
  });

  it('a zero, negative or unknown total has zero targets', () => {
    for (const total of [0, -5, Number.NaN]) expect(tierTargets(total)).toEqual({ coldUsd: 0, warmUsd: 0, hotUsd: 0 });
  });

  it('accepts custom tiers that sum to 1 and refuses others', () => {
    expect(tierTargets(1_000, { cold: 0.5, warm: 0.5, hot: 0 })).toEqual({ coldUsd: 500, warmUsd: 500, hotUsd: 0 });
    expect(() => tierTargets(1_000, { cold: 0.8, warm: 0.3, hot: 0 })).toThrow(RangeError);
    expect(() => tierTargets(1_000, { cold: 1.1, warm: -0.1, hot: 0 })).toThrow(/non-negative fractions summing to 1/);
  });

  it('asks for the cold -> warm transfer that restores the warm target', () => {
    // Total 100,000: warm target 19,000, warm holds 4,000.
    expect(rebalanceNeed({ coldUsd: 95_000, warmUsd: 4_000, hotUsd: 1_000 })).toEqual({ coldToWarmUsd: 15_000, warmTargetUsd: 19_000, warmSurplusUsd: 0 });
  });

  it('never asks for more than cold holds', () => {
    expect(rebalanceNeed({ coldUsd: 1_000, warmUsd: 0, hotUsd: 99_000 }).coldToWarmUsd).toBe(1_000);
    expect(rebalanceNeed({ coldUsd: 0, warmUsd: 100, hotUsd: 10_000 }).coldToWarmUsd).toBe(0);
  });

  it('never suggests warm -> cold: a surplus is only reported', () => {
    const n = rebalanceNeed({ coldUsd: 50_000, warmUsd: 50_000, hotUsd: 0 });
    expect(n).toEqual({ coldToWarmUsd: 0, warmTargetUsd: 19_000, warmSurplusUsd: 31_000 });
  });

  it('handles empty and broken balances without going negative', () => {
    expect(rebalanceNeed({ coldUsd: 0, warmUsd: 0, hotUsd: 0 })).toEqual({ coldToWarmUsd: 0, warmTargetUsd: 0, warmSurplusUsd: 0 });
    const n = rebalanceNeed({ coldUsd: 10_000, warmUsd: Number.NaN, hotUsd: -50 });
    expect(n.coldToWarmUsd).toBe(1_900);
    expect(n.coldToWarmUsd).toBeGreaterThanOrEqual(0);
  });

  it('uses custom tiers', () => {
    expect(rebalanceNeed({ coldUsd: 1_000, warmUsd: 0, hotUsd: 0 }, { cold: 0.5, warm: 0.5, hot: 0 }).coldToWarmUsd).toBe(500);
  });

  it('flags a low warm balance below the threshold (the guide: < $5,000)', () => {
    expect(isLowBalance(4_999.99, 5_000)).toBe(true);
    expect(isLowBalance(5_000, 5_000)).toBe(false);
    expect(isLowBalance(0, 0)).toBe(false);
    expect(isLowBalance(Number.NaN, 5_000)).toBe(true);
  });
});
