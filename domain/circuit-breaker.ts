/**
 * The desk's circuit breaker as a pure state machine. Open means no new orders.
 * It opens on its own (auth failure, repeated exchange failures, a loss limit)
 * but only an operator closes it: there is no half-open state and no timer,
 * because a desk that re-arms itself can keep losing money unattended.
 */

export type TripCause = 'daily_loss' | 'max_drawdown' | 'auth' | 'exchange_failures' | 'manual' | 'incident';

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
