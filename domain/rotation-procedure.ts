/**
 * A credential rotation's steps (workflows/rotation.ts) as a pure state machine: from the step it
 * is at and what just happened (the operator staged a key, the venue audit answered, the new key
 * worked or not), the next step and what to do there. The workflow runs the effects (activities,
 * timers, the operator waits) and feeds back the event the last one yields; an event a step does
 * not expect changes nothing. Which staged key is refused, and how each failure is reported, is
 * decided here.
 */
import type { Finding } from './key-audit';
import type { AlertName, AlertSeverity } from './severity';

/** The steps, as contracts/rotation.ts's RotationStatus names them. */
export const ROTATION_STEPS = [
  'awaiting_pending',
  'auditing',
  'promoting',
  'verifying',
  'settling',
  'awaiting_revocation',
  'completed',
  'rejected',
  'rolled_back',
  'timed_out',
  'revocation_unconfirmed',
] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

const FINISHED: ReadonlySet<RotationStep> = new Set(['completed', 'rejected', 'rolled_back', 'timed_out', 'revocation_unconfirmed']);
export const rotationFinished = (s: RotationProcedure): boolean => FINISHED.has(s.status);

export interface RotationProcedure {
  status: RotationStep;
  /** The venue as operators read it ("Binance"). */
  venue: string;
  /** Fingerprints, never keys. */
  currentKey: string;
  pendingKey?: string;
}

export type RotationEvent =
  | { type: 'staged'; by: string }
  | { type: 'stage_timed_out' }
  | { type: 'pending_audit_failed'; reason: string }
  | { type: 'pending_audited'; pendingKey?: string; findings: Finding[] }
  | { type: 'promotion_refused'; reason: string }
  | { type: 'promoted'; fingerprint: string; versionId: string; alreadyPromoted: boolean }
  /** `check`: what worked with the new key ("account snapshot"). */
  | { type: 'verified'; check: string }
  /** The workflow rolls back as part of the verification: `restoredKey` is live again. */
  | { type: 'verification_failed'; reason: string; restoredKey: string }
  | { type: 'settled' }
  | { type: 'revoked'; by: string }
  | { type: 'revocation_timed_out' };

export type RotationEffect =
  /** A `config_change` audit event; `by` the operator who answered, else the rotation itself. */
  | { kind: 'audit'; step: string; detail: string; by?: string }
  | { kind: 'ask_to_stage' }
  | { kind: 'await_stage' }
  /** Drop this worker's cached secret: before reading AWSPENDING, or the old key once promoted (audited). */
  | { kind: 'forget_cached_key'; which: 'before_pending_read' | 'old_key' }
  | { kind: 'audit_pending_key' }
  | { kind: 'promote'; fingerprint: string }
  | { kind: 'verify' }
  /** Let every worker's secrets cache expire before the old key goes. */
  | { kind: 'settle' }
  | { kind: 'ask_to_revoke' }
  | { kind: 'await_revocation' }
  /** The outcome is audited under the final status; `alert` pages with it. */
  | { kind: 'end'; outcome: string; alert?: { name: Extract<AlertName, 'key_audit_finding' | 'rotation_due'>; severity: AlertSeverity } };

export interface RotationTransition {
  state: RotationProcedure;
  effects: RotationEffect[];
}

export function startRotation(r: { venue: string; currentKey: string; reason: string; createdAt: string }): RotationTransition {
  return {
    state: { status: 'awaiting_pending', venue: r.venue, currentKey: r.currentKey },
    effects: [{ kind: 'audit', step: 'started', detail: `${r.reason}; current key ${r.currentKey} created ${r.createdAt}` }, { kind: 'ask_to_stage' }, { kind: 'await_stage' }],
  };
}

/** A staged key the venue audit refuses (the current key stays), or the warnings it is accepted with. */
export type StagedKeyVerdict = { accepted: false; outcome: string; severity: AlertSeverity } | { accepted: true; detail: string };

