import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { WardenConfig } from '../config/schema';
import { sessionWorkflowId, pauseUpdate, resumeUpdate, statusQuery, stopUpdate, type SessionStatus, type StopReport } from '../workflows/trading-session';
import type { SessionControl } from '../activities/session-control';
import type { DeskControl, IncidentSummary, Operator, RebalanceSummary } from '../operator/desk-control';
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
    this.rebalance = new RebalanceControl(client);
    this.incident = new IncidentControl(client, config);
  }

  private async sessionIds(): Promise<string[]> {
    const ids = new Set(this.config.exchanges.filter((x) => x.strategy).map((x) => sessionWorkflowId(x.exchange, x.account)));
    try {
      for await (const wf of this.client.workflow.list({ query: `WorkflowType = 'tradingSessionWorkflow' AND ExecutionStatus = 'Running'` })) ids.add(wf.workflowId);
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

  stopAll(op: Operator, reason: string): Promise<StopReport[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).executeUpdate(stopUpdate, { args: [{ by: op.id, reason }] }));
  }

  pauseAll(op: Operator, reason: string): Promise<SessionStatus[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).executeUpdate(pauseUpdate, { args: [{ by: op.id, reason }] }));
  }

  resumeAll(op: Operator, reason: string): Promise<SessionStatus[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).executeUpdate(resumeUpdate, { args: [{ by: op.id, reason }] }));
  }

  // ---- SessionControl: what the incident runbook's activities use ----

  stop(sessions: string[], by: string, reason: string, isolate: boolean): Promise<StopReport[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).executeUpdate(stopUpdate, { args: [{ by, reason, isolate }] }), sessions);
  }

  resume(sessions: string[], by: string, reason: string): Promise<SessionStatus[]> {
    return this.onSessions((id) => this.client.workflow.getHandle(id).executeUpdate(resumeUpdate, { args: [{ by, reason }] }), sessions);
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

/** A session that has completed or never existed is not an error for a desk-wide command. */
function isNotRunning(err: unknown): boolean {
  if (err instanceof WorkflowNotFoundError) return true;
  const msg = err instanceof Error ? `${err.message} ${(err.cause as Error | undefined)?.message ?? ''}` : '';
  return /workflow (execution )?(not found|already completed)|workflow execution already completed/i.test(msg);
}
