import { binance, bybit, okx, type Exchange } from 'ccxt';

/** The venues Warden trades, spot only. */
export type CcxtVenue = 'binance' | 'okx' | 'bybit';

export interface CcxtCredentials {
  apiKey: string;
  secret: string;
  /** OKX only. */
  passphrase?: string;
}

export interface CcxtFactoryOptions {
  /** Re-points every REST URL of the venue here (the simulator in paper and tests); unset means the venue itself. */
  baseUrl?: string;
  credentials?: CcxtCredentials;
  enableRateLimit: boolean;
  timeoutMs?: number;
}

/**
 * Spot-only settings, so loadMarkets() makes one public call per venue and
 * nothing else: no futures/options market lists, no private currency lists
 * (binance sapi capital/config, okx asset/currencies, bybit asset/coin), no
 * margin pair lists.
 */
const SPOT_ONLY: Record<CcxtVenue, { options: Record<string, unknown>; has?: Record<string, boolean> }> = {
  binance: {
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  },
  okx: {
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] } },
    has: { fetchCurrencies: false },
  },
  bybit: {
    // Warden supports unified trading accounts only; saying so up front stops ccxt probing
    // user/query-api and account/info before the first private call.
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, enableUnifiedAccount: true, enableUnifiedMargin: false, unifiedMarginStatus: 6 },
    has: { fetchCurrencies: false },
  },
};

const CLASSES = { binance, okx, bybit } as const;

/** Replaces scheme and host of every URL in ccxt's `urls.api` tree (including okx/bybit `{hostname}` templates). */
function repoint(tree: unknown, baseUrl: string): unknown {
  if (typeof tree === 'string') return tree.replace(/^https?:\/\/[^/]+/, baseUrl);
  if (Array.isArray(tree)) return tree.map((t) => repoint(t, baseUrl));
  if (tree && typeof tree === 'object') return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, repoint(v, baseUrl)]));
  return tree;
}

export function createCcxtExchange(id: 'binance', opts: CcxtFactoryOptions): binance;
export function createCcxtExchange(id: 'okx', opts: CcxtFactoryOptions): okx;
export function createCcxtExchange(id: 'bybit', opts: CcxtFactoryOptions): bybit;
export function createCcxtExchange(id: CcxtVenue, opts: CcxtFactoryOptions): Exchange;
export function createCcxtExchange(id: CcxtVenue, opts: CcxtFactoryOptions): Exchange {
  const spot = SPOT_ONLY[id];
  const creds = opts.credentials;
  const exchange: Exchange = new CLASSES[id]({
    enableRateLimit: opts.enableRateLimit,
    timeout: opts.timeoutMs ?? 10_000,
    verbose: false, // verbose logging would print signed requests and auth headers
    options: spot.options,
    ...(spot.has ? { has: spot.has } : {}),
    ...(creds ? { apiKey: creds.apiKey, secret: creds.secret, ...(creds.passphrase !== undefined ? { password: creds.passphrase } : {}) } : {}),
  });
  if (opts.baseUrl) {
    const base = opts.baseUrl.replace(/\/+$/, '');
    exchange.urls = { ...exchange.urls, api: repoint(exchange.urls.api, base) as Exchange['urls']['api'] };
  }
  return exchange;
}
