/**
 * Valuation of one account in its quote currency (USDT, treated as USD), and
 * the step-rounding every order amount and price goes through.
 */
import type { MarketSnapshot, OrderIntent, Quote } from './market';

/** The desk values everything in USDT and treats it as USD. */
export const DEFAULT_QUOTE_CURRENCY = 'USDT';

export interface AssetValue {
  asset: string;
  /** Total balance (free + used): funds locked in open orders are still ours. */
  amount: number;
  /** Mark price in the quote currency; 1 for the quote currency itself. */
  price: number;
  value: number;
  /** Fraction of the priced total, 0..1. */
  weight: number;
}

export interface Valuation {
  quoteCurrency: string;
  /** Sum of priced assets. Understated when `unpriced` is not empty. */
  total: number;
  /** Priced assets with a non-zero balance, sorted by asset. */
  assets: AssetValue[];
  /** Assets with a non-zero balance and no usable price, sorted. */
  unpriced: string[];
}

/** `BTC/USDT` or ccxt's `BTC/USDT:USDT` -> base BTC, quote USDT. */
export function splitSymbol(symbol: string): { base: string; quote: string } {
  const [pair = '', settle] = symbol.split(':');
  const [base = '', quote = settle ?? ''] = pair.split('/');
  return { base, quote };
}

/** Base and quote of a symbol, preferring the venue's own market rules. */
export function symbolAssets(snapshot: MarketSnapshot, symbol: string): { base: string; quote: string } {
  const rules = snapshot.markets[symbol];
  return rules ? { base: rules.base, quote: rules.quote } : splitSymbol(symbol);
}

const usable = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/**
 * Mark price: the mid when the book is sane, else the last trade, else none.
 * A crossed or one-sided book is not trusted for a mid.
 */
export function markPrice(quote: Quote | undefined): number | undefined {
  if (!quote) return undefined;
  if (usable(quote.bid) && usable(quote.ask) && quote.ask >= quote.bid) return (quote.bid + quote.ask) / 2;
  if (usable(quote.last)) return quote.last;
  return undefined;
}

/** Price of one unit of `asset` in the quote currency, or undefined when the snapshot has none. */
export function assetPrice(snapshot: MarketSnapshot, asset: string, quoteCurrency = DEFAULT_QUOTE_CURRENCY): number | undefined {
  if (asset === quoteCurrency) return 1;
  return markPrice(snapshot.quotes[`${asset}/${quoteCurrency}`]);
}

/** Values every non-zero balance; assets without a price are listed, never guessed. */
export function valuePortfolio(snapshot: MarketSnapshot, quoteCurrency = DEFAULT_QUOTE_CURRENCY): Valuation {
  const priced: Omit<AssetValue, 'weight'>[] = [];
  const unpriced: string[] = [];
  for (const asset of Object.keys(snapshot.balances).sort()) {
    const amount = snapshot.balances[asset]?.total ?? 0;
    if (!Number.isFinite(amount) || amount === 0) continue;
    const price = assetPrice(snapshot, asset, quoteCurrency);
    if (price === undefined) unpriced.push(asset);
    else priced.push({ asset, amount, price, value: amount * price });
  }
  const total = priced.reduce((sum, a) => sum + a.value, 0);
  return {
    quoteCurrency,
    total,
    assets: priced.map((a) => ({ ...a, weight: total > 0 ? a.value / total : 0 })),
    unpriced,
  };
}

export function portfolioValue(snapshot: MarketSnapshot, quoteCurrency = DEFAULT_QUOTE_CURRENCY): number {
  return valuePortfolio(snapshot, quoteCurrency).total;
}

/** Asset -> value in the quote currency, for priced non-zero balances. */
export function assetValues(snapshot: MarketSnapshot, quoteCurrency = DEFAULT_QUOTE_CURRENCY): Record<string, number> {
  return Object.fromEntries(valuePortfolio(snapshot, quoteCurrency).assets.map((a) => [a.asset, a.value]));
}

/** Asset -> weight (0..1) of the priced total. */
export function assetWeights(snapshot: MarketSnapshot, quoteCurrency = DEFAULT_QUOTE_CURRENCY): Record<string, number> {
  return Object.fromEntries(valuePortfolio(snapshot, quoteCurrency).assets.map((a) => [a.asset, a.weight]));
}

/**
 * The largest single-asset weight, excluding the quote currency (cash is not a
 * concentration risk). Undefined when nothing but cash is held.
 */
