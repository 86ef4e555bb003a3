import {
  AccountSuspended,
  AuthenticationError,
  BadRequest,
  BadSymbol,
  DuplicateOrderId,
  DDoSProtection,
  ExchangeError,
  InsufficientFunds,
  InvalidNonce,
  InvalidOrder,
  NetworkError,
  OrderNotFound,
  PermissionDenied,
  RateLimitExceeded,
} from 'ccxt';
import { sanitize } from '../redact';
import { venueAdapter } from './venues';
import { errorMessage } from '../../domain/error-message';

/**
 * The few kinds of exchange failure a workflow can act on:
 * - retryable: network, rate limit, maintenance; try again later. For a request that
 *   changes state, it also means the venue refused it: it did not take effect.
 * - auth: revoked or insufficient key; stop trading (the seed's "bot stops on 401").
 * - rejected: insufficient funds, invalid order; never retry the same request.
 * - unknown_outcome: the request may or may not have taken effect; look the order up by client id.
 */
export type GatewayErrorKind = 'retryable' | 'auth' | 'rejected' | 'unknown_outcome';

/** Error type names as they appear in Temporal failures, so retry policies can name them. */
export const GATEWAY_ERROR_TYPES: Record<GatewayErrorKind, string> = {
  retryable: 'ExchangeRetryable',
  auth: 'ExchangeAuth',
  rejected: 'ExchangeRejected',
  unknown_outcome: 'ExchangeUnknownOutcome',
};

export class GatewayError extends Error {
  constructor(
    readonly kind: GatewayErrorKind,
    readonly venue: string,
    readonly ccxtClass: string,
    message: string,
    /** The venue said the call came from an address outside the key's IP whitelist. */
    readonly ipRefused = false,
  ) {
    super(sanitize(message));
    this.name = GATEWAY_ERROR_TYPES[kind];
  }
}

/**
 * The venue's own answer to a call from outside the key's IP whitelist (okx 50110, bybit 10010;
 * each venue's reading is in venues/). binance folds it into -2015 with a bad key and missing
 * rights, so it cannot be told apart there.
 */
export function isIpRefusal(venue: string, message: string): boolean {
  return venueAdapter(venue)?.errors.ipRefusal?.test(message) ?? false;
}

/**
 * Maps a ccxt error into one of the kinds. `mutating` marks a request that
 * changes state at the venue (placing an order): a network failure there leaves
 * the outcome unknown rather than merely retryable.
 */
export function classifyExchangeError(err: unknown, venue: string, mutating: boolean): GatewayError {
  if (err instanceof GatewayError) return err;
  const cls = err instanceof Error ? err.constructor.name : 'unknown';
  const message = errorMessage(err);
  const make = (kind: GatewayErrorKind) => new GatewayError(kind, venue, cls, `${venue} ${cls}: ${message}`);
  if (isIpRefusal(venue, message)) return new GatewayError('auth', venue, cls, `${venue} ${cls}: ${message}`, true);
  if (err instanceof AuthenticationError || err instanceof PermissionDenied || err instanceof AccountSuspended) return make('auth');
  // A venue answer that means the key whatever class ccxt gave it (binance -2015, which ccxt reads as a
  // temporary ban after an earlier success, is also exactly what a revoked key answers).
  if (venueAdapter(venue)?.errors.keyRefusal?.test(message)) return make('auth');
  // The venue's own refusal of this request, before doing anything with it: its window had
  // passed (each venue's requestWindowCode: binance -1021, okx 50102, bybit 10002, all InvalidNonce
  // in ccxt), or the rate limit. Nothing took effect.
  if (err instanceof InvalidNonce || err instanceof RateLimitExceeded || err instanceof DDoSProtection) return make('retryable');
  if (err instanceof NetworkError) return make(mutating ? 'unknown_outcome' : 'retryable');
  if (err instanceof DuplicateOrderId) return make('unknown_outcome');
  if (err instanceof InsufficientFunds || err instanceof InvalidOrder || err instanceof BadSymbol || err instanceof BadRequest || err instanceof OrderNotFound) {
    return make('rejected');
  }
  if (err instanceof ExchangeError) return make(mutating ? 'unknown_outcome' : 'retryable');
  // Not a ccxt error at all (a bug, a socket reset below ccxt): safest is to look before acting again.
  return make(mutating ? 'unknown_outcome' : 'retryable');
}
