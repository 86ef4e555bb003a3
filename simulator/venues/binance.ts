import { randomBytes } from 'node:crypto';
import { CoreError, type AccountTrade, type CoreErrorKind } from '../exchange-core';
import { fmt } from '../numbers';
import type { BalanceView, RegisteredKey, SimOrder, TimeInForce } from '../types';
import {
  allowed,
  headerValue,
  hmacSha256,
  ipAllowed,
  num,
  safeEqual,
  type Need,
  type VenueContext,
  type VenueDialect,
  type VenueRequest,
  type VenueResponse,
} from './common';
import { d8, fail, isResponse, limitOf, MARKET_ROUTES, marketId, missing, ok, page, specOf, type Call, type Route } from './binance-market';

/** Binance spot REST (/api/v3, /sapi/v1): HMAC-SHA256 hex over the query string and body. Market data: binance-market.ts. */

const INVALID_KEY = 'Invalid API-key, IP, or permissions for action.';

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

/** Every coin of the simulator's symbols and any other the account holds, sorted. */
function assetsOf(ctx: VenueContext, held: Record<string, BalanceView>): string[] {
  return [...new Set([...ctx.market.symbols().flatMap((s) => s.split('/')), ...Object.keys(held)])].sort();
}

/** A rate as binance writes it in fee lists ("0.001"), not padded to 8 places. */
const rateText = (r: number) => fmt(r, 8).replace(/\.?0+$/, '') || '0';

function myTradeJson(t: AccountTrade) {
  return {
    symbol: marketId(t.symbol),
    id: t.tradeId,
    orderId: Number(t.orderId),
    orderListId: -1,
    price: d8(t.price),
    qty: d8(t.qty),
    quoteQty: d8(t.price * t.qty),
    commission: d8(t.fee),
    commissionAsset: t.feeAsset,
    time: t.time,
    isBuyer: t.side === 'buy',
    isMaker: t.liquidity === 'maker',
    isBestMatch: true,
  };
}

/** A coin as /sapi/v1/capital/config/getall lists it, with the account's balance of it. */
function coinJson(coin: string, held: BalanceView | undefined) {
  return {
    coin,
    // The simulator moves no coins on or off the venue: no deposits, no withdrawals, no networks.
    depositAllEnable: false,
    withdrawAllEnable: false,
    name: coin,
    free: d8(held?.free ?? 0),
    locked: d8(held?.used ?? 0),
    freeze: d8(0),
    withdrawing: d8(0),
    ipoing: d8(0),
    ipoable: d8(0),
    storage: d8(0),
    isLegalMoney: false,
    trading: true,
    networkList: [],
  };
}

const ROUTES: Record<string, Route> = {
  ...MARKET_ROUTES,
  'GET /api/v3/account': {
    need: 'read',
    run: ({ ctx, key }) => {
      if (!key) return fail(401, -2015, INVALID_KEY);
      const held = ctx.core.balances('binance', key.account);
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
        balances: assetsOf(ctx, held).map((asset) => ({ asset, free: d8(held[asset]?.free ?? 0), locked: d8(held[asset]?.used ?? 0) })),
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
      const mine = call.ctx.core.orders('binance', call.key.account).filter((o) => o.symbol === spec.symbol);
      return ok(mine.slice(-limitOf(call.params)).map(orderJson));
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
  'GET /api/v3/myTrades': {
    need: 'read',
    run: (call) => {
      if (!call.key) return fail(401, -2015, INVALID_KEY);
      const spec = specOf(call, true);
      if (!spec || isResponse(spec)) return spec ?? missing('symbol');
      const orderId = call.params.get('orderId');
      const mine = call.ctx.core.accountTrades('binance', call.key.account, spec.symbol).filter((t) => !orderId || t.orderId === orderId);
      return ok(page(mine.map(myTradeJson), call.params));
    },
  },
  'GET /sapi/v1/asset/tradeFee': {
    need: 'read',
    run: (call) => {
      const spec = specOf(call, false);
      if (isResponse(spec)) return spec;
      const symbols = spec ? [spec.symbol] : call.ctx.market.symbols();
      const { maker, taker } = call.ctx.fees;
      return ok(symbols.map((s) => ({ symbol: marketId(s), makerCommission: rateText(maker), takerCommission: rateText(taker) })));
    },
  },
  'GET /sapi/v1/capital/config/getall': {
    need: 'read',
    run: ({ ctx, key }) => {
      if (!key) return fail(401, -2015, INVALID_KEY);
      const held = ctx.core.balances('binance', key.account);
      return ok(assetsOf(ctx, held).map((coin) => coinJson(coin, held[coin])));
    },
  },
  // The simulator has no margin trading: no cross or isolated pairs.
  'GET /sapi/v1/margin/allPairs': { need: 'any', keyOnly: true, run: () => ok([]) },
  'GET /sapi/v1/margin/isolated/allPairs': { need: 'read', run: () => ok([]) },
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

/** The live key named in X-MBX-APIKEY, called from an IP it allows: all a MARKET_DATA endpoint checks. */
function knownKey({ req, ctx }: Call): RegisteredKey | VenueResponse {
  const apiKey = headerValue(req.headers, 'x-mbx-apikey');
  if (!apiKey || !/^[A-Za-z0-9_-]{1,128}$/.test(apiKey)) return fail(401, -2014, 'API-key format invalid.');
  const key = ctx.core.key('binance', apiKey);
  if (!key || key.revoked || !ipAllowed(key, req.remoteIp)) return fail(401, -2015, INVALID_KEY);
  return key;
}

/** A signed call: its key, its timestamp within the window, and its HMAC over the query and the body. */
function authenticate(call: Call): RegisteredKey | VenueResponse {
  const { req, params, ctx } = call;
  const key = knownKey(call);
  if (isResponse(key)) return key;
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
  const key = route.keyOnly ? knownKey(call) : authenticate(call);
  if (isResponse(key)) return key;
  if (!allowed(key, route.need)) return fail(401, -2015, INVALID_KEY);
  return { route, call: { ...call, key } };
}

export const binanceDialect: VenueDialect = {
  venue: 'binance',
  // fapi, dapi and eapi: ccxt's default loadMarkets asks for the futures and options market lists too.
  handles: (path) => ['/api/v3/', '/sapi/', '/fapi/', '/dapi/', '/eapi/'].some((prefix) => path.startsWith(prefix)),
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
