/**
 * Strategies: pure functions from a market snapshot (and their own small state)
 * to order intents. They run inside workflows, so no clock, no randomness, no
 * I/O; every intent still goes through the risk engine before it is placed.
 */
import { z } from 'zod';
import type { MarketRules, MarketSnapshot, OrderIntent, Quote } from './market';
import { markPrice, roundDownToStep, roundToStep, roundUpToStep } from './portfolio';

export interface Decision<State> {
  intents: OrderIntent[];
  state: State;
  /** Why something was not ordered (missing price, below minimum, no balance...), for logs and the status query. */
  notes: string[];
}

export interface Strategy<State, Params = unknown> {
  name: string;
  initialState(): State;
  decide(snapshot: MarketSnapshot, state: State, params: Params): Decision<State>;
}

// ---- params schemas (the config validates strategies with these) ------------

/** Bounds on amounts and prices (issue 13 item 7): a typo like 1e308 is refused at load. */
const MAX_NOTIONAL = 10_000_000;
const MAX_PRICE = 1_000_000_000;
const MAX_AMOUNT = 1_000_000_000;

const assetCode = z.string().regex(/^[A-Z0-9]{1,20}$/, { error: 'must be an asset code like BTC' });

export const TargetWeightParams = z
  .object({
    kind: z.literal('target-weight'),
    /** Weights are of the managed universe: this currency plus the target assets. */
    quoteCurrency: assetCode.default('USDT'),
    /** Asset -> weight 0..1; the rest stays in the quote currency. */
    targetWeights: z
      .record(assetCode, z.number().min(0, { error: 'must be at least 0' }).max(1, { error: 'must be at most 1' }))
      .refine((w) => Object.keys(w).length <= 50, { error: 'must name at most 50 assets' }),
    /** Absolute drift tolerated before trading, e.g. 0.05 = five percentage points. */
    band: z.number().gt(0, { error: 'must be greater than 0' }).lt(1, { error: 'must be less than 1' }).default(0.05),
    /** `limit` orders are priced at the touch: they fill like market orders but never walk the book. */
    orderType: z.enum(['limit', 'market']).default('limit'),
    /**
     * Largest single order, in the quote currency. Set it at or under the risk
     * engine's maxOrderUsd, or a large drift yields an order the risk engine
     * refuses every time; capped, the drift is closed over several decisions.
     */
    maxOrderNotional: z.number().positive({ error: 'must be greater than 0' }).max(MAX_NOTIONAL, { error: `must be at most ${MAX_NOTIONAL}` }).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const assets = Object.keys(p.targetWeights);
    if (assets.length === 0) ctx.addIssue({ code: 'custom', path: ['targetWeights'], message: 'must name at least one asset' });
    const sum = Object.values(p.targetWeights).reduce((s, w) => s + w, 0);
    if (sum > 1 + 1e-9) ctx.addIssue({ code: 'custom', path: ['targetWeights'], message: `weights sum to ${sum}, must be at most 1` });
    if (assets.includes(p.quoteCurrency)) {
      ctx.addIssue({ code: 'custom', path: ['targetWeights', p.quoteCurrency], message: 'the quote currency holds the remainder and takes no weight' });
    }
  });
export type TargetWeightParams = z.infer<typeof TargetWeightParams>;

export const GridParams = z
  .object({
    kind: z.literal('grid'),
    symbol: z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/, { error: 'must look like BTC/USDT' }),
    lower: z.number().positive({ error: 'must be greater than 0' }).max(MAX_PRICE, { error: `must be at most ${MAX_PRICE}` }),
    upper: z.number().positive({ error: 'must be greater than 0' }).max(MAX_PRICE, { error: `must be at most ${MAX_PRICE}` }),
    levels: z.number().int().min(2, { error: 'must be at least 2' }).max(200, { error: 'must be at most 200' }),
    /** Base amount per level. */
    orderAmount: z.number().positive({ error: 'must be greater than 0' }).max(MAX_AMOUNT, { error: `must be at most ${MAX_AMOUNT}` }),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.upper <= p.lower) ctx.addIssue({ code: 'custom', path: ['upper'], message: 'must be greater than lower' });
  });
export type GridParams = z.infer<typeof GridParams>;

export const StrategyConfig = z.discriminatedUnion('kind', [TargetWeightParams, GridParams]);
export type StrategyConfig = z.infer<typeof StrategyConfig>;
export type StrategyKind = StrategyConfig['kind'];

// ---- shared helpers ----------------------------------------------------------

function feeRate(snapshot: MarketSnapshot): number {
  const f = snapshot.takerFeeRate;
  return Number.isFinite(f) && f > 0 ? f : 0;
}

function free(snapshot: MarketSnapshot, asset: string): number {
  const f = snapshot.balances[asset]?.free ?? 0;
  return Number.isFinite(f) && f > 0 ? f : 0;
}

const fmt = (n: number) => String(Number(n.toPrecision(10)));
const pct = (w: number) => `${(w * 100).toFixed(1)}%`;