export function judgeStagedKey(currentKey: string, pendingKey: string | undefined, findings: Finding[]): StagedKeyVerdict {
  if (!pendingKey || pendingKey === currentKey) return { accepted: false, outcome: `the staged key is the current key ${currentKey}; stage a NEW key`, severity: 'WARNING' };
  const critical = findings.filter((f) => f.severity === 'CRITICAL');
  if (critical.length) {
    return { accepted: false, outcome: `staged key ${pendingKey} REJECTED, the current key stays: ${critical.map((f) => f.message).join(' ')}`, severity: 'CRITICAL' };
  }
  const warnings = findings.filter((f) => f.severity === 'WARNING');
  return { accepted: true, detail: warnings.length ? `accepted with ${warnings.length} warning(s): ${warnings.map((f) => f.message).join(' ')}` : 'no findings' };
}

export function rotationTransition(s: RotationProcedure, e: RotationEvent): RotationTransition {
  const to = (status: RotationStep, effects: RotationEffect[], patch: Partial<RotationProcedure> = {}): RotationTransition => ({ state: { ...s, ...patch, status }, effects });
  const fail = (status: RotationStep, outcome: string, severity: AlertSeverity = 'CRITICAL', patch: Partial<RotationProcedure> = {}) =>
    to(status, [{ kind: 'end', outcome, alert: { name: status === 'rejected' ? 'key_audit_finding' : 'rotation_due', severity } }], patch);

  switch (s.status) {
    case 'awaiting_pending':
      if (e.type === 'staged') {
        return to('auditing', [
          { kind: 'audit', step: 'pending_stored', detail: `staged key reported by ${e.by}`, by: e.by },
          { kind: 'forget_cached_key', which: 'before_pending_read' },
          { kind: 'audit_pending_key' },
        ]);
      }
      if (e.type === 'stage_timed_out') return fail('timed_out', 'nobody staged a new key in time; the current key stays and is still due');
      break;
    case 'auditing':
      if (e.type === 'pending_audit_failed') return fail('rejected', `the staged key could not be audited (${e.reason}); the current key stays`);
      if (e.type === 'pending_audited') {
        const verdict = judgeStagedKey(s.currentKey, e.pendingKey, e.findings);
        if (!verdict.accepted) return fail('rejected', verdict.outcome, verdict.severity, { pendingKey: e.pendingKey });
        return to('promoting', [{ kind: 'audit', step: 'pending_audited', detail: verdict.detail }, { kind: 'promote', fingerprint: e.pendingKey! }], { pendingKey: e.pendingKey });
      }
      break;
    case 'promoting':
      if (e.type === 'promotion_refused') return fail('rejected', `promotion refused (${e.reason}); the current key stays`);
      if (e.type === 'promoted') {
        return to('verifying', [
          { kind: 'audit', step: 'promoted', detail: `AWSCURRENT is now ${e.fingerprint} (version ${e.versionId || '-'})${e.alreadyPromoted ? ', found already promoted' : ''}` },
          { kind: 'forget_cached_key', which: 'old_key' },
          { kind: 'verify' },
        ]);
      }
      break;
    case 'verifying':
      if (e.type === 'verified') return to('settling', [{ kind: 'audit', step: 'verified', detail: `${e.check} succeeded with ${s.pendingKey}` }, { kind: 'settle' }]);
      if (e.type === 'verification_failed') {
        return fail('rolled_back', `the new key ${s.pendingKey} failed verification (${e.reason}); rolled back to ${e.restoredKey}. Do NOT revoke the old key`);
      }
      break;
    case 'settling':
      if (e.type === 'settled') {
        return to('awaiting_revocation', [{ kind: 'audit', step: 'revocation_requested', detail: `old key ${s.currentKey}` }, { kind: 'ask_to_revoke' }, { kind: 'await_revocation' }]);
      }
      break;
    case 'awaiting_revocation':
      if (e.type === 'revoked') {
        return to('completed', [
          { kind: 'audit', step: 'old_key_revoked', detail: `old key ${s.currentKey} revoked at ${s.venue}, confirmed by ${e.by}`, by: e.by },
          { kind: 'end', outcome: `rotated ${s.currentKey} -> ${s.pendingKey}` },
        ]);
      }
      if (e.type === 'revocation_timed_out') return fail('revocation_unconfirmed', `nobody confirmed revoking the old key ${s.currentKey}; it may still be live at ${s.venue}`);
      break;
    default:
      // Finished: nothing moves it again.
      break;
  }
  return { state: s, effects: [] };
}
