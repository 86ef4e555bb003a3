/**
 * Credential rotation (seed section 1: "Secrets rotation every 90 days").
 *
 * rotationCheckWorkflow (daily, Schedule `rotation-check`): reads each
 * configured credential's age, warns when it is due and starts its rotation.
 *
 * rotateCredentialWorkflow (`rotate/<exchange>/<account>/<purpose>`, one at a time):
 *   1. ask the operator to create a new key at the venue and stage it as AWSPENDING
 *      (`warden secrets stage`), then wait for `pendingStored` (reminders, escalation, timeout);
 *   2. audit the staged key at the venue: any CRITICAL finding rejects it, the current key stays;
 *   3. promote AWSPENDING to AWSCURRENT and drop the worker's cached copy;
 *   4. check that trading works with the new key (a snapshot), else roll back;
 *   5. let every worker's secrets cache expire, then ask the operator to revoke the
 *      OLD key at the venue and wait for `oldKeyRevoked`.
 * Every step is a `config_change` audit event; nothing here ever sees a key, only fingerprints.
 * Its input, status, messages and workflow id are contracts/rotation.ts's.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { DeskActivities } from '../activities';
import { venueDisplayName } from '../domain/key-audit';
import { checkInput, OperatorAckInput } from '../domain/operator-input';
import { makeAlert, type AlertName, type AlertSeverity } from '../domain/severity';
import {
  oldKeyRevokedUpdate,
  pendingStoredUpdate,
  rotateWorkflowId,
  rotationStatusQuery,
  type CredentialCheck,
  type KeyPurpose,
  type OperatorAck,
  type RotateInput,
  type RotationCheckInput,
  type RotationCheckReport,
  type RotationState,
  type RotationStatus,
} from '../contracts/rotation';
import { FAILURE } from '../contracts/failures';
import { formatDuration } from '../domain/duration';
import { rotationFinished, rotationTransition, startRotation, type RotationEffect, type RotationEvent } from '../domain/rotation-procedure';
import { failureReason } from './failure';
import { waitForOperator } from './wait-for-operator';

const DAY_MS = 86_400_000;
export const DEFAULT_ROTATION_DAYS = 90;
const PURPOSES: KeyPurpose[] = ['trading', 'monitoring'];

// ---- the pure rule ----------------------------------------------------------------

export interface RotationDue {
  dueAt: string;
  ageDays: number;
  due: boolean;
}

/** Due `intervalDays` after `created_at`, or at the secret's own `rotation_date` if that is sooner. */
export function rotationDue(info: { createdAt: string; rotationDate?: string }, intervalDays: number, nowMs: number): RotationDue {
  const created = Date.parse(info.createdAt);
  const byAge = created + intervalDays * DAY_MS;
  const byDate = info.rotationDate ? Date.parse(info.rotationDate) : Number.POSITIVE_INFINITY;
  const dueMs = Math.min(byAge, byDate);
  return { dueAt: new Date(dueMs).toISOString(), ageDays: Math.floor((nowMs - created) / DAY_MS), due: nowMs >= dueMs };
}

// ---- activities -------------------------------------------------------------------

const ACT: ActivityOptions = {
  startToCloseTimeout: '60 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [FAILURE.secretFormat, FAILURE.secretNotFound, FAILURE.rotationState, FAILURE.rotationUnavailable, FAILURE.exchangeAuth, FAILURE.exchangeRejected],
  },
};
// Each call adds its timeline summary (executeWithOptions merges it into these options).
const { auditAccountKeys, configuredAccounts, describeRotation, invalidateSecretCache, promoteCredential, recordAudit, rollbackCredential, sendAlert } = proxyActivities<DeskActivities>(ACT);
/** A verification that fails a few times means the new key does not work: roll back rather than wait. */
const { fetchKeyPermissions, snapshotAccount } = proxyActivities<DeskActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...ACT.retry, maximumAttempts: 3, nonRetryableErrorTypes: [FAILURE.exchangeAuth, FAILURE.exchangeRejected] },
});

// ---- rotateCredentialWorkflow ------------------------------------------------------

