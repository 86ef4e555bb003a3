import { z } from 'zod';
import { CoreError, type AccountTrade, type CoreErrorKind, type PlaceOrderRequest } from '../exchange-core';
import { plain } from '../numbers';
import type { RegisteredKey, SimOrder, SymbolSpec } from '../types';
import {
  allowed,
  headerValue,
  hmacSha256,
  ipAllowed,
  normalizeIp,
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
import { fail, instId, knownInstType, limitOf, MARKET_ROUTES, missing, noInstrument, ok, specFor, type Call, type Route } from './okx-market';

/** OKX v5 REST (/api/v5): base64 HMAC-SHA256 of timestamp + method + path(+query) + body, with a passphrase. */

/** One order's outcome inside data[]: OKX reports per-order failures as sCode/sMsg. */
interface ItemResult {
  clOrdId: string;
  ordId: string;
  tag: string;
  ts: string;
  sCode: string;
  sMsg: string;
}

function coreCode(e: CoreError): [string, string] {
  const byKind: Record<CoreErrorKind, [string, string]> = {
    unknown_symbol: ['51001', 'Instrument ID does not exist.'],
    invalid_quantity:
      e.detail === 'step' ? ['51121', 'Order quantity must be a multiple of the lot size.'] : ['51020', 'Your order should meet or exceed the minimum order amount.'],
    invalid_price: ['51000', 'Parameter px error'],
    min_notional: ['51020', 'Your order should meet or exceed the minimum order amount.'],
    insufficient_funds: ['51008', `Order failed. Insufficient ${e.detail ?? ''} balance in account.`],
    duplicate_client_order_id: ['51016', 'Duplicated clOrdId'],
    would_take: ['51000', 'Parameter ordType error'],
    order_not_found: ['51400', 'Order cancellation failed as the order has been filled, canceled or does not exist.'],
    order_not_open: ['51400', 'Order cancellation failed as the order has been filled, canceled or does not exist.'],
    bad_request: ['51000', e.message],
  };
  return byKind[e.kind];
}

function stateOf(o: SimOrder): string {
  if (o.status === 'open') return o.filled > 0 ? 'partially_filled' : 'live';
  return o.status === 'filled' ? 'filled' : 'canceled';
}

function ordTypeOf(o: SimOrder): string {
  if (o.type === 'market') return 'market';
  if (o.postOnly) return 'post_only';
  return o.timeInForce === 'IOC' ? 'ioc' : o.timeInForce === 'FOK' ? 'fok' : 'limit';
}

function orderJson(o: SimOrder, spec: SymbolSpec) {
  const last = o.fills.at(-1);
  const quoteSized = o.type === 'market' && o.quoteAmount !== undefined;
  return {
    instType: 'SPOT',
    instId: instId(o.symbol),
    tgtCcy: o.type === 'market' ? (quoteSized ? 'quote_ccy' : 'base_ccy') : '',
    ccy: '',
    ordId: o.id,
    clOrdId: o.clientOrderId,
    tag: '',
    px: o.price !== undefined ? priceText(spec, o.price) : '',
    pxUsd: '',
    pxVol: '',
    pxType: '',
    sz: quoteSized ? plain(o.quoteAmount ?? 0) : qtyText(spec, o.amount),
    pnl: '0',
    ordType: ordTypeOf(o),
    side: o.side,
    posSide: 'net',
    tdMode: 'cash',
    accFillSz: qtyText(spec, o.filled),
    fillPx: last ? priceText(spec, last.price) : '',
    tradeId: last ? String(last.tradeId) : '',
    fillSz: last ? qtyText(spec, last.qty) : '',
    fillTime: last ? String(last.time) : '',
    avgPx: o.filled > 0 ? plain(o.cost / o.filled) : '',
    state: stateOf(o),
    lever: '',
    feeCcy: o.feeAsset,
    // OKX reports fees charged as negative numbers.
    fee: o.fee > 0 ? plain(-o.fee) : '0',
    rebateCcy: o.feeAsset,
    rebate: '0',
    source: '',
    category: 'normal',
    reduceOnly: 'false',
    cancelSource: '',
    uTime: String(o.updatedAt),
    cTime: String(o.createdAt),
  };
}

function parseBody(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return undefined;
  }
}

