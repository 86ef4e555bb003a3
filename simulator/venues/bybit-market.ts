import { plain } from '../numbers';
import type { RegisteredKey, SymbolSpec } from '../types';
import { type Need, num, priceText, qtyText, symbolIndex, tickerView, type VenueContext, type VenueRequest, type VenueResponse } from './common';

/**
 * Bybit v5 public market data (no key), and the request/answer helpers the signed routes in
 * bybit.ts share. The simulator is a spot venue: the other categories answer empty lists.
 */

export interface Call {
  req: VenueRequest;
  ctx: VenueContext;
  /** Query for GET, JSON body for POST, as one lookup. */
  args: Record<string, unknown>;
  key?: RegisteredKey;
}

export interface Route {
  need?: Need;
  run(call: Call): VenueResponse;
}

export const answer = (ctx: VenueContext, status: number, retCode: number, retMsg: string, result: unknown = {}): VenueResponse => ({
  status,
  body: { retCode, retMsg, result, retExtInfo: {}, time: ctx.now() },
});
export const ok = (ctx: VenueContext, result: unknown) => answer(ctx, 200, 0, 'OK', result);
export const marketId = (symbol: string) => symbol.replace('/', '');
export const arg = (call: Call, k: string): string | undefined => {
  const v = call.args[k];
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
};

const CATEGORIES = ['spot', 'linear', 'inverse', 'option'];

/**
 * The category asked for, or the venue's refusal of a missing or unknown one. Reads of another real
 * category answer an empty list, as the venue does for an account or market with nothing there.
 */
export function categoryOf(call: Call): string | VenueResponse {
  const category = arg(call, 'category');
  if (!category) return answer(call.ctx, 200, 10001, 'params error: category is required');
  if (!CATEGORIES.includes(category)) return answer(call.ctx, 200, 10001, `params error: category invalid (${category})`);
  return category;
}

/** For endpoints that act on one spot symbol: anything but spot is refused, as the venue lists no such market. */
export function spotOnly(call: Call): VenueResponse | undefined {
  const category = categoryOf(call);
  if (typeof category !== 'string') return category;
  if (category !== 'spot') return answer(call.ctx, 200, 10001, `params error: the simulator serves category spot only (got ${category})`);
  return undefined;
}

export function specOf(call: Call): SymbolSpec | undefined {
  const id = arg(call, 'symbol');
  return id ? symbolIndex(call.ctx.market, marketId).get(id) : undefined;
}

/** A page size within the endpoint's bounds, or undefined when it is out of them (the venue refuses those). */
export function limitOf(call: Call, fallback: number, max: number): number | undefined {
  const limit = num(arg(call, 'limit')) ?? fallback;
  return Number.isInteger(limit) && limit >= 1 && limit <= max ? limit : undefined;
}

function ticker(ctx: VenueContext, spec: SymbolSpec) {
  const { last, stats: s, bid, bidQty: bidSz, ask, askQty: askSz } = tickerView(ctx, spec.symbol);
  return {
    symbol: marketId(spec.symbol),
    bid1Price: priceText(spec, bid),
    bid1Size: qtyText(spec, bidSz),
    ask1Price: priceText(spec, ask),
    ask1Size: qtyText(spec, askSz),
    lastPrice: priceText(spec, last),
    prevPrice24h: priceText(spec, s.open),
    price24hPcnt: plain(Number(((last - s.open) / s.open).toFixed(4))),
    highPrice24h: priceText(spec, s.high),
    lowPrice24h: priceText(spec, s.low),
    turnover24h: plain(s.quoteVolume),
    volume24h: plain(s.volume),
    usdIndexPrice: priceText(spec, last),
  };
}

/** Every rule the matching engine enforces is published here: lot step, minimum quantity and value, tick. */
function instrument(spec: SymbolSpec) {
  const [base, quote] = spec.symbol.split('/');
  return {
    symbol: marketId(spec.symbol),
    baseCoin: base,
    quoteCoin: quote,
    innovation: '0',
    status: 'Trading',
    marginTrading: 'none',
    stTag: '0',
    lotSizeFilter: {
      basePrecision: plain(spec.stepSize),
      quotePrecision: '0.00000001',
      minOrderQty: plain(spec.minQty),
      maxOrderQty: '100000',
      minOrderAmt: plain(spec.minNotional),
      maxOrderAmt: '2000000',
    },
    priceFilter: { tickSize: plain(spec.tickSize) },
    riskParameters: { priceLimitRatioX: '0.05', priceLimitRatioY: '0.05' },
  };
}

const INTERVALS: Record<string, number> = {
  '1': 60_000,
  '3': 180_000,
  '5': 300_000,
  '15': 900_000,
  '30': 1_800_000,
  '60': 3_600_000,
  '120': 7_200_000,
  '240': 14_400_000,
  '360': 21_600_000,
  '720': 43_200_000,
  D: 86_400_000,
};

