/**
 * The incident runbook (seed section 7) as a pure state machine, run by workflows/incident.ts:
 *
 *   Detection: alert, wait for an acknowledgement (escalating), verify it is real.
 *   Containment: stop the affected sessions and cancel their orders; automatic for SEV-1/2
 *     (before anyone acknowledges), proposed to the operator for SEV-3/4.
 *   Investigation: collect evidence, ask for and wait for the operator's findings.
 *   Recovery: rotate compromised keys, reconcile, resume only on approval, then close with the
 *     post-incident report (a false positive closes from detection, with a report only if it
 *     was contained).
 *
 * From the step it is at and what just happened, the next step and what to do there. The
 * workflow runs the effects in order and feeds back the event the last one yields. Events that
 * read live state ('verify', 'check_keys') are effects of their own, run right where the runbook
 * decides, so an answer that lands while an earlier step runs still counts. An event a step does
 * not expect changes nothing.
 */
import { formatDuration } from './duration';
import type { IncidentSeverity } from './severity';

/** The runbook's phases, as contracts/incident.ts's IncidentPhase names them. */
export type RunbookPhase = 'detection' | 'containment' | 'investigation' | 'recovery' | 'closed';

export const INCIDENT_STEPS = ['awaiting_ack', 'verifying', 'awaiting_containment_decision', 'awaiting_findings', 'checking_keys', 'awaiting_resume', 'closed'] as const;
export type IncidentStep = (typeof INCIDENT_STEPS)[number];

export interface IncidentProcedure {
  step: IncidentStep;
  severity: IncidentSeverity;
}

/** SEV-1/2 contain at once: minutes matter more than a confirmation. */
export const containsAutomatically = (severity: IncidentSeverity): boolean => severity === 'SEV-1' || severity === 'SEV-2';

export type IncidentEvent =
  | { type: 'acknowledged'; by: string }
  /** The acknowledgement wait ended without one (escalations exhausted, or marked a false positive). */
  | { type: 'not_acknowledged' }
  | { type: 'false_positive' }
  | { type: 'confirmed_real' }
  | { type: 'containment_approved'; by: string }
  | { type: 'containment_declined'; by: string }
  | { type: 'containment_unanswered'; afterMs: number }
  | { type: 'findings_recorded' }
  | { type: 'findings_missing'; afterMs: number }
  | { type: 'keys_compromised' }
  | { type: 'keys_not_compromised' }
  | { type: 'resume_approved'; by: string; reason: string }
  | { type: 'resume_unanswered' };

export type IncidentEffect =
  /** Timeline entry and audit event, in the current phase. */
  | { kind: 'note'; event: string }
  /** Move to a phase (search attribute, timeline). */
  | { kind: 'enter'; phase: RunbookPhase; event: string }
  /** Detection: the opening timeline entry and an alert on every channel. */
  | { kind: 'announce' }
  /** Escalate until someone acknowledges; yields acknowledged / not_acknowledged. */
  | { kind: 'await_ack' }
  /** The pager's incident follows ours; `by` absent means the incident itself. */
  | { kind: 'tell_pager'; action: 'acknowledge' | 'resolve'; by?: string; note: string }
  /** Detection's last step: was it marked a false positive? Yields false_positive / confirmed_real. */
  | { kind: 'verify' }
  /** Enter containment: stop the sessions, cancel their orders, assess the damage; SEV-1 also isolates the keys. */
  | { kind: 'contain'; why: string }
  | { kind: 'propose_containment' }
  | { kind: 'await_containment_decision' }
  | { kind: 'collect_evidence' }
  | { kind: 'ask_findings' }
  | { kind: 'await_findings' }
  /** Did the findings say the keys were compromised? Yields keys_compromised / keys_not_compromised. */
  | { kind: 'check_keys' }
  | { kind: 'request_rotation' }
  | { kind: 'reconcile' }
  | { kind: 'ask_resume' }
  | { kind: 'await_resume' }
  | { kind: 'resume'; by: string; reason: string }
  | { kind: 'write_report' };

