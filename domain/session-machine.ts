/**
 * The trading session's control state as a pure state machine: an event in (a read or placement
 * failure, a loss limit, an operator's request, a key audit, a stop, a rebalance's end), the new
 * state and the effects to run out. The workflow runs the effects (activities, alerts, wake-ups);
 * every decision about the breaker, the mode, the isolation and the rebalance wait is made here.
 * domain/trading-state.ts folds this state into active / reducing / halted / stopped / isolated.
 */
import {
  isOpen,
  rearm,
  recordFailure,
  recordKeyAudit,
  recordSuccess,
  trip,
  type BreakerState,
  type FailureKind,
  type KeyAuditHistory,
  type TripCause,
} from './circuit-breaker';
import { keyAuditHaltIncident, type KeyAuditResultMessage } from './key-audit';
import type { AlertName, IncidentSeverity } from './severity';
import { mayStartRebalance } from './trading-state';

/** Credentials isolated by SEV-1 containment; an isolation predating incident ids lists `unattributed`. */
export interface Isolation {
  incidents: string[];
  reason: string;
  at: string;
}

export const UNATTRIBUTED_ISOLATION = 'unattributed';

export interface SessionControl {
  mode: 'trading' | 'paused' | 'stopped';
  breaker: BreakerState;
  keyAudit: KeyAuditHistory<KeyAuditResultMessage>;
  /** The rebalance workflow trading waits for, while it waits. */
  rebalancing?: string;
  isolation?: Isolation;
  /** A kill switch ran in this run and no resume followed (not carried: a carried `stopped` mode says the same). */
  stopRequested: boolean;
  /** A stop whose cancels the venue has not confirmed yet: every tick tries them again. */
  cancelPending?: PendingStop;
}

/** The stop request a pending cancel retries (contracts/session.ts's StopRequest). */
export interface PendingStop {
  by: string;
  reason: string;
  isolate?: boolean;
  incidentId?: string;
  stopId?: string;
}

export type SessionEvent =
  /** An account read or a placement failed; `legacyRetrip` replays runs that re-tripped an open breaker on every failure. */
  | { type: 'exchange_failed'; kind: FailureKind; threshold?: number; legacyRetrip?: boolean }
  | { type: 'read_succeeded' }
  | { type: 'loss_limit'; rule: 'daily_loss' | 'max_drawdown'; reason: string }
  | { type: 'force_open'; by: string; reason: string }
  | { type: 'key_audit'; result: KeyAuditResultMessage }
  | { type: 'pause'; by: string; reason: string }
  | { type: 'resume'; by: string; reason: string; approvedIncident?: string }
  /** The kill switch: nothing new is placed from here on; `isolate` comes after its cancels, as its own event. */
  | { type: 'stop' }
  | { type: 'cancels_unconfirmed'; stop: PendingStop }
  | { type: 'cancels_confirmed' }
  | { type: 'isolate'; incident: string; reason: string; attributed: boolean }
  | { type: 'low_balance'; warmBalanceUsd: number }
  | { type: 'rebalance_started'; id: string; detail: string }
  | { type: 'rebalance_ended'; id: string; by: string; outcome?: 'completed' | 'rejected' | 'timed_out' };

export type SessionEffect =
  /** Audit the breaker opening, cancel every open order (unless the key is gone), alert. */
  | { type: 'halt'; cause: TripCause; reason: string; by?: string; cancel: boolean; alert: AlertName; keyAuditIncident?: IncidentSeverity | null }
  /** A CRITICAL key audit on a breaker already open for another cause: it keeps that cause, the finding still gets its incident. */
  | { type: 'alert_already_halted'; reason: string; keyAuditIncident: IncidentSeverity | null }
  | { type: 'audit_breaker_closed'; by: string; reason: string }
  | { type: 'session_event'; event: string; detail: string }
  | { type: 'start_rebalance'; warmBalanceUsd: number }
  /** Look at the account again now instead of at the next tick. */
  | { type: 'wake' };

export interface Transition {
  state: SessionControl;
  effects: SessionEffect[];
}

const none = (state: SessionControl): Transition => ({ state, effects: [] });

