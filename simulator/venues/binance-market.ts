import type { PublicTrade } from '../exchange-core';
import { fmt } from '../numbers';
import type { RegisteredKey, SymbolSpec } from '../types';
import { type Need, num, symbolIndex, tickerView, TIMEFRAME_MS, type VenueContext, type VenueRequest, type VenueResponse } from './common';

/**
 * Binance's wire vocabulary (a call, a route, its answers), shared with binance.ts, and the public
 * market-data routes: spot, and the futures and options market lists a spot-only venue answers
 * empty (ccxt's default loadMarkets asks for them).
 */

export interface Call {
  req: VenueRequest;
  params: URLSearchParams;
  ctx: VenueContext;
  key?: RegisteredKey;
}

export interface Route {
  /** undefined: public endpoint. */
  need?: Need;
  /** MARKET_DATA endpoints: a known key in X-MBX-APIKEY, no timestamp or signature. */
  keyOnly?: true;
  run(call: Call): VenueResponse;
}

export const ok = (body: unknown): VenueResponse => ({ status: 200, body });
export const fail = (status: number, code: number, msg: string): VenueResponse => ({ status, body: { code, msg } });
export const missing = (name: string) => fail(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
export const d8 = (x: number) => fmt(x, 8);
export const marketId = (symbol: string) => symbol.replace('/', '');
export const isResponse = (x: unknown): x is VenueResponse => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

export function specOf(call: Call, required: boolean): SymbolSpec | VenueResponse | undefined {
  const id = call.params.get('symbol');
  if (!id) return required ? missing('symbol') : undefined;
  return symbolIndex(call.ctx.market, marketId).get(id) ?? fail(400, -1121, 'Invalid symbol.');
}

/** `limit` within binance's range (most list endpoints: default 500, at most 1000). */
export function limitOf(params: URLSearchParams, fallback = 500, max = 1000): number {
  return Math.min(num(params.get('limit')) ?? fallback, max);
}

/**
 * A newest-last list as binance pages it: from `fromId` on, else within startTime/endTime (both
 * inclusive), oldest first; with neither, the most recent `limit`.
 */
export function page<T extends { id: number; time: number }>(rows: T[], params: URLSearchParams): T[] {
  const limit = limitOf(params);
  const fromId = num(params.get('fromId'));
  const start = num(params.get('startTime'));
  const end = num(params.get('endTime'));
  if (fromId !== undefined) return rows.filter((r) => r.id >= fromId).slice(0, limit);
  if (start !== undefined || end !== undefined) {
    return rows.filter((r) => (start === undefined || r.time >= start) && (end === undefined || r.time <= end)).slice(0, limit);
  }
  return rows.slice(-limit);
}

function ticker(ctx: VenueContext, spec: SymbolSpec) {
  const { last, stats: s, bid, bidQty, ask, askQty } = tickerView(ctx, spec.symbol);
  return {
    symbol: marketId(spec.symbol),
    priceChange: d8(last - s.open),
    priceChangePercent: fmt(((last - s.open) / s.open) * 100, 3),
    weightedAvgPrice: d8(s.volume > 0 ? s.quoteVolume / s.volume : last),
    prevClosePrice: d8(s.open),
    lastPrice: d8(last),
    lastQty: d8(spec.minQty),
    bidPrice: d8(bid),
    bidQty: d8(bidQty),
    askPrice: d8(ask),
    askQty: d8(askQty),
    openPrice: d8(s.open),
    highPrice: d8(s.high),
    lowPrice: d8(s.low),
    volume: d8(s.volume),
    quoteVolume: d8(s.quoteVolume),
    openTime: s.openTime,
    closeTime: ctx.now(),
    firstId: 0,
    lastId: 0,
    count: 0,
  };
}

function marketJson(spec: SymbolSpec) {
  const [base, quote] = spec.symbol.split('/');
  return {
    symbol: marketId(spec.symbol),
    status: 'TRADING',
    baseAsset: base,
    baseAssetPrecision: 8,
    quoteAsset: quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
    icebergAllowed: false,
    ocoAllowed: false,
    otoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: false,
    cancelReplaceAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: d8(spec.tickSize), maxPrice: d8(10_000_000), tickSize: d8(spec.tickSize) },
      { filterType: 'LOT_SIZE', minQty: d8(spec.minQty), maxQty: d8(900_000), stepSize: d8(spec.stepSize) },
      { filterType: 'NOTIONAL', minNotional: d8(spec.minNotional), applyMinToMarket: true, maxNotional: d8(90_000_000), applyMaxToMarket: false, avgPriceMins: 5 },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}

function parseSymbolList(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The symbol's public tape, or the venue's refusal. */
function tapeOf(call: Call): PublicTrade[] | VenueResponse {
  const spec = specOf(call, true);
  if (!spec || isResponse(spec)) return spec ?? missing('symbol');
  return call.ctx.core.publicTrades('binance', spec.symbol);
}

const rateLimit = (rateLimitType: string, interval: string, intervalNum: number, limit: number) => ({ rateLimitType, interval, intervalNum, limit });

export const MARKET_ROUTES: Record<string, Route> = {
  'GET /api/v3/ping': { run: () => ok({}) },
  'GET /api/v3/time': { run: ({ ctx }) => ok({ serverTime: ctx.now() }) },
  // 0 normal, 1 maintenance; a maintenance fault answers before any route, so a route only ever says normal.
  'GET /sapi/v1/system/status': { run: () => ok({ status: 0, msg: 'normal' }) },
  'GET /api/v3/exchangeInfo': {
    run: (call) => {
      const index = symbolIndex(call.ctx.market, marketId);
      const one = call.params.get('symbol');
      const many = call.params.get('symbols');
      let ids = [...index.keys()];
      if (one) ids = [one];
      else if (many) ids = parseSymbolList(many) ?? [];
      const specs = ids.map((id) => index.get(id));
      if (specs.some((s) => !s)) return fail(400, -1121, 'Invalid symbol.');
      return ok({
        timezone: 'UTC',
        serverTime: call.ctx.now(),
        rateLimits: [rateLimit('REQUEST_WEIGHT', 'MINUTE', 1, 6000), rateLimit('ORDERS', 'SECOND', 10, 100)],
        exchangeFilters: [],
        symbols: specs.flatMap((s) => (s ? [marketJson(s)] : [])),
      });
    },
  },
  // The simulator is a spot venue: its USD-M, COIN-M and options market lists are empty.
  'GET /fapi/v1/exchangeInfo': {
    run: ({ ctx }) =>
      ok({
        timezone: 'UTC',
        serverTime: ctx.now(),
        futuresType: 'U_MARGINED',
        rateLimits: [rateLimit('REQUEST_WEIGHT', 'MINUTE', 1, 2400), rateLimit('ORDERS', 'MINUTE', 1, 1200), rateLimit('ORDERS', 'SECOND', 10, 300)],
        exchangeFilters: [],
        assets: [],
        symbols: [],
      }),
  },
  'GET /dapi/v1/exchangeInfo': {
    run: ({ ctx }) =>
      ok({
        timezone: 'UTC',
        serverTime: ctx.now(),
        rateLimits: [rateLimit('REQUEST_WEIGHT', 'MINUTE', 1, 2400), rateLimit('ORDERS', 'MINUTE', 1, 1200)],
        exchangeFilters: [],
        symbols: [],
      }),
  },
  'GET /eapi/v1/exchangeInfo': {
    run: ({ ctx }) =>
      ok({
        timezone: 'UTC',
        serverTime: ctx.now(),
        optionContracts: [],
        optionAssets: [],
        optionSymbols: [],
        rateLimits: [rateLimit('REQUEST_WEIGHT', 'MINUTE', 1, 400), rateLimit('ORDERS', 'MINUTE', 1, 100), rateLimit('ORDERS', 'SECOND', 10, 30)],
      }),
  },
  'GET /api/v3/ticker/24hr': {
    run: (call) => {
      const index = symbolIndex(call.ctx.market, marketId);
      const one = call.params.get('symbol');
      if (one) {
        const spec = index.get(one);
        return spec ? ok(ticker(call.ctx, spec)) : fail(400, -1121, 'Invalid symbol.');
      }
      const many = call.params.get('symbols');
      const ids = many ? (parseSymbolList(many) ?? []) : [...index.keys()];
      const specs = ids.map((id) => index.get(id));
      if (specs.some((s) => !s)) return fail(400, -1121, 'Invalid symbol.');
      return ok(specs.flatMap((s) => (s ? [ticker(call.ctx, s)] : [])));
    },
  },
  'GET /api/v3/depth': {
    run: (call) => {
      const spec = specOf(call, true);
      if (!spec || isResponse(spec)) return spec ?? missing('symbol');
      const limit = limitOf(call.params, 100, 5000);
      const book = call.ctx.market.book(spec.symbol, limit);
      const rows = (levels: Array<[number, number]>) => levels.map(([p, q]) => [d8(p), d8(q)]);
      return ok({ lastUpdateId: call.ctx.market.now(), bids: rows(book.bids), asks: rows(book.asks) });
    },
  },
  'GET /api/v3/trades': {
    run: (call) => {
      const tape = tapeOf(call);
      if (isResponse(tape)) return tape;
      return ok(
        tape.slice(-limitOf(call.params)).map((t) => ({
          id: t.id,
          price: d8(t.price),
          qty: d8(t.qty),
          quoteQty: d8(t.price * t.qty),
          time: t.time,
          isBuyerMaker: t.side === 'sell',
          isBestMatch: true,
        })),
      );
    },
  },
  'GET /api/v3/aggTrades': {
    run: (call) => {
      const tape = tapeOf(call);
      if (isResponse(tape)) return tape;
      // The simulator prints each trade alone, so every aggregate holds exactly one trade.
      return ok(page(tape, call.params).map((t) => ({ a: t.id, p: d8(t.price), q: d8(t.qty), f: t.id, l: t.id, T: t.time, m: t.side === 'sell', M: true })));
    },
  },
  'GET /api/v3/klines': {
    run: (call) => {
      const spec = specOf(call, true);
      if (!spec || isResponse(spec)) return spec ?? missing('symbol');
      const interval = call.params.get('interval');
      if (!interval) return missing('interval');
      const tf = TIMEFRAME_MS[interval];
      if (!tf) return fail(400, -1120, 'Invalid interval.');
      const candles = call.ctx.market.candles(spec.symbol, tf, {
        since: num(call.params.get('startTime')),
        until: num(call.params.get('endTime')),
        limit: limitOf(call.params),
      });
      return ok(candles.map((c) => [c.ts, d8(c.open), d8(c.high), d8(c.low), d8(c.close), d8(c.volume), c.ts + tf - 1, d8(c.volume * c.close), 0, d8(0), d8(0), '0']));
    },
  },
};
