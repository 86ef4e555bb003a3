/**
 * Deterministic client order ids. A workflow derives the id from its own state
 * before the order activity runs, so a retried or replayed placement carries
 * the same id and the venue (or our reconciliation) recognises the duplicate:
 * that is what stops a crash from double-placing an order.
 *
 * Shape: `wd` + 13 base-36 chars of a 64-bit FNV-1a hash of the session +
 * the order sequence in base 36. At most 26 lowercase letters and digits,
 * starting with a letter, which fits all three venues' rules at once.
 * Pure JS (BigInt), no node:crypto: this runs in the workflow sandbox.
 */
import type { Venue } from './market';

export interface ClientOrderIdInput {
  /** The trading session, e.g. `binance/main`. */
  session: string;
  /** The session's order sequence number: a non-negative integer that never repeats within the session. */
  runSeq: number;
  /**
   * Optional extra scope, e.g. the session's first run id. Set it if the
   * sequence can restart (a brand new workflow for the same session), so old
   * and new ids cannot collide.
   */
  epoch?: string;
}

const PREFIX = 'wd';
const HASH_CHARS = 13; // 36^13 > 2^64

/** Each venue's documented rule for client order ids. */
export const CLIENT_ORDER_ID_RULES: Readonly<Record<Venue, RegExp>> = {
  // newClientOrderId
  binance: /^[.A-Z:/a-z0-9_-]{1,36}$/,
  // clOrdId: 1-32 letters and digits; we also require a leading letter
  okx: /^[A-Za-z][A-Za-z0-9]{0,31}$/,
  // orderLinkId
  bybit: /^[A-Za-z0-9_-]{1,36}$/,
};

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** 64-bit FNV-1a over the string's UTF-16 code units (two bytes each, low byte first). */
export function fnv1a64(text: string): bigint {
  let h = FNV64_OFFSET;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    h = ((h ^ BigInt(unit & 0xff)) * FNV64_PRIME) & MASK64;
    h = ((h ^ BigInt(unit >>> 8)) * FNV64_PRIME) & MASK64;
  }
  return h;
}

/** Every id of a session starts with this; reconciliation uses it to recognise our own orders. */
export function clientOrderIdPrefix(session: string, epoch?: string): string {
  const scope = epoch === undefined ? session : `${session}\u0000${epoch}`;
  return PREFIX + fnv1a64(scope).toString(36).padStart(HASH_CHARS, '0');
}

export function isValidClientOrderId(venue: Venue, id: string): boolean {
  return CLIENT_ORDER_ID_RULES[venue].test(id);
}

export function clientOrderId(venue: Venue, input: ClientOrderIdInput): string {
  if (!Number.isSafeInteger(input.runSeq) || input.runSeq < 0) {
    throw new RangeError(`runSeq must be a non-negative safe integer, got ${input.runSeq}`);
  }
  if (input.session.length === 0) throw new RangeError('session must not be empty');
  const id = clientOrderIdPrefix(input.session, input.epoch) + input.runSeq.toString(36);
  // Cannot fail with the shape above; kept so a future change cannot silently break a venue.
  if (!isValidClientOrderId(venue, id)) throw new Error(`client order id ${id} breaks ${venue}'s rules`);
  return id;
}

/** The sequence number of one of this session's ids, or undefined if the id is not the session's. */
export function parseClientOrderId(id: string, session: string, epoch?: string): number | undefined {
  const prefix = clientOrderIdPrefix(session, epoch);
  if (!id.startsWith(prefix)) return undefined;
  const rest = id.slice(prefix.length);
  if (!/^[0-9a-z]{1,11}$/.test(rest)) return undefined;
  const seq = Number.parseInt(rest, 36);
  return Number.isSafeInteger(seq) && seq.toString(36) === rest ? seq : undefined;
}

/**
 * True for any id this desk's shape produces, whatever the session or epoch: reconciliation
 * tells the desk's own orders (cancel or adopt when unknown) from an operator's manual ones (left alone).
 */
export function isDeskClientOrderId(id: string): boolean {
  return new RegExp(`^${PREFIX}[0-9a-z]{${HASH_CHARS}}[0-9a-z]{1,11}$`).test(id);
}
