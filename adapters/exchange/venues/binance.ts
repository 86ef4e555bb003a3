import { binance } from 'ccxt';
import { z } from 'zod';
import { REQUEST_WINDOW_MS } from '../../../domain/order-timing';
import { fetchOrderByClientIdParam, implicit, parseVenueResponse } from './shared';
import type { VenueAdapter } from './types';

const BinanceRestrictions = z.object({
  ipRestrict: z.boolean(),
  enableReading: z.boolean(),
  enableWithdrawals: z.boolean(),
  enableInternalTransfer: z.boolean(),
  permitsUniversalTransfer: z.boolean().optional(),
  enableSpotAndMarginTrading: z.boolean(),
});
const BinanceIpRestriction = z.object({ ipList: z.array(z.string()).default([]) });

export const binanceAdapter: VenueAdapter = {
  ccxt: {
    class: binance,
    // Spot only, so loadMarkets() makes one public call: no futures/options market lists, no
    // sapi capital/config currency list, no margin pair lists.
    // recvWindow: how long binance accepts a signed request after its timestamp (ccxt's own default is 10 s).
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false, recvWindow: REQUEST_WINDOW_MS.binance },
  },

  findByClientOrderId: (exchange, symbol, clientOrderId) => fetchOrderByClientIdParam(exchange, symbol, { origClientOrderId: clientOrderId }),

  closedOrdersParams: {},

  cancelAll: 'per-symbol',

  /** GET /sapi/v1/account/apiRestrictions, and its ipRestriction list when the key is IP-restricted. */
  async readKeyPermissions(exchange) {
    const r = parseVenueResponse('binance', 'apiRestrictions', BinanceRestrictions, await implicit(exchange, 'sapiGetAccountApiRestrictions')());
    const ips = r.ipRestrict
      ? parseVenueResponse('binance', 'apiRestrictions/ipRestriction', BinanceIpRestriction, await implicit(exchange, 'sapiGetAccountApiRestrictionsIpRestriction')()).ipList
      : [];
    return {
      read: r.enableReading,
      trade: r.enableSpotAndMarginTrading,
      withdraw: r.enableWithdrawals,
      transfer: r.enableInternalTransfer || r.permitsUniversalTransfer === true,
      ipWhitelist: ips,
    };
  },

  errors: {
    // binance folds a call from outside the whitelist into -2015 with a bad key and missing rights,
    // so it cannot be told apart.
    ipRefusal: null,
    // ccxt reads binance's -2015 after an earlier success as a temporary ban (DDoSProtection), but it is
    // also exactly what a revoked key answers. Stopping is the safe reading: an operator resumes.
    keyRefusal: /"code":\s*-2015\b/,
    requestWindowCode: '-1021',
  },

  // None for spot: countdownCancelAll is futures/options only (domain/dead-mans-switch.ts).
  deadMansSwitch: null,
};
