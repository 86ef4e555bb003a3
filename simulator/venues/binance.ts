import { randomBytes } from 'node:crypto';
import { CoreError, type CoreErrorKind } from '../exchange-core';
import { fmt } from '../numbers';
import type { RegisteredKey, SimOrder, SymbolSpec, TimeInForce } from '../types';
import {
  allowed,
  headerValue,
  hmacSha256,
  ipAllowed,
  num,
  safeEqual,
  symbolIndex,
  TIMEFRAME_MS,
  type Need,
  type VenueContext,
  type VenueDialect,
  type VenueRequest,
  type VenueResponse,
} from './common';

/** Binance spot REST (/api/v3, /sapi/v1): HMAC-SHA256 hex over the query string and body. */

const INVALID_KEY = 'Invalid API-key, IP, or permissions for action.';

interface Call {
  req: VenueRequest;
  params: URLSearchParams;
  ctx: VenueContext;
  key?: RegisteredKey;
}

interface Route {
  /** undefined: public endpoint. */
  need?: Need;
  run(call: Call): VenueResponse;
}

const ok = (body: unknown): VenueResponse => ({ status: 200, body });
const fail = (status: number, code: number, msg: string): VenueResponse => ({ status, body: { code, msg } });
const missing = (name: string) => fail(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
const d8 = (x: number) => fmt(x, 8);
const marketId = (symbol: string) => symbol.replace('/', '');

/** The venue's answer to each core failure, per operation (binance words a missing order differently for GET and DELETE). */
function coreFailure(e: CoreError, op: 'place' | 'query' | 'cancel'): VenueResponse {
  const byKind: Record<CoreErrorKind, VenueResponse> = {
    unknown_symbol: fail(400, -1121, 'Invalid symbol.'),
    invalid_quantity: fail(400, -1013, 'Filter failure: LOT_SIZE'),
    invalid_price: e.detail === 'missing' ? missing('price') : fail(400, -1013, 'Filter failure: PRICE_FILTER'),
    min_notional: fail(400, -1013, 'Filter failure: NOTIONAL'),
    insufficient_funds: fail(400, -2010, 'Account has insufficient balance for requested action.'),
    duplicate_client_order_id: fail(400, -2010, 'Duplicate order sent.'),
    would_take: fail(400, -2010, 'Order would immediately match and take.'),
    order_not_found: op === 'query' ? fail(400, -2013, 'Order does not exist.') : fail(400, -2011, 'Unknown order sent.'),
    order_not_open: fail(400, -2011, 'Unknown order sent.'),
    bad_request: fail(400, -1102, e.message),
  };
  return byKind[e.kind];
}

function statusOf(o: SimOrder): string {
  if (o.status === 'open') return o.filled > 0 ? 'PARTIALLY_FILLED' : 'NEW';
  return { filled: 'FILLED', canceled: 'CANCELED', expired: 'EXPIRED' }[o.status];
}

function orderJson(o: SimOrder) {
  return {
    symbol: marketId(o.symbol),
    orderId: Number(o.id),
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: d8(o.price ?? 0),
    origQty: d8(o.amount),
    executedQty: d8(o.filled),
    cummulativeQuoteQty: d8(o.cost),
    status: statusOf(o),
    timeInForce: o.timeInForce,
    type: o.postOnly ? 'LIMIT_MAKER' : o.type.toUpperCase(),
    side: o.side.toUpperCase(),
    stopPrice: d8(0),
    icebergQty: d8(0),
    time: o.createdAt,
    updateTime: o.updatedAt,
    isWorking: true,
    workingTime: o.createdAt,
    origQuoteOrderQty: d8(o.quoteAmount ?? 0),
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
}

function cancelJson(o: SimOrder, cancelClientId: string | null) {
  const { time: _t, updateTime: _u, isWorking: _w, workingTime: _wt, stopPrice: _s, icebergQty: _i, origQuoteOrderQty: _q, ...rest } = orderJson(o);
  // Binance reports the cancel request's own client id as clientOrderId, the order's as origClientOrderId.
  return { ...rest, origClientOrderId: o.clientOrderId, clientOrderId: cancelClientId ?? randomClientId(), transactTime: o.updatedAt };
}

function randomClientId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

function specOf(call: Call, required: boolean): SymbolSpec | VenueResponse | undefined {
  const id = call.params.get('symbol');
  if (!id) return required ? missing('symbol') : undefined;
  return symbolIndex(call.ctx.market, marketId).get(id) ?? fail(400, -1121, 'Invalid symbol.');
}

const isResponse = (x: unknown): x is VenueResponse => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

function ticker(ctx: VenueContext, spec: SymbolSpec) {
  const m = ctx.market;
  const last = m.price(spec.symbol);
  const s = m.stats24h(spec.symbol);
  const book = m.book(spec.symbol, 1);
  const [bid, bidQty] = book.bids[0] ?? [last, 0];
  const [ask, askQty] = book.asks[0] ?? [last, 0];
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

function placeOrder(call: Call): VenueResponse {
  const { params, ctx, key } = call;
  if (!key) return fail(401, -2015, INVALID_KEY);
  const spec = specOf(call, true);
  if (!spec || isResponse(spec)) return spec ?? missing('symbol');
  const side = params.get('side');
  if (!side) return missing('side');
  if (side !== 'BUY' && side !== 'SELL') return fail(400, -1117, 'Invalid side.');
  const type = params.get('type');
  if (!type) return missing('type');
  if (type !== 'LIMIT' && type !== 'MARKET' && type !== 'LIMIT_MAKER') return fail(400, -1116, 'Invalid orderType.');
  const numbers: Record<string, number | undefined> = {};
  for (const name of ['quantity', 'quoteOrderQty', 'price']) {
    const v = num(params.get(name));
    if (Number.isNaN(v)) return fail(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`);
    numbers[name] = v;
  }
  let tif: TimeInForce = 'GTC';
  if (type === 'LIMIT') {
    const t = params.get('timeInForce');
    if (!t) return missing('timeInForce');
    if (t !== 'GTC' && t !== 'IOC' && t !== 'FOK') return fail(400, -1115, 'Invalid timeInForce.');
    tif = t;
  }
  if (type !== 'MARKET' && numbers.price === undefined) return missing('price');
  if (type !== 'MARKET' && numbers.quantity === undefined) return missing('quantity');
  if (type === 'MARKET' && numbers.quantity === undefined && numbers.quoteOrderQty === undefined) {
    return fail(400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
  }
  const clientOrderId = params.get('newClientOrderId') || randomClientId();
  try {
    const order = ctx.core.placeOrder('binance', key.account, key.apiKey, {
      symbol: spec.symbol,
      side: side === 'BUY' ? 'buy' : 'sell',
      type: type === 'MARKET' ? 'market' : 'limit',
      timeInForce: tif,
      postOnly: type === 'LIMIT_MAKER',
      price: type === 'MARKET' ? undefined : numbers.price,
      amount: numbers.quantity,
      quoteAmount: numbers.quantity === undefined ? numbers.quoteOrderQty : undefined,
      clientOrderId,
      clientIdScope: 'open',
      postOnlyTaking: 'reject',
    });
    const full = orderJson(order);
    const ack = { symbol: full.symbol, orderId: full.orderId, orderListId: -1, clientOrderId: order.clientOrderId, transactTime: order.createdAt };
    const respType = params.get('newOrderRespType') ?? 'FULL';
    if (respType === 'ACK') return { status: 200, body: ack, orderPlaced: true };
    const { stopPrice: _s, icebergQty: _i, time: _t, updateTime: _u, isWorking: _w, ...result } = full;
    const body = { ...result, ...ack };
    if (respType === 'RESULT') return { status: 200, body, orderPlaced: true };
    const fills = order.fills.map((f) => ({ price: d8(f.price), qty: d8(f.qty), commission: d8(f.fee), commissionAsset: f.feeAsset, tradeId: f.tradeId }));
    return { status: 200, body: { ...body, fills }, orderPlaced: true };
  } catch (e) {
    if (e instanceof CoreError) return coreFailure(e, 'place');
    throw e;
  }
}

function selectOrder(call: Call, op: 'query' | 'cancel'): VenueResponse | SimOrder {
  const { params, ctx, key } = call;
  if (!key) return fail(401, -2015, INVALID_KEY);
  const spec = specOf(call, true);
  if (!spec || isResponse(spec)) return spec ?? missing('symbol');
  const id = params.get('orderId') ?? undefined;
  const clientOrderId = params.get('origClientOrderId') ?? undefined;
  if (!id && !clientOrderId) return fail(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  const sel = { id, clientOrderId: id ? undefined : clientOrderId, symbol: spec.symbol };
  try {
    if (op === 'cancel') return ctx.core.cancelOrder('binance', key.account, sel);
    const found = ctx.core.findOrder('binance', key.account, sel);
    return found ?? coreFailure(new CoreError('order_not_found', 'order does not exist'), 'query');
  } catch (e) {
    if (e instanceof CoreError) return coreFailure(e, op);
    throw e;
  }
}

const ROUTES: Record<string, Route> = {
  'GET /api/v3/ping': { run: () => ok({}) },
  'GET /api/v3/time': { run: ({ ctx }) => ok({ serverTime: ctx.now() }) },
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
        rateLimits: [
          { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
          { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        ],
        exchangeFilters: [],
        symbols: specs.flatMap((s) => (s ? [marketJson(s)] : [])),
      });
    },
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
      const limit = Math.min(num(call.params.get('limit')) ?? 100, 5000);
      const book = call.ctx.market.book(spec.symbol, limit);
      const rows = (levels: Array<[number, number]>) => levels.map(([p, q]) => [d8(p), d8(q)]);
      return ok({ lastUpdateId: call.ctx.market.now(), bids: rows(book.bids), asks: rows(book.asks) });
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
      const limit = Math.min(num(call.params.get('limit')) ?? 500, 1000);
      const candles = call.ctx.market.candles(spec.symbol, tf, {
        since: num(call.params.get('startTime')),
        until: num(call.params.get('endTime')),
        limit,
      });
      return ok(candles.map((c) => [c.ts, d8(c.open), d8(c.high), d8(c.low), d8(c.close), d8(c.volume), c.ts + tf - 1, d8(c.volume * c.close), 0, d8(0), d8(0), '0']));
    },
  },
  'GET /api/v3/account': {
    need: 'read',
    run: ({ ctx, key }) => {
      if (!key) return fail(401, -2015, INVALID_KEY);
      const held = ctx.core.balances('binance', key.account);
      const assets = new Set([...ctx.market.symbols().flatMap((s) => s.split('/')), ...Object.keys(held)]);
      const fee = (r: number) => Math.round(r * 10_000);
      return ok({
        makerCommission: fee(ctx.fees.maker),
        takerCommission: fee(ctx.fees.taker),
        buyerCommission: 0,
        sellerCommission: 0,
        canTrade: true,
        canWithdraw: true,
        canDeposit: true,
        brokered: false,
        requireSelfTradePrevention: false,
        preventSor: false,
        updateTime: ctx.now(),
        accountType: 'SPOT',
        balances: [...assets].sort().map((asset) => ({ asset, free: d8(held[asset]?.free ?? 0), locked: d8(held[asset]?.used ?? 0) })),
        permissions: ['SPOT'],
        uid: 0,
      });
    },
  },
  'POST /api/v3/order': { need: 'trade', run: placeOrder },
  'GET /api/v3/order': {
    need: 'read',
    run: (call) => {
      const o = selectOrder(call, 'query');
      return isResponse(o) ? o : ok(orderJson(o));
    },
  },
  'DELETE /api/v3/order': {
    need: 'trade',
    run: (call) => {
      const o = selectOrder(call, 'cancel');
      return isResponse(o) ? o : ok(cancelJson(o, call.params.get('newClientOrderId')));
    },
  },
  'GET /api/v3/openOrders': {
    need: 'read',
    run: (call) => {
      if (!call.key) return fail(401, -2015, INVALID_KEY);
      const spec = specOf(call, false);
      if (isResponse(spec)) return spec;
      return ok(call.ctx.core.openOrders('binance', call.key.account, spec?.symbol).map(orderJson));
    },
  },
  'GET /api/v3/allOrders': {
    need: 'read',
    run: (call) => {
      if (!call.key) return fail(401, -2015, INVALID_KEY);
      const spec = specOf(call, true);
      if (!spec || isResponse(spec)) return spec ?? missing('symbol');
      const limit = Math.min(num(call.params.get('limit')) ?? 500, 1000);
      const mine = call.ctx.core.orders('binance', call.key.account).filter((o) => o.symbol === spec.symbol);
      return ok(mine.slice(-limit).map(orderJson));
    },
  },
  'DELETE /api/v3/openOrders': {
    need: 'trade',
    run: (call) => {
      if (!call.key) return fail(401, -2015, INVALID_KEY);
      const spec = specOf(call, true);
      if (!spec || isResponse(spec)) return spec ?? missing('symbol');
      const canceled = call.ctx.core.cancelAll('binance', call.key.account, spec.symbol);
      // Binance answers "unknown order" when there was nothing to cancel.
      if (canceled.length === 0) return fail(400, -2011, 'Unknown order sent.');
      return ok(canceled.map((o) => cancelJson(o, null)));
    },
  },
  'GET /sapi/v1/account/apiRestrictions': {
    need: 'any',
    run: ({ key }) => {
      if (!key) return fail(401, -2015, INVALID_KEY);
      const p = key.permissions;
      return ok({
        ipRestrict: key.ipWhitelist.length > 0,
        createTime: key.createdAt,
        enableReading: p.read,
        enableWithdrawals: p.withdraw,
        enableInternalTransfer: p.transfer,
        enableMargin: false,
        enableFutures: false,
        permitsUniversalTransfer: p.transfer,
        enableVanillaOptions: false,
        enableFixApiTrade: false,
        enableFixReadOnly: false,
        enableSpotAndMarginTrading: p.trade,
        enablePortfolioMarginTrading: false,
      });
    },
  },
  'GET /sapi/v1/account/apiRestrictions/ipRestriction': {
    need: 'any',
    run: ({ key, ctx }) => {
      if (!key) return fail(401, -2015, INVALID_KEY);
      return ok({ ipRestrict: String(key.ipWhitelist.length > 0), ipList: [...key.ipWhitelist], updateTime: ctx.now(), apiKey: key.apiKey });
    },
  },
};

/** Splits "a=1&signature=xx&b=2" into the signed text and the signature. */
function splitSignature(raw: string): { rest: string; signature?: string } {
  const parts = raw ? raw.split('&') : [];
  const sig = parts.find((p) => p.startsWith('signature='));
  return { rest: parts.filter((p) => p !== sig).join('&'), signature: sig?.slice('signature='.length) };
}

function authenticate(call: Call, need: Need): RegisteredKey | VenueResponse {
  const { req, params, ctx } = call;
  const apiKey = headerValue(req.headers, 'x-mbx-apikey');
  if (!apiKey || !/^[A-Za-z0-9_-]{1,128}$/.test(apiKey)) return fail(401, -2014, 'API-key format invalid.');
  const key = ctx.core.key('binance', apiKey);
  if (!key || key.revoked || !ipAllowed(key, req.remoteIp)) return fail(401, -2015, INVALID_KEY);
  const ts = num(params.get('timestamp'));
  if (ts === undefined || Number.isNaN(ts)) return missing('timestamp');
  const recvWindow = num(params.get('recvWindow')) ?? 5000;
  if (Number.isNaN(recvWindow) || recvWindow > 60_000) return fail(400, -1131, 'recvWindow must be less than 60000');
  const now = ctx.now();
  if (ts > now + 1000) return fail(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  if (now - ts > recvWindow) return fail(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
  const q = splitSignature(req.rawQuery);
  const b = splitSignature(req.rawBody);
  const signature = q.signature ?? b.signature;
  if (!signature) return missing('signature');
  if (!safeEqual(signature.toLowerCase(), hmacSha256(key.secret, q.rest + b.rest, 'hex'))) {
    return fail(400, -1022, 'Signature for this request is not valid.');
  }
  if (!allowed(key, need)) return fail(401, -2015, INVALID_KEY);
  return key;
}

/** The route and the call it runs with, or the venue's refusal (unknown endpoint, key, signature, recvWindow). */
function admitted(req: VenueRequest, ctx: VenueContext): { route: Route; call: Call } | VenueResponse {
  const route = ROUTES[`${req.method} ${req.path}`];
  if (!route) return fail(404, -1, `simulator: binance has no endpoint ${req.method} ${req.path}`);
  const params = new URLSearchParams(req.rawQuery);
  for (const [k, v] of new URLSearchParams(req.rawBody)) params.append(k, v);
  const call: Call = { req, params, ctx };
  if (route.need === undefined) return { route, call };
  const key = authenticate(call, route.need);
  if (isResponse(key)) return key;
  return { route, call: { ...call, key } };
}

export const binanceDialect: VenueDialect = {
  venue: 'binance',
  handles: (path) => path.startsWith('/api/v3/') || path.startsWith('/sapi/'),
  handle(req, ctx) {
    const a = admitted(req, ctx);
    return isResponse(a) ? a : a.route.run(a.call);
  },
  placesOrder: (req) => req.method === 'POST' && req.path === '/api/v3/order',
  looksUpOrder: (req) => req.method === 'GET' && req.path === '/api/v3/order' && req.query.has('origClientOrderId'),
  admit(req, ctx) {
    const a = admitted(req, ctx);
    return isResponse(a) ? a : undefined;
  },
  rateLimited: (status) =>
    status === 418
      ? fail(418, -1003, 'Way too many requests; IP banned. Please use the websocket for live updates to avoid bans.')
      : fail(429, -1003, 'Too many requests; current limit of IP is 6000 requests per minute. Please use the websocket for live updates to avoid polling the API.'),
  maintenance: () => fail(503, 1, 'System is under maintenance.'),
};
