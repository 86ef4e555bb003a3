import type { Exchange, Order } from 'ccxt';

/** What a venue says its API key may do, in one shape for the key auditor (seed section 2). */
export interface VenueKeyPermissions {
  read: boolean;
  trade: boolean;
  withdraw: boolean;
  transfer: boolean;
  ipWhitelist: string[];
}

/** A ccxt exchange class (or Warden's subclass of one). */
export type CcxtClass = new (config: Record<string, unknown>) => Exchange;

/**
 * How one venue reads its error answers, over what ccxt's classes already say.
 * `null` where the venue has no such answer or cannot tell it apart: saying so is required.
 */
export interface VenueErrorReadings {
  /** The venue's own answer to a call from outside the key's IP whitelist (read as auth, `ipRefused`). */
  ipRefusal: RegExp | null;
  /** Answers to read as a revoked or insufficient key whatever class ccxt gave them. */
  keyRefusal: RegExp | null;
  /**
   * The venue's refusal of a signed request whose window had passed: nothing took effect, retryable.
   * ccxt maps it to InvalidNonce, which classifyExchangeError reads as retryable (test/venue-adapters.test.ts
   * holds ccxt to that); kept here so the code is written down beside the venue's other readings.
   */
  requestWindowCode: string;
}

/** The venue's own dead man's switch over ccxt: the request that arms it and how to read its answer. */
export interface VenueDeadMansSwitch {
  /** The ccxt method that arms the countdown (seconds; 0 disarms), bound to this client; undefined if this client has none. */
  request(exchange: Exchange): ((seconds: number) => Promise<unknown>) | undefined;
  /** The trigger time (epoch ms) in the venue's answer; NaN or 0 when it names none. */
  triggerMs(response: unknown): number;
}

/**
 * Everything adapter-side that differs between venues, one module per venue in this folder and
 * one entry per venue in `VENUES` (index.ts), so a venue without one of these is a type error.
 * ccxt unifies the rest. Pure venue rules the workflows also need (request windows, client order
 * id rules, which venues have a dead man's switch) stay in domain/.
 */
export interface VenueAdapter {
  /** ccxt's class for the venue, and the constructor settings that keep it spot-only (see ccxt-factory.ts). */
  ccxt: {
    class: CcxtClass;
    options: Record<string, unknown>;
    has?: Record<string, boolean>;
  };
  /**
   * The order this client order id names, open or recently closed, as ccxt parses it, or undefined
   * if the venue does not know it. Called with markets loaded; ccxt errors propagate unclassified.
   */
  findByClientOrderId(exchange: Exchange, symbol: string, clientOrderId: string): Promise<Order | undefined>;
  /** Extra params for fetchClosedOrders. */
  closedOrdersParams: Record<string, unknown>;
  /**
   * How to cancel every open order: `per-symbol` through ccxt's cancelAllOrders (where the client
   * has it), or `one-by-one`.
   */
  cancelAll: 'per-symbol' | 'one-by-one';
  /** The key's permissions from the venue's own endpoint(s), validated. */
  readKeyPermissions(exchange: Exchange): Promise<VenueKeyPermissions>;
  errors: VenueErrorReadings;
  /** The countdown call, or null for a venue with none for spot (domain/dead-mans-switch.ts says why). */
  deadMansSwitch: VenueDeadMansSwitch | null;
}
