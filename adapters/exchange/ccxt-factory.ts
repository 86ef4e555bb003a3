import type { binance, bybit, okx, Exchange } from 'ccxt';
import { CCXT_TIMEOUT_MS } from '../../domain/order-timing';
import { VENUES } from './venues';

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
  /**
   * The venue's test environment (ccxt's sandbox mode): its testnet URLs (binance, bybit) or its demo
   * header (okx's x-simulated-trading). With a baseUrl the sandbox's URLs are re-pointed there, so the
   * simulator can stand in for a testnet and still see okx's header.
   */
  sandbox?: boolean;
}

/** Replaces scheme and host of every URL in ccxt's `urls.api` tree (including okx/bybit `{hostname}` templates). */
export function repoint(tree: unknown, baseUrl: string): unknown {
  if (typeof tree === 'string') return tree.replace(/^https?:\/\/[^/]+/, baseUrl);
  if (Array.isArray(tree)) return tree.map((t) => repoint(t, baseUrl));
  if (tree && typeof tree === 'object') return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, repoint(v, baseUrl)]));
  return tree;
}

/**
 * A ccxt client for the venue with its settings from venues/ (spot only, so loadMarkets() makes one
 * public call per venue and nothing else; and each venue's request window, domain/order-timing.ts).
 */
export function createCcxtExchange(id: 'binance', opts: CcxtFactoryOptions): binance;
export function createCcxtExchange(id: 'okx', opts: CcxtFactoryOptions): okx;
export function createCcxtExchange(id: 'bybit', opts: CcxtFactoryOptions): bybit;
export function createCcxtExchange(id: CcxtVenue, opts: CcxtFactoryOptions): Exchange;
export function createCcxtExchange(id: CcxtVenue, opts: CcxtFactoryOptions): Exchange {
  const spot = VENUES[id].ccxt;
  const creds = opts.credentials;
  const exchange: Exchange = new spot.class({
    enableRateLimit: opts.enableRateLimit,
    timeout: opts.timeoutMs ?? CCXT_TIMEOUT_MS,
    verbose: false, // verbose logging would print signed requests and auth headers
    options: spot.options,
    ...(spot.has ? { has: spot.has } : {}),
    ...(creds ? { apiKey: creds.apiKey, secret: creds.secret, ...(creds.passphrase !== undefined ? { password: creds.passphrase } : {}) } : {}),
  });
  // Before the re-pointing: sandbox mode swaps in the testnet URL tree.
  if (opts.sandbox) exchange.setSandboxMode(true);
  if (opts.baseUrl) {
    const base = opts.baseUrl.replace(/\/+$/, '');
    exchange.urls = { ...exchange.urls, api: repoint(exchange.urls.api, base) as Exchange['urls']['api'] };
  }
  return exchange;
}
