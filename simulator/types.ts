/** Shared vocabulary of the simulator: venues, keys, markets, orders. */

export const VENUES = ['binance', 'okx', 'bybit'] as const;
export type VenueId = (typeof VENUES)[number];

export interface KeyPermissions {
  read: boolean;
  trade: boolean;
  withdraw: boolean;
  transfer: boolean;
}

export interface ApiKeySpec {
  venue: VenueId;
  /** Keys sharing an account see the same balances and orders (e.g. a trading key and a monitoring key). */
  account: string;
  apiKey: string;
  secret: string;
  /** OKX only. */
  passphrase?: string;
  permissions: KeyPermissions;
  /** Empty means "any IP", as on the venues. */
  ipWhitelist: string[];
  label?: string;
  /** OKX only: a demo-trading key, valid only with demo trading's `x-simulated-trading: 1` header (and a live key only without it). */
  demo?: boolean;
}

export interface RegisteredKey extends ApiKeySpec {
  revoked: boolean;
  createdAt: number;
}

/** A key as the admin API shows it: never the secret or passphrase. */
export type PublicKeyView = Omit<RegisteredKey, 'secret' | 'passphrase'>;

export interface SymbolSpec {
  symbol: string;
  /** Starting price of the random walk. */
  price: number;
  tickSize: number;
  stepSize: number;
  minQty: number;
  minNotional: number;
  /** Standard deviation of the log return per tick. */
  volatility: number;
  /** Size of the best level of the synthetic book; deeper levels grow from it. */
  bookLevelSize: number;
}

export type OrderSide = 'buy' | 'sell';
export type OrderKind = 'limit' | 'market';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
/** "expired": an IOC/market remainder the book could not fill. */
export type OrderStatus = 'open' | 'filled' | 'canceled' | 'expired';

export interface Fill {
  tradeId: number;
  price: number;
  qty: number;
  fee: number;
  feeAsset: string;
  liquidity: 'maker' | 'taker';
  time: number;
}

export interface SimOrder {
  venue: VenueId;
  account: string;
  /** The key that placed it. */
  apiKey: string;
  id: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderKind;
  timeInForce: TimeInForce;
  postOnly: boolean;
  price?: number;
  /** Base quantity asked for; for a market order sized in quote, the quantity it ended up buying/selling. */
  amount: number;
  /** Quote amount asked for by a market order sized in quote (binance quoteOrderQty, okx tgtCcy, bybit marketUnit). */
  quoteAmount?: number;
  filled: number;
  /** Quote value filled so far. */
  cost: number;
  fee: number;
  feeAsset: string;
  status: OrderStatus;
  createdAt: number;
  updatedAt: number;
  fills: Fill[];
}

export interface Candle {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface BalanceView {
  total: number;
  used: number;
  free: number;
}
