import { plain } from '../numbers';
import type { PublicTrade } from '../exchange-core';
import type { RegisteredKey, SymbolSpec } from '../types';
import { type Need, num, priceText, qtyText, symbolIndex, tickerView, type VenueContext, type VenueRequest, type VenueResponse } from './common';

/** OKX v5 public market data (no key), and the reply envelope every okx route answers in. */

export interface Call {
  req: VenueRequest;
  ctx: VenueContext;
  key?: RegisteredKey;
}

export interface Route {
  need?: Need;
  run(call: Call): VenueResponse;
}

export const ok = (data: unknown[]): VenueResponse => ({ status: 200, body: { code: '0', msg: '', data } });
export const fail = (status: number, code: string, msg: string): VenueResponse => ({ status, body: { code, msg, data: [] } });
export const instId = (symbol: string) => symbol.replace('/', '-');
export const noInstrument = (): VenueResponse => fail(200, '51001', 'Instrument ID does not exist.');
export const missing = (name: string): VenueResponse => fail(200, '50014', `Parameter ${name} can not be empty.`);

/** Every instType okx knows; the simulator lists spot pairs only, so the others answer an empty list. */
export const INST_TYPES = ['SPOT', 'MARGIN', 'SWAP', 'FUTURES', 'OPTION'] as const;
export const knownInstType = (t: string): boolean => (INST_TYPES as readonly string[]).includes(t);

export function specFor(ctx: VenueContext, id: string | null): SymbolSpec | undefined {
  return id ? symbolIndex(ctx.market, instId).get(id) : undefined;
}

/** A query's `limit`: the venue's default when absent, capped at its maximum. */
export function limitOf(req: VenueRequest, byDefault: number, max: number): number {
  const n = num(req.query.get('limit'));
  return n === undefined || Number.isNaN(n) || n <= 0 ? byDefault : Math.min(Math.floor(n), max);
}

function instrument(spec: SymbolSpec) {
  const [base, quote] = spec.symbol.split('/');
  return {
    instType: 'SPOT',
    instId: instId(spec.symbol),
    uly: '',
    instFamily: '',
    baseCcy: base,
    quoteCcy: quote,
    settleCcy: '',
    ctVal: '',
    ctMult: '',
    ctValCcy: '',
    optType: '',
    stk: '',
    listTime: '1606468572000',
    expTime: '',
    // Every rule the venue enforces on a spot order is here (no minimum value: okx publishes none).
    tickSz: plain(spec.tickSize),
    lotSz: plain(spec.stepSize),
    minSz: plain(spec.minQty),
    ctType: '',
    alias: '',
    state: 'live',
    // No margin trading: ccxt reads lever > 1 as a margin market.
    lever: '',
    maxLmtSz: '9999999999',
    maxMktSz: '1000000',
    maxLmtAmt: '20000000',
    maxMktAmt: '1000000',
    ruleType: 'normal',
  };
}

function instruments({ req, ctx }: Call): VenueResponse {
  const type = req.query.get('instType');
  if (!type) return missing('instType');
  if (!knownInstType(type)) return fail(200, '51000', 'Parameter instType error');
  // Options are listed per underlying: okx refuses the type without one (ccxt asks per uly).
  if (type === 'OPTION' && !req.query.get('uly') && !req.query.get('instFamily')) return missing('uly');
  if (type !== 'SPOT') return ok([]);
  const only = req.query.get('instId');
  return ok(
    ctx.market.symbols().flatMap((s) => {
      const spec = ctx.market.spec(s);
      return spec && (!only || instId(s) === only) ? [instrument(spec)] : [];
    }),
  );
}

function ticker(ctx: VenueContext, spec: SymbolSpec) {
  const { last, stats: s, bid, bidQty: bidSz, ask, askQty: askSz } = tickerView(ctx, spec.symbol);
  const print = ctx.core.publicTrades('okx', spec.symbol).at(-1);
  return {
    instType: 'SPOT',
    instId: instId(spec.symbol),
    last: priceText(spec, last),
    lastSz: qtyText(spec, print?.qty ?? spec.minQty),
    askPx: priceText(spec, ask),
    askSz: qtyText(spec, askSz),
    bidPx: priceText(spec, bid),
    bidSz: qtyText(spec, bidSz),
    open24h: priceText(spec, s.open),
    high24h: priceText(spec, s.high),
    low24h: priceText(spec, s.low),
    volCcy24h: plain(s.quoteVolume),
    vol24h: plain(s.volume),
    ts: String(ctx.now()),
    sodUtc0: priceText(spec, s.open),
    sodUtc8: priceText(spec, s.open),
  };
}

const BARS: Record<string, number> = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1H': 3_600_000,
  '2H': 7_200_000,
  '4H': 14_400_000,
  '6Hutc': 21_600_000,
  '12Hutc': 43_200_000,
  '1Dutc': 86_400_000,
};