function haltEffect(cause: TripCause, reason: string, extra: Partial<Extract<SessionEffect, { type: 'halt' }>> = {}): SessionEffect {
  return { type: 'halt', cause, reason, cancel: cause !== 'auth', alert: cause === 'daily_loss' ? 'daily_loss_limit' : 'circuit_breaker_triggered', ...extra };
}

/** Opens the breaker and halts; a breaker already open keeps its first cause and nothing runs again. */
function halt(state: SessionControl, cause: TripCause, reason: string, nowIso: string, extra: Partial<Extract<SessionEffect, { type: 'halt' }>> = {}): Transition {
  if (isOpen(state.breaker)) return none(state);
  return { state: { ...state, breaker: trip(state.breaker, cause, reason, nowIso) }, effects: [haltEffect(cause, reason, extra)] };
}

export function transition(state: SessionControl, event: SessionEvent, nowIso: string): Transition {
  switch (event.type) {
    case 'exchange_failed': {
      const wasOpen = isOpen(state.breaker);
      const breaker = recordFailure(state.breaker, event.kind, nowIso, event.threshold);
      if (!isOpen(breaker)) return none({ ...state, breaker });
      if (!wasOpen) return { state: { ...state, breaker }, effects: [haltEffect(breaker.trippedBy ?? 'exchange_failures', breaker.reason ?? 'exchange failures')] };
      if (!event.legacyRetrip) return none({ ...state, breaker });
      // Runs recorded before the breaker halted once re-tripped it (audit, cancel, alert) on every failure.
      return halt({ ...state, breaker: { ...breaker, status: 'closed' } }, breaker.trippedBy ?? 'exchange_failures', breaker.reason ?? 'exchange failures', nowIso);
    }
    case 'read_succeeded':
      return none({ ...state, breaker: recordSuccess(state.breaker) });
    case 'loss_limit':
      return halt(state, event.rule, event.reason, nowIso);
    case 'force_open': {
      const t = halt(state, 'manual', `forced open by ${event.by}: ${event.reason}`, nowIso, { by: event.by });
      return { state: t.state, effects: [...t.effects, { type: 'wake' }] };
    }
    case 'key_audit': {
      const result = event.result;
      const next = { ...state, keyAudit: recordKeyAudit(state.keyAudit, result) };
      if (!result.critical) return none(next);
      const why = result.findings.filter((f) => f.severity === 'CRITICAL').map((f) => f.message).join('; ');
      const reason = `key audit ${result.auditId}: ${why}`;
      const keyAuditIncident = keyAuditHaltIncident(result.findings);
      if (isOpen(next.breaker)) return { state: next, effects: [{ type: 'wake' }, { type: 'alert_already_halted', reason, keyAuditIncident }] };
      const t = halt(next, 'key_audit', reason, nowIso, { keyAuditIncident });
      return { state: t.state, effects: [{ type: 'wake' }, ...t.effects] };
    }
    case 'pause':
      return { state: state.mode === 'trading' ? { ...state, mode: 'paused' } : state, effects: [{ type: 'session_event', event: 'paused', detail: `by ${event.by}: ${event.reason}` }] };
    case 'resume':
      return resume(state, event);
    case 'stop':
      // The kill switch's own procedure (workflows/session/kill-switch.ts) cancels at once: it is not an effect to queue.
      return none({ ...state, mode: 'stopped', stopRequested: true });
    case 'cancels_unconfirmed':
      return { state: { ...state, cancelPending: event.stop }, effects: [{ type: 'wake' }] };
    case 'cancels_confirmed':
      return none({ ...state, cancelPending: undefined });
    case 'isolate': {
      // Who isolated it, so only that incident's approveResume lifts it (a second SEV-1 adds its own claim).
      const breaker = trip(state.breaker, 'incident', `credentials isolated: ${event.reason}`, nowIso);
      if (!event.attributed) return none({ ...state, breaker });
      const held = state.isolation;
      const isolation = held
        ? { ...held, incidents: held.incidents.includes(event.incident) ? held.incidents : [...held.incidents, event.incident] }
        : { incidents: [event.incident], reason: event.reason, at: nowIso };
      return none({ ...state, breaker, isolation });
    }
    case 'low_balance':
      return mayStartRebalance(state) ? { state: { ...state, mode: 'paused' }, effects: [{ type: 'start_rebalance', warmBalanceUsd: event.warmBalanceUsd }] } : none(state);
    case 'rebalance_started':
      return { state: { ...state, rebalancing: event.id }, effects: [{ type: 'session_event', event: 'rebalance_started', detail: event.detail }] };
    case 'rebalance_ended': {
      if (state.rebalancing !== event.id) return none(state);
      const ended = { ...state, rebalancing: undefined };
      if (event.outcome && event.outcome !== 'completed') {
        // No top-up came: trading stays paused for an operator, and a later low balance may start a new procedure.
        const detail = `${event.id} ${event.outcome.replace('_', ' ')} (by ${event.by}); trading stays paused until an operator resumes`;
        return { state: ended, effects: [{ type: 'session_event', event: 'rebalance_ended', detail }] };
      }
      return {
        state: ended.mode === 'paused' ? { ...ended, mode: 'trading' } : ended,
        effects: [{ type: 'wake' }, { type: 'session_event', event: 'rebalance_done', detail: `${event.id} confirmed by ${event.by}; trading resumes` }],
      };
    }
  }
}

