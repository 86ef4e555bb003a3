import { bybit } from 'ccxt';
import { z } from 'zod';
import { REQUEST_WINDOW_MS } from '../../../domain/order-timing';
import { implicit, parseVenueResponse } from './shared';
import type { VenueAdapter } from './types';

const BybitQueryApi = z.object({
  result: z.object({
    readOnly: z.coerce.number(),
    ips: z.array(z.string()).default([]),
    permissions: z.record(z.string(), z.array(z.string())).default({}),
  }),
});

/** bybit's permission groups that let a key place orders. */
const TRADE_GROUPS = ['Spot', 'ContractTrade', 'Derivatives', 'Options', 'Exchange'];

export const bybitAdapter: VenueAdapter = {
  ccxt: {
    class: bybit,
    // Spot only, and no private asset/coin call. Warden supports unified trading accounts only;
    // saying so up front stops ccxt probing user/query-api and account/info before the first
    // private call. recvWindow is sent as X-BAPI-RECV-WINDOW on every signed request.
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, enableUnifiedAccount: true, enableUnifiedMargin: false, unifiedMarginStatus: 6, recvWindow: REQUEST_WINDOW_MS.bybit },
    has: { fetchCurrencies: false },
  },

  /** bybit's order/realtime answers by orderLinkId for open and recent closed orders; ccxt's fetchOrder needs an order id. */
  async findByClientOrderId(exchange, symbol, orderLinkId) {
    await exchange.loadMarkets();
    const market = exchange.market(symbol);
    const realtime = implicit(exchange, 'privateGetV5OrderRealtime');
    const response = (await realtime({ category: 'spot', symbol: market.id ?? symbol, orderLinkId })) as { result?: { list?: unknown[] } };
    const found = response.result?.list?.[0];
    return found ? exchange.parseOrder(found as Record<string, unknown>, market) : undefined;
  },

  // ccxt's bybit reads `acknowledged` only in fetchOrder (its "last 500 orders" warning); ccxt 4.5's
  // fetchClosedOrders passes it on to /v5/order/history as a query parameter.
  closedOrdersParams: { acknowledged: true },

  cancelAll: 'per-symbol',

  /** GET /v5/user/query-api: readOnly 0/1, permissions by group, ips (["*"] for an unrestricted key). */
  async readKeyPermissions(exchange) {
    const r = parseVenueResponse('bybit', 'user/query-api', BybitQueryApi, await implicit(exchange, 'privateGetV5UserQueryApi')()).result;
    const all = Object.values(r.permissions).flat();
    return {
      read: true,
      trade: r.readOnly === 0 && TRADE_GROUPS.some((g) => (r.permissions[g] ?? []).length > 0),
      withdraw: all.includes('Withdraw'),
      transfer: all.some((p) => p === 'AccountTransfer' || p === 'SubMemberTransfer'),
      // bybit reports an unrestricted key as ["*"]; the auditor treats that as a wildcard.
      ipWhitelist: r.ips,
    };
  },

  errors: {
    ipRefusal: /"retCode":\s*10010\b/,
    keyRefusal: null,
    requestWindowCode: '10002',
  },

  // DCP fires on a private websocket disconnect and needs enabling by bybit; the desk speaks REST only.
  deadMansSwitch: null,
};
