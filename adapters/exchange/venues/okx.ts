import { okx } from 'ccxt';
import { z } from 'zod';
import { REQUEST_WINDOW_MS } from '../../../domain/order-timing';
import { fetchOrderByClientIdParam, implicit, parseVenueResponse } from './shared';
import type { VenueAdapter } from './types';

/**
 * okx accepts a signed request for 30 s after OK-ACCESS-TIMESTAMP unless an `expTime`
 * header (absolute epoch ms) says otherwise, and ccxt 4.5 never sends one: its okx.sign
 * builds the private headers itself and takes none from the caller. So every signed trade
 * request gets one here: the timestamp it was signed with plus `options.recvWindow`, the
 * option binance and bybit read for the same purpose. expTime is not part of the signature.
 */
class OkxWithExpiry extends okx {
  override sign(path: string, api: unknown = 'public', method = 'GET', params: Record<string, unknown> = {}, headers?: Record<string, unknown>, body?: string): Record<string, unknown> {
    const signed = super.sign(path, api, method, params, headers, body) as { headers?: Record<string, unknown> } & Record<string, unknown>;
    const stamp = signed.headers?.['OK-ACCESS-TIMESTAMP'];
    const window = this.options['recvWindow'];
    if (api === 'private' && path.startsWith('trade/') && typeof stamp === 'string' && typeof window === 'number') {
      signed.headers = { ...signed.headers, expTime: String(Date.parse(stamp) + window) };
    }
    return signed;
  }
}

const OkxConfig = z.object({ data: z.array(z.object({ perm: z.string(), ip: z.string().default('') })).min(1) });

export const okxAdapter: VenueAdapter = {
  ccxt: {
    class: OkxWithExpiry,
    // Spot only, and no private asset/currencies call. recvWindow: read by OkxWithExpiry above
    // (ccxt's okx has no such option).
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, recvWindow: REQUEST_WINDOW_MS.okx },
    has: { fetchCurrencies: false },
  },

  findByClientOrderId: (exchange, symbol, clientOrderId) => fetchOrderByClientIdParam(exchange, symbol, { clOrdId: clientOrderId }),

  closedOrdersParams: {},

  // ccxt's okx has no cancelAllOrders.
  cancelAll: 'one-by-one',

  /** GET /api/v5/account/config: `perm` is a comma list of read_only, trade, withdraw; `ip` a comma list. */
  async readKeyPermissions(exchange) {
    const cfg = parseVenueResponse('okx', 'account/config', OkxConfig, await implicit(exchange, 'privateGetAccountConfig')()).data[0]!;
    const perms = cfg.perm.split(',').map((p) => p.trim());
    return {
      read: perms.includes('read_only') || perms.length > 0,
      trade: perms.includes('trade'),
      // okx's withdraw permission also covers moving funds out by transfer.
      withdraw: perms.includes('withdraw'),
      transfer: perms.includes('withdraw') || perms.includes('transfer'),
      ipWhitelist: cfg.ip.split(',').map((s) => s.trim()).filter(Boolean),
    };
  },

  errors: {
    ipRefusal: /"code":\s*"50110"/,
    // "API key doesn't have permission": ccxt maps it to nothing (a plain ExchangeError, read as retryable or an
    // unknown outcome), so a read-only trading key would never stop the session as binance's -2015 and bybit's 10005 do.
    keyRefusal: /"code":\s*"50120"/,
    requestWindowCode: '50102',
  },

  /** POST /api/v5/trade/cancel-all-after, `timeOut` in seconds; answers `data[0].triggerTime` (epoch ms). */
  deadMansSwitch: {
    request(exchange) {
      const api = (exchange as unknown as Record<string, ((p: Record<string, string>) => Promise<unknown>) | undefined>).privatePostTradeCancelAllAfter;
      return api ? (seconds) => api.call(exchange, { timeOut: String(seconds) }) : undefined;
    },
    triggerMs: (response) => Number((response as { data?: Array<{ triggerTime?: unknown }> }).data?.[0]?.triggerTime),
  },
};