export async function rotateCredentialWorkflow(input: RotateInput): Promise<RotationState> {
  const { workflowId } = workflowInfo();
  const { exchange, account, purpose } = input;
  const st: RotationState = { id: workflowId, exchange, account, purpose, status: 'awaiting_pending', startedAt: new Date(Date.now()).toISOString(), reason: input.reason ?? 'requested', findings: [] };
  let staged: OperatorAck | undefined;
  let revoked: OperatorAck | undefined;
  const run = rotationSteps(input, st, { staged: () => staged, revoked: () => revoked });

  const checkOperator = (by: string) => {
    checkInput(OperatorAckInput, { by });
    if (input.operators?.length && !input.operators.includes(by)) throw new Error(`by: ${by} is not an authorized operator`);
  };
  setHandler(rotationStatusQuery, () => st);
  setHandler(
    pendingStoredUpdate,
    ({ by }) => {
      staged = { by };
      st.stagedBy = by;
      // The caller sees at once that its answer was taken; the audit follows.
      st.status = 'auditing';
      return st;
    },
    {
      validator: ({ by }) => {
        checkOperator(by);
        if (st.status !== 'awaiting_pending') throw new Error(`status: this rotation is ${st.status}, not awaiting a staged key`);
      },
    },
  );
  setHandler(
    oldKeyRevokedUpdate,
    ({ by }) => {
      revoked = { by };
      st.revokedBy = by;
      return st;
    },
    {
      validator: ({ by }) => {
        checkOperator(by);
        if (st.status !== 'awaiting_revocation') throw new Error(`status: this rotation is ${st.status}, not awaiting the old key's revocation`);
      },
    },
  );

  // ---- the procedure: read the current key, then step until it ends ------------------
  const current = await describeRotation.executeWithOptions({ summary: `Read ${exchange}/${account}/${purpose} key metadata` }, [{ exchange, account, purpose }]);
  if (!current) throw ApplicationFailure.create({ type: FAILURE.secretNotFound, message: `no ${purpose} secret is stored for ${exchange}/${account}: nothing to rotate`, nonRetryable: true });
  st.currentKey = current.keyFingerprint;
  let { state, effects } = startRotation({ venue: venueDisplayName(exchange), currentKey: current.keyFingerprint, reason: st.reason, createdAt: current.createdAt });
  for (;;) {
    st.status = state.status;
    let event: RotationEvent | undefined;
    for (const effect of effects) event = (await run(effect)) ?? event;
    if (rotationFinished(state)) return st;
    if (!event) throw new Error(`rotation procedure stalled at ${state.status}`);
    ({ state, effects } = rotationTransition(state, event));
  }
}

/** The operator's answers the rotation waits for (the Update handlers record them). */
interface Answers {
  staged: () => OperatorAck | undefined;
  revoked: () => OperatorAck | undefined;
}

