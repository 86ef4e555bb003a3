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
  type Need,
  type VenueContext,
  type VenueDialect,
  type VenueRequest,
  type VenueResponse,
} from './common';
import { MARKET_ROUTES, answer, arg, categoryOf, limitOf, marketId, ok, specOf, spotOnly, type Call, type Route } from './bybit-market';

/** Bybit v5 REST (/v5), unified trading account: HMAC-SHA256 hex of timestamp + apiKey + recvWindow + query|body. */

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

interface Chain {
  chain: string;
  chainType: string;
  confirmation: string;
  withdrawFee: string;
  depositMin: string;
  withdrawMin: string;
  minAccuracy: string;
}

/** Chains as Bybit lists them for the usual coins; any other coin gets one chain named after itself. */
const CHAINS: Record<string, Chain[]> = {
  BTC: [{ chain: 'BTC', chainType: 'BTC', confirmation: '1', withdrawFee: '0.0001', depositMin: '0.0001', withdrawMin: '0.0002', minAccuracy: '8' }],
  ETH: [{ chain: 'ETH', chainType: 'ETH', confirmation: '6', withdrawFee: '0.0005', depositMin: '0.0001', withdrawMin: '0.001', minAccuracy: '8' }],
  USDT: [
    { chain: 'ETH', chainType: 'ERC20', confirmation: '6', withdrawFee: '3', depositMin: '0.1', withdrawMin: '10', minAccuracy: '6' },
    { chain: 'TRX', chainType: 'TRC20', confirmation: '50', withdrawFee: '1', depositMin: '0.1', withdrawMin: '10', minAccuracy: '6' },
  ],
  USDC: [{ chain: 'ETH', chainType: 'ERC20', confirmation: '6', withdrawFee: '3', depositMin: '0.1', withdrawMin: '10', minAccuracy: '6' }],
};

function coinRow(coin: string) {
  const chains = CHAINS[coin] ?? [{ chain: coin, chainType: coin, confirmation: '10', withdrawFee: '0', depositMin: '0', withdrawMin: '0', minAccuracy: '8' }];
  return {
    name: coin,
    coin,
    remainAmount: '1000000',
    // Open as on the venue; the simulator itself moves no coins on chain (balances come from its admin API).
    chains: chains.map((c) => ({ ...c, chainDeposit: '1', chainWithdraw: '1', withdrawPercentageFee: '0', contractAddress: '', safeConfirmNumber: c.confirmation })),
  };
}

const WEEK_MS = 7 * 86_400_000;