function resume(state: SessionControl, event: Extract<SessionEvent, { type: 'resume' }>): Transition {
  // An incident's approval releases its own claim; another SEV-1 still isolating keeps the session stopped.
  if (state.isolation) {
    const approved = event.approvedIncident ?? '';
    const left = state.isolation.incidents.filter((i) => i !== approved && i !== UNATTRIBUTED_ISOLATION);
    if (left.length) {
      return {
        state: { ...state, isolation: { ...state.isolation, incidents: left } },
        effects: [{ type: 'session_event', event: 'isolation_released', detail: `by ${event.by} for ${approved}; still isolated by ${left.join(', ')}` }],
      };
    }
  }
  const effects: SessionEffect[] = [{ type: 'wake' }];
  if (isOpen(state.breaker)) effects.push({ type: 'audit_breaker_closed', by: event.by, reason: event.reason });
  effects.push({ type: 'session_event', event: 'resumed', detail: `by ${event.by}: ${event.reason}` });
  return { state: { ...state, isolation: undefined, breaker: rearm(state.breaker, event.by), mode: 'trading', stopRequested: false, cancelPending: undefined }, effects };
}

/**
 * Why a resume may not lift a SEV-1 isolation: no other Update may undo the incident's gate, so it
 * needs the approval of an incident that isolated the session (its approveResume passes its id).
 * A breaker opened by isolation before incident ids were recorded accepts any incident's approval.
 */
export function isolationResumeRefusal(isolation: Isolation | undefined, breaker: BreakerState, approvedIncident: string | undefined): string | undefined {
  const legacy = !isolation && breaker.status === 'open' && breaker.trippedBy === 'incident';
  if (!isolation && !legacy) return undefined;
  const owners = isolation?.incidents ?? [UNATTRIBUTED_ISOLATION];
  if (approvedIncident !== undefined && (owners.includes(approvedIncident) || owners.includes(UNATTRIBUTED_ISOLATION))) return undefined;
  const named = owners.filter((o) => o !== UNATTRIBUTED_ISOLATION);
  return (
    `isolation: credentials isolated by SEV-1 incident ${named.join(', ') || '(unrecorded)'}; ` +
    `only that incident's approveResume resumes this session (warden incident resume ${named[0] ?? '<id>'} --reason ...)`
  );
}

/** Every event type, for the exhaustive transition tests. */
export const SESSION_EVENT_TYPES = [
  'exchange_failed',
  'read_succeeded',
  'loss_limit',
  'force_open',
  'key_audit',
  'pause',
  'resume',
  'stop',
  'cancels_unconfirmed',
  'cancels_confirmed',
  'isolate',
  'low_balance',
  'rebalance_started',
  'rebalance_ended',
] as const satisfies ReadonlyArray<SessionEvent['type']>;