/** How each rotation step is done: the activities, timers and waits behind domain/rotation-procedure.ts's effects. */
function rotationSteps(input: RotateInput, st: RotationState, answers: Answers): (effect: RotationEffect) => Promise<RotationEvent | undefined> {
  const { workflowId, runId } = workflowInfo();
  const { exchange, account, purpose } = input;
  const cred = `${exchange}/${account}/${purpose}`;
  const key = { exchange, account, purpose };
  const venue = venueDisplayName(exchange);
  const now = () => new Date(Date.now()).toISOString();
  let step = 0;

  // The run id keeps a later rotation of the same credential (same workflow id) from colliding with this one's audit ids.
  const audit = (name: string, detail: string, by = workflowId) =>
    recordAudit.executeWithOptions({ summary: `Audit: ${name}` }, [
      {
        id: `${workflowId}/${runId}/${++step}/${name}`,
        type: 'config_change',
        actor: by,
        data: { parameter: `credential/${cred}`, old_value: st.currentKey ?? '-', new_value: st.pendingKey ?? '-', changed_by: by, reason: `${name}: ${detail}` },
      },
    ]);
  const alert = (name: AlertName, message: string, summary: string, severity?: AlertSeverity) =>
    sendAlert.executeWithOptions({ summary }, [
      { alert: makeAlert(name, { message: `${cred}: ${message}`, at: now(), scope: { exchange, account, subject: `rotate-${purpose}-${step}` }, severity }), actor: workflowId },
    ]);

  /** A human wait with reminders, one escalation (CRITICAL) and a deadline. */
  const operatorWait = (what: string, ask: () => string, answered: () => boolean, t: { reminderMs: number; escalateMs: number; giveUpMs: number }) =>
    waitForOperator({
      answered,
      policy: { nudgeEveryMs: t.reminderMs, escalateAfterMs: t.escalateMs, giveUpAfterMs: t.giveUpMs },
      summary: `Wait for ${what} (reminder every ${formatDuration(t.reminderMs)}, give up after ${formatDuration(t.giveUpMs)})`,
      remind: async ({ waitedMs }) => {
        await audit('reminder', `waiting ${formatDuration(waitedMs)} for ${what}`);
        await alert('rotation_due', `Reminder: ${ask()}`, `Remind: ${what}`);
      },
      escalate: async ({ waitedMs }) => {
        await audit('escalated', `still waiting for ${what} after ${formatDuration(waitedMs)}`);
        await alert('rotation_due', `ESCALATION: ${ask()}`, `Escalate: still waiting for ${what}`, 'CRITICAL');
      },
    });
  const stageAsk = () =>
    `rotate the ${purpose} key ${st.currentKey} (${st.reason}). Create a new ${venue} key (read${purpose === 'trading' ? ' + trade' : ' only'}, no withdrawal or transfer, server IPs only), ` +
    `stage it with \`warden secrets stage ${exchange} ${account} --purpose ${purpose}\`, then confirm with \`warden rotation staged ${exchange} ${account} --purpose ${purpose}\`. The current key keeps working meanwhile.`;
  const revokeAsk = () =>
    `the new key ${st.pendingKey} is live and verified. Revoke the OLD key ${st.currentKey} at ${venue} now (delete it in the exchange UI), ` +
    `then confirm with \`warden rotation revoked ${exchange} ${account} --purpose ${purpose}\`.`;

  /** The step that decides returns what it found. */
  async function run(effect: RotationEffect): Promise<RotationEvent | undefined> {
    switch (effect.kind) {
      case 'audit':
        await audit(effect.step, effect.detail, effect.by);
        return undefined;
      case 'ask_to_stage':
        await alert('rotation_due', stageAsk(), 'Ask operator to stage a new key');
        return undefined;
      case 'await_stage': {
        const answer = await operatorWait('a staged key', stageAsk, () => !!answers.staged(), {
          reminderMs: (input.reminderEverySeconds ?? DAY_MS / 1000) * 1000,
          escalateMs: (input.escalateAfterSeconds ?? (3 * DAY_MS) / 1000) * 1000,
          giveUpMs: (input.giveUpAfterSeconds ?? (7 * DAY_MS) / 1000) * 1000,
        });
        return answer.outcome === 'answered' ? { type: 'staged', by: answers.staged()!.by } : { type: 'stage_timed_out' };
      }
      case 'forget_cached_key':
        if (effect.which === 'before_pending_read') {
          await invalidateSecretCache.executeWithOptions({ summary: 'Drop cached secret before reading AWSPENDING' }, [key]);
        } else {
          const dropped = await invalidateSecretCache.executeWithOptions({ summary: 'Drop the cached old key on this worker' }, [key]);
          await audit('cache_invalidated', `${dropped.secretName} on ${dropped.worker}`);
        }
        return undefined;
      case 'audit_pending_key': {
        let pending;
        try {
          pending = await auditAccountKeys.executeWithOptions({ summary: `Audit the staged (AWSPENDING) ${purpose} key at ${venue}` }, [
            { ...key, stage: 'AWSPENDING', auditId: `${workflowId}/${runId}/pending`, actor: st.stagedBy! },
          ]);
        } catch (err) {
          return { type: 'pending_audit_failed', reason: failureReason(err) };
        }
        st.pendingKey = pending.keys[purpose];
        st.findings = pending.findings;
        return { type: 'pending_audited', pendingKey: st.pendingKey, findings: st.findings };
      }
      case 'promote':
        try {
          const p = await promoteCredential.executeWithOptions({ summary: `Promote AWSPENDING ${effect.fingerprint} to AWSCURRENT` }, [{ ...key, auditedFingerprint: effect.fingerprint }]);
          return { type: 'promoted', fingerprint: p.newFingerprint, versionId: p.currentVersionId, alreadyPromoted: p.alreadyPromoted };
        } catch (err) {
          return { type: 'promotion_refused', reason: failureReason(err) };
        }
      case 'verify':
        try {
          if (purpose === 'trading') {
            await snapshotAccount.executeWithOptions({ summary: `Verify: snapshot ${exchange}/${account} with the new key` }, [{ exchange, account, symbols: input.symbols ?? [] }]);
          } else {
            await fetchKeyPermissions.executeWithOptions({ summary: `Verify: read ${exchange}/${account} with the new monitoring key` }, [key]);
          }
        } catch (err) {
          const reason = failureReason(err);
          const back = await rollbackCredential.executeWithOptions({ summary: `Roll back to ${st.currentKey}` }, [{ ...key, badFingerprint: st.pendingKey! }]);
          await invalidateSecretCache.executeWithOptions({ summary: 'Drop the cached new key' }, [key]);
          return { type: 'verification_failed', reason, restoredKey: back.restoredFingerprint };
        }
        return { type: 'verified', check: purpose === 'trading' ? 'account snapshot' : 'read' };
      case 'settle': {
        const ttlMs = (input.cacheTtlSeconds ?? 300) * 1000;
        if (ttlMs > 0) await sleep(ttlMs, { summary: `Let every worker's secrets cache expire (${formatDuration(ttlMs)}) before the old key goes` });
        return { type: 'settled' };
      }
      case 'ask_to_revoke':
        await alert('rotation_due', revokeAsk(), 'Ask operator to revoke the old key');
        return undefined;
      case 'await_revocation': {
        const answer = await operatorWait("the old key's revocation", revokeAsk, () => !!answers.revoked(), {
          reminderMs: (input.revokeReminderEverySeconds ?? 3600) * 1000,
          escalateMs: (input.revokeEscalateAfterSeconds ?? 4 * 3600) * 1000,
          giveUpMs: (input.revokeGiveUpAfterSeconds ?? 24 * 3600) * 1000,
        });
        return answer.outcome === 'answered' ? { type: 'revoked', by: answers.revoked()!.by } : { type: 'revocation_timed_out' };
      }
      case 'end':
        st.outcome = effect.outcome;
        await audit(st.status, effect.outcome);
        if (effect.alert) await alert(effect.alert.name, effect.outcome, `Alert: rotation ${st.status}`, effect.alert.severity);
        return undefined;
    }
  }

  return run;
}

