import { clipReason } from '../domain/operator-input';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { WardenConfig } from '../config/schema';
import { sessionWorkflowId, sessionWorkflowType, pauseUpdate, resumeUpdate, statusQuery, stopSignal, stopUpdate, type SessionStatus, type StopReport } from '../contracts/session';
import type { SessionControl } from '../activities/session-control';
import { STOP_CONFIRM_WITHIN_MS, type DeskControl, type IncidentSummary, type Operator, type RebalanceSummary, type StopOutcome, type UnconfirmedStop } from './desk-control';
import { IncidentControl } from './incident-control';
import { RebalanceControl } from './rebalance-control';

/**
 * DeskControl over Temporal. The sessions it reaches are the configured
 * accounts' (their ids are deterministic) plus any other running session the
 * visibility store lists: a kill switch must not depend on an index that lags.
 */
export class TemporalDeskControl implements DeskControl, SessionControl {
  private readonly rebalance: RebalanceControl;
  readonly incident: IncidentControl;

  constructor(
    private readonly client: Client,
    private readonly config: WardenConfig,
  ) {
    this.rebalance = new RebalanceControl(client, config.exchanges);
    this.incident = new IncidentControl(client, config);
  }

  private async sessionIds(): Promise<string[]> {
    const ids = new Set(this.configuredSessionIds());
    try {
      for await (const wf of this.client.workflow.list({ query: `WorkflowType = '${sessionWorkflowType}' AND ExecutionStatus = 'Running'` })) ids.add(wf.workflowId);
    } catch {
      // Visibility unavailable: the configured sessions are still reached.
    }
    return [...ids].sort();
  }