/** Why an amount cannot be ordered on this market, or undefined when it can. */
function belowMinimum(rules: MarketRules, amount: number, price: number): string | undefined {
  if (amount <= 0) return 'rounds to 0 at the amount step';
  if (amount < rules.minAmount) return `amount ${fmt(amount)} is below the minimum ${fmt(rules.minAmount)}`;
  if (amount * price < rules.minNotional) return `notional ${fmt(amount * price)} is below the minimum ${fmt(rules.minNotional)}`;
  return undefined;
}

// ---- target-weight rebalancer ---------------------------------------------

export interface TargetWeightState {
  kind: 'target-weight';
  /** Decisions that produced at least one order. */
  rebalances: number;
  lastRebalanceAt?: string;
}

/** Price a rebalancing order trades at: the touch (ask to buy, bid to sell), else the mark. */
function touch(quote: Quote | undefined, side: 'buy' | 'sell', mark: number): number {
  const p = side === 'buy' ? quote?.ask : quote?.bid;
  return p !== undefined && Number.isFinite(p) && p > 0 ? p : mark;
}

export const targetWeightStrategy: Strategy<TargetWeightState, TargetWeightParams> = {
  name: 'target-weight',
  initialState: () => ({ kind: 'target-weight', rebalances: 0 }),
  decide(snapshot, state, params) {
    const notes: string[] = [];
    const q = params.quoteCurrency;
    const assets = Object.keys(params.targetWeights).sort();

    // Weights are meaningless if any managed asset has no price: do nothing rather than guess.
    const marks = new Map<string, number>();
    const missing: string[] = [];
    for (const asset of assets) {
      const mark = markPrice(snapshot.quotes[`${asset}/${q}`]);
      if (mark === undefined) missing.push(asset);
      else marks.set(asset, mark);
    }
    if (missing.length > 0) return { intents: [], state, notes: [`no orders: no price for ${missing.join(', ')}`] };

    const held = (asset: string) => {
      const t = snapshot.balances[asset]?.total ?? 0;
      return Number.isFinite(t) && t > 0 ? t : 0;
    };
    // The managed universe: cash plus target assets. Other holdings are not ours to move.
    const total = held(q) + assets.reduce((s, a) => s + held(a) * (marks.get(a) ?? 0), 0);
    if (total <= 0) return { intents: [], state, notes: ['no orders: portfolio value is 0'] };

    const fee = feeRate(snapshot);
    const sells: OrderIntent[] = [];
    const buys: OrderIntent[] = [];
    let freeQuote = free(snapshot, q);

    for (const asset of assets) {
      const symbol = `${asset}/${q}`;
      const mark = marks.get(asset) ?? 0;
      const target = params.targetWeights[asset] ?? 0;
      const weight = (held(asset) * mark) / total;
      if (Math.abs(weight - target) <= params.band) continue;

      const rules = snapshot.markets[symbol];
      if (!rules) {
        notes.push(`${symbol}: no market rules, cannot size an order`);
        continue;
      }
      // A resting order from the last decision would be doubled; wait for it to fill or be cancelled.
      if (snapshot.openOrders.some((o) => o.symbol === symbol && o.status === 'open')) {
        notes.push(`${symbol}: open order pending, not rebalancing`);
        continue;
      }
      const side = weight > target ? 'sell' : 'buy';
      const quote = snapshot.quotes[symbol];
      // Round the touch outward so a limit order stays marketable.
      const rawPrice = touch(quote, side, mark);
      const price = side === 'buy' ? roundUpToStep(rawPrice, rules.priceStep) : roundDownToStep(rawPrice, rules.priceStep);
      const gapValue = Math.min(Math.abs(weight - target) * total, params.maxOrderNotional ?? Number.POSITIVE_INFINITY);
      const reason = `rebalance ${asset}: weight ${pct(weight)} vs target ${pct(target)} ± ${pct(params.band)}`;

      let amount: number;
      if (side === 'sell') {
        // Sized at the mark; the bid it sells at is no higher, so the notional stays within the gap.
        amount = roundDownToStep(Math.min(gapValue / mark, free(snapshot, asset)), rules.amountStep);
      } else {
        // Spend at most the gap and at most the free cash, both including the taker fee.
        const unitCost = price * (1 + fee);
        amount = roundDownToStep(Math.min(gapValue, freeQuote) / unitCost, rules.amountStep);
      }
      const tooSmall = belowMinimum(rules, amount, price);
      if (tooSmall) {
        notes.push(`${symbol}: ${side} skipped, ${tooSmall}${side === 'buy' && freeQuote < gapValue ? ` (free ${q} ${fmt(freeQuote)})` : ''}`);
        continue;
      }
      const intent: OrderIntent =
        params.orderType === 'limit'
          ? { symbol, side, type: 'limit', amount, price, reason }
          : { symbol, side, type: 'market', amount, reason };
      if (side === 'sell') sells.push(intent);
      else {
        freeQuote -= amount * price * (1 + fee);
        buys.push(intent);
      }
    }

    // Sells first: they are the ones that free up cash.
    const intents = [...sells, ...buys];
    const next: TargetWeightState =
      intents.length > 0 ? { ...state, rebalances: state.rebalances + 1, lastRebalanceAt: snapshot.at } : state;
    return { intents, state: next, notes };
  },
};