type Item = Record<string, unknown>;
const str = (item: Item, k: string): string | undefined => (typeof item[k] === 'string' ? (item[k] as string) : typeof item[k] === 'number' ? String(item[k]) : undefined);

function placeOne(item: Item, ctx: VenueContext, key: RegisteredKey): { result: ItemResult; placed: boolean } {
  const clOrdId = str(item, 'clOrdId') ?? '';
  const tag = str(item, 'tag') ?? '';
  const result = (sCode: string, sMsg: string, ordId = ''): ItemResult => ({ clOrdId, ordId, tag, ts: String(ctx.now()), sCode, sMsg });
  const param = (name: string) => ({ result: result('51000', `Parameter ${name} error`), placed: false });
  const spec = specFor(ctx, str(item, 'instId') ?? null);
  if (!str(item, 'instId')) return param('instId');
  if (!spec) return { result: result('51001', 'Instrument ID does not exist.'), placed: false };
  if (str(item, 'tdMode') !== 'cash') return param('tdMode');
  const side = str(item, 'side');
  if (side !== 'buy' && side !== 'sell') return param('side');
  const ordType = str(item, 'ordType');
  if (!ordType || !['market', 'limit', 'post_only', 'ioc', 'fok'].includes(ordType)) return param('ordType');
  if (clOrdId && !/^[A-Za-z0-9]{1,32}$/.test(clOrdId)) return param('clOrdId');
  const sz = num(str(item, 'sz'));
  if (sz === undefined || Number.isNaN(sz) || sz <= 0) return param('sz');
  const px = num(str(item, 'px'));
  if (ordType !== 'market' && (px === undefined || Number.isNaN(px))) return param('px');
  // A spot market buy is sized in quote unless told otherwise, as on OKX.
  const tgtCcy = str(item, 'tgtCcy') ?? (ordType === 'market' && side === 'buy' ? 'quote_ccy' : 'base_ccy');
  if (tgtCcy !== 'base_ccy' && tgtCcy !== 'quote_ccy') return param('tgtCcy');
  const quoteSized = ordType === 'market' && tgtCcy === 'quote_ccy';
  const req: PlaceOrderRequest = {
    symbol: spec.symbol,
    side,
    type: ordType === 'market' ? 'market' : 'limit',
    timeInForce: ordType === 'ioc' ? 'IOC' : ordType === 'fok' ? 'FOK' : 'GTC',
    postOnly: ordType === 'post_only',
    price: ordType === 'market' ? undefined : px,
    amount: quoteSized ? undefined : sz,
    quoteAmount: quoteSized ? sz : undefined,
    clientOrderId: clOrdId,
    clientIdScope: 'open',
    postOnlyTaking: 'cancel',
  };
  try {
    const order = ctx.core.placeOrder('okx', key.account, key.apiKey, req);
    return { result: result('0', 'Order placed', order.id), placed: true };
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    const [code, msg] = coreCode(e);
    return { result: result(code, msg), placed: false };
  }
}

function batchAnswer(results: ItemResult[], placed: boolean): VenueResponse {
  const failed = results.filter((r) => r.sCode !== '0').length;
  const code = failed === 0 ? '0' : failed === results.length ? '1' : '2';
  const msg = code === '0' ? '' : code === '1' ? 'All operations failed' : 'Bulk operation partially succeeded';
  return { status: 200, body: { code, msg, data: results }, orderPlaced: placed };
}