// ---- rotationCheckWorkflow ----------------------------------------------------------

export async function rotationCheckWorkflow(input: RotationCheckInput = {}): Promise<RotationCheckReport> {
  const { workflowId } = workflowInfo();
  const intervalDays = input.intervalDays ?? DEFAULT_ROTATION_DAYS;
  const accounts: NonNullable<RotationCheckInput['accounts']> =
    input.accounts ?? (await configuredAccounts.executeWithOptions({ summary: 'List configured accounts' }, []));
  const report: RotationCheckReport = { intervalDays, checked: [] };
  const now = () => new Date(Date.now()).toISOString();

  for (const a of accounts) {
    for (const purpose of PURPOSES) {
      const cred = `${a.exchange}/${a.account}/${purpose}`;
      const check: CredentialCheck = { exchange: a.exchange, account: a.account, purpose, due: false };
      let info;
      try {
        info = await describeRotation.executeWithOptions({ summary: `Read ${cred} key age` }, [{ exchange: a.exchange, account: a.account, purpose }]);
      } catch (err) {
        check.error = failureReason(err);
        report.checked.push(check);
        continue;
      }
      if (!info) {
        // Every account trades with a key; a monitoring key is optional.
        if (purpose === 'trading') report.checked.push({ ...check, error: 'no trading secret is stored' });
        continue;
      }
      // The key's age is judged by the clock of the activity that read it (as a session's risk day
      // is by its snapshot's): injectable in tests, and recorded in history, so a replay decides the
      // same. Results recorded before describeRotation returned checkedAt keep workflow time.
      const due = rotationDue(info, intervalDays, info.checkedAt ? Date.parse(info.checkedAt) : Date.now());
      Object.assign(check, { keyFingerprint: info.keyFingerprint, createdAt: info.createdAt, ...due });
      report.checked.push(check);
      if (!due.due) continue;

      const id = rotateWorkflowId(a.exchange, a.account, purpose);
      try {
        await startChild(rotateCredentialWorkflow, {
          workflowId: id,
          args: [{ ...input.rotate, exchange: a.exchange, account: a.account, purpose, symbols: a.symbols, operators: input.operators, reason: `due since ${due.dueAt.slice(0, 10)} (${due.ageDays} days old)` }],
          // The rotation waits days for a human; it outlives this check.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          staticSummary: `Rotate ${cred} key ${info.keyFingerprint} (due ${due.dueAt.slice(0, 10)})`,
        });
        check.rotation = { workflowId: id, state: 'started' };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        check.rotation = { workflowId: id, state: 'already_running' };
      }
      const store = info.store.lastRotatedAt ? `; Secrets Manager last rotated it ${info.store.lastRotatedAt.slice(0, 10)}` : '';
      const message =
        `Credentials rotation needed for ${cred}: key ${info.keyFingerprint} is ${due.ageDays} days old (created ${info.createdAt.slice(0, 10)}, due ${due.dueAt.slice(0, 10)})${store}. ` +
        (check.rotation.state === 'started' ? `Rotation started: ${id}.` : `Rotation ${id} is already in progress.`);
      await sendAlert.executeWithOptions({ summary: `Alert: rotation due for ${cred}` }, [
        { alert: makeAlert('rotation_due', { message, at: now(), scope: { exchange: a.exchange, account: a.account, subject: purpose } }), actor: workflowId },
      ]);
    }
  }
  return report;
}
