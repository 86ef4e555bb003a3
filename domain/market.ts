/**
 * Shared market types: the one picture of an exchange account that strategies
 * and the risk engine reason about. Built by an activity from the gateway and
 * handed to workflows, so everything here is plain serialisable data.
 */

/** Venues Warden trades on; each has its own wire format in the simulator and gateway. */
export const EXCHANGE_IDS = ['binance', 'okx', 'bybit'] as const;
/** A venue's id, as the config (config/schema.ts builds its `ExchangeId` schema on the list above) and the workflows name it. */
export type ExchangeId = (typeof EXCHANGE_IDS)[number];

/** A venue Warden trades on (the config's exchange id). */
export type Venue = ExchangeId;

export type Side = 'buy' | 'sell';
export type OrderType = 'limit' | 'market';

/** Trading rules of one market, as the venue publishes them. A step of 0 means "not published". */
export interface MarketRules {
  /** e.g. `BTC/USDT` */
  symbol: string;
  base: string;
  quote: string;
  /** Order amounts must be a multiple of this (base units). */
  amountStep: number;
  /** Limit prices must be a multiple of this (quote units). */
  priceStep: number;
  /** Smallest amount the venue accepts (base units). */
  minAmount: number;
  /** Smallest amount x price the venue accepts (quote units). */
  minNotional: number;
}

/** Top of book and last trade; any of them may be 0 when the venue has none. */
export interface Quote {
  bid: number;
  ask: number;
  last: number;
}

/** One asset's balance; `used` is locked in open orders. */
export interface Balance {
  free: number;
  used: number;
  total: number;
}

export interface OpenOrder {
  id: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  price?: number;
  amount: number;
  filled: number;
  status: 'open' | 'closed' | 'canceled';
}

export interface MarketSnapshot {
  exchange: Venue;
  account: string;
  /** When the snapshot was taken (ISO 8601); workflows never read the clock themselves. */
  at: string;
  /** Keyed by symbol, e.g. `BTC/USDT`. */
  quotes: Record<string, Quote>;
  /** Keyed by asset, e.g. `BTC`, `USDT`. */
  balances: Record<string, Balance>;
  openOrders: OpenOrder[];
  /** Keyed by symbol. */
  markets: Record<string, MarketRules>;
  /** Fraction, e.g. 0.001 for 0.1%. */
  takerFeeRate: number;
  /** Which worker built the snapshot (for failover forensics). */
  worker?: string;
}

/** What a strategy wants to happen; the risk engine decides whether it may. */
export interface OrderIntent {
  symbol: string;
  side: Side;
  type: OrderType;
  /** Base units, already rounded to the market's amount step. */
  amount: number;
  /** Required for limit orders. */
  price?: number;
  /** Why the strategy wants it, for the audit log. */
  reason: string;
}
