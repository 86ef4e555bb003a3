import { CoreError, type CoreErrorKind, type PlaceOrderRequest } from '../exchange-core';
import { plain } from '../numbers';
import type { RegisteredKey, SimOrder, SymbolSpec } from '../types';
import {
  allowed,
  headerValue,
  hmacSha256,
  ipAllowed,
  num,
  priceText,
  qtyText,
  safeEqual,
  symbolIndex,
  type Need,
  type VenueContext,
  type VenueDialect,
  type VenueRequest,
  type VenueResponse,
} from './common';

/** Bybit v5 REST (/v5), unified trading account: HMAC-SHA256 hex of timestamp + apiKey + recvWindow + query|body. */

interface Call {
  req: VenueRequest;
  ctx: VenueContext;
  /** Query for GET, JSON body for POST, as one lookup. */
  args: Record<string, unknown>;
  key?: RegisteredKey;
}

interface Route {
  need?: Need;
  run(call: Call): VenueResponse;
}

const answer = (ctx: VenueContext, status: number, retCode: number, retMsg: string, result: unknown = {}): VenueResponse => ({
  status,
  body: { retCode, retMsg, result, retExtInfo: {}, time: ctx.now() },
});
const ok = (ctx: VenueContext, result: unknown) => answer(ctx, 200, 0, 'OK', result);
const marketId = (symbol: string) => symbol.replace('/', '');
const arg = (call: Call, k: string): string | undefined => {
  const v = call.args[k];
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
};

function coreFailure(ctx: VenueContext, e: CoreError): VenueResponse {
  const byKind: Record<CoreErrorKind, [number, string]> = {
    unknown_symbol: [170121, 'Invalid symbol.'],
    invalid_quantity: e.detail === 'step' ? [170137, 'Order quantity has too many decimals.'] : [170136, 'Order quantity is lower than the minimum.'],
    invalid_price: e.detail === 'missing' ? [170130, "Data sent for parameter 'price' is not valid."] : [170134, 'Order price has too many decimals.'],
    min_notional: [170140, 'Order value exceeded lower limit.'],
    insufficient_funds: [170131, 'Insufficient balance.'],
    duplicate_client_order_id: [170141, 'Duplicate clientOrderId.'],
    would_take: [170130, "Data sent for parameter 'timeInForce' is not valid."],
    order_not_found: [170213, 'Order does not exist.'],
    order_not_open: [170213, 'Order does not exist.'],
    bad_request: [10001, e.message],
  };
  const [code, msg] = byKind[e.kind];
  return answer(ctx, 200, code, msg);
}

function statusOf(o: SimOrder): string {
  if (o.status === 'open') return o.filled > 0 ? 'PartiallyFilled' : 'New';
  if (o.status === 'filled') return 'Filled';
  return o.filled > 0 ? 'PartiallyFilledCanceled' : 'Cancelled';
}

function orderJson(o: SimOrder, spec: SymbolSpec) {
  const quoteSized = o.type === 'market' && o.quoteAmount !== undefined;
  const leaves = o.status === 'open' ? o.amount - o.filled : 0;
  return {
    orderId: o.id,
    orderLinkId: o.clientOrderId,
    blockTradeId: '',
    symbol: marketId(o.symbol),
    price: o.price !== undefined ? priceText(spec, o.price) : '0',
    qty: quoteSized ? plain(o.quoteAmount ?? 0) : qtyText(spec, o.amount),
    side: o.side === 'buy' ? 'Buy' : 'Sell',
    isLeverage: '0',
    positionIdx: 0,
    orderStatus: statusOf(o),
    cancelType: o.status === 'canceled' ? 'CancelByUser' : 'UNKNOWN',
    rejectReason: 'EC_NoError',
    avgPrice: o.filled > 0 ? plain(o.cost / o.filled) : '',
    leavesQty: qtyText(spec, leaves),
    leavesValue: plain(leaves * (o.price ?? 0)),
    cumExecQty: qtyText(spec, o.filled),
    cumExecValue: plain(o.cost),
    cumExecFee: plain(o.fee),
    cumFeeDetail: o.fee > 0 ? { [o.feeAsset]: plain(o.fee) } : {},
    timeInForce: o.postOnly ? 'PostOnly' : o.timeInForce,
    orderType: o.type === 'market' ? 'Market' : 'Limit',
    marketUnit: o.type === 'market' ? (quoteSized ? 'quoteCoin' : 'baseCoin') : '',
    stopOrderType: '',
    orderIv: '',
    triggerPrice: '0.00',
    takeProfit: '0.00',
    stopLoss: '0.00',
    tpTriggerBy: '',
    slTriggerBy: '',
    triggerDirection: 0,
    triggerBy: '',
    lastPriceOnCreated: '',
    reduceOnly: false,
    closeOnTrigger: false,
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    createdTime: String(o.createdAt),
    updatedTime: String(o.updatedAt),
  };
}

