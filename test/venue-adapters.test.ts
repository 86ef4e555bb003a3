import { AuthenticationError, DDoSProtection, ExchangeError, InvalidNonce, OrderNotFound, PermissionDenied, type Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../adapters/exchange/ccxt-factory';
import { classifyExchangeError, GatewayError, isIpRefusal, type GatewayErrorKind } from '../adapters/exchange/errors';
import { VenueClocks } from '../adapters/exchange/venue-clocks';
import { ExchangeGateway } from '../adapters/exchange/gateway';
import { readKeyPermissions } from '../adapters/exchange/permissions';
import { VENUES, venueAdapter, type VenueKeyPermissions } from '../adapters/exchange/venues';
import { EXCHANGE_IDS, type ExchangeId } from '../domain/market';
import { DEAD_MANS_SWITCH } from '../domain/dead-mans-switch';
import { REQUEST_WINDOW_MS } from '../domain/order-timing';

/**
 * Each venue's adapter-side quirks (adapters/exchange/venues/), with no server: real ccxt
 * clients whose HTTP layer answers with recorded venue responses (the shapes the venues'
 * API docs give, trimmed), so what goes on the wire and how the answer is read are both checked.
 * The simulator-backed suites (gateway, key-audit-venues, simulator) cover the same paths end to end.
 */

const CREDS = { apiKey: 'testkey0001', secret: 'testsecret0001', passphrase: 'testpass0001' };
const CID = 'wd0123456789abc1';

interface Sent {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}
type Answer = [status: number, body: unknown];
type Routes = Record<string, Answer>;

/** A real ccxt client for the venue with one spot market set and its HTTP answered from `routes` ("METHOD /path"). */
function offline(venue: ExchangeId, routes: Routes): { exchange: Exchange; gateway: ExchangeGateway; sent: Sent[] } {
  const exchange = createCcxtExchange(venue, { enableRateLimit: false, credentials: CREDS });
  const r = RECORDED[venue];
  exchange.setMarkets([
    {
      id: r.marketId,
      symbol: 'BTC/USDT',
      base: 'BTC',
      quote: 'USDT',
      baseId: 'BTC',
      quoteId: 'USDT',
      type: 'spot',
      spot: true,
      margin: false,
      swap: false,
      future: false,
      option: false,
      contract: false,
      active: true,
      precision: { amount: 0.00001, price: 0.01 },
      limits: { amount: { min: 0.00001 }, cost: { min: 5 } },
    },
  ]);
  const sent: Sent[] = [];
  const fetch = (url: string, method: string, headers: Record<string, string> | undefined, body: string | undefined): Promise<unknown> => {
    const u = new URL(url);
    const s: Sent = { method, path: u.pathname, query: u.searchParams, headers: headers ?? {}, body: body ? (JSON.parse(body) as unknown) : undefined };
    sent.push(s);
    const route = routes[`${method} ${u.pathname}`];
    if (!route) return Promise.reject(new Error(`unrecorded request ${method} ${u.pathname}`));
    const [status, json] = route;
    const text = JSON.stringify(json);
    try {
      exchange.handleErrors(status, '', url, method, {}, text, json, headers, body);
      if (status >= 400) throw new ExchangeError(`${venue} ${text}`);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return Promise.resolve(json);
  };
  Object.assign(exchange, { fetch });
  // Recorded answers have no venue clock to measure: sign on this one.
  return { exchange, gateway: new ExchangeGateway(exchange, venue, undefined, new VenueClocks({ assumeInSync: true })), sent };
}

/** The error ccxt itself raises for this venue answer (binance: on a client that has authenticated before, if `authenticated`). */
function ccxtError(venue: ExchangeId, [status, body]: Answer, authenticated = false): Error {
  const exchange = createCcxtExchange(venue, { enableRateLimit: false });
  if (authenticated) exchange.options['hasAlreadyAuthenticatedSuccessfully'] = true;
  const text = JSON.stringify(body);
  try {
    exchange.handleErrors(status, '', 'https://venue.invalid/api', 'GET', {}, text, body, {}, undefined);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`ccxt ${venue} raised nothing for ${text}`);
}

interface ErrorCase {
  name: string;
  answer: Answer;
  authenticated?: boolean;
  ccxtClass: new (...args: never[]) => Error;
  kind: GatewayErrorKind;
  ipRefused: boolean;
}

interface Recorded {
  marketId: string;
  /** The client-order-id lookup: endpoint, the id's parameter name, the venue's answer when it knows the order and when not. */
  lookup: { route: string; param: string; found: Answer; missing: Answer; busy: Answer };
  /** Where the request window travels on a signed request. */
  window: (s: Sent) => number;
  closedOrdersParams: Record<string, unknown>;
  cancelAll: 'per-symbol' | 'one-by-one';
  /** The key-permission endpoint(s) answered, and what Warden reads from them. */
  permissions: { routes: Routes; expected: VenueKeyPermissions; unexpected: Routes; unexpectedNames: string };
  errors: ErrorCase[];
}

const binanceRestrictions = {
  ipRestrict: true,
  createTime: 1698645219000,
  enableReading: true,
  enableWithdrawals: false,
  enableInternalTransfer: false,
  enableMargin: false,
  enableFutures: false,
  permitsUniversalTransfer: true,
  enableVanillaOptions: false,
  enableFixApiTrade: false,
  enableFixReadOnly: false,
  enableSpotAndMarginTrading: true,
  enablePortfolioMarginTrading: false,
};

/** Every venue's recorded answers and the readings expected of them; a Record, so a venue missing here fails to compile. */
const RECORDED: Record<ExchangeId, Recorded> = {
  binance: {
    marketId: 'BTCUSDT',
    lookup: {
      route: 'GET /api/v3/order',
      param: 'origClientOrderId',
      found: [
        200,
        { symbol: 'BTCUSDT', orderId: 28, orderListId: -1, clientOrderId: CID, price: '30000.00', origQty: '0.00100', executedQty: '0.00000', cummulativeQuoteQty: '0.00', status: 'NEW', timeInForce: 'GTC', type: 'LIMIT', side: 'BUY', stopPrice: '0.00', icebergQty: '0.00', time: 1700000000000, updateTime: 1700000000000, isWorking: true, workingTime: 1700000000000, origQuoteOrderQty: '0.00', selfTradePreventionMode: 'NONE' },
      ],
      missing: [400, { code: -2013, msg: 'Order does not exist.' }],
      busy: [500, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' }],
    },
    window: (s) => Number(s.query.get('recvWindow')),
    closedOrdersParams: {},
    cancelAll: 'per-symbol',
    permissions: {
      routes: {
        'GET /sapi/v1/account/apiRestrictions': [200, binanceRestrictions],
        'GET /sapi/v1/account/apiRestrictions/ipRestriction': [200, { ipRestrict: 'true', ipList: ['203.0.113.7', '198.51.100.4'], updateTime: 1700000000000, apiKey: CREDS.apiKey }],
      },
      // permitsUniversalTransfer alone is a transfer right.
      expected: { read: true, trade: true, withdraw: false, transfer: true, ipWhitelist: ['203.0.113.7', '198.51.100.4'] },
      unexpected: { 'GET /sapi/v1/account/apiRestrictions': [200, { ...binanceRestrictions, enableWithdrawals: 'false' }] },
      unexpectedNames: 'apiRestrictions answered in an unexpected shape: enableWithdrawals',
    },
    errors: [
      // Bad key, missing rights and an address outside the whitelist all answer -2015: never an IP refusal.
      { name: '-2015 on a fresh client', answer: [401, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }], ccxtClass: AuthenticationError, kind: 'auth', ipRefused: false },
      // ccxt reads it as a temporary ban once the client has authenticated; Warden reads it as the key.
      { name: '-2015 after an earlier success', answer: [401, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }], authenticated: true, ccxtClass: DDoSProtection, kind: 'auth', ipRefused: false },
      { name: '-1021 request window passed', answer: [400, { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' }], ccxtClass: InvalidNonce, kind: 'retryable', ipRefused: false },
    ],
  },
  okx: {
    marketId: 'BTC-USDT',
    lookup: {
      route: 'GET /api/v5/trade/order',
      param: 'clOrdId',
      found: [
        200,
        {
          code: '0',
          msg: '',
          data: [
            { accFillSz: '0', avgPx: '', cTime: '1700000000000', category: 'normal', ccy: '', clOrdId: CID, fee: '0', feeCcy: 'BTC', fillPx: '', fillSz: '0', fillTime: '', instId: 'BTC-USDT', instType: 'SPOT', lever: '', ordId: '1752588852617379840', ordType: 'limit', pnl: '0', posSide: 'net', px: '30000', rebate: '0', rebateCcy: 'USDT', reduceOnly: 'false', side: 'buy', source: '', state: 'live', stpMode: 'cancel_maker', sz: '0.001', tag: '', tdMode: 'cash', tgtCcy: '', tradeId: '', uTime: '1700000000000' },
          ],
        },
      ],
      missing: [200, { code: '51603', msg: 'Order does not exist', data: [] }],
      busy: [503, { code: '50001', msg: 'Service temporarily unavailable. Please try again later.', data: [] }],
    },
    // okx has no recvWindow: OkxWithExpiry sends expTime, absolute, on trade/ requests.
    window: (s) => Number(s.headers['expTime']) - Date.parse(s.headers['OK-ACCESS-TIMESTAMP'] ?? ''),
    closedOrdersParams: {},
    cancelAll: 'one-by-one',
    permissions: {
      routes: {
        'GET /api/v5/account/config': [
          200,
          {
            code: '0',
            msg: '',
            data: [{ acctLv: '1', autoLoan: false, ctIsoMode: 'automatic', greeksType: 'PA', level: 'Lv1', levelTmp: '', mgnIsoMode: 'automatic', posMode: 'net_mode', spotOffsetType: '', uid: '44705892343619584', label: 'warden', roleType: '0', traderInsts: [], spotRoleType: '0', spotTraderInsts: [], opAuth: '0', kycLv: '2', ip: '203.0.113.7, 198.51.100.4', perm: 'read_only,withdraw,trade', type: '0' }],
          },
        ],
      },
      // okx's withdraw right also moves funds out by transfer.
      expected: { read: true, trade: true, withdraw: true, transfer: true, ipWhitelist: ['203.0.113.7', '198.51.100.4'] },
      unexpected: { 'GET /api/v5/account/config': [200, { code: '0', msg: '', data: [] }] },
      unexpectedNames: 'account/config answered in an unexpected shape: data',
    },
    errors: [
      { name: '50110 IP not whitelisted', answer: [401, { msg: "Your IP 203.0.113.9 is not included in your API key's IP whitelist.", code: '50110', data: [] }], ccxtClass: PermissionDenied, kind: 'auth', ipRefused: true },
      { name: '50111 unknown key', answer: [401, { msg: 'Invalid OK-ACCESS-KEY', code: '50111', data: [] }], ccxtClass: AuthenticationError, kind: 'auth', ipRefused: false },
      { name: '50102 request window passed', answer: [401, { msg: 'Request timestamp expired.', code: '50102', data: [] }], ccxtClass: InvalidNonce, kind: 'retryable', ipRefused: false },
      { name: '50120 key without the permission', answer: [401, { msg: "API key doesn't have permission to use this function", code: '50120', data: [] }], ccxtClass: ExchangeError, kind: 'auth', ipRefused: false },
    ],
  },
  bybit: {
    marketId: 'BTCUSDT',
    lookup: {
      route: 'GET /v5/order/realtime',
      param: 'orderLinkId',
      found: [
        200,
        {
          retCode: 0,
          retMsg: 'OK',
          result: {
            category: 'spot',
            nextPageCursor: '',
            list: [
              { orderId: '1321003749386327552', orderLinkId: CID, blockTradeId: '', symbol: 'BTCUSDT', price: '30000', qty: '0.001', side: 'Buy', isLeverage: '0', positionIdx: 0, orderStatus: 'New', cancelType: 'UNKNOWN', rejectReason: 'EC_NoError', avgPrice: '0', leavesQty: '0.001', leavesValue: '30', cumExecQty: '0', cumExecValue: '0', cumExecFee: '0', timeInForce: 'GTC', orderType: 'Limit', stopOrderType: '', triggerPrice: '0', reduceOnly: false, closeOnTrigger: false, smpType: 'None', createdTime: '1700000000000', updatedTime: '1700000000000' },
            ],
          },
          retExtInfo: {},
          time: 1700000000000,
        },
      ],
      missing: [200, { retCode: 0, retMsg: 'OK', result: { category: 'spot', nextPageCursor: '', list: [] }, retExtInfo: {}, time: 1700000000000 }],
      busy: [200, { retCode: 10016, retMsg: 'Internal server error.', result: {}, retExtInfo: {}, time: 1700000000000 }],
    },
    window: (s) => Number(s.headers['X-BAPI-RECV-WINDOW']),
    closedOrdersParams: { acknowledged: true },
    cancelAll: 'per-symbol',
    permissions: {
      routes: {
        'GET /v5/user/query-api': [
          200,
          {
            retCode: 0,
            retMsg: '',
            result: {
              id: '13770661',
              note: 'warden',
              apiKey: CREDS.apiKey,
              readOnly: 0,
              secret: '',
              permissions: { ContractTrade: [], Spot: ['SpotTrade'], Wallet: ['AccountTransfer'], Options: [], Derivatives: [], CopyTrading: [], BlockTrade: [], Exchange: [], NFT: [], Affiliate: [], Earn: [] },
              ips: ['*'],
              type: 1,
              deadlineDay: 66,
              expiredAt: '2026-12-22T07:20:25Z',
              createdAt: '2026-01-16T02:24:40Z',
              unified: 0,
              uta: 1,
              userID: 24617703,
              inviterID: 0,
              vipLevel: 'No VIP',
              mktMakerLevel: '0',
              affiliateID: 0,
              rsaPublicKey: '',
              isMaster: true,
              parentUid: '0',
              kycLevel: 'LEVEL_DEFAULT',
              kycRegion: '',
            },
            retExtInfo: {},
            time: 1700000000000,
          },
        ],
      },
      // An unrestricted key is ["*"]: passed on as is, the auditor reads the wildcard.
      expected: { read: true, trade: true, withdraw: false, transfer: true, ipWhitelist: ['*'] },
      unexpected: { 'GET /v5/user/query-api': [200, { retCode: 0, retMsg: '', result: { readOnly: 'no', ips: [], permissions: {} } }] },
      unexpectedNames: 'user/query-api answered in an unexpected shape: result.readOnly',
    },
    errors: [
      { name: '10010 IP not whitelisted', answer: [401, { retCode: 10010, retMsg: "Unmatched IP, please check your API key's bound IP addresses.", result: {}, retExtInfo: {}, time: 1700000000000 }], ccxtClass: PermissionDenied, kind: 'auth', ipRefused: true },
      { name: '10003 unknown key', answer: [401, { retCode: 10003, retMsg: 'API key is invalid.', result: {}, retExtInfo: {}, time: 1700000000000 }], ccxtClass: AuthenticationError, kind: 'auth', ipRefused: false },
      { name: '10002 request window passed', answer: [200, { retCode: 10002, retMsg: 'invalid request, please check your server timestamp or recv_window param', result: {}, retExtInfo: {}, time: 1700000000000 }], ccxtClass: InvalidNonce, kind: 'retryable', ipRefused: false },
    ],
  },
};

describe('the venue table', () => {
  it('has exactly one adapter per configured venue, in the same order', () => {
    expect(Object.keys(VENUES)).toEqual([...EXCHANGE_IDS]);
    expect(Object.keys(RECORDED)).toEqual([...EXCHANGE_IDS]);
  });

  it('finds an adapter by name only for a venue (errors carry the venue as text)', () => {
    for (const venue of EXCHANGE_IDS) expect(venueAdapter(venue)).toBe(VENUES[venue]);
    for (const name of ['kraken', 'constructor', 'toString', '__proto__', '']) expect(venueAdapter(name)).toBeUndefined();
    expect(isIpRefusal('constructor', '{"code":"50110"}')).toBe(false);
    expect(classifyExchangeError(new AuthenticationError('kraken nope'), 'kraken', false).kind).toBe('auth');
  });
});

describe.each(EXCHANGE_IDS)('%s quirks', (venue) => {
  const adapter = VENUES[venue];
  const r = RECORDED[venue];

  it('builds a spot-only ccxt client that carries the venue request window on a signed request', async () => {
    const { exchange, gateway, sent } = offline(venue, { [r.lookup.route]: r.lookup.found });
    expect(exchange.options['defaultType']).toBe('spot');
    expect(exchange.options['fetchMarkets']).toMatchObject({ types: ['spot'] });
    expect(exchange.options['recvWindow']).toBe(REQUEST_WINDOW_MS[venue]);
    // No private currency list on loadMarkets: binance by option, okx and bybit by `has`.
    expect(venue === 'binance' ? exchange.options['fetchCurrencies'] : exchange.has['fetchCurrencies']).toBe(false);
    expect(exchange.verbose).toBe(false);
    await gateway.findByClientOrderId('BTC/USDT', CID);
    expect(sent).toHaveLength(1);
    expect(r.window(sent[0]!)).toBe(REQUEST_WINDOW_MS[venue]);
  });

  it('finds an order by its client order id, and reads "not known" as undefined', async () => {
    const found = offline(venue, { [r.lookup.route]: r.lookup.found });
    expect(await found.gateway.findByClientOrderId('BTC/USDT', CID)).toMatchObject({ clientOrderId: CID, symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: 30_000, amount: 0.001, status: 'open' });
    expect(`${found.sent[0]!.method} ${found.sent[0]!.path}`).toBe(r.lookup.route);
    expect(found.sent[0]!.query.get(r.lookup.param)).toBe(CID);
    expect(found.sent[0]!.query.get('symbol') ?? found.sent[0]!.query.get('instId')).toBe(r.marketId);

    const missing = offline(venue, { [r.lookup.route]: r.lookup.missing });
    expect(await missing.gateway.findByClientOrderId('BTC/USDT', CID)).toBeUndefined();
    // The adapter itself answers with ccxt's order, not Warden's, and lets any other error through
    // unclassified: a busy venue is no answer, and the gateway reads it as retryable, never as "not there".
    expect(await adapter.findByClientOrderId(offline(venue, { [r.lookup.route]: r.lookup.found }).exchange, 'BTC/USDT', CID)).toMatchObject({ clientOrderId: CID });
    const busy = offline(venue, { [r.lookup.route]: r.lookup.busy });
    const raw = await adapter.findByClientOrderId(busy.exchange, 'BTC/USDT', CID).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(raw).toBeInstanceOf(Error);
    expect(raw).not.toBeInstanceOf(OrderNotFound);
    expect(raw).not.toBeInstanceOf(GatewayError);
    const classified = await busy.gateway.findByClientOrderId('BTC/USDT', CID).catch((e: unknown) => e);
    expect(classified).toMatchObject({ kind: 'retryable', venue });
  });

  it('closed-order params and the cancel-all strategy', () => {
    expect(adapter.closedOrdersParams).toEqual(r.closedOrdersParams);
    expect(adapter.cancelAll).toBe(r.cancelAll);
    // ccxt's own claim: okx has no cancelAllOrders, the others do.
    expect(createCcxtExchange(venue, { enableRateLimit: false }).has['cancelAllOrders']).toBe(r.cancelAll === 'per-symbol');
  });

  it("reads the key's permissions from the venue's endpoint, and names the field of an answer in another shape", async () => {
    const { exchange, gateway, sent } = offline(venue, r.permissions.routes);
    expect(await gateway.fetchKeyPermissions()).toEqual(r.permissions.expected);
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual(Object.keys(r.permissions.routes));
    expect(await readKeyPermissions(exchange, venue)).toEqual(r.permissions.expected);

    const odd = offline(venue, r.permissions.unexpected);
    const err = await odd.gateway.fetchKeyPermissions().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).message).toContain(`${venue} ${r.permissions.unexpectedNames}`);
  });

  it.each(r.errors)('reads $name', (c) => {
    const err = ccxtError(venue, c.answer, c.authenticated);
    expect(err.constructor).toBe(c.ccxtClass);
    expect(isIpRefusal(venue, err.message)).toBe(c.ipRefused);
    for (const mutating of [false, true]) {
      const g = classifyExchangeError(err, venue, mutating);
      expect({ kind: g.kind, ipRefused: g.ipRefused, venue: g.venue }).toEqual({ kind: c.kind, ipRefused: c.ipRefused, venue });
    }
  });

  it('holds its error readings: IP refusal, key refusal, request-window code', () => {
    const { ipRefusal, keyRefusal, requestWindowCode } = adapter.errors;
    // Stateless regexes: RegExp.test with g or y would remember where it stopped.
    for (const re of [ipRefusal, keyRefusal]) expect(re?.flags ?? '').not.toMatch(/[gy]/);
    expect(ipRefusal !== null).toBe(r.errors.some((c) => c.ipRefused));
    // ccxt maps the window code to InvalidNonce, which classifyExchangeError reads as retryable.
    expect(createCcxtExchange(venue, { enableRateLimit: false }).exceptions['exact'][requestWindowCode]).toBe(InvalidNonce);
    // Another venue's IP refusal is not this one's.
    for (const other of EXCHANGE_IDS.filter((v) => v !== venue)) {
      for (const c of RECORDED[other].errors.filter((e) => e.ipRefused)) expect(isIpRefusal(venue, ccxtError(other, c.answer).message)).toBe(false);
    }
  });

  it("arms the venue's dead man's switch exactly where domain/ says the venue has one", async () => {
    expect(adapter.deadMansSwitch !== null).toBe(DEAD_MANS_SWITCH[venue].supported);
    const { gateway, sent } = offline(venue, {
      'POST /api/v5/trade/cancel-all-after': [200, { code: '0', msg: '', data: [{ triggerTime: '1700000060000', tag: '', ts: '1700000000000' }] }],
    });
    const arm = await gateway.armDeadMansSwitch(60);
    if (!DEAD_MANS_SWITCH[venue].supported) {
      expect(arm).toEqual({ armed: false, venue, reason: DEAD_MANS_SWITCH[venue].reason });
      expect(sent).toEqual([]);
      return;
    }
    expect(arm).toEqual({ armed: true, venue, triggerAt: new Date(1_700_000_060_000).toISOString() });
    expect(sent.map((s) => [s.method, s.path, s.body])).toEqual([['POST', '/api/v5/trade/cancel-all-after', { timeOut: '60' }]]);
    expect(adapter.deadMansSwitch!.triggerMs({ code: '0', data: [] })).toBeNaN();
  });
});