function cancelOne(item: Item, ctx: VenueContext, key: RegisteredKey): ItemResult {
  const clOrdId = str(item, 'clOrdId') ?? '';
  const ordId = str(item, 'ordId') ?? '';
  const base = { clOrdId, ordId, tag: '', ts: String(ctx.now()) };
  const spec = specFor(ctx, str(item, 'instId') ?? null);
  if (!spec) return { ...base, sCode: '51001', sMsg: 'Instrument ID does not exist.' };
  if (!ordId && !clOrdId) return { ...base, sCode: '51000', sMsg: 'Parameter ordId error' };
  try {
    const o = ctx.core.cancelOrder('okx', key.account, { id: ordId || undefined, clientOrderId: ordId ? undefined : clOrdId, symbol: spec.symbol });
    return { ...base, clOrdId: o.clientOrderId, ordId: o.id, sCode: '0', sMsg: '' };
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    const [sCode, sMsg] = coreCode(e);
    return { ...base, sCode, sMsg };
  }
}

function asItems(body: unknown, wantArray: boolean): Item[] | undefined {
  if (wantArray) return Array.isArray(body) && body.every((x) => typeof x === 'object' && x !== null) ? (body as Item[]) : undefined;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? [body as Item] : undefined;
}

const ROUTES: Record<string, Route> = {
  ...MARKET_ROUTES,
  'GET /api/v5/account/balance': {
    need: 'read',
    run: ({ req, ctx, key }) => {
      if (!key) return fail(401, '50111', 'Invalid OK-ACCESS-KEY');
      const only = req.query.get('ccy')?.split(',');
      const now = String(ctx.now());
      const details = Object.entries(ctx.core.balances('okx', key.account))
        .filter(([ccy, b]) => (only ? only.includes(ccy) : b.total > 0))
        .map(([ccy, b]) => ({
          ccy,
          eq: plain(b.total),
          cashBal: plain(b.total),
          availBal: plain(b.free),
          frozenBal: plain(b.used),
          ordFrozen: plain(b.used),
          availEq: '',
          uTime: now,
        }));
      return ok([{ uTime: now, totalEq: '', adjEq: '', details }]);
    },
  },
  'GET /api/v5/account/trade-fee': { need: 'read', run: tradeFee },
  'GET /api/v5/asset/currencies': { need: 'read', run: currencies },
  'GET /api/v5/trade/fills': { need: 'read', run: (call) => fills(call, false) },
  'GET /api/v5/trade/fills-history': { need: 'read', run: (call) => fills(call, true) },
  'GET /api/v5/account/config': {
    need: 'any',
    run: ({ key }) => {
      if (!key) return fail(401, '50111', 'Invalid OK-ACCESS-KEY');
      const p = key.permissions;
      // OKX folds transfer into "trade"; the key's perm string has only these three words.
      const perm = [p.read ? 'read_only' : '', p.trade ? 'trade' : '', p.withdraw ? 'withdraw' : ''].filter(Boolean).join(',');
      return ok([
        {
          uid: key.account,
          mainUid: key.account,
          acctLv: '1',
          posMode: 'net_mode',
          autoLoan: false,
          greeksType: 'PA',
          level: 'Lv1',
          levelTmp: '',
          ctIsoMode: 'automatic',
          mgnIsoMode: 'automatic',
          spotOffsetType: '',
          roleType: '0',
          traderInsts: [],
          spotRoleType: '0',
          spotTraderInsts: [],
          opAuth: '0',
          kycLv: '2',
          label: key.label ?? key.apiKey.slice(0, 8),
          ip: key.ipWhitelist.join(','),
          perm,
          type: '0',
          enableSpotBorrow: false,
          spotBorrowAutoRepay: false,
        },
      ]);
    },
  },
  'POST /api/v5/trade/order': {
    need: 'trade',
    run: ({ req, ctx, key }) => {
      const items = asItems(parseBody(req.rawBody), false);
      if (!items || !key) return fail(400, '50002', 'JSON syntax error');
      const [one] = items.map((i) => placeOne(i, ctx, key));
      return one ? batchAnswer([one.result], one.placed) : fail(400, '50002', 'JSON syntax error');
    },
  },
  'POST /api/v5/trade/batch-orders': {
    need: 'trade',
    run: ({ req, ctx, key }) => {
      const items = asItems(parseBody(req.rawBody), true);
      if (!items || items.length === 0 || !key) return fail(400, '50002', 'JSON syntax error');
      const done = items.map((i) => placeOne(i, ctx, key));
      return batchAnswer(done.map((d) => d.result), done.some((d) => d.placed));
    },
  },
  'POST /api/v5/trade/cancel-order': {
    need: 'trade',
    run: ({ req, ctx, key }) => {
      const items = asItems(parseBody(req.rawBody), false);
      if (!items?.[0] || !key) return fail(400, '50002', 'JSON syntax error');
      return batchAnswer([cancelOne(items[0], ctx, key)], false);
    },
  },
  'POST /api/v5/trade/cancel-batch-orders': {
    need: 'trade',
    run: ({ req, ctx, key }) => {
      const items = asItems(parseBody(req.rawBody), true);
      if (!items || items.length === 0 || !key) return fail(400, '50002', 'JSON syntax error');
      return batchAnswer(items.map((i) => cancelOne(i, ctx, key)), false);
    },
  },
  'GET /api/v5/trade/order': {
    need: 'read',
    run: ({ req, ctx, key }) => {
      if (!key) return fail(401, '50111', 'Invalid OK-ACCESS-KEY');
      const spec = specFor(ctx, req.query.get('instId'));
      if (!spec) return noInstrument();
      const ordId = req.query.get('ordId') ?? undefined;
      const clOrdId = req.query.get('clOrdId') ?? undefined;
      if (!ordId && !clOrdId) return fail(200, '51000', 'Parameter ordId error');
      const o = ctx.core.findOrder('okx', key.account, { id: ordId, clientOrderId: ordId ? undefined : clOrdId, symbol: spec.symbol });
      return o ? ok([orderJson(o, spec)]) : fail(200, '51603', 'Order does not exist');
    },
  },
  'POST /api/v5/trade/cancel-all-after': { need: 'trade', run: cancelAllAfter },
  'GET /api/v5/trade/orders-pending': {
    need: 'read',
    run: ({ req, ctx, key }) => listOrders(req, ctx, key, true),
  },
  'GET /api/v5/trade/orders-history': {
    need: 'read',
    run: ({ req, ctx, key }) => listOrders(req, ctx, key, false),
  },
};

