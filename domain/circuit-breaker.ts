/**
 * The desk's circuit breaker as a pure state machine. Open means no new orders.
 * It opens on its own (auth failure, repeated exchange failures, a loss limit)
 * but only an operator closes it: there is no half-open state and no timer,
 * because a desk that re-arms itself can keep losing money unattended.
 */

export type TripCause = 'daily_loss' | 'max_drawdown' | 'auth' | 'exchange_failures' | 'manual' | 'incident' | 'key_audit';

/** `auth`: the venue refused our key (trip at once). `retryable`: timeouts, 5xx, rate limits (count them). */
export type FailureKind = 'auth' | 'retryable';

export const DEFAULT_FAILURE_THRESHOLD = 5;

export interface BreakerState {
  status: 'closed' | 'open';
  reason?: string;
  /** ISO time it opened. */
  openedAt?: string;
  trippedBy?: TripCause;
  /** Retryable failures since the last success. */
  consecutiveFailures: number;
  /** Operator who last re-armed it, for the audit trail. */
  rearmedBy?: string;
}

export function initialBreaker(): BreakerState {
  return { status: 'closed', consecutiveFailures: 0 };
}

export function isOpen(state: BreakerState): boolean {
  return state.status === 'open';
}

/**
 * Opens the breaker. If it is already open the first cause is kept: the root
 * cause is what the operator needs to read, not the last symptom.
 */
export function trip(state: BreakerState, by: TripCause, reason: string, nowIso: string): BreakerState {
  if (state.status === 'open') return state;
  return { ...state, status: 'open', trippedBy: by, reason, openedAt: nowIso };
}

/**
 * Counts an exchange failure. An auth failure means the key was revoked or is
 * wrong (the guide's kill switch is deleting the key): trip immediately.
 * `threshold` consecutive retryable failures trip it too.
 */
export function recordFailure(state: BreakerState, kind: FailureKind, nowIso: string, threshold = DEFAULT_FAILURE_THRESHOLD): BreakerState {
  const counted = { ...state, consecutiveFailures: state.consecutiveFailures + 1 };
  if (kind === 'auth') return trip(counted, 'auth', 'exchange rejected the API key (authentication error)', nowIso);
  const limit = Math.max(1, Math.floor(threshold));
  if (counted.consecutiveFailures >= limit) {
    return trip(counted, 'exchange_failures', `${counted.consecutiveFailures} consecutive exchange failures (threshold ${limit})`, nowIso);
  }
  return counted;
}

/** A successful exchange call resets the failure count; it never closes an open breaker. */
export function recordSuccess(state: BreakerState): BreakerState {
  return state.consecutiveFailures === 0 ? state : { ...state, consecutiveFailures: 0 };
}

/** The operator's explicit re-arm: closed, counters cleared, cause forgotten except who re-armed. */
export function rearm(_state: BreakerState, by: string): BreakerState {
  return { status: 'closed', consecutiveFailures: 0, rearmedBy: by };
}

// ---- key audits (guide section 2): a key that can move funds halts trading until a clean audit --------

/** One completed audit of an account's keys, as the session remembers it. */
export interface KeyAuditOutcome {
  auditId: string;
  /** ISO time the audit completed. */
  at: string;
  critical: boolean;
}

/** What a session knows of its account's key audits; carried across continue-as-new. */
export interface KeyAuditHistory<T extends KeyAuditOutcome = KeyAuditOutcome> {
  last?: T;
  /** Latest completed audit with no CRITICAL finding. */
  lastCleanAuditAt?: string;
  /** Latest completed audit with a CRITICAL finding. */
  lastCriticalAuditAt?: string;
}

/** The operator's way to run the audit that re-arms: the daily `key-audit` schedule, now. */
export const KEY_AUDIT_RERUN_COMMAND = 'temporal schedule trigger --schedule-id key-audit';

const later = (a: string | undefined, b: string | undefined): string | undefined => {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
};

/** Folds one audit in. Results may arrive out of order, so each time only ever moves forward. */
export function recordKeyAudit<T extends KeyAuditOutcome>(history: KeyAuditHistory<T>, outcome: T): KeyAuditHistory<T> {
  const newest = history.last === undefined || Date.parse(outcome.at) >= Date.parse(history.last.at);
  return {
    last: newest ? outcome : history.last,
    lastCleanAuditAt: outcome.critical ? history.lastCleanAuditAt : later(history.lastCleanAuditAt, outcome.at),
    lastCriticalAuditAt: outcome.critical ? later(history.lastCriticalAuditAt, outcome.at) : history.lastCriticalAuditAt,
  };
}

/**
 * Why the operator may not re-arm yet, or undefined when the key audits allow it.
 * A breaker tripped by a key audit needs a clean audit completed after it opened;
 * and whatever opened the breaker, a CRITICAL finding not followed by a clean
 * audit still stands (a breaker already open for a loss keeps its first cause).
 */
export function keyAuditRearmRefusal(breaker: BreakerState, history: KeyAuditHistory): string | undefined {
  const tripped = breaker.status === 'open' && breaker.trippedBy === 'key_audit';
  const requiredAfter = later(tripped ? breaker.openedAt : undefined, history.lastCriticalAuditAt);
  if (!tripped && requiredAfter === undefined) return undefined;
  const clean = history.lastCleanAuditAt;
  if (clean !== undefined && (requiredAfter === undefined || Date.parse(clean) > Date.parse(requiredAfter))) return undefined;
  return (
    `key audit: a clean audit is required after ${requiredAfter ?? 'the trip'} (last clean audit: ${clean ?? 'none'}); ` +
    `disable withdrawal and transfer rights on the key (and use a separate read-only monitoring key), check with \`warden keys audit\`, ` +
    `then run the desk's key audit, which re-arms: \`${KEY_AUDIT_RERUN_COMMAND}\``
  );
}
