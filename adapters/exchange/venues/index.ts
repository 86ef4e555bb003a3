import type { ExchangeId } from '../../../config/schema';
import { binanceAdapter } from './binance';
import { bybitAdapter } from './bybit';
import { okxAdapter } from './okx';
import type { VenueAdapter } from './types';

export type { CcxtClass, VenueAdapter, VenueDeadMansSwitch, VenueErrorReadings, VenueKeyPermissions } from './types';

/** Every venue's adapter-side quirks; a venue in ExchangeId without an entry here is a type error. */
export const VENUES: Readonly<Record<ExchangeId, VenueAdapter>> = {
  binance: binanceAdapter,
  okx: okxAdapter,
  bybit: bybitAdapter,
};

/** The adapter for a venue named by a plain string (errors carry the venue as text), or undefined for no known venue. */
export function venueAdapter(venue: string): VenueAdapter | undefined {
  return Object.hasOwn(VENUES, venue) ? VENUES[venue as ExchangeId] : undefined;
}