export const MARKET_ROUTES: Record<string, Route> = {
  'GET /v5/market/time': {
    run: ({ ctx }) => ok(ctx, { timeSecond: String(Math.floor(ctx.now() / 1000)), timeNano: `${ctx.now()}000000` }),
  },
  // Bybit lists its maintenance windows here; the simulator schedules none (its maintenance fault answers every request with the 503 page instead).
  'GET /v5/system/status': { run: ({ ctx }) => ok(ctx, { list: [] }) },
  'GET /v5/market/instruments-info': {
    run: (call) => {
      const category = categoryOf(call);
      if (typeof category !== 'string') return category;
      const status = arg(call, 'status');
      // ccxt asks linear and inverse for PreLaunch markets too; every simulated market is Trading.
      if (category !== 'spot' || (status && status !== 'Trading')) return ok(call.ctx, { category, list: [], nextPageCursor: '' });
      const only = arg(call, 'symbol');
      const list = call.ctx.market.symbols().flatMap((s) => {
        const spec = call.ctx.market.spec(s);
        return spec && (!only || marketId(s) === only) ? [instrument(spec)] : [];
      });
      return ok(call.ctx, { category: 'spot', list, nextPageCursor: '' });
    },
  },
  'GET /v5/market/tickers': {
    run: (call) => {
      const category = categoryOf(call);
      if (typeof category !== 'string') return category;
      if (category !== 'spot') return ok(call.ctx, { category, list: [] });
      const only = arg(call, 'symbol');
      const list = call.ctx.market.symbols().flatMap((s) => {
        const spec = call.ctx.market.spec(s);
        return spec && (!only || marketId(s) === only) ? [ticker(call.ctx, spec)] : [];
      });
      if (only && list.length === 0) return answer(call.ctx, 200, 10001, 'Not supported symbols');
      return ok(call.ctx, { category: 'spot', list });
    },
  },
  'GET /v5/market/orderbook': {
    run: (call) => {
      const bad = spotOnly(call);
      if (bad) return bad;
      const spec = specOf(call);
      if (!spec) return answer(call.ctx, 200, 10001, 'Not supported symbols');
      const book = call.ctx.market.book(spec.symbol, Math.min(num(arg(call, 'limit')) ?? 1, 200));
      const rows = (levels: Array<[number, number]>) => levels.map(([p, q]) => [priceText(spec, p), qtyText(spec, q)]);
      const now = call.ctx.now();
      return ok(call.ctx, { s: marketId(spec.symbol), a: rows(book.asks), b: rows(book.bids), ts: now, u: call.ctx.market.now(), seq: call.ctx.market.now(), cts: now });
    },
  },
  'GET /v5/market/recent-trade': {
    run: (call) => {
      const bad = spotOnly(call);
      if (bad) return bad;
      const spec = specOf(call);
      if (!spec) return answer(call.ctx, 200, 10001, 'Not supported symbols');
      // Spot serves 1 to 60 trades, 60 by default.
      const limit = limitOf(call, 60, 60);
      if (limit === undefined) return answer(call.ctx, 200, 10001, 'params error: limit invalid');
      const list = call.ctx.core
        .publicTrades('bybit', spec.symbol)
        .slice(-limit)
        .reverse()
        .map((t) => ({
          execId: String(t.id),
          symbol: marketId(t.symbol),
          price: priceText(spec, t.price),
          size: qtyText(spec, t.qty),
          side: t.side === 'buy' ? 'Buy' : 'Sell',
          time: String(t.time),
          isBlockTrade: false,
          isRPITrade: false,
        }));
      return ok(call.ctx, { category: 'spot', list });
    },
  },
  'GET /v5/market/kline': {
    run: (call) => {
      const spec = specOf(call);
      if (!spec) return answer(call.ctx, 200, 10001, 'Not supported symbols');
      const tf = INTERVALS[arg(call, 'interval') ?? ''];
      if (!tf) return answer(call.ctx, 200, 10001, 'params error: interval invalid');
      const candles = call.ctx.market.candles(spec.symbol, tf, {
        since: num(arg(call, 'start')),
        until: num(arg(call, 'end')),
        limit: Math.min(num(arg(call, 'limit')) ?? 200, 1000),
      });
      const list = [...candles]
        .reverse()
        .map((c) => [String(c.ts), priceText(spec, c.open), priceText(spec, c.high), priceText(spec, c.low), priceText(spec, c.close), plain(c.volume), plain(c.volume * c.close)]);
      return ok(call.ctx, { category: 'spot', symbol: marketId(spec.symbol), list });
    },
  },
};
