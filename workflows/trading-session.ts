/**
 * A trading session: one per exchange account (workflow id `session/<exchange>/<account>`).
 *
 * It audits its keys, then ticks until continue-as-new: each tick reads the account and, while the
 * session may place (domain/trading-state.ts), runs the strategy and the risk engine and places
 * orders (./session/tick.ts). Operators and other procedures act through its messages
 * (./session/handlers.ts); the kill switch is ./session/kill-switch.ts. Every decision about the
 * breaker, the mode, the stop and the isolation is the pure state machine's (domain/session-machine.ts).
 * Its input, status, messages and workflow id are contracts/session.ts's.
 */
import { ApplicationFailure, condition, continueAsNew, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { recordKeyAudit } from '../domain/circuit-breaker';
import { keyAuditResultMessage } from '../domain/key-audit';
import { mayObserve } from '../domain/trading-state';
import { FAILURE } from '../contracts/failures';
import type { SessionInput, StopReport } from '../contracts/session';
import { auditAccountKeys, recordAudit } from './session/activities';
import { registerSessionHandlers } from './session/handlers';
import { retryPendingCancels } from './session/kill-switch';
import { SessionRun } from './session/run';
import { runTick } from './session/tick';
import { sessionReconciler } from './session-reconciliation';

export { ORDER_ACTIVITY_OPTIONS } from './session/activities';

export async function tradingSessionWorkflow(input: SessionInput): Promise<StopReport | undefined> {
  const run = new SessionRun(input);
  registerSessionHandlers(run);
  // Decided once per run, before any command: a patch first asked mid-tick, after a local
  // activity, made replays (a query on an evicted session) fail with a nondeterminism error.
  const armsDeadMansSwitch = patched('arm-dead-mans-switch-per-run');
  run.recon = reconcilerFor(run);
  upsertSearchAttributes({ WardenExchange: [input.exchange], WardenAccount: [input.account] });
  // Seed section 2: never trade on a key that can withdraw or transfer, or shares the monitoring key.
  if (!input.carried && patched('key-audit-at-start')) await auditKeysAtStart(run);

  const tickMs = (input.tickSeconds ?? 5) * 1000;
  for (let tick = 0; tick < (input.maxTicksPerRun ?? 500) && !workflowInfo().continueAsNewSuggested; tick++) {
    // A wake-up during a tick (a stop's cancels confirmed, a resume) calls for another look right after it;
    // runs from before this change cleared it when the tick ended.
    const keepWakeDuringTick = patched('wake-during-tick-kept');
    if (keepWakeDuringTick) run.wake = false;
    if (run.control.cancelPending) await retryPendingCancels(run, run.control.cancelPending);
    // A halted session still observes its account; a revoked key has nothing to observe with, and isolated credentials must not be used.
    if (mayObserve(run.control)) await runTick(run, armsDeadMansSwitch);
    if (!keepWakeDuringTick) run.wake = false;
    const due = Date.now() + tickMs;
    // Workflow time is the start of the task that woke us: the lag is how long the task waited.
    if (!(await condition(() => run.wake, tickMs))) run.recordTickLag(Date.now() - due);
  }
  await run.drained();
  return continueAsNew<typeof tradingSessionWorkflow>({ ...input, carried: run.carried() });
}

/** Every run first compares the venue's orders with what the session intended (issue #12). */
function reconcilerFor(run: SessionRun) {
  const { input, session } = run;
  // Runs recorded before the desk-only rule let foreign orders be; a session started before the config had the field keeps that until restarted.
  const foreignOrders = patched('foreign-orders-unauthorized') ? (input.risk.foreignOrders ?? 'allowed') : 'allowed';
  if (!patched('reconcile-orders')) return undefined;
  return sessionReconciler({
    session,
    epoch: run.epoch,
    ref: run.ref,
    symbols: input.symbols,
    policy: input.risk.unknownOrders ?? 'cancel',
    foreignOrders,
    carried: input.carried?.reconciliation,
    trigger: input.carried ? 'continue-as-new' : 'session start',
    orderSeq: () => run.kept.orderSeq,
    audit: (data) => recordAudit({ id: run.auditId('reconciliation'), type: 'reconciliation', actor: session, data }),
    alert: (name, message) => run.alert(name, message),
  });
}

/** A CRITICAL finding (withdrawal rights, no IP whitelist, a shared monitoring key) refuses the start. */
async function auditKeysAtStart(run: SessionRun): Promise<void> {
  const auditId = `${run.session}/${run.epoch}/start-audit`;
  const audit = await auditAccountKeys({ ...run.ref, auditId, actor: run.session });
  if (audit.critical) {
    const why = audit.findings.filter((f) => f.severity === 'CRITICAL').map((f) => f.message).join('; ');
    await run.alert('key_audit_finding', `${run.session} refused to start: ${why}`, 'CRITICAL');
    await condition(() => run.pendingAlerts.size === 0, '1 minute');
    throw ApplicationFailure.nonRetryable(`session ${run.session} refused to start: ${why}`, FAILURE.keyAuditCritical);
  }
  run.control.keyAudit = recordKeyAudit(run.control.keyAudit, keyAuditResultMessage(auditId, run.nowIso(), audit.findings));
}