/** OKX sends every number as a string; ccxt's cancelAllOrdersAfter sends timeOut as a number. */
const CancelAllAfterBody = z.object({ timeOut: z.union([z.string(), z.number()]).optional(), tag: z.string().optional() });

/**
 * The dead man's switch: `timeOut` seconds, 0 or [10, 120]; unless called again first, every open
 * order of the account is cancelled when it runs out. 0 disarms. The simulator keeps no order
 * tags, so it refuses a tagged countdown rather than cancel orders the tag would have spared.
 */
function cancelAllAfter({ req, ctx, key }: Call): VenueResponse {
  const parsed = CancelAllAfterBody.safeParse(parseBody(req.rawBody));
  if (!parsed.success || !key) return fail(400, '50002', 'JSON syntax error');
  const { timeOut, tag } = parsed.data;
  if (timeOut === undefined || timeOut === '') return fail(200, '50014', 'Parameter timeOut can not be empty.');
  const seconds = typeof timeOut === 'number' ? timeOut : /^\d+$/.test(timeOut) ? Number(timeOut) : Number.NaN;
  if (!Number.isInteger(seconds) || (seconds !== 0 && (seconds < 10 || seconds > 120))) return fail(200, '51000', 'Parameter timeOut error');
  if (tag) return fail(200, '51000', 'Parameter tag error');
  const triggerAt = ctx.core.armCancelAfter('okx', key.account, seconds * 1000);
  // triggerTime 0: the countdown is off.
  return ok([{ triggerTime: String(triggerAt ?? 0), tag: '', ts: String(ctx.now()) }]);
}

