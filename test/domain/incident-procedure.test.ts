import { describe, expect, it } from 'vitest';
import {
  containsAutomatically,
  INCIDENT_STEPS,
  incidentTransition,
  openIncident,
  type IncidentEffect,
  type IncidentEvent,
  type IncidentStep,
} from '../../domain/incident-procedure';
import { INCIDENT_SEVERITIES, type IncidentSeverity } from '../../domain/severity';

/** One sample of every event. */
const EVENTS: Record<IncidentEvent['type'], IncidentEvent> = {
  acknowledged: { type: 'acknowledged', by: 'tg:42' },
  not_acknowledged: { type: 'not_acknowledged' },
  false_positive: { type: 'false_positive' },
  confirmed_real: { type: 'confirmed_real' },
  containment_approved: { type: 'containment_approved', by: 'tg:42' },
  containment_declined: { type: 'containment_declined', by: 'cli:bob' },
  containment_unanswered: { type: 'containment_unanswered', afterMs: 15 * 60_000 },
  findings_recorded: { type: 'findings_recorded' },
  findings_missing: { type: 'findings_missing', afterMs: 2 * 3_600_000 },
  keys_compromised: { type: 'keys_compromised' },
  keys_not_compromised: { type: 'keys_not_compromised' },
  resume_approved: { type: 'resume_approved', by: 'tg:42', reason: 'token rotated' },
  resume_unanswered: { type: 'resume_unanswered' },
};

const INVESTIGATE: IncidentEffect[] = [
  { kind: 'enter', phase: 'investigation', event: 'collecting audit events, key audit, operator attempts and trade history' },
  { kind: 'collect_evidence' },
  { kind: 'ask_findings' },
  { kind: 'await_findings' },
];
const RECOVER: IncidentEffect[] = [{ kind: 'enter', phase: 'recovery', event: 'reconciling positions; resume needs explicit approval' }, { kind: 'check_keys' }];
const ASK_TO_RESUME: IncidentEffect[] = [{ kind: 'reconcile' }, { kind: 'ask_resume' }, { kind: 'await_resume' }];
const close = (how: string, report: boolean): IncidentEffect[] => [
  { kind: 'enter', phase: 'closed', event: `closed: ${how}` },
  { kind: 'tell_pager', action: 'resolve', note: `closed: ${how}` },
  ...(report ? [{ kind: 'write_report' as const }] : []),
];

/** Every pair that moves the runbook (for an automatically contained severity or not); any other pair must change nothing. */
const MOVES: Record<string, (automatic: boolean) => { step: IncidentStep; effects: IncidentEffect[] }> = {
  'awaiting_ack:acknowledged': () => ({ step: 'verifying', effects: [{ kind: 'tell_pager', action: 'acknowledge', by: 'tg:42', note: 'acknowledged by tg:42' }, { kind: 'verify' }] }),
  'awaiting_ack:not_acknowledged': () => ({ step: 'verifying', effects: [{ kind: 'verify' }] }),
  // A false positive is reported only when it was contained (a SEV-1/2 is, before anyone looks).
  'verifying:false_positive': (automatic) => ({ step: 'closed', effects: close('false positive', automatic) }),
  'verifying:confirmed_real': (automatic) =>
    automatic
      ? { step: 'awaiting_findings', effects: INVESTIGATE }
      : {
          step: 'awaiting_containment_decision',
          effects: [
            { kind: 'enter', phase: 'containment', event: 'containment proposed: stop the affected sessions and cancel their orders' },
            { kind: 'propose_containment' },
            { kind: 'await_containment_decision' },
          ],
        },
  'awaiting_containment_decision:containment_approved': () => ({ step: 'awaiting_findings', effects: [{ kind: 'contain', why: 'confirmed by tg:42' }, ...INVESTIGATE] }),
  'awaiting_containment_decision:containment_declined': () => ({ step: 'awaiting_findings', effects: [{ kind: 'note', event: 'containment declined by cli:bob' }, ...INVESTIGATE] }),
  'awaiting_containment_decision:containment_unanswered': () => ({
    step: 'awaiting_findings',
    effects: [{ kind: 'note', event: 'containment not confirmed in 15 min: sessions keep running' }, ...INVESTIGATE],
  }),
  'awaiting_findings:findings_recorded': () => ({ step: 'checking_keys', effects: RECOVER }),
  'awaiting_findings:findings_missing': () => ({ step: 'checking_keys', effects: [{ kind: 'note', event: 'no findings recorded within 2 h' }, ...RECOVER] }),
  'checking_keys:keys_compromised': () => ({ step: 'awaiting_resume', effects: [{ kind: 'request_rotation' }, ...ASK_TO_RESUME] }),
  'checking_keys:keys_not_compromised': () => ({ step: 'awaiting_resume', effects: ASK_TO_RESUME }),
  'awaiting_resume:resume_approved': () => ({ step: 'closed', effects: [{ kind: 'resume', by: 'tg:42', reason: 'token rotated' }, ...close('recovered', true)] }),
  'awaiting_resume:resume_unanswered': () => ({
    step: 'closed',
    effects: [{ kind: 'note', event: 'no resume approval within the recovery window: trading stays stopped' }, ...close('recovered', true)],
  }),
};

