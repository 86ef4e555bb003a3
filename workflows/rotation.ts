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
  condition,
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
import { failureReason } from './failure';
import { formatDuration } from '../domain/duration';

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
const acts = proxyActivities<DeskActivities>(ACT);
/** A verification that fails a few times means the new key does not work: roll back rather than wait. */
const VERIFY: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: [FAILURE.exchangeAuth, FAILURE.exchangeRejected] } };


// ---- rotateCredentialWorkflow ------------------------------------------------------

export async function rotateCredentialWorkflow(input: RotateInput): Promise<RotationState> {
  const { workflowId, runId } = workflowInfo();
  const { exchange, account, purpose } = input;
  const cred = `${exchange}/${account}/${purpose}`;
  const venue = venueDisplayName(exchange);
  const now = () => new Date(Date.now()).toISOString();
  const st: RotationState = { id: workflowId, exchange, account, purpose, status: 'awaiting_pending', startedAt: now(), reason: input.reason ?? 'requested', findings: [] };
  let staged: OperatorAck | undefined;
  let revoked: OperatorAck | undefined;
  let step = 0;

  // The run id keeps a later rotation of the same credential (same workflow id) from colliding with this one's audit ids.
  const audit = (name: string, detail: string, by = workflowId) =>
    acts.recordAudit.executeWithOptions({ ...ACT, summary: `Audit: ${name}` }, [
      {
        id: `${workflowId}/${runId}/${++step}/${name}`,
        type: 'config_change',
        actor: by,
        data: { parameter: `credential/${cred}`, old_value: st.currentKey ?? '-', new_value: st.pendingKey ?? '-', changed_by: by, reason: `${name}: ${detail}` },
      },
    ]);
  const alert = (name: AlertName, message: string, summary: string, severity?: AlertSeverity) =>
    acts.sendAlert.executeWithOptions({ ...ACT, summary }, [
      { alert: makeAlert(name, { message: `${cred}: ${message}`, at: now(), scope: { exchange, account, subject: `rotate-${purpose}-${step}` }, severity }), actor: workflowId },
    ]);
  const end = async (status: RotationStatus, outcome: string, severity?: AlertSeverity): Promise<RotationState> => {
    st.status = status;
    st.outcome = outcome;
    await audit(status, outcome);
    if (severity) await alert(status === 'rejected' ? 'key_audit_finding' : 'rotation_due', outcome, `Alert: rotation ${status}`, severity);
    return st;
  };

  const checkOperator = (by: unknown) => {
    if (typeof by !== 'string' || !by.trim()) throw new Error('by: an operator id is required');
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

  /** A human wait with reminders, one escalation (CRITICAL) and a deadline; true when `done`. */
  async function waitForOperator(what: string, done: () => boolean, ask: string, t: { reminderMs: number; escalateMs: number; giveUpMs: number }): Promise<boolean> {
    const started = Date.now();
    let escalated = false;
    for (;;) {
      const left = t.giveUpMs - (Date.now() - started);
      if (left <= 0) return done();
      if (await condition(done, Math.min(t.reminderMs, left), { summary: `Wait for ${what} (reminder every ${formatDuration(t.reminderMs)}, give up after ${formatDuration(t.giveUpMs)})` })) return true;
      const waited = Date.now() - started;
      if (waited >= t.giveUpMs) return done();
      if (!escalated && waited >= t.escalateMs) {
        escalated = true;
        await audit('escalated', `no ${what} after ${formatDuration(waited)}`);
        await alert('rotation_due', `ESCALATION: ${ask}`, `Escalate: no ${what}`, 'CRITICAL');
      } else {
        await audit('reminder', `waiting ${formatDuration(waited)} for ${what}`);
        await alert('rotation_due', `Reminder: ${ask}`, `Remind: ${what}`);
      }
    }
  }

  // ---- 1. the current key, and the operator's chore ---------------------------------
  const current = await acts.describeRotation.executeWithOptions({ ...ACT, summary: `Read ${cred} key metadata` }, [{ exchange, account, purpose }]);
  if (!current) throw ApplicationFailure.create({ type: FAILURE.secretNotFound, message: `no ${purpose} secret is stored for ${exchange}/${account}: nothing to rotate`, nonRetryable: true });
  st.currentKey = current.keyFingerprint;
  await audit('started', `${st.reason}; current key ${current.keyFingerprint} created ${current.createdAt}`);

  const stageAsk =
    `rotate the ${purpose} key ${current.keyFingerprint} (${st.reason}). Create a new ${venue} key (read${purpose === 'trading' ? ' + trade' : ' only'}, no withdrawal or transfer, server IPs only), ` +
    `stage it with \`warden secrets stage ${exchange} ${account} --purpose ${purpose}\`, then confirm with \`warden rotation staged ${exchange} ${account} --purpose ${purpose}\`. The current key keeps working meanwhile.`;
  await alert('rotation_due', stageAsk, 'Ask operator to stage a new key');
  const gotStaged = await waitForOperator('a staged key', () => !!staged, stageAsk, {
    reminderMs: (input.reminderEverySeconds ?? DAY_MS / 1000) * 1000,
    escalateMs: (input.escalateAfterSeconds ?? 3 * DAY_MS / 1000) * 1000,
    giveUpMs: (input.giveUpAfterSeconds ?? 7 * DAY_MS / 1000) * 1000,
  });
  if (!gotStaged) return end('timed_out', 'nobody staged a new key in time; the current key stays and is still due', 'CRITICAL');
  const stagedBy = staged!.by;

  // ---- 2. audit the staged key at the venue --------------------------------------------
  st.status = 'auditing';
  await audit('pending_stored', `staged key reported by ${stagedBy}`, stagedBy);
  await acts.invalidateSecretCache.executeWithOptions({ ...ACT, summary: 'Drop cached secret before reading AWSPENDING' }, [{ exchange, account, purpose }]);
  let pendingAudit;
  try {
    pendingAudit = await acts.auditAccountKeys.executeWithOptions({ ...ACT, summary: `Audit the staged (AWSPENDING) ${purpose} key at ${venue}` }, [
      { exchange, account, purpose, stage: 'AWSPENDING', auditId: `${workflowId}/${runId}/pending`, actor: stagedBy },
    ]);
  } catch (err) {
    return end('rejected', `the staged key could not be audited (${failureReason(err)}); the current key stays`, 'CRITICAL');
  }
  st.pendingKey = pendingAudit.keys[purpose];
  st.findings = pendingAudit.findings;
  if (!st.pendingKey || st.pendingKey === st.currentKey) {
    return end('rejected', `the staged key is the current key ${st.currentKey}; stage a NEW key`, 'WARNING');
  }
  const critical = pendingAudit.findings.filter((f) => f.severity === 'CRITICAL');
  if (critical.length) {
    return end('rejected', `staged key ${st.pendingKey} REJECTED, the current key stays: ${critical.map((f) => f.message).join(' ')}`, 'CRITICAL');
  }
  const warnings = pendingAudit.findings.filter((f) => f.severity === 'WARNING');
  await audit('pending_audited', warnings.length ? `accepted with ${warnings.length} warning(s): ${warnings.map((f) => f.message).join(' ')}` : 'no findings');

  // ---- 3. promote ------------------------------------------------------------------------
  st.status = 'promoting';
  let promoted;
  try {
    promoted = await acts.promoteCredential.executeWithOptions({ ...ACT, summary: `Promote AWSPENDING ${st.pendingKey} to AWSCURRENT` }, [
      { exchange, account, purpose, auditedFingerprint: st.pendingKey },
    ]);
  } catch (err) {
    return end('rejected', `promotion refused (${failureReason(err)}); the current key stays`, 'CRITICAL');
  }
  await audit('promoted', `AWSCURRENT is now ${promoted.newFingerprint} (version ${promoted.currentVersionId || '-'})${promoted.alreadyPromoted ? ', found already promoted' : ''}`);
  const dropped = await acts.invalidateSecretCache.executeWithOptions({ ...ACT, summary: 'Drop the cached old key on this worker' }, [{ exchange, account, purpose }]);
  await audit('cache_invalidated', `${dropped.secretName} on ${dropped.worker}`);

  // ---- 4. verify: the new key must work before the old one goes --------------------------------
  st.status = 'verifying';
  try {
    if (purpose === 'trading') {
      await acts.snapshotAccount.executeWithOptions({ ...VERIFY, summary: `Verify: snapshot ${exchange}/${account} with the new key` }, [{ exchange, account, symbols: input.symbols ?? [] }]);
    } else {
      await acts.fetchKeyPermissions.executeWithOptions({ ...VERIFY, summary: `Verify: read ${exchange}/${account} with the new monitoring key` }, [{ exchange, account, purpose }]);
    }
  } catch (err) {
    const reason = failureReason(err);
    const back = await acts.rollbackCredential.executeWithOptions({ ...ACT, summary: `Roll back to ${st.currentKey}` }, [{ exchange, account, purpose, badFingerprint: st.pendingKey }]);
    await acts.invalidateSecretCache.executeWithOptions({ ...ACT, summary: 'Drop the cached new key' }, [{ exchange, account, purpose }]);
    return end('rolled_back', `the new key ${st.pendingKey} failed verification (${reason}); rolled back to ${back.restoredFingerprint}. Do NOT revoke the old key`, 'CRITICAL');
  }
  await audit('verified', `${purpose === 'trading' ? 'account snapshot' : 'read'} succeeded with ${st.pendingKey}`);

  // ---- 5. retire the old key --------------------------------------------------------------
  st.status = 'settling';
  const ttlMs = (input.cacheTtlSeconds ?? 300) * 1000;
  if (ttlMs > 0) await sleep(ttlMs, { summary: `Let every worker's secrets cache expire (${formatDuration(ttlMs)}) before the old key goes` });
  st.status = 'awaiting_revocation';
  const revokeAsk =
    `the new key ${st.pendingKey} is live and verified. Revoke the OLD key ${st.currentKey} at ${venue} now (delete it in the exchange UI), ` +
    `then confirm with \`warden rotation revoked ${exchange} ${account} --purpose ${purpose}\`.`;
  await audit('revocation_requested', `old key ${st.currentKey}`);
  await alert('rotation_due', revokeAsk, 'Ask operator to revoke the old key');
  const gotRevoked = await waitForOperator("the old key's revocation", () => !!revoked, revokeAsk, {
    reminderMs: (input.revokeReminderEverySeconds ?? 3600) * 1000,
    escalateMs: (input.revokeEscalateAfterSeconds ?? 4 * 3600) * 1000,
    giveUpMs: (input.revokeGiveUpAfterSeconds ?? 24 * 3600) * 1000,
  });
  if (!gotRevoked) return end('revocation_unconfirmed', `nobody confirmed revoking the old key ${st.currentKey}; it may still be live at ${venue}`, 'CRITICAL');
  await audit('old_key_revoked', `old key ${st.currentKey} revoked at ${venue}, confirmed by ${revoked!.by}`, revoked!.by);
  return end('completed', `rotated ${st.currentKey} -> ${st.pendingKey}`);
}

// ---- rotationCheckWorkflow ----------------------------------------------------------

export async function rotationCheckWorkflow(input: RotationCheckInput = {}): Promise<RotationCheckReport> {
  const { workflowId } = workflowInfo();
  const intervalDays = input.intervalDays ?? DEFAULT_ROTATION_DAYS;
  const accounts: NonNullable<RotationCheckInput['accounts']> =
    input.accounts ?? (await acts.configuredAccounts.executeWithOptions({ ...ACT, summary: 'List configured accounts' }, []));
  const report: RotationCheckReport = { intervalDays, checked: [] };
  const now = () => new Date(Date.now()).toISOString();

  for (const a of accounts) {
    for (const purpose of PURPOSES) {
      const cred = `${a.exchange}/${a.account}/${purpose}`;
      const check: CredentialCheck = { exchange: a.exchange, account: a.account, purpose, due: false };
      let info;
      try {
        info = await acts.describeRotation.executeWithOptions({ ...ACT, summary: `Read ${cred} key age` }, [{ exchange: a.exchange, account: a.account, purpose }]);
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
      await acts.sendAlert.executeWithOptions({ ...ACT, summary: `Alert: rotation due for ${cred}` }, [
        { alert: makeAlert('rotation_due', { message, at: now(), scope: { exchange: a.exchange, account: a.account, subject: purpose } }), actor: workflowId },
      ]);
    }
  }
  return report;
}