function listOrders(req: VenueRequest, ctx: VenueContext, key: RegisteredKey | undefined, open: boolean): VenueResponse {
  if (!key) return fail(401, '50111', 'Invalid OK-ACCESS-KEY');
  const type = req.query.get('instType');
  if (type && type !== 'SPOT') return ok([]);
  const only = req.query.get('instId');
  const limit = Math.min(num(req.query.get('limit')) ?? 100, 100);
  return ok(
    ctx.core
      .orders('okx', key.account)
      .filter((o) => (open ? o.status === 'open' : o.status !== 'open') && (!only || instId(o.symbol) === only))
      .reverse()
      .slice(0, limit)
      .flatMap((o) => {
        const spec = ctx.market.spec(o.symbol);
        return spec ? [orderJson(o, spec)] : [];
      }),
  );
}

/** Okx's fee rates are what it takes from a fill, so a charge shows negative (a rebate positive). */
const feeText = (charged: number): string => plain(-charged);

/** GET /account/trade-fee: the account's rates for an instrument type (one rate for every spot pair here). */
function tradeFee({ req, ctx }: Call): VenueResponse {
  const type = req.query.get('instType');
  if (!type) return missing('instType');
  if (!knownInstType(type)) return fail(200, '51000', 'Parameter instType error');
  const only = req.query.get('instId');
  if (only && !specFor(ctx, only)) return noInstrument();
  // Margin trades at the spot rates on okx; the simulator has no contracts to quote rates for.
  if (type !== 'SPOT' && type !== 'MARGIN') return ok([]);
  const maker = feeText(ctx.fees.maker);
  const taker = feeText(ctx.fees.taker);
  return ok([
    {
      // taker/maker: the USDT pairs' rates; the USDC ones are the same here. The U fields are for contracts.
      category: '1',
      delivery: '',
      exercise: '',
      instType: type,
      level: 'Lv1',
      maker,
      taker,
      makerU: '',
      takerU: '',
      makerUSDC: maker,
      takerUSDC: taker,
      ruleType: 'normal',
      ts: String(ctx.now()),
      fiat: [],
    },
  ]);
}

/** Coin names and chains (okx ids a chain `${ccy}-${network}`) for the usual coins; any other gets one chain of its own name. */
const COINS: Record<string, { name: string; chains: Array<{ network: string; mainNet: boolean }> }> = {
  BTC: { name: 'Bitcoin', chains: [{ network: 'Bitcoin', mainNet: true }] },
  ETH: { name: 'Ethereum', chains: [{ network: 'ERC20', mainNet: true }] },
  USDT: { name: 'Tether', chains: [{ network: 'ERC20', mainNet: false }, { network: 'TRC20', mainNet: false }] },
  USDC: { name: 'USD Coin', chains: [{ network: 'ERC20', mainNet: false }] },
  SOL: { name: 'Solana', chains: [{ network: 'Solana', mainNet: true }] },
};

/** GET /asset/currencies: one row per coin and chain, for every coin the simulator's pairs trade. */
function currencies({ req, ctx }: Call): VenueResponse {
  const only = req.query.get('ccy')?.split(',').filter(Boolean);
  const coins = [...new Set(ctx.market.symbols().flatMap((s) => s.split('/')))].sort();
  return ok(
    coins
      .filter((ccy) => !only || only.includes(ccy))
      .flatMap((ccy) => {
        const coin = COINS[ccy] ?? { name: ccy, chains: [{ network: ccy, mainNet: true }] };
        return coin.chains.map(({ network, mainNet }) => ({
          ccy,
          name: coin.name,
          logoLink: '',
          chain: `${ccy}-${network}`,
          ctAddr: '',
          // The simulator moves no coins on or off the venue (balances are set through its admin
          // API), so every chain is closed and its fees and limits are zero.
          canDep: false,
          canWd: false,
          canInternal: false,
          depEstOpenTime: '',
          wdEstOpenTime: '',
          minDep: '0',
          minWd: '0',
          minInternal: '0',
          maxWd: '0',
          wdTickSz: '8',
          wdQuota: '0',
          usedWdQuota: '0',
          fee: '0',
          minFee: '0',
          maxFee: '0',
          minFeeForCtAddr: '0',
          maxFeeForCtAddr: '0',
          burningFeeRate: '',
          mainNet,
          needTag: false,
          minDepArrivalConfirm: '0',
          minWdUnlockConfirm: '0',
          depQuotaFixed: '',
          usedDepQuotaFixed: '',
          depQuoteDailyLayer2: '',
        }));
      }),
  );
}