export function concentration(
  snapshot: MarketSnapshot,
  quoteCurrency = DEFAULT_QUOTE_CURRENCY,
): { asset: string; weight: number } | undefined {
  let top: { asset: string; weight: number } | undefined;
  for (const a of valuePortfolio(snapshot, quoteCurrency).assets) {
    if (a.asset === quoteCurrency) continue;
    if (!top || a.weight > top.weight) top = { asset: a.asset, weight: a.weight };
  }
  return top;
}

/**
 * The price an order would trade at: its limit price, or the far touch for a
 * market order (ask to buy, bid to sell), falling back to the last trade.
 */
export function executionPrice(intent: Pick<OrderIntent, 'side' | 'type' | 'price'>, quote: Quote | undefined): number | undefined {
  if (intent.type === 'limit') return usable(intent.price) ? intent.price : undefined;
  if (!quote) return undefined;
  const touch = intent.side === 'buy' ? quote.ask : quote.bid;
  if (usable(touch)) return touch;
  return usable(quote.last) ? quote.last : undefined;
}

/** amount x price in the symbol's quote currency; undefined when there is no price. */
export function notional(intent: Pick<OrderIntent, 'side' | 'type' | 'price' | 'amount'>, quote: Quote | undefined): number | undefined {
  const price = executionPrice(intent, quote);
  return price === undefined ? undefined : intent.amount * price;
}

// ---- step rounding --------------------------------------------------------
// Floats cannot hold 0.1, so `Math.floor(x / step) * step` yields 0.30000000000000004
// and worse. Instead count in integer multiples of the step's last decimal
// (e.g. satoshis for a 1e-8 step), round there, and divide by a power of ten
// once, which gives the double nearest to the intended decimal.

/** Decimal places in a step: 0.001 -> 3, 1e-8 -> 8, 5 -> 0. NaN when not a plain decimal. */
function stepDecimals(step: number): number {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/i.exec(String(step));
  if (!m) return Number.NaN;
  const fraction = m[2]?.length ?? 0;
  const exponent = m[3] ? Number(m[3]) : 0;
  return Math.max(0, fraction - exponent);
}

type Rounding = 'down' | 'up' | 'nearest';

function roundToStepWith(x: number, step: number, mode: Rounding): number {
  // No published step: nothing to round to.
  if (!Number.isFinite(x) || !Number.isFinite(step) || step <= 0) return x;
  const decimals = stepDecimals(step);
  const scale = 10 ** decimals;
  const scaled = x * scale;
  if (!(decimals <= 15) || Math.abs(scaled) > Number.MAX_SAFE_INTEGER) {
    // Beyond exact integer range: plain float rounding is the best we can do.
    const n = x / step;
    const k = mode === 'down' ? Math.trunc(n) : mode === 'up' ? Math.sign(n) * Math.ceil(Math.abs(n)) : Math.round(n);
    return k * step;
  }
  // Snap float noise (434.99999999999994 for 4.35 x 100 -> 435) before rounding,
  // so an exact multiple of the step is never rounded down a whole step. The
  // window is a few ulps: a result may exceed x by float noise, never by more.
  const nearest = Math.round(scaled);
  const units = Math.abs(scaled - nearest) <= Math.abs(scaled) * 4 * Number.EPSILON + 1e-9 ? nearest : scaled;
  const stepUnits = Math.round(step * scale);
  const whole = Math.trunc(units);
  const rem = whole % stepUnits; // sign of `whole`; exact for safe integers
  const base = whole - rem; // toward zero
  const sign = units < 0 ? -1 : 1;
  const hasFraction = units !== whole || rem !== 0;
  let result = base;
  if (mode === 'up' && hasFraction) result = base + sign * stepUnits;
  if (mode === 'nearest' && Math.abs(units - base) * 2 >= stepUnits) result = base + sign * stepUnits;
  return result / scale + 0; // `+ 0` turns -0 into 0
}

/** Largest multiple of `step` not above `x` (toward zero for negatives). Order amounts use this. */
export function roundDownToStep(x: number, step: number): number {
  return roundToStepWith(x, step, 'down');
}

/** Smallest multiple of `step` not below `x` (away from zero for negatives). */
export function roundUpToStep(x: number, step: number): number {
  return roundToStepWith(x, step, 'up');
}

/** Nearest multiple of `step`, halves away from zero. Grid prices use this. */
export function roundToStep(x: number, step: number): number {
  return roundToStepWith(x, step, 'nearest');
}
