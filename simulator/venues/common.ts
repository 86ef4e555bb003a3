import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ExchangeCore, FeeSchedule } from '../exchange-core';
import type { Market } from '../market';
import { decimalsOf, fmt } from '../numbers';
import type { KeyPermissions, RegisteredKey, SymbolSpec, VenueId } from '../types';

export interface VenueRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The query string exactly as sent (signatures cover the raw text, not a re-encoding). */
  rawQuery: string;
  query: URLSearchParams;
  rawBody: string;
  headers: IncomingHttpHeaders;
  remoteIp: string;
}

export interface VenueResponse {
  status: number;
  body: unknown;
  /** Set on a successful order placement: the drop-response fault applies only to these. */
  orderPlaced?: boolean;
}

export interface VenueContext {
  core: ExchangeCore;
  market: Market;
  fees: FeeSchedule;
  /** Wall clock: signatures and order times use it; candles use the market's own simulated time. */
  now(): number;
}

export interface VenueDialect {
  venue: VenueId;
  handles(path: string): boolean;
  handle(req: VenueRequest, ctx: VenueContext): VenueResponse;
  /** True for a request that places an order (the order faults apply to these only). */
  placesOrder(req: VenueRequest): boolean;
  /** True for a lookup of one order by its client order id (held by `lookupLatencyMs`). */
  looksUpOrder(req: VenueRequest): boolean;
  /** The venue's checks on arrival (route, key, signature, window): its refusal, or undefined to go on. */
  admit(req: VenueRequest, ctx: VenueContext): VenueResponse | undefined;
  rateLimited(status: 429 | 418): VenueResponse;
  maintenance(): VenueResponse;
}

/** What an endpoint needs from the calling key; 'any' means any valid, unrevoked key (the permission endpoints). */
export type Need = keyof KeyPermissions | 'any';

export function hmacSha256(secret: string, payload: string, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', secret).update(payload).digest(encoding);
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export function ipAllowed(key: RegisteredKey, ip: string): boolean {
  if (key.ipWhitelist.length === 0) return true;
  const n = normalizeIp(ip);
  return key.ipWhitelist.some((w) => normalizeIp(w) === n);
}

export function allowed(key: RegisteredKey, need: Need): boolean {
  return need === 'any' || key.permissions[need];
}

export function priceText(spec: SymbolSpec, x: number): string {
  return fmt(x, decimalsOf(spec.tickSize));
}

export function qtyText(spec: SymbolSpec, x: number): string {
  return fmt(x, decimalsOf(spec.stepSize));
}

/** Parses a decimal parameter; undefined when absent, NaN when present but not a number. */
export function num(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
}

export const TIMEFRAME_MS: Record<string, number> = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
};

/** Venue symbol ids <-> unified symbols for the simulator's markets. */
export function symbolIndex(market: Market, toId: (symbol: string) => string): Map<string, SymbolSpec> {
  const out = new Map<string, SymbolSpec>();
  for (const s of market.symbols()) {
    const spec = market.spec(s);
    if (spec) out.set(toId(s), spec);
  }
  return out;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** What every venue's ticker is built from: the last price, the 24 h stats and the top of the book. */
export function tickerView(ctx: VenueContext, symbol: string) {
  const last = ctx.market.price(symbol);
  const book = ctx.market.book(symbol, 1);
  const [bid, bidQty] = book.bids[0] ?? [last, 0];
  const [ask, askQty] = book.asks[0] ?? [last, 0];
  return { last, stats: ctx.market.stats24h(symbol), bid, bidQty, ask, askQty };
}