const DAY_MS = 86_400_000;

/** Okx keeps a bill per fill; one per trade id here, so bills sort (and page) in fill order. */
const billId = (tradeId: number): string => `6${String(tradeId).padStart(17, '0')}`;

function fillJson(t: AccountTrade, spec: SymbolSpec, ctx: VenueContext) {
  const maker = t.liquidity === 'maker';
  return {
    instType: 'SPOT',
    instId: instId(t.symbol),
    tradeId: String(t.tradeId),
    ordId: t.orderId,
    clOrdId: t.clientOrderId,
    billId: billId(t.tradeId),
    // Spot bill subtypes: 1 buy, 2 sell.
    subType: t.side === 'buy' ? '1' : '2',
    tag: '',
    fillPx: priceText(spec, t.price),
    fillSz: qtyText(spec, t.qty),
    fillIdxPx: '',
    fillPnl: '0',
    fillPxVol: '',
    fillPxUsd: '',
    fillMarkVol: '',
    fillFwdPx: '',
    fillMarkPx: '',
    side: t.side,
    posSide: 'net',
    execType: maker ? 'M' : 'T',
    feeCcy: t.feeAsset,
    fee: feeText(t.fee),
    feeRate: feeText(maker ? ctx.fees.maker : ctx.fees.taker),
    ts: String(t.time),
    fillTime: String(t.time),
  };
}

/**
 * GET /trade/fills (the last 3 days) and /trade/fills-history (3 months, instType required): the
 * account's fills, newest first, up to 100. `after` asks for older bills, `before` for newer ones,
 * each the page next to the cursor; `begin`/`end` bound the fill time.
 */
function fills({ req, ctx, key }: Call, history: boolean): VenueResponse {
  if (!key) return fail(401, '50111', 'Invalid OK-ACCESS-KEY');
  const type = req.query.get('instType');
  if (!type && history) return missing('instType');
  if (type && !knownInstType(type)) return fail(200, '51000', 'Parameter instType error');
  if (type && type !== 'SPOT') return ok([]);
  const only = req.query.get('instId');
  const spec = specFor(ctx, only);
  if (only && !spec) return noInstrument();
  // Bill ids are 18 digits, past a double's exact range: compared as bigints.
  const bill = (name: string): bigint | undefined | null => {
    const v = req.query.get(name);
    return !v ? undefined : /^\d{1,20}$/.test(v) ? BigInt(v) : null;
  };
  const after = bill('after');
  const before = bill('before');
  const begin = num(req.query.get('begin'));
  const end = num(req.query.get('end'));
  const bad = [after === null && 'after', before === null && 'before', Number.isNaN(begin) && 'begin', Number.isNaN(end) && 'end'].find(Boolean);
  if (bad) return fail(200, '51000', `Parameter ${bad} error`);
  const ordId = req.query.get('ordId');
  const since = ctx.now() - (history ? 90 : 3) * DAY_MS;
  const rows = ctx.core.accountTrades('okx', key.account, spec?.symbol).filter((t) => {
    const id = BigInt(billId(t.tradeId));
    return (
      t.time >= since &&
      (!ordId || t.orderId === ordId) &&
      (!after || id < after) &&
      (!before || id > before) &&
      (begin === undefined || t.time >= begin) &&
      (end === undefined || t.time <= end)
    );
  });
  const limit = limitOf(req, 100, 100);
  const page = before && !after ? rows.slice(0, limit) : rows.slice(-limit);
  return ok(
    page.reverse().flatMap((t) => {
      const s = ctx.market.spec(t.symbol);
      return s ? [fillJson(t, s, ctx)] : [];
    }),
  );
}

