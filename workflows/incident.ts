/**
 * The seed's four-phase incident runbook (section 7) as a workflow; its history
 * in the Temporal Web UI is the incident timeline.
 *
 *   Detection (0-5 min): alert, wait for an acknowledgement, escalate if none.
 *   Containment (5-15 min): stop the affected sessions, cancel orders, assess
 *     damage; SEV-1 also isolates the credentials. Automatic for SEV-1/2, proposed
 *     to the operator for SEV-3/4.
 *   Investigation (15 min - 2 h): collect evidence, wait for the operator's findings.
 *   Recovery (2 - 24 h): reconcile, resume only on explicit approval, write the
 *     post-incident report to the WORM bucket.
 * Its input, status, messages and workflow id are contracts/incident.ts's.
 */
import { checkInput, ContainmentAnswerInput, FindingsInput, OperatorAckInput, OperatorRequestInput } from '../domain/operator-input';
import {
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { DeskActivities } from '../activities';
import { formatDuration } from '../domain/duration';
import { incidentTransition, openIncident, type IncidentEffect, type IncidentEvent } from '../domain/incident-procedure';
import { INCIDENT_LEVELS, makeAlert, type AlertSeverity } from '../domain/severity';
import {
  acknowledgeUpdate,
  approveResumeUpdate,
  confirmContainmentUpdate,
  falsePositiveUpdate,
  incidentStatusQuery,
  recordFindingsUpdate,
  retriggerSignal,
  type IncidentInput,
  type IncidentPhase,
  type IncidentStatus,
} from '../contracts/incident';
import { waitForOperator } from './wait-for-operator';


const ACT: ActivityOptions = { startToCloseTimeout: '60 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 } };
// Each call adds its timeline summary (executeWithOptions merges it into ACT).
const { collectEvidence, containSessions, escalate, notifyIncidentPhase, reconcileSessions, recordAudit, requestRotation, resumeSessions, sendAlert, writeIncidentReport } =
  proxyActivities<DeskActivities>(ACT);
/** Paging rounds in detection before the runbook goes on without an acknowledgement. */
const MAX_ESCALATIONS = 12;

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentStatus> {
  const { workflowId } = workflowInfo();
  const st: IncidentStatus = {
    id: workflowId,
    severity: input.severity,
    phase: 'detection',
    summary: input.summary,
    openedAt: new Date(Date.now()).toISOString(),
    cause: input.cause,
    // Incidents open by signal-with-start: the start's own signal is the first trigger.
    triggers: 0,
    timeline: [],
  };
  let contain: { by: string; approve: boolean } | undefined;
  let resumeApproval: { by: string; reason: string } | undefined;
  const { note, run } = runbook(input, st, { containment: () => contain, resumeApproval: () => resumeApproval });

  setHandler(incidentStatusQuery, () => st);
  setHandler(retriggerSignal, ({ detail }) => {
    st.triggers += 1;
    // A signal handler cannot wait; once the audit write gives up (ACT's 10 attempts) its
    // rejection must be caught here, or the SDK fails every workflow task of this incident.
    if (st.triggers > 1) note(`trigger repeated: ${detail}`).catch((err: unknown) => log.error('retrigger audit failed', { err: String(err) }));
  });
  setHandler(
    acknowledgeUpdate,
    async ({ by }) => {
      st.acknowledgedBy ??= by;
      await note(`acknowledged by ${by}`);
      return st;
    },
    { validator: (req) => checkInput(OperatorAckInput, req) },
  );
  setHandler(
    falsePositiveUpdate,
    async ({ by, reason }) => {
      st.falsePositive = { by, reason };
      await note(`marked false positive by ${by}: ${reason}`);
      return st;
    },
    {
      validator: (req) => {
        checkInput(OperatorRequestInput, req);
        if (st.phase !== 'detection') throw new Error(`phase: only an incident in detection can be a false positive (now ${st.phase})`);
      },
    },
  );
  setHandler(
    confirmContainmentUpdate,
    (c) => {
      contain = c;
      return st;
    },
    { validator: (req) => checkInput(ContainmentAnswerInput, req) },
  );
  setHandler(
    recordFindingsUpdate,
    async (f) => {
      st.findings = f;
      await note(`findings recorded by ${f.by}: root cause: ${f.rootCause}`);
      return st;
    },
    {
      validator: (f) => checkInput(FindingsInput, f),
    },
  );
  setHandler(
    approveResumeUpdate,
    (a) => {
      resumeApproval = a;
      return st;
    },
    {
      validator: (req) => checkInput(OperatorRequestInput, req),
    },
  );

  upsertSearchAttributes({ IncidentSeverity: [input.severity], IncidentPhase: ['detection'] });

  // The runbook's steps are domain/incident-procedure.ts's: run each, feed back what it found.
  let { state, effects } = openIncident(input.severity);
  for (;;) {
    let event: IncidentEvent | undefined;
    for (const effect of effects) event = (await run(effect)) ?? event;
    if (state.step === 'closed') return st;
    if (!event) throw new Error(`incident procedure stalled at ${state.step}`);
    ({ state, effects } = incidentTransition(state, event));
  }
}

/** The operator's answers the runbook waits for (the Update handlers record them). */
interface Answers {
  containment: () => { by: string; approve: boolean } | undefined;
  resumeApproval: () => { by: string; reason: string } | undefined;
}

/** How each runbook step is done: the activities, timers and waits behind domain/incident-procedure.ts's effects. */
function runbook(input: IncidentInput, st: IncidentStatus, answers: Answers) {
  const workflowId = st.id;
  const level = INCIDENT_LEVELS[input.severity];
  let step = 0;
  const note = async (event: string) => {
    st.timeline.push({ at: new Date(Date.now()).toISOString(), phase: st.phase, event });
    setCurrentDetails(`**${st.severity} ${st.phase}**\n\n${st.timeline.slice(-5).map((t) => `- ${t.at.slice(11, 19)} ${t.event}`).join('\n')}`);
    await recordAudit({ id: `${workflowId}/${++step}`, type: 'incident_phase', actor: workflowId, data: { incident: workflowId, severity: st.severity, phase: st.phase, note: event } });
  };
  const enter = async (phase: IncidentPhase, event: string) => {
    st.phase = phase;
    upsertSearchAttributes({ IncidentPhase: [phase] });
    await note(event);
  };
  const alert = (message: string, severity: AlertSeverity, summary: string) =>
    sendAlert.executeWithOptions({ summary }, [
      { alert: makeAlert('incident_update', { message: `[${st.severity}] ${workflowId}: ${message}`, at: new Date(Date.now()).toISOString(), scope: { subject: `${workflowId}-${step}` }, severity, incidentId: workflowId }), actor: workflowId },
    ]);
  // Histories from before issue 18 never called this: replaying them must not schedule it.
  const pagerPhases = patched('incident-pager-phases');
  const scope = input.sessions.length ? input.sessions.join(', ') : 'all sessions';
  // A single wait for the operator, for the phase's budget.
  const waitFor = (answered: () => boolean, ms: number, summary: string) => waitForOperator({ answered, policy: { giveUpAfterMs: ms }, summary });

  async function run(effect: IncidentEffect): Promise<IncidentEvent | undefined> {
    switch (effect.kind) {
      case 'note':
        await note(effect.event);
        return undefined;
      case 'enter':
        await enter(effect.phase, effect.event);
        return undefined;

      // ---- Detection (0-5 min) ----------------------------------------------------------
      case 'announce':
        await note(`opened by ${input.declaredBy}: ${input.summary} (${level.definition})`);
        await alert(`${input.summary}. Acknowledge with /ack ${workflowId}`, 'CRITICAL', 'Detection: alert every channel');
        return undefined;
      case 'await_ack': {
        const ackMs = (input.ackTimeoutSeconds ?? 5 * 60) * 1000;
        // Incidents started before the shared wait looked for the answer before arming each timer.
        const legacy = patched('incident-wait-for-operator') ? undefined : { checksBeforeArming: true };
        await waitForOperator({
          answered: () => !!st.acknowledgedBy || !!st.falsePositive,
          policy: { nudgeEveryMs: ackMs, escalateAfterMs: ackMs, escalation: 'every', maxNudges: MAX_ESCALATIONS },
          summary: `Detection: wait for acknowledgement (${formatDuration(ackMs)})`,
          escalate: async ({ round }) => {
            await note(`not acknowledged in ${formatDuration(ackMs * round)}: escalation ${round}`);
            await escalate.executeWithOptions({ summary: `Escalate (${round})` }, [{ incident: workflowId, severity: st.severity, summary: input.summary, round }]);
          },
          legacy,
        });
        return st.acknowledgedBy ? { type: 'acknowledged', by: st.acknowledgedBy } : { type: 'not_acknowledged' };
      }
      case 'tell_pager':
        if (pagerPhases) {
          await notifyIncidentPhase.executeWithOptions({ summary: `Tell the pager: ${effect.action}` }, [
            { event: { incident: workflowId, action: effect.action, by: effect.by ?? workflowId, at: new Date(Date.now()).toISOString(), note: effect.note }, actor: workflowId },
          ]);
        }
        return undefined;
      case 'verify':
        return st.falsePositive ? { type: 'false_positive' } : { type: 'confirmed_real' };

      // ---- Containment (5-15 min) ----------------------------------------------------------
      case 'contain': {
        await enter('containment', `emergency stop (${effect.why})`);
        const stopped = await containSessions.executeWithOptions({ summary: `Containment: stop ${scope}, cancel orders` }, [
          { sessions: input.sessions, reason: `incident ${workflowId}: ${input.summary}`, isolate: input.severity === 'SEV-1', ...(patched('incident-owns-isolation') ? { incident: workflowId } : {}) },
        ]);
        st.damage = stopped;
        await note(
          `stopped ${stopped.sessions.length} session(s), cancelled ${stopped.cancelledOrders} open order(s)${stopped.cancelsPending?.length ? `; the venue has not confirmed the cancels of ${stopped.cancelsPending.join(', ')} yet (retried every tick)` : ''}${input.severity === 'SEV-1' ? '; credentials isolated (no exchange calls until resumed)' : ''}`,
        );
        return undefined;
      }
      case 'propose_containment':
        await alert(`Containment proposed: stop ${scope} and cancel open orders. Confirm or decline.`, 'WARNING', 'Containment: propose to operator');
        return undefined;
      case 'await_containment_decision': {
        const confirmMs = (input.containmentConfirmSeconds ?? 15 * 60) * 1000;
        await waitFor(() => !!answers.containment(), confirmMs, `Containment: wait for operator confirmation (${formatDuration(confirmMs)})`);
        const decision = answers.containment();
        if (!decision) return { type: 'containment_unanswered', afterMs: confirmMs };
        return decision.approve ? { type: 'containment_approved', by: decision.by } : { type: 'containment_declined', by: decision.by };
      }

      // ---- Investigation (15 min - 2 h) ------------------------------------------------------
      case 'collect_evidence': {
        const evidence = await collectEvidence.executeWithOptions({ summary: 'Investigation: collect evidence' }, [{ from: st.openedAt, sessions: input.sessions }]);
        await note(
          `evidence: ${evidence.auditEvents} audit events, ${evidence.ordersPlaced} orders placed, ${evidence.unauthorizedAttempts} unauthorized operator attempts, key audit: ${evidence.keyFindings.length ? evidence.keyFindings.join('; ') : 'clean'}`,
        );
        return undefined;
      }
      case 'ask_findings':
        await alert('Investigation: record findings and root cause (/findings or warden incident findings)', 'WARNING', 'Investigation: ask for findings');
        return undefined;
      case 'await_findings': {
        const findingsMs = (input.findingsTimeoutSeconds ?? 2 * 3600) * 1000;
        const answer = await waitFor(() => !!st.findings, findingsMs, `Investigation: wait for findings (${formatDuration(findingsMs)})`);
        return answer.outcome === 'answered' ? { type: 'findings_recorded' } : { type: 'findings_missing', afterMs: findingsMs };
      }

      // ---- Recovery (2 - 24 h) -----------------------------------------------------------------
      case 'check_keys':
        return st.findings?.keysCompromised ? { type: 'keys_compromised' } : { type: 'keys_not_compromised' };
      case 'request_rotation': {
        const started = await requestRotation.executeWithOptions({ summary: 'Recovery: start credential rotation' }, [{ sessions: input.sessions, incident: workflowId }]);
        await note(`credential rotation requested for ${started.join(', ') || 'no configured key'}`);
        return undefined;
      }
      case 'reconcile': {
        const reconciled = await reconcileSessions.executeWithOptions({ summary: 'Recovery: reconcile positions and balances' }, [{ sessions: input.sessions }]);
        await note(`reconciled ${reconciled.length} session(s) with their venues`);
        return undefined;
      }
      case 'ask_resume':
        await alert('Recovery: approve resuming trading when safe (warden incident resume / /resume)', 'WARNING', 'Recovery: ask to resume');
        return undefined;
      case 'await_resume': {
        await waitFor(() => !!answers.resumeApproval(), (input.resumeTimeoutSeconds ?? 22 * 3600) * 1000, 'Recovery: wait for resume approval');
        const approval = answers.resumeApproval();
        return approval ? { type: 'resume_approved', by: approval.by, reason: approval.reason } : { type: 'resume_unanswered' };
      }
      case 'resume': {
        // The incident names itself: a session it isolated resumes only with this approval (issue 13).
        const approval = patched('incident-owns-isolation') ? { incident: workflowId } : {};
        await resumeSessions.executeWithOptions({ summary: 'Recovery: resume trading' }, [
          { sessions: input.sessions, by: effect.by, reason: `incident ${workflowId}: ${effect.reason}`, ...approval },
        ]);
        await note(`trading resumed, approved by ${effect.by}`);
        return undefined;
      }
      case 'write_report':
        st.reportKey = await writeIncidentReport.executeWithOptions({ summary: 'Write post-incident report (WORM)' }, [{ status: st }]);
        await note(`post-incident report written: ${st.reportKey}`);
        return undefined;
    }
  }

  return { note, run };
}