function candles({ req, ctx }: Call): VenueResponse {
  const spec = specFor(ctx, req.query.get('instId'));
  if (!spec) return noInstrument();
  const bar = req.query.get('bar') ?? '1m';
  const tf = BARS[bar];
  if (!tf) return fail(200, '51000', 'Parameter bar error');
  const after = num(req.query.get('after')); // older than
  const before = num(req.query.get('before')); // newer than
  const limit = Math.min(num(req.query.get('limit')) ?? 100, 300);
  const rows = ctx.market
    .candles(spec.symbol, tf, { limit: 1_000_000 })
    .filter((c) => (after === undefined || c.ts < after) && (before === undefined || c.ts > before));
  const lastTs = ctx.market.candles(spec.symbol, tf, { limit: 1 })[0]?.ts;
  return ok(
    rows
      .slice(-limit)
      .reverse()
      .map((c) => {
        const quoteVolume = plain(c.volume * c.close);
        const px = (x: number) => priceText(spec, x);
        // The last field is "confirm": 0 while the candle is still forming.
        return [String(c.ts), px(c.open), px(c.high), px(c.low), px(c.close), plain(c.volume), quoteVolume, quoteVolume, c.ts === lastTs ? '0' : '1'];
      }),
  );
}

function book({ req, ctx }: Call): VenueResponse {
  const spec = specFor(ctx, req.query.get('instId'));
  if (!spec) return noInstrument();
  const sz = Math.min(num(req.query.get('sz')) ?? 1, 5000);
  const b = ctx.market.book(spec.symbol, sz);
  const rows = (levels: Array<[number, number]>) => levels.map(([p, q]) => [priceText(spec, p), qtyText(spec, q), '0', '1']);
  return ok([{ asks: rows(b.asks), bids: rows(b.bids), ts: String(ctx.now()) }]);
}

function tradeJson(t: PublicTrade, spec: SymbolSpec) {
  // source 0: an ordinary order (1 would be okx's enhanced liquidity programme).
  return { instId: instId(spec.symbol), tradeId: String(t.id), px: priceText(spec, t.price), sz: qtyText(spec, t.qty), side: t.side, source: '0', ts: String(t.time) };
}

/** GET /market/trades: the latest prints, newest first (default 100, up to 500). */
function trades({ req, ctx }: Call): VenueResponse {
  if (!req.query.get('instId')) return missing('instId');
  const spec = specFor(ctx, req.query.get('instId'));
  if (!spec) return noInstrument();
  const tape = ctx.core.publicTrades('okx', spec.symbol);
  return ok(tape.slice(-limitOf(req, 100, 500)).reverse().map((t) => tradeJson(t, spec)));
}

/**
 * GET /market/history-trades: pages back through the tape, newest first (up to 100). `type` 1
 * pages by tradeId, 2 by timestamp; `after` asks for older prints, `before` for newer ones, each
 * the page right next to the cursor so a client walks the tape without gaps.
 */
function historyTrades({ req, ctx }: Call): VenueResponse {
  if (!req.query.get('instId')) return missing('instId');
  const spec = specFor(ctx, req.query.get('instId'));
  if (!spec) return noInstrument();
  const type = req.query.get('type') || '1';
  if (type !== '1' && type !== '2') return fail(200, '51000', 'Parameter type error');
  const after = num(req.query.get('after'));
  const before = num(req.query.get('before'));
  if (Number.isNaN(after) || Number.isNaN(before)) return fail(200, '51000', `Parameter ${Number.isNaN(after) ? 'after' : 'before'} error`);
  const cursor = (t: PublicTrade) => (type === '1' ? t.id : t.time);
  const rows = ctx.core.publicTrades('okx', spec.symbol).filter((t) => (after === undefined || cursor(t) < after) && (before === undefined || cursor(t) > before));
  const limit = limitOf(req, 100, 100);
  const page = before !== undefined && after === undefined ? rows.slice(0, limit) : rows.slice(-limit);
  return ok(page.reverse().map((t) => tradeJson(t, spec)));
}

export const MARKET_ROUTES: Record<string, Route> = {
  'GET /api/v5/public/time': { run: ({ ctx }) => ok([{ ts: String(ctx.now()) }]) },
  // No maintenance is announced: okx answers an empty list then, which ccxt reads as status ok.
  // (The simulator's maintenance fault answers every request 503 before it gets here.)
  'GET /api/v5/system/status': { run: () => ok([]) },
  'GET /api/v5/public/instruments': { run: instruments },
  'GET /api/v5/market/ticker': {
    run: ({ req, ctx }) => {
      const spec = specFor(ctx, req.query.get('instId'));
      return spec ? ok([ticker(ctx, spec)]) : noInstrument();
    },
  },
  'GET /api/v5/market/tickers': {
    run: ({ req, ctx }) => {
      const type = req.query.get('instType');
      if (!type) return missing('instType');
      if (type !== 'SPOT') return knownInstType(type) ? ok([]) : fail(200, '51000', 'Parameter instType error');
      return ok(
        ctx.market.symbols().flatMap((s) => {
          const spec = ctx.market.spec(s);
          return spec ? [ticker(ctx, spec)] : [];
        }),
      );
    },
  },
  'GET /api/v5/market/books': { run: book },
  'GET /api/v5/market/books-full': { run: book },
  'GET /api/v5/market/candles': { run: candles },
  'GET /api/v5/market/history-candles': { run: candles },
  'GET /api/v5/market/trades': { run: trades },
  'GET /api/v5/market/history-trades': { run: historyTrades },
};