function authenticate(req: VenueRequest, ctx: VenueContext, need: Need): RegisteredKey | VenueResponse {
  const apiKey = headerValue(req.headers, 'ok-access-key');
  const sign = headerValue(req.headers, 'ok-access-sign');
  const ts = headerValue(req.headers, 'ok-access-timestamp');
  const passphrase = headerValue(req.headers, 'ok-access-passphrase');
  if (!apiKey) return fail(401, '50103', 'Request header "OK-ACCESS-KEY" cannot be empty.');
  if (!passphrase) return fail(401, '50104', 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.');
  if (!sign) return fail(401, '50106', 'Request header "OK-ACCESS-SIGN" cannot be empty.');
  if (!ts) return fail(401, '50107', 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.');
  const t = Date.parse(ts);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(ts) || Number.isNaN(t)) return fail(401, '50112', 'Invalid OK-ACCESS-TIMESTAMP');
  if (Math.abs(ctx.now() - t) > 30_000) return fail(401, '50102', 'Timestamp request expired');
  // expTime: the request's own deadline, absolute epoch ms; without it only the 30 s above applies.
  const expTime = headerValue(req.headers, 'expTime');
  if (expTime !== undefined) {
    if (!/^\d{13}$/.test(expTime)) return fail(400, '51000', 'Parameter expTime error');
    if (ctx.now() > Number(expTime)) return fail(401, '50102', 'Timestamp request expired');
  }
  const key = ctx.core.key('okx', apiKey);
  if (!key || key.revoked) return fail(401, '50111', 'Invalid OK-ACCESS-KEY');
  if (!safeEqual(passphrase, key.passphrase ?? '')) return fail(401, '50105', 'Request header "OK-ACCESS-PASSPHRASE" incorrect.');
  // Demo trading is okx's testnet: the same hosts, its own keys, told apart by this header.
  if ((headerValue(req.headers, 'x-simulated-trading') === '1') !== (key.demo === true)) return fail(401, '50101', 'APIKey does not match current environment.');
  const prehash = ts + req.method + req.path + (req.rawQuery ? `?${req.rawQuery}` : '') + req.rawBody;
  if (!safeEqual(sign, hmacSha256(key.secret, prehash, 'base64'))) return fail(401, '50113', 'Invalid Sign');
  if (!ipAllowed(key, req.remoteIp)) return fail(401, '50110', `Your IP ${normalizeIp(req.remoteIp)} is not included in your API key's IP whitelist.`);
  // 50120 is OKX's code; ccxt has no mapping for it and raises a plain ExchangeError.
  if (!allowed(key, need)) return fail(401, '50120', "API key doesn't have permission to use this function");
  return key;
}

/** The route and the call it runs with, or the venue's refusal (unknown endpoint, key, signature, timestamp, expTime). */
function admitted(req: VenueRequest, ctx: VenueContext): { route: Route; call: Call } | VenueResponse {
  const route = ROUTES[`${req.method} ${req.path}`];
  if (!route) return fail(404, '404', `simulator: okx has no endpoint ${req.method} ${req.path}`);
  if (route.need === undefined) return { route, call: { req, ctx } };
  const key = authenticate(req, ctx, route.need);
  if ('status' in key && 'body' in key) return key;
  return { route, call: { req, ctx, key } };
}

export const okxDialect: VenueDialect = {
  venue: 'okx',
  handles: (path) => path.startsWith('/api/v5/'),
  handle(req, ctx) {
    const a = admitted(req, ctx);
    return 'status' in a ? a : a.route.run(a.call);
  },
  placesOrder: (req) => req.method === 'POST' && (req.path === '/api/v5/trade/order' || req.path === '/api/v5/trade/batch-orders'),
  looksUpOrder: (req) => req.method === 'GET' && req.path === '/api/v5/trade/order' && req.query.has('clOrdId'),
  admit(req, ctx) {
    const a = admitted(req, ctx);
    return 'status' in a ? a : undefined;
  },
  rateLimited: () => fail(429, '50011', 'Too Many Requests'),
  maintenance: () => fail(503, '50001', 'Service temporarily unavailable. Please try again later.'),
};

