/**
 * The guide's 3-tier wallet (section 3): cold 80% (hardware, multisig), warm
 * 19% (exchange, trading capital), hot 1% (multisig, rare). These functions
 * only say what a human should do: the bot never moves funds between wallets,
 * it alerts and requests a manual cold -> warm transfer.
 */

export interface Tiers {
  cold: number;
  warm: number;
  hot: number;
}

export interface TierAmounts {
  coldUsd: number;
  warmUsd: number;
  hotUsd: number;
}

export const DEFAULT_TIERS: Readonly<Tiers> = { cold: 0.8, warm: 0.19, hot: 0.01 };

function assertTiers(tiers: Tiers): void {
  const parts = [tiers.cold, tiers.warm, tiers.hot];
  if (parts.some((p) => !Number.isFinite(p) || p < 0) || Math.abs(parts.reduce((s, p) => s + p, 0) - 1) > 1e-9) {
    throw new RangeError(`wallet tiers must be non-negative fractions summing to 1, got ${JSON.stringify(tiers)}`);
  }
}

/** Whole cents, so the three targets add up exactly to the total. */
const cents = (usd: number) => Math.round(usd * 100);

/** Target USD per tier for a total; hot takes the rounding remainder so the parts sum to the total. */
export function tierTargets(totalUsd: number, tiers: Tiers = DEFAULT_TIERS): TierAmounts {
  assertTiers(tiers);
  const total = Number.isFinite(totalUsd) && totalUsd > 0 ? cents(totalUsd) : 0;
  const cold = Math.round(total * tiers.cold);
  const warm = Math.round(total * tiers.warm);
  const hot = Math.max(0, total - cold - warm);
  return { coldUsd: cold / 100, warmUsd: warm / 100, hotUsd: hot / 100 };
}

export interface RebalanceNeed {
  /** USD the operator should move cold -> warm to restore the warm target; never negative, never more than cold holds. */
  coldToWarmUsd: number;
  warmTargetUsd: number;
  /**
   * USD the warm wallet holds above its target. Reported for the operator's
   * information only: moving funds back to cold is never suggested automatically.
   */
  warmSurplusUsd: number;
}

export function rebalanceNeed(balances: TierAmounts, tiers: Tiers = DEFAULT_TIERS): RebalanceNeed {
  const safe = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);
  const cold = safe(balances.coldUsd);
  const warm = safe(balances.warmUsd);
  const hot = safe(balances.hotUsd);
  const { warmUsd: warmTargetUsd } = tierTargets(cold + warm + hot, tiers);
  const gap = Math.max(0, cents(warmTargetUsd) - cents(warm));
  return {
    coldToWarmUsd: Math.min(gap, cents(cold)) / 100,
    warmTargetUsd,
    warmSurplusUsd: Math.max(0, cents(warm) - cents(warmTargetUsd)) / 100,
  };
}

/** The guide's trigger for a manual top-up ("< $5,000"). An unknown balance counts as low: better a false alert than none. */
export function isLowBalance(warmUsd: number, thresholdUsd: number): boolean {
  return !Number.isFinite(warmUsd) || warmUsd < thresholdUsd;
}