// ---- grid -----------------------------------------------------------------

export interface GridState {
  kind: 'grid';
  /** Grid orders proposed so far. */
  placed: number;
  /** Mark price at the last decision. */
  lastPrice?: number;
}

/** The grid's prices, rounded to the price step, ascending, without duplicates. */
export function gridLevels(params: Pick<GridParams, 'lower' | 'upper' | 'levels'>, priceStep: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < params.levels; i++) {
    const raw = params.lower + ((params.upper - params.lower) * i) / (params.levels - 1);
    const p = roundToStep(raw, priceStep);
    if (p > 0 && !out.includes(p)) out.push(p);
  }
  return out.sort((a, b) => a - b);
}

export const gridStrategy: Strategy<GridState, GridParams> = {
  name: 'grid',
  initialState: () => ({ kind: 'grid', placed: 0 }),
  decide(snapshot, state, params) {
    const notes: string[] = [];
    const { symbol } = params;
    const rules = snapshot.markets[symbol];
    if (!rules) return { intents: [], state, notes: [`no orders: no market rules for ${symbol}`] };
    const mark = markPrice(snapshot.quotes[symbol]);
    if (mark === undefined) return { intents: [], state, notes: [`no orders: no price for ${symbol}`] };

    const amount = roundDownToStep(params.orderAmount, rules.amountStep);
    const levels = gridLevels(params, rules.priceStep);
    // Two prices are the same level when they round to the same step.
    const tolerance = rules.priceStep > 0 ? rules.priceStep / 2 : Math.max(mark * 1e-9, Number.EPSILON);
    const same = (a: number, b: number) => Math.abs(a - b) < tolerance;
    // Only live orders hold a level; a closed (filled) or cancelled one frees it to be replaced.
    const live = snapshot.openOrders.filter((o) => o.symbol === symbol && o.status === 'open' && o.price !== undefined);
    const held = (level: number) => live.some((o) => o.price !== undefined && same(o.price, level));

    const fee = feeRate(snapshot);
    let freeQuote = free(snapshot, rules.quote);
    let freeBase = free(snapshot, rules.base);
    const intents: OrderIntent[] = [];

    // Nearest levels first: they are the ones the price reaches next.
    const buys = levels.filter((l) => l < mark && !same(l, mark)).sort((a, b) => b - a);
    const sells = levels.filter((l) => l > mark && !same(l, mark)).sort((a, b) => a - b);

    for (const level of buys) {
      if (held(level)) continue;
      const tooSmall = belowMinimum(rules, amount, level);
      if (tooSmall) {
        notes.push(`buy at ${fmt(level)} skipped: ${tooSmall}`);
        continue;
      }
      const cost = amount * level * (1 + fee);
      if (cost > freeQuote) {
        notes.push(`buy at ${fmt(level)} and below skipped: needs ${fmt(cost)} ${rules.quote}, free ${fmt(freeQuote)}`);
        break;
      }
      freeQuote -= cost;
      intents.push({ symbol, side: 'buy', type: 'limit', amount, price: level, reason: `grid buy level ${fmt(level)} (mark ${fmt(mark)})` });
    }
    for (const level of sells) {
      if (held(level)) continue;
      const tooSmall = belowMinimum(rules, amount, level);
      if (tooSmall) {
        notes.push(`sell at ${fmt(level)} skipped: ${tooSmall}`);
        continue;
      }
      if (amount > freeBase) {
        notes.push(`sell at ${fmt(level)} and above skipped: needs ${fmt(amount)} ${rules.base}, free ${fmt(freeBase)}`);
        break;
      }
      freeBase -= amount;
      intents.push({ symbol, side: 'sell', type: 'limit', amount, price: level, reason: `grid sell level ${fmt(level)} (mark ${fmt(mark)})` });
    }

    return { intents, state: { ...state, placed: state.placed + intents.length, lastPrice: mark }, notes };
  },
};

// ---- registry ---------------------------------------------------------------

export type StrategyState = TargetWeightState | GridState;

export interface StrategyRegistry {
  'target-weight': Strategy<TargetWeightState, TargetWeightParams>;
  grid: Strategy<GridState, GridParams>;
}

/** Every strategy by its config `kind`. */
export const strategies: StrategyRegistry = {
  'target-weight': targetWeightStrategy,
  grid: gridStrategy,
};

/**
 * Runs the configured strategy. A missing state, or one left by a different
 * kind of strategy (the config changed), starts from the initial state.
 */
export function runStrategy(config: StrategyConfig, snapshot: MarketSnapshot, state?: StrategyState): Decision<StrategyState> {
  switch (config.kind) {
    case 'target-weight':
      return targetWeightStrategy.decide(snapshot, state?.kind === 'target-weight' ? state : targetWeightStrategy.initialState(), config);
    case 'grid':
      return gridStrategy.decide(snapshot, state?.kind === 'grid' ? state : gridStrategy.initialState(), config);
  }
}
