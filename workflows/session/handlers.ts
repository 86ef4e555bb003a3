/**
 * The session's Updates, Signals and Query (contracts/session.ts). Each one feeds the state machine
 * (domain/session-machine.ts) an event; validators refuse before anything changes.
 */
import { log, patched, setHandler } from '@temporalio/workflow';
import { keyAuditRearmRefusal } from '../../domain/circuit-breaker';
import { KeyAuditResultMessage } from '../../domain/key-audit';
import { checkInput, clipReason, OperatorRequestInput, StopRequestInput } from '../../domain/operator-input';
import { isolationResumeRefusal, type SessionEvent } from '../../domain/session-machine';
import {
  forceOpenUpdate,
  keyAuditResultSignal,
  pauseUpdate,
  rebalanceDoneSignal,
  resumeUpdate,
  statusQuery,
  stopSignal,
  stopUpdate,
  type OperatorRequest,
} from '../../contracts/session';
import { stopOnce } from './kill-switch';
import type { SessionRun } from './run';

// Validators only (no commands): their rules need no patched() and a refused request changes nothing.
// The rules are the channels' own (domain/operator-input.ts), so what `warden` or the bot accepts, these accept.
const validateOperator = (req: OperatorRequest) => checkInput(OperatorRequestInput, req);

export function registerSessionHandlers(run: SessionRun): void {
  // The kill switch never refuses because of its reason's wording: only a missing or oversized one.
  setHandler(stopUpdate, (req) => stopOnce(run, req), { validator: (req) => checkInput(StopRequestInput, req) });
  setHandler(stopSignal, async (req) => {
    // A Signal has no validator: a malformed stop still stops (the kill switch never refuses on its reason).
    const by = typeof req?.by === 'string' && req.by.trim() ? req.by : 'unknown-operator';
    const given = typeof req?.reason === 'string' && req.reason.trim() ? req.reason : 'kill switch';
    // A Signal cannot be refused, so an oversized reason is clipped before it reaches the audit trail.
    const reason = patched('stop-signal-clips-reason') ? clipReason(given) : given;
    const stopId = typeof req?.stopId === 'string' ? req.stopId : undefined;
    const incidentId = typeof req?.incidentId === 'string' ? req.incidentId : undefined;
    // Caught: a signal handler's rejection would fail the workflow task; the cancels are retried every tick.
    await stopOnce(run, { by, reason, isolate: req?.isolate === true, ...(stopId ? { stopId } : {}), ...(incidentId ? { incidentId } : {}) }).catch((err: unknown) =>
      log.error('stop signal: cancels not confirmed yet', { err: String(err) }),
    );
  });
  /** An operator's Update: its event goes through the machine, and the reply is the status after it. */
  const statusAfter =
    <R>(event: (req: R) => SessionEvent) =>
    async (req: R) => {
      await run.apply(event(req));
      return run.status();
    };
  setHandler(pauseUpdate, statusAfter(({ by, reason }) => ({ type: 'pause', by, reason })), { validator: validateOperator });
  setHandler(
    resumeUpdate,
    statusAfter(({ by, reason, approvedBy }) => ({ type: 'resume', by, reason, approvedIncident: approvedBy?.incidentId })),
    {
      validator: (req) => {
        validateOperator(req);
        // A key that could move funds re-arms only after an audit that came back clean (domain/circuit-breaker.ts).
        const { breaker, keyAudit, isolation } = run.control;
        const approved = typeof req.approvedBy?.incidentId === 'string' ? req.approvedBy.incidentId : undefined;
        const refusal = keyAuditRearmRefusal(breaker, keyAudit) ?? isolationResumeRefusal(isolation, breaker, approved);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(forceOpenUpdate, statusAfter(({ by, reason }) => ({ type: 'force_open', by, reason })), { validator: validateOperator });
  setHandler(statusQuery, () => run.status());
  // Signal handlers cannot wait: their effects run on (caught, since an unhandled rejection fails every workflow task).
  setHandler(rebalanceDoneSignal, ({ rebalance, by, outcome }) => run.applyNow({ type: 'rebalance_ended', id: rebalance, by, outcome }));
  setHandler(keyAuditResultSignal, (raw) => {
    const parsed = KeyAuditResultMessage.safeParse(raw);
    if (!parsed.success) return log.error('key audit result ignored: malformed', { err: parsed.error.message });
    if (!parsed.data.critical) return run.applyNow({ type: 'key_audit', result: parsed.data });
    // The breaker opens within this call: no new order is placed after it, and the cancel waits for one in flight.
    run.keyAuditHalts += 1;
    void run
      .apply({ type: 'key_audit', result: parsed.data })
      .catch((err: unknown) => log.error('key audit halt failed', { err: String(err) }))
      .finally(() => (run.keyAuditHalts -= 1));
  });
}
