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
import { checkOperatorId, checkOperatorText, OPERATOR_FINDINGS_MAX, OPERATOR_REASON_MAX } from '../domain/operator-input';
import {
  condition,
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
import { formatDuration } from '../domain/duration';

const who = (by: unknown) => checkOperatorId(by);
const why = (reason: unknown) => checkOperatorText('reason', reason, OPERATOR_REASON_MAX, 'a reason is required');


const ACT: ActivityOptions = { startToCloseTimeout: '60 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 } };
const acts = proxyActivities<DeskActivities>(ACT);

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentStatus> {
  const { workflowId } = workflowInfo();
  const level = INCIDENT_LEVELS[input.severity];
  const automatic = input.severity === 'SEV-1' || input.severity === 'SEV-2';
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
  let step = 0;

  const note = async (event: string) => {
    st.timeline.push({ at: new Date(Date.now()).toISOString(), phase: st.phase, event });
    setCurrentDetails(`**${st.severity} ${st.phase}**\n\n${st.timeline.slice(-5).map((t) => `- ${t.at.slice(11, 19)} ${t.event}`).join('\n')}`);
    await acts.recordAudit({ id: `${workflowId}/${++step}`, type: 'incident_phase', actor: workflowId, data: { incident: workflowId, severity: st.severity, phase: st.phase, note: event } });
  };
  const enter = async (phase: IncidentPhase, event: string) => {
    st.phase = phase;
    upsertSearchAttributes({ IncidentPhase: [phase] });
    await note(event);
  };
  const alert = (message: string, severity: AlertSeverity = 'CRITICAL', summary = 'Alert the operators') =>
    acts.sendAlert.executeWithOptions({ ...ACT, summary }, [
      { alert: makeAlert('incident_update', { message: `[${st.severity}] ${workflowId}: ${message}`, at: new Date(Date.now()).toISOString(), scope: { subject: `${workflowId}-${step}` }, severity, incidentId: workflowId }), actor: workflowId },
    ]);
  // Histories from before issue 18 never called this: replaying them must not schedule it.
  const pagerPhases = patched('incident-pager-phases');
  const phase = (action: 'acknowledge' | 'resolve', by: string, note: string) =>
    pagerPhases
      ? acts.notifyIncidentPhase.executeWithOptions({ ...ACT, summary: `Tell the pager: ${action}` }, [
          { event: { incident: workflowId, action, by, at: new Date(Date.now()).toISOString(), note }, actor: workflowId },
        ])
      : undefined;

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
    { validator: ({ by }) => who(by) },
  );
  setHandler(
    falsePositiveUpdate,
    async ({ by, reason }) => {
      st.falsePositive = { by, reason };
      await note(`marked false positive by ${by}: ${reason}`);
      return st;
    },
    {
      validator: ({ by, reason }) => {
        who(by);
        why(reason);
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
    { validator: ({ by }) => who(by) },
  );
  setHandler(
    recordFindingsUpdate,
    async (f) => {
      st.findings = f;
      await note(`findings recorded by ${f.by}: root cause: ${f.rootCause}`);
      return st;
    },
    {
      validator: (f) => {
        who(f.by);
        checkOperatorText('findings', f.findings, OPERATOR_FINDINGS_MAX, 'required');
        checkOperatorText('rootCause', f.rootCause, OPERATOR_FINDINGS_MAX, 'required');
        if (typeof f.keysCompromised !== 'boolean') throw new Error('keysCompromised: must be true or false');
      },
    },
  );
  setHandler(
    approveResumeUpdate,
    (a) => {
      resumeApproval = a;
      return st;
    },
    {
      validator: ({ by, reason }) => {
        who(by);
        why(reason);
      },
    },
  );

  upsertSearchAttributes({ IncidentSeverity: [input.severity], IncidentPhase: ['detection'] });

  // ---- Phase 1: detection --------------------------------------------------------
  await note(`opened by ${input.declaredBy}: ${input.summary} (${level.definition})`);
  await alert(`${input.summary}. Acknowledge with /ack ${workflowId}`, 'CRITICAL', 'Detection: alert every channel');

  // SEV-1/2 contain at once, before anyone acknowledges: minutes matter more than a confirmation.
  if (automatic) await runContainment(`automatic for ${input.severity}`);

  const ackMs = (input.ackTimeoutSeconds ?? 5 * 60) * 1000;
  let escalations = 0;
  while (!st.acknowledgedBy && !st.falsePositive) {
    if (await condition(() => !!st.acknowledgedBy || !!st.falsePositive, ackMs, { summary: `Detection: wait for acknowledgement (${formatDuration(ackMs)})` })) break;
    escalations += 1;
    await note(`not acknowledged in ${Math.round((ackMs * escalations) / 1000)} s: escalation ${escalations}`);
    await acts.escalate.executeWithOptions({ ...ACT, summary: `Escalate (${escalations})` }, [{ incident: workflowId, severity: st.severity, summary: input.summary, round: escalations }]);
    if (escalations >= 12) break;
  }
  if (st.acknowledgedBy) await phase('acknowledge', st.acknowledgedBy, `acknowledged by ${st.acknowledgedBy}`);
  if (st.falsePositive) return close('false positive');

  // ---- Phase 2: containment (SEV-3/4: proposed, then confirmed) ---------------------
  if (!automatic) {
    await enter('containment', 'containment proposed: stop the affected sessions and cancel their orders');
    await alert(`Containment proposed: stop ${describeScope()} and cancel open orders. Confirm or decline.`, 'WARNING', 'Containment: propose to operator');
    const confirmMs = (input.containmentConfirmSeconds ?? 15 * 60) * 1000;
    await condition(() => !!contain, confirmMs, { summary: `Containment: wait for operator confirmation (${formatDuration(confirmMs)})` });
    if (contain?.approve) await runContainment(`confirmed by ${contain.by}`);
    else await note(contain ? `containment declined by ${contain.by}` : 'containment not confirmed in 15 min: sessions keep running');
  }

  // ---- Phase 3: investigation --------------------------------------------------------
  await enter('investigation', 'collecting audit events, key audit, operator attempts and trade history');
  const evidence = await acts.collectEvidence.executeWithOptions({ ...ACT, summary: 'Investigation: collect evidence' }, [
    { from: st.openedAt, sessions: input.sessions },
  ]);
  await note(
    `evidence: ${evidence.auditEvents} audit events, ${evidence.ordersPlaced} orders placed, ${evidence.unauthorizedAttempts} unauthorized operator attempts, key audit: ${evidence.keyFindings.length ? evidence.keyFindings.join('; ') : 'clean'}`,
  );
  await alert('Investigation: record findings and root cause (/findings or warden incident findings)', 'WARNING', 'Investigation: ask for findings');
  const findingsMs = (input.findingsTimeoutSeconds ?? 2 * 3600) * 1000;
  const gotFindings = await condition(() => !!st.findings, findingsMs, { summary: `Investigation: wait for findings (${formatDuration(findingsMs)})` });
  if (!gotFindings) await note('no findings recorded within 2 h');

  // ---- Phase 4: recovery ---------------------------------------------------------------
  await enter('recovery', 'reconciling positions; resume needs explicit approval');
  if (st.findings?.keysCompromised) {
    const started = await acts.requestRotation.executeWithOptions({ ...ACT, summary: 'Recovery: start credential rotation' }, [{ sessions: input.sessions, incident: workflowId }]);
    await note(`credential rotation requested for ${started.join(', ') || 'no configured key'}`);
  }
  const reconciled = await acts.reconcileSessions.executeWithOptions({ ...ACT, summary: 'Recovery: reconcile positions and balances' }, [{ sessions: input.sessions }]);
  await note(`reconciled ${reconciled.length} session(s) with their venues`);
  await alert('Recovery: approve resuming trading when safe (warden incident resume / /resume)', 'WARNING', 'Recovery: ask to resume');
  await condition(() => !!resumeApproval, (input.resumeTimeoutSeconds ?? 22 * 3600) * 1000, { summary: 'Recovery: wait for resume approval' });
  if (resumeApproval) {
    // The incident names itself: a session it isolated resumes only with this approval (issue 13).
    const approval = patched('incident-owns-isolation') ? { incident: workflowId } : {};
    await acts.resumeSessions.executeWithOptions({ ...ACT, summary: 'Recovery: resume trading' }, [
      { sessions: input.sessions, by: resumeApproval.by, reason: `incident ${workflowId}: ${resumeApproval.reason}`, ...approval },
    ]);
    await note(`trading resumed, approved by ${resumeApproval.by}`);
  } else {
    await note('no resume approval within the recovery window: trading stays stopped');
  }
  return close('recovered');

  async function runContainment(why: string): Promise<void> {
    await enter('containment', `emergency stop (${why})`);
    const stopped = await acts.containSessions.executeWithOptions({ ...ACT, summary: `Containment: stop ${describeScope()}, cancel orders` }, [
      { sessions: input.sessions, reason: `incident ${workflowId}: ${input.summary}`, isolate: input.severity === 'SEV-1', ...(patched('incident-owns-isolation') ? { incident: workflowId } : {}) },
    ]);
    st.damage = stopped;
    await note(
      `stopped ${stopped.sessions.length} session(s), cancelled ${stopped.cancelledOrders} open order(s)${stopped.cancelsPending?.length ? `; the venue has not confirmed the cancels of ${stopped.cancelsPending.join(', ')} yet (retried every tick)` : ''}${input.severity === 'SEV-1' ? '; credentials isolated (no exchange calls until resumed)' : ''}`,
    );
  }

  function describeScope(): string {
    return input.sessions.length ? input.sessions.join(', ') : 'all sessions';
  }

  async function close(how: string): Promise<IncidentStatus> {
    await enter('closed', `closed: ${how}`);
    await phase('resolve', workflowId, `closed: ${how}`);
    if (!st.falsePositive || automatic) {
      st.reportKey = await acts.writeIncidentReport.executeWithOptions({ ...ACT, summary: 'Write post-incident report (WORM)' }, [{ status: st }]);
      await note(`post-incident report written: ${st.reportKey}`);
    }
    return st;
  }
}
