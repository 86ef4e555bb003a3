import type { Exchange } from 'ccxt';
import type { ExchangeId } from '../../config/schema';
import { VENUES, type VenueKeyPermissions } from './venues';

export type { VenueKeyPermissions } from './venues';

/**
 * The key's own permissions as the venue reports them (binance apiRestrictions, okx account/config,
 * bybit user/query-api), validated and in one shape for the key auditor. Each venue's endpoint and
 * format is in its module under venues/.
 */
export async function readKeyPermissions(exchange: Exchange, venue: ExchangeId): Promise<VenueKeyPermissions> {
  return VENUES[venue].readKeyPermissions(exchange);
}
