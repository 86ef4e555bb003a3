import type { Client } from '@temporalio/client';
import type { WardenConfig } from '../config/schema';
import type { Alert, IncidentSeverity } from '../domain/severity';
import {
  acknowledgeUpdate,
  approveResumeUpdate,
  confirmContainmentUpdate,
  falsePositiveUpdate,
  recordFindingsUpdate,
  type Findings,
  incidentStatusQuery,
  incidentWorkflowId,
  incidentWorkflowType,
  retriggerSignal,
  type IncidentInput,
  type IncidentStatus,
  type IncidentSummary,
  type IncidentWorkflow,
  type Retrigger,
} from '../contracts/incident';
import type { Operator } from './desk-control';

const summaryOf = (s: IncidentStatus): IncidentSummary => ({
  id: s.id,
  severity: s.severity,
  phase: s.phase,
  summary: s.summary,
  openedAt: s.openedAt,
  acknowledgedBy: s.acknowledgedBy,
});

/**
 * Opens incidents (by hand or from an alert) and answers for them. One open
 * incident per cause: a repeated trigger signals the running one instead of
 * opening another (signal-with-start on the cause's workflow id).
 */
export class IncidentControl {
  constructor(
    private readonly client: Client,
    private readonly config: WardenConfig,
  ) {}

  async open(input: Omit<IncidentInput, 'ackTimeoutSeconds'>, detail: string): Promise<string> {
    const workflowId = incidentWorkflowId(input.cause);
    // By type name: a client loads no workflow code (contracts/incident.ts holds the name and the signature).
    await this.client.workflow.signalWithStart<IncidentWorkflow, [Retrigger]>(incidentWorkflowType, {
      taskQueue: this.config.temporal.taskQueue,
      workflowId,
      args: [{ ...input, ackTimeoutSeconds: this.config.incidents.ackTimeoutSeconds }],
      signal: retriggerSignal,
      signalArgs: [{ detail, at: new Date().toISOString() }],
      staticSummary: `${input.severity}: ${input.summary}`,
      // Markdown in the Web UI: list items keep their line breaks.
      staticDetails: `- Cause: ${input.cause}\n- Declared by: ${input.declaredBy}\n- Sessions: ${input.sessions.join(', ') || 'all'}`,
    });
    return workflowId;
  }

  /** Alerts that the catalogue ties to an incident open (or re-trigger) one. */
  openFromAlert(alert: Alert): Promise<string> | undefined {
    if (!alert.incident) return undefined;
    return this.open(
      { cause: alert.dedupKey, severity: alert.incident, summary: `${alert.title}: ${alert.message}`, sessions: sessionsOf(alert), declaredBy: 'alert' },
      alert.message,
    );
  }

  async declare(op: Operator, input: { severity: IncidentSeverity; summary: string }): Promise<IncidentSummary> {
    const cause = `manual:${op.id}:${Date.now()}`;
    const id = await this.open({ cause, severity: input.severity, summary: input.summary, sessions: [], declaredBy: op.id }, 'declared by hand');
    return summaryOf(await this.client.workflow.getHandle(id).query(incidentStatusQuery));
  }

  async acknowledge(id: string, op: Operator): Promise<IncidentSummary> {
    return summaryOf(await this.client.workflow.getHandle(id).executeUpdate(acknowledgeUpdate, { args: [{ by: op.id }] }));
  }

  falsePositive(id: string, op: Operator, reason: string): Promise<IncidentStatus> {
    return this.client.workflow.getHandle(id).executeUpdate(falsePositiveUpdate, { args: [{ by: op.id, reason }] });
  }

  confirmContainment(id: string, op: Operator, approve: boolean): Promise<IncidentStatus> {
    return this.client.workflow.getHandle(id).executeUpdate(confirmContainmentUpdate, { args: [{ by: op.id, approve }] });
  }

  recordFindings(id: string, op: Operator, f: Omit<Findings, 'by'>): Promise<IncidentStatus> {
    return this.client.workflow.getHandle(id).executeUpdate(recordFindingsUpdate, { args: [{ ...f, by: op.id }] });
  }

  approveResume(id: string, op: Operator, reason: string): Promise<IncidentStatus> {
    return this.client.workflow.getHandle(id).executeUpdate(approveResumeUpdate, { args: [{ by: op.id, reason }] });
  }

  async status(id: string): Promise<IncidentStatus> {
    return this.client.workflow.getHandle(id).query(incidentStatusQuery);
  }

  async list(): Promise<IncidentSummary[]> {
    const out: IncidentSummary[] = [];
    for await (const wf of this.client.workflow.list({ query: `WorkflowType = '${incidentWorkflowType}' AND ExecutionStatus = 'Running'`, pageSize: 50 })) {
      out.push(summaryOf(await this.client.workflow.getHandle(wf.workflowId, wf.runId).query(incidentStatusQuery)));
    }
    return out;
  }
}

/** An alert scoped to an account concerns that account's session; otherwise all of them. */
function sessionsOf(alert: Alert): string[] {
  const m = /:([a-z]+\/[a-z0-9-]+)(?::|$)/.exec(alert.dedupKey);
  return m ? [m[1]!] : [];
}
