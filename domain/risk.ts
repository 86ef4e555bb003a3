/**
 * The risk engine: the guide's limits (section 5, Risk Metrics) as pure checks.
 * Portfolio checks decide whether the desk may keep trading at all; order
 * checks decide whether one intent may be placed. Time comes in as arguments.
 */
import type { MarketSnapshot, OrderIntent } from './market';
import { assetPrice, executionPrice, markPrice, symbolAssets, valuePortfolio } from './portfolio';
import type { ForeignOrderPolicy, UnknownOrderPolicy } from './reconciliation';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Everything is reported in USD; USDT stands in for it. */
const USD = 'USDT';

/**
 * The desk's risk limits, as a session carries them. config/schema.ts's `RiskConfig` parses
 * exactly this shape (bounds, and the seed's limits as defaults); tsc holds the two together.
 */
export interface RiskLimits {
  dailyLossLimitPct: number;
  maxDrawdownPct: number;
  maxConcentrationPct: number;
  maxLeverage: number;
  marginHealthBufferPct: number;
  lowBalanceUsd: number;
  maxOrderUsd: number;
  maxOrdersPerMinute: number;
  /** Open orders under the desk's ids that a session never intended (issue #12): cancelled, or adopted and managed. */
  unknownOrders: UnknownOrderPolicy;
  /** Orders without a desk id on a traded account: an intrusion ('unauthorized', a SEV-1) or manual trading ('allowed'). */
  foreignOrders: ForeignOrderPolicy;
}

export interface RiskState {
  /** UTC midnight (ISO) of the day the daily P&L is measured from. */
  dayStartedAt: string;
  dayStartValue: number;
  /** High-water mark for drawdown; never reset by the day roll. */
  peakValue: number;
  /** Epoch ms of orders placed in the last minute (older ones are pruned). */
  recentOrderTimes: number[];
}

export interface Marks {
  /** Signed: -5 means down 5% since the day started. */
  dailyPnlPct: number;
  /** Unsigned: 20 means 20% below the peak. */
  drawdownPct: number;
}

const utcDay = (ms: number) => Math.floor(ms / DAY_MS);
const midnightIso = (ms: number) => new Date(utcDay(ms) * DAY_MS).toISOString();

function assertValue(value: number): void {
  // A NaN here would silently disable every limit; fail loudly instead.
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`portfolio value must be a finite number >= 0, got ${value}`);
}

export function initialRiskState(value: number, nowMs: number): RiskState {
  assertValue(value);
  return { dayStartedAt: midnightIso(nowMs), dayStartValue: value, peakValue: value, recentOrderTimes: [] };
}

/**
 * Marks the portfolio at `value`. The day rolls at UTC midnight: the first mark
 * of a new day becomes its start value. A day that started at 0 (unfunded)
 * starts at the first non-zero mark instead, so funding is not a profit.
 * Deposits and withdrawals mid-day do show as P&L: the bot never moves funds,
 * so any such move is an operator's and should be followed by a reset.
 */
export function markToMarket(state: RiskState, value: number, nowMs: number): Marks & { state: RiskState } {
  assertValue(value);
  // An unreadable start day counts as a new day rather than never rolling.
  const rolled = !(utcDay(Date.parse(state.dayStartedAt)) >= utcDay(nowMs));
  let dayStartedAt = state.dayStartedAt;
  let dayStartValue = state.dayStartValue;
  if (rolled) {
    dayStartedAt = midnightIso(nowMs);
    dayStartValue = value;
  } else if (dayStartValue <= 0) {
    dayStartValue = value;
  }
  const peakValue = Math.max(state.peakValue, value);
  const next: RiskState = {
    dayStartedAt,
    dayStartValue,
    peakValue,
    recentOrderTimes: state.recentOrderTimes.filter((t) => t > nowMs - MINUTE_MS),
  };
  return {
    state: next,
    dailyPnlPct: dayStartValue > 0 ? ((value - dayStartValue) / dayStartValue) * 100 : 0,
    drawdownPct: peakValue > 0 ? ((peakValue - value) / peakValue) * 100 : 0,
  };
}

/** Remembers that an order was placed now, for the rate limit. */
export function recordOrder(state: RiskState, nowMs: number): RiskState {
  return { ...state, recentOrderTimes: [...state.recentOrderTimes.filter((t) => t > nowMs - MINUTE_MS), nowMs] };
}

/** Orders in the minute ending at `nowMs` (inclusive of now, exclusive of exactly one minute ago). */
export function ordersInLastMinute(state: RiskState, nowMs: number): number {
  return state.recentOrderTimes.filter((t) => t > nowMs - MINUTE_MS && t <= nowMs).length;
}

// ---- portfolio limits ---------------------------------------------------------

export type PortfolioRule = 'daily_loss' | 'max_drawdown' | 'leverage' | 'margin_health';

export interface RiskBreach {
  rule: PortfolioRule;
  value: number;
  limit: number;
  reason: string;
}

export type PortfolioLimits = Pick<RiskLimits, 'dailyLossLimitPct' | 'maxDrawdownPct' | 'maxLeverage' | 'marginHealthBufferPct'>;

/**
 * Every portfolio limit that is breached. Reaching a loss or drawdown limit is a
 * breach ("daily loss limit hit (-5%)"); leverage may equal its maximum; margin
 * health must stay at or above its buffer. Leverage and margin health are only
 * checked when known (spot accounts have neither).
 */
