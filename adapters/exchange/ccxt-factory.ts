import { binance, bybit, okx, type Exchange } from 'ccxt';
import { CCXT_TIMEOUT_MS, REQUEST_WINDOW_MS } from '../../domain/order-timing';

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
  /** ccxt's per-request timeout; default CCXT_TIMEOUT_MS, which outlasts every venue's request window. */
  timeoutMs?: number;
}

/**
 * Spot-only settings, so loadMarkets() makes one public call per venue and
 * nothing else: no futures/options market lists, no private currency lists
 * (binance sapi capital/config, okx asset/currencies, bybit asset/coin), no
 * margin pair lists. And each venue's request window (domain/order-timing.ts).
 */
const SPOT_ONLY: Record<CcxtVenue, { options: Record<string, unknown>; has?: Record<string, boolean> }> = {
  binance: {
    // recvWindow: how long binance accepts a signed request after its timestamp (ccxt's own default is 10 s).
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false, recvWindow: REQUEST_WINDOW_MS.binance },
  },
  okx: {
    // recvWindow: read by OkxWithExpiry below (ccxt's okx has no such option).
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, recvWindow: REQUEST_WINDOW_MS.okx },
    has: { fetchCurrencies: false },
  },
  bybit: {
    // Warden supports unified trading accounts only; saying so up front stops ccxt probing
    // user/query-api and account/info before the first private call.
    // recvWindow is sent as X-BAPI-RECV-WINDOW on every signed request.
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, enableUnifiedAccount: true, enableUnifiedMargin: false, unifiedMarginStatus: 6, recvWindow: REQUEST_WINDOW_MS.bybit },
    has: { fetchCurrencies: false },
  },
};

/**
 * okx accepts a signed request for 30 s after OK-ACCESS-TIMESTAMP unless an `expTime`
 * header (absolute epoch ms) says otherwise, and ccxt 4.5 never sends one: its okx.sign
 * builds the private headers itself and takes none from the caller. So every signed trade
 * request gets one here: the timestamp it was signed with plus `options.recvWindow`, the
 * option binance and bybit read for the same purpose. expTime is not part of the signature.
 */
class OkxWithExpiry extends okx {
  override sign(path: string, api: unknown = 'public', method = 'GET', params: Record<string, unknown> = {}, headers?: Record<string, unknown>, body?: string): Record<string, unknown> {
    const signed = super.sign(path, api, method, params, headers, body) as { headers?: Record<string, unknown> } & Record<string, unknown>;
    const stamp = signed.headers?.['OK-ACCESS-TIMESTAMP'];
    const window = this.options['recvWindow'];
    if (api === 'private' && path.startsWith('trade/') && typeof stamp === 'string' && typeof window === 'number') {
      signed.headers = { ...signed.headers, expTime: String(Date.parse(stamp) + window) };
    }
    return signed;
  }
}

const CLASSES = { binance, okx: OkxWithExpiry, bybit } as const;

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
    timeout: opts.timeoutMs ?? CCXT_TIMEOUT_MS,
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