  /** Runs `fn` on the named sessions (`binance/main`; none named: every running one) in parallel; sessions not running are skipped. */
  private async onSessions<T>(fn: (id: string) => Promise<T>, only: string[] = []): Promise<T[]> {
    const ids = only.length ? only.map((s) => `session/${s}`) : await this.sessionIds();
    const results = await Promise.allSettled(ids.map(fn));
    const failures = results.flatMap((r) => (r.status === 'rejected' && !isNotRunning(r.reason) ? [r.reason as Error] : []));
    if (failures.length) throw new Error(`${failures.length} session(s) failed: ${failures.map((f) => f.message).join('; ')}`);
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  sessions(): Promise<SessionStatus[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).query(statusQuery));
  }

  async stopAll(op: Operator, reason: string, opts: { confirmWithinMs?: number; only?: readonly string[] } = {}): Promise<StopOutcome> {
    const stopId = `stop/${op.id}/${randomUUID()}`;
    const confirmWithinMs = opts.confirmWithinMs ?? STOP_CONFIRM_WITHIN_MS;
    const req = { by: op.id, reason, stopId };
    const started = Date.now();
    // Visibility can hang with the server; the configured sessions are known without it. Named sessions need neither.
    const ids = opts.only
      ? opts.only.map((s) => { const [exchange, account] = s.split('/') as [string, string]; return sessionWorkflowId(exchange, account); })
      : await this.within(Math.min(confirmWithinMs, 2_000), () => this.sessionIds()).catch(() => this.configuredSessionIds());
    const reports: StopReport[] = [];
    const unconfirmed: UnconfirmedStop[] = [];
    await Promise.all(
      ids.map(async (id) => {
        const session = id.replace(/^session\//, '');
        const handle = this.client.workflow.getHandle(id);
        try {
          await this.within(confirmWithinMs, () => handle.signal(stopSignal, req));
        } catch (err) {
          if (isNotRunning(err)) return;
          unconfirmed.push({ session, recorded: false, why: `stop NOT recorded: Temporal did not take it (${message(err)}); orders NOT yet cancelled` });
          return;
        }
        try {
          // The same stop id: the session runs this stop once, whichever message it sees first.
          reports.push(await this.within(Math.max(500, confirmWithinMs - (Date.now() - started)), () => handle.executeUpdate(stopUpdate, { args: [req] })));
        } catch (err) {
          const why = isDeadline(err) ? 'stop recorded; no worker answered; orders NOT yet cancelled' : `stop recorded; the desk could not cancel (${message(err)}); orders NOT yet cancelled`;
          unconfirmed.push({ session, recorded: true, why });
        }
      }),
    );
    const bySession = (a: { session: string }, b: { session: string }) => a.session.localeCompare(b.session);
    return { stopId, reports: reports.sort(bySession), unconfirmed: unconfirmed.sort(bySession) };
  }

  private configuredSessionIds(): string[] {
    return this.config.exchanges.filter((x) => x.strategy).map((x) => sessionWorkflowId(x.exchange, x.account)).sort();
  }

  /** Every call inside `fn` ends by `ms` from now: the kill switch never hangs on a server or worker that does not answer. */
  private within<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.client.connection.withDeadline(Date.now() + ms, fn);
  }

  pauseAll(op: Operator, reason: string): Promise<SessionStatus[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).executeUpdate(pauseUpdate, { args: [{ by: op.id, reason }] }));
  }

  resumeAll(op: Operator, reason: string): Promise<SessionStatus[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).executeUpdate(resumeUpdate, { args: [{ by: op.id, reason }] }));
  }

  // ---- SessionControl: what the incident runbook's activities use ----

  stop(sessions: string[], by: string, reason: string, isolate: boolean, incident?: string): Promise<StopReport[]> {
    const req = { by, reason: clipReason(reason), isolate, ...(incident ? { incidentId: incident } : {}) };
    return this.onSessions(async (id) => {
      const handle = this.client.workflow.getHandle(id);
      try {
        return await handle.executeUpdate(stopUpdate, { args: [req] });
      } catch (err) {
        // The venue refused the cancels (down, or refusing the desk's IP): the stop and the isolation stand and the
        // session retries the cancels every tick. Containment is done; the report says the cancels are pending.
        const st = await handle.query(statusQuery).catch(() => undefined);
        if (st?.mode === 'stopped' && st.lastStop?.cancelPending && (!isolate || st.isolation)) return st.lastStop;
        throw err;
      }
    }, sessions);
  }

  resume(sessions: string[], by: string, reason: string, incident?: string): Promise<SessionStatus[]> {
    const req = { by, reason: clipReason(reason), ...(incident ? { approvedBy: { incidentId: incident } } : {}) };
    return this.onSessions((id) => this.client.workflow.getHandle(id).executeUpdate(resumeUpdate, { args: [req] }), sessions);
  }

  status(sessions: string[]): Promise<SessionStatus[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).query(statusQuery), sessions);
  }

  rebalances(): Promise<RebalanceSummary[]> {
    return this.rebalance.list();
  }

  confirmTransfer(id: string, op: Operator, transfer: { amountUsd: number; reference: string }): Promise<RebalanceSummary> {
    return this.rebalance.confirm(id, op, transfer);
  }

  rejectRebalance(id: string, op: Operator, reason: string): Promise<RebalanceSummary> {
    return this.rebalance.reject(id, op, reason);
  }

  incidents(): Promise<IncidentSummary[]> {
    return this.incident.list();
  }

  declareIncident(op: Operator, input: { severity: IncidentSummary['severity']; summary: string }): Promise<IncidentSummary> {
    return this.incident.declare(op, input);
  }

  acknowledgeIncident(id: string, op: Operator): Promise<IncidentSummary> {
    return this.incident.acknowledge(id, op);
  }
}

function message(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return [e.message, e.cause?.message].filter(Boolean).join(': ') || String(err);
}

/** gRPC DEADLINE_EXCEEDED (4) or CANCELLED (1), however the client wraps it: nobody answered in time. */
function isDeadline(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown; name?: string } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.code === 4 || e.code === 1 || e.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return true;
  }
  return /deadline|timed? ?out/i.test(message(err));
}

/** A session that has completed or never existed is not an error for a desk-wide command. */
function isNotRunning(err: unknown): boolean {
  if (err instanceof WorkflowNotFoundError) return true;
  const msg = err instanceof Error ? `${err.message} ${(err.cause as Error | undefined)?.message ?? ''}` : '';
  return /workflow (execution )?(not found|already completed)|workflow execution already completed/i.test(msg);
}