export function checkPortfolio(limits: PortfolioLimits, marks: Marks, leverage?: number, marginHealthPct?: number): RiskBreach[] {
  const breaches: RiskBreach[] = [];
  if (marks.dailyPnlPct <= -limits.dailyLossLimitPct) {
    breaches.push({
      rule: 'daily_loss',
      value: marks.dailyPnlPct,
      limit: -limits.dailyLossLimitPct,
      reason: `daily P&L ${marks.dailyPnlPct.toFixed(2)}% hit the daily loss limit of -${limits.dailyLossLimitPct}%`,
    });
  }
  if (marks.drawdownPct >= limits.maxDrawdownPct) {
    breaches.push({
      rule: 'max_drawdown',
      value: marks.drawdownPct,
      limit: limits.maxDrawdownPct,
      reason: `drawdown ${marks.drawdownPct.toFixed(2)}% from peak hit the max drawdown of ${limits.maxDrawdownPct}%`,
    });
  }
  if (leverage !== undefined && !(leverage <= limits.maxLeverage)) {
    breaches.push({
      rule: 'leverage',
      value: leverage,
      limit: limits.maxLeverage,
      reason: `leverage ${leverage.toFixed(2)}x exceeds the max leverage of ${limits.maxLeverage}x`,
    });
  }
  if (marginHealthPct !== undefined && !(marginHealthPct >= limits.marginHealthBufferPct)) {
    breaches.push({
      rule: 'margin_health',
      value: marginHealthPct,
      limit: limits.marginHealthBufferPct,
      reason: `margin health ${marginHealthPct.toFixed(2)}% is below the ${limits.marginHealthBufferPct}% buffer`,
    });
  }
  return breaches;
}

// ---- order checks -----------------------------------------------------------

export type OrderRule = 'invalid_order' | 'missing_price' | 'max_order_size' | 'order_rate' | 'insufficient_balance' | 'concentration';

export type OrderCheck = { ok: true } | { ok: false; rule: OrderRule; reason: string };

export type OrderLimits = Pick<RiskLimits, 'maxOrderUsd' | 'maxOrdersPerMinute' | 'maxConcentrationPct'>;

const refuse = (rule: OrderRule, reason: string): OrderCheck => ({ ok: false, rule, reason });
const num = (n: number) => String(Number(n.toPrecision(10)));

/**
 * Whether one order may be placed now. Checks, in order: a well-formed intent,
 * a price to value it, max order size (USD notional), order rate, free balance
 * (including the taker fee on buys), and the concentration the asset would
 * have after a buy fills (sells only reduce concentration).
 */
export function checkOrder(limits: OrderLimits, intent: OrderIntent, snapshot: MarketSnapshot, riskState: RiskState, nowMs: number): OrderCheck {
  if (!Number.isFinite(intent.amount) || intent.amount <= 0) return refuse('invalid_order', `order amount must be greater than 0, got ${intent.amount}`);
  if (intent.type === 'limit' && !(intent.price !== undefined && Number.isFinite(intent.price) && intent.price > 0)) {
    return refuse('invalid_order', `limit order on ${intent.symbol} has no valid price`);
  }

  // Without a market price the size and concentration cannot be judged: never trade blind.
  const quote = snapshot.quotes[intent.symbol];
  const mark = markPrice(quote);
  const price = executionPrice(intent, quote);
  if (mark === undefined || price === undefined) return refuse('missing_price', `no price for ${intent.symbol} in the snapshot`);
  const { base, quote: quoteCcy } = symbolAssets(snapshot, intent.symbol);
  const usdPerQuote = assetPrice(snapshot, quoteCcy, USD);
  if (usdPerQuote === undefined) return refuse('missing_price', `no ${quoteCcy}/${USD} price to value ${intent.symbol} in USD`);

  const notionalQuote = intent.amount * price;
  const notionalUsd = notionalQuote * usdPerQuote;
  if (notionalUsd > limits.maxOrderUsd) {
    return refuse('max_order_size', `order notional ${notionalUsd.toFixed(2)} USD exceeds max order size ${limits.maxOrderUsd} USD`);
  }

  const recent = ordersInLastMinute(riskState, nowMs);
  if (recent >= limits.maxOrdersPerMinute) {
    return refuse('order_rate', `order rate limit reached: ${recent} orders in the last minute, max ${limits.maxOrdersPerMinute} per minute`);
  }

  const fee = Number.isFinite(snapshot.takerFeeRate) && snapshot.takerFeeRate > 0 ? snapshot.takerFeeRate : 0;
  const freeOf = (asset: string) => snapshot.balances[asset]?.free ?? 0;
  if (intent.side === 'buy') {
    const need = notionalQuote * (1 + fee);
    const have = freeOf(quoteCcy);
    if (need > have) return refuse('insufficient_balance', `insufficient ${quoteCcy}: buy of ${num(intent.amount)} ${base} needs ${need.toFixed(2)} ${quoteCcy} with fees, free ${have.toFixed(2)}`);
  } else {
    const have = freeOf(base);
    if (intent.amount > have) return refuse('insufficient_balance', `insufficient ${base}: sell of ${num(intent.amount)} needs ${num(intent.amount)} free, have ${num(have)}`);
  }

  if (intent.side === 'buy') {
    const valuation = valuePortfolio(snapshot, USD);
    const baseUsd = mark * usdPerQuote;
    const baseHeld = snapshot.balances[base]?.total ?? 0;
    // An asset the valuation could not price is priced here from this very market.
    const total = valuation.total + (valuation.unpriced.includes(base) ? baseHeld * baseUsd : 0);
    const totalAfter = total - notionalUsd * (1 + fee) + intent.amount * baseUsd;
    const weightAfter = totalAfter > 0 ? (((baseHeld + intent.amount) * baseUsd) / totalAfter) * 100 : 100;
    if (weightAfter > limits.maxConcentrationPct) {
      return refuse(
        'concentration',
        `${base} would be ${weightAfter.toFixed(2)}% of the portfolio after this buy, above the ${limits.maxConcentrationPct}% concentration limit`,
      );
    }
  }
  return { ok: true };
}