export interface IncidentTransition {
  state: IncidentProcedure;
  effects: IncidentEffect[];
}

export function openIncident(severity: IncidentSeverity): IncidentTransition {
  return {
    state: { step: 'awaiting_ack', severity },
    effects: [{ kind: 'announce' }, ...(containsAutomatically(severity) ? [{ kind: 'contain' as const, why: `automatic for ${severity}` }] : []), { kind: 'await_ack' }],
  };
}

export function incidentTransition(s: IncidentProcedure, e: IncidentEvent): IncidentTransition {
  const to = (step: IncidentStep, effects: IncidentEffect[]): IncidentTransition => ({ state: { ...s, step }, effects });
  const investigate = (first: IncidentEffect[] = []) =>
    to('awaiting_findings', [
      ...first,
      { kind: 'enter', phase: 'investigation', event: 'collecting audit events, key audit, operator attempts and trade history' },
      { kind: 'collect_evidence' },
      { kind: 'ask_findings' },
      { kind: 'await_findings' },
    ]);
  const recover = (first: IncidentEffect[] = []) => to('checking_keys', [...first, { kind: 'enter', phase: 'recovery', event: 'reconciling positions; resume needs explicit approval' }, { kind: 'check_keys' }]);
  const askToResume = (first: IncidentEffect[]) => to('awaiting_resume', [...first, { kind: 'reconcile' }, { kind: 'ask_resume' }, { kind: 'await_resume' }]);
  const close = (how: string, report: boolean, first: IncidentEffect[] = []) =>
    to('closed', [
      ...first,
      { kind: 'enter', phase: 'closed', event: `closed: ${how}` },
      { kind: 'tell_pager', action: 'resolve', note: `closed: ${how}` },
      ...(report ? [{ kind: 'write_report' as const }] : []),
    ]);

  switch (s.step) {
    case 'awaiting_ack':
      if (e.type === 'acknowledged') return to('verifying', [{ kind: 'tell_pager', action: 'acknowledge', by: e.by, note: `acknowledged by ${e.by}` }, { kind: 'verify' }]);
      if (e.type === 'not_acknowledged') return to('verifying', [{ kind: 'verify' }]);
      break;
    case 'verifying':
      // A false positive nobody contained leaves nothing to report.
      if (e.type === 'false_positive') return close('false positive', containsAutomatically(s.severity));
      if (e.type === 'confirmed_real') {
        if (containsAutomatically(s.severity)) return investigate();
        return to('awaiting_containment_decision', [
          { kind: 'enter', phase: 'containment', event: 'containment proposed: stop the affected sessions and cancel their orders' },
          { kind: 'propose_containment' },
          { kind: 'await_containment_decision' },
        ]);
      }
      break;
    case 'awaiting_containment_decision':
      if (e.type === 'containment_approved') return investigate([{ kind: 'contain', why: `confirmed by ${e.by}` }]);
      if (e.type === 'containment_declined') return investigate([{ kind: 'note', event: `containment declined by ${e.by}` }]);
      if (e.type === 'containment_unanswered') return investigate([{ kind: 'note', event: `containment not confirmed in ${formatDuration(e.afterMs)}: sessions keep running` }]);
      break;
    case 'awaiting_findings':
      if (e.type === 'findings_recorded') return recover();
      if (e.type === 'findings_missing') return recover([{ kind: 'note', event: `no findings recorded within ${formatDuration(e.afterMs)}` }]);
      break;
    case 'checking_keys':
      if (e.type === 'keys_compromised') return askToResume([{ kind: 'request_rotation' }]);
      if (e.type === 'keys_not_compromised') return askToResume([]);
      break;
    case 'awaiting_resume':
      if (e.type === 'resume_approved') return close('recovered', true, [{ kind: 'resume', by: e.by, reason: e.reason }]);
      if (e.type === 'resume_unanswered') return close('recovered', true, [{ kind: 'note', event: 'no resume approval within the recovery window: trading stays stopped' }]);
      break;
    case 'closed':
      break;
  }
  return { state: s, effects: [] };
}