/** GET /v5/execution/list: the account's fills, newest first, in pages of at most 100 within a seven-day window. */
function executions(call: Call): VenueResponse {
  const { ctx, key } = call;
  if (!key) return answer(ctx, 401, 10003, 'API key is invalid.');
  const category = categoryOf(call);
  if (typeof category !== 'string') return category;
  // Every simulated fill is a spot trade: other categories and exec types have none.
  const execType = arg(call, 'execType');
  if (category !== 'spot' || (execType && execType !== 'Trade')) return ok(ctx, { list: [], nextPageCursor: '', category });
  const symbolId = arg(call, 'symbol');
  const spec = symbolId ? specOf(call) : undefined;
  if (symbolId && !spec) return answer(ctx, 200, 10001, 'params error: symbol invalid');
  const limit = limitOf(call, 50, 100);
  const start = num(arg(call, 'startTime'));
  const end = num(arg(call, 'endTime'));
  const cursor = num(arg(call, 'cursor'));
  if (limit === undefined || Number.isNaN(start) || Number.isNaN(end) || Number.isNaN(cursor)) return answer(ctx, 200, 10001, 'params error');
  // Without times the venue answers the last seven days; with one, the seven days from (or up to) it.
  const from = start ?? (end ?? ctx.now()) - WEEK_MS;
  const to = end ?? (start !== undefined ? start + WEEK_MS : ctx.now());
  if (to - from > WEEK_MS) return answer(ctx, 200, 10001, 'params error: The time range between startTime and endTime cannot exceed 7 days');
  const orderId = arg(call, 'orderId');
  const orderLinkId = arg(call, 'orderLinkId');
  const matching = ctx.core
    .accountTrades('bybit', key.account, spec?.symbol)
    .filter(
      (t) =>
        t.time >= from &&
        t.time <= to &&
        (!orderId || t.orderId === orderId) &&
        (!orderLinkId || t.clientOrderId === orderLinkId) &&
        // The cursor is the last execution id already served: the next page holds older ones.
        (cursor === undefined || t.tradeId < cursor),
    )
    .reverse();
  const page = matching.slice(0, limit);
  const list = page.flatMap((t) => {
    const s = ctx.market.spec(t.symbol);
    const order = ctx.core.findOrder('bybit', key.account, { id: t.orderId });
    if (!s || !order) return [];
    const filledThrough = order.fills.filter((f) => f.tradeId <= t.tradeId).reduce((sum, f) => sum + f.qty, 0);
    const quoteSized = order.type === 'market' && order.quoteAmount !== undefined;
    return [
      {
        symbol: marketId(t.symbol),
        orderId: t.orderId,
        orderLinkId: t.clientOrderId,
        side: t.side === 'buy' ? 'Buy' : 'Sell',
        orderPrice: order.price !== undefined ? priceText(s, order.price) : '',
        orderQty: quoteSized ? plain(order.quoteAmount ?? 0) : qtyText(s, order.amount),
        leavesQty: qtyText(s, Math.max(0, order.amount - filledThrough)),
        orderType: t.orderType === 'market' ? 'Market' : 'Limit',
        stopOrderType: '',
        execFee: plain(t.fee),
        feeCurrency: t.feeAsset,
        execId: String(t.tradeId),
        execPrice: priceText(s, t.price),
        execQty: qtyText(s, t.qty),
        execType: 'Trade',
        execValue: plain(t.price * t.qty),
        execTime: String(t.time),
        isMaker: t.liquidity === 'maker',
        feeRate: plain(t.liquidity === 'maker' ? ctx.fees.maker : ctx.fees.taker),
        tradeIv: '',
        markIv: '',
        markPrice: '',
        indexPrice: '',
        underlyingPrice: '',
        blockTradeId: '',
        closedSize: '',
        seq: t.tradeId,
      },
    ];
  });
  const more = matching.length > page.length;
  return ok(ctx, { list, nextPageCursor: more ? String(page.at(-1)?.tradeId ?? '') : '', category: 'spot' });
}

const ROUTES: Record<string, Route> = {
  ...MARKET_ROUTES,
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
  'GET /v5/account/fee-rate': {
    need: 'read',
    run: (call) => {
      const { ctx } = call;
      const category = categoryOf(call);
      if (typeof category !== 'string') return category;
      if (category !== 'spot') return ok(ctx, { list: [] });
      const symbolId = arg(call, 'symbol');
      const spec = symbolId ? specOf(call) : undefined;
      if (symbolId && !spec) return answer(ctx, 200, 10001, 'params error: symbol invalid');
      const symbols = spec ? [spec.symbol] : ctx.market.symbols();
      // One schedule for every symbol: the rates the matching engine charges.
      const list = symbols.map((s) => ({ symbol: marketId(s), baseCoin: '', takerFeeRate: plain(ctx.fees.taker), makerFeeRate: plain(ctx.fees.maker) }));
      return ok(ctx, { list });
    },
  },
  'GET /v5/asset/coin/query-info': {
    need: 'read',
    run: (call) => {
      const only = arg(call, 'coin');
      const coins = [...new Set(call.ctx.market.symbols().flatMap((s) => s.split('/')))];
      return ok(call.ctx, { rows: coins.filter((c) => !only || c === only).map(coinRow) });
    },
  },
  'GET /v5/execution/list': { need: 'read', run: executions },
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