function spotOnly(call: Call): VenueResponse | undefined {
  const category = arg(call, 'category');
  if (!category) return answer(call.ctx, 200, 10001, 'params error: category is required');
  if (category !== 'spot') return answer(call.ctx, 200, 10001, `params error: the simulator serves category spot only (got ${category})`);
  return undefined;
}

function specOf(call: Call): SymbolSpec | undefined {
  const id = arg(call, 'symbol');
  return id ? symbolIndex(call.ctx.market, marketId).get(id) : undefined;
}

function ticker(ctx: VenueContext, spec: SymbolSpec) {
  const last = ctx.market.price(spec.symbol);
  const s = ctx.market.stats24h(spec.symbol);
  const book = ctx.market.book(spec.symbol, 1);
  const [bid, bidSz] = book.bids[0] ?? [last, 0];
  const [ask, askSz] = book.asks[0] ?? [last, 0];
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

function placeOrder(call: Call): VenueResponse {
  const { ctx, key } = call;
  if (!key) return answer(ctx, 401, 10003, 'API key is invalid.');
  const wrongCategory = spotOnly(call);
  if (wrongCategory) return wrongCategory;
  const spec = specOf(call);
  if (!spec) return answer(ctx, 200, 170121, 'Invalid symbol.');
  const side = arg(call, 'side');
  if (side !== 'Buy' && side !== 'Sell') return answer(ctx, 200, 10001, 'params error: side invalid');
  const orderType = arg(call, 'orderType');
  if (orderType !== 'Limit' && orderType !== 'Market') return answer(ctx, 200, 10001, 'params error: orderType invalid');
  const qty = num(arg(call, 'qty'));
  if (qty === undefined || Number.isNaN(qty)) return answer(ctx, 200, 170130, "Data sent for parameter 'qty' is not valid.");
  const price = num(arg(call, 'price'));
  if (Number.isNaN(price)) return answer(ctx, 200, 170130, "Data sent for parameter 'price' is not valid.");
  const tif = arg(call, 'timeInForce') ?? (orderType === 'Market' ? 'IOC' : 'GTC');
  if (!['GTC', 'IOC', 'FOK', 'PostOnly'].includes(tif)) return answer(ctx, 200, 10001, 'params error: timeInForce invalid');
  const orderLinkId = arg(call, 'orderLinkId') ?? '';
  if (orderLinkId && !/^[A-Za-z0-9_-]{1,36}$/.test(orderLinkId)) return answer(ctx, 200, 10001, 'params error: orderLinkId invalid');
  // Bybit sizes a spot market buy in quote unless marketUnit says otherwise.
  const unit = arg(call, 'marketUnit') ?? (orderType === 'Market' && side === 'Buy' ? 'quoteCoin' : 'baseCoin');
  if (unit !== 'baseCoin' && unit !== 'quoteCoin') return answer(ctx, 200, 10001, 'params error: marketUnit invalid');
  const quoteSized = orderType === 'Market' && unit === 'quoteCoin';
  const req: PlaceOrderRequest = {
    symbol: spec.symbol,
    side: side === 'Buy' ? 'buy' : 'sell',
    type: orderType === 'Market' ? 'market' : 'limit',
    timeInForce: tif === 'IOC' ? 'IOC' : tif === 'FOK' ? 'FOK' : 'GTC',
    postOnly: tif === 'PostOnly',
    price: orderType === 'Limit' ? price : undefined,
    amount: quoteSized ? undefined : qty,
    quoteAmount: quoteSized ? qty : undefined,
    clientOrderId: orderLinkId,
    clientIdScope: 'all',
    postOnlyTaking: 'cancel',
  };
  try {
    const order = ctx.core.placeOrder('bybit', key.account, key.apiKey, req);
    return { ...ok(ctx, { orderId: order.id, orderLinkId: order.clientOrderId }), orderPlaced: true };
  } catch (e) {
    if (e instanceof CoreError) return coreFailure(ctx, e);
    throw e;
  }
}

function listOrders(call: Call, openDefault: boolean): VenueResponse {
  const { ctx, key } = call;
  if (!key) return answer(ctx, 401, 10003, 'API key is invalid.');
  const wrongCategory = spotOnly(call);
  if (wrongCategory) return wrongCategory;
  const symbolId = arg(call, 'symbol');
  const orderId = arg(call, 'orderId');
  const orderLinkId = arg(call, 'orderLinkId');
  const limit = Math.min(num(arg(call, 'limit')) ?? 20, 50);
  const openOnly = arg(call, 'openOnly');
  // By id, /realtime finds any recent order; otherwise it lists open ones (openOnly=0) or closed ones.
  const wantOpen = orderId || orderLinkId ? undefined : openDefault ? !openOnly || openOnly === '0' : false;
  const list = ctx.core
    .orders('bybit', key.account)
    .filter(
      (o) =>
        (!symbolId || marketId(o.symbol) === symbolId) &&
        (!orderId || o.id === orderId) &&
        (!orderLinkId || o.clientOrderId === orderLinkId) &&
        (wantOpen === undefined || (o.status === 'open') === wantOpen),
    )
    .reverse()
    .slice(0, limit)
    .flatMap((o) => {
      const spec = ctx.market.spec(o.symbol);
      return spec ? [orderJson(o, spec)] : [];
    });
  return ok(ctx, { list, nextPageCursor: '', category: 'spot' });
}

const ROUTES: Record<string, Route> = {
  'GET /v5/market/time': {
    run: ({ ctx }) => ok(ctx, { timeSecond: String(Math.floor(ctx.now() / 1000)), timeNano: `${ctx.now()}000000` }),
  },
  'GET /v5/market/instruments-info': {
    run: (call) => {
      const category = arg(call, 'category');
      if (category !== 'spot') return ok(call.ctx, { category, list: [], nextPageCursor: '' });
      const only = arg(call, 'symbol');
      const list = call.ctx.market.symbols().flatMap((s) => {
        const spec = call.ctx.market.spec(s);
        if (!spec || (only && marketId(s) !== only)) return [];
        const [base, quote] = s.split('/');
        return [
          {
            symbol: marketId(s),
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
          },
        ];
      });
      return ok(call.ctx, { category: 'spot', list, nextPageCursor: '' });
    },
  },
  'GET /v5/market/tickers': {
    run: (call) => {
      const category = arg(call, 'category');
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
  'GET /v5/account/wallet-balance': {
    need: 'read',
    run: (call) => {
      const { ctx, key } = call;
      if (!key) return answer(ctx, 401, 10003, 'API key is invalid.');
      const type = arg(call, 'accountType');
      if (type !== 'UNIFIED') return answer(ctx, 200, 10001, 'accountType only support UNIFIED.');
      const only = arg(call, 'coin')?.split(',');
      const coin = Object.entries(ctx.core.balances('bybit', key.account))
        .filter(([c, b]) => (only ? only.includes(c) : b.total > 0))
        .map(([c, b]) => ({
          coin: c,
          equity: plain(b.total),
          usdValue: '',
          walletBalance: plain(b.total),
          locked: plain(b.used),
          spotHedgingQty: '0',
          borrowAmount: '',
          availableToWithdraw: '',
          accruedInterest: '',
          totalOrderIM: '0',
          totalPositionIM: '0',
          totalPositionMM: '0',
          unrealisedPnl: '0',
          cumRealisedPnl: '0',
          bonus: '0',
          marginCollateral: true,
          collateralSwitch: true,
        }));
      return ok(ctx, { list: [{ accountType: 'UNIFIED', totalEquity: '', totalWalletBalance: '', totalAvailableBalance: '', accountIMRate: '', accountMMRate: '', coin }] });
    },
  },
  'GET /v5/account/info': {
    need: 'any',
    run: ({ ctx }) =>
      ok(ctx, {
        unifiedMarginStatus: 6,
        marginMode: 'REGULAR_MARGIN',
        isMasterTrader: false,
        spotHedgingStatus: 'OFF',
        updatedTime: String(ctx.now()),
        dcpStatus: 'OFF',
        timeWindow: 10,
        smpGroup: 0,
      }),
  },
  'GET /v5/user/query-api': {
    need: 'any',
    run: ({ ctx, key }) => {
      if (!key) return answer(ctx, 401, 10003, 'API key is invalid.');
      const p = key.permissions;
      const wallet = [...(p.transfer ? ['AccountTransfer', 'SubMemberTransfer'] : []), ...(p.withdraw ? ['Withdraw'] : [])];
      return ok(ctx, {
        id: String(key.createdAt),
        note: key.label ?? '',
        apiKey: key.apiKey,
        readOnly: p.trade || p.withdraw || p.transfer ? 0 : 1,
        secret: '',
        permissions: {
          ContractTrade: p.trade ? ['Order', 'Position'] : [],
          Spot: p.trade ? ['SpotTrade'] : [],
          Wallet: wallet,
          Options: [],
          Derivatives: [],
          CopyTrading: [],
          BlockTrade: [],
          Exchange: [],
          NFT: [],
          Affiliate: [],
          Earn: [],
        },
        ips: key.ipWhitelist.length > 0 ? [...key.ipWhitelist] : ['*'],
        type: 1,
        deadlineDay: key.ipWhitelist.length > 0 ? -1 : 90,
        expiredAt: '',
        createdAt: new Date(key.createdAt).toISOString(),
        unified: 0,
        uta: 1,
        userID: 1,
        inviterID: 0,
        vipLevel: 'No VIP',
        mktMakerLevel: '0',
        affiliateID: 0,
        rsaPublicKey: '',
        isMaster: true,
        parentUid: '0',
        kycLevel: 'LEVEL_1',
        kycRegion: '',
      });
    },
  },
  'POST /v5/order/create': { need: 'trade', run: placeOrder },
  'POST /v5/order/cancel': {
    need: 'trade',
    run: (call) => {
      const { ctx, key } = call;
      if (!key) return answer(ctx, 401, 10003, 'API key is invalid.');
      const bad = spotOnly(call);
      if (bad) return bad;
      const spec = specOf(call);
      if (!spec) return answer(ctx, 200, 170121, 'Invalid symbol.');
      const id = arg(call, 'orderId');
      const link = arg(call, 'orderLinkId');
      if (!id && !link) return answer(ctx, 200, 10001, 'params error: orderId or orderLinkId is required');
      try {
        const o = ctx.core.cancelOrder('bybit', key.account, { id, clientOrderId: id ? undefined : link, symbol: spec.symbol });
        return ok(ctx, { orderId: o.id, orderLinkId: o.clientOrderId });
      } catch (e) {
        if (e instanceof CoreError) return coreFailure(ctx, e);
        throw e;
      }
    },
  },
  'POST /v5/order/cancel-all': {
    need: 'trade',
    run: (call) => {
      const { ctx, key } = call;
      if (!key) return answer(ctx, 401, 10003, 'API key is invalid.');
      const bad = spotOnly(call);
      if (bad) return bad;
      const symbolId = arg(call, 'symbol');
      const spec = symbolId ? specOf(call) : undefined;
      if (symbolId && !spec) return answer(ctx, 200, 170121, 'Invalid symbol.');
      const canceled = ctx.core.cancelAll('bybit', key.account, spec?.symbol);
      return ok(ctx, { list: canceled.map((o) => ({ orderId: o.id, orderLinkId: o.clientOrderId })), success: '1' });
    },
  },
  'GET /v5/order/realtime': { need: 'read', run: (call) => listOrders(call, true) },
  'GET /v5/order/history': { need: 'read', run: (call) => listOrders(call, false) },
};

function authenticate(call: Call, need: Need): RegisteredKey | VenueResponse {
  const { req, ctx } = call;
  const apiKey = headerValue(req.headers, 'x-bapi-api-key');
  const ts = headerValue(req.headers, 'x-bapi-timestamp');
  const sign = headerValue(req.headers, 'x-bapi-sign');
  const recvHeader = headerValue(req.headers, 'x-bapi-recv-window') ?? '';
  if (!apiKey) return answer(ctx, 401, 10003, 'API key is invalid.');
  const t = num(ts);
  const recvWindow = num(recvHeader) ?? 5000;
  const now = ctx.now();
  if (t === undefined || Number.isNaN(t) || Number.isNaN(recvWindow) || t >= now + 1000 || t < now - recvWindow) {
    const detail = `req_timestamp[${ts ?? ''}],server_timestamp[${now}],recv_window[${recvHeader}]`;
    return answer(ctx, 200, 10002, `invalid request, please check your server timestamp or recv_window param. ${detail}`);
  }
  const key = ctx.core.key('bybit', apiKey);
  if (!key || key.revoked) return answer(ctx, 401, 10003, 'API key is invalid.');
  const payload = (ts ?? '') + apiKey + recvHeader + (req.method === 'GET' ? req.rawQuery : req.rawBody);
  if (!sign || !safeEqual(sign.toLowerCase(), hmacSha256(key.secret, payload, 'hex'))) {
    return answer(ctx, 401, 10004, 'Error sign, please check your signature generation algorithm.');
  }
  if (!ipAllowed(key, req.remoteIp)) return answer(ctx, 401, 10010, "Unmatched IP, please check your API key's bound IP addresses.");
  if (!allowed(key, need)) return answer(ctx, 401, 10005, 'Permission denied, please check your API key permissions.');
  return key;
}

function argsOf(req: VenueRequest): Record<string, unknown> | undefined {
  if (req.method === 'GET') return Object.fromEntries(req.query);
  if (!req.rawBody) return {};
  try {
    const v: unknown = JSON.parse(req.rawBody);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The route and the call it runs with, or the venue's refusal (unknown endpoint, body, key, signature, recv window). */
function admitted(req: VenueRequest, ctx: VenueContext): { route: Route; call: Call } | VenueResponse {
  const route = ROUTES[`${req.method} ${req.path}`];
  if (!route) return answer(ctx, 404, 10001, `simulator: bybit has no endpoint ${req.method} ${req.path}`);
  const args = argsOf(req);
  if (!args) return answer(ctx, 200, 10001, 'params error: body is not a JSON object');
  const call: Call = { req, ctx, args };
  if (route.need === undefined) return { route, call };
  const key = authenticate(call, route.need);
  if ('status' in key && 'body' in key) return key;
  return { route, call: { ...call, key } };
}

export const bybitDialect: VenueDialect = {
  venue: 'bybit',
  handles: (path) => path.startsWith('/v5/'),
  handle(req, ctx) {
    const a = admitted(req, ctx);
    return 'status' in a ? a : a.route.run(a.call);
  },
  placesOrder: (req) => req.method === 'POST' && req.path === '/v5/order/create',
  looksUpOrder: (req) => req.method === 'GET' && req.path === '/v5/order/realtime' && req.query.has('orderLinkId'),
  admit(req, ctx) {
    const a = admitted(req, ctx);
    return 'status' in a ? a : undefined;
  },
  rateLimited: () => ({
    status: 429,
    body: { retCode: 10006, retMsg: 'Too many visits. Exceeded the API Rate Limit.', result: {}, retExtInfo: {}, time: Date.now() },
  }),
  // Bybit has no maintenance code ccxt knows; during upgrades its edge answers a bare 503 page.
  maintenance: () => ({ status: 503, body: '<html><body><h1>503 Service Unavailable</h1>Bybit is under maintenance.</body></html>' }),
};