/** Plays a whole incident: the effects in the order the workflow runs them. */
function play(severity: IncidentSeverity, events: Array<IncidentEvent['type']>): string[] {
  let t = openIncident(severity);
  const done: string[] = t.effects.map((e) => e.kind);
  for (const name of events) {
    t = incidentTransition(t.state, EVENTS[name]);
    expect(t.effects.length, `${name} at ${t.state.step}`).toBeGreaterThan(0);
    done.push(...t.effects.map((e) => (e.kind === 'enter' ? `enter ${e.phase}` : e.kind)));
  }
  expect(t.state.step).toBe('closed');
  return done;
}

describe('incident procedure', () => {
  const pairs = INCIDENT_SEVERITIES.flatMap((severity) => INCIDENT_STEPS.flatMap((step) => Object.keys(EVENTS).map((name) => [severity, step, name as IncidentEvent['type']] as const)));

  it('the table names only real steps and events', () => {
    for (const pair of Object.keys(MOVES)) expect(INCIDENT_STEPS.flatMap((s) => Object.keys(EVENTS).map((e) => `${s}:${e}`))).toContain(pair);
    expect(pairs).toHaveLength(INCIDENT_SEVERITIES.length * INCIDENT_STEPS.length * Object.keys(EVENTS).length);
  });

  it.each(pairs)('%s: %s + %s', (severity, step, name) => {
    const before = { step, severity };
    const move = MOVES[`${step}:${name}`];
    const after = incidentTransition(before, EVENTS[name]);
    if (!move) {
      expect(after).toEqual({ state: before, effects: [] });
      return;
    }
    const expected = move(containsAutomatically(severity));
    expect(after).toEqual({ state: { step: expected.step, severity }, effects: expected.effects });
  });

  it('SEV-1/2 contain before anyone acknowledges; SEV-3/4 only announce and wait', () => {
    expect(INCIDENT_SEVERITIES.filter(containsAutomatically)).toEqual(['SEV-1', 'SEV-2']);
    expect(openIncident('SEV-1')).toEqual({ state: { step: 'awaiting_ack', severity: 'SEV-1' }, effects: [{ kind: 'announce' }, { kind: 'contain', why: 'automatic for SEV-1' }, { kind: 'await_ack' }] });
    expect(openIncident('SEV-4')).toEqual({ state: { step: 'awaiting_ack', severity: 'SEV-4' }, effects: [{ kind: 'announce' }, { kind: 'await_ack' }] });
  });

  it('runs the four phases in the runbook order', () => {
    expect(play('SEV-2', ['acknowledged', 'confirmed_real', 'findings_recorded', 'keys_not_compromised', 'resume_approved'])).toEqual([
      'announce',
      'contain',
      'await_ack',
      'tell_pager',
      'verify',
      'enter investigation',
      'collect_evidence',
      'ask_findings',
      'await_findings',
      'enter recovery',
      'check_keys',
      'reconcile',
      'ask_resume',
      'await_resume',
      'resume',
      'enter closed',
      'tell_pager',
      'write_report',
    ]);
    expect(play('SEV-3', ['not_acknowledged', 'confirmed_real', 'containment_approved', 'findings_missing', 'keys_compromised', 'resume_unanswered'])).toEqual([
      'announce',
      'await_ack',
      'verify',
      'enter containment',
      'propose_containment',
      'await_containment_decision',
      'contain',
      'enter investigation',
      'collect_evidence',
      'ask_findings',
      'await_findings',
      'note',
      'enter recovery',
      'check_keys',
      'request_rotation',
      'reconcile',
      'ask_resume',
      'await_resume',
      'note',
      'enter closed',
      'tell_pager',
      'write_report',
    ]);
  });

  it('every step but the last ends its effects on one that yields the next event', () => {
    const yields = new Set(['await_ack', 'verify', 'await_containment_decision', 'await_findings', 'check_keys', 'await_resume']);
    for (const severity of INCIDENT_SEVERITIES) {
      for (const t of [openIncident(severity), ...Object.values(EVENTS).flatMap((e) => INCIDENT_STEPS.map((step) => incidentTransition({ step, severity }, e)))]) {
        if (!t.effects.length) continue;
        const last = t.effects[t.effects.length - 1]!.kind;
        expect(yields.has(last), `${t.state.step} after ${last}`).toBe(t.state.step !== 'closed');
        expect(t.effects.slice(0, -1).filter((e) => yields.has(e.kind))).toEqual([]);
      }
    }
  });
});
